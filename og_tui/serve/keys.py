"""The gateway's API keys and its request ledger, in the app's SQLite file.

A key is ``ogk_`` plus 43 URL-safe characters (256 random bits); only its SHA-256 is
stored, with a short prefix to recognise it by. Each key may carry budgets in atomic
payment-token units: per request, per UTC day and in total (``None``: no budget), and the
same in atomic OPG units for x402 v2 payments (``opg_per_request``, ...). What a key has
spent in a token is the sum of the ``cost`` of its rows in ``gateway_requests`` counted in
that token (one row per request served or refused; ``token`` names it, NULL for the
payment token), plus what its requests in flight have reserved (in memory).

    book = KeyBook(settings.db_path)
    key, secret = book.create("editor", per_request=2_000, per_day=100_000)
    book.authenticate(secret)            # -> GatewayKey, or raises KeyRefused
    book.revoke(key.id)
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Iterable, List, Optional, Union

from og_tui.core.db import StoreError
from og_tui.core.errors import OGError, ValidationError
from og_tui.core.mcp_approvals import RowBook

__all__ = ["KEY_PREFIX", "GatewayKey", "GatewayRequest", "KeyBook", "KeyRefused", "day_start", "hash_key"]

KEY_PREFIX = "ogk_"
OPG = "OPG"  # the symbol x402 v2 payments are counted in (og_tui.core.constants.OPG_NAME)


class KeyRefused(OGError):
    """No key, an unknown key or a revoked one. ``code`` is the OpenAI-style error code."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def day_start(now: Optional[float] = None) -> float:
    """The start of the current UTC day (per-day budgets reset there)."""
    now = time.time() if now is None else now
    return now - (now % 86400)


@dataclass(frozen=True)
class GatewayKey:
    id: int
    name: str
    prefix: str
    per_request: Optional[int]
    per_day: Optional[int]
    total: Optional[int]
    created_at: float
    revoked_at: Optional[float]
    last_used_at: Optional[float]
    opg_per_request: Optional[int] = None
    opg_per_day: Optional[int] = None
    opg_total: Optional[int] = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def has_budget(self) -> bool:
        """Any budget in the payment token."""
        return any(v is not None for v in (self.per_request, self.per_day, self.total))

    @property
    def has_opg_budget(self) -> bool:
        return any(v is not None for v in (self.opg_per_request, self.opg_per_day, self.opg_total))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "per_request": self.per_request,
            "per_day": self.per_day,
            "total": self.total,
            "opg_per_request": self.opg_per_request,
            "opg_per_day": self.opg_per_day,
            "opg_total": self.opg_total,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
            "last_used_at": self.last_used_at,
        }


@dataclass(frozen=True)
class GatewayRequest:
    id: int
    key_id: Optional[int]
    endpoint: str
    model: Optional[str]
    stream: bool
    status: int
    error_code: Optional[str]
    error: Optional[str]
    prompt_tokens: int
    completion_tokens: int
    cost: int
    payment_hash: Optional[str]
    settlement_mode: Optional[str]
    settlement_status: Optional[str]
    settlement_tx: Optional[str]
    latency_s: Optional[float]
    created_at: float
    profile: Optional[str]
    token: Optional[str] = None  # what ``cost`` is counted in: the payment token's symbol (or None), "OPG"


class _Done:
    """The rows and the new row id of a finished statement (what the callers read)."""

    def __init__(self, rows: List[sqlite3.Row], lastrowid: Optional[int]) -> None:
        self.rows = rows
        self.lastrowid = lastrowid

    def fetchone(self) -> Any:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> List[sqlite3.Row]:
        return self.rows


def _key(row: sqlite3.Row) -> GatewayKey:
    return GatewayKey(
        row["id"],
        row["name"],
        row["prefix"],
        row["per_request"],
        row["per_day"],
        row["total"],
        row["created_at"],
        row["revoked_at"],
        row["last_used_at"],
        _opg(row["opg_per_request"]),
        _opg(row["opg_per_day"]),
        _opg(row["opg_total"]),
    )


def _opg(value: Any) -> Optional[int]:
    return None if value is None else int(value)


def _request(row: sqlite3.Row) -> GatewayRequest:
    return GatewayRequest(
        row["id"],
        row["key_id"],
        row["endpoint"],
        row["model"],
        bool(row["stream"]),
        row["status"],
        row["error_code"],
        row["error"],
        row["prompt_tokens"],
        row["completion_tokens"],
        row["cost"],
        row["payment_hash"],
        row["settlement_mode"],
        row["settlement_status"],
        row["settlement_tx"],
        row["latency_s"],
        row["created_at"],
        row["profile"],
        row["token"],
    )


