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


T0 = 1_764_000_000.0  # the time of the first transaction offline_app stores


def offline_app(app_env: dict[str, str], *, wallets=("main",), txs=()):
    """The app on ``app_env``'s dirs with no devnet and no connection: the wallets named in
    ``wallets`` (the first holds TEST_KEY and is active, the n-th the key 0xnn…nn) and, in its
    store, a confirmed local transaction for each ``(kind, gas used, block)`` of ``txs``, the
    n-th with hash 0x00…0n at T0 + n - 1."""
    from og_tui.core.secrets import WalletStore
    from og_tui.core.store import Store
    from og_tui.tui.app import make_app

    settings = settings_for(app_env)
    store = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    for i, name in enumerate(wallets):
        info = store.import_key(name, TEST_KEY if i == 0 else "0x" + f"{i + 1:02x}" * 32, TEST_PASSPHRASE)
        if i == 0:
            store.set_active(info.address)
    db = Store(settings.db_path)
    for i, (kind, gas, block) in enumerate(txs):
        db.add_tx(
            hash="0x" + f"{i + 1:064x}",
            kind=kind,
            status="confirmed",
            gas_used=gas,
            block=block,
            from_addr=None,
            to_addr=None,
            value="1",
            token=None,
            profile="local",
            created_at=T0 + i,
        )
    db.close()
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    return app


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


async def open_hub_models(pilot):
    """Once the app is connected, open the Hub (F3), wait for its first models and focus their
    list: returns the screen and the list."""
    app = pilot.app
    await wait_until(pilot, lambda: app.net.connected)
    await pilot.press("f3")
    await wait_until(pilot, lambda: app.current_mode == "hub")
    screen = app.screen
    table = screen.query_one("#hub-models")
    await wait_until(pilot, lambda: not screen._loading and len(screen._models) >= 3)
    table.focus()
    await pilot.pause()
    return screen, table
