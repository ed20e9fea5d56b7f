"""Flask, less the per-request work that gives the same answer every time.

Measured with bench/run.py: on a question page Flask asked `inspect` whether each of a
dozen hooks and the view is a coroutine function (about 50 calls a request), and built the
session cookie's signing serializer twice (opening and saving), each time anew, and checked
the same cookie's signature on every request. Each is worked out once. The CSRF token is
made by csrf_tokens.py (see there) whoever asks for it first.
"""
import contextlib
import re
import time

from flask import Flask, has_request_context
from flask.ctx import _AppCtxGlobals
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from . import csrf_tokens


class CachedSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its serializer built once per secret key, and each
    cookie's signature checked once: a browser sends the same cookie on every request of a
    journey until it changes, and checking it (HMAC, timestamp, JSON) was a sixth of a
    question page. What was checked is remembered with the time it was signed, so expiry
    is judged as itsdangerous judges it; a new key (or fallback list) starts afresh."""

    max_verified = 4096  # cookies remembered per worker, oldest forgotten first

    def _state(self, app):
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = app.extensions.get("sdp_session_serializer")
        if cached is None or cached[0] != key:
            cached = (key, super().get_signing_serializer(app), {})
            app.extensions["sdp_session_serializer"] = cached
        return cached

    def get_signing_serializer(self, app):
        return self._state(app)[1] if app.secret_key else None

    def open_session(self, app, request):
        if not app.secret_key:
            return None
        _key, serializer, verified = self._state(app)
        value = _cookie(request, self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        known = verified.get(value)
        if known is not None:
            age = int(time.time()) - known[0]
            if 0 <= age <= max_age:
                return self.session_class(_copy(known[1]))
            verified.pop(value, None)  # expired since: itsdangerous would refuse it now
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if len(verified) >= self.max_verified:
            with contextlib.suppress(RuntimeError, StopIteration, KeyError):
                del verified[next(iter(verified))]
        verified[value] = (int(signed_at.timestamp()), data)
        return self.session_class(_copy(data))


def _cookie(request, name):
    """The named cookie's value. A browser on this site sends only the session cookie (there
    are no others: no trackers), and a signed session is URL-safe base64 and dots, which
    need no unquoting: that header is read as it is. Anything else goes through werkzeug's
    cookie parser (a thirtieth of a question page)."""
    header = request.environ.get("HTTP_COOKIE", "")
    if header.startswith(name + "=") and _PLAIN.fullmatch(header, len(name) + 1):
        return header[len(name) + 1:]
    return request.cookies.get(name)


_PLAIN = re.compile(r"[A-Za-z0-9_\-.]+")


def _copy(value):
    """A session's data, copied so the remembered one is never changed by a request."""
    kind = type(value)
    if kind is dict:
        return {k: _copy(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return kind(_copy(v) for v in value)
    return value  # str, numbers, bytes, Markup, UUID, datetime: immutable


class RequestGlobals(_AppCtxGlobals):
    """`g`, whose CSRF token is csrf_tokens.issue()'s. Flask-WTF makes the token (for a
    form, the templates' csrf_token() and our views alike) only when `g` has none, and
    asks with `"csrf_token" in g`: the answer is made here, on first asking."""

    def __contains__(self, name):
        if name == csrf_tokens.FIELD and name not in self.__dict__ and has_request_context():
            self.__dict__[name] = csrf_tokens.issue()
        return name in self.__dict__


class SiteFlask(Flask):
    session_interface = CachedSerializerSessions()
    app_ctx_globals_class = RequestGlobals

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_functions = {}

    def ensure_sync(self, func):
        # Hooks and views are the same few functions on every request.
        try:
            return self._sync_functions[func]
        except KeyError:
            self._sync_functions[func] = made = super().ensure_sync(func)
            return made
        except TypeError:  # an unhashable callable: Flask's own answer, uncached
            return super().ensure_sync(func)
