"""Helpers shared by the tests (importable: tests/ is on pytest's pythonpath)."""
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
    "where": {"place": "Bus stop on Front Street", "area": "easington"},
    "outside": {},
    "description": {"description": "A man shouted abuse about my headscarf and said I should go home."},
    "people": {"offender": "Tall man, grey coat", "witnesses": ""},
    "outcome": {"outcome": "police"},
    "support": {"support": "yes"},
    "contact": {"contact": "details"},
    "contact-details": {"name": "Amira Example", "email": "amira@example.org", "phone": "",
                        "safe_times": "Weekdays after 6pm", "leave_message": "no", "acknowledge": "y"},
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
    "method": {"method": ["phone-call", "text"]},
    "scammer": {"scam_website": "www.fake-bank.example", "scam_email": "", "scam_phone": "01632 960 001"},
    "loss": {"loss": "money"},
    "money": {"amount": "£1,200.50", "paid": "bank-transfer"},
    "when": {"when_known": "not-sure"},
    "when-date": {"when_day": "1", "when_month": "10", "when_year": "2026"},
    "description": {"description": "They said my mother's account was frozen and she moved her savings."},
    "vulnerable": {"vulnerable": "yes"},
    "support": {"support": "no"},
    "visit": {"fas_visit": "yes"},
    "contact": {"contact": "details"},
    "contact-details": {"name": "Sam Carer", "email": "", "phone": "07700 900 982",
                        "safe_times": "", "leave_message": "yes"},
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
    "requester": {"name": "Robel Example", "email": "", "address": "1 Example Street, Durham", "phone": ""},
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
    "booker": {"name": "Pat Organiser", "email": "pat@example.org", "phone": ""},
    "consent": {"consent": "y"},
}
