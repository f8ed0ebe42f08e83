"""Content identifiers for Model Hub files: CIDv1, raw codec, sha2-256, base32.

The hub names every file by the CID of its bytes, in the form IPFS tools print by
default for raw leaves (``bafkrei...``), so anyone can recompute it:

    cid bytes = 0x01 (CIDv1) || 0x55 (raw) || 0x12 (sha2-256) || 0x20 (32 bytes) || digest
    cid text  = "b" + lowercase RFC 4648 base32 of the cid bytes, without padding

Note: this is the CID of the whole file as one raw block. ``ipfs add`` chunks files
larger than 256 KiB into a DAG and prints a different (``bafybei...``) CID for them.
Hashing is streamed: files are never held in memory.
"""

from __future__ import annotations

import base64
import hashlib
import os
from typing import BinaryIO, Callable, Optional, Union

__all__ = [
    "CidHasher",
    "cid_from_digest",
    "cid_for_bytes",
    "cid_for_file",
    "cid_for_stream",
    "is_cid",
    "digest_from_cid",
]

_PREFIX = bytes([0x01, 0x55, 0x12, 0x20])
CHUNK = 1 << 20


def cid_from_digest(digest: bytes) -> str:
    """CIDv1 text for a sha2-256 ``digest`` (32 bytes)."""
    if len(digest) != 32:
        raise ValueError("a sha2-256 digest is 32 bytes")
    return "b" + base64.b32encode(_PREFIX + digest).decode("ascii").lower().rstrip("=")


def digest_from_cid(cid: str) -> bytes:
    """The sha2-256 digest inside a ``bafkrei...`` CID; ValueError for anything else."""
    if not isinstance(cid, str) or not cid.startswith("b") or len(cid) != 59:
        raise ValueError(f"not a CIDv1 raw sha2-256 CID: {cid!r}")
    body = cid[1:].upper()
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except Exception as exc:  # binascii.Error
        raise ValueError(f"not a CIDv1 raw sha2-256 CID: {cid!r}") from exc
    if raw[:4] != _PREFIX or len(raw) != 36:
        raise ValueError(f"not a CIDv1 raw sha2-256 CID: {cid!r}")
    return raw[4:]


def is_cid(text: str) -> bool:
    try:
        digest_from_cid(text)
    except ValueError:
        return False
    return cid_from_digest(digest_from_cid(text)) == text


class CidHasher:
    """Incremental CID computation: ``update(chunk)`` as bytes arrive, then ``cid()``."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self.size = 0

    def update(self, data: bytes) -> None:
        self._h.update(data)
        self.size += len(data)

    def cid(self) -> str:
        return cid_from_digest(self._h.digest())


def cid_for_bytes(data: bytes) -> str:
    return cid_from_digest(hashlib.sha256(data).digest())


def cid_for_stream(
    stream: BinaryIO,
    *,
    progress: Optional[Callable[[int], None]] = None,
    chunk: int = CHUNK,
) -> str:
    h = CidHasher()
    while True:
        block = stream.read(chunk)
        if not block:
            break
        h.update(block)
        if progress is not None:
            progress(h.size)
    return h.cid()


def cid_for_file(path: Union[str, os.PathLike[str]], *, progress: Optional[Callable[[int], None]] = None) -> str:
    with open(path, "rb") as fh:
        return cid_for_stream(fh, progress=progress)
