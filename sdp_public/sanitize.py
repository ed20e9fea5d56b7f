"""The one place HTML from content files is cleaned.

bleach is end of life (its last release, 6.4.0, says so); the owner chose it, so every
caller goes through sanitize_html() and swapping to nh3 is a one-file change. User input
is never rendered as HTML at all: Jinja's autoescaping is the defence for that.
"""
import bleach

ALLOWED_TAGS = frozenset({
    "a", "abbr", "blockquote", "br", "caption", "code", "div", "em", "h2", "h3", "h4", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
})
_COMMON = ["class", "id", "lang", "dir"]
ALLOWED_ATTRIBUTES = {
    "*": _COMMON,
    "a": _COMMON + ["href", "hreflang"],
    "abbr": _COMMON + ["title"],
    "th": _COMMON + ["scope"],
    "div": _COMMON + ["tabindex", "role", "aria-label"],
}
# No style attributes: the Content-Security-Policy forbids inline styles.
ALLOWED_PROTOCOLS = frozenset({"https", "mailto", "tel"})


def sanitize_html(html):
    return bleach.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        protocols=ALLOWED_PROTOCOLS, strip=True, strip_comments=True)