def _row_id(done: "_Done") -> int:
    if done.lastrowid is None:
        raise StoreError("The history database did not report the id of the new row.")
    return int(done.lastrowid)


def _budget(value: Optional[int], what: str) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value >= 2**256:
        raise ValidationError(f"The {what} budget must be a whole number of token units, 0 or more (not {value!r}).")
    return value


def _opg_text(value: Optional[int], what: str) -> Optional[str]:
    units = _budget(value, what)
    return None if units is None else str(units)


class KeyBook(RowBook):
    """Keys and request rows on the app's SQLite file (its own connection; thread-safe)."""

    def __init__(self, path: Union[str, Any], *, store: Any = None) -> None:
        """On ``path`` with a connection of its own, or on ``store``'s connection (the
        gateway: one connection to the file per process, see Store.shared_connection)."""
        super().__init__(path, store)

    def __enter__(self) -> "KeyBook":
        return self

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> "_Done":
        """Run one statement to its end and close its cursor, so that no half-read SELECT
        keeps the connection on an old snapshot (other processes write keys too)."""
        with self._lock:
            try:
                cur = self._conn.execute(sql, tuple(params))
                try:
                    return _Done(cur.fetchall(), cur.lastrowid)
                finally:
                    cur.close()
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"History database error: {exc}.") from None

    # -- keys ------------------------------------------------------------------------------
    def create(
        self,
        name: str,
        *,
        per_request: Optional[int] = None,
        per_day: Optional[int] = None,
        total: Optional[int] = None,
        opg_per_request: Optional[int] = None,
        opg_per_day: Optional[int] = None,
        opg_total: Optional[int] = None,
    ) -> tuple[GatewayKey, str]:
        """A new key: ``(record, secret)``. The secret is shown once and never stored.
        Budgets in atomic units: the payment token's, then OPG's (``opg_...``)."""
        name = (name or "").strip()
        if not name or len(name) > 64:
            raise ValidationError("A key needs a name of 1 to 64 characters (e.g. the tool that will use it).")
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        cur = self._execute(
            "INSERT INTO gateway_keys (name, prefix, key_hash, per_request, per_day, total, opg_per_request, "
            "opg_per_day, opg_total, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name,
                secret[:10],
                hash_key(secret),
                _budget(per_request, "per-request"),
                _budget(per_day, "per-day"),
                _budget(total, "total"),
                _opg_text(opg_per_request, "OPG per-request"),
                _opg_text(opg_per_day, "OPG per-day"),
                _opg_text(opg_total, "OPG total"),
                time.time(),
            ),
        )
        key = self.get(_row_id(cur))
        assert key is not None
        return key, secret

    def get(self, key_id: int) -> Optional[GatewayKey]:
        row = self._execute("SELECT * FROM gateway_keys WHERE id = ?", (int(key_id),)).fetchone()
        return _key(row) if row else None

    def find(self, ref: str) -> GatewayKey:
        """A key by id, name or prefix; ValidationError when none or several match."""
        ref = str(ref).strip()
        if ref.isdigit():
            key = self.get(int(ref))
            if key:
                return key
        rows = self._execute(
            "SELECT * FROM gateway_keys WHERE name = ? OR prefix = ? ORDER BY id", (ref, ref[:10])
        ).fetchall()
        if not rows:
            raise ValidationError(f"No gateway key {ref!r}.", hint="og-tui gateway keys list shows the keys.")
        if len(rows) > 1:
            raise ValidationError(
                f"{len(rows)} keys are named {ref!r}; give the key's id instead.",
                hint="og-tui gateway keys list shows the ids.",
            )
        return _key(rows[0])

    def list(self, include_revoked: bool = True) -> List[GatewayKey]:
        sql = "SELECT * FROM gateway_keys" + ("" if include_revoked else " WHERE revoked_at IS NULL") + " ORDER BY id"
        return [_key(r) for r in self._execute(sql).fetchall()]

    def revoke(self, key_id: int) -> GatewayKey:
        self._execute(
            "UPDATE gateway_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (time.time(), int(key_id))
        )
        key = self.get(key_id)
        if key is None:
            raise ValidationError(f"No gateway key with id {key_id}.")
        return key

    def authenticate(self, secret: Optional[str]) -> GatewayKey:
        """The live key for ``secret``; KeyRefused (missing, unknown or revoked) otherwise."""
        if not secret:
            raise KeyRefused(
                "No API key: send 'Authorization: Bearer <key>' with a key from 'og-tui gateway keys new'.",
                code="missing_api_key",
            )
        row = self._execute("SELECT * FROM gateway_keys WHERE key_hash = ?", (hash_key(secret),)).fetchone()
        if row is None:
            raise KeyRefused(
                "Invalid API key: this gateway did not issue it ('og-tui gateway keys list' shows the keys it knows).",
                code="invalid_api_key",
            )
        key = _key(row)
        if key.revoked:
            raise KeyRefused(
                f"API key {key.prefix}... ({key.name}) was revoked; issue a new one with 'og-tui gateway keys new'.",
                code="api_key_revoked",
            )
        self._execute("UPDATE gateway_keys SET last_used_at = ? WHERE id = ?", (time.time(), key.id))
        return key

    # -- spending --------------------------------------------------------------------------
    def spent(self, key_id: int, since: Optional[float] = None, *, token: Optional[str] = None) -> int:
        """What ``key_id``'s recorded requests cost in ``token`` (a symbol: "OPG" or the
        payment token's; rows without a token count in the payment token). No ``token``: the
        payment token's rows, i.e. every row not counted in OPG."""
        if token == OPG:
            sql = "SELECT COALESCE(SUM(cost), 0) FROM gateway_requests WHERE key_id = ? AND token = ?"
            params: list[Any] = [int(key_id), OPG]
        elif token is None:
            sql = (
                "SELECT COALESCE(SUM(cost), 0) FROM gateway_requests WHERE key_id = ? AND (token IS NULL OR token <> ?)"
            )
            params = [int(key_id), OPG]
        else:
            sql = (
                "SELECT COALESCE(SUM(cost), 0) FROM gateway_requests WHERE key_id = ? AND (token IS NULL OR token = ?)"
            )
            params = [int(key_id), str(token)]
        if since is not None:
            sql += " AND created_at >= ?"
            params.append(float(since))
        try:
            return int(self._execute(sql, params).fetchone()[0])
        except StoreError as exc:
            if "overflow" not in str(exc):
                raise
            # past SQLite's 64-bit sum (OPG units: from 9.2 OPG on): add them up here
            rows = self._execute(sql.replace("COALESCE(SUM(cost), 0)", "cost"), params).fetchall()
            return sum(int(r[0]) for r in rows)

    def keys_by_payment(self, payment_hashes: Iterable[str]) -> dict[str, GatewayKey]:
        """The key each of these payments (by processing hash) was made for, where the
        gateway made it (Activity names the key beside the payment)."""
        wanted = sorted({h for h in payment_hashes if h})
        out: dict[str, GatewayKey] = {}
        for i in range(0, len(wanted), 500):  # under SQLite's limit of bound parameters
            part = wanted[i : i + 500]
            rows = self._execute(
                "SELECT r.payment_hash AS payment_hash, k.* FROM gateway_requests r "
                "JOIN gateway_keys k ON k.id = r.key_id "
                f"WHERE r.payment_hash IN ({', '.join('?' * len(part))})",
                part,
            ).fetchall()
            for row in rows:
                out[row["payment_hash"]] = _key(row)
        return out

    # -- requests --------------------------------------------------------------------------
    def record(
        self,
        *,
        key_id: Optional[int],
        endpoint: str,
        status: int,
        model: Optional[str] = None,
        stream: bool = False,
        error_code: Optional[str] = None,
        error: Optional[str] = None,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost: int = 0,
        payment_hash: Optional[str] = None,
        settlement_mode: Optional[str] = None,
        settlement_status: Optional[str] = None,
        settlement_tx: Optional[str] = None,
        latency_s: Optional[float] = None,
        created_at: Optional[float] = None,
        profile: Optional[str] = None,
        token: Optional[str] = None,
    ) -> int:
        """One request row; ``cost`` in ``token`` (the payment token's symbol, "OPG"; None:
        the payment token)."""
        cur = self._execute(
            "INSERT INTO gateway_requests (key_id, endpoint, model, stream, status, error_code, error, prompt_tokens, "
            "completion_tokens, cost, payment_hash, settlement_mode, settlement_status, settlement_tx, latency_s, "
            "created_at, profile, token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key_id,
                endpoint,
                model,
                int(bool(stream)),
                int(status),
                error_code,
                error,
                int(prompt_tokens or 0),
                int(completion_tokens or 0),
                int(cost or 0),
                payment_hash,
                settlement_mode,
                settlement_status,
                settlement_tx,
                latency_s,
                time.time() if created_at is None else created_at,
                profile,
                token,
            ),
        )
        return _row_id(cur)

    def requests(self, key_id: Optional[int] = None, limit: int = 100) -> List[GatewayRequest]:
        if key_id is None:
            rows = self._execute("SELECT * FROM gateway_requests ORDER BY id DESC LIMIT ?", (int(limit),)).fetchall()
        else:
            rows = self._execute(
                "SELECT * FROM gateway_requests WHERE key_id = ? ORDER BY id DESC LIMIT ?", (int(key_id), int(limit))
            ).fetchall()
        return [_request(r) for r in rows]
