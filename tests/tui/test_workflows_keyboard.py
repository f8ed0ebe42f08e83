"""Workflows: the list's Latest after a profile switch, the review before a deploy, and
workflows that share a name."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from og_tui.tui.app import make_app
from og_tui.tui.screens import workflows as wf_screen

from .helpers import settings_for, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def fast_polls(monkeypatch):
    monkeypatch.setattr(wf_screen, "DETAIL_POLL", 0.4)
    monkeypatch.setattr(wf_screen, "LIST_POLL", 1.0)


def _public_cells(screen) -> dict[str, str]:
    table = screen.query_one("#wf-list")
    return {e.address: str(table.get_cell(e.address, "latest")) for e in screen.entries if e.kind == "public"}


class _Silent:
    """A TCP server that accepts connections and never answers (an RPC that hangs)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.closed = True
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.mark.parametrize("leave", [True, False], ids=["via-account", "staying-on-workflows"])
async def test_latest_is_read_again_after_switching_profile_and_back(devnet, app_env, fast_polls, leave):
    silent = _Silent()
    gate = threading.Event()
    config = Path(app_env["OG_TUI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(
        f'[profiles.remote]\nextends = "opengradient"\nrpc_url = "http://127.0.0.1:{silent.port}/"\n'
    )
    app = make_app(settings_for(app_env, devnet.port), poll=False)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.net.connected)
            await pilot.press("f6")
            await wait_until(pilot, lambda: app.current_mode == "workflows")
            screen = app.screen
            await wait_until(pilot, lambda: all(v != "…" for v in _public_cells(screen).values()), timeout=60)
            before = _public_cells(screen)
            # a slow network (as a name lookup that hangs): the list read on the other profile
            # is still waiting when we come back
            gate = threading.Event()
            stuck: list[str] = []
            real_alpha = screen.services.alpha

            def alpha():
                client = real_alpha()
                if app.ctx.profile.name == "remote" and not getattr(client, "_slow", False):
                    real_read = client.read_workflow_result

                    def read(address):
                        stuck.append(address)
                        gate.wait(120)
                        return real_read(address)

                    client.read_workflow_result = read
                    client._slow = True
                return client

            screen.services.alpha = alpha
            app.switch_profile("remote")
            await wait_until(pilot, lambda: app.net.profile == "remote")
            await wait_until(pilot, lambda: stuck)
            if leave:
                await pilot.press("f2")
            app.switch_profile("local")
            await wait_until(pilot, lambda: app.net.profile == "local" and app.net.connected)
            await pilot.press("f6")
            await wait_until(pilot, lambda: app.current_mode == "workflows")
            selected = screen.selected
            # every public workflow's value comes back without moving the cursor
            await wait_until(
                pilot,
                lambda: (
                    set(_public_cells(screen)) == set(before) and all(v != "…" for v in _public_cells(screen).values())
                ),
                timeout=60,
            )
            assert not gate.is_set() and screen.selected == selected
    finally:
        gate.set()
        silent.close()


async def test_enter_in_the_new_workflow_form_opens_a_review_first(devnet, app_env):
    from eth_account import Account

    from og_tui.core.chain import ChainClient
    from og_tui.core.devnet_client import DevnetClient
    from og_tui.core.secrets import WalletStore
    from og_tui.tui.screens.modals import ConfirmDialog
    from og_tui.tui.screens.workflow_create import NewWorkflowDialog
    from og_tui.tui.screens.workflow_ops import WorkflowOps

    from .helpers import TEST_PASSPHRASE

    settings = settings_for(app_env, devnet.port)
    account = Account.create()
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    info = wallets.import_key("main", account.key.hex(), TEST_PASSPHRASE)
    wallets.set_active(info.address)
    DevnetClient(devnet.url).fund(info.address)
    chain = ChainClient(devnet.rpc_url)
    nonce = chain.nonce(info.address)
    app = make_app(settings, poll=False)
    app.ctx.remember_signer(wallets.unlock(info.address, TEST_PASSPHRASE))
    seen: list = []
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        await pilot.press("f6")
        await wait_until(pilot, lambda: app.current_mode == "workflows")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewWorkflowDialog))
        dialog = app.screen
        await wait_until(pilot, lambda: any(isinstance(e, NewWorkflowDialog.HubModels) for e in seen))
        dialog.query_one("#wf-model").value = "price-forecast-1h@0.01"
        await wait_until(pilot, lambda: (dialog.selected_file() or {}).get("signature"))
        base = dialog.query_one("#wf-base")
        base.value = "ETH"
        base.focus()
        await pilot.pause()
        await pilot.press("enter")  # every field is filled: Enter submits the form ...
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout=60)
        review = "\n".join(str(s.render()) for s in app.screen.query(".dialog-line"))
        # ... into a review with the gas and the fee, not into a transaction
        assert "ETH/USDT" in review and "Gas" in review and "OG" in review and info.address in review
        assert chain.nonce(info.address) == nonce
        assert not any(isinstance(e, WorkflowOps.Deployed) for e in seen)
        # esc: back to the form, nothing lost, nothing sent
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, NewWorkflowDialog))
        assert app.screen.query_one("#wf-base").value == "ETH"
        assert chain.nonce(info.address) == nonce
        await pilot.press("escape")
    chain.close()


async def test_workflows_with_the_same_query_are_told_apart(app_env):
    from og_tui.core.alpha import WorkflowBook
    from og_tui.core.secrets import WalletStore

    from .helpers import TEST_KEY, TEST_PASSPHRASE

    settings = settings_for(app_env)
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    owner = wallets.import_key("main", TEST_KEY, TEST_PASSPHRASE).address
    wallets.set_active(owner)
    query = {"base": "ETH", "quote": "USDT", "total_candles": 10, "candle_duration_in_mins": 60}
    book = WorkflowBook(settings.data_dir)
    first, second = "0x" + "1" * 36 + "aaaa", "0x" + "2" * 36 + "bbbb"
    for address in (first, second):
        book.add(settings.profile_name, address, model="bafy", input="x", query=query, owner=owner)
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    async with app.run_test(size=(100, 30)) as pilot:
        await app.action_goto("workflows")
        screen = app.screen
        screen.autoload = False
        screen.rebuild()
        await pilot.pause()
        titles = {e.address: e.title for e in screen.entries if e.kind == "mine"}
        assert set(titles) == {first, second}
        assert titles[first] != titles[second]
        assert "aaaa" in titles[first] and "bbbb" in titles[second]
