"""Built static assets, referenced with a content hash so they can be cached for a year."""
import hashlib
from pathlib import Path

from flask import request, url_for

A_YEAR = 31536000
FIVE_MINUTES = 300


def init_app(app):
    build = Path(app.static_folder) / "build"
    versions = {}

    def asset_url(name):
        if name not in versions:
            path = build / name
            versions[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else "missing"
        return url_for("static", filename=f"build/{name}", v=versions[name])

    app.jinja_env.globals["asset_url"] = asset_url

    def max_age(_filename):
        # A hashed URL never changes meaning: cache it for a year. Files a module imports
        # by plain name (govuk-frontend.min.js) may change on deploy: five minutes.
        return A_YEAR if request.args.get("v") else FIVE_MINUTES

    app.get_send_file_max_age = max_age
