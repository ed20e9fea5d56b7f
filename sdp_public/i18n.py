"""Which language a request is in, and the language-prefixed URL machinery.

Every public URL starts with a language code. The prefix is validated before any view
runs; an unknown one is a 404 that lists the languages we publish in.
"""
from flask import abort, g, request, url_for
from flask_babel import Domain, get_locale

from . import languages
from .extensions import babel


class RequestDomain(Domain):
    """flask-babel's Domain, the request's translations looked up once: flask-babel finds
    them anew for every string (its context, the locale's name built, a cache lookup),
    which was a fifth of a check answers page. Kept in `g` with the locale they are for,
    and used while flask-babel's locale for the request is still that one (force_locale,
    for an email in the reporter's language, puts another in its place)."""

    def get_translations(self):
        try:
            state = g._get_current_object().__dict__
        except RuntimeError:  # no app context: flask-babel's own answer
            return super().get_translations()
        cached = state.get("sdp_translations")
        if cached is not None and cached[0] is getattr(state.get("_flask_babel"), "babel_locale", None):
            return cached[1]
        locale = get_locale()
        translations = super().get_translations()
        state["sdp_translations"] = (locale, translations)
        return translations


def current_language():
    lang = g.get("lang")
    if lang is None and request:
        # No route matched (a 404 or 405): the address may still start with a language.
        first_segment = request.path.lstrip("/").split("/", 1)[0]
        lang = languages.get(first_segment) or languages.best_match(request.accept_languages)
    return lang or languages.DEFAULT


def select_locale():
    return current_language().locale


def pull_lang(endpoint, values):
    """url_value_preprocessor for language-prefixed blueprints."""
    if not values or "lang" not in values:
        return  # the root URL, which picks a language itself
    code = values.pop("lang")
    lang = languages.get(code)
    if lang is None:
        g.unknown_language = True
        abort(404)
    g.lang = lang


def add_lang(endpoint, values):
    """url_defaults: links stay in the reader's language unless told otherwise."""
    if "lang" not in values and g.get("lang") is not None:
        values["lang"] = g.lang.code


def alternates():
    """(Language, absolute-path URL) for this page in every language: hreflang and switcher."""
    if "alternates" not in g:
        g.alternates = _alternates()
    return g.alternates


_SLOT = "sdp-lang-slot"  # built into one URL, then replaced by each language's code


def _alternates():
    rule = request.url_rule
    same_page = rule is not None and rule.rule.startswith("/<lang>") and g.get("lang") is not None
    if not same_page:  # error pages and pages outside the language tree: each language's home page
        home = url_for("public.home", lang=_SLOT)
        return [(lang, home.replace(_SLOT, lang.code, 1)) for lang in languages.LANGUAGES]
    # The language is the first segment of every such URL: build the page's URL once (a
    # dozen url_for calls were a fifteenth of a page) and put each code in its place.
    url = url_for(request.endpoint, **(request.view_args or {}), lang=_SLOT)
    head, _, tail = url.partition("/" + _SLOT)
    return [(lang, f"{head}/{lang.code}{tail}") for lang in languages.LANGUAGES]


def init_app(app):
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations",
                   default_domain="messages")
    babel.domain_instance = domain = RequestDomain(domain="messages")
    # The templates' strings straight from the domain (flask-babel's callables find the
    # domain through its context for each one first).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.globals.update(current_language=current_language, alternates=alternates,
                                 LANGUAGES=languages.LANGUAGES)
