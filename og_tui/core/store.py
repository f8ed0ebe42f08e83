"""Local history in SQLite: transactions and payments (later also runs and chats).

The file is opened and its schema brought up to date by :mod:`og_tui.core.db` (one
list of numbered migrations for every table in it, tracked with ``PRAGMA user_version``).

One connection per :class:`Store`, shared between threads under a lock (TUI workers
write from threads). WAL mode, so a reader is never blocked by a writer. Nothing is
opened at import; the file and its folder are created when a Store is constructed.

Amounts (``value``, ``amount``) are stored as decimal TEXT because uint256 does not fit
SQLite's 64-bit integers; records expose them as Python ints.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Union

from og_tui.core.db import MIGRATIONS, SCHEMA_VERSION, StoreError, last_row_id, migrate, open_database

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TX_STATUSES",
    "TX_KINDS",
    "TxRecord",
    "PaymentRecord",
    "PAYMENT_STATUSES",
    "PAYMENT_FINAL_STATUSES",
    "InferenceRunRecord",
    "Store",
    "StoreError",
    "migrate",
]


TX_STATUSES = ("pending", "confirmed", "failed")
# Known kinds (the column accepts any string so features can add their own).
TX_KINDS = (
    "transfer-native",
    "transfer-token",
    "faucet-native",
    "faucet-token",
    "inference",
    "llm",
    "workflow-deploy",
    "workflow-run",
    "workflow-schedule",
    "payment",
)


@dataclass(frozen=True)
class TxRecord:
    id: int
    hash: str
    kind: str
    status: str
    gas_used: Optional[int]
    block: Optional[int]
    created_at: float
    updated_at: float
    from_addr: Optional[str]
    to_addr: Optional[str]
    value: Optional[int]
    token: Optional[str]
    profile: Optional[str]
    detail: Optional[Dict[str, Any]]
    error: Optional[str]


@dataclass(frozen=True)
class PaymentRecord:
    id: int
    amount: int
    payee: Optional[str]
    mode: Optional[str]
    hash: Optional[str]
    model: Optional[str]
    created_at: float
    profile: Optional[str]
    token: Optional[str]
    network: Optional[str]
    detail: Optional[Dict[str, Any]]
    status: Optional[str] = None  # see PAYMENT_STATUSES
    settlement_tx: Optional[str] = None
    status_reason: Optional[str] = None

    @property
    def processing_hash(self) -> Optional[str]:
        return (self.detail or {}).get("processing_hash") or self.hash

    @property
    def final(self) -> bool:
        return self.status in PAYMENT_FINAL_STATUSES


# pending: the reply is still streaming or its settlement is not known yet; queued: in a
# settlement batch; settled: paid on chain (settlement_tx); failed: the gateway could not
# settle it (status_reason); not charged: the authorization expired unused.
PAYMENT_STATUSES = ("pending", "queued", "settled", "failed", "not charged")
PAYMENT_FINAL_STATUSES = frozenset({"settled", "failed", "not charged"})


_TX_UPDATABLE = frozenset(
    {"kind", "status", "gas_used", "block", "from_addr", "to_addr", "value", "token", "profile", "detail", "error"}
)


def _norm_hash(tx_hash: str) -> str:
    h = str(tx_hash).strip().lower()
    return h if h.startswith("0x") else "0x" + h


def _to_text_int(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("amounts are integers, not booleans")
    return str(int(value))


def _from_text_int(value: Optional[str]) -> Optional[int]:
    return None if value is None else int(value)


def _to_json(value: Any) -> Optional[str]:
    return None if value is None else json.dumps(value, default=str, sort_keys=True)


def _from_json(value: Optional[str]) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return {"raw": value}


class Store:
    """SQLite history at ``path`` (``":memory:"`` for a throwaway one)."""

    def __init__(self, path: Union[str, os.PathLike[str]]) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        with self._lock:
            self._conn, self.schema_version = open_database(self.path)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def shared_connection(self) -> tuple[sqlite3.Connection, threading.RLock]:
        """This store's connection and the lock to hold while using it, for another part of
        the same process keeping its own tables in the file: one connection per process
        (opening a second one through connect_private closes a descriptor of the file, which
        drops the POSIX locks SQLite holds for the first)."""
        return self._conn, self._lock

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._conn.execute(sql, tuple(params))
            except sqlite3.IntegrityError:
                raise
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"History database error: {exc}.") from None

    # --- transactions ---------------------------------------------------------------

    @staticmethod
    def _tx(row: sqlite3.Row) -> TxRecord:
        return TxRecord(
            id=row["id"],
            hash=row["hash"],
            kind=row["kind"],
            status=row["status"],
            gas_used=row["gas_used"],
            block=row["block"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            from_addr=row["from_addr"],
            to_addr=row["to_addr"],
            value=_from_text_int(row["value"]),
            token=row["token"],
            profile=row["profile"],
            detail=_from_json(row["detail"]),
            error=row["error"],
        )

    def add_tx(
        self,
        hash: str,  # noqa: A002 - column name
        kind: str,
        *,
        status: str = "pending",
        from_addr: Optional[str] = None,
        to_addr: Optional[str] = None,
        value: Optional[int] = None,
        token: Optional[str] = None,
        profile: Optional[str] = None,
        detail: Optional[Dict[str, Any]] = None,
        gas_used: Optional[int] = None,
        block: Optional[int] = None,
        error: Optional[str] = None,
        created_at: Optional[float] = None,
    ) -> TxRecord:
        """Record a transaction. Adding a hash that exists updates the given fields."""
        if status not in TX_STATUSES:
            raise ValueError(f"status must be one of {TX_STATUSES}, not {status!r}")
        h = _norm_hash(hash)
        now = time.time()
        with self._lock:
            existing = self.get_tx(h)
            if existing is not None:
                fields = {
                    k: v
                    for k, v in dict(
                        kind=kind,
                        status=status,
                        from_addr=from_addr,
                        to_addr=to_addr,
                        value=value,
                        token=token,
                        profile=profile,
                        detail=detail,
                        gas_used=gas_used,
                        block=block,
                        error=error,
                    ).items()
                    if v is not None
                }
                return self.update_tx(h, **fields)  # type: ignore[return-value]
            self._execute(
                """INSERT INTO transactions (hash, kind, status, gas_used, block, created_at, updated_at,
                   from_addr, to_addr, value, token, profile, detail, error)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    h,
                    kind,
                    status,
                    gas_used,
                    block,
                    created_at or now,
                    now,
                    from_addr,
                    to_addr,
                    _to_text_int(value),
                    token,
                    profile,
                    _to_json(detail),
                    error,
                ),
            )
            return self.get_tx(h)  # type: ignore[return-value]

    def update_tx(self, hash: str, /, **fields: Any) -> Optional[TxRecord]:  # noqa: A002
        """Update columns of the transaction ``hash``; returns the new record (None if unknown)."""
        unknown = set(fields) - _TX_UPDATABLE
        if unknown:
            raise ValueError(f"cannot update transaction fields: {', '.join(sorted(unknown))}")
        if "status" in fields and fields["status"] not in TX_STATUSES:
            raise ValueError(f"status must be one of {TX_STATUSES}, not {fields['status']!r}")
        h = _norm_hash(hash)
        values = dict(fields)
        if "value" in values:
            values["value"] = _to_text_int(values["value"])
        if "detail" in values:
            values["detail"] = _to_json(values["detail"])
        values["updated_at"] = time.time()
        cols = ", ".join(f"{k} = ?" for k in values)
        with self._lock:
            self._execute(f"UPDATE transactions SET {cols} WHERE hash = ?", (*values.values(), h))
            return self.get_tx(h)

    def get_tx(self, hash: str) -> Optional[TxRecord]:  # noqa: A002
        row = self._execute("SELECT * FROM transactions WHERE hash = ?", (_norm_hash(hash),)).fetchone()
        return self._tx(row) if row else None

    def list_txs(
        self,
        profile: Optional[str] = None,
        limit: int = 100,
        offset: int = 0,
        *,
        kind: Optional[str] = None,
        status: Optional[str] = None,
        address: Optional[str] = None,
    ) -> List[TxRecord]:
        """Newest first. ``address`` matches sender or recipient (case-insensitive)."""
        where, params = [], []  # type: List[str], List[Any]
        if profile is not None:
            where.append("profile = ?")
            params.append(profile)
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if address is not None:
            where.append("(lower(from_addr) = ? OR lower(to_addr) = ?)")
            params += [address.lower(), address.lower()]
        sql = "SELECT * FROM transactions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        rows = self._execute(sql, (*params, int(limit), int(offset))).fetchall()
        return [self._tx(r) for r in rows]

    def count_txs(self, profile: Optional[str] = None, status: Optional[str] = None) -> int:
        where, params = [], []  # type: List[str], List[Any]
        if profile is not None:
            where.append("profile = ?")
            params.append(profile)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        sql = "SELECT COUNT(*) FROM transactions" + (" WHERE " + " AND ".join(where) if where else "")
        return int(self._execute(sql, params).fetchone()[0])

    # --- payments -------------------------------------------------------------------

    @staticmethod
    def _payment(row: sqlite3.Row) -> PaymentRecord:
        return PaymentRecord(
            id=row["id"],
            amount=int(row["amount"]),
            payee=row["payee"],
            mode=row["mode"],
            hash=row["hash"],
            model=row["model"],
            created_at=row["created_at"],
            profile=row["profile"],
            token=row["token"],
            network=row["network"],
            detail=_from_json(row["detail"]),
            status=row["status"],
            settlement_tx=row["settlement_tx"],
            status_reason=row["status_reason"],
        )

    def add_payment(
        self,
        amount: int,
        *,
        payee: Optional[str] = None,
        mode: Optional[str] = None,
        hash: Optional[str] = None,  # noqa: A002
        model: Optional[str] = None,
        profile: Optional[str] = None,
        token: Optional[str] = None,
        network: Optional[str] = None,
        detail: Optional[Dict[str, Any]] = None,
        created_at: Optional[float] = None,
        status: Optional[str] = None,
        settlement_tx: Optional[str] = None,
    ) -> PaymentRecord:
        """Record an x402 payment of ``amount`` atomic token units (status "pending" unless
        the server already said how it was settled)."""
        mode = getattr(mode, "value", mode)
        model = getattr(model, "value", model)
        status = status or "pending"
        if status not in PAYMENT_STATUSES:
            raise StoreError(f"Unknown payment status {status!r}.")
        with self._lock:
            cur = self._execute(
                """INSERT INTO payments (amount, payee, mode, hash, model, created_at, profile, token,
                   network, detail, status, settlement_tx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    _to_text_int(amount),
                    payee,
                    mode,
                    hash,
                    model,
                    created_at or time.time(),
                    profile,
                    token,
                    network,
                    _to_json(detail),
                    status,
                    settlement_tx,
                ),
            )
            row = self._execute("SELECT * FROM payments WHERE id = ?", (cur.lastrowid,)).fetchone()
            return self._payment(row)

    def set_payment_status(
        self, payment_id: int, status: str, *, settlement_tx: Optional[str] = None, reason: Optional[str] = None
    ) -> Optional[PaymentRecord]:
        """Move a payment to ``status`` (a final status is never left again)."""
        if status not in PAYMENT_STATUSES:
            raise StoreError(f"Unknown payment status {status!r}.")
        with self._lock:
            self._execute(
                """UPDATE payments SET status = ?, settlement_tx = COALESCE(?, settlement_tx),
                   status_reason = COALESCE(?, status_reason)
                   WHERE id = ? AND (status IS NULL OR status NOT IN ('settled', 'failed', 'not charged'))""",
                (status, settlement_tx, reason, int(payment_id)),
            )
            row = self._execute("SELECT * FROM payments WHERE id = ?", (int(payment_id),)).fetchone()
        return self._payment(row) if row is not None else None

    def set_payment_amount(self, payment_id: int, amount: int) -> None:
        """What a payment charged once it is known (x402 v2 ``upto``, streamed: at the reply's end)."""
        with self._lock:
            self._execute("UPDATE payments SET amount = ? WHERE id = ?", (_to_text_int(amount), int(payment_id)))

    def payments_by_processing_hash(self, processing_hash: str) -> List[PaymentRecord]:
        rows = self._execute(
            "SELECT * FROM payments WHERE hash = ? OR json_extract(detail, '$.processing_hash') = ?",
            (processing_hash, processing_hash),
        ).fetchall()
        return [self._payment(r) for r in rows]

    def open_payments(self, profile: Optional[str] = None, limit: int = 200) -> List[PaymentRecord]:
        """Payments whose settlement is not known yet (pending or queued), oldest first."""
        sql = "SELECT * FROM payments WHERE (status IS NULL OR status IN ('pending', 'queued'))"
        params: List[Any] = []
        if profile is not None:
            sql += " AND profile = ?"
            params.append(profile)
        sql += " ORDER BY created_at, id LIMIT ?"
        return [self._payment(r) for r in self._execute(sql, (*params, int(limit))).fetchall()]

    def list_payments(self, profile: Optional[str] = None, limit: int = 100, offset: int = 0) -> List[PaymentRecord]:
        sql = "SELECT * FROM payments"
        params: List[Any] = []
        if profile is not None:
            sql += " WHERE profile = ?"
            params.append(profile)
        sql += " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        rows = self._execute(sql, (*params, int(limit), int(offset))).fetchall()
        return [self._payment(r) for r in rows]

    def total_payments(self, profile: Optional[str] = None, since: Optional[float] = None) -> int:
        """Sum of payment amounts (atomic units), optionally since a timestamp."""
        sql = "SELECT amount FROM payments"
        where, params = [], []  # type: List[str], List[Any]
        if profile is not None:
            where.append("profile = ?")
            params.append(profile)
        if since is not None:
            where.append("created_at >= ?")
            params.append(since)
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sum(int(r[0]) for r in self._execute(sql, params).fetchall())

    # --- inference runs ---------------------------------------------------------------

    @staticmethod
    def _run(row: sqlite3.Row) -> "InferenceRunRecord":
        return InferenceRunRecord(
            id=row["id"],
            model=row["model"],
            model_name=row["model_name"],
            mode=row["mode"],
            inputs=_from_json(row["inputs"]),
            outputs=_from_json(row["outputs"]),
            tx_hash=row["tx_hash"],
            block=row["block"],
            gas_used=row["gas_used"],
            latency_s=row["latency_s"],
            created_at=row["created_at"],
            profile=row["profile"],
            detail=_from_json(row["detail"]),
        )

    def add_run(
        self,
        model: str,
        mode: str,
        inputs: Any,
        outputs: Any = None,
        *,
        model_name: Optional[str] = None,
        tx_hash: Optional[str] = None,
        block: Optional[int] = None,
        gas_used: Optional[int] = None,
        latency_s: Optional[float] = None,
        profile: Optional[str] = None,
        detail: Optional[Dict[str, Any]] = None,
        created_at: Optional[float] = None,
    ) -> "InferenceRunRecord":
        """Record one inference run (``inputs``/``outputs`` are JSON-serializable)."""
        with self._lock:
            cur = self._execute(
                """INSERT INTO inference_runs (model, model_name, mode, inputs, outputs, tx_hash, block,
                   gas_used, latency_s, created_at, profile, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    model,
                    model_name,
                    mode,
                    json.dumps(inputs, default=str),
                    _to_json(outputs),
                    _norm_hash(tx_hash) if tx_hash else None,
                    block,
                    gas_used,
                    latency_s,
                    created_at or time.time(),
                    profile,
                    _to_json(detail),
                ),
            )
            return self.get_run(last_row_id(cur))  # type: ignore[return-value]

    def get_run(self, run_id: int) -> Optional["InferenceRunRecord"]:
        row = self._execute("SELECT * FROM inference_runs WHERE id = ?", (int(run_id),)).fetchone()
        return self._run(row) if row else None

    def list_runs(
        self, profile: Optional[str] = None, limit: int = 100, offset: int = 0, *, model: Optional[str] = None
    ) -> List["InferenceRunRecord"]:
        """Newest first."""
        where, params = [], []  # type: List[str], List[Any]
        if profile is not None:
            where.append("profile = ?")
            params.append(profile)
        if model is not None:
            where.append("model = ?")
            params.append(model)
        sql = "SELECT * FROM inference_runs" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        rows = self._execute(sql, (*params, int(limit), int(offset))).fetchall()
        return [self._run(r) for r in rows]


@dataclass(frozen=True)
class InferenceRunRecord:
    id: int
    model: str
    model_name: Optional[str]
    mode: str
    inputs: Any
    outputs: Any
    tx_hash: Optional[str]
    block: Optional[int]
    gas_used: Optional[int]
    latency_s: Optional[float]
    created_at: float
    profile: Optional[str]
    detail: Optional[Dict[str, Any]]
