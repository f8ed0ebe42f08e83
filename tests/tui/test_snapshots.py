"""Snapshot tests of every screen at 80x24 and 120x40 (no network: fixed state)."""

from __future__ import annotations

import time

import pytest

from og_tui.core.secrets import WalletStore
from og_tui.core.store import Store
from og_tui.tui.app import make_app
from og_tui.tui.messages import NetState

from .helpers import TEST_KEY, settings_for

SIZES = [(80, 24), (120, 40)]
FIXED_TIME = 1_764_000_000.0  # a fixed moment, shown in UTC


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.delenv("TZ", raising=False)
    time.tzset()


def _app(app_env, *, wallet: bool, txs: bool = False):
    settings = settings_for(app_env)
    if wallet:
        store = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
        info = store.import_key("main", TEST_KEY, "correct horse battery")
        store.set_active(info.address)
    if txs:
        db = Store(settings.db_path)
        sender = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
        to = "0x8ba1f109551bD432803012645Ac136ddd64DBA72"
        rows = [
            ("0x" + "ab" * 32, "faucet-native", "confirmed", 21000, 3, None, None),
            ("0x" + "cd" * 32, "transfer-native", "confirmed", 21000, 5, "1500000000000000000", None),
            ("0x" + "ef" * 32, "transfer-token", "failed", 34512, 6, "2500000", "OUSDC"),
            ("0x" + "12" * 32, "transfer-native", "pending", None, None, "1000", None),
        ]
        for i, (h, kind, status, gas, block, value, token) in enumerate(rows):
            db.add_tx(
                hash=h, kind=kind, status=status, gas_used=gas, block=block, from_addr=sender, to_addr=to,
                value=value, token=token, profile="local", created_at=FIXED_TIME + 60 * i,
            )
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None  # no network in snapshots: the state below is fixed
    return app


def _fixed_state(app) -> None:
    state = NetState(profile="local", is_devnet=True, connected=True, block=1234)
    if app.net.address:
        state.address = app.net.address
        state.wallet_name = app.net.wallet_name
        state.native_wei = 99_999_580_000_000_000_000
        state.token_units = 1_000_000_000
    app.net = state


def _runner(mode: str | None, *keys: str):
    async def run_before(pilot):
        _fixed_state(pilot.app)
        if mode:
            await pilot.app.action_goto(mode)
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause(0.3)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_account_onboarding(snap_compare, app_env, size):
    assert snap_compare(_app(app_env, wallet=False), terminal_size=size, run_before=_runner(None))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_account_with_wallet(snap_compare, app_env, size):
    assert snap_compare(_app(app_env, wallet=True), terminal_size=size, run_before=_runner(None))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_activity(snap_compare, app_env, size):
    assert snap_compare(_app(app_env, wallet=True, txs=True), terminal_size=size, run_before=_runner("activity"))


@pytest.mark.parametrize("mode", ["hub", "inference", "chat", "workflows"])
def test_coming_screens(snap_compare, app_env, mode):
    assert snap_compare(_app(app_env, wallet=True), terminal_size=(80, 24), run_before=_runner(mode))


def test_unlock_dialog(snap_compare, app_env):
    assert snap_compare(_app(app_env, wallet=True), terminal_size=(80, 24), run_before=_runner(None, "s"))


def test_send_dialog(snap_compare, app_env):
    from eth_account import Account

    app = _app(app_env, wallet=True)
    app.ctx.remember_signer(Account.from_key(TEST_KEY))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_runner(None, "s"))


def test_help_panel(snap_compare, app_env):
    assert snap_compare(_app(app_env, wallet=True), terminal_size=(120, 40), run_before=_runner(None, "f1"))
