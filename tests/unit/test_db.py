"""One SQLite file, one migration list: history and chat tables, and the upgrade of
files written while the chat tables had their own ``chat_schema`` version table."""

from __future__ import annotations

import sqlite3

import pytest

from og_tui.core.chat_store import ChatStore, ChatStoreError
from og_tui.core.db import MIGRATIONS, SCHEMA_VERSION, StoreError
from og_tui.core.store import Store

# The chat schema as the previous release wrote it, with its separate version marker.
OLD_CHAT_SCHEMA = """
CREATE TABLE chat_schema (version INTEGER NOT NULL);
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, model TEXT, mode TEXT,
    params TEXT, tools TEXT, created REAL NOT NULL, updated REAL NOT NULL, profile TEXT
);
CREATE INDEX conversations_profile_updated ON conversations (profile, updated);
CREATE TABLE chat_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role TEXT NOT NULL, content TEXT, tool_calls TEXT, tool_call_id TEXT, meta TEXT, created REAL NOT NULL
);
CREATE INDEX chat_messages_conversation ON chat_messages (conversation_id, id);
INSERT INTO chat_schema (version) VALUES (1);
INSERT INTO conversations (title, model, mode, params, tools, created, updated, profile)
    VALUES ('old chat', 'og-devnet/mini', 'TEE', '{"temperature": 0.5}', '[]', 1, 2, 'devnet');
INSERT INTO chat_messages (conversation_id, role, content, meta, created)
    VALUES (1, 'user', 'hello from before', '{}', 1), (1, 'assistant', 'hi', '{"cost": "5"}', 2);
"""


def _old_file(path, history_version: int) -> None:
    """A file as the previous release left it: history at ``history_version`` (PRAGMA
    user_version), chat tables with rows and their ``chat_schema`` marker."""
    conn = sqlite3.connect(path, isolation_level=None)
    for version in range(1, history_version + 1):
        conn.executescript(f"BEGIN;\n{MIGRATIONS[version - 1]}\nPRAGMA user_version = {version};\nCOMMIT;")
    if history_version >= 1:
        conn.execute(
            "INSERT INTO transactions (hash, kind, status, created_at, updated_at, value) "
            "VALUES ('0xaa', 'faucet', 'confirmed', 1, 1, '7')"
        )
    conn.executescript(OLD_CHAT_SCHEMA)
    conn.close()


def _tables(path) -> set:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def _user_version(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("opened_first", ["chat", "history"])
def test_upgrade_of_a_file_from_the_previous_release(tmp_path, opened_first):
    path = tmp_path / "og-tui.db"
    _old_file(path, history_version=3)
    stores = [ChatStore(path), Store(path)] if opened_first == "chat" else [Store(path), ChatStore(path)]
    chat = next(s for s in stores if isinstance(s, ChatStore))
    history = next(s for s in stores if isinstance(s, Store))
    try:
        assert chat.schema_version == history.schema_version == SCHEMA_VERSION
        [conv] = chat.list_conversations()
        assert (conv.title, conv.model, conv.params) == ("old chat", "og-devnet/mini", {"temperature": 0.5})
        assert [(m.role, m.content) for m in chat.messages(conv.id)] == [
            ("user", "hello from before"),
            ("assistant", "hi"),
        ]
        assert chat.messages(conv.id)[1].meta == {"cost": "5"}
        assert history.get_tx("0xaa").value == 7
        new = chat.create_conversation("after the upgrade")
        chat.add_message(new.id, "user", "still works")
        assert [m.content for m in chat.messages(new.id)] == ["still works"]
    finally:
        for s in stores:
            s.close()
    assert "chat_schema" not in _tables(path)
    assert _user_version(path) == SCHEMA_VERSION


def test_upgrade_of_a_chat_only_file(tmp_path):
    """Only the chat store had opened the file (user_version 0): history tables are added."""
    path = tmp_path / "og-tui.db"
    _old_file(path, history_version=0)
    history = Store(path)
    try:
        assert history.schema_version == SCHEMA_VERSION
        assert history.list_txs() == []
    finally:
        history.close()
    chat = ChatStore(path)
    try:
        assert [c.title for c in chat.list_conversations()] == ["old chat"]
    finally:
        chat.close()
    assert {"transactions", "payments", "inference_runs", "conversations", "chat_messages"} <= _tables(path)
    assert "chat_schema" not in _tables(path)


def test_one_version_for_both_stores(tmp_path):
    path = tmp_path / "og-tui.db"
    chat = ChatStore(path)
    chat.close()
    assert _user_version(path) == SCHEMA_VERSION  # the chat store brought the whole file up to date
    assert {"transactions", "conversations"} <= _tables(path)


def test_newer_file_is_refused_by_both(tmp_path):
    path = tmp_path / "og-tui.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ChatStoreError) as chat_err:
        ChatStore(path)
    with pytest.raises(StoreError) as history_err:
        Store(path)
    for err in (chat_err.value, history_err.value):
        assert "newer than this og-tui understands" in str(err) and err.hint and "Upgrade og-tui" in err.hint


def test_an_upgrade_made_meanwhile_by_another_connection_is_not_an_error(tmp_path):
    """The app opens the file twice (history and chats) at start: the connection that read the
    old version second finds the tables made by the first, and goes on."""
    import sqlite3

    from og_tui.core.db import SCHEMA_VERSION, migrate

    path = tmp_path / "og-tui.db"
    first, second = sqlite3.connect(path), sqlite3.connect(path)

    class ReadBeforeTheOther:  # `second` read user_version before `first` upgraded the file
        def __init__(self, conn):
            self.conn, self.stale = conn, True

        def execute(self, sql, *args):
            if self.stale and "user_version" in sql:
                self.stale = False
                return self.conn.execute("SELECT 0")
            return self.conn.execute(sql, *args)

        def executescript(self, script):
            return self.conn.executescript(script)

        @property
        def in_transaction(self):
            return self.conn.in_transaction

    assert migrate(first) == SCHEMA_VERSION
    assert migrate(ReadBeforeTheOther(second)) == SCHEMA_VERSION
    first.close()
    second.close()


def test_gateway_rows_and_keys_of_a_file_before_the_token_column(tmp_path):
    """Requests a gateway recorded before their token was (version 7) count in the payment
    token; keys from then have no OPG budget."""
    from og_tui.serve.keys import KeyBook

    path = tmp_path / "og-tui.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for version in range(1, 8):
        conn.executescript(f"BEGIN;\n{MIGRATIONS[version - 1]}\nPRAGMA user_version = {version};\nCOMMIT;")
    conn.execute(
        "INSERT INTO gateway_keys (name, prefix, key_hash, per_day, created_at) VALUES ('old', 'ogk_x', 'h', 9, 1)"
    )
    conn.execute(
        "INSERT INTO gateway_requests (key_id, endpoint, status, cost, created_at) VALUES (1, 'chat', 200, 4, 1)"
    )
    conn.close()
    book = KeyBook(path)
    try:
        key = book.get(1)
        assert key.per_day == 9 and (key.opg_per_request, key.opg_per_day, key.opg_total) == (None, None, None)
        assert book.spent(1, token="OUSDC") == 4 and book.spent(1, token="OPG") == 0
        [row] = book.requests(1)
        assert row.token is None and row.cost == 4
    finally:
        book.close()
    assert _user_version(path) == SCHEMA_VERSION
