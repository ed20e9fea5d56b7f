"""The request's CSRF token: Flask-WTF's own token (same raw value in the session, same
key, salt and signature, checked by Flask-WTF's validate_csrf), made without its futile
compression.

Flask-WTF signs with itsdangerous' URL-safe serializer, which deflates every payload and
keeps the result only if it is shorter. A token is 40 hex characters: it never is, and
zlib's set-up alone cost ~90 µs, a fifth of a question page (bench/run.py). The signer
here writes the same uncompressed form, built once per secret key.
"""
import hashlib
import os

from flask import current_app, session
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


def _serializer():
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    cached = current_app.extensions.get("sdp_csrf_serializer")
    if cached is None or cached[0] != secret:
        cached = (secret, _TokenSerializer(secret, salt=SALT))
        current_app.extensions["sdp_csrf_serializer"] = cached
    return cached[1]


def issue():
    """The signed token for this session (its raw token made on first use, as Flask-WTF does)."""
    raw = session.get(FIELD)
    if not isinstance(raw, str):
        session[FIELD] = raw = hashlib.sha1(os.urandom(64)).hexdigest()
    return _serializer().dumps(raw)
