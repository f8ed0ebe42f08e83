"""Payment rows carry a status that follows their settlement; files written before the
status column existed are upgraded with the status their detail recorded."""

from __future__ import annotations

import json
import sqlite3

import pytest

from og_tui.core.db import migrate
from og_tui.core.store import Store, StoreError


def test_upgrade_keeps_rows_and_takes_their_recorded_status(tmp_path):
    path = tmp_path / "og-tui.db"
    conn = sqlite3.connect(path)
    migrate(conn, 4)
    conn.execute(
        "INSERT INTO payments (amount, hash, created_at, detail) VALUES ('40', '0xa', 1.0, ?)",
        (json.dumps({"status": "queued", "processing_hash": "0xa"}),),
    )
    conn.execute(
        "INSERT INTO payments (amount, hash, created_at, detail) VALUES ('5', '0xb', 2.0, ?)",
        (json.dumps({"status": "settled", "transaction": "0xt"}),),
    )
    conn.execute("INSERT INTO payments (amount, hash, created_at, detail) VALUES ('7', '0xc', 3.0, NULL)")
    conn.commit()
    conn.close()
    store = Store(path)
    rows = {r.hash: r for r in store.list_payments()}
    assert rows["0xa"].status == "queued" and rows["0xa"].amount == 40
    assert rows["0xb"].status == "settled" and rows["0xb"].settlement_tx == "0xt"
    assert rows["0xc"].status == "pending"
    assert [r.hash for r in store.open_payments()] == ["0xa", "0xc"]


def test_status_moves_forward_only(tmp_path):
    store = Store(tmp_path / "h.db")
    row = store.add_payment(10, hash="0xp", detail={"processing_hash": "0xp"})
    assert row.status == "pending" and not row.final
    assert store.set_payment_status(row.id, "queued").status == "queued"
    done = store.set_payment_status(row.id, "settled", settlement_tx="0xs")
    assert done.status == "settled" and done.settlement_tx == "0xs" and done.final
    # a final status is never left again
    assert store.set_payment_status(row.id, "pending").status == "settled"
    assert store.payments_by_processing_hash("0xp")[0].id == row.id
    with pytest.raises(StoreError):
        store.set_payment_status(row.id, "paid-ish")
