"""Regenerate the README's screenshots from a real session on a throwaway devnet.

    python -m og_tui.tui.screenshots screenshots/

Starts a devnet on a free port in a temp dir, creates and funds a wallet, sends a
transfer, then drives each screen with Textual's Pilot and saves SVGs with
``app.save_screenshot``. Nothing here touches the user's own config or wallets.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Awaitable, Callable

SIZE = (120, 36)
RECIPIENT = "0x8ba1f109551bD432803012645Ac136ddd64DBA72"
PASSPHRASE = "screenshot passphrase"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _settle(
    pilot, predicate: Callable[[], bool] = lambda: True, timeout: float = 30.0, workers_done: bool = True
) -> None:
    """Wait until ``predicate()`` holds and (``workers_done``) no worker is running, then for the
    screen to catch up."""
    from textual.css.query import QueryError
    from textual.worker import WorkerState

    app = pilot.app

    def ready() -> bool:
        try:
            if not predicate():
                return False
        except QueryError:  # a widget it looks at is not mounted yet
            return False
        return not workers_done or not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        while not ready():
            if loop.time() > deadline:
                raise TimeoutError("screen did not reach the expected state")
            await pilot.pause(0.05)
        await pilot.wait_for_scheduled_animations()
        if ready():
            return


Step = Callable[[object], Awaitable[None]]


async def _account(pilot) -> None:
    await _settle(pilot, lambda: (pilot.app.net.native_wei or 0) > 0)


async def _activity(pilot) -> None:
    await pilot.app.action_goto("activity")
    await _settle(pilot)


async def _hub(pilot) -> None:
    from textual.widgets import OptionList

    app = pilot.app
    await app.action_goto("hub")
    # a model's detail with its files (and their CIDs) is shown
    await _settle(
        pilot,
        lambda: app.screen.detail is not None and app.screen.query_one("#hub-files", OptionList).option_count > 0,
        timeout=30,
    )


async def _inference(pilot) -> None:
    from og_tui.core.hub import HubClient

    app = pilot.app
    profile = app.ctx.profile
    detail = HubClient(profile.hub_url, profile.auth_url).model_detail("iris-classifier")
    file = detail["versions"][0]["files"][0]
    await app.action_goto("inference")
    app.screen.set_model(file["ipfsCid"], name="iris-classifier", signature=file.get("signature"))
    await _settle(pilot, lambda: app.screen.signature is not None)
    await pilot.press("ctrl+r")
    await _settle(pilot, lambda: app.screen.last_run is not None, timeout=60)


def _chat_ready(app) -> bool:
    """The chat screen is up and its prompt has the focus."""
    from og_tui.tui.screens.chat import ChatScreen

    screen = app.screen
    return isinstance(screen, ChatScreen) and screen.prompt.has_focus


def _reply_done(app) -> bool:
    """The last reply has finished and its footer (cost, tok/s) is drawn."""
    from og_tui.tui.widgets.chat_view import AssistantMessage

    replies = app.screen.query(AssistantMessage)
    if not replies:
        return False
    last = replies.last()
    return not last.streaming and "tok/s" in str(last.query_one(".reply-footer").render())


async def _chat(pilot) -> None:
    app = pilot.app
    await app.action_goto("chat")
    await _settle(pilot, lambda: _chat_ready(app))
    for ch in "Write a short note on x402 payments":
        await pilot.press("space" if ch == " " else ch)
    await pilot.press("enter")
    await _settle(pilot, lambda: _reply_done(app), timeout=60)


async def _chat_tools(pilot) -> None:
    """A conversation with the iris model attached as a tool: asked, confirmed, run on chain."""
    from og_tui.core.hub import HubClient
    from og_tui.tui.screens.chat_agent_dialogs import ToolConfirmDialog

    app = pilot.app
    profile = app.ctx.profile
    detail = HubClient(profile.hub_url, profile.auth_url).model_detail("iris-classifier")
    version = detail["versions"][0]
    file = version["files"][0]
    await app.action_goto("chat")
    await _settle(pilot, lambda: _chat_ready(app))
    await pilot.press("ctrl+n")
    app.screen.save_og_tools(
        [
            {
                "kind": "model",
                "cid": file["ipfsCid"],
                "title": "iris-classifier",
                "version": version.get("version"),
                "signature": file.get("signature"),
                "mode": "VANILLA",
                "confirm": True,
            }
        ]
    )
    for ch in "Run the iris classifier on a flower":
        await pilot.press("space" if ch == " " else ch)
    await pilot.press("enter")
    # (the reply's worker waits for the answer meanwhile)
    await _settle(
        pilot,
        lambda: isinstance(app.screen, ToolConfirmDialog) and app.screen.focused is not None,
        timeout=60,
        workers_done=False,
    )
    await pilot.press("enter")
    # the tool ran on chain and the model answered with its output (no worker left running)
    await _settle(pilot, lambda: not isinstance(app.screen, ToolConfirmDialog) and _reply_done(app), timeout=60)
    app.screen.query_one("#chat-log").scroll_home(animate=False)
    await _settle(pilot)


async def _workflows(pilot) -> None:
    from textual.widgets import DataTable

    app = pilot.app
    await app.action_goto("workflows")

    def forecasts_shown() -> bool:  # every listed workflow shows its latest forecast
        table = app.screen.query_one("#wf-list", DataTable)
        return bool(table.rows) and all(str(table.get_cell(key, "latest")).endswith("%") for key in table.rows)

    await _settle(pilot, forecasts_shown, timeout=60)


async def capture(out_dir: Path) -> list[Path]:
    from og_tui.core import wallet_ops
    from og_tui.core.chain import ChainClient
    from og_tui.core.config import load_settings
    from og_tui.core.devnet_proc import ensure_devnet
    from og_tui.core.secrets import WalletStore
    from og_tui.core.store import Store
    from og_tui.tui.app import make_app

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        env = {
            "OG_TUI_CONFIG_DIR": f"{tmp}/config",
            "OG_TUI_DATA_DIR": f"{tmp}/data",
            "OG_TUI_DEVNET_PORT": str(port),
            "OG_TUI_SCRYPT_N": "1024",
            "OG_TUI_KEYRING": "file",
        }
        os.environ.update(env)
        handle = ensure_devnet("127.0.0.1", port)
        try:
            settings = load_settings()
            wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
            info = wallets.create("main", PASSPHRASE)
            wallets.set_active(info.address)
            signer = wallets.unlock(info.address, PASSPHRASE)
            store = Store(settings.db_path)
            with ChainClient(settings.profile.rpc_url) as chain:
                wallet_ops.fund(settings.profile, store, info.address, chain=chain)
                wallet_ops.send(chain, store, settings.profile, signer, RECIPIENT, 1_500_000_000_000_000_000, "OG")
                wallet_ops.send(chain, store, settings.profile, signer, RECIPIENT, 2_500_000, "OUSDC")

            steps: list[tuple[str, Step]] = [
                ("account", _account),
                ("hub", _hub),
                ("inference", _inference),
                ("chat", _chat),
                ("chat-tools", _chat_tools),
                ("workflows", _workflows),
                ("activity", _activity),
            ]
            for name, step in steps:
                app = make_app(settings, poll=False)
                app.ctx.remember_signer(signer)
                async with app.run_test(size=SIZE) as pilot:
                    await _settle(pilot, lambda: pilot.app.net.connected)
                    pilot.app.poll_chain()
                    await step(pilot)
                    path = out_dir / f"{name}.svg"
                    app.save_screenshot(filename=path.name, path=str(out_dir))
                    written.append(path)
        finally:
            handle.stop()
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "screenshots")
    for path in asyncio.run(capture(out)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
