"""Response headers that keep a reader private and the pages un-framable.

The one inline script (GOV.UK's "JavaScript is on" class, which must run before the page
paints) is allowed by its SHA-256 hash, so the policy is the same on every response: no
other inline script or style can run, and a page's bytes do not change from one response
to the next (which lets the page cache and ETags work). Pages that hold answers are
never cached.
"""
import base64
import hashlib

from flask import g, request
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


def set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.update(COMMON_HEADERS)
    if request.is_secure or g.get("production"):
        headers["Strict-Transport-Security"] = HSTS
    if g.get("no_store"):
        headers["Cache-Control"] = "no-store"
    return response


def no_store():
    """Mark this response as holding something private: never cache it anywhere."""
    g.no_store = True


def init_app(app):
    production = app.config["SDP_ENV"] == "production"

    @app.before_request
    def _flag_production():
        g.production = production

    app.after_request(set_headers)
    app.jinja_env.globals["js_enabled_script"] = Markup(JS_ENABLED)
