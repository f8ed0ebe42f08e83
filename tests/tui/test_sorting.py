"""Sorting the tables: ``o`` sorts by the next column, ``O`` reverses, the sorted column's
header carries ▲ / ▼, the keys are in the footer and the order survives a refresh."""

from __future__ import annotations

import pytest
from textual.widgets._footer import FooterKey

from og_tui.core.store import Store
from og_tui.tui.app import make_app
from og_tui.tui.screens.inference_dialogs import HistoryDialog
from og_tui.tui.widgets.footer import OGFooter
from og_tui.tui.widgets.sortable import SortableTable, sorted_items

from .helpers import T0, offline_app, open_hub_models, settings_for, settle, wait_until


def _headers(table) -> list[str]:
    return [str(column.label) for column in table.ordered_columns]


def _column(table, key: str) -> list[str]:
    return [str(table.get_cell(row_key, key)) for row_key in (r.key for r in table.ordered_rows)]


def _footer_keys(screen) -> list[str]:
    return [w.key for w in screen.query_one(OGFooter).query(FooterKey)]


def test_sorted_items_puts_missing_values_last_and_keeps_ties():
    rows = [("a", 2), ("b", None), ("c", 1), ("d", 2)]
    assert sorted_items(rows, lambda r: r[1], False) == [("c", 1), ("a", 2), ("d", 2), ("b", None)]
    assert sorted_items(rows, lambda r: r[1], True) == [("a", 2), ("d", 2), ("c", 1), ("b", None)]
    assert sorted_items(["b", "A", "c"], lambda r: r, False) == ["A", "b", "c"]  # letters, not case


async def test_activity_sorts_by_column_reverses_and_keeps_it_on_refresh(app_env):
    txs = [("transfer-native", 21000, 7), ("faucet-native", 50000, 3), ("transfer-token", 34000, None)]
    app = offline_app(app_env, txs=txs)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.action_goto("activity")
        table = app.screen.query_one("#txs", SortableTable)
        await settle(pilot, lambda: table.row_count == 3)
        table.focus()
        await pilot.pause()
        # newest first, and the header says so
        assert _headers(table)[0] == "Time ▼"
        assert _column(table, "kind") == ["transfer-token", "faucet-native", "transfer-native"]
        assert "o" in _footer_keys(app.screen) and "O" in _footer_keys(app.screen)
        table.move_cursor(row=1)  # on the faucet transaction
        await pilot.press("o")
        assert _headers(table)[:2] == ["Time", "Kind ▲"]
        assert _column(table, "kind") == ["faucet-native", "transfer-native", "transfer-token"]
        assert _column(table, "kind")[table.cursor_row] == "faucet-native"  # the cursor stayed on its row
        await pilot.press("O")
        assert _headers(table)[1] == "Kind ▼"
        assert _column(table, "kind") == ["transfer-token", "transfer-native", "faucet-native"]
        await pilot.press("o", "o", "o")  # Status, Hash, Gas
        assert _headers(table)[4] == "Gas ▼"
        assert _column(table, "gas") == ["50,000", "34,000", "21,000"]
        await pilot.press("o")  # Block: the pending one (no block) goes last either way
        assert _headers(table)[5] == "Block ▼" and _column(table, "block") == ["7", "3", "–"]
        await pilot.press("O")
        assert _column(table, "block") == ["3", "7", "–"]
        # a refresh reads the store again: the order stays
        await pilot.press("r")
        await settle(pilot)
        assert _headers(table)[5] == "Block ▲" and _column(table, "block") == ["3", "7", "–"]
        # and so does a new transaction arriving
        Store(app.ctx.settings.db_path).add_tx(
            hash="0x" + "ee" * 32,
            kind="transfer-native",
            status="confirmed",
            gas_used=1,
            block=5,
            from_addr=None,
            to_addr=None,
            value="1",
            token=None,
            profile="local",
            created_at=T0 + 9,
        )
        app.tx_version += 1
        await settle(pilot, lambda: table.row_count == 4)
        assert _column(table, "block") == ["3", "5", "7", "–"]


async def test_wallets_sort_by_name_and_reverse(app_env):
    app = offline_app(app_env, wallets=("main", "zeta", "alpha"))
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one("#wallets", SortableTable)
        await wait_until(pilot, lambda: table.row_count == 3 and app.focused is table)
        assert _headers(table)[1] == "Name ▲"
        assert _column(table, "name") == ["alpha", "main", "zeta"]
        await pilot.press("O")
        assert _column(table, "name") == ["zeta", "main", "alpha"]
        assert _headers(table)[1] == "Name ▼"
        await pilot.press("r")  # refresh: balances and the wallet list read again
        await settle(pilot)
        assert _column(table, "name") == ["zeta", "main", "alpha"]


async def test_workflow_list_sorts_and_keeps_it_on_rebuild(app_env):
    app = offline_app(app_env)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.action_goto("workflows")
        screen = app.screen
        screen.autoload = False
        table = screen.query_one("#wf-list", SortableTable)
        await settle(pilot, lambda: table.row_count == len(screen.entries) > 2)
        table.focus()
        await pilot.pause()
        assert _headers(table) == ["Workflow ▲", "Latest"]
        titles = _column(table, "title")
        assert titles == sorted(titles, key=str.casefold)
        selected = screen.selected
        await pilot.press("O")
        assert _headers(table) == ["Workflow ▼", "Latest"]
        assert _column(table, "title") == titles[::-1]
        assert screen.selected == selected  # the same workflow stays selected
        screen.rebuild()  # (what a profile switch or coming back to the screen does)
        await pilot.pause()
        assert _column(table, "title") == titles[::-1]
        await pilot.press("o")
        assert _headers(table) == ["Workflow", "Latest ▼"]


