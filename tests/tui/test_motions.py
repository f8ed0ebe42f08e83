"""j / k / g / G / ctrl+d / ctrl+u in the tables and lists."""

from __future__ import annotations

import pytest

from og_tui.core.secrets import WalletStore
from og_tui.core.store import Store
from og_tui.tui.app import make_app
from og_tui.tui.screens.modals import WalletFormDialog

from .helpers import TEST_KEY, TEST_PASSPHRASE, settings_for, settle, wait_until


def _app(app_env, *, txs: int = 0, wallets: int = 1):
    settings = settings_for(app_env)
    store = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    for i in range(wallets):
        info = store.import_key(f"w{i}", TEST_KEY if i == 0 else "0x" + f"{i:02x}" * 32, TEST_PASSPHRASE)
        if i == 0:
            store.set_active(info.address)
    db = Store(settings.db_path)
    for i in range(txs):
        db.add_tx(
            hash="0x" + f"{i:064x}",
            kind="transfer-native",
            status="confirmed",
            gas_used=21000,
            block=i,
            from_addr=None,
            to_addr=None,
            value="1",
            token=None,
            profile="local",
            created_at=1_764_000_000.0 + i,
        )
    db.close()
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    return app


async def test_motions_in_the_activity_table(app_env):
    app = _app(app_env, txs=30)
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
    app = _app(app_env, wallets=3)
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
        await wait_until(pilot, lambda: app.net.connected)
        await pilot.press("f3")
        await wait_until(pilot, lambda: app.current_mode == "hub")
        screen = app.screen
        table = screen.query_one("#hub-models")
        await wait_until(pilot, lambda: not screen._loading and len(screen._models) >= 3)
        table.focus()
        await pilot.pause()
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
    app = _app(app_env, txs=12)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.action_goto("activity")
        table = app.screen.query_one("#txs")
        await settle(pilot, lambda: table.row_count == 12)
        table.focus()
        await pilot.press("slash")
        field = app.screen.query_one("#tx-filter")
        assert app.focused is field and field.display
        wanted = f"{11:064x}"[-6:]  # the end of one transaction's hash
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
    app = _app(app_env)
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
    app = _app(app_env, wallets=3)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one("#wallets")
        await wait_until(pilot, lambda: table.row_count == 3 and app.focused is table)
        await pilot.press("slash")
        await pilot.press("w", "2")
        await wait_until(pilot, lambda: table.row_count == 1)
        await pilot.press("escape")
        await wait_until(pilot, lambda: table.row_count == 3)
        assert app.focused is table
