"""Snapshots of the gateway panel at 80x24 and 120x40: running with keys, spend and an error
(a fixed state, no network), and stopped with the keys read from the history file."""

from __future__ import annotations

import time

import pytest

from og_tui.tui.gateway_control import GatewayState, KeyRow

from .helpers import settle
from .test_snapshots import SIZES, _app, _fixed_state

FIXED_TIME = 1_764_000_000.0
ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"  # TEST_KEY's


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.delenv("TZ", raising=False)
    time.tzset()


def _running_state() -> GatewayState:
    keys = (
        KeyRow(1, "editor", "ogk_Q2x9Lm", 10_000, 1_000_000, 10_000_000, False, FIXED_TIME, 48, 1_248),
        KeyRow(2, "langchain-notebook", "ogk_7bTr0w", None, None, 500_000, False, FIXED_TIME, 0, 96),
        KeyRow(3, "old-script", "ogk_Zz0aa1", None, None, None, True, None, 0, 0),
    )
    errors = (
        {
            "time": FIXED_TIME + 30,
            "key_id": 2,
            "status": 402,
            "code": "total_budget_exceeded",
            "message": "Budget of API key ogk_7bTr0w... (langchain-notebook): 0.000096 OUSDC spent in all; "
            "this request (0.5 OUSDC) would pass its total budget of 0.5 OUSDC. Nothing was signed.",
        },
    )
    return GatewayState(
        running=True,
        url="http://127.0.0.1:8746/v1",
        address=ADDRESS,
        wallet_name="main",
        profile="local",
        started=None,
        in_flight=1,
        served=14,
        spent_run=1_344,
        keys=keys,
        errors=errors,
        port=8746,
    )


def _runner(state: GatewayState | None):
    async def run_before(pilot):
        from og_tui.tui.screens.gateway import GatewayPanel

        app = pilot.app
        _fixed_state(app)
        if state is not None:
            app.gateway_refresh = lambda: None  # the state below is fixed
            app._gateway_set(state)
        app.action_gateway_show()

        def ready() -> bool:
            if not isinstance(app.screen, GatewayPanel):
                return False
            want = sum(1 for k in app.gateway_state.keys if not k.revoked)
            return app.screen.query_one("#gw-keys").row_count == want and want > 0

        await settle(pilot, ready)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_gateway_panel_running(snap_compare, app_env, size):
    assert snap_compare(_app(app_env, wallet=True), terminal_size=size, run_before=_runner(_running_state()))


def test_gateway_panel_stopped(snap_compare, app_env, monkeypatch):
    """Stopped: the keys and what they spent come from the history file (real KeyBook rows)."""
    import og_tui.serve.keys as keys
    from og_tui.serve.keys import KeyBook

    monkeypatch.setattr(keys.secrets, "token_urlsafe", lambda n: "Q2x9Lm" + "a" * 37)  # a fixed key prefix

    from .helpers import settings_for

    app = _app(app_env, wallet=True)
    settings = settings_for(app_env)
    with KeyBook(settings.db_path) as book:
        key, _ = book.create("editor", per_request=10_000, per_day=1_000_000, total=10_000_000)
        book.record(key_id=key.id, endpoint="chat", status=200, model="og-devnet/mini", cost=64, created_at=1.0)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_runner(None))


def test_new_key_dialog(snap_compare, app_env):
    async def run_before(pilot):
        from og_tui.tui.screens.gateway import NewKeyDialog

        await _runner(_running_state())(pilot)
        await pilot.press("n")
        for ch in "editor":
            await pilot.press(ch)
        pilot.app.screen.query_one("#per_day").value = "1"
        pilot.app.screen.query_one("#total").value = "ten"
        await pilot.press(*["enter"] * 5)  # through the empty fields (OUSDC and OPG budgets), then OK: the error
        await settle(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, NewKeyDialog)
                and "Budget" in str(pilot.app.screen.query_one(".dialog-error").render())
            ),
        )

    assert snap_compare(_app(app_env, wallet=True), terminal_size=(80, 24), run_before=run_before)


def test_gateway_panel_opg_budgets(snap_compare, app_env, monkeypatch):
    """A key with OPG budgets (x402 v2) shows its OPG spend on a second line, against its OPG
    budgets, never added to its OUSDC spend; a key without stays one line."""
    import og_tui.serve.keys as keys
    from og_tui.serve.keys import KeyBook

    from .helpers import settings_for

    prefixes = iter(["Q2x9Lm", "7bTr0w"])
    monkeypatch.setattr(keys.secrets, "token_urlsafe", lambda n: next(prefixes) + "a" * 37)
    app = _app(app_env, wallet=True)
    with KeyBook(settings_for(app_env).db_path) as book:
        both, _ = book.create("editor", per_day=1_000_000, opg_per_request=10**15, opg_total=5 * 10**18)
        plain, _ = book.create("notebook", total=500_000)
        book.record(key_id=both.id, endpoint="chat", status=200, cost=64, token="OUSDC", created_at=1.0)
        book.record(key_id=both.id, endpoint="chat", status=200, cost=2 * 10**14, token="OPG", created_at=1.0)
        book.record(key_id=plain.id, endpoint="chat", status=200, cost=96, created_at=1.0)
    cells = {}

    async def run_before(pilot):
        await _runner(None)(pilot)
        table = pilot.app.screen.query_one("#gw-keys")
        cells.update({row: [str(c) for c in table.get_row_at(row)] for row in range(table.row_count)})

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
    assert cells[0][3:] == ["0 / 1\n0 OPG", "0.000064\n0.0002 / 5 OPG", "–\n0.001 OPG"]
    assert cells[1][3:] == ["0", "0.000096 / 0.5", "–"]


async def test_new_key_dialog_sets_opg_budgets(app_env):
    """The dialog's OPG budgets are OPG amounts, kept in atomic units (18 decimals)."""
    from og_tui.serve.keys import KeyBook
    from og_tui.tui.screens.gateway import KeySecretDialog, NewKeyDialog

    from .helpers import settings_for

    db = settings_for(app_env).db_path
    with KeyBook(db) as book:
        book.create("first")
    app = _app(app_env, wallet=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await _runner(None)(pilot)
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(pilot.app.screen, NewKeyDialog))
        dialog = pilot.app.screen
        dialog.query_one("#key-name").value = "v2"
        dialog.query_one("#per_day").value = "1"
        dialog.query_one("#opg_total").value = "lots"
        dialog.query_one("#ok").press()
        await settle(pilot, lambda: "OPG budget total" in str(dialog.query_one(".dialog-error").render()))
        dialog.query_one("#opg_total").value = "2.5"
        dialog.query_one("#opg_per_request").value = "0.001"
        dialog.query_one("#ok").press()
        await settle(pilot, lambda: isinstance(pilot.app.screen, KeySecretDialog))
    with KeyBook(db) as book:
        key = book.find("v2")
    assert (key.per_day, key.opg_per_request, key.opg_per_day, key.opg_total) == (10**6, 10**15, None, 25 * 10**17)
