"""The MCP server's approval queue, in the app's SQLite file (table ``mcp_approvals``).

A tool call of ``og-tui mcp`` that needs a confirmation (``confirm`` in ``[mcp]``) adds a
``pending`` row (tool, arguments, what it will spend) and waits for it to become
``approved`` or ``denied``: in the app (a dialog opened from its poll loop) or with
``og-tui mcp approvals approve|deny ID``, from any process, since the row is in the shared
file. At ``expires_at`` the wait gives up and the row becomes ``expired``; nothing is signed
unless the row was approved.

    queue = ApprovalQueue(settings.db_path)
    approval = queue.request("run_linear_regression", {"input": ...}, "gas of one transaction", timeout=120)
    queue.wait(approval.id)      # -> "approved" | "denied" | "expired"
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, List, Optional, Union

from og_tui.core.db import StoreError, open_database
from og_tui.core.errors import ValidationError

__all__ = ["APPROVAL_STATUSES", "Approval", "ApprovalQueue", "RowBook", "arguments_text"]

APPROVAL_STATUSES = ("pending", "approved", "denied", "expired")
MAX_ARGUMENTS_TEXT = 4000  # what a row keeps of a call's arguments


class RowBook:
    """One statement at a time on a connection of its own or a Store's (thread-safe)."""

    def __init__(self, path: Union[str, Any], store: Any = None) -> None:
        self._owned = store is None
        if store is None:
            self.path = str(path)
            self._lock: Any = threading.RLock()
            self._conn, _ = open_database(self.path)
        else:
            self.path = str(store.path)
            self._conn, self._lock = store.shared_connection()

    def close(self) -> None:
        if self._owned:
            with self._lock:
                self._conn.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> tuple[List[sqlite3.Row], Optional[int], int]:
        """Run one statement to its end: (rows, lastrowid, rowcount). The cursor is closed, so
        no half-read SELECT keeps this connection on an old snapshot (others write too)."""
        with self._lock:
            try:
                cur = self._conn.execute(sql, tuple(params))
                try:
                    return cur.fetchall(), cur.lastrowid, cur.rowcount
                finally:
                    cur.close()
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"History database error: {exc}.") from None


@dataclass(frozen=True)
class Approval:
    id: int
    tool: str
    arguments: str  # JSON text (cut at MAX_ARGUMENTS_TEXT)
    spend: str  # what the call will spend, in words
    status: str
    created_at: float
    expires_at: float
    decided_at: Optional[float]
    decided_by: Optional[str]
    server: Optional[str]
    profile: Optional[str]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _approval(row: sqlite3.Row) -> Approval:
    return Approval(
        row["id"],
        row["tool"],
        row["arguments"],
        row["spend"],
        row["status"],
        row["created_at"],
        row["expires_at"],
        row["decided_at"],
        row["decided_by"],
        row["server"],
        row["profile"],
    )


def arguments_text(arguments: Any) -> str:
    text = json.dumps(arguments, sort_keys=True, default=str)
    return text if len(text) <= MAX_ARGUMENTS_TEXT else text[: MAX_ARGUMENTS_TEXT - 3] + "..."


class ApprovalQueue(RowBook):
    """Tool calls waiting for a yes or a no (see the module's docstring)."""

    poll_seconds = 0.2

    def request(
        self,
        tool: str,
        arguments: Any,
        spend: str,
        *,
        timeout: float,
        server: Optional[str] = None,
        profile: Optional[str] = None,
    ) -> Approval:
        now = time.time()
        _, rowid, _ = self._execute(
            "INSERT INTO mcp_approvals (tool, arguments, spend, created_at, expires_at, server, profile) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (tool, arguments_text(arguments), spend, now, now + float(timeout), server, profile),
        )
        approval = self.get(int(rowid or 0))
        if approval is None:
            raise StoreError("The history database did not keep the approval request.")
        return approval

    def get(self, approval_id: int) -> Optional[Approval]:
        rows, _, _ = self._execute("SELECT * FROM mcp_approvals WHERE id = ?", (int(approval_id),))
        return _approval(rows[0]) if rows else None

    def expire_overdue(self) -> int:
        """Mark pending rows past their time ``expired`` (their callers gave up)."""
        _, _, count = self._execute(
            "UPDATE mcp_approvals SET status = 'expired', decided_at = ? WHERE status = 'pending' AND expires_at < ?",
            (time.time(), time.time()),
        )
        return max(0, count)

    def pending(self, profile: Optional[str] = None) -> List[Approval]:
        self.expire_overdue()
        sql, params = "SELECT * FROM mcp_approvals WHERE status = 'pending'", []
        if profile is not None:
            sql += " AND profile = ?"
            params.append(profile)
        return [_approval(r) for r in self._execute(sql + " ORDER BY id", params)[0]]

    def recent(self, limit: int = 20) -> List[Approval]:
        self.expire_overdue()
        rows, _, _ = self._execute("SELECT * FROM mcp_approvals ORDER BY id DESC LIMIT ?", (int(limit),))
        return [_approval(r) for r in rows]

    def decide(self, approval_id: int, approve: bool, by: str) -> Approval:
        """Approve or deny a pending request; ValidationError naming why when it is not pending."""
        self.expire_overdue()
        status = "approved" if approve else "denied"
        _, _, count = self._execute(
            "UPDATE mcp_approvals SET status = ?, decided_at = ?, decided_by = ? WHERE id = ? AND status = 'pending'",
            (status, time.time(), by, int(approval_id)),
        )
        approval = self.get(approval_id)
        if approval is None:
            raise ValidationError(
                f"No approval request #{approval_id}.", hint="og-tui mcp approvals list shows the pending ones."
            )
        if count != 1:
            raise ValidationError(
                f"Approval request #{approval_id} is {approval.status} already; it can no longer be "
                f"{'approved' if approve else 'denied'}."
            )
        return approval

    def wait(self, approval_id: int, cancelled: Optional[Callable[[], bool]] = None) -> str:
        """Block until the request is decided or expires: its final status."""
        while True:
            approval = self.get(approval_id)
            if approval is None:
                return "expired"
            if approval.status != "pending":
                return approval.status
            if time.time() >= approval.expires_at or (cancelled is not None and cancelled()):
                self._execute(
                    "UPDATE mcp_approvals SET status = 'expired', decided_at = ? WHERE id = ? AND status = 'pending'",
                    (time.time(), approval_id),
                )
                final = self.get(approval_id)
                return final.status if final is not None else "expired"
            time.sleep(self.poll_seconds)
