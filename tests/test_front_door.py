"""The front door: what a client's headers can and cannot change. Real gunicorn with
deploy/gunicorn.conf.py in production mode (Redis, SITE_URL, SMTP), one instance that
trusts no proxy (the default) and one that trusts a proxy on 127.0.0.1 (as behind nginx)."""
import pytest
import requests
from bs4 import BeautifulSoup

from sdp_test_helpers import HATE_ANSWERS, Instance, Redis, csrf, csrf_of, environment, free_port, walk_report

pytestmark = pytest.mark.db

SITE = "https://safedurham.example"
PAGES = ["/en/", "/en/plan/", "/ar/plan/", "/en/report/hate-incident/who"]


def production_env(app, database_url, folder, redis_url, **extra):
    env = environment(app, database_url, folder, SDP_ENV="production", SDP_REDIS_URL=redis_url, SDP_SITE_URL=SITE,
                      SDP_TRUSTED_HOSTS="127.0.0.1", SDP_SMTP_URL=f"smtp://127.0.0.1:{free_port()}",
                      SDP_TRACK_RATE_LIMIT="3 per minute", SDP_CLAMD_ADDRESS="unix:/run/clamav/clamd.ctl", **extra)
    for partner in app.extensions["sdp_router"].partners.values():
        env[partner.mailbox_env] = f"{partner.slug}@partners.example"
    return env


@pytest.fixture(scope="module")
def servers(app, migrated_database, tmp_path_factory):
    redis = Redis()
    redis.start()
    folder = tmp_path_factory.mktemp("front-door")
    # Straight to gunicorn (no nginx of our own in front): these tests are about what the
    # app itself believes of a peer's headers; tests/test_proxy.py covers nginx's part.
    plain = Instance(production_env(app, migrated_database, folder, redis.url.replace("/0", "/1")), folder, "plain",
                     proxied=False)
    proxied = Instance(production_env(app, migrated_database, folder, redis.url.replace("/0", "/2"),
                                      SDP_TRUSTED_PROXIES="127.0.0.1"), folder, "proxied", proxied=False)
    for server in (plain, proxied):
        server.start()
    yield {"plain": plain, "proxied": proxied}
    for server in (plain, proxied):
        server.stop()
    redis.stop()


class Browser:
    """One client over plain HTTP to a production server, which sets Secure cookies: the
    session cookie is carried by hand, as a browser behind the TLS proxy would."""

    def __init__(self, base, **headers):
        self.base, self.headers, self.cookie = base, headers, None

    def request(self, method, path, headers=None, **kwargs):
        sent = {**self.headers, **(headers or {})}
        if self.cookie:
            sent["Cookie"] = self.cookie
        response = requests.request(method, self.base + path, headers=sent, allow_redirects=False, timeout=10,
                                    **kwargs)
        if "sdp_session=" in response.headers.get("Set-Cookie", ""):
            self.cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        return response

    def track(self, headers=None):
        page = self.request("GET", "/en/track", headers=headers)
        assert page.status_code == 200, page.status_code
        return self.request("POST", "/en/track", headers=headers, data={
            "csrf_token": csrf(page.text), "reference": "HC-AAAA-AAAA", "receipt": "x" * 24}).status_code


def test_forged_forwarded_for_does_not_reset_a_limit(servers):
    """With no trusted proxy, X-Forwarded-For is the client's own words: each attempt
    claiming a new address still counts against the socket's address."""
    browser = Browser(servers["plain"].url)
    statuses = [browser.track({"X-Forwarded-For": f"198.51.100.{i}", "X-Real-IP": f"198.51.100.{i}",
                               "Forwarded": f"for=198.51.100.{i}"}) for i in range(1, 7)]
    assert statuses[:3] == [200, 200, 200] and set(statuses[3:]) == {429}, statuses


