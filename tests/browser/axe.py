"""Run axe-core (from npm, node_modules/axe-core) in a Playwright page.

Exceptions live in axe_exceptions.toml with their reasons; the accessibility statement
lists the same ones. There are none today.
"""
import tomllib
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[2]
AXE_SOURCE = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
with open(Path(__file__).with_name("axe_exceptions.toml"), "rb") as f:
    EXCEPTIONS = tomllib.load(f).get("exception", [])


def _run(page):
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)  # evaluate runs in the page without breaking its CSP
    return page.evaluate("opts => axe.run(document, opts)",
                         {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})


def violations(page):
    """axe's WCAG 2.2 A/AA violations on the page, minus the documented exceptions.

    A click's navigation can commit a moment after the click returns: axe then starts on
    the old document and fails when it is replaced (a CI run failed so: "Cannot read
    properties of null (reading 'documentElement')"). Then the new page is waited for and
    checked instead; the page checked is always the one the browser ends up showing."""
    for attempt in range(3):
        try:
            result = _run(page)
            break
        except PlaywrightError:
            if attempt == 2:  # not a navigation: the same failure three times
                raise
    found = []
    for violation in result["violations"]:
        nodes = [n for n in violation["nodes"] if not _excepted(violation["id"], page.url, n["target"])]
        if nodes:
            found.append({"id": violation["id"], "impact": violation["impact"],
                          "targets": [n["target"] for n in nodes][:5], "help": violation["help"]})
    return found


def _excepted(rule, url, target):
    return any(e["rule"] == rule and e.get("url_contains", "") in url and
               e.get("target_contains", "") in " ".join(map(str, target)) for e in EXCEPTIONS)
