"""Every language has the pages people need most, each translation says what it translates,
and a translation left behind by a change to the English page is caught."""
import shutil
import textwrap
from pathlib import Path

import pytest

from sdp_public import create_app, languages, translation_status
from sdp_public.content import ContentStore

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
OTHER_LANGUAGES = [lang.code for lang in languages.LANGUAGES[1:]]


@pytest.fixture(scope="module")
def store(app):
    return app.extensions["sdp_content"]


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_required_page_is_translated_and_keeps_the_english_structure(store, lang):
    found = []
    for path in translation_status.REQUIRED_PAGES:
        found += translation_status.problems(store, lang, path)
    assert not found, "\n".join(found)


def test_no_translation_is_stale_unless_a_reviewer_has_confirmed_it(store):
    stale = [f"{e.lang}/{e.path} translates {e.translation_of}, English is {e.english_updated}"
             for e in translation_status.status(store) if e.state == "stale" and not e.reviewed]
    assert not stale, "\n".join(stale)


def _page(root, lang, path, **meta):
    target = root / lang / f"{path}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    front = "\n".join(f"{key}: {value}" for key, value in meta.items())
    target.write_text(f"---\n{front}\n---\nWords.\n", encoding="utf-8")


def test_a_change_to_the_english_page_makes_its_translations_stale(app, tmp_path):
    _page(tmp_path, "en", "home", title="Home", summary="s", updated="2026-12-01")
    _page(tmp_path, "en", "privacy", title="Privacy", summary="s", updated="2026-11-01")
    _page(tmp_path, "pl", "home", title="Start", summary="s", updated="2026-11-25",
          translation_of="2026-11-25", translated_by="t", reviewed="false")
    _page(tmp_path, "pl", "privacy", title="Prywatność", summary="s", updated="2026-11-25",
          translation_of="2026-11-01", translated_by="t", reviewed="false")
    store = ContentStore(tmp_path, app.extensions["sdp_contacts"], lambda *a, **k: "")
    states = {(e.lang, e.path): e for e in translation_status.status(store)}
    assert states["pl", "home"].state == "stale"          # English changed on 1 December
    assert states["pl", "privacy"].state == "translated"  # translates the current English
    assert states["de", "home"].state == "fallback"
    assert states["pl", "home"].required and states["pl", "privacy"].required


def test_a_translated_page_is_in_the_readers_language_with_a_notice_that_it_is_unreviewed(get):
    page = get("/ar/")
    assert page.html_attr("lang") == "ar" and page.html_attr("dir") == "rtl"
    assert page.soup.select_one(".sdp-unreviewed")  # reviewed: false in its front matter
    assert not page.soup.select(".sdp-content[lang=en]")
    assert "not yet available in your language" not in page.text
    body = page.soup.select_one(".sdp-content").get_text()
    assert sum("\u0600" <= ch <= "\u06ff" for ch in body) > 200  # Arabic, not English


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_a_priority_page_falls_back_to_english_with_a_notice_in_the_readers_language(get, lang):
    page = get(f"/{lang}/plan/prevent")
    assert page.html_attr("lang") == lang
    assert page.soup.select_one(".sdp-content[lang=en]")
    notice = page.soup.select_one(".govuk-inset-text[lang]")
    assert notice is not None and notice["lang"] == lang


def test_a_reviewed_translation_has_no_notice(app, migrated_database, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    home = content / "ar" / "home.md"
    home.write_text(home.read_text(encoding="utf-8").replace("reviewed: false", "reviewed: true"), encoding="utf-8")
    reviewed = create_app({"DATABASE_URL": migrated_database, "INSTANCE_PATH": app.config["INSTANCE_PATH"],
                           "CONTENT_DIR": str(content), "TESTING": True})
    try:
        html = reviewed.test_client().get("/ar/").get_data(as_text=True)
        assert "sdp-unreviewed" not in html
        assert "sdp-unreviewed" in reviewed.test_client().get("/ar/privacy").get_data(as_text=True)
    finally:
        reviewed.extensions["sdp_engine"].dispose()


def test_the_translations_command_lists_every_language_and_fails_on_a_broken_translation(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["content", "translations"])
    assert result.exit_code == 0, result.output
    assert "translations ok" in result.output
    for lang in OTHER_LANGUAGES:
        assert f"{lang} " in result.output


def test_a_translation_that_drops_a_contact_or_link_is_caught(app, tmp_path):
    for lang in ("en", "fr"):
        shutil.copytree(CONTENT / lang, tmp_path / lang)
    target = tmp_path / "fr" / "report" / "hate-incident.md"
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("[[phone:emergency]]", "999").replace("(lang:track)", "(lang:nowhere)"),
                      encoding="utf-8")
    store = ContentStore(tmp_path, app.extensions["sdp_contacts"], lambda *a, **k: "")
    found = " ".join(translation_status.problems(store, "fr", "report/hate-incident"))
    assert "phone" in found and "emergency" in found
    assert "lang:" in found and "nowhere" in found
