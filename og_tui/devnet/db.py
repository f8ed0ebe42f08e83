"""A py-evm key/value database that lives in memory and is written through to SQLite.

py-evm stores everything (trie nodes, headers, block bodies, receipts, the canonical
head pointer, the transaction index) as opaque ``bytes -> bytes`` pairs. This class
keeps the pairs written since the last flush in a dirty map and writes them to
SQLite in one transaction when :meth:`flush` is called (the node calls it after each
mined block). Reads fall through to SQLite and are cached, so a restart does not have
to load the whole database: it opens the file and reads the keys it needs.

Writes happen under the node lock; reads may come from other threads (calls run outside
the lock), which is why a flush removes pairs from the dirty map only once they are readable
from the cache and SQLite.

Because a flush is one SQLite transaction and the canonical-head pointer is among the
flushed keys, a crash between blocks leaves the file at the previous block, never
half-written.
"""

from __future__ import annotations

import threading
from pathlib import Path

from eth.db.backends.base import BaseDB

from og_tui.core.fsperm import connect_private

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
"""

_DELETED = object()


class SqliteKV(BaseDB):
    """``BaseDB`` backed by a SQLite file, with a write-back dirty map and a read cache."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # mode 0600, and so are the -wal/-shm files SQLite makes beside it
        self._conn = connect_private(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._cache: dict[bytes, bytes] = {}
        self._dirty: dict[bytes, object] = {}
        self._io_lock = threading.Lock()

    # -- BaseDB -------------------------------------------------------------------
    def __getitem__(self, key: bytes) -> bytes:
        value = self._dirty.get(key)
        if value is not None:
            if value is _DELETED:
                raise KeyError(key)
            return value  # type: ignore[return-value]
        value = self._cache.get(key)
        if value is not None:
            return value
        with self._io_lock:
            row = self._conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        value = bytes(row[0])
        self._cache[key] = value
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._dirty[key] = value

    def __delitem__(self, key: bytes) -> None:
        if not self._exists(key):
            raise KeyError(key)
        self._dirty[key] = _DELETED
        self._cache.pop(key, None)

    def _exists(self, key: bytes) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True

    # -- persistence ----------------------------------------------------------------
    @property
    def dirty_count(self) -> int:
        return len(self._dirty)

    def flush(self, meta: dict[str, str] | None = None) -> int:
        """Write every pending change (and optional meta entries) in one transaction."""
        if not self._dirty and not meta:
            return 0
        # the pairs stay in the dirty map until they are in SQLite and in the cache, so a
        # reader in another thread (an eth_call running outside the node lock) always finds them
        dirty = dict(self._dirty)
        puts = [(k, v) for k, v in dirty.items() if v is not _DELETED]
        dels = [(k,) for k, v in dirty.items() if v is _DELETED]
        with self._io_lock:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                if puts:
                    conn.executemany("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", puts)
                if dels:
                    conn.executemany("DELETE FROM kv WHERE k = ?", dels)
                for k, v in (meta or {}).items():
                    conn.execute("INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)", (k, v))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise  # the changes are still in the dirty map: a later flush retries them
        for k, v in puts:
            self._cache[k] = v  # type: ignore[assignment]
        for k, v in dirty.items():
            if self._dirty.get(k) is v:
                del self._dirty[k]
        return len(dirty)

    def get_meta(self, key: str) -> str | None:
        with self._io_lock:
            row = self._conn.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        with self._io_lock:
            self._conn.close()
