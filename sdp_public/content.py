"""Pages from content/<lang>/*.md: front matter, Markdown, sanitising, charts, contacts.

A page is rendered once per (reader's language, path) and cached for the process: the
Markdown parse and bleach pass cost milliseconds, a cache hit costs a dict lookup. A
missing translation falls back to English, and the page says so in the reader's language.
"""
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
from flask_babel import gettext
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from . import charts, languages
from .sanitize import sanitize_html

# Only these characters may name a page: no dots, so no traversal, whatever the route.
_PAGE_PATH = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:-[a-z0-9]+)*)*$")
_HEADING_OPEN = re.compile(r"<h([1-6])[\s>]")
_BLOCK_PLACEHOLDER = re.compile(r"<p[^>]*>\[\[(chart|contact):([a-z0-9-]+)\]\]</p>")
_INLINE_PLACEHOLDER = re.compile(r"\[\[(phone|text|email|web):([a-z0-9-]+)\]\]")

_CLASSES = {
    "h2": "govuk-heading-l", "h3": "govuk-heading-m", "h4": "govuk-heading-s",
    "p": "govuk-body", "ul": "govuk-list govuk-list--bullet", "ol": "govuk-list govuk-list--number",
    "a": "govuk-link", "blockquote": "govuk-inset-text", "hr": "govuk-section-break govuk-section-break--m govuk-section-break--visible",
    "table": "govuk-table", "thead": "govuk-table__head", "tbody": "govuk-table__body",
    "tr": "govuk-table__row", "th": "govuk-table__header", "td": "govuk-table__cell",
}


class ContentError(ValueError):
    """A content file is malformed (bad front matter, unknown chart or contact)."""


@dataclass
class Page:
    path: str
    lang: str             # the language the text is in
    title: str
    summary: str
    html: Markup
    meta: dict
    text: str             # plain text, for search
    fallback: bool = False  # True when English is shown to a reader of another language
    headings: list = field(default_factory=list)


def _markdown():
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    return md


