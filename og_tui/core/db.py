"""The app's SQLite file (``og-tui.db``): one way to open it, one list of migrations.

:func:`open_database` opens the shared connection (WAL, foreign keys, a busy timeout)
and brings the schema up to date. Every table in the file (the history's
transactions, payments and inference runs, the chat's conversations and messages)
comes from :data:`MIGRATIONS`, applied in order and tracked with ``PRAGMA
user_version``. To change the schema, append a new entry (never edit an old one).
Each step runs in one transaction: a failed upgrade leaves the previous version.

Files written before the chat tables joined this list kept their chat version in a
``chat_schema`` table; migration 4 creates the chat tables only where they are
missing (their rows are kept) and drops ``chat_schema``.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Optional, Sequence

from og_tui.core.errors import OGError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "StoreError", "migrate", "open_db", "open_database", "last_row_id"]


class StoreError(OGError):
    default_hint = "The history database may be damaged; move it away to start a new one."


MIGRATIONS: Sequence[str] = (
    # 1: transactions
    """
    CREATE TABLE transactions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        hash        TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'confirmed', 'failed')),
        gas_used    INTEGER,
        block       INTEGER,
        created_at  REAL NOT NULL,
        updated_at  REAL NOT NULL,
        from_addr   TEXT,
        to_addr     TEXT,
        value       TEXT,
        token       TEXT,
        profile     TEXT,
        detail      TEXT,
        error       TEXT
    );
    CREATE INDEX transactions_profile_created ON transactions (profile, created_at);
    """,
    # 2: x402 payments
    """
    CREATE TABLE payments (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        amount      TEXT NOT NULL,
        payee       TEXT,
        mode        TEXT,
        hash        TEXT,
        model       TEXT,
        created_at  REAL NOT NULL,
        profile     TEXT,
        token       TEXT,
        network     TEXT,
        detail      TEXT
    );
    CREATE INDEX payments_profile_created ON payments (profile, created_at);
    """,
    # 3: on-chain ONNX inference runs (the Inference screen's history)
    """
    CREATE TABLE inference_runs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        model       TEXT NOT NULL,
        model_name  TEXT,
        mode        TEXT NOT NULL,
        inputs      TEXT NOT NULL,
        outputs     TEXT,
        tx_hash     TEXT,
        block       INTEGER,
        gas_used    INTEGER,
        latency_s   REAL,
        created_at  REAL NOT NULL,
        profile     TEXT,
        detail      TEXT
    );
    CREATE INDEX inference_runs_profile_created ON inference_runs (profile, created_at);
    """,
    # 4: chat conversations and their messages. IF NOT EXISTS: files written before the
    # migrations were merged may hold these tables already (tracked then in a separate
    # ``chat_schema`` table, dropped here).
    """
    CREATE TABLE IF NOT EXISTS conversations (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        title    TEXT NOT NULL,
        model    TEXT,
        mode     TEXT,
        params   TEXT,
        tools    TEXT,
        created  REAL NOT NULL,
        updated  REAL NOT NULL,
        profile  TEXT
    );
    CREATE INDEX IF NOT EXISTS conversations_profile_updated ON conversations (profile, updated);
    CREATE TABLE IF NOT EXISTS chat_messages (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        role            TEXT NOT NULL,
        content         TEXT,
        tool_calls      TEXT,
        tool_call_id    TEXT,
        meta            TEXT,
        created         REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS chat_messages_conversation ON chat_messages (conversation_id, id);
    DROP TABLE IF EXISTS chat_schema;
    """,
    # 5: a payment's status follows its settlement: pending (reply streaming), queued (in a
    # settlement batch), settled (with its transaction), failed (with the reason), not charged
    # (the authorization expired unused). Older rows take the status their detail recorded.
    """
    ALTER TABLE payments ADD COLUMN status TEXT;
    ALTER TABLE payments ADD COLUMN settlement_tx TEXT;
    ALTER TABLE payments ADD COLUMN status_reason TEXT;
    UPDATE payments SET
        status = COALESCE(json_extract(detail, '$.status'), 'pending'),
        settlement_tx = json_extract(detail, '$.transaction');
    CREATE INDEX payments_status ON payments (status);
    """,
    # 6: the OpenAI-compatible gateway (og_tui.serve): the API keys it issued (only a hash of
    # each is kept) with their budgets in atomic payment-token units (NULL: none), and one row
    # per request it served or refused (its payment is in ``payments`` like any other)
    """
    CREATE TABLE gateway_keys (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        name        TEXT NOT NULL,
        prefix      TEXT NOT NULL,
        key_hash    TEXT NOT NULL UNIQUE,
        per_request INTEGER,
        per_day     INTEGER,
        total       INTEGER,
        created_at  REAL NOT NULL,
        revoked_at  REAL,
        last_used_at REAL
    );
    CREATE TABLE gateway_requests (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        key_id            INTEGER REFERENCES gateway_keys (id),
        endpoint          TEXT NOT NULL,
        model             TEXT,
        stream            INTEGER NOT NULL DEFAULT 0,
        status            INTEGER NOT NULL,
        error_code        TEXT,
        error             TEXT,
        prompt_tokens     INTEGER NOT NULL DEFAULT 0,
        completion_tokens INTEGER NOT NULL DEFAULT 0,
        cost              INTEGER NOT NULL DEFAULT 0,
        payment_hash      TEXT,
        settlement_mode   TEXT,
        settlement_status TEXT,
        settlement_tx     TEXT,
        latency_s         REAL,
        created_at        REAL NOT NULL,
        profile           TEXT
    );
    CREATE INDEX gateway_requests_key_created ON gateway_requests (key_id, created_at);
    """,
    # 7: the MCP server (og_tui.serve): the keys its HTTP transport accepts (only a hash of
    # each is kept), and the approval queue: one row per tool call that needs a confirmation
    # before it spends gas or OUSDC; the call waits for the row to be approved or denied (in
    # the app or with `og-tui mcp approvals`) and gives up at ``expires_at``
    """
    CREATE TABLE mcp_keys (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        name         TEXT NOT NULL,
        prefix       TEXT NOT NULL,
        key_hash     TEXT NOT NULL UNIQUE,
        created_at   REAL NOT NULL,
        revoked_at   REAL,
        last_used_at REAL
    );
    CREATE TABLE mcp_approvals (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        tool        TEXT NOT NULL,
        arguments   TEXT NOT NULL,
        spend       TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
        created_at  REAL NOT NULL,
        expires_at  REAL NOT NULL,
        decided_at  REAL,
        decided_by  TEXT,
        server      TEXT,
        profile     TEXT
    );
    CREATE INDEX mcp_approvals_status ON mcp_approvals (status, id);
    """,
    # 8: the gateway's OPG (x402 v2) side: the token each request's cost is counted in (the
    # profile's payment token symbol or "OPG"; NULL, the rows from before: the payment
    # token), and per-key OPG budgets in atomic OPG units (NULL: none), as decimal text
    # because 18 decimals pass SQLite's 64-bit integers from 9.2 OPG on
    """
    ALTER TABLE gateway_requests ADD COLUMN token TEXT;
    ALTER TABLE gateway_keys ADD COLUMN opg_per_request TEXT;
    ALTER TABLE gateway_keys ADD COLUMN opg_per_day TEXT;
    ALTER TABLE gateway_keys ADD COLUMN opg_total TEXT;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


_MIGRATING = threading.Lock()


def migrate(
    conn: sqlite3.Connection,
    target: Optional[int] = None,
    *,
    migrations: Optional[Sequence[str]] = None,
    error: type[StoreError] = StoreError,
) -> int:
    """Apply pending ``migrations`` (default :data:`MIGRATIONS`) up to ``target`` (default:
    all). Returns the schema version. Raises ``error`` for a newer file or a failed step."""
    steps = MIGRATIONS if migrations is None else migrations
    target = len(steps) if target is None else target
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > len(steps):
        raise error(
            f"The history database has schema version {current}, newer than this og-tui understands ({len(steps)}).",
            hint="Upgrade og-tui, or point OG_TUI_DATA_DIR at another folder.",
        )
    with _MIGRATING:  # the app opens the file twice (history, chats), from two threads at start
        for version in range(current + 1, target + 1):
            if int(conn.execute("PRAGMA user_version").fetchone()[0]) >= version:
                continue  # made meanwhile through another connection to the same file
            script = steps[version - 1]
            # executescript commits first; wrap each step so a failure leaves the old version.
            try:
                conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
            except sqlite3.DatabaseError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise error(f"Upgrading the history database to version {version} failed: {exc}.") from None
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def open_db(path: str) -> sqlite3.Connection:
    """One connection to the app's SQLite file: WAL, foreign keys, a busy timeout.

    Raises sqlite3.DatabaseError; :func:`open_database` turns it into a StoreError.
    """
    from og_tui.core.fsperm import connect_private

    # the file and its -wal/-shm journals are 0600; a missing folder is made 0700
    conn = connect_private(path, private_parent=False, check_same_thread=False, isolation_level=None, timeout=10)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def last_row_id(cur: sqlite3.Cursor) -> int:
    """The id of the row an INSERT through ``cur`` created."""
    if cur.lastrowid is None:
        raise StoreError("The history database did not report the id of the new row.")
    return cur.lastrowid


def open_database(path: str, error: type[StoreError] = StoreError) -> tuple[sqlite3.Connection, int]:
    """Open ``path`` and migrate it to the latest schema: ``(connection, version)``.

    Raises ``error`` (a StoreError) naming the file when it cannot be opened or upgraded.
    """
    try:
        conn = open_db(path)
    except sqlite3.DatabaseError as exc:
        raise error(f"Cannot open the history database {path}: {exc}.") from None
    try:
        return conn, migrate(conn, error=error)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise error(f"Cannot open the history database {path}: {exc}.") from None
    except StoreError:
        conn.close()
        raise
