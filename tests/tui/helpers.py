"""Helpers for the app's Pilot and snapshot tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from og_tui.core.config import load_settings

# A fixed, public test key (never used outside tests): gives stable addresses in snapshots.
TEST_KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
TEST_PASSPHRASE = "correct horse battery"


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Isolated config and data dirs, file key store with a fast KDF."""
    env = {
        "OG_TUI_CONFIG_DIR": str(tmp_path / "config"),
        "OG_TUI_DATA_DIR": str(tmp_path / "data"),
        "OG_TUI_SCRYPT_N": "1024",
        "OG_TUI_KEYRING": "file",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def settings_for(env: dict[str, str], port: int | None = None, profile: str | None = None):
    full = dict(env)
    if port is not None:
        full["OG_TUI_DEVNET_PORT"] = str(port)
    return load_settings(profile=profile, env=full)


async def wait_until(pilot, predicate, timeout: float = 20.0, step: float = 0.05) -> None:
    """Let the app run until ``predicate()`` holds (workers post, handlers update)."""
    import time

    from textual.css.query import QueryError
    from textual.widgets.option_list import OptionDoesNotExist

    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except (QueryError, OptionDoesNotExist):
            # a widget the predicate looks at is not mounted / filled in yet
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(step)


async def press_ok(pilot) -> None:
    """Press the dialog's OK button from the keyboard (a toast may cover it for a click)."""
    button = pilot.app.screen.query_one("#ok")
    # a Button ignores presses during its 0.2 s press effect
    await wait_until(pilot, lambda: not button.has_class("-active"), step=0.02)
    button.focus()
    await pilot.pause()  # focus is applied on the next turn of the loop
    assert pilot.app.focused is button
    await pilot.press("enter")


async def settle(pilot, ready=None, timeout: float = 20.0) -> None:
    """Wait until the app is at rest: ``ready()`` holds (when given), no worker is pending or
    running, and the messages, refreshes and animations they started are done."""
    from textual.worker import WorkerState

    app = pilot.app

    def done() -> bool:
        busy = any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers)
        return not busy and (ready is None or ready())

    while True:
        await wait_until(pilot, done, timeout=timeout)
        await pilot.wait_for_scheduled_animations()
        if done():  # nothing new started while the screen caught up
            return
