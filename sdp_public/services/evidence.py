"""Evidence files sealed at rest: written and read in pieces, so memory stays bounded.

Each file has its own random AES-256-GCM data key. The key, with what the file says about
itself (name, kind, size, SHA-256 and what processing found), is sealed with the report
keys (services/sealing.py) to the file's owner: the draft while the reporter is still
answering (`draft:<id>:file:<id>`), then the report (`<form>:<reference>:file:<id>`).
The bytes are sealed with the data key in pieces of CHUNK bytes, each bound to the file,
the variant (original, clean, page-N), its position and whether it is the last piece.

Why envelope keys: moving a draft's files to the report at Send, moving them to a resumed
draft, and `keys rotate` re-seal the small `sealed` value only, inside one transaction,
never re-encrypting megabytes. Once rotated, the old report key opens nothing: the data
keys exist only sealed under the new one.

Why in the database (evidence_chunk) rather than a storage directory: the bytes are
committed in the same transaction as the report (or the draft step), copied by `db
backup` with everything else, deleted by the same cascade as their report or draft, and
there is no second store to keep consistent or to leave plaintext in.
"""
import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import bindparam, delete, func, select

from ..models import EvidenceChunk, EvidenceFile
from .sealing import SealingError

CHUNK = 1 << 20     # plaintext bytes per sealed piece
HEAD = 4096         # what content sniffing looks at


def draft_context(draft_id, file_id):
    return f"draft:{draft_id}:file:{file_id}"


def owner_context(evidence, report=None):
    """The sealing context of `evidence`'s `sealed` value where it is now."""
    if evidence.report_id is not None or report is not None:
        report = report or evidence.report
        return report.sealing_context(evidence.part)
    return draft_context(evidence.draft_id, evidence.id)


def _aad(file_id, variant, seq, last):
    return f"evidence:{file_id}:{variant}:{seq}:{'last' if last else 'more'}".encode()


class TooLarge(ValueError):
    """More bytes than the limit: nothing of this file is kept."""


class Writer:
    """Seals one variant of a file as it arrives: write() any sizes, then close().

    Holds at most one CHUNK of plaintext; each full piece is sealed and added to the
    Session at once (the caller's transaction commits them all, or none)."""

    def __init__(self, db, file_id, key, variant="original", limit=None, keep=HEAD):
        self.db, self.file_id, self.variant, self.limit, self.keep = db, file_id, variant, limit, keep
        self._cipher = AESGCM(key)
        self._buffer = bytearray()
        self._seq = 0
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.head = b""

    def write(self, data):
        self.size += len(data)
        if self.limit is not None and self.size > self.limit:
            raise TooLarge(f"over {self.limit} bytes")
        self.sha256.update(data)
        if len(self.head) < self.keep:  # the first bytes, for content checks
            self.head += data[:self.keep - len(self.head)]
        self._buffer += data
        # Seal a piece only once more follows it: the last piece is marked as the last.
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]

    def close(self):
        self._seal(bytes(self._buffer), last=True)
        self._buffer = bytearray()
        return self

    def _seal(self, plain, last):
        nonce = os.urandom(12)
        data = nonce + self._cipher.encrypt(nonce, plain, _aad(self.file_id, self.variant, self._seq, last))
        self.db.add(EvidenceChunk(file_id=self.file_id, variant=self.variant, seq=self._seq, data=data))
        self._seq += 1
        if self._seq % 8 == 0:
            self.db.flush()  # the Session holds a few pieces at a time, not the whole file


@dataclass
class Opened:
    """A file's data key and what it says about itself ("name", "kind", "size", "sha256",
    and what processing added)."""
    key: bytes
    meta: dict


def new(*, draft_id=None, report=None, position=0, now=None):
    """A new file row (not yet sealed with its meta: call seal_meta after writing)."""
    now = now or datetime.now(timezone.utc)
    evidence = EvidenceFile(id=secrets.token_hex(16), draft_id=draft_id, report_id=report.id if report else None,
                            position=position, sealed="", scan_status="waiting", processing="waiting",
                            attempts=0, next_attempt_at=now, created_at=now,
                            added_after_sending=report is not None)
    key = AESGCM.generate_key(bit_length=256)
    return evidence, key


