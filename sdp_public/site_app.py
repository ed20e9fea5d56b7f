"""Flask, less the per-request work that gives the same answer every time.

Measured with bench/run.py: on a question page Flask asked `inspect` whether each of a
dozen hooks and the view is a coroutine function (about 50 calls a request), and built the
session cookie's signing serializer twice (opening and saving), each time anew. Both depend
only on things fixed when the app is set up, so each is worked out once. The CSRF token is
made by csrf_tokens.py (see there) whoever asks for it first.
"""
from flask import Flask, has_request_context
from flask.ctx import _AppCtxGlobals
from flask.sessions import SecureCookieSessionInterface

from . import csrf_tokens


class CachedSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its serializer built once per secret key."""

    def get_signing_serializer(self, app):
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = app.extensions.get("sdp_session_serializer")
        if cached is None or cached[0] != key:
            cached = (key, super().get_signing_serializer(app))
            app.extensions["sdp_session_serializer"] = cached
        return cached[1]


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
