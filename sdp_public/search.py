"""Site search over the content pages in the reader's language (English as fallback).

The site has a few dozen pages, so an in-memory index built once per language and a
plain substring match beat any search engine: it works for every script, with no
stemming tables to get wrong. Casefolding makes it case-insensitive where that exists.
"""
from dataclasses import dataclass

from .public.pages import CONTENT_PAGES, FLOW_START_PAGES, PRIORITIES

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


def find(store, lang, query):
    terms = [t.casefold() for t in query.split()][:MAX_TERMS]
    if not terms:
        return []
    results = []
    for path, endpoint, args in _searchable():
        page = store.page(lang, path)
        if page is None:
            continue
        title, summary, text = page.title.casefold(), page.summary.casefold(), page.text.casefold()
        if not all(t in title or t in summary or t in text for t in terms):
            continue
        score = sum(5 * (t in title) + 2 * (t in summary) + min(text.count(t), 10) for t in terms)
        results.append(Result(page.title, page.summary, endpoint, args, score, page.fallback))
    return sorted(results, key=lambda r: -r.score)
