"""Built static assets, served by WhiteNoise under content-hashed names.

scripts/build_assets.sh compiles the front end from npm packages and gives each file a
hashed name and a gzip twin (scripts/fingerprint_assets.py, which writes manifest.json).
A hashed name never changes meaning, so it is cached for a year and marked immutable;
WhiteNoise sends the gzip twin to browsers that accept it, with Vary: Accept-Encoding.
Static files never reach Flask, so they are served without a request context, a
session or a database connection.
"""
import json
import re
from pathlib import Path

from flask import url_for
from whitenoise import WhiteNoise

from .security import HSTS, STATIC_HEADERS

A_YEAR = 31536000
FIVE_MINUTES = 300
_HASHED = re.compile(r"\.[0-9a-f]{12}\.[a-z]+$")


def _manifest(build):
    try:
        return json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # assets not built yet: plain names, short cache


def init_app(app):
    build = Path(app.static_folder) / "build"
    manifest = _manifest(build)

    def asset_url(name):
        return url_for("static", filename=f"build/{manifest.get(name, name)}")

    app.jinja_env.globals["asset_url"] = asset_url

    static_headers = dict(STATIC_HEADERS)
    if app.config["SDP_ENV"] == "production":
        static_headers["Strict-Transport-Security"] = HSTS

    def add_headers(headers, _path, url):
        for key, value in static_headers.items():
            headers[key] = value
        if _HASHED.search(url):  # WhiteNoise's own "forever" is ten years; a year is the HTTP norm
            headers["Cache-Control"] = f"max-age={A_YEAR}, public, immutable"

    app.wsgi_app = WhiteNoise(
        app.wsgi_app, root=app.static_folder, prefix=app.static_url_path, max_age=FIVE_MINUTES,
        add_headers_function=add_headers)
