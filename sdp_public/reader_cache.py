"""Content pages for a reader with no cookie, answered before Flask runs.

A content page depends only on its URL: render_page (public/views.py) renders it once per
language and path. For a GET with no cookie and no query string nothing else about the
request can change the answer (no session to open, no draft, the language is in the path),
so Flask's per-request work (routing, the request context, the session cookie, locale
selection, the security headers) is all spent re-deriving the same bytes. This layer keeps
the status, headers and body Flask sent the first time such a page was asked for, with a
gzip twin compressed once, and answers the next such request itself.

What may be stored is decided by the view, never guessed here: render_page marks its
response shareable in the WSGI environ, and only a 200 that sets no cookie is kept. The key
is the path under the script root that FrontDoor fixed from SITE_URL: no request header is
part of it, so no client can make others be served something else (the cache-poisoning
finding). Accept-Encoding only picks one of the two stored variants, with
`Vary: Accept-Encoding`; If-None-Match gets a 304 as Flask would give. The security headers
(HSTS, which depends on the connection's scheme, too) are added around both by
security.SecurityHeaders. Compressing
only these pages (no CSRF token, no answers, nothing secret in them) keeps BREACH away
from the pages that hold secrets.
"""
import gzip
import json
import logging
import time

from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_etags
from werkzeug.wsgi import get_host


SHAREABLE = "sdp.shareable"  # environ key: render_page's {route, endpoint, lang} for the log line
# Headers that belong to one response, not to the page.
_PER_RESPONSE = {"date", "strict-transport-security", "content-length", "set-cookie"}
_NOT_MODIFIED_DROPS = {"content-type", "content-length", "content-encoding"}

logger = logging.getLogger("sdp_public.requests")


def _accepts_gzip(environ):
    value = environ.get("HTTP_ACCEPT_ENCODING", "")
    if "gzip" not in value:
        return False
    for part in value.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


class _Page:
    __slots__ = ("headers", "gzip_headers", "body", "gzip_body", "etag", "gzip_etag", "log_prefix")

    def __init__(self, headers, body, shareable):
        kept = [(k, v) for k, v in headers if k.lower() not in _PER_RESPONSE and k.lower() != "vary"]
        etag = next((v for k, v in kept if k.lower() == "etag"), None)
        self.etag = etag.strip('"') if etag else None
        self.gzip_etag = f"{self.etag}-gzip" if self.etag else None
        self.body = body
        self.gzip_body = gzip.compress(body, 9, mtime=0)
        vary = [("Vary", "Accept-Encoding")]
        self.headers = kept + vary + [("Content-Length", str(len(body)))]
        self.gzip_headers = ([(k, f'"{self.gzip_etag}"' if k.lower() == "etag" else v) for k, v in kept] + vary
                             + [("Content-Encoding", "gzip"), ("Content-Length", str(len(self.gzip_body)))])
        line = {"event": "request", "method": "GET", **shareable}
        self.log_prefix = json.dumps(line, ensure_ascii=False)[:-1]

    def serve(self, environ, start_response, started):
        zipped = _accepts_gzip(environ)
        headers = self.gzip_headers if zipped else self.headers
        etag = self.gzip_etag if zipped else self.etag
        condition = environ.get("HTTP_IF_NONE_MATCH")
        if condition and etag and parse_etags(condition).contains_weak(etag):
            status, body = "304 Not Modified", []
            headers = [(k, v) for k, v in headers if k.lower() not in _NOT_MODIFIED_DROPS]
        else:
            status, body = "200 OK", [self.gzip_body if zipped else self.body]
        start_response(status, headers)
        logger.info(f'{self.log_prefix}, "status": {status[:3]}, '
                    f'"ms": {round((time.perf_counter() - started) * 1000, 2)}}}')
        return body


class ReaderCache:
    """WSGI middleware in front of Flask (inside FrontDoor, so the path and host are final)."""

    def __init__(self, app, config, max_pages=1000):
        self.app = app
        self.config = config
        self.max_pages = max_pages
        self.pages = {}

    def _host_allowed(self, environ):
        """Flask's own check (TRUSTED_HOSTS): a wrong Host goes on to Flask for its 400 page."""
        trusted = self.config.get("TRUSTED_HOSTS")
        if trusted is None:
            return True
        try:
            get_host(environ, trusted)
        except SecurityError:
            return False
        return True

    def __call__(self, environ, start_response):
        if (environ.get("REQUEST_METHOD") != "GET" or "HTTP_COOKIE" in environ
                or environ.get("QUERY_STRING")):
            return self.app(environ, start_response)
        started = time.perf_counter()
        page = self.pages.get(environ.get("PATH_INFO", ""))
        if page is not None and self._host_allowed(environ):
            return page.serve(environ, start_response, started)
        return self._fill(environ, start_response)

    def _fill(self, environ, start_response):
        sent = {}

        def capture(status, headers, exc_info=None):
            sent["status"], sent["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.app(environ, capture)
        shareable = environ.get(SHAREABLE)
        headers = sent.get("headers") or []
        if (shareable is None or not sent.get("status", "").startswith("200 ")
                or any(k.lower() == "set-cookie" for k, _ in headers) or len(self.pages) >= self.max_pages):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        self.pages[environ.get("PATH_INFO", "")] = _Page(headers, data, shareable)
        return [data]