def test_a_trusted_proxy_identifies_the_client(servers):
    """Behind the proxy every client arrives from 127.0.0.1: the address the proxy
    appended is the client, and what the client put before it is ignored."""
    base = servers["proxied"].url
    for i in range(1, 6):  # five clients, one attempt each: none is limited by the others
        assert Browser(base).track({"X-Forwarded-For": f"198.51.100.{i}"}) == 200
    browser = Browser(base)
    statuses = [browser.track({"X-Forwarded-For": f"10.{i}.0.1, 198.51.100.77"}) for i in range(5)]
    assert statuses[:3] == [200, 200, 200] and set(statuses[3:]) == {429}, statuses


HOSTILE = [
    ("/evil", {"SCRIPT_NAME": "/evil"}),
    ("/evil", {"SCRIPT-NAME": "/evil"}),
    ("", {"SCRIPT_NAME": ""}),
    ("", {"X-Forwarded-Prefix": "/evil", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http",
          "X-Forwarded-Port": "666", "X-Forwarded-For": "198.51.100.66"}),
    ("", {"Host": "evil.example"}),
    ("", {"Host": "evil.example:443", "X-Forwarded-Host": "safedurham.example"}),
]


@pytest.mark.parametrize("which", ["plain", "proxied"])
def test_no_request_header_changes_a_cached_page_for_the_next_reader(servers, which):
    """Hostile script-root, host, scheme and prefix headers sent to every worker many
    times (each on a new connection), then clean readers: their links are clean."""
    base = servers[which].url
    for prefix, headers in HOSTILE:
        for _ in range(6):  # two sync workers: six tries each reach both
            for page in PAGES:
                response = requests.get(base + prefix + page, headers=headers, allow_redirects=False, timeout=10)
                assert response.status_code < 500, (prefix, headers, page, response.status_code)
    for _ in range(6):
        for page in PAGES:
            response = requests.get(base + page, timeout=10)
            assert response.status_code == 200, page
            assert "evil" not in response.text and "666" not in response.text, page
            soup = BeautifulSoup(response.text, "html.parser")
            links = [a.get("href") for a in soup.find_all("a")] + [f.get("action") for f in soup.find_all("form")]
            local = [link for link in links if link and ":" not in link.split("/")[0] and not link.startswith("#")]
            assert local and all(not link.startswith("//") for link in local), local
            assert soup.select_one("header a")["href"].startswith("/"), page


@pytest.mark.parametrize("which, headers", [
    ("plain", {"Host": "evil.example"}),
    ("plain", {"Host": "safedurham.example.evil.example"}),
    ("proxied", {"X-Forwarded-Host": "evil.example"}),
])
def test_a_wrong_host_gets_our_400_page(servers, which, headers):
    response = requests.get(servers[which].url + "/en/plan/", headers=headers, timeout=10)
    assert response.status_code == 400
    page = BeautifulSoup(response.text, "html.parser")
    assert page.h1.get_text(strip=True) == "Sorry, there is a problem with your request"
    assert page.find("html").get("lang") == "en"
    assert "evil" not in response.text
    own = requests.get(servers[which].url + "/en/plan/", headers={"Host": "safedurham.example"}, timeout=10)
    assert own.status_code == 200


def test_the_site_host_and_script_root_come_from_site_url(app, migrated_database, tmp_path, monkeypatch):
    """A site under a path: its links carry SITE_URL's path whatever SCRIPT_NAME the server
    hands over, absolute links name SITE_URL once, and other hosts are refused."""
    from sdp_public import create_app
    monkeypatch.setenv("SDP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SDP_SITE_URL", "https://example.org/safe")
    site = create_app({"DATABASE_URL": migrated_database, "SEALING_KEYS": app.config["SEALING_KEYS"]})
    client = site.test_client()
    for path, script_name, status in (("/safe/en/plan/", "", 200), ("/en/plan/", "/safe", 200),
                                      ("/safe/en/plan/", "/evil", 404), ("/en/plan/", "/evil", 404)):
        response = client.get(path, base_url="https://example.org", environ_overrides={"SCRIPT_NAME": script_name})
        assert response.status_code == status, (path, script_name)
        links = [a.get("href") for a in BeautifulSoup(response.data, "html.parser").select("header a, nav a")]
        assert links and all(link.startswith("/safe/") for link in links if link.startswith("/")), links
        assert "/evil" not in response.get_data(as_text=True)
    sitemap = client.get("/safe/sitemap.xml", base_url="https://example.org").get_data(as_text=True)
    assert "https://example.org/safe/en/" in sitemap and "/safe/safe/" not in sitemap
    assert client.get("/safe/en/", base_url="https://evil.example").status_code == 400
    site.extensions["sdp_engine"].dispose()


