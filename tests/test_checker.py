"""A small business owner checks their Cyber Essentials readiness, without JavaScript."""
import re

import pytest

pytestmark = pytest.mark.db


def csrf_from(page):
    return page.soup.find("input", attrs={"name": "csrf_token"})["value"]


def radio_names(page):
    return sorted({i["name"] for i in page.soup.select("main input[type=radio]")})


def test_a_business_owner_answers_every_control_and_gets_advice(get, client):
    start = get("/en/business/cyber-essentials/check")
    begin = start.soup.select_one("main a.govuk-button--start")["href"]
    url, answers_given, steps = begin, 0, 0
    while "/result" not in url:
        page = get(url)
        steps += 1
        names = radio_names(page)
        assert names
        # Answer "no" to the first question of each control, "yes" to the rest.
        data = {name: ("no" if i == 0 else "yes") for i, name in enumerate(names)}
        data["csrf_token"] = csrf_from(page)
        response = client.post(url, data=data)
        assert response.status_code == 302
        url = response.headers["Location"]
        answers_given += len(names)
    assert steps == 5
    result = get(url)
    assert "0 of the 5" in result.text
    assert len(result.soup.select("strong.govuk-tag--orange")) == 5
    assert len(result.soup.select("main ul.govuk-list--bullet li")) == 5
    assert result.response.headers["Cache-Control"] == "no-store"


def test_missing_answers_show_an_error_summary_and_keep_the_answers_given(get, client):
    page = get("/en/business/cyber-essentials/check")
    url = page.soup.select_one("main a.govuk-button--start")["href"]
    question = get(url)
    names = radio_names(question)
    response = client.post(url, data={"csrf_token": csrf_from(question), names[0]: "yes"})
    assert response.status_code == 200
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    summary = soup.select_one(".govuk-error-summary")
    assert summary and "There is a problem" in summary.get_text()
    assert soup.title.get_text().startswith("Error:")
    links = [a["href"] for a in summary.select("a")]
    assert len(links) == len(names) - 1
    for href in links:
        assert soup.find(id=href[1:]) is not None  # each error links to its question
    assert soup.find("input", attrs={"name": names[0], "value": "yes"}).has_attr("checked")


def test_a_stale_form_keeps_the_answers_and_explains(get, client):
    url = get("/en/business/cyber-essentials/check").soup.select_one("main a.govuk-button--start")["href"]
    names = radio_names(get(url))
    response = client.post(url, data={"csrf_token": "stale", **{n: "yes" for n in names}})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Your session timed out" in html
    assert html.count("checked") >= len(names)


def test_hostile_answers_are_refused_politely(get, client):
    url = get("/en/business/cyber-essentials/check").soup.select_one("main a.govuk-button--start")["href"]
    page = get(url)
    names = radio_names(page)
    data = {n: "<script>alert(1)</script>" for n in names}
    data["csrf_token"] = csrf_from(page)
    response = client.post(url, data=data)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert client.post(url, data=b"\xff\xfe\x00", content_type="application/x-www-form-urlencoded").status_code == 200
    assert client.post(url, data="x" * 200_000, content_type="text/plain").status_code == 413


def test_an_unknown_control_is_not_found(get):
    get("/en/business/cyber-essentials/check/not-a-control", status=404)
    get("/en/business/cyber-essentials/check/..%2f..%2fsecret", status=404)


def test_the_result_page_sends_an_unfinished_check_back_to_its_questions(client):
    fresh = client.application.test_client()
    response = fresh.get("/en/business/cyber-essentials/check/result")
    assert response.status_code == 302
    assert re.search(r"/en/business/cyber-essentials/check/[a-z-]+$", response.headers["Location"])


def test_exit_this_page_deletes_the_draft_and_leaves_for_a_neutral_site(get, client, app):
    from sdp_public.models import Draft
    url = get("/en/business/cyber-essentials/check").soup.select_one("main a.govuk-button--start")["href"]
    page = get(url)
    client.post(url, data={"csrf_token": csrf_from(page), **{n: "yes" for n in radio_names(page)}})
    with client.session_transaction() as session:
        draft_id = session["drafts"]["cyber-essentials-check"]
    sessionmaker = app.extensions["sdp_sessionmaker"]
    with sessionmaker() as db:
        assert db.get(Draft, draft_id) is not None
    response = client.get("/en/exit")
    assert response.status_code == 303
    assert response.headers["Location"] == app.config["EXIT_URL"]
    with sessionmaker() as db:
        assert db.get(Draft, draft_id) is None
    with client.session_transaction() as session:
        assert "drafts" not in session


def test_questions_are_in_the_readers_language_or_marked_as_english(get, app, migrated_database, tmp_path):
    page = get("/ur/business/cyber-essentials/check")
    first = page.soup.select_one("main a.govuk-button--start")["href"]
    question = get(first)
    assert question.html_attr("dir") == "rtl"
    assert not question.soup.select("legend span[lang=en]")  # the Urdu checker is written
    assert question.soup.select_one("label").get_text(strip=True) != "Yes"  # the interface is Urdu
    # without the Urdu file, the English questions are marked so screen readers say them as English
    import shutil
    from pathlib import Path

    from sdp_public import create_app
    content = tmp_path / "content"
    shutil.copytree(Path(app.config["CONTENT_DIR"]), content)
    (content / "ur" / "business" / "cyber-essentials-check.md").unlink()
    fallback = create_app({"DATABASE_URL": migrated_database, "INSTANCE_PATH": app.config["INSTANCE_PATH"],
                           "CONTENT_DIR": str(content), "TESTING": True})
    try:
        client = fallback.test_client()
        from bs4 import BeautifulSoup
        client.get("/ur/business/cyber-essentials/check")
        soup = BeautifulSoup(client.get(first).data, "html.parser")
        assert soup.select_one("main .govuk-inset-text")
        for legend in soup.select("legend"):
            assert legend.find("span", attrs={"lang": "en", "dir": "ltr"})
    finally:
        fallback.extensions["sdp_engine"].dispose()