"""'Disconnected' has its reason one key away: the app's own devnet (a real process) is
killed, the status bar names the Log view's key, and that key opens the devnet's log."""

from __future__ import annotations

import os
import signal
import socket

import pytest
from textual.widgets import Log, Static

from og_tui.tui.app import make_app
from og_tui.tui.screens.log_view import LogScreen

from .helpers import settings_for, wait_until

pytestmark = pytest.mark.e2e

START_TIMEOUT = 120.0  # a devnet start on a busy machine


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_killed_devnet_reason_and_log_are_one_key_away(app_env):
    app = make_app(settings_for(app_env, _free_port()), poll=True)
    app.retry_delays = (600.0,)  # no restart by itself during the test
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.net.connected is True, timeout=START_TIMEOUT)
        handle = app.ctx.devnet
        assert handle is not None and handle.started and handle.log_path is not None
        os.kill(handle.pid, signal.SIGKILL)
        await wait_until(pilot, lambda: app.net.down is not None and "exited" in app.net.down, timeout=30)
        bar = app.screen.query_one("StatusBar", Static)
        status = str(bar.render())
        # the key is named within the 80 columns (the reason is shortened for it)
        assert "f10 log" in status and status.index("f10 log") + len("f10 log") <= bar.content_size.width
        assert "devnet exited (code -9)" in status
        # the toast that said so is in the history
        assert any(n.title == "Devnet exited" for n in app.notices.newest_first())
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        view = app.screen
        assert view.source == "devnet"
        # the devnet's own output, as written by the real process, and the reason above it
        await wait_until(pilot, lambda: any("og-tui devnet start" in line for line in view.query_one(Log).lines))
        note = str(view.query_one("#log-note", Static).render())
        assert str(handle.log_path) in note and "exited with code -9" in note
