"""Which pages exist in which language, whether each translation is current, and whether
a translation keeps the English page's structure (its contacts, charts, links and ids).

The English page's `updated` date is the version; a translation records the version it
translates in `translation_of`. When the English page changes in meaning its `updated`
moves on, and every translation of the older version shows as stale until a translator
updates it (or a fluent reviewer confirms it still says the same and marks it reviewed).
"""
import datetime
import re
from dataclasses import dataclass

from . import languages

# The pages every language must have (issue 7): the rest fall back to English, with a
# notice in the reader's language.
REQUIRED_PAGES = (
    "home", "plan/index",
    "campaigns/hate-hurts", "campaigns/friends-against-scams", "staying-safe-online",
    "business/cyber-essentials", "business/cyber-essentials-check", "support",
    "accessibility", "privacy", "cookies", "leave-this-site-safely",
    "report/hate-incident", "report/scam-or-cyber-fraud",
    "request/translation-or-format", "request/awareness-session",
)
# A translation of these may be a summary: it may leave out some of the English
# page's sections (and their contacts and links), and link to the pages it summarises.
SUMMARY_PAGES = frozenset({"plan/index"})

_PLACEHOLDER = re.compile(r"\[\[([a-z]+):([a-z0-9-]+)\]\]")
_LANG_LINK = re.compile(r"\]\(lang:([^)\s]*)\)")


@dataclass
class Entry:
    lang: str
    path: str
    state: str                 # "translated", "stale", "fallback"
    english_updated: object    # datetime.date
    translation_of: object = None
    translated_by: str = ""
    reviewed: bool = False
    required: bool = False


def _date(value):
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def status(store):
    """An Entry per (non-English language, English page)."""
    entries = []
    english_updated = {path: _date(store.load_meta("en", path).get("updated")) for path in store.all_paths()}
    for lang in languages.LANGUAGES[1:]:
        for path, english in english_updated.items():
            meta = store.load_meta(lang.code, path)
            required = path in REQUIRED_PAGES
            if meta is None:
                entries.append(Entry(lang.code, path, "fallback", english, required=required))
                continue
            of = _date(meta.get("translation_of"))
            stale = of is None or (english is not None and of < english)
            entries.append(Entry(
                lang.code, path, "stale" if stale else "translated", english, of,
                str(meta.get("translated_by") or ""), meta.get("reviewed") is True, required,
            ))
    return entries


def problems(store, lang, path):
    """What is wrong with one translated page's structure; [] when it is sound."""
    post, english = store.load_source(lang, path), store.load_source("en", path)
    if post is None:
        return [f"{lang}/{path}: missing"]
    found = []
    meta, english_meta = post.metadata, english.metadata
    for key in ("title", "summary", "updated", "translation_of", "translated_by"):
        if not meta.get(key):
            found.append(f"{lang}/{path}: front matter has no {key}")
    if not isinstance(meta.get("reviewed"), bool):
        found.append(f"{lang}/{path}: front matter 'reviewed' must be true or false")
    body, english_body = post.content, english.content
    mine, theirs = set(_PLACEHOLDER.findall(body)), set(_PLACEHOLDER.findall(english_body))
    links, english_links = set(_LANG_LINK.findall(body)), set(_LANG_LINK.findall(english_body))
    if path in SUMMARY_PAGES:
        extra = mine - theirs
        if extra:
            found.append(f"{lang}/{path}: placeholders not in the English page: {sorted(extra)}")
        unknown = {link for link in links - english_links if not store.exists(link.rstrip("/") or "home")
                   and not store.exists(link.rstrip("/") + "/index")}
        if unknown:
            found.append(f"{lang}/{path}: links to pages that do not exist: {sorted(unknown)}")
    else:
        if mine != theirs:
            found.append(f"{lang}/{path}: placeholders differ from English: "
                         f"missing {sorted(theirs - mine)}, extra {sorted(mine - theirs)}")
        if links != english_links:
            found.append(f"{lang}/{path}: lang: links differ from English: "
                         f"missing {sorted(english_links - links)}, extra {sorted(links - english_links)}")
    found += _same_ids(lang, path, meta, english_meta)
    return found


def _same_ids(lang, path, meta, english_meta):
    """Front matter that is data (checker questions, service descriptions, charts) must
    cover the same ids as the English, with words for each."""
    found = []
    if "controls" in english_meta:
        want = {(c["id"], q["id"]) for c in english_meta["controls"] for q in c["questions"]}
        have = set()
        for control in meta.get("controls") or []:
            if not (control.get("title") and control.get("summary")):
                found.append(f"{lang}/{path}: control {control.get('id')} needs title and summary")
            for q in control.get("questions") or []:
                have.add((control.get("id"), q.get("id")))
                if not all(q.get(k) for k in ("text", "hint", "advice")):
                    found.append(f"{lang}/{path}: question {q.get('id')} needs text, hint and advice")
        if have != want:
            found.append(f"{lang}/{path}: checker questions differ: missing {sorted(want - have)}, "
                         f"extra {sorted(have - want)}")
    if "services" in english_meta:
        want, have = set(english_meta["services"]), set(meta.get("services") or {})
        if have != want:
            found.append(f"{lang}/{path}: services differ: missing {sorted(want - have)}, extra {sorted(have - want)}")
        for ident, service in (meta.get("services") or {}).items():
            if not (service or {}).get("description"):
                found.append(f"{lang}/{path}: service {ident} has no description")
    for ident, chart in (meta.get("charts") or {}).items():
        english = (english_meta.get("charts") or {}).get(ident)
        if english is None:
            found.append(f"{lang}/{path}: chart {ident} is not in the English page")
        elif [s.get("values") for s in chart.get("series", [])] != [s.get("values") for s in english["series"]]:
            found.append(f"{lang}/{path}: chart {ident} figures differ from the English page")
    return found
