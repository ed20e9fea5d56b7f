"""Configuration from the environment, with embedded defaults safe for one machine.

Embedded (the default): SQLite in WAL mode under instance/, rate limits in memory, mail
written to files under instance/mail/, a secret key generated once into instance/.
Production (SDP_ENV=production): PostgreSQL and Redis from the environment, and the app
refuses to start with a missing secret, an in-memory database, DEBUG on, limits counted
per process, no site address, or mail that would only pile up as files.
"""
import ipaddress
import os
import secrets
import tempfile
from urllib.parse import urlsplit
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app must not start."""


def _instance_dir(env):
    """The instance folder, its owner's only (0700): it holds the database, its WAL, the
    keys and the mail files. An existing folder is tightened too."""
    path = Path(env.get("SDP_INSTANCE_PATH", PROJECT_ROOT / "instance"))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except PermissionError:
        pass  # not ours (a shared mount): its owner decides
    return path


def _made_once(path, make):
    """A value made once and kept in a file: the first process to start writes it, every
    other process (gunicorn workers, a CLI run at the same moment) reads that one.

    Written whole to a temporary file, then hard-linked into place: the link either
    succeeds or finds the other process's complete file, so nobody reads half a key."""
    if not path.exists():
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # made 0600
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(make())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


def _embedded_secret(instance):
    """A secret key made once and kept in instance/, so sessions survive restarts."""
    return _made_once(instance / "secret_key", lambda: secrets.token_hex(32))


def _embedded_sealing_keys(instance):
    """Sealing keys made once into instance/ for the embedded default (production sets them)."""
    from .services.sealing import new_key_spec
    return _made_once(instance / "sealing_keys", new_key_spec)


def _trusted_proxies(value):
    """SDP_TRUSTED_PROXIES: the addresses or networks of the proxies in front (comma
    separated; "unix" for a proxy on a unix socket). Empty: trust no forwarded header."""
    proxies = []
    for item in (part.strip() for part in (value or "").split(",")):
        if not item:
            continue
        if item != "unix":
            try:
                ipaddress.ip_network(item)  # strict, as gunicorn reads it: 10.0.0.1/8 is a mistake
            except ValueError:
                raise ConfigError(f"SDP_TRUSTED_PROXIES: {item!r} is not an address or network") from None
        proxies.append(item)
    return proxies


def _site(value):
    """SDP_SITE_URL split into the URL (no trailing slash), its host and its path prefix."""
    url = (value or "").strip().rstrip("/")
    if not url:
        return "", None, ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"SDP_SITE_URL must look like https://host[/path], not {url!r}")
    return url, parts.hostname, parts.path


