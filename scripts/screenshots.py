"""Save PNG screenshots of key pages in several languages and widths, for people to review.

    make screenshots            # writes screenshots/<lang>-<page>-<width>.png

Serves the app on a free loopback port (embedded defaults in a temporary instance) and
drives Debian's Chromium. Full-page captures; the RTL ones show the mirrored layout.
"""
import os
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDP_INSTANCE_PATH", tempfile.mkdtemp(prefix="sdp-shots-"))

from sdp_public import create_app  # noqa: E402
from sdp_public.cli import upgrade  # noqa: E402

PAGES = {"home": "/", "plan": "/plan/", "priority": "/plan/alcohol-and-substance-misuse",
         "support": "/support/", "hate-hurts": "/campaigns/hate-hurts",
         "checker-question": "/business/cyber-essentials/check/firewalls", "not-found": "/no-such-page",
         "report-start": "/report/hate-incident/", "report-question": "/report/hate-incident/who"}
LANGUAGES = ["en", "ar", "ur", "zh-hant", "pa", "pl"]
WIDTHS = [320, 768, 1280]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main(out=ROOT / "screenshots"):
    out.mkdir(exist_ok=True)
    app = create_app()
    upgrade(app.config["DATABASE_URL"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    count = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            for lang in LANGUAGES:
                for name, path in PAGES.items():
                    page.goto(f"{base}/{lang}{path}")
                    page.screenshot(path=out / f"{lang}-{name}-{width}.png", full_page=True)
                    count += 1
            # error states of question pages, in both right-to-left languages
            for lang in ("ar", "ur"):
                for name in ("checker-question", "report-question"):
                    page.goto(f"{base}/{lang}{PAGES[name]}")
                    page.click("main form button[type=submit]")
                    page.screenshot(path=out / f"{lang}-{name}-errors-{width}.png", full_page=True)
                    count += 1
            page.close()
        browser.close()
    server.shutdown()
    print(f"{count} screenshots in {out}")


if __name__ == "__main__":
    main()
