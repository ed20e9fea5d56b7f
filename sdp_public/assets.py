"""Built static assets, referenced with a content hash so they can be cached for a year."""
import hashlib
from pathlib import Path

from flask import url_for


def init_app(app):
    build = Path(app.static_folder) / "build"
    versions = {}

    def asset_url(name):
        if name not in versions:
            path = build / name
            versions[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else "missing"
        return url_for("static", filename=f"build/{name}", v=versions[name])

    app.jinja_env.globals["asset_url"] = asset_url
