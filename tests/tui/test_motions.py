"""j / k / g / G / ctrl+d / ctrl+u in the tables and lists."""

from __future__ import annotations

import pytest

from og_tui.tui.app import make_app
from og_tui.tui.screens.modals import WalletFormDialog

from .helpers import offline_app, open_hub_models, settings_for, settle, wait_until


def _txs(n: int) -> list[tuple[str, int, int]]:
    return [("transfer-native", 21000, i) for i in range(n)]


async def test_motions_in_the_activity_table(app_env):
    app = offline_app(app_env, txs=_txs(30))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.action_goto("activity")
        table = app.screen.query_one("#txs")
        await settle(pilot, lambda: table.row_count == 30)
        table.focus()
        await pilot.pause()
        assert table.cursor_row == 0
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == 29
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("ctrl+d")
        half = table.cursor_row
        assert 1 < half < 29
        await pilot.press("ctrl+u")
        assert table.cursor_row == 0


async def test_motions_in_the_wallet_list_and_k_moved(app_env):
    app = offline_app(app_env, wallets=("w0", "w1", "w2"))
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one("#wallets")
        await wait_until(pilot, lambda: table.row_count == 3 and app.focused is table)
        start = table.cursor_row
        await pilot.press("j")
        assert table.cursor_row == min(start + 1, 2)
        await pilot.press("G")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        assert not isinstance(app.screen, WalletFormDialog)  # k moved, it does not import
        await pilot.press("K")  # import a keystore moved to K
        await wait_until(pilot, lambda: type(app.screen).__name__ != "AccountScreen")


@pytest.mark.e2e
async def test_motions_in_the_hub_lists(devnet, app_env):
    app = make_app(settings_for(app_env, devnet.port), poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await open_hub_models(pilot)
        first = table.current
        await pilot.press("j")
        assert table.current != first
        await pilot.press("k")
        assert table.current == first
        await pilot.press("G")
        assert table.cursor == len(screen._models) - 1
        await pilot.press("g")
        assert table.current == first


async def test_slash_filters_activity_and_esc_clears(app_env):
    app = offline_app(app_env, txs=_txs(12))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.action_goto("activity")
        table = app.screen.query_one("#txs")
        await settle(pilot, lambda: table.row_count == 12)
        table.focus()
        await pilot.press("slash")
        field = app.screen.query_one("#tx-filter")
        assert app.focused is field and field.display
        wanted = f"{11:064x}"[-6:]  # the end of one transaction's hash (the 11th)
        for ch in wanted:
            await pilot.press(ch)
        await wait_until(pilot, lambda: table.row_count == 1)
        assert "1 of 12" in str(app.screen.query_one("#tx-title").render())
        await pilot.press("enter")  # back to the list, the filter stays
        assert app.focused is table and table.row_count == 1
        await pilot.press("slash")
        await pilot.press("escape")  # clears it
        await wait_until(pilot, lambda: table.row_count == 12)
        assert app.focused is table and not field.display


async def test_slash_filters_the_workflow_list(app_env):
    app = offline_app(app_env)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.action_goto("workflows")
        screen = app.screen
        screen.autoload = False
        table = screen.query_one("#wf-list")
        await settle(pilot, lambda: table.row_count == len(screen.entries) > 2)
        target = screen.entries[1]
        table.focus()
        await pilot.press("slash")
        for ch in target.address[-8:]:
            await pilot.press(ch)
        await wait_until(pilot, lambda: table.row_count == 1)
        assert screen.selected == target.address
        await pilot.press("escape")
        await wait_until(pilot, lambda: table.row_count == len(screen.entries))
        assert app.focused is table


async def test_slash_filters_the_wallets(app_env):
    app = offline_app(app_env, wallets=("w0", "w1", "w2"))
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one("#wallets")
        await wait_until(pilot, lambda: table.row_count == 3 and app.focused is table)
        await pilot.press("slash")
        await pilot.press("w", "2")
        await wait_until(pilot, lambda: table.row_count == 1)
        await pilot.press("escape")
        await wait_until(pilot, lambda: table.row_count == 3)
        assert app.focused is table
