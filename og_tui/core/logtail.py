"""Incremental reading of a growing log file, as ``tail -f`` does.

:class:`LogTail` remembers where it stopped; each :meth:`LogTail.read` returns only the
complete lines written since. It never reads more than ``window`` bytes at once: a 50 MB
log shows its last ``window`` bytes, and a burst bigger than that is skipped ahead (the
count of skipped bytes is reported). A file that was truncated or replaced (rotation) is
read again from its start. No Textual imports: the app runs this in a worker thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

__all__ = ["DEFAULT_WINDOW", "LogTail", "TailUpdate"]

DEFAULT_WINDOW = 1 << 20  # bytes read at most per call (the first call shows this much of a big log)


@dataclass
class TailUpdate:
    lines: list[str] = field(default_factory=list)
    reset: bool = False  # the file is new, truncated or rotated: earlier lines belong to another file
    missing: bool = False  # no file (yet)
    skipped: int = 0  # bytes passed over to stay within the window


class LogTail:
    def __init__(self, path: Union[str, os.PathLike[str]], window: int = DEFAULT_WINDOW) -> None:
        self.path = Path(path)
        self.window = max(1024, int(window))
        self._pos: Optional[int] = None  # None: nothing read yet
        self._ident: Optional[tuple[int, int]] = None
        self._partial = b""

    def read(self) -> TailUpdate:
        """The complete lines added since the last call (a last line without its newline
        waits for the next call)."""
        try:
            fh = open(self.path, "rb")
        except FileNotFoundError:
            reset = self._pos is not None
            self._pos, self._ident, self._partial = None, None, b""
            return TailUpdate(reset=reset, missing=True)
        with fh:
            st = os.fstat(fh.fileno())
            ident = (st.st_dev, st.st_ino)
            size = st.st_size
            update = TailUpdate()
            if self._pos is None or ident != self._ident or size < self._pos:
                update.reset = self._pos is not None
                self._pos, self._ident, self._partial = 0, ident, b""
            start = self._pos
            aligned = True
            if size - start > self.window:
                update.skipped = size - self.window - start
                start = size - self.window
                self._partial = b""
                aligned = False
            fh.seek(start)
            data = fh.read(size - start)
        self._pos = start + len(data)
        if not aligned:  # the window began inside a line: drop that part
            cut = data.find(b"\n")
            update.skipped += cut + 1 if cut >= 0 else len(data)
            data = data[cut + 1 :] if cut >= 0 else b""
        data = self._partial + data
        end = data.rfind(b"\n")
        if end < 0:
            if len(data) > self.window:  # one endless line: keep the memory bounded
                update.skipped += len(data)
                data = b""
            self._partial = data
            return update
        self._partial = data[end + 1 :]
        text = data[:end].decode("utf-8", "replace")
        update.lines = [line.rstrip("\r") for line in text.split("\n")]
        return update
