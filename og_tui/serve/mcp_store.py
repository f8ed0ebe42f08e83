"""The MCP server's HTTP keys, in the app's SQLite file (table ``mcp_keys``).

A key is ``ogm_`` plus 43 URL-safe characters (256 random bits); only its SHA-256 is kept,
with a short prefix to recognise it by. Keys open ``og-tui mcp --transport http`` and
nothing else (the gateway has keys of its own). The approval queue is
:mod:`og_tui.core.mcp_approvals` (the app reads it too).
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, List, Optional

from og_tui.core.db import StoreError
from og_tui.core.errors import OGError, ValidationError
from og_tui.core.mcp_approvals import ApprovalQueue, RowBook
from og_tui.serve.keys import hash_key

__all__ = ["MCP_KEY_PREFIX", "ApprovalQueue", "McpKey", "McpKeyBook", "McpKeyRefused"]

MCP_KEY_PREFIX = "ogm_"


class McpKeyRefused(OGError):
    """No key, an unknown one or a revoked one on the HTTP transport."""


@dataclass(frozen=True)
class McpKey:
    id: int
    name: str
    prefix: str
    created_at: float
    revoked_at: Optional[float]
    last_used_at: Optional[float]

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _key(row: sqlite3.Row) -> McpKey:
    return McpKey(row["id"], row["name"], row["prefix"], row["created_at"], row["revoked_at"], row["last_used_at"])


class McpKeyBook(RowBook):
    """The keys of the MCP server's HTTP transport."""

    def create(self, name: str) -> tuple[McpKey, str]:
        """A new key: ``(record, secret)``. The secret is shown once and never stored."""
        name = (name or "").strip()
        if not name or len(name) > 64:
            raise ValidationError("A key needs a name of 1 to 64 characters (e.g. the MCP client that will use it).")
        secret = MCP_KEY_PREFIX + secrets.token_urlsafe(32)
        _, rowid, _ = self._execute(
            "INSERT INTO mcp_keys (name, prefix, key_hash, created_at) VALUES (?, ?, ?, ?)",
            (name, secret[:10], hash_key(secret), time.time()),
        )
        key = self.get(int(rowid or 0))
        if key is None:
            raise StoreError("The history database did not keep the new key.")
        return key, secret

    def get(self, key_id: int) -> Optional[McpKey]:
        rows, _, _ = self._execute("SELECT * FROM mcp_keys WHERE id = ?", (int(key_id),))
        return _key(rows[0]) if rows else None

    def list(self, include_revoked: bool = True) -> List[McpKey]:
        sql = "SELECT * FROM mcp_keys" + ("" if include_revoked else " WHERE revoked_at IS NULL") + " ORDER BY id"
        return [_key(r) for r in self._execute(sql)[0]]

    def find(self, ref: str) -> McpKey:
        """A key by id, name or prefix; ValidationError when none or several match."""
        ref = str(ref).strip()
        if ref.isdigit():
            key = self.get(int(ref))
            if key:
                return key
        rows, _, _ = self._execute("SELECT * FROM mcp_keys WHERE name = ? OR prefix = ? ORDER BY id", (ref, ref[:10]))
        if not rows:
            raise ValidationError(f"No MCP key {ref!r}.", hint="og-tui mcp keys list shows the keys.")
        if len(rows) > 1:
            raise ValidationError(f"{len(rows)} MCP keys are named {ref!r}; give the key's id instead.")
        return _key(rows[0])

    def revoke(self, key_id: int) -> McpKey:
        self._execute("UPDATE mcp_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (time.time(), key_id))
        key = self.get(key_id)
        if key is None:
            raise ValidationError(f"No MCP key with id {key_id}.")
        return key

    def authenticate(self, secret: Optional[str]) -> McpKey:
        if not secret:
            raise McpKeyRefused(
                "No key: send 'Authorization: Bearer <key>' with a key from 'og-tui mcp keys new NAME'."
            )
        rows, _, _ = self._execute("SELECT * FROM mcp_keys WHERE key_hash = ?", (hash_key(secret),))
        if not rows:
            raise McpKeyRefused(
                "Invalid key: this MCP server did not issue it ('og-tui mcp keys list' shows its keys)."
            )
        key = _key(rows[0])
        if key.revoked:
            raise McpKeyRefused(f"The key {key.prefix}... ({key.name}) was revoked; issue a new one.")
        self._execute("UPDATE mcp_keys SET last_used_at = ? WHERE id = ?", (time.time(), key.id))
        return key
