"""Operations endpoints: liveness, readiness, sitemap and robots.txt (no language prefix)."""
from flask import Blueprint, Response, current_app, render_template, url_for
from sqlalchemy import text

from .. import languages
from ..db import get_session
from ..public.pages import public_endpoints

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up. Deliberately touches nothing else."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers."""
    try:
        get_session().execute(text("SELECT 1"))
    except Exception:
        current_app.logger.warning("readyz: database unavailable")
        return {"status": "unavailable", "database": "unavailable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/robots.txt")
def robots():
    sitemap = _absolute(url_for("ops.sitemap"))
    body = f"User-agent: *\nDisallow: /partners/\nAllow: /\nSitemap: {sitemap}\n"
    return Response(body, mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap():
    pages = [[(lang, _absolute(url_for(endpoint, lang=lang.code, **args))) for lang in languages.LANGUAGES]
             for endpoint, args in public_endpoints()]
    xml = render_template("ops/sitemap.xml", pages=pages)
    return Response(xml, mimetype="application/xml")


def _absolute(path):
    """An absolute URL for a url_for path (which already holds SITE_URL's own path, if any)."""
    base = current_app.config.get("SITE_URL")
    if base:
        origin = base[:len(base) - len(current_app.config.get("SCRIPT_ROOT", ""))]
        return f"{origin}{path}"
    return url_for("public.root", _external=True).rstrip("/") + path
