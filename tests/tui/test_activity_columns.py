"""Activity: every column fits at 120x40 and the detail pane shows amounts in OG / OUSDC."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from og_tui.core.store import Store
from og_tui.tui.app import make_app

from .helpers import settings_for, settle

SENDER = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
TO = "0x8ba1f109551bD432803012645Ac136ddd64DBA72"


def _app(app_env):
    settings = settings_for(app_env)
    db = Store(settings.db_path)
    rows = [
        ("0x" + "ab" * 32, "workflow-schedule", "confirmed", 155_560, 304, None, None),
        ("0x" + "cd" * 32, "workflow-run", "confirmed", 605_278, 296, None, None),
        ("0x" + "ef" * 32, "transfer-token", "confirmed", 34_512, 286, "2500000", "OUSDC"),
        ("0x" + "12" * 32, "transfer-native", "confirmed", 21_000, 1_234_567, "1500000000000000000", None),
    ]
    for i, (h, kind, status, gas, block, value, token) in enumerate(rows):
        db.add_tx(
            hash=h,
            kind=kind,
            status=status,
            gas_used=gas,
            block=block,
            from_addr=SENDER,
            to_addr=TO,
            value=value,
            token=token,
            profile="local",
            created_at=1_764_000_000.0 + 60 * i,
        )
    common = {"payee": "0x" + "ab" * 20, "profile": "local", "token": "0xToken", "network": "og-devnet"}
    db.add_payment(
        40,
        mode="settle",
        hash="0x" + "5e" * 32,
        status="settled",
        settlement_tx="0x" + "5e" * 32,
        model="meta-llama/Llama-3.1-70B-Instruct",
        created_at=1_764_000_000.0,
        **common,
    )
    db.add_payment(
        25_000_000,
        mode="settle-batch",
        hash="0x" + "02" * 32,
        status="not charged",
        model="og-devnet/mini",
        created_at=1_764_000_060.0,
        **common,
    )
    db.close()
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    return app


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_column_fits(app_env, size):
    app = _app(app_env)
    async with app.run_test(size=size) as pilot:
        await app.action_goto("activity")
        table = app.screen.query_one("#txs", DataTable)
        await settle(pilot, lambda: table.row_count == 4)
        payments = app.screen.query_one("#payments", DataTable)
        await settle(pilot, lambda: payments.row_count == 2)
        for each in (table, payments):
            assert each.virtual_size.width <= each.scrollable_content_region.width, (
                each.id,
                each.virtual_size.width,
                each.scrollable_content_region.width,
            )
        text = "\n".join(str(line.text) for line in (table.render_line(y) for y in range(3)))
        assert "Block" in text and "1234567" in text.replace(",", "")


async def test_detail_shows_amounts_in_units(app_env):
    app = _app(app_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.action_goto("activity")
        table = app.screen.query_one("#txs", DataTable)
        await settle(pilot, lambda: table.row_count == 4)
        detail = app.screen.query_one("#tx-detail", Static)
        table.focus()
        table.move_cursor(row=1)  # newest first: the token transfer, then the native one
        await pilot.pause()
        shown = str(detail.render())
        assert "value  2.5 OUSDC" in shown and "2500000" not in shown
        table.move_cursor(row=0)
        await pilot.pause()
        shown = str(detail.render())
        assert "value  1.5 OG" in shown and "1500000000000000000" not in shown