def test_question_pages_and_new_drafts_are_limited_per_client(app, migrated_database, tmp_path, monkeypatch):
    """A script posting answers (250 drafts in 12 s) is stopped: the step POSTs per client,
    and the new drafts per client, each with our translated 429 page."""
    from sdp_public import create_app
    monkeypatch.setenv("SDP_INSTANCE_PATH", str(tmp_path))
    site = create_app({"DATABASE_URL": migrated_database, "REPORT_MINIMUM_SECONDS": 0,
                       "SEALING_KEYS": app.config["SEALING_KEYS"],  # its drafts go in the shared database
                       "STEP_RATE_LIMIT": "1000 per minute", "DRAFT_START_LIMIT": "3 per hour"})

    def first_answer(client, lang="en"):
        page = client.get(f"/{lang}/report/hate-incident/who")
        return client.post(f"/{lang}/report/hate-incident/who", data={
            "csrf_token": csrf_of(BeautifulSoup(page.data, "html.parser")), **HATE_ANSWERS["who"]})

    address = {"REMOTE_ADDR": "198.51.100.31"}
    statuses = []
    for _ in range(5):  # a new cookie each time: each first answer starts a new draft
        client = site.test_client()
        client.environ_base.update(address)
        statuses.append(first_answer(client, "pl").status_code)
    assert statuses[:3] == [302, 302, 302] and set(statuses[3:]) == {429}, statuses
    limited = site.test_client()
    limited.environ_base.update(address)
    page = first_answer(limited, "pl")
    assert page.status_code == 429 and 'lang="pl"' in page.get_data(as_text=True)
    assert "999" in page.get_data(as_text=True)
    other = site.test_client()  # another client is not held back
    other.environ_base["REMOTE_ADDR"] = "198.51.100.32"
    assert first_answer(other).status_code == 302
    # a draft already started goes on: answering its pages starts nothing new
    walker = site.test_client()
    walker.environ_base["REMOTE_ADDR"] = "198.51.100.33"
    walk_report(walker, "en", HATE_ANSWERS)
    walker.get("/en/exit")  # leave no answers in the shared database

    site.config.update(STEP_RATE_LIMIT="4 per minute", DRAFT_START_LIMIT="1000 per hour")
    client = site.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.34"
    statuses = [first_answer(client, "de").status_code for _ in range(6)]
    assert statuses[:4] == [302] * 4 and set(statuses[4:]) == {429}, statuses
    site.extensions["sdp_engine"].dispose()


def test_which_peers_are_trusted_proxies():
    from sdp_public.front_door import FrontDoor
    door = FrontDoor(None, ["10.0.0.0/8", "2001:db8::1", "unix"])
    for peer in ("10.1.2.3", "::ffff:10.1.2.3", "2001:db8::1", ""):  # "": gunicorn on a unix socket
        assert door.trusted(peer), peer
    for peer in ("11.0.0.1", "2001:db8::2", "unknown", "10.1.2.3, 11.0.0.1"):
        assert not door.trusted(peer), peer
    assert not FrontDoor(None, []).trusted("") and not FrontDoor(None, []).trusted("127.0.0.1")
