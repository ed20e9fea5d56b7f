"""Response headers that keep a reader private and the pages un-framable.

The one inline script (GOV.UK's "JavaScript is on" class, which must run before the page
paints) is allowed by its SHA-256 hash, so the policy is the same on every response: no
other inline script or style can run, and a page's bytes do not change from one response
to the next (which lets the page cache and ETags work). Pages that hold answers are
never cached.
"""
import base64
import hashlib

from flask import g
from markupsafe import Markup

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone",
    "payment", "usb", "interest-cohort", "browsing-topics"))

JS_ENABLED = ("document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype"
              " ? ' govuk-frontend-supported' : '');")
JS_ENABLED_HASH = "sha256-" + base64.b64encode(hashlib.sha256(JS_ENABLED.encode()).digest()).decode()

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    f"script-src 'self' '{JS_ENABLED_HASH}'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
COMMON_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Static files (served by WhiteNoise, outside Flask) get the same protections.
STATIC_HEADERS = {**COMMON_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                  "Cross-Origin-Resource-Policy": "same-origin"}
HSTS = "max-age=31536000; includeSubDomains"


_PAGE_HEADERS = [("Content-Security-Policy", CONTENT_SECURITY_POLICY), *COMMON_HEADERS.items()]


class SecurityHeaders:
    """WSGI, around everything the app answers (Flask's responses, its error pages, the
    reader cache's pages): the headers above, each unless the response set its own (an
    evidence file's sandbox policy), and HSTS over https or in production. Added to the
    header list as it leaves, not through werkzeug's Headers in an after_request hook,
    which cost a tenth of a question page. The scheme is read when the response starts,
    after FrontDoor has believed (or not) a proxy about it."""

    def __init__(self, app, production):
        self.app = app
        self.production = production

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _value in headers}
            # A new list: the reader cache hands over the one it keeps.
            headers = [*headers, *(h for h in _PAGE_HEADERS if h[0].lower() not in present)]
            if self.production or environ.get("wsgi.url_scheme") == "https":
                headers.append(("Strict-Transport-Security", HSTS))
            return start_response(status, headers, exc_info)
        return self.app(environ, start)


def set_headers(response):
    if g.get("no_store"):
        response.headers["Cache-Control"] = "no-store"
    return response


def no_store():
    """Mark this response as holding something private: never cache it anywhere."""
    g.no_store = True


def init_app(app):
    app.wsgi_app = SecurityHeaders(app.wsgi_app, app.config["SDP_ENV"] == "production")
    app.after_request(set_headers)
    app.jinja_env.globals["js_enabled_script"] = Markup(JS_ENABLED)
