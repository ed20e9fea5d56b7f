"""The public blueprint: the plan, campaigns, guidance, support directory and search."""
import hashlib

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for

from .. import drafts, i18n, languages, search
from ..reader_cache import SHAREABLE
from ..support import NEEDS
from .pages import CONTENT_PAGES, EXIT_PAGE_ENDPOINTS, PRIORITIES

bp = Blueprint("public", __name__)
bp.url_value_preprocessor(i18n.pull_lang)
bp.url_defaults(i18n.add_lang)

MAX_QUERY_LENGTH = 200


def content_store():
    return current_app.extensions["sdp_content"]


def render_page(path, template="public/page.html", cache=None, **context):
    """Render a content page. Pages that depend only on language and URL are rendered
    once per process and kept with an ETag: a cache hit costs a dict lookup, and a
    returning browser that sends If-None-Match gets a 304 with no body.

    The key is everything a cached page depends on. Its links are root-relative, built
    under the script root that comes from SITE_URL (front_door.py), never from a request
    header, so no Host, scheme or SCRIPT_NAME a client sends changes what others are served;
    a request under any other script root (the middleware taken away) is never stored.
    """
    cache = (not context if cache is None else cache) and request.script_root == current_app.config["SCRIPT_ROOT"]
    key = (g.lang.code, path, template, request.endpoint)
    pages = current_app.extensions["sdp_page_cache"]
    if not (cache and key in pages):
        page = content_store().page(g.lang.code, path)
        if page is None:
            abort(404)
        html = render_template(template, page=page, exit_page=request.endpoint in EXIT_PAGE_ENDPOINTS, **context)
        if not cache:
            return html
        pages[key] = (html, hashlib.sha256(html.encode("utf-8")).hexdigest()[:32])
    html, etag = pages[key]
    # The same bytes for everyone: a reader with no cookie is answered before Flask next time.
    request.environ[SHAREABLE] = {"route": request.url_rule.rule, "endpoint": request.endpoint, "lang": g.lang.code}
    response = current_app.response_class(html, mimetype="text/html")
    response.set_etag(etag)
    # Revalidate every time (a 304 is a few hundred bytes): a corrected page is seen at once.
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept-Encoding")  # the reader cache may answer this URL gzipped
    return response.make_conditional(request)


@bp.get("/", endpoint="root")
def root():
    """Send a new visitor to the home page in the language their browser asks for."""
    lang = languages.best_match(request.accept_languages)
    response = redirect(url_for("public.home", lang=lang.code), code=302)
    response.headers["Vary"] = "Accept-Language"
    return response


@bp.get("/<lang>/")
def home():
    return render_page("home", "public/home.html")


def _content_view(path):
    def view():
        return render_page(path)
    return view


for _rule, _endpoint, _path in CONTENT_PAGES:
    bp.add_url_rule(f"/<lang>{_rule}", _endpoint, _content_view(_path), methods=["GET"])


@bp.get("/<lang>/plan/<priority>")
def priority(priority):
    if priority not in PRIORITIES:
        abort(404)
    return render_page(f"plan/{priority}")


@bp.get("/<lang>/support/")
def support():
    services = current_app.extensions["sdp_services"]
    chosen = [need for need in request.args.getlist("need") if need in NEEDS]
    shown = [s for s in services if not chosen or set(chosen) & set(s.needs)]
    page = content_store().page(g.lang.code, "support")
    # A fallback page's descriptions are English: the template marks those lang="en".
    descriptions = (page.meta.get("services") or {}) if page and not page.fallback else {}
    english = content_store().page("en", "support").meta.get("services") or {}
    return render_page("support", "public/support.html", cache=False, needs=NEEDS, chosen=chosen, services=shown,
                       descriptions=descriptions, english_descriptions=english)


def search_page():
    query = request.args.get("q", "")[:MAX_QUERY_LENGTH].strip()
    results = search.find(content_store(), g.lang.code, query, current_app.extensions["sdp_services"]) if query else []
    return render_template("public/search.html", query=query, results=results,
                           too_long=len(request.args.get("q", "")) > MAX_QUERY_LENGTH)


bp.add_url_rule("/<lang>/search", "search", search_page)


@bp.get("/<lang>/exit")
def exit_page():
    """Exit this page: forget every draft this browser started, then show a neutral site.

    Reached by the button's link (no JavaScript) or by the button's script; either way
    the drafts are deleted on the server before the browser leaves.
    """
    drafts.discard()
    session.clear()
    response = redirect(current_app.config["EXIT_URL"], code=303)
    response.headers["Cache-Control"] = "no-store"
    return response
