"""The public URL map as data: each content page's URL rule, endpoint and content file.

DESIGN.md's URLs are stable (printed leaflets link to them), so they are listed here
once; the sitemap, the search index and the tests all read this table.
"""
PRIORITIES = (
    "safe-communities", "protecting-victims", "prevent", "reducing-reoffending",
    "alcohol-and-substance-misuse", "cyber-crime",
)

# (URL rule under /<lang>, endpoint, content path). Pages with views of their own
# (home, support, the checker, search) are registered in views.py but listed here too.
CONTENT_PAGES = (
    ("/plan/", "plan", "plan/index"),
    ("/campaigns/hate-hurts", "hate_hurts", "campaigns/hate-hurts"),
    ("/campaigns/friends-against-scams", "friends_against_scams", "campaigns/friends-against-scams"),
    ("/staying-safe-online", "staying_safe_online", "staying-safe-online"),
    ("/business/cyber-essentials", "cyber_essentials", "business/cyber-essentials"),
    ("/accessibility", "accessibility", "accessibility"),
    ("/privacy", "privacy", "privacy"),
    ("/cookies", "cookies", "cookies"),
    ("/leave-this-site-safely", "leave_safely", "leave-this-site-safely"),
)

# Report, support and safety pages carry "Exit this page".
EXIT_PAGE_ENDPOINTS = frozenset({"public.support", "public.hate_hurts", "public.leave_safely", "report.start"})
# Form flows served by the report blueprint (their start pages are content too).
FLOW_START_PAGES = (
    ("report", "hate-incident", "report/hate-incident"),
    ("report", "scam-or-cyber-fraud", "report/scam-or-cyber-fraud"),
    ("request", "translation-or-format", "request/translation-or-format"),
    ("request", "awareness-session", "request/awareness-session"),
)


def public_endpoints():
    """(endpoint, view args) for every public page, for the sitemap and the tests."""
    yield "public.home", {}
    for _rule, endpoint, _path in CONTENT_PAGES:
        yield f"public.{endpoint}", {}
    for slug in PRIORITIES:
        yield "public.priority", {"priority": slug}
    yield "public.support", {}
    yield "public.checker_start", {}
    yield "public.search", {}
    for kind, slug, _path in FLOW_START_PAGES:
        yield "report.start", {"kind": kind, "flow_slug": slug}
    yield "report.track", {}
