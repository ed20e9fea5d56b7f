"""Outgoing mail, by the transport SDP_SMTP_URL names.

    file:///path/to/dir             one .eml file per message (the embedded default: readable by a person;
                                    the folder 0700, each file 0600, deleted after MAIL_FILE_DAYS)
    smtp://host:25                  plain SMTP to a local relay
    smtp+starttls://user:pw@host:587  SMTP upgraded with STARTTLS, then authenticated
    smtps://user:pw@host:465        SMTP over TLS

Callers build an EmailMessage and call send(); delivery retries belong to the outbox,
so a failure here raises and the caller keeps the message queued.
"""
import os
import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit


class MailError(RuntimeError):
    """The transport refused or could not be reached; the message was not sent."""


def build(sender, to, subject, body):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to if isinstance(to, str) else ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] if "@" in sender else "localhost")
    message.set_content(body, charset="utf-8")
    return message


def send(url, message, timeout=10):
    parts = urlsplit(url)
    if parts.scheme == "file":
        return _to_file(Path(unquote(parts.path)), message)
    if parts.scheme not in ("smtp", "smtp+starttls", "smtps"):
        raise MailError(f"unknown mail transport {parts.scheme!r}")
    host, port = parts.hostname or "127.0.0.1", parts.port
    try:
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(host, port or 465, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port or 25, timeout=timeout)
        with client:
            if parts.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"mail not sent via {parts.scheme}://{host}:{port}: {exc.__class__.__name__}") from exc


def _to_file(directory, message):
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
    temporary = directory / f".{name}.tmp"
    # Owner only from the first byte: a message may carry a reporter's address.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(bytes(message))
    temporary.rename(directory / name)  # a reader never sees half a message
    return directory / name


def purge_files(url, days, now=None):
    """Delete the file transport's messages older than `days`; returns how many.

    The file transport is the embedded default, for one machine and for trying the site:
    its files are the only copy of a message, in clear (a reporter's address in To:),
    outside the database, its sealing and the retention purge. So they get a short life
    of their own, enforced by the hourly `drafts purge` and by `retention purge`: a week
    is long enough for a person to read what was "sent", short enough that the folder
    never becomes a second, unsealed archive. Nothing to do for SMTP transports."""
    parts = urlsplit(url or "")
    if parts.scheme != "file":
        return 0
    directory = Path(unquote(parts.path))
    if not directory.is_dir():
        return 0
    cutoff = (now or time.time()) - days * 86400
    deleted = 0
    for path in directory.iterdir():
        if path.suffix in (".eml", ".tmp") and path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
