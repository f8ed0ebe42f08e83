"""The app's own devnet: why it is not there, and starting it again from the app.

Real processes throughout: a plain HTTP server holding the devnet port, the devnet child
the app starts, and a SIGKILL of that child.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest
from textual.widgets import Static

from og_tui.tui.app import make_app

from .helpers import settings_for, wait_until

pytestmark = pytest.mark.e2e

START_TIMEOUT = 120.0  # a devnet start on a busy machine


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _status(app) -> str:
    return str(app.screen.query_one("StatusBar", Static).render())


async def test_port_held_by_another_program_then_freed(app_env):
    port = _free_port()
    other = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        app = make_app(settings_for(app_env, port), poll=False)
        app.retry_delays = (0.5, 1.0)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: _accepts(port) or other.poll() is not None)
            # the status bar says why, not "starting devnet 0.0s" forever
            await wait_until(
                pilot, lambda: app.net.down is not None and "in use by another program" in app.net.down, timeout=30
            )
            assert app.net.starting is None
            assert "in use by another program" in _status(app)
            assert "retry in" in _status(app)
            # the port comes free: a retry starts the app's own devnet, with no key pressed
            other.terminate()
            other.wait(10)
            await wait_until(pilot, lambda: app.net.connected is True, timeout=START_TIMEOUT)
            assert app.ctx.devnet is not None and app.ctx.devnet.started
            assert app.net.down is None and "●" in _status(app)
    finally:
        if other.poll() is None:
            other.terminate()
            other.wait(10)


async def test_own_devnet_killed_shows_why_and_f12_starts_it_again(app_env):
    port = _free_port()
    app = make_app(settings_for(app_env, port), poll=True)
    app.retry_delays = (600.0,)  # only the key starts it here
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.net.connected is True, timeout=START_TIMEOUT)
        handle = app.ctx.devnet
        assert handle is not None and handle.started
        os.kill(handle.pid, signal.SIGKILL)
        await wait_until(pilot, lambda: app.net.down is not None and "exited" in app.net.down, timeout=30)
        assert "devnet exited (code -9)" in _status(app) and "f12" in _status(app)
        assert "exited with code -9" in app.devnet_detail
        await pilot.press("f12")
        await wait_until(pilot, lambda: app.net.connected is True and app.ctx.devnet is not None, timeout=START_TIMEOUT)
        second = app.ctx.devnet
        assert second.started and second.pid != handle.pid
        # the palette's "devnet: stop" stops it and says so; nothing restarts it by itself
        await app.run_action("devnet_stop")
        await wait_until(pilot, lambda: app.net.down is not None and "stopped" in app.net.down, timeout=30)
        assert second.process.poll() is not None
        assert app.ctx.devnet is None and "f12 starts it" in _status(app)
        # the Account screen's D starts it again
        assert app.current_mode == "account"
        await pilot.press("D")
        await wait_until(pilot, lambda: app.net.connected is True and app.ctx.devnet is not None, timeout=START_TIMEOUT)
        assert app.ctx.devnet.started and app.net.down is None
