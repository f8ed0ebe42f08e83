"""Chat conversations and their messages, in the app's SQLite history file.

Two tables beside :mod:`og_tui.core.store`'s in the same file, created by the same
numbered migrations (:mod:`og_tui.core.db`):

- ``conversations(id, title, model, mode, params JSON, tools JSON, created, updated, profile)``
- ``chat_messages(id, conversation_id, role, content, tool_calls JSON, tool_call_id, meta JSON, created)``

Listing conversations reads only the ``conversations`` table (search adds an indexed
``EXISTS`` over message text); messages are read per conversation, newest page first.
Thread-safe (one connection under a lock), like :class:`og_tui.core.store.Store`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from og_tui.core.db import StoreError, last_row_id, open_database

__all__ = ["ChatStore", "Conversation", "ChatMessage", "ChatStoreError"]


class ChatStoreError(StoreError):
    """The chat history cannot be read or written."""


def _dumps(value: Any) -> Optional[str]:
    return None if value is None else json.dumps(value, default=str, sort_keys=True)


def _loads(value: Optional[str], default: Any = None) -> Any:
    if value is None:
        return default
    try:
        return json.loads(value)
    except ValueError:
        return default


@dataclass
class Conversation:
    id: int
    title: str
    model: Optional[str] = None
    mode: Optional[str] = None
    params: Dict[str, Any] = field(default_factory=dict)
    tools: List[dict[str, Any]] = field(default_factory=list)
    created: float = 0.0
    updated: float = 0.0
    profile: Optional[str] = None


@dataclass
class ChatMessage:
    id: int
    conversation_id: int
    role: str
    content: Optional[str]
    tool_calls: List[dict[str, Any]] = field(default_factory=list)
    tool_call_id: Optional[str] = None
    meta: Dict[str, Any] = field(default_factory=dict)
    created: float = 0.0

    @property
    def tee(self) -> Any:
        """The TEE proof check kept with a reply (a tee_proof.TeeVerification; None when the
        reply was not a checked TEE reply). It lives in ``meta["tee"]`` (ReplyMeta.as_dict())."""
        from og_tui.core.tee_proof import TeeVerification

        return TeeVerification.from_dict(self.meta.get("tee"))

    def api(self) -> dict[str, Any]:
        """The message as the OpenAI-shaped API takes it."""
        out: Dict[str, Any] = {"role": self.role, "content": self.content if self.content is not None else ""}
        if self.tool_calls:
            out["tool_calls"] = self.tool_calls
            if not self.content:
                out["content"] = None
        if self.tool_call_id:
            out["tool_call_id"] = self.tool_call_id
        return out


_CONV_FIELDS = frozenset({"title", "model", "mode", "params", "tools", "profile"})
_MSG_FIELDS = frozenset({"content", "tool_calls", "meta", "tool_call_id"})


class ChatStore:
    """Conversations at ``path`` (normally the app's ``og-tui.db``; ``":memory:"`` works)."""

    def __init__(self, path: Union[str, os.PathLike[str]]) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        with self._lock:
            self._conn, self.schema_version = open_database(self.path, ChatStoreError)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._conn.execute(sql, tuple(params))
            except sqlite3.DatabaseError as exc:
                raise ChatStoreError(f"Chat history error: {exc}.") from None

    # --- conversations ---------------------------------------------------------------------
    @staticmethod
    def _conv(row: sqlite3.Row) -> Conversation:
        return Conversation(
            id=row["id"],
            title=row["title"],
            model=row["model"],
            mode=row["mode"],
            params=_loads(row["params"], {}) or {},
            tools=_loads(row["tools"], []) or [],
            created=row["created"],
            updated=row["updated"],
            profile=row["profile"],
        )

    def create_conversation(
        self,
        title: str = "New chat",
        *,
        model: Optional[str] = None,
        mode: Optional[str] = None,
        params: Optional[dict[str, Any]] = None,
        tools: Optional[list[Any]] = None,
        profile: Optional[str] = None,
        created: Optional[float] = None,
    ) -> Conversation:
        now = created if created is not None else time.time()
        with self._lock:
            cur = self._execute(
                "INSERT INTO conversations (title, model, mode, params, tools, created, updated, profile) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (title, model, mode, _dumps(params or {}), _dumps(tools or []), now, now, profile),
            )
            return self.get_conversation(last_row_id(cur))  # type: ignore[return-value]

    def get_conversation(self, conversation_id: int) -> Optional[Conversation]:
        row = self._execute("SELECT * FROM conversations WHERE id = ?", (int(conversation_id),)).fetchone()
        return self._conv(row) if row else None

    def list_conversations(
        self, profile: Optional[str] = None, search: Optional[str] = None, limit: int = 500, offset: int = 0
    ) -> List[Conversation]:
        """Newest first, without reading any message (``search`` matches titles and message text)."""
        where, params = [], []  # type: List[str], List[Any]
        if profile is not None:
            where.append("profile = ?")
            params.append(profile)
        if search:
            like = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(
                "(title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM chat_messages m "
                "WHERE m.conversation_id = conversations.id AND m.content LIKE ? ESCAPE '\\'))"
            )
            params += [like, like]
        sql = "SELECT * FROM conversations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY updated DESC, id DESC LIMIT ? OFFSET ?"
        return [self._conv(r) for r in self._execute(sql, (*params, int(limit), int(offset))).fetchall()]

    def update_conversation(
        self, conversation_id: int, /, *, touch: bool = True, **fields: Any
    ) -> Optional[Conversation]:
        unknown = set(fields) - _CONV_FIELDS
        if unknown:
            raise ValueError(f"cannot update conversation fields: {', '.join(sorted(unknown))}")
        values = {k: (_dumps(v) if k in ("params", "tools") else v) for k, v in fields.items()}
        if touch:
            values["updated"] = time.time()
        if not values:
            return self.get_conversation(conversation_id)
        cols = ", ".join(f"{k} = ?" for k in values)
        with self._lock:
            self._execute(f"UPDATE conversations SET {cols} WHERE id = ?", (*values.values(), int(conversation_id)))
            return self.get_conversation(conversation_id)

    def delete_conversation(self, conversation_id: int) -> None:
        with self._lock:
            self._execute("DELETE FROM chat_messages WHERE conversation_id = ?", (int(conversation_id),))
            self._execute("DELETE FROM conversations WHERE id = ?", (int(conversation_id),))

    # --- messages ----------------------------------------------------------------------------
    @staticmethod
    def _msg(row: sqlite3.Row) -> ChatMessage:
        return ChatMessage(
            id=row["id"],
            conversation_id=row["conversation_id"],
            role=row["role"],
            content=row["content"],
            tool_calls=_loads(row["tool_calls"], []) or [],
            tool_call_id=row["tool_call_id"],
            meta=_loads(row["meta"], {}) or {},
            created=row["created"],
        )

    def add_message(
        self,
        conversation_id: int,
        role: str,
        content: Optional[str],
        *,
        tool_calls: Optional[list[Any]] = None,
        tool_call_id: Optional[str] = None,
        meta: Optional[dict[str, Any]] = None,
        created: Optional[float] = None,
    ) -> ChatMessage:
        now = created if created is not None else time.time()
        with self._lock:
            cur = self._execute(
                "INSERT INTO chat_messages (conversation_id, role, content, tool_calls, tool_call_id, meta, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    int(conversation_id),
                    role,
                    content,
                    _dumps(tool_calls) if tool_calls else None,
                    tool_call_id,
                    _dumps(meta) if meta else None,
                    now,
                ),
            )
            self._execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, int(conversation_id)))
            return self.get_message(last_row_id(cur))  # type: ignore[return-value]

    def add_messages(self, conversation_id: int, rows: Sequence[dict[str, Any]]) -> int:
        """Bulk insert (``role``, ``content``, optional ``meta``/``tool_calls``/``tool_call_id``/``created``)."""
        now = time.time()
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(
                    "INSERT INTO chat_messages (conversation_id, role, content, tool_calls, tool_call_id, meta, created) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            int(conversation_id),
                            r["role"],
                            r.get("content"),
                            _dumps(r.get("tool_calls")) if r.get("tool_calls") else None,
                            r.get("tool_call_id"),
                            _dumps(r.get("meta")) if r.get("meta") else None,
                            r.get("created", now),
                        )
                        for r in rows
                    ],
                )
                self._conn.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, int(conversation_id)))
                self._conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                self._conn.execute("ROLLBACK")
                raise ChatStoreError(f"Chat history error: {exc}.") from None
        return len(rows)

    def get_message(self, message_id: int) -> Optional[ChatMessage]:
        row = self._execute("SELECT * FROM chat_messages WHERE id = ?", (int(message_id),)).fetchone()
        return self._msg(row) if row else None

    def update_message(self, message_id: int, /, **fields: Any) -> Optional[ChatMessage]:
        unknown = set(fields) - _MSG_FIELDS
        if unknown:
            raise ValueError(f"cannot update message fields: {', '.join(sorted(unknown))}")
        values = {
            k: (_dumps(v) if k in ("tool_calls", "meta") and v else (None if k in ("tool_calls", "meta") else v))
            for k, v in fields.items()
        }
        if not values:
            return self.get_message(message_id)
        cols = ", ".join(f"{k} = ?" for k in values)
        with self._lock:
            self._execute(f"UPDATE chat_messages SET {cols} WHERE id = ?", (*values.values(), int(message_id)))
            return self.get_message(message_id)

    def delete_messages(self, ids: Iterable[int]) -> None:
        ids = [int(i) for i in ids]
        if not ids:
            return
        with self._lock:
            self._execute(f"DELETE FROM chat_messages WHERE id IN ({','.join('?' * len(ids))})", ids)

    def messages(
        self, conversation_id: int, *, limit: Optional[int] = None, before_id: Optional[int] = None
    ) -> List[ChatMessage]:
        """Oldest first; with ``limit``, the newest ``limit`` (before ``before_id`` when given)."""
        sql = "SELECT * FROM chat_messages WHERE conversation_id = ?"
        params: List[Any] = [int(conversation_id)]
        if before_id is not None:
            sql += " AND id < ?"
            params.append(int(before_id))
        if limit is None:
            rows = self._execute(sql + " ORDER BY id", params).fetchall()
        else:
            rows = self._execute(sql + " ORDER BY id DESC LIMIT ?", (*params, int(limit))).fetchall()[::-1]
        return [self._msg(r) for r in rows]

    def count_messages(self, conversation_id: int, *, before_id: Optional[int] = None) -> int:
        sql = "SELECT COUNT(*) FROM chat_messages WHERE conversation_id = ?"
        params: List[Any] = [int(conversation_id)]
        if before_id is not None:
            sql += " AND id < ?"
            params.append(int(before_id))
        return int(self._execute(sql, params).fetchone()[0])
