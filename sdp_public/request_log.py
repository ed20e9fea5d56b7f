"""One structured log line per request, with nothing that could identify a reader.

Logged: method, the URL *rule* (not the path or query, which can carry a search term or
a reference), status, language and duration. Not logged: IP address, user agent, query
string, form data, cookies.
"""
import json
import logging
import time

from flask import g, request

logger = logging.getLogger("sdp_public.requests")


def init_app(app):
    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def _log(response):
        started = g.get("request_started")
        lang = g.get("lang")
        logger.info(json.dumps({
            "event": "request",
            "method": request.method,
            "route": request.url_rule.rule if request.url_rule else None,
            "endpoint": request.endpoint,
            "status": response.status_code,
            "lang": lang.code if lang else None,
            "ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        }, ensure_ascii=False))
        return response
