"""Activity shows x402 payments with the status of their settlement, linked to the
settlement transaction; a snapshot keeps the layout at 120x40 and 80x24."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from og_tui.core.store import Store
from og_tui.tui.app import make_app
from og_tui.tui.messages import NetState

from .helpers import settings_for, settle, wait_until

FIXED_TIME = 1_767_225_600.0  # 2026-01-01 00:00 UTC
SETTLE_TX = "0x" + "5e" * 32


def _seed(settings) -> None:
    db = Store(settings.db_path)
    common = {
        "payee": "0x" + "ab" * 20,
        "model": "og-devnet/mini",
        "profile": "local",
        "token": "0xToken",
        "network": "og-devnet",
    }
    db.add_payment(
        40,
        mode="settle",
        hash=SETTLE_TX,
        status="settled",
        settlement_tx=SETTLE_TX,
        detail={"processing_hash": "0x" + "01" * 32, "payer": "0x" + "cd" * 20},
        created_at=FIXED_TIME,
        **common,
    )
    db.add_payment(
        25,
        mode="settle-batch",
        hash="0x" + "02" * 32,
        status="queued",
        detail={"processing_hash": "0x" + "02" * 32},
        created_at=FIXED_TIME + 60,
        **common,
    )
    row = db.add_payment(
        12,
        mode="settle",
        hash="0x" + "03" * 32,
        detail={"processing_hash": "0x" + "03" * 32},
        created_at=FIXED_TIME + 120,
        **common,
    )
    db.set_payment_status(row.id, "not charged", reason="the authorization expired unused: nothing was paid")
    db.close()


def _app(app_env):
    settings = settings_for(app_env)
    _seed(settings)
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    return app


async def test_payments_with_their_settlement(app_env):
    app = _app(app_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.action_goto("activity")
        table = app.screen.query_one("#payments", DataTable)
        await wait_until(pilot, lambda: table.row_count == 3)
        statuses = [str(table.get_row_at(i)[3]) for i in range(3)]
        assert [s.split("]")[1].split("[")[0] for s in statuses] == ["not charged", "queued", "settled"]
        assert str(table.get_row_at(2)[2]) == "0.00004"  # the column says OUSDC
        assert "OUSDC" in str(table.columns[table.ordered_columns[2].key].label)
        table.focus()
        await pilot.press("down", "down")
        detail = app.screen.query_one("#tx-detail", Static)
        await wait_until(pilot, lambda: SETTLE_TX in str(detail.content))
        await pilot.press("up")
        await wait_until(pilot, lambda: "queued" in str(detail.content))


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_activity_with_payments_snapshot(snap_compare, app_env, size):
    async def run_before(pilot):
        pilot.app.net = NetState(profile="local", is_devnet=True, connected=True, block=1234)
        await pilot.app.action_goto("activity")
        table = pilot.app.screen.query_one("#payments", DataTable)
        # at rest: the rows are in, no load is running, and the table has laid out its columns
        await settle(pilot, lambda: table.row_count == 3)
        await pilot.pause()

    assert snap_compare(_app(app_env), terminal_size=size, run_before=run_before)


async def test_poll_follows_payments_with_one_client_per_profile(app_env):
    """While payments are open the poll worker asks the gateway about them on every pass:
    with one kept LLM client (one connection), not a new one per pass; a profile change
    (a new Profile object) gets its own, and the old one is closed."""
    import asyncio

    app = _app(app_env)
    async with app.run_test(size=(120, 40)):
        ctx = app.ctx
        await asyncio.to_thread(app._follow_payments, ctx)
        first = app._payments_llm
        assert first is not None and first[0] is ctx.profile
        await asyncio.to_thread(app._follow_payments, ctx)
        assert app._payments_llm is first
        from dataclasses import replace

        name = ctx.settings.profile_name
        ctx.switch_profile(replace(ctx.settings, profiles={**ctx.settings.profiles, name: ctx.profile.replace()}))
        assert ctx.profile is not first[0]
        await asyncio.to_thread(app._follow_payments, ctx)
        assert app._payments_llm is not None and app._payments_llm[1] is not first[1]
        assert first[1]._http.is_closed
    assert app._payments_llm is None


async def test_v2_payments_name_their_token_scheme_and_mode(app_env):
    """On a profile paying x402 v2, each amount names its token (OPG has 18 decimals, OUSDC 6)
    and the detail says the scheme and settlement mode."""
    from og_tui.core import constants

    settings = settings_for(app_env)
    settings.profiles["local"] = settings.profile.replace(x402_version="2")
    db = Store(settings.db_path)
    db.add_payment(40, mode="settle", hash="0x" + "04" * 32, profile="local", token="0xToken", created_at=FIXED_TIME)
    db.add_payment(
        30 * 10**12,
        mode="private",
        hash="0x" + "05" * 32,
        profile="local",
        token=constants.OPG_DEVNET_ADDRESS,
        network="eip155:107401",
        detail={"x402_version": 2, "scheme": "upto", "processing_hash": "0x" + "05" * 32, "blob_id": None},
        status="settled",
        settlement_tx=SETTLE_TX,
        created_at=FIXED_TIME + 60,
    )
    db.add_tx(
        "0x" + "06" * 32,
        "approve-opg",
        status="confirmed",
        value=5 * 10**18,
        token=constants.OPG_DEVNET_ADDRESS,
        profile="local",
    )
    db.close()
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    async with app.run_test(size=(120, 40)) as pilot:
        await app.action_goto("activity")
        table = app.screen.query_one("#payments", DataTable)
        await wait_until(pilot, lambda: table.row_count == 2)
        detail = app.screen.query_one("#tx-detail", Static)
        txs = app.screen.query_one("#txs", DataTable)
        await wait_until(pilot, lambda: txs.row_count == 1)
        txs.focus()
        txs.move_cursor(row=0)
        app.screen._detail(app.screen._current())
        await wait_until(pilot, lambda: "approve-opg" in str(detail.content))
        assert "value  5 OPG" in str(detail.content)  # what Permit2 may move
        assert [str(table.get_row_at(i)[2]) for i in range(2)] == ["0.00003 OPG", "0.00004 OUSDC"]
        assert str(table.columns[table.ordered_columns[2].key].label) == "Paid"
        table.focus()
        table.move_cursor(row=1)
        await pilot.pause()
        table.move_cursor(row=0)
        await wait_until(pilot, lambda: "x402 v2 upto · private" in str(detail.content))
        assert "amount 0.00003 OPG" in str(detail.content)
