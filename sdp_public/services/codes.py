"""References and receipt codes people can read aloud and type without mistakes.

The alphabet leaves out 0/O, 1/I/L and U (no accidental words). References are short and
public-ish (said on the phone); receipt codes are long, random, shown once and stored
only as a salted SHA-256 hash.

Why not a slow hash (scrypt, Argon2)? Those protect passwords, which people choose and
which an attacker can guess from a list. A receipt code is 98 random bits chosen by us:
with a stolen database, trying every code at a billion SHA-256 hashes a second would take
about 10^13 years, so a slow hash adds nothing but cost to every submission (scrypt was
about 50 ms of CPU, most of a submission). Codes hashed with scrypt before this change are
still checked with scrypt.
"""
import hashlib
import hmac
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


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


def _sha256(code, salt):
    return hashlib.sha256(salt + normalise(code).encode()).hexdigest()


def hash_receipt(code, salt=None):
    salt = salt or secrets.token_bytes(16)
    return f"sha256${salt.hex()}${_sha256(code, salt)}"


def check_receipt(code, stored):
    """Constant-time comparison; a missing hash costs the same time as a wrong code."""
    if not stored:
        hash_receipt(code)  # the same work, so timing does not reveal whether a reference exists
        return False
    scheme, *parts = stored.split("$")
    if scheme == "sha256":
        salt, expected = parts
        return hmac.compare_digest(_sha256(code, bytes.fromhex(salt)), expected)
    n, r, p, salt, expected = parts  # scrypt, from before
    digest = hashlib.scrypt(normalise(code).encode(), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(digest.hex(), expected)


def new_resume_code():
    """A "save and come back later" code: the receipt code's format and strength."""
    return new_receipt_code()


def hash_resume(code):
    """The resume code's SHA-256 (64 hex digits, unsalted so that the code alone finds its
    row; 98 random bits need no salt or slow hash, see above). Domain-separated from
    receipts so one hash never stands for the other."""
    return hashlib.sha256(b"resume:" + normalise(code).encode()).hexdigest()


def contains_receipt(text, stored):
    """True if `text` is, or holds, the receipt code that `stored` is the hash of: the
    whole text normalised, or any run of 20 letters and digits in it (a code pasted into
    a sentence). Only for the fast sha256 scheme: an old scrypt hash is checked whole."""
    if not stored or not text:
        return False
    compact = normalise(text)
    if check_receipt(compact, stored):
        return True
    if not stored.startswith("sha256$"):
        return False
    return any(check_receipt(compact[i:i + 20], stored) for i in range(0, max(len(compact) - 19, 0)))


def normalise_reference(text):
    """'hc 7kq4 m2xp' or 'HC-7KQ4-M2XP' -> 'HC-7KQ4-M2XP'; anything else comes back unchanged."""
    compact = "".join(ch for ch in str(text).upper() if ch.isalnum())[:40]
    if len(compact) == 10 and compact[:2].isalpha():
        return f"{compact[:2]}-{compact[2:6]}-{compact[6:]}"
    return compact
