"""Every interface string is translated into all twelve languages, and the catalogs are current."""
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import check_catalogs  # noqa: E402

LOCALES = ["ar", "zh_Hant", "ur", "pl", "pa", "bn", "hi", "es", "de", "fr", "tr", "ms"]


@pytest.mark.parametrize("locale", LOCALES)
def test_the_catalog_is_complete_with_no_empty_or_fuzzy_entries(locale):
    assert check_catalogs.problems(locale) == []


def test_the_catalogs_hold_every_string_in_the_code(tmp_path):
    """Fails when someone adds a string and forgets `make update-catalogs` and translating it."""
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-k", "N_", "--no-location", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    for locale in LOCALES:
        with open(ROOT / "sdp_public/translations" / locale / "LC_MESSAGES/messages.po", "rb") as f:
            have = {m.id for m in read_po(f) if m.id}
        assert wanted - have == set(), locale