class ContentStore:
    def __init__(self, content_dir, contacts, render_template):
        self.root = Path(content_dir)
        self.contacts = contacts
        self._render_template = render_template  # (template name, **context) -> str
        self._md = _markdown()
        self._cache = {}
        self._lock = threading.Lock()

    # -- finding files -------------------------------------------------------
    def source_file(self, lang, path):
        if not isinstance(path, str) or not _PAGE_PATH.match(path) or languages.get(lang) is None:
            return None
        candidate = self.root / lang / f"{path}.md"
        return candidate if candidate.is_file() else None

    def exists(self, path):
        return self.source_file("en", path) is not None

    def all_paths(self):
        base = self.root / "en"
        return sorted(str(p.relative_to(base).with_suffix("")) for p in base.rglob("*.md"))

    def load_source(self, lang, path):
        """The page's file parsed (front matter as .metadata, Markdown as .content), or None."""
        source = self.source_file(lang, path)
        return frontmatter.load(source) if source else None

    def load_meta(self, lang, path):
        post = self.load_source(lang, path)
        return post.metadata if post else None

    # -- rendering -----------------------------------------------------------
    def page(self, reader_lang, path):
        """The page for a reader, in their language or English; None if there is none."""
        key = (reader_lang, path)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        page = self._render(reader_lang, path)
        if page is not None:
            with self._lock:
                self._cache[key] = page
        return page

    def _render(self, reader_lang, path):
        source = self.source_file(reader_lang, path)
        text_lang = reader_lang
        if source is None:
            source, text_lang = self.source_file("en", path), "en"
        if source is None:
            return None
        post = frontmatter.load(source)
        meta = post.metadata
        if not meta.get("title"):
            raise ContentError(f"{source}: no title in front matter")
        tokens = self._md.parse(post.content)
        headings = self._decorate(tokens, reader_lang)
        html = sanitize_html(self._md.renderer.render(tokens, self._md.options, {}))
        html = self._wrap_tables(html, reader_lang)
        html = self._expand_placeholders(html, meta, reader_lang, source, text_lang)
        return Page(
            path=path, lang=text_lang, title=str(meta["title"]), summary=str(meta.get("summary", "")),
            html=Markup(html), meta=meta, text=_plain(post.content), fallback=text_lang != reader_lang,
            headings=headings,
        )

    def _decorate(self, tokens, reader_lang):
        """GOV.UK classes on every element, ids on h2s, lang: links to the reader's prefix."""
        headings = []
        for index, token in enumerate(tokens):
            if token.type.endswith("_open") and token.tag in _CLASSES:
                token.attrSet("class", _CLASSES[token.tag])
                if token.tag in ("th", "td"):
                    align = (token.attrGet("style") or "").removeprefix("text-align:")
                    token.attrs.pop("style", None)
                    if align == "right":
                        token.attrSet("class", _CLASSES[token.tag] + f" {_CLASSES[token.tag]}--numeric")
                if token.tag == "h2":
                    anchor = f"section-{len(headings) + 1}"
                    token.attrSet("id", anchor)
                    headings.append((anchor, tokens[index + 1].content))
            for child in token.children or ():
                if child.type == "link_open":
                    child.attrSet("class", "govuk-link")
                    href = child.attrGet("href") or ""
                    if href.startswith("lang:"):
                        child.attrSet("href", f"/{reader_lang}/{href[5:]}")
        return headings

    @staticmethod
    def _wrap_tables(html, reader_lang="en"):
        # A wide table scrolls inside its own focusable region, never the page (WCAG 1.4.10),
        # with a hint above it on a narrow screen (the stylesheet shows it only when needed).
        # Each region needs its own name when a page has several tables (axe landmark-unique).
        hint = escape(gettext("Scroll sideways to see the whole table"))
        reader = languages.get(reader_lang) or languages.DEFAULT
        count = html.count('<table class="govuk-table">')
        numbers = iter(range(1, count + 1))

        def wrap(_match):
            if count == 1:
                label = gettext("Table (scroll sideways to see all of it)")
            else:
                label = gettext("Table %(number)d of %(count)d (scroll sideways to see all of it)",
                                number=next(numbers), count=count)
            return (f'<div class="sdp-table"><p class="sdp-table__hint" aria-hidden="true" lang="{reader.code}" '
                    f'dir="{reader.dir}">{hint}</p>'
                    f'<div class="sdp-table-scroll" tabindex="0" role="region" aria-label="{escape(label)}">'
                    '<table class="govuk-table">')
        return re.sub('<table class="govuk-table">', wrap, html).replace("</table>", "</table></div></div>")

    def _expand_placeholders(self, html, meta, reader_lang, source, text_lang=None):
        language = languages.get(reader_lang)
        # A chart follows the text it is in: English fallback on an Arabic page is left to right.
        text_language = languages.get(text_lang or reader_lang)

        def block(match):
            kind, ident = match.groups()
            if kind == "chart":
                chart = (meta.get("charts") or {}).get(ident)
                if chart is None:
                    raise ContentError(f"{source}: no chart '{ident}' in front matter")
                geometry = charts.layout(chart, language.locale, direction=text_language.dir)
                return self._render_template("public/_chart.html", chart=chart, chart_id=ident,
                                             geometry=geometry, chart_lang=text_language.code)
            # The card's name is a heading one level below the section it sits in (h2 straight
            # under the page's h1), so headings never skip a level.
            levels = _HEADING_OPEN.findall(match.string, 0, match.start())
            level = min(int(levels[-1]) + 1, 4) if levels else 2
            return self._render_template("public/_contact.html", contact=self._contact(ident, source),
                                         heading_level=level)

        def inline(match):
            kind, ident = match.groups()
            contact = self._contact(ident, source)
            value = {"phone": contact.phone, "text": contact.text, "email": contact.email, "web": contact.url}[kind]
            if not value:
                raise ContentError(f"{source}: contact '{ident}' has no {kind}")
            href = {"phone": f"tel:{contact.tel}", "text": f"sms:{contact.text.replace(' ', '')}",
                    "email": f"mailto:{contact.email}", "web": contact.url}[kind]
            label = contact.url_label if kind == "web" else value
            # dir="ltr": a phone number or address must not be reordered inside Arabic or Urdu
            return f'<a class="govuk-link" href="{escape(href)}" dir="ltr">{escape(label)}</a>'

        html = _BLOCK_PLACEHOLDER.sub(block, html)
        return _INLINE_PLACEHOLDER.sub(inline, html)

    def _contact(self, ident, source):
        try:
            return self.contacts[ident]
        except KeyError:
            raise ContentError(f"{source}: no contact '{ident}' in contacts.toml") from None


def _plain(markdown_text):
    text = re.sub(r"\[\[[a-z]+:[a-z0-9-]+\]\]", " ", markdown_text)
    text = re.sub(r"[#*_`>|\[\]()-]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()