def load_config(env=None, **overrides):
    """Build the Flask config mapping from environment variables (os.environ by default)."""
    env = os.environ if env is None else env
    production = env.get("SDP_ENV", "embedded") == "production"
    instance = _instance_dir(env)
    if "SDP_TRUSTED_PROXY" in env:  # the old name: ignoring it would key every client's limits to the proxy
        raise ConfigError("SDP_TRUSTED_PROXY is no longer read: set SDP_TRUSTED_PROXIES (addresses or networks)")
    site_url, site_host, script_root = _site(env.get("SDP_SITE_URL"))
    extra_hosts = [h.strip() for h in env.get("SDP_TRUSTED_HOSTS", "").split(",") if h.strip()]

    config = {
        "SDP_ENV": "production" if production else "embedded",
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": env.get("SDP_DATABASE_URL") or f"sqlite:///{instance / 'sdp_public.db'}",
        # Per process: gunicorn workers x (pool + overflow) must stay under PostgreSQL's
        # max_connections (100 by default) across every app server; see docs/architecture.md.
        "DB_POOL_SIZE": int(env.get("SDP_DB_POOL_SIZE", 5)),
        "DB_MAX_OVERFLOW": int(env.get("SDP_DB_MAX_OVERFLOW", 5)),
        "DB_POOL_TIMEOUT": int(env.get("SDP_DB_POOL_TIMEOUT", 10)),
        "RATELIMIT_STORAGE_URI": env.get("SDP_REDIS_URL") or "memory://",
        "SMTP_URL": env.get("SDP_SMTP_URL") or f"file://{instance / 'mail'}",
        "MAIL_FROM": env.get("SDP_MAIL_FROM", "sdp_public@localhost"),
        "SECRET_KEY": env.get("SDP_SECRET_KEY") or (None if production else _embedded_secret(instance)),
        # Report answers are sealed with these (kid:base64key, newest first; see README).
        "SEALING_KEYS": env.get("SDP_SEALING_KEYS") or (None if production else _embedded_sealing_keys(instance)),
        "DEBUG": env.get("SDP_DEBUG", "") == "1",
        "CONTENT_DIR": env.get("SDP_CONTENT_DIR") or str(PROJECT_ROOT / "content"),
        # A form post is small; anything bigger is refused with our own 413 page.
        "MAX_CONTENT_LENGTH": int(env.get("SDP_MAX_CONTENT_LENGTH", 64 * 1024)),
        "MAX_FORM_MEMORY_SIZE": int(env.get("SDP_MAX_CONTENT_LENGTH", 64 * 1024)),
        "SESSION_COOKIE_NAME": "sdp_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session: no lost answers
        "DRAFT_LIFETIME_HOURS": int(env.get("SDP_DRAFT_LIFETIME_HOURS", 24)),
        # A whole form at every field's length limit in a 3-byte script is about 34 KB:
        # 64 KiB fits any real draft and stops a draft growing without bound.
        "DRAFT_MAX_BYTES": int(env.get("SDP_DRAFT_MAX_BYTES", 64 * 1024)),
        # Mail written by the file transport (file://...) is deleted this many days after it
        # was written, by `drafts purge` (hourly) and `retention purge`: see mail.py.
        "MAIL_FILE_DAYS": int(env.get("SDP_MAIL_FILE_DAYS", 7)),
        "RATELIMIT_HEADERS_ENABLED": False,
        # Per client address. Generous for a family sharing one connection; tight for a script.
        "SUBMIT_RATE_LIMIT": env.get("SDP_SUBMIT_RATE_LIMIT", "10 per hour"),
        # A person takes minutes to answer every question; a script takes milliseconds.
        "REPORT_MINIMUM_SECONDS": int(env.get("SDP_REPORT_MINIMUM_SECONDS", 8)),
        "TRACK_RATE_LIMIT": env.get("SDP_TRACK_RATE_LIMIT", "10 per 15 minutes"),
        # "Save and come back later": a resume code opens its draft once, for this many days.
        "RESUME_DAYS": int(env.get("SDP_RESUME_DAYS", 7)),
        # Wrong resume codes (and wrong receipt checks) per client, like /track's look-ups.
        "RESUME_RATE_LIMIT": env.get("SDP_RESUME_RATE_LIMIT", env.get("SDP_TRACK_RATE_LIMIT", "10 per 15 minutes")),
        # Emails of a resume code ("email me this code") per client.
        "RESUME_EMAIL_LIMIT": env.get("SDP_RESUME_EMAIL_LIMIT", "5 per hour"),
        # "Add to my report" on /track: at most this many additions per report in all, and per
        # sign-in with the receipt code (each one is an event and may email the partners).
        "TRACK_ADD_LIMIT": int(env.get("SDP_TRACK_ADD_LIMIT", 20)),
        "TRACK_ADD_SESSION_LIMIT": int(env.get("SDP_TRACK_ADD_SESSION_LIMIT", 5)),
        # How long an outbox worker's claim on a message lasts; renewed just before each send.
        "OUTBOX_LOCK_SECONDS": float(env.get("SDP_OUTBOX_LOCK_SECONDS", 300)),
        # Question-page answers: a person answers a few dozen pages per report; a script thousands.
        "STEP_RATE_LIMIT": env.get("SDP_STEP_RATE_LIMIT", "300 per hour"),
        # New drafts (a first answer with no draft yet) per client: each one is a database row.
        "DRAFT_START_LIMIT": env.get("SDP_DRAFT_START_LIMIT", "20 per hour"),
        # Evidence files: how many per report and how big each may be (the only route whose
        # body may exceed MAX_CONTENT_LENGTH), and the malware scanner (clamd) they go to.
        "UPLOAD_MAX_FILES": int(env.get("SDP_UPLOAD_MAX_FILES", 10)),
        "UPLOAD_MAX_BYTES": int(env.get("SDP_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)),
        "CLAMD_ADDRESS": env.get("SDP_CLAMD_ADDRESS", ""),
        "RATELIMIT_SWALLOW_ERRORS": True,  # a limiter outage must never lose a report
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Where "Exit this page" goes: the page GOV.UK services use for the same purpose.
        "EXIT_URL": env.get("SDP_EXIT_URL", "https://www.bbc.co.uk/weather"),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "SITE_URL": site_url,
        # The script root (a site under a path) comes from SITE_URL, never from a request header.
        "SCRIPT_ROOT": script_root,
        # Requests naming another Host get a 400: the site's own host and any extra ones
        # (e.g. the address a load balancer's health check uses). None: any host.
        "TRUSTED_HOSTS": ([site_host] if site_host else []) + extra_hosts or None,
        # Forwarded headers (X-Forwarded-For/-Proto/-Host) are believed only from these.
        "TRUSTED_PROXIES": _trusted_proxies(env.get("SDP_TRUSTED_PROXIES")),
    }
    config.update(overrides)
    if production:
        check_production(config)
    return config


def check_production(config):
    """Refuse to serve the public with settings that would leak or lose reports."""
    problems = []
    if not config.get("SECRET_KEY"):
        problems.append("SDP_SECRET_KEY is not set")
    elif len(config["SECRET_KEY"]) < 32:
        problems.append("SDP_SECRET_KEY is shorter than 32 characters")
    url = config.get("DATABASE_URL", "")
    if url in ("sqlite://", "sqlite:///:memory:") or ":memory:" in url:
        problems.append("SDP_DATABASE_URL is an in-memory SQLite database")
    if config.get("DEBUG"):
        problems.append("DEBUG is on")
    if not config.get("SEALING_KEYS"):
        problems.append("SDP_SEALING_KEYS is not set")
    if str(config.get("RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"):
        problems.append("SDP_REDIS_URL is not set (rate limits would count per worker process)")
    if not config.get("SITE_URL"):
        problems.append("SDP_SITE_URL is not set (emails would carry links nobody can follow)")
    elif not config["SITE_URL"].startswith("https://"):
        problems.append("SDP_SITE_URL is not https://")
    if str(config.get("SMTP_URL", "file://")).startswith("file://"):
        problems.append("SDP_SMTP_URL is not set or is file:// (notifications would pile up as files)")
    if not config.get("CLAMD_ADDRESS"):
        problems.append("SDP_CLAMD_ADDRESS is not set (evidence files would reach partners unscanned)")
    if problems:
        raise ConfigError("Refusing to start in production: " + "; ".join(problems))
