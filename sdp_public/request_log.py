"""One structured log line per request, with nothing that could identify a reader.

Logged: method, the URL *rule* (not the path or query, which can carry a search term or
a reference), status, language and duration. Not logged: IP address, user agent, query
string, form data, cookies.

Libraries log addresses too (Flask-Limiter names the client next to the endpoint it
limited; a driver's error names a host): mask_addresses() rewrites every log record the
process makes, whichever logger and handler, so no IPv4 or IPv6 address is written.
"""
import functools
import ipaddress
import json
import logging
import re
import time

from flask import g, request

logger = logging.getLogger("sdp_public.requests")

MASK = "[address]"
_IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])")
# A run of hex groups and colons, checked with ipaddress (so a time like 20:37:47 stays).
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:|:)[0-9A-Fa-f:]*:(?:\[address\]|[0-9A-Fa-f]{1,4})?(?:%[\w.]+)?(?![\w:])")
# Cheap tests first: most records (the request log) hold neither pattern.
_MAYBE_IPV4 = re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d")
_MAYBE_IPV6 = re.compile(r"[0-9A-Fa-f:]:[0-9A-Fa-f:]")


def _replace_ipv6(match):
    text = match.group(0)
    try:
        ipaddress.IPv6Address(text.split("%", 1)[0].replace(MASK, "0.0.0.0"))
    except ValueError:
        return text
    return MASK


def mask(text):
    """The text with every IPv4 and IPv6 address replaced by [address]."""
    if _MAYBE_IPV4.search(text):
        text = _IPV4.sub(MASK, text)  # first, so an IPv4-mapped IPv6 address is one run
    if _MAYBE_IPV6.search(text):
        text = _IPV6.sub(_replace_ipv6, text)
    return text


def lean_records():
    """Every LogRecord is made without looking up its caller's file and line, thread,
    process or multiprocessing names (the logging module's own advice when a log's format
    shows none of them, as ours does not): a sixth of what a request's log line cost."""
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False


def mask_addresses():
    """Make every LogRecord with its addresses masked (idempotent: installed once)."""
    make = logging.getLogRecordFactory()
    if getattr(make, "masks_addresses", False):
        return

    def masked_record(*args, **kwargs):
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is the logging module's to report
            return record
        clean = mask(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return record

    masked_record.masks_addresses = True
    logging.setLogRecordFactory(masked_record)


def init_app(app):
    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def _log(response):
        started = g.get("request_started")
        lang = g.get("lang")
        rule = request.url_rule
        ms = round((time.perf_counter() - started) * 1000, 2) if started else None
        logger.info("%s%d, \"ms\": %s}", _line_start(request.method, rule.rule if rule else None, request.endpoint,
                                                     lang.code if lang else None),
                    response.status_code, "null" if ms is None else repr(ms))
        return response


@functools.lru_cache(maxsize=512)  # bounded: a hostile client may send any method
def _line_start(method, route, endpoint, lang):
    """The JSON line up to its status: the same for every request to one view in one
    language, so encoded once (json.dumps was a tenth of a question page's log line)."""
    whole = json.dumps({"event": "request", "method": method, "route": route, "endpoint": endpoint, "lang": lang,
                        "status": 0}, ensure_ascii=False)
    return whole[:-len("0}")]
