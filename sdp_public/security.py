"""Response headers that keep a reader private and the pages un-framable.

A fresh nonce per response lets our two small scripts run while the policy forbids any
other inline script or style. Pages that hold answers are never cached.
"""
import secrets
from contextlib import contextmanager

from flask import g, request

# Stands in for the nonce in HTML rendered once and cached; replaced on every response.
NONCE_SLOT = "__sdp_csp_nonce_" + secrets.token_hex(8) + "__"

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone",
    "payment", "usb", "interest-cohort", "browsing-topics"))


def csp_nonce():
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


@contextmanager
def nonce_placeholder():
    """Render with NONCE_SLOT as the nonce, then let the response get a real one."""
    real = g.pop("csp_nonce", None)
    g.csp_nonce = NONCE_SLOT
    try:
        yield
    finally:
        g.pop("csp_nonce", None)
        if real is not None:
            g.csp_nonce = real


def _policy(nonce):
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", _policy(csp_nonce()))
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.is_secure or g.get("production"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
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
    app.jinja_env.globals["csp_nonce"] = csp_nonce
