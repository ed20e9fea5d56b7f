"""References and receipt codes people can read aloud and type without mistakes.

The alphabet leaves out 0/O, 1/I/L and U (no accidental words). References are short and
public-ish (said on the phone); receipt codes are long, random, shown once and stored
only as a slow scrypt hash.
"""
import hashlib
import hmac
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


def _random(length):
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_reference(prefix):
    """e.g. HC-7KQ4-M2XP: 30^8 (6.6e11) possibilities per form."""
    code = _random(8)
    return f"{prefix}-{code[:4]}-{code[4:]}"


def new_receipt_code():
    """Five groups of four: 30^20, about 98 bits of entropy."""
    code = _random(20)
    return "-".join(code[i:i + 4] for i in range(0, 20, 4))


def normalise(code):
    """What a person typed: any case, spaces or dashes, O for 0 and I/L for 1 forgiven."""
    text = "".join(ch for ch in str(code).upper() if ch.isalnum())
    return text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def hash_receipt(code, salt=None):
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(normalise(code).encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_receipt(code, stored):
    """Constant-time comparison; a missing hash costs the same time as a wrong code."""
    if not stored:
        hash_receipt(code)  # spend the same effort so timing does not reveal a reference exists
        return False
    _scheme, n, r, p, salt, expected = stored.split("$")
    digest = hashlib.scrypt(normalise(code).encode(), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(digest.hex(), expected)


def normalise_reference(text):
    """'hc 7kq4 m2xp' or 'HC-7KQ4-M2XP' -> 'HC-7KQ4-M2XP'; anything else comes back unchanged."""
    compact = "".join(ch for ch in str(text).upper() if ch.isalnum())[:40]
    if len(compact) == 10 and compact[:2].isalpha():
        return f"{compact[:2]}-{compact[2:6]}-{compact[6:]}"
    return compact
