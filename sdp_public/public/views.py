"""The public blueprint: the plan, campaigns, guidance, support directory and search."""
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for

from .. import drafts, i18n, languages, search
from ..security import NONCE_SLOT, csp_nonce, nonce_placeholder
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
    once per process and reused: the per-response CSP nonce is put into the cached HTML
    with a string replace, so a cached page costs little more than "hello world".
    """
    cache = not context if cache is None else cache
    key = (g.lang.code, path, template, request.endpoint)
    pages = current_app.extensions["sdp_page_cache"]
    if cache and key in pages:
        return pages[key].replace(NONCE_SLOT, csp_nonce())
    page = content_store().page(g.lang.code, path)
    if page is None:
        abort(404)
    if not cache:
        return render_template(template, page=page, exit_page=request.endpoint in EXIT_PAGE_ENDPOINTS, **context)
    with nonce_placeholder():
        html = render_template(template, page=page, exit_page=request.endpoint in EXIT_PAGE_ENDPOINTS, **context)
    pages[key] = html
    return html.replace(NONCE_SLOT, csp_nonce())


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
    results = search.find(content_store(), g.lang.code, query) if query else []
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