def seal_meta(sealer, evidence, key, meta, report=None):
    value = {"key": base64.b64encode(key).decode(), **meta}
    evidence.sealed = sealer.seal(value, owner_context(evidence, report))


def open_file(sealer, evidence, report=None):
    value = dict(sealer.unseal(evidence.sealed, owner_context(evidence, report)))
    return Opened(base64.b64decode(value.pop("key")), value)


def move(sealer, evidence, *, to_report=None, to_draft_id=None):
    """Re-seal a file's key and meta to its new owner (Send: the report; resume: a new draft)."""
    opened = open_file(sealer, evidence)
    if to_report is not None:
        evidence.report_id, evidence.draft_id = to_report.id, None
        evidence.report = to_report
    else:
        evidence.draft_id = to_draft_id
    seal_meta(sealer, evidence, opened.key, opened.meta, to_report)


def read(db, file_id, key, variant="original"):
    """The plaintext of one variant, piece by piece; SealingError if any piece is missing,
    out of place, tampered with or from another file."""
    seq, last_seen = 0, False
    while True:
        rows = db.execute(select(EvidenceChunk.seq, EvidenceChunk.data)
                          .where(EvidenceChunk.file_id == file_id, EvidenceChunk.variant == variant,
                                 EvidenceChunk.seq >= seq, EvidenceChunk.seq < seq + 8)
                          .order_by(EvidenceChunk.seq)).all()
        if not rows:
            break
        cipher = AESGCM(key)
        for number, data in rows:
            if number != seq or last_seen:
                raise SealingError(f"file {file_id} {variant}: piece {seq} missing or extra")
            try:
                plain = cipher.decrypt(data[:12], data[12:], _aad(file_id, variant, seq, False))
            except InvalidTag:
                try:
                    plain = cipher.decrypt(data[:12], data[12:], _aad(file_id, variant, seq, True))
                except InvalidTag as exc:
                    raise SealingError(f"file {file_id} {variant}: piece {seq} does not open") from exc
                last_seen = True
            yield plain
            seq += 1
    if not last_seen:
        raise SealingError(f"file {file_id} {variant}: cut short (no last piece)")


def read_all(db, file_id, key, variant="original"):
    return b"".join(read(db, file_id, key, variant))


def has_variant(db, file_id, variant):
    return db.scalar(select(func.count()).select_from(EvidenceChunk)
                     .where(EvidenceChunk.file_id == file_id, EvidenceChunk.variant == variant)) > 0


def write_variant(db, evidence, key, variant, data):
    """Replace one derived variant (clean copy, a preview page) with `data`."""
    db.execute(delete(EvidenceChunk).where(EvidenceChunk.file_id == evidence.id, EvidenceChunk.variant == variant))
    writer = Writer(db, evidence.id, key, variant)
    for start in range(0, len(data), CHUNK):
        writer.write(data[start:start + CHUNK])
    return writer.close()


# Built once (a Send runs it): building a statement costs more than running it.
_FILES_OF_DRAFT = (select(EvidenceFile).where(EvidenceFile.draft_id == bindparam("draft_id"))
                   .order_by(EvidenceFile.position, EvidenceFile.created_at))


def files_of_draft(db, draft_id):
    return list(db.scalars(_FILES_OF_DRAFT, {"draft_id": draft_id}))


def verify(db, sealer, evidence, report=None):
    """Open the key and every piece of every variant (for `db verify-backup`): the number
    of variants read; SealingError if anything does not open."""
    opened = open_file(sealer, evidence, report)
    variants = db.scalars(select(EvidenceChunk.variant).where(EvidenceChunk.file_id == evidence.id).distinct()).all()
    for variant in variants:
        digest = hashlib.sha256()
        for piece in read(db, evidence.id, opened.key, variant):
            digest.update(piece)
        if variant == "original" and digest.hexdigest() != opened.meta.get("sha256"):
            raise SealingError(f"file {evidence.id}: the original does not match its SHA-256")
    return len(variants)
