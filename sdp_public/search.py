"""Site search over the content pages in the reader's language (English as fallback),
and over the support directory's services, each a result of its own.

The site has a few dozen pages, so an in-memory index built once per language and a
plain substring match beat any search engine: it works for every script, with no
stemming tables to get wrong. Casefolding makes it case-insensitive where that exists.
"""
from dataclasses import dataclass

from flask_babel import force_locale

from .public.pages import CONTENT_PAGES, FLOW_START_PAGES, PRIORITIES
from .support import NEEDS

MAX_TERMS = 10


@dataclass
class Result:
    title: str
    summary: str
    endpoint: str
    args: dict
    score: int
    fallback: bool


def _searchable():
    yield "home", "public.home", {}
    for _rule, endpoint, path in CONTENT_PAGES:
        yield path, f"public.{endpoint}", {}
    for slug in PRIORITIES:
        yield f"plan/{slug}", "public.priority", {"priority": slug}
    yield "support", "public.support", {}
    yield "business/cyber-essentials-check", "public.checker_start", {}
    for kind, slug, path in FLOW_START_PAGES:
        yield path, "report.start", {"kind": kind, "flow_slug": slug}


def _services(store, lang, services):
    """Each service as (title, summary, text, args, fallback).

    Its name as the card shows it, its description from the language's support.md (the
    English one when the language has none), and the needs it is listed under in the
    reader's words and in English (names stay English on every page, and a reader may
    well search the English words: "domestic abuse" on the Polish site finds Harbour as
    "przemoc domowa" does). The link goes to the service's card on the support page.
    """
    with force_locale("en"):
        english_needs = {n: str(label) for n, label in NEEDS.items()}
    page, english = store.page(lang, "support"), store.page("en", "support")
    own = (page.meta.get("services") or {}) if page is not None and not page.fallback else {}
    fallback_text = (english.meta.get("services") or {}) if english is not None else {}
    for service in services:
        description = (own.get(service.id) or {}).get("description")
        fallback = not description
        if fallback:
            description = (fallback_text.get(service.id) or {}).get("description", "")
        needs = " ".join(f"{NEEDS[n]} {english_needs[n]}" for n in service.needs if n in NEEDS)
        text = " ".join((service.name, description, needs))
        yield (service.display_name, description, text, {"_anchor": f"service-{service.id}"}, fallback)


def find(store, lang, query, services=()):
    terms = [t.casefold() for t in query.split()][:MAX_TERMS]
    if not terms:
        return []
    results = []

    def consider(title, summary, text, endpoint, args, fallback):
        title_cf, summary_cf, text_cf = title.casefold(), summary.casefold(), text.casefold()
        if not all(t in title_cf or t in summary_cf or t in text_cf for t in terms):
            return
        score = sum(5 * (t in title_cf) + 2 * (t in summary_cf) + min(text_cf.count(t), 10) for t in terms)
        results.append(Result(title, summary, endpoint, args, score, fallback))

    for path, endpoint, args in _searchable():
        page = store.page(lang, path)
        if page is not None:
            consider(page.title, page.summary, page.text, endpoint, args, page.fallback)
    for title, summary, text, args, fallback in _services(store, lang, services):
        consider(title, summary, text, "public.support", args, fallback)
    return sorted(results, key=lambda r: -r.score)
