"""The request's CSRF token: Flask-WTF's own token (same raw value in the session, same
key, salt and signature, checked by Flask-WTF's validate_csrf), made without its futile
compression.

Flask-WTF signs with itsdangerous' URL-safe serializer, which deflates every payload and
keeps the result only if it is shorter. A token is 40 hex characters: it never is, and
zlib's set-up alone cost ~90 µs, a fifth of a question page (bench/run.py). The signer
here writes the same uncompressed form, built once per secret key. With no time limit on
tokens (WTF_CSRF_TIME_LIMIT None: config.py) a token's timestamp is never checked, so the
token signed for a session's raw token is kept and handed out again.
"""
import contextlib
import hashlib
import hmac
import os

from flask import current_app, g, session
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer

FIELD = "csrf_token"  # WTF_CSRF_FIELD_NAME's default; config.py does not change it
SALT = "wtf-csrf-token"  # Flask-WTF's salt: validate_csrf checks what this signs


class _TokenSerializer(URLSafeTimedSerializer):
    def dump_payload(self, obj):
        # URLSafeSerializerMixin.dump_payload less the zlib attempt: a hex string's JSON
        # never deflates to less, so its output is this, byte for byte.
        return base64_encode(Serializer.dump_payload(self, obj))


MAX_KEPT = 4096  # signed tokens kept per worker, oldest forgotten first


def _signer():
    """(serializer, tokens signed so far by raw token), made anew for a new secret."""
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    cached = current_app.extensions.get("sdp_csrf_serializer")
    if cached is None or cached[0] != secret:
        cached = (secret, _TokenSerializer(secret, salt=SALT), {})
        current_app.extensions["sdp_csrf_serializer"] = cached
    return cached[1], cached[2]


def current():
    """The request's token: what Flask-WTF's generate_csrf() hands out (the same entry in
    `g`, made by site_app.RequestGlobals on first asking), without generate_csrf's own
    look-ups of its settings on every call (18 of the token's 61 calls on a question page)."""
    return getattr(g, FIELD) if FIELD in g else None


def was_issued(token):
    """True if `token` is the very token this worker signed for this session's raw token
    while tokens have no time limit: then Flask-WTF's validate_csrf passes it too (its
    payload is the session's raw token, under our key and salt). False says nothing: the
    caller asks Flask-WTF (a token signed by another worker, or at another second)."""
    if current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600) is not None or not isinstance(token, str):
        return False
    raw = session.get(FIELD)
    if not isinstance(raw, str):
        return False
    issued = _signer()[1].get(raw)
    return issued is not None and hmac.compare_digest(issued.encode(), token.encode())


def issue():
    """The signed token for this session (its raw token made on first use, as Flask-WTF does)."""
    raw = session.get(FIELD)
    if not isinstance(raw, str):
        session[FIELD] = raw = hashlib.sha1(os.urandom(64)).hexdigest()
    serializer, signed = _signer()
    if current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600) is not None:
        return serializer.dumps(raw)  # a timestamp that is checked: sign now
    token = signed.get(raw)
    if token is None:
        if len(signed) >= MAX_KEPT:
            with contextlib.suppress(RuntimeError, StopIteration, KeyError):
                del signed[next(iter(signed))]
        token = signed[raw] = serializer.dumps(raw)
    return token
