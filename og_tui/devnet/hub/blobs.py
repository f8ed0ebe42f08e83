"""Content-addressed blob store: ``<root>/<cid[-2:]>/<cid>``, identical bytes stored once.

An upload is written to a temporary file in ``<root>/../tmp`` (same filesystem) while
its CID is computed, then moved into place with an atomic ``os.replace``. A broken or
rejected upload leaves nothing behind: :meth:`PendingBlob.abort` deletes the temp file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import List, Optional

from og_tui.core.cid import CidHasher, is_cid
from og_tui.core.fsperm import private_dir

__all__ = ["BlobStore", "PendingBlob", "UploadTooLarge"]

_FLUSH = 1 << 20


class UploadTooLarge(Exception):
    pass


class PendingBlob:
    """A blob being received. ``write`` chunks, then ``finish`` (or ``abort``)."""

    def __init__(self, store: "BlobStore", max_size: Optional[int]) -> None:
        self.store = store
        self.max_size = max_size
        fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=store.tmp_dir)
        self.tmp_path = Path(name)
        self._fh = os.fdopen(fd, "wb", buffering=0)
        # received chunks not written yet: kept by reference (not copied into a buffer)
        # and written once about _FLUSH bytes have gathered
        self._chunks: List[bytes] = []
        self._chunks_size = 0
        self._hasher = CidHasher()
        self.closed = False

    @property
    def size(self) -> int:
        return self._hasher.size

    def write(self, data: bytes) -> None:
        if self.max_size is not None and self._hasher.size + len(data) > self.max_size:
            raise UploadTooLarge(self.max_size)
        if not isinstance(data, bytes):  # a caller's mutable buffer may change after we return
            data = bytes(data)
        self._hasher.update(data)
        self._chunks.append(data)
        self._chunks_size += len(data)
        if self._chunks_size >= _FLUSH:
            self._flush()

    def _flush(self) -> None:
        for chunk in self._chunks:
            view = memoryview(chunk)
            while view:  # a raw write may be short (e.g. just before the disk fills up)
                view = view[self._fh.write(view) :]
        self._chunks.clear()
        self._chunks_size = 0

    def finish(self) -> tuple[str, int]:
        """Flush and close; returns (cid, size). The temp file stays until commit/abort."""
        self._flush()
        self._fh.close()
        self.closed = True
        return self._hasher.cid(), self._hasher.size

    def commit(self, cid: str) -> Path:
        """Move the temp file to its content address (or drop it if the blob exists)."""
        final = self.store.path(cid)
        if final.exists():
            self.tmp_path.unlink(missing_ok=True)
        else:
            private_dir(final.parent)
            os.replace(self.tmp_path, final)
        return final

    def abort(self) -> None:
        try:
            if not self.closed:
                self._fh.close()
                self.closed = True
        finally:
            self.tmp_path.unlink(missing_ok=True)


class BlobStore:
    def __init__(self, root: "str | os.PathLike") -> None:
        self.root = Path(root)
        self.tmp_dir = self.root.parent / "tmp"
        private_dir(self.root)  # blobs are 0600 (mkstemp) in 0700 folders
        private_dir(self.tmp_dir)
        # temp files left by a crash are garbage: nothing was registered for them
        for stale in self.tmp_dir.glob("upload-*.part"):
            stale.unlink(missing_ok=True)

    def path(self, cid: str) -> Path:
        if not is_cid(cid):
            raise ValueError(f"not a CID: {cid!r}")
        return self.root / cid[-2:] / cid

    def exists(self, cid: str) -> bool:
        try:
            return self.path(cid).is_file()
        except ValueError:
            return False

    def begin(self, max_size: Optional[int] = None) -> PendingBlob:
        return PendingBlob(self, max_size)

    def put_bytes(self, data: bytes) -> tuple[str, int]:
        pending = self.begin()
        try:
            pending.write(data)
            cid, size = pending.finish()
            pending.commit(cid)
        except BaseException:
            pending.abort()
            raise
        return cid, size
