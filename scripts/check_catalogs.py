"""Check every translation catalog is complete: no empty or fuzzy entries, placeholders kept.

Usage: python scripts/check_catalogs.py [locale ...]   (the test suite runs the same check)
"""
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent / "sdp_public" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def problems(locale):
    with open(ROOT / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale=locale)
    found = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            found.append(f"{locale}: fuzzy: {ids[0]!r}")
        if not all(s and s.strip() for s in strings):
            found.append(f"{locale}: untranslated: {ids[0]!r}")
            continue
        expected = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for s in strings:
            got = set(PLACEHOLDER.findall(s))
            # A plural form may drop %(num)d (Arabic "one" and "two" forms, for example)
            if not got <= expected or (len(strings) == 1 and got != expected):
                found.append(f"{locale}: placeholders {sorted(got)} != {sorted(expected)} in {ids[0]!r}")
    return found


if __name__ == "__main__":
    locales = sys.argv[1:] or sorted(p.name for p in ROOT.iterdir() if p.is_dir())
    all_problems = [p for locale in locales for p in problems(locale)]
    print("\n".join(all_problems) or f"complete: {', '.join(locales)}")
    sys.exit(1 if all_problems else 0)
