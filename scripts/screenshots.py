"""Save PNG screenshots of key pages in several languages and widths, for people to review.

    make screenshots            # writes screenshots/<lang>-<page>-<width>.png
    .venv/bin/python scripts/screenshots.py --langs ar,ur,pa,bn,zh-hant --pages home,report-start \
        --widths 390,1280 --out docs/screenshots --no-errors     # a chosen few

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
LANGUAGES = ["en", "ar", "ur", "zh-hant", "pa", "bn", "pl"]
WIDTHS = [320, 768, 1280]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main(out=ROOT / "screenshots", languages=LANGUAGES, pages=PAGES, widths=WIDTHS, errors=True):
    out.mkdir(exist_ok=True)
    app = create_app()
    upgrade(app.config["DATABASE_URL"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    count = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for width in widths:
            page = browser.new_page(viewport={"width": width, "height": 900})
            for lang in languages:
                for name, path in pages.items():
                    page.goto(f"{base}/{lang}{path}")
                    page.screenshot(path=out / f"{lang}-{name}-{width}.png", full_page=True)
                    count += 1
            # error states of question pages, in both right-to-left languages
            for lang in ("ar", "ur") if errors else ():
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
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--langs", default=",".join(LANGUAGES))
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--widths", default=",".join(map(str, WIDTHS)))
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--no-errors", action="store_true", help="skip the error-state screenshots")
    args = parser.parse_args()
    main(Path(args.out), args.langs.split(","), {name: PAGES[name] for name in args.pages.split(",")},
         [int(w) for w in args.widths.split(",")], not args.no_errors)
