"""Snapshots of the key reference, the notification history and the Log view at 80x24 and
120x40 (fixed state: a log file with fixed lines, notices with fixed times)."""

from __future__ import annotations

import time

import pytest

from og_tui.tui.notices import Notice

from .helpers import settle
from .test_snapshots import FIXED_TIME, SIZES, _app, _fixed_state

LOG_LINES = [
    "2025-11-24 16:00:00,000 INFO    og_tui.tui: og-tui started (profile local)",
    "2025-11-24 16:00:04,120 INFO    og_tui.tui.notices: notice: Devnet: Local devnet started at http://127.0.0.1:8545",
    "2025-11-24 16:00:09,500 WARNING og_tui.tui.app: Faucet: the faucet is empty",
    "2025-11-24 16:00:12,001 INFO    og_tui.core.chain: sent transfer-native 0x" + "cd" * 32,
    "2025-11-24 16:00:15,733 ERROR   og_tui.tui.notices: notice: Local devnet did not start: Port 8545 is in use",
] + [f"2025-11-24 16:01:{i:02d},000 INFO    og_tui.core.payment_status: payment {i} settled" for i in range(20)]

NOTICES = [
    (0, "information", "Devnet", "Local devnet started at http://127.0.0.1:8545"),
    (9, "warning", "Faucet", "The faucet is empty: restart the devnet to refill it."),
    (
        15,
        "error",
        "Local devnet did not start",
        "Port 8545 on 127.0.0.1 is in use by another program.\nSet OG_TUI_DEVNET_PORT or stop it.",
    ),
    (40, "information", "Transaction mined", "transfer-native confirmed in block 5 · gas 21,000\ntx 0x" + "cd" * 32),
]


@pytest.fixture(autouse=True)
def _utc(monkeypatch, tmp_path):
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("HOME", str(tmp_path))  # paths show as ~/data/...
    time.tzset()
    yield
    monkeypatch.delenv("TZ", raising=False)
    time.tzset()


def _runner(key: str, screen_name: str, prepare=None):
    async def run_before(pilot):
        app = pilot.app
        _fixed_state(app)
        if prepare is not None:
            prepare(app)
        await pilot.pause()
        await pilot.press(key)
        await settle(pilot, lambda: type(app.screen).__name__ == screen_name and app.screen.focused is not None)
        if screen_name == "LogScreen":
            await settle(pilot, lambda: app.screen.query_one("LogLines").line_count == len(LOG_LINES))
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_key_reference(snap_compare, app_env, size):
    run = _runner("question_mark", "KeyReference")
    assert snap_compare(_app(app_env, wallet=True), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_notifications(snap_compare, app_env, size):
    def fill(app) -> None:
        for offset, severity, title, message in NOTICES:
            app.notices.add(Notice(FIXED_TIME + offset, severity, title, message))
        app.notices_version += 1

    run = _runner("alt+n", "NotificationsScreen", fill)
    assert snap_compare(_app(app_env, wallet=True), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_log_view(snap_compare, app_env, size):
    app = _app(app_env, wallet=True)
    path = app.ctx.settings.data_dir / "og-tui.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(LOG_LINES) + "\n")
    assert snap_compare(app, terminal_size=size, run_before=_runner("f10", "LogScreen"))
