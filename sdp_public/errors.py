"""Our own translated pages for every error status: never a stack trace, never a bare page.

The error page is drawn in the reader's language when the URL named a valid one, else
from Accept-Language. If even that fails (a broken template, the database gone), a
minimal static page is returned rather than letting the exception escape.
"""
import logging

from flask import g, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

logger = logging.getLogger("sdp_public.errors")

_HANDLED = (400, 403, 404, 405, 413, 414, 429, 431, 500, 503)


def _bind_urls_if_refused():
    """A request refused before routing (a Host that is not the site's) has no URL adapter:
    bind one to the site itself, so the refusal is our full page, with links to our own site."""
    from flask import current_app
    from flask.globals import request_ctx
    if request_ctx and request_ctx.url_adapter is None:
        app = current_app._get_current_object()
        hosts = app.config.get("TRUSTED_HOSTS") or ["localhost"]
        request_ctx.url_adapter = app.url_map.bind(hosts[0], script_name=app.config.get("SCRIPT_ROOT") or "/",
                                                   url_scheme=app.config.get("PREFERRED_URL_SCHEME", "http"))


def _render(status):
    try:
        _bind_urls_if_refused()
        return render_template("errors/error.html", status=status,
                               unknown_language=g.get("unknown_language", False)), status
    except Exception:  # the last line of defence: a plain page, still no stack trace
        logger.exception("error page failed to render")
        return ("<!DOCTYPE html><html lang='en'><title>Sorry, there is a problem</title>"
                f"<main><h1>Sorry, there is a problem</h1><p>Error {escape(status)}.</p></main></html>",
                status, {"Content-Type": "text/html; charset=utf-8"})


def handle_http(error):
    status = error.code if error.code in _HANDLED else 400 if 400 <= (error.code or 500) < 500 else 500
    if error.code and 300 <= error.code < 400:  # redirects raised as exceptions pass through
        return error
    response = _render(status)
    if status == 405 and getattr(error, "valid_methods", None):
        body, code = response[0], response[1]
        return body, code, {"Allow": ", ".join(error.valid_methods)}
    return response


def handle_unexpected(error):
    logger.exception("unhandled error on %s %s", request.method, request.url_rule)
    return _render(InternalServerError.code)


def handle_database_down(error):
    """The database is restarting or unreachable: a temporary state, said as one (503 with
    Retry-After), not a crash. Answers already saved are kept; the page says try again."""
    logger.warning("database unavailable on %s %s: %s", request.method, request.url_rule,
                   error.__class__.__name__)
    body, status = _render(503)[:2]
    return body, status, {"Retry-After": "30"}


def init_app(app):
    from sqlalchemy.exc import InterfaceError, OperationalError, TimeoutError as PoolTimeout
    for database_down in (OperationalError, InterfaceError, PoolTimeout):  # restarting, gone, or every connection busy
        app.register_error_handler(database_down, handle_database_down)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)
