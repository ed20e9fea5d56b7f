"""Sealing at rest: report answers and contact details are encrypted with AES-256-GCM.

Keys come from configuration as `kid:base64key` pairs, newest first; the first seals, all
of them unseal, so a key can be rotated in without breaking old rows. The ciphertext is
bound to its row (associated data: form and reference for a report, the draft's id for a
form draft), so a sealed blob copied onto another row will not open.

A sealed value looks like  v1.<kid>.<base64(nonce + ciphertext + tag)>
"""
import base64
import json
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class SealingError(ValueError):
    """A sealed value could not be opened: wrong key, tampered data or wrong row."""


def parse_keys(spec):
    """'kid:base64,kid2:base64' -> {kid: key bytes}, in order (the first seals)."""
    keys = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        kid, _, encoded = part.partition(":")
        key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if not kid.isalnum() or len(key) != 32:
            raise ValueError(f"sealing key {kid!r} must be an alphanumeric id and 32 bytes")
        keys[kid] = key
    return keys


def new_key_spec():
    kid = secrets.token_hex(4)
    return f"{kid}:{base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip('=')}"


class Sealer:
    def __init__(self, keys):
        if not keys:
            raise ValueError("no sealing keys configured")
        self.keys = dict(keys)
        self.current = next(iter(self.keys))
        # One cipher object per key, made once: every question page seals and opens a draft.
        self._ciphers = {kid: AESGCM(key) for kid, key in self.keys.items()}

    def seal(self, value, context):
        return self.seal_bytes(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), context)

    def seal_bytes(self, plaintext, context):
        """Seal a value already encoded as JSON bytes (drafts measure their size first)."""
        nonce = os.urandom(12)
        sealed = self._ciphers[self.current].encrypt(nonce, plaintext, context.encode())
        return f"v1.{self.current}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def unseal(self, token, context):
        try:
            version, kid, payload = token.split(".", 2)
            raw = base64.urlsafe_b64decode(payload)
            cipher = self._ciphers[kid]
        except (ValueError, KeyError, AttributeError) as exc:
            raise SealingError("unknown sealed format or key") from exc
        if version != "v1":
            raise SealingError("unknown sealed format")
        try:
            plaintext = cipher.decrypt(raw[:12], raw[12:], context.encode())
        except InvalidTag as exc:
            raise SealingError("sealed value does not open with this key and context") from exc
        return json.loads(plaintext)

    def needs_reseal(self, token):
        return not token.startswith(f"v1.{self.current}.")