async def test_inference_history_sorts(app_env):
    app = offline_app(app_env)
    db = Store(app.ctx.settings.db_path)
    for i, gas in enumerate([80_519, 97_867, 80_423]):
        db.add_run(
            "bafkreiexample",
            "VANILLA",
            {"x": [1]},
            model_name=f"model-{i}",
            block=100 + i,
            gas_used=gas,
            latency_s=0.1,
            profile="local",
            created_at=T0 + i,
        )
    db.close()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.action_goto("inference")
        await settle(pilot)
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryDialog))
        table = app.screen.query_one("#hist-runs", SortableTable)
        await wait_until(pilot, lambda: table.row_count == 3 and app.focused is table)
        assert _headers(table)[0] == "When ▼"
        assert _column(table, "model") == ["model-2", "model-1", "model-0"]
        await pilot.press("O")
        assert _headers(table)[0] == "When ▲"
        assert _column(table, "model") == ["model-0", "model-1", "model-2"]
        await pilot.press("o", "o", "o", "o")  # Model, Mode, Block, Gas
        assert _headers(table)[4] == "Gas ▼"
        assert _column(table, "gas") == ["97,867", "80,519", "80,423"]


@pytest.mark.e2e
async def test_hub_sort_reverses_and_survives_a_reload(devnet, app_env):
    app = make_app(settings_for(app_env, devnet.port), poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await open_hub_models(pilot)

        def header() -> str:
            return table.render_line(0).text

        names = table.names
        assert names == sorted(names, key=str.casefold)
        assert "Name ▲" in header()
        assert "O" in _footer_keys(screen)
        current = table.current
        await pilot.press("O")
        assert table.names == names[::-1] and "Name ▼" in header()
        assert table.current == current
        assert "by name ▼" in str(screen.query_one("#hub-scope").render())
        await pilot.press("R")  # reload from the hub
        await wait_until(pilot, lambda: not screen._loading and len(screen._models) == len(names))
        await settle(pilot)
        assert table.names == names[::-1]
        await pilot.press("o")  # by last update, newest first
        assert "Updated ▼" in header() and "Name ▲" not in header()
        # / filters the list, esc clears the filter and goes back to the list
        await pilot.press("slash")
        for ch in "weather":
            await pilot.press(ch)
        await wait_until(pilot, lambda: screen.search == "weather" and not screen._loading)
        await wait_until(pilot, lambda: table.names == ["weather-advice"])
        await pilot.press("escape")
        assert app.focused is table and screen.query_one("#hub-search").value == ""
        await wait_until(pilot, lambda: not screen._loading and len(table.names) == len(names))
        assert "Updated ▼" in header()


async def test_slash_filters_the_chat_conversations_and_esc_clears(app_env, monkeypatch):
    from og_tui.core.chat_store import ChatStore
    from og_tui.tui.screens.chat import ChatScreen

    monkeypatch.setattr(ChatScreen, "autoload_models", False)  # (no gateway in this test)
    app = offline_app(app_env)
    store = ChatStore(app.ctx.settings.db_path)
    for i, title in enumerate(["Weather in Paris", "x402 payments", "Poems about rain"]):
        store.create_conversation(title, model="og-devnet/mini", mode="TEE", profile="local", created=T0 + i)
    store.close()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        screen = app.screen
        convs = screen.query_one("#conversations")
        await settle(pilot, lambda: convs.option_count == 3)
        convs.focus()
        await pilot.pause()
        await pilot.press("slash")
        box = screen.query_one("#chat-search")
        assert app.focused is box and box.display
        for ch in "paym":
            await pilot.press(ch)
        await settle(pilot, lambda: convs.option_count == 1)
        assert "x402 payments" in str(convs.get_option_at_index(0).prompt)
        await pilot.press("escape")  # clears the filter: every conversation again
        await settle(pilot, lambda: convs.option_count == 3)
        assert not box.display and box.value == ""


async def test_new_chat_on_an_empty_chat_screen_does_not_crash(app_env, monkeypatch):
    from og_tui.tui.screens.chat import ChatScreen

    monkeypatch.setattr(ChatScreen, "autoload_models", False)
    app = offline_app(app_env)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        screen = app.screen
        await settle(pilot, lambda: bool(screen.query("#chat-empty")))
        await pilot.press("ctrl+n")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert len(screen.query("#chat-empty")) == 1 and app.focused is screen.prompt


async def test_ctrl_e_in_the_tools_editor_inserts_the_example(app_env, monkeypatch):
    from og_tui.tui.screens.chat import ChatScreen
    from og_tui.tui.screens.chat_dialogs import ToolsDialog

    monkeypatch.setattr(ChatScreen, "autoload_models", False)
    app = offline_app(app_env)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await settle(pilot)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, ToolsDialog) and app.screen.focused is not None)
        editor = app.screen.query_one("#tools-json")
        assert app.focused is editor  # the JSON editor has the focus, and ctrl+e still means Example
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: "get_weather" in editor.text)
