"""SQLite metadata of the devnet hub, with explicit numbered schema migrations.

``PRAGMA user_version`` holds the number of the last migration applied; migrations
only ever get appended to :data:`MIGRATIONS`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from typing import Iterator

from og_tui.core.fsperm import connect_private

__all__ = ["HubDB", "MIGRATIONS"]

MIGRATIONS: list[str] = [
    # 1: users, refresh tokens, models, versions, blobs, files
    """
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        uid           TEXT NOT NULL UNIQUE,
        email         TEXT NOT NULL UNIQUE,
        username      TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at    REAL NOT NULL
    );
    CREATE TABLE refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users(id),
        created_at REAL NOT NULL
    );
    CREATE TABLE models (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        name_key    TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        task_name   TEXT NOT NULL DEFAULT '',
        owner_id    INTEGER NOT NULL REFERENCES users(id),
        created_at  REAL NOT NULL
    );
    CREATE INDEX models_owner ON models(owner_id);
    CREATE INDEX models_created ON models(created_at);
    CREATE TABLE versions (
        id         INTEGER PRIMARY KEY,
        model_id   INTEGER NOT NULL REFERENCES models(id),
        major      INTEGER NOT NULL,
        minor      INTEGER NOT NULL,
        notes      TEXT NOT NULL DEFAULT '',
        is_major   INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        UNIQUE (model_id, major, minor)
    );
    CREATE TABLE blobs (
        cid        TEXT PRIMARY KEY,
        size       INTEGER NOT NULL,
        is_onnx    INTEGER,
        signature  TEXT,
        error      TEXT,
        created_at REAL NOT NULL
    );
    CREATE TABLE files (
        id         INTEGER PRIMARY KEY,
        version_id INTEGER NOT NULL REFERENCES versions(id),
        name       TEXT NOT NULL,
        cid        TEXT NOT NULL REFERENCES blobs(cid),
        created_at REAL NOT NULL,
        UNIQUE (version_id, name)
    );
    CREATE INDEX files_cid ON files(cid);
    """,
    # 2: devnet metadata (e.g. whether the samples were published)
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 3: sign-in sessions (a refresh token's session id, for ID tokens and sign-out) and
    #    the per-account count of failed sign-ins (back-off)
    """
    ALTER TABLE refresh_tokens ADD COLUMN sid TEXT;
    CREATE UNIQUE INDEX refresh_tokens_sid ON refresh_tokens(sid);
    CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id, created_at);
    CREATE TABLE sign_in_failures (
        email        TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL,
        locked_until REAL NOT NULL,
        last_failure REAL NOT NULL
    );
    """,
]


class HubDB:
    """One SQLite connection shared by the server's threads, serialized by a lock."""

    def __init__(self, path: "str | os.PathLike") -> None:
        self.path = os.fspath(path)
        self._lock = threading.RLock()
        # mode 0600 (it holds password hashes), and so are its -wal/-shm files
        self._conn = connect_private(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self.migrate()

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> int:
        with self._lock:
            current = self.schema_version
            if current > len(MIGRATIONS):
                raise RuntimeError(
                    f"hub database {self.path} has schema version {current}, newer than this og-tui "
                    f"({len(MIGRATIONS)}); upgrade og-tui or use another devnet data dir"
                )
            for number in range(current + 1, len(MIGRATIONS) + 1):
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in MIGRATIONS[number - 1].split(";"):
                        if statement.strip():
                            self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version = {number}")
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            return self.schema_version

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on error)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple | dict = ()):
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def close(self) -> None:
        with self._lock:
            self._conn.close()
