"""SQLite history store and its migrations."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from og_tui.core import store as S
from og_tui.core.store import SCHEMA_VERSION, Store, StoreError, migrate


@pytest.fixture
def db(tmp_path):
    s = Store(tmp_path / "sub" / "h.db")
    yield s
    s.close()


def test_add_update_get_list(db):
    h = "0x" + "ab" * 32
    rec = db.add_tx(
        h, "transfer-native", from_addr="0xA", to_addr="0xB", value=10**30, profile="local", detail={"note": "hi"}
    )
    assert rec.status == "pending" and rec.value == 10**30 and rec.detail == {"note": "hi"}
    assert db.get_tx(h.upper().replace("0X", "0x")).id == rec.id
    assert db.get_tx("ab" * 32).id == rec.id  # hash without 0x is normalized
    up = db.update_tx(h, status="confirmed", gas_used=21000, block=7)
    assert (up.status, up.gas_used, up.block) == ("confirmed", 21000, 7)
    assert up.updated_at >= rec.updated_at and up.created_at == rec.created_at
    assert db.update_tx("0x" + "00" * 32, status="failed") is None
    with pytest.raises(ValueError):
        db.update_tx(h, status="weird")
    with pytest.raises(ValueError):
        db.update_tx(h, hash="x")
    # re-adding the same hash updates instead of failing
    again = db.add_tx(h, "transfer-native", status="failed", error="boom")
    assert again.id == rec.id and again.status == "failed" and again.error == "boom"
    assert again.value == 10**30


def test_list_filters_and_order(db):
    for i in range(5):
        db.add_tx(
            f"0x{i:064x}",
            "faucet",
            profile="local" if i % 2 else "opengradient",
            created_at=1000 + i,
            to_addr="0xAbC" if i == 3 else None,
        )
    assert [t.hash[-1] for t in db.list_txs()] == ["4", "3", "2", "1", "0"]
    assert [t.hash[-1] for t in db.list_txs(profile="local")] == ["3", "1"]
    assert [t.hash[-1] for t in db.list_txs(limit=2, offset=1)] == ["3", "2"]
    assert [t.hash[-1] for t in db.list_txs(address="0xabc")] == ["3"]
    assert db.count_txs() == 5 and db.count_txs(profile="local") == 2


def test_payments(db):
    p = db.add_payment(1500, payee="0xP", mode="settle-batch", model="openai/gpt-4o", profile="local", created_at=10)
    db.add_payment(2500, profile="local", created_at=20)
    db.add_payment(1, profile="other", created_at=30)
    assert p.amount == 1500 and p.mode == "settle-batch"
    assert [x.amount for x in db.list_payments(profile="local")] == [2500, 1500]
    assert db.total_payments(profile="local") == 4000
    assert db.total_payments(since=15) == 2501


def test_threads_share_one_store(db):
    def work(n):
        for i in range(20):
            db.add_tx(f"0x{n:02x}{i:062x}", "inference")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.count_txs() == 80


def test_wal_and_version(tmp_path):
    s = Store(tmp_path / "h.db")
    assert s.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(tmp_path / "h.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    s.close()


def test_migration_from_version_1(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, target=1) == 1
    conn.execute(
        "INSERT INTO transactions (hash, kind, status, created_at, updated_at, value) "
        "VALUES ('0x01', 'faucet', 'confirmed', 1, 1, '5')"
    )
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "payments" not in tables
    conn.close()

    s = Store(path)
    assert s.schema_version == SCHEMA_VERSION
    assert s.get_tx("0x01").value == 5
    assert s.add_payment(3).amount == 3
    s.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError) as exc:
        Store(path)
    assert "newer" in str(exc.value)


def test_failed_migration_keeps_old_version(tmp_path, monkeypatch):
    path = tmp_path / "f.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=1)
    steps = (S.MIGRATIONS[0], "CREATE TABLE ok (x); CREATE TABLE transactions (y);")
    with pytest.raises(StoreError):
        migrate(conn, migrations=steps)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "ok" not in tables


def test_not_a_database(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        Store(path)
