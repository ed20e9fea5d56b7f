"""Helpers shared by the tests, in this one module (tests/ is on pytest's pythonpath); no
test module imports another.

- Report journeys: answer sets and walking a form through the test client.
- The database side: sealed answers, delivering the outbox, drafts.
- Staff: accounts and signed-in clients (a fresh sign-in every time: nothing is cached).
- Real processes for the scale-out and fault tests: gunicorn app instances on loopback
  ports, each behind its own nginx (deploy/nginx.conf, as in production), a private Redis,
  and `flask outbox deliver` workers, all sharing one database.
"""
import getpass
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The database engine the suite runs on, and where it creates PostgreSQL databases.
ENGINE = os.environ.get("SDP_TEST_DATABASE", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get("SDP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp_server(handler):
    """A real SMTP server (aiosmtpd) on loopback handing what it receives to `handler`,
    whose `port` it sets; a context manager that stops the server on leaving."""
    import contextlib

    @contextlib.contextmanager
    def running():
        from aiosmtpd.controller import Controller
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        handler.port = controller.port
        try:
            yield handler
        finally:
            controller.stop()
    return running()


class Inbox:
    """An aiosmtpd handler that keeps what it receives; `refuse` makes it answer 451."""

    def __init__(self):
        self.messages = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 Requested action aborted: try again later"
        self.messages.append(envelope)
        return "250 OK"

    def parsed(self):
        from email import message_from_bytes
        from email.policy import default
        return [message_from_bytes(m.content, policy=default) for m in self.messages]


def csrf_of(soup):
    field = soup.find("input", attrs={"name": "csrf_token"})
    return field["value"] if field else ""


# A complete set of answers for the hate incident report, by step. Tests change a few.
HATE_ANSWERS = {
    "who": {"who": "victim"},
    "what": {"what": ["verbal", "other"], "what_other": "They spat at my door"},
    "why": {"why": ["race", "religion"]},
    "when": {"when_known": "date"},
    "when-date": {"when_day": "3", "when_month": "11", "when_year": "2026", "when_approximate": "y"},
    "ongoing": {"ongoing": "yes"},
    "in-danger": {},
    "where": {"place": "Bus stop on Front Street", "area": "easington"},
    "outside": {},
    "description": {"description": "A man shouted abuse about my headscarf and said I should go home."},
    "evidence": {"evidence": "no"},
    "people": {"offender": "Tall man, grey coat", "witnesses": ""},
    "true-vision": {"true_vision": "pass-on"},
    "outcome": {"outcome": "police"},
    "support": {"support": "yes"},
    "contact": {"contact": "details"},
    "no-way-to-reach-you": {},
    "contact-details": {"name": "Amira Example", "email": "amira@example.org", "phone": "",
                        "safe_times": "Weekdays after 6pm", "leave_message": "no", "interpreter": "no",
                        "acknowledge": "y"},
    "consent": {"consent": "y"},
}


def walk_report(client, lang, answers, flow="report/hate-incident"):
    """Answer every question the journey asks, in order; returns the check-answers page soup.

    Fails loudly if a page shows an error or the journey asks something unexpected.
    """
    from bs4 import BeautifulSoup
    start = client.get(f"/{lang}/{flow}/")
    assert start.status_code == 200
    url = BeautifulSoup(start.data, "html.parser").select_one("main a.govuk-button--start")["href"]
    asked = []
    for _ in range(30):
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        soup = BeautifulSoup(page.data, "html.parser")
        if url.endswith("/check-answers"):
            return soup, asked
        step = url.rsplit("/", 1)[1].split("?")[0]
        asked.append(step)
        data = {"csrf_token": csrf_of(soup), **answers[step]}
        response = client.post(url, data=data)
        if response.status_code != 302:
            errors = BeautifulSoup(response.data, "html.parser").select(".govuk-error-summary li")
            raise AssertionError(f"{step}: {[e.get_text(strip=True) for e in errors]}")
        url = response.headers["Location"]
    raise AssertionError("the journey never reached check answers")


def send_report(client, lang, check_soup, flow="report/hate-incident"):
    """Press "Send report"; returns (reference, receipt code) from the confirmation page."""
    from bs4 import BeautifulSoup
    response = client.post(f"/{lang}/{flow}/check-answers", data={"csrf_token": csrf_of(check_soup)})
    assert response.status_code == 303, response.status_code
    confirmation = client.get(response.headers["Location"])
    soup = BeautifulSoup(confirmation.data, "html.parser")
    reference = soup.select_one(".govuk-panel__body strong").get_text(strip=True)
    receipt = soup.select_one(".sdp-receipt")
    return reference, receipt.get_text(strip=True) if receipt else None


SCAM_ANSWERS = {
    "victim": {"victim": "someone-else"},
    "kind": {"kind": "phone"},
    "kind-other": {"kind_other": "A fake parcel company"},
    "attack-now": {"attack_now": "no"},
    "call-now": {},
    "method": {"method": ["phone-call", "text"]},
    "scammer": {"scam_website": "www.fake-bank.example", "scam_email": "", "scam_phone": "01632 960 001"},
    "loss": {"loss": "money"},
    "money": {"amount": "£1,200.50", "paid": "bank-transfer"},
    "when": {"when_known": "not-sure"},
    "when-date": {"when_day": "1", "when_month": "10", "when_year": "2026"},
    "description": {"description": "They said my mother's account was frozen and she moved her savings."},
    "evidence": {"evidence": "no"},
    "vulnerable": {"vulnerable": "yes"},
    "support": {"support": "no"},
    "visit": {"fas_visit": "yes"},
    "contact": {"contact": "details"},
    "no-way-to-reach-you": {},
    "contact-details": {"name": "Sam Carer", "email": "", "phone": "07700 900 982",
                        "safe_times": "", "leave_message": "yes", "interpreter": "no"},
    "consent": {"consent": "y"},
}

TRANSLATION_ANSWERS = {
    "document": {"document": "plan-summary"},
    "document-detail": {"document_detail": "The Hate Hurts leaflet"},
    "need": {"need": "language"},
    "language": {"language": "Tigrinya"},
    "already-here": {},
    "format-other": {"format_other": "Moon type"},
    "delivery": {"delivery": "post"},
    "requester": {"name": "Robel Example", "email": "", "address": "1 Example Street, Durham", "phone": "",
                  "interpreter": "no"},
    "access-needs": {"access_needs": "Please use large envelopes"},
    "consent": {"consent": "y"},
}

AWARENESS_ANSWERS = {
    "organisation-type": {"organisation_type": "community-group"},
    "organisation": {"organisation": "Seaham Over-60s Club"},
    "topic": {"topic": "friends-against-scams"},
    "group-size": {"group_size": "25"},
    "dates": {"dates": "Any Tuesday morning in March"},
    "venue": {"venue": "in-person"},
    "venue-address": {"venue_address": "Church hall, North Road"},
    "booker": {"name": "Pat Organiser", "email": "pat@example.org", "phone": "", "interpreter": "no"},
    "consent": {"consent": "y"},
}


# -- the database side ---------------------------------------------------------------------

def deliver(app):
    """Deliver everything due, batch after batch (on the shared app, other tests may have
    left messages queued). Returns (sent, failed) over all batches."""
    from sdp_public.services import outbox
    sent = failed = 0
    while True:
        with app.app_context(), app.extensions["sdp_sessionmaker"]() as db:
            batch = outbox.deliver(db, app.config, app.extensions["sdp_router"], app.extensions["sdp_sealer"])
        sent, failed = sent + batch[0], failed + batch[1]
        if batch == (0, 0):
            return sent, failed


def raw_database_text(app):
    """Every text value in every table holding report data, as the database holds it."""
    from sqlalchemy import text
    chunks = []
    with app.extensions["sdp_engine"].connect() as conn:
        for table in ("report", "report_route", "report_event", "outbox_message", "draft"):
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                chunks.extend(str(value) for value in row)
    return "\n".join(chunks)


def sealed_answers(app, reference):
    """(report, answers, contact) of a stored report, unsealed with the app's keys; the
    report's partners are in `report.partners`."""
    from sdp_public.services import reports
    with app.extensions["sdp_sessionmaker"]() as db:
        report = reports.find(db, reference)
        sealer = app.extensions["sdp_sealer"]
        answers = report.answers(sealer)
        contact = report.contact(sealer) if report.sealed_contact else None
        report.partners = {r.partner for r in report.routes}  # loaded while the session is open
        return report, answers, contact


def draft_answers(app, client, flow):
    """What the server keeps in this client's draft of `flow`, unsealed ({} if none)."""
    from sdp_public.drafts import context
    from sdp_public.models import Draft
    with client.session_transaction() as session:
        draft_id = session.get("drafts", {}).get(flow.slug)
    with app.extensions["sdp_sessionmaker"]() as db:
        draft = db.get(Draft, draft_id) if draft_id else None
        if draft is None or draft.form != flow.slug or not draft.sealed:
            return {}
        return dict(app.extensions["sdp_sealer"].unseal(draft.sealed, context(draft.id)))


def new_report(app, **changes):
    """A hate incident report sent by a new reporter through the pages: (reference, receipt)."""
    import copy
    answers = copy.deepcopy(HATE_ANSWERS)
    answers.update(changes)
    client = app.test_client()
    return send_report(client, "en", walk_report(client, "en", answers)[0])


# -- staff -----------------------------------------------------------------------------------

def new_account(app, partner="police-hate-crime", role="caseworker", email=None):
    """A staff account (a new email address unless given): (email, password, TOTP secret)."""
    from sdp_public.services import staff
    email = email or f"{role}.{uuid.uuid4().hex[:10]}@{partner}.example"
    with app.extensions["sdp_sessionmaker"]() as db:
        _user, password, secret = staff.create(db, app.extensions["sdp_sealer"], email, partner, role)
        db.commit()
    return email, password, secret


def password_step(client, email, password, address="192.0.2.10"):
    from bs4 import BeautifulSoup
    page = BeautifulSoup(client.get("/partners/sign-in").data, "html.parser")
    return client.post("/partners/sign-in", data={"csrf_token": csrf_of(page), "email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def code_step(client, code):
    from bs4 import BeautifulSoup
    page = BeautifulSoup(client.get("/partners/sign-in/code").data, "html.parser")
    return client.post("/partners/sign-in/code", data={"csrf_token": csrf_of(page), "code": code})


def next_code(app, email, secret):
    """The next code this person has not used: a code works once (no replay), and the
    server accepts one step of drift, so one person can sign in twice within 30 seconds."""
    from sqlalchemy import select

    from sdp_public.models import StaffUser
    from sdp_public.services import totp
    with app.extensions["sdp_sessionmaker"]() as db:
        last = db.scalar(select(StaffUser.last_totp_step).where(StaffUser.email == email)) or 0
    return totp.code_at(secret, max(totp.current_step(), last + 1))


def chosen_password(password):
    """The password a person chooses in place of the one-time `password` they were given
    (the helper's choice: long and uncommon, and the same every time for that password)."""
    return f"helper chose {password} for good"


def sign_in(app, email, password, secret, client=None, address="192.0.2.10"):
    """A client (a new one unless given) signed in with the password and the next code, as
    a person does it through the pages. An account still holding its one-time password
    must choose its own first: the helper does (chosen_password), and signs in with that
    once it has. Fails loudly if any step does not go through."""
    from sqlalchemy import select

    from sdp_public.models import StaffUser
    client = client or app.test_client()
    with app.extensions["sdp_sessionmaker"]() as db:
        account = db.scalar(select(StaffUser).where(StaffUser.email == email))
        if account is not None and not account.must_change_password and \
                not _verifies(account.password_hash, password):
            password = chosen_password(password)  # chosen at an earlier sign-in
    response = password_step(client, email, password, address)
    assert response.status_code == 302 and response.headers["Location"].endswith("/partners/sign-in/code"), \
        response.status_code
    response = code_step(client, next_code(app, email, secret))
    assert response.status_code == 302, response.data[:500]
    if response.headers["Location"].endswith("/partners/password/new"):
        new = chosen_password(password)
        response = post_form(client, "/partners/password/new", "/partners/password/new",
                             {"new_password": new, "confirm_password": new})
        assert response.status_code == 302, response.data[:500]
    return client


def _verifies(password_hash, password):
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError
    try:
        return PasswordHasher().verify(password_hash, password)
    except VerificationError:
        return False


def page_of(client, url):
    from bs4 import BeautifulSoup
    response = client.get(url)
    return response, BeautifulSoup(response.data, "html.parser")


def post_form(client, url, action_url, data):
    """Open `url` (for its CSRF token) and post `data` to `action_url`."""
    _, soup = page_of(client, url)
    return client.post(action_url, data={"csrf_token": csrf_of(soup), **data})


# -- production settings -----------------------------------------------------------------------

STRONG = "k" * 64
KEYS = "a1:" + "A" * 43
# Everything production needs; each refusal test takes one thing away or spoils it.
SAFE = {"SDP_SECRET_KEY": STRONG, "SDP_SEALING_KEYS": KEYS, "SDP_DATABASE_URL": "postgresql+psycopg://db/sdp",
        "SDP_REDIS_URL": "redis://redis.internal:6379/0", "SDP_SMTP_URL": "smtp://mail.internal:25",
        "SDP_SITE_URL": "https://safedurham.example", "SDP_CLAMD_ADDRESS": "unix:/run/clamav/clamd.ctl"}


# -- real processes ----------------------------------------------------------------------


def wait_for(check, timeout=20.0, what="service"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not come up within {timeout} s")


class Redis:
    """A redis-server of our own, so stopping it disturbs nothing else."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import socket
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close() or True, what="redis")

    def stop(self):
        if self.process:
            self.process.kill()
            self.process.wait()
            self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


def nginx_binary():
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if not found:
        raise AssertionError("nginx is not installed: .ci/run installs Debian's nginx (apt-get install nginx)")
    return found


class Proxy:
    """nginx with the production config (deploy/nginx.conf, rendered by deploy/nginx_conf.py)
    on its own loopback port, in front of one upstream address."""

    def __init__(self, upstream, run_dir, name, behind=None):
        self.upstream, self.port, self.name, self.behind = upstream, free_port(), name, behind
        self.run_dir = Path(run_dir) / f"{name}-nginx"
        self.process = None

    def start(self):
        sys.path.insert(0, str(ROOT / "deploy"))
        try:
            from nginx_conf import render
        finally:
            sys.path.remove(str(ROOT / "deploy"))
        config = self.run_dir / "nginx.conf"
        user = getpass.getuser() if os.geteuid() == 0 else None  # as root, workers would run as nobody
        self.run_dir.mkdir(parents=True, exist_ok=True)
        config.write_text(render(f"127.0.0.1:{self.port}", self.upstream, self.run_dir, user, self.behind))
        self.process = subprocess.Popen([nginx_binary(), "-p", str(self.run_dir), "-c", str(config), "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        import socket
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close() or True,
                 what=f"{self.name} nginx")

    def stop(self):
        if self.process:
            self.process.terminate()  # nginx's fast shutdown: the master stops its workers
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own session: the master and its workers
                self.process.wait()
            self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def log(self):
        path = self.run_dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


class Instance:
    """One app server as in production: gunicorn with deploy/gunicorn.conf.py (two workers)
    on a loopback port, behind its own nginx (`proxied`, the default), logging to a file.
    `url` is nginx's address; `direct_url` is gunicorn's."""

    def __init__(self, env, log_dir, name, proxied=True, workers=2):
        self.env, self.port, self.name, self.workers = env, free_port(), name, workers
        self.log_path = Path(log_dir) / f"{name}.log"
        self.process = None
        self.proxy = Proxy(f"127.0.0.1:{self.port}", log_dir, name) if proxied else None
        if proxied:  # the app trusts X-Forwarded-* from nginx only
            self.env = {**env, "SDP_TRUSTED_PROXIES": "127.0.0.1"}

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--graceful-timeout", "2", "wsgi:app"],
            cwd=ROOT, env={**self.env, "SDP_BIND": f"127.0.0.1:{self.port}", "SDP_WORKERS": str(self.workers)},
            stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: requests.get(f"{self.direct_url}/healthz", timeout=1).status_code == 200, what=self.name)
        if self.proxy and self.proxy.process is None:
            self.proxy.start()
            wait_for(lambda: requests.get(f"{self.url}/healthz", timeout=1).status_code == 200,
                     what=f"{self.name} through nginx")

    def stop(self):
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
        if self.proxy:
            self.proxy.stop()

    @property
    def url(self):
        return self.proxy.url if self.proxy else self.direct_url

    @property
    def direct_url(self):
        return f"http://127.0.0.1:{self.port}"

    def log(self):
        return self.log_path.read_text(errors="replace")


def environment(app, database_url, instance_path, **extra):
    """What every process of one deployment shares: database, keys, Redis, mail. The
    sealing keys are the test session's, so every test can read what these processes wrote."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SDP_")}
    env.update({"SDP_DATABASE_URL": database_url, "SDP_INSTANCE_PATH": str(instance_path),
                "SDP_SECRET_KEY": "s" * 64, "SDP_SEALING_KEYS": app.config["SEALING_KEYS"],
                "SDP_REPORT_MINIMUM_SECONDS": "0", "SDP_SUBMIT_RATE_LIMIT": "1000 per minute",
                "SDP_STEP_RATE_LIMIT": "100000 per minute", "SDP_DRAFT_START_LIMIT": "10000 per minute",
                "PYTHONPATH": str(ROOT)})
    env.update(extra)
    return env


def deliver_once(env):
    """One outbox worker pass, as cron or a systemd timer runs it."""
    return subprocess.run([PYTHON, "-m", "flask", "--app", "wsgi", "outbox", "deliver", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def csrf(html):
    field = BeautifulSoup(html, "html.parser").find("input", attrs={"name": "csrf_token"})
    return field["value"] if field else ""


def local_path(location):
    """A redirect's path, whether the server sent it relative or absolute."""
    return location if location.startswith("/") else "/" + location.split("/", 3)[3]


def walk(session, bases, answers, flow="report/hate-incident", lang="en"):
    """Answer a form over HTTP, each request to the next server in `bases` in turn (a load
    balancer without sticky sessions). Returns the check-answers HTML."""
    turn = [0]

    def base():
        turn[0] += 1
        return bases[turn[0] % len(bases)]

    start = session.get(f"{base()}/{lang}/{flow}/", timeout=10)
    path = BeautifulSoup(start.text, "html.parser").select_one("main a.govuk-button--start")["href"]
    for _ in range(30):
        page = session.get(base() + path, timeout=10, allow_redirects=False)
        assert page.status_code == 200, (path, page.status_code)
        if path.endswith("/check-answers"):
            return page.text
        step = path.rsplit("/", 1)[1].split("?")[0]
        response = session.post(base() + path, data={"csrf_token": csrf(page.text), **answers[step]},
                                timeout=10, allow_redirects=False)
        assert response.status_code == 302, (step, response.status_code)
        path = local_path(response.headers["Location"])
    raise AssertionError("never reached check answers")


def submit(session, base, check_html, flow="report/hate-incident", lang="en"):
    """Press Send; returns the reference shown, or None if the server said it was not sent."""
    response = session.post(f"{base}/{lang}/{flow}/check-answers", data={"csrf_token": csrf(check_html)},
                            timeout=20, allow_redirects=False)
    if response.status_code != 303:
        return None, response.status_code
    page = session.get(base + local_path(response.headers["Location"]), timeout=10)
    reference = BeautifulSoup(page.text, "html.parser").select_one(".govuk-panel__body strong")
    return reference.get_text(strip=True), 303


# -- the browser (Playwright) --------------------------------------------------------------

FOCUS_VISIBLE = """() => {
  const el = document.activeElement
  if (!el || el === document.body) return false
  const styles = [getComputedStyle(el)]
  if (el.matches('.govuk-radios__input, .govuk-checkboxes__input') && el.labels.length)
    styles.push(getComputedStyle(el.labels[0], '::before'))
  return styles.some(s => (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && s.outlineColor !== 'rgba(0, 0, 0, 0)')
                       || (s.boxShadow && s.boxShadow !== 'none')
                       || s.backgroundColor === 'rgb(255, 221, 0)')
}"""


def tab_to(page, predicate_js, limit=80, key="Tab"):
    """Press Tab until the focused element matches; assert focus is visible at every stop."""
    for _ in range(limit):
        page.keyboard.press(key)
        assert page.evaluate(FOCUS_VISIBLE), page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate_js} }})()"):
            return
    raise AssertionError(f"never reached {predicate_js}")
