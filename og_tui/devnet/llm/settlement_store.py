"""Where the x402 gateway keeps its payments: ``x402.sqlite3`` beside the chain.

One row per accepted payment (:class:`Settlement`), written **before** the paid reply is
released and updated at each step, so a devnet killed at any moment finds at start-up
every payment it still has to settle (see ``PaymentService._recover``) and
``GET /v1/x402/settlements/{hash}`` answers across restarts.

Statuses:

==========  ===========================================================================
``pending``  verified and reserved; the reply is being produced (``released`` says
             whether content has left the gateway: streams release at once)
``queued``   waiting for its ``settleBatch`` transaction (``transaction`` is filled in
             just before that transaction is sent, so a crash right after is recognized)
``settled``  paid on chain (``transaction``, ``block``; ``paid_by`` for a debt payment)
``failed``   not paid and not owed: nothing was served, or the gateway itself was late
``owed``     served, but the authorization failed at settlement because of the payer
             (cancelled, funds moved): the payer owes ``value`` until a later payment of
             his settles it (then ``settled`` with ``paid_by``)
==========  ===========================================================================

The file is created 0600 (SQLite gives its -wal/-shm files the same mode).
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Iterable, Optional

DB_FILE = "x402.sqlite3"

OPEN_STATUSES = ("pending", "queued")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settlements (
    processing_hash TEXT PRIMARY KEY,
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    payer TEXT NOT NULL,
    payee TEXT NOT NULL DEFAULT '',
    network TEXT NOT NULL DEFAULT '',
    value TEXT NOT NULL DEFAULT '0',
    valid_before INTEGER NOT NULL DEFAULT 0,
    nonce TEXT NOT NULL DEFAULT '',
    transfer_call BLOB,
    input_hash TEXT NOT NULL DEFAULT '',
    output_hash TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    input_text TEXT NOT NULL DEFAULT '',
    output_text TEXT NOT NULL DEFAULT '',
    released INTEGER NOT NULL DEFAULT 0,
    transaction_hash TEXT NOT NULL DEFAULT '',
    block INTEGER,
    error TEXT NOT NULL DEFAULT '',
    paid_by TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS settlements_open ON settlements (status);
CREATE INDEX IF NOT EXISTS settlements_payer ON settlements (payer, status);
"""


@dataclass
class Settlement:
    """One accepted payment and where its settlement stands (one row of the store)."""

    mode: str
    status: str
    processing_hash: str
    payer: str = ""
    network: str = ""
    payee: str = ""
    value: int = 0
    valid_before: int = 0
    nonce: str = ""
    transfer_call: bytes = b""
    input_hash: str = ""
    output_hash: str = ""
    model: str = ""
    input_text: str = ""
    output_text: str = ""
    released: bool = False
    transaction: str = ""
    block: Optional[int] = None
    error: str = ""
    paid_by: str = ""
    created: float = field(default_factory=time.time)

    def public(self) -> dict:
        out = {
            "success": self.status not in ("failed", "owed"),
            "transaction": self.transaction,
            "network": self.network,
            "payer": self.payer,
            "mode": self.mode,
            "status": self.status,
            "processingHash": self.processing_hash,
        }
        if self.value:
            out["amount"] = str(self.value)
        if self.error:
            out["errorReason"] = self.error
        if self.block is not None:
            out["block"] = self.block
        if self.status == "owed":
            out["owed"] = str(self.value)
        if self.paid_by:
            out["paidAsDebtBy"] = self.paid_by
        return out

    def header(self) -> str:
        return base64.b64encode(json.dumps(self.public(), separators=(",", ":")).encode()).decode()


_COLUMNS = {f.name: ("transaction_hash" if f.name == "transaction" else f.name) for f in fields(Settlement)}


def _row_values(st: Settlement) -> list:
    out = []
    for name in _COLUMNS:
        v = getattr(st, name)
        if name == "value":
            v = str(int(v))
        elif name == "released":
            v = 1 if v else 0
        elif name == "transfer_call":
            v = bytes(v)
        out.append(v)
    return out


def _from_row(row: sqlite3.Row) -> Settlement:
    kw = {}
    for name, col in _COLUMNS.items():
        v = row[col]
        if name == "value":
            v = int(v)
        elif name == "released":
            v = bool(v)
        elif name == "transfer_call":
            v = bytes(v or b"")
        kw[name] = v
    return Settlement(**kw)


def _create_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(path), os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class SettlementStore:
    """Thread-safe access to ``x402.sqlite3``; every write is committed when the call returns."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        _create_private(self.path)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        # WAL: a committed write survives the process being killed (it is in the OS's hands)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        cols = ", ".join(_COLUMNS.values())
        marks = ", ".join("?" for _ in _COLUMNS)
        self._upsert = f"INSERT OR REPLACE INTO settlements ({cols}, updated) VALUES ({marks}, ?)"

    def put(self, st: Settlement) -> None:
        self.put_many([st])

    def put_many(self, items: Iterable[Settlement]) -> None:
        now = time.time()
        rows = [_row_values(st) + [now] for st in items]
        if not rows:
            return
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(self._upsert, rows)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def get(self, processing_hash: str) -> Optional[Settlement]:
        with self._lock:
            row = self._conn.execute(
                "SELECT * FROM settlements WHERE processing_hash = ?", (processing_hash.lower(),)
            ).fetchone()
        return None if row is None else _from_row(row)

    def open_items(self) -> list[Settlement]:
        """Every payment not settled, failed or owed yet (what start-up must finish)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM settlements WHERE status IN (?, ?) ORDER BY created", OPEN_STATUSES
            ).fetchall()
        return [_from_row(r) for r in rows]

    def owed_by(self, payer: str) -> list[Settlement]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM settlements WHERE status = 'owed' AND lower(payer) = ? ORDER BY created",
                (payer.lower(),),
            ).fetchall()
        return [_from_row(r) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
