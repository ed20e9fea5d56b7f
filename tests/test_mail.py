"""Mail leaves over real SMTP (an aiosmtpd server on loopback), or as files a person can read."""
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from sdp_public.mail import MailError, build, send
from sdp_test_helpers import Inbox, free_port


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def test_a_message_is_delivered_over_smtp_in_utf8(smtp_server):
    controller, inbox = smtp_server
    message = build("sdp_public@localhost", "community.safety@example.org",
                    "Rapport n° SDP-1234 — تقرير", "Ein neuer Bericht wartet. 新的報告。")
    send(f"smtp://127.0.0.1:{controller.port}", message)
    assert len(inbox.messages) == 1
    received = message_from_bytes(inbox.messages[0].content, policy=default)
    assert received["Subject"] == "Rapport n° SDP-1234 — تقرير"
    assert "新的報告" in received.get_content()
    assert inbox.messages[0].rcpt_tos == ["community.safety@example.org"]


def test_an_unreachable_server_raises_so_the_caller_keeps_the_message(smtp_server):
    with pytest.raises(MailError):
        send(f"smtp://127.0.0.1:{free_port()}", build("a@localhost", "b@localhost", "s", "b"), timeout=2)
    with pytest.raises(MailError):
        send("carrier-pigeon://loft", build("a@localhost", "b@localhost", "s", "b"))


def test_the_embedded_default_writes_readable_files(tmp_path):
    path = send(f"file://{tmp_path}/mail", build("a@localhost", "b@localhost", "Hello", "Body text"))
    assert path.parent == tmp_path / "mail" and path.suffix == ".eml"
    assert "Body text" in message_from_bytes(path.read_bytes(), policy=default).get_content()
    assert not list((tmp_path / "mail").glob(".*.tmp"))
