"""Keys needed for the common tasks, counted from a Pilot script against a real devnet.
Numbers printed, nothing asserted.

Run: ``python -m bench.keys_bench``. Starts its own devnet (temp data dir, free port).

Each task starts where the previous one ended and counts every key the script presses
until the task is done on the devnet (a confirmed transfer, a file registered on the hub,
an inference mined, a chat reply with a tool call):

- send: 1 OG from the active wallet to your other wallet (``savings``);
- upload: a file to the newest version of one of your hub models (found with ``/``);
- infer: run that file on chain (its input template filled in);
- chat: a new conversation with a tool (the example tool), one question.

``keys`` counts everything pressed; ``typed`` the part of it that is text (addresses, names,
paths, the question). Wallet unlock and hub sign-in happen before (not counted), the same
for every version of the app the script runs against.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench._devnet import start_devnet, stop_devnet

KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
PASSPHRASE = "correct horse battery"
QUESTION = "Weather in Paris?"


class Keys:
    """Presses keys through the Pilot and counts them per task."""

    def __init__(self, pilot) -> None:
        self.pilot = pilot
        self.counts: dict[str, dict[str, Any]] = {}
        self.task = ""

    def start(self, task: str) -> None:
        self.task = task
        self.counts[task] = {"keys": 0, "typed": 0}

    async def press(self, *keys: str) -> None:
        for key in keys:
            self.counts[self.task]["keys"] += 1
            await self.pilot.press(key)

    async def type(self, text: str) -> None:
        for ch in text:
            self.counts[self.task]["keys"] += 1
            self.counts[self.task]["typed"] += 1
            await self.pilot.press(_key_name(ch))


def _key_name(ch: str) -> str:
    names = {" ": "space", "/": "slash", ".": "full_stop", "?": "question_mark", "-": "minus", "_": "underscore"}
    return names.get(ch, ch)


async def _wait(pilot, predicate, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - a widget not mounted yet
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached")
        await pilot.pause(0.05)


def _onnx(path: Path) -> Path:
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


def _settings(tmp: Path, port: int):
    from og_tui.core.config import load_settings

    env = dict(
        os.environ,
        OG_TUI_CONFIG_DIR=str(tmp / "config"),
        OG_TUI_DATA_DIR=str(tmp / "data"),
        OG_TUI_DEVNET_PORT=str(port),
        OG_TUI_KEYRING="file",
        OG_TUI_SCRYPT_N="1024",
    )
    os.environ.update({k: env[k] for k in ("OG_TUI_KEYRING", "OG_TUI_SCRYPT_N")})
    return load_settings(env=env)


async def _send(keys: Keys, app, savings: str) -> None:
    from og_tui.tui.screens.modals import ConfirmDialog, SendDialog

    pilot = keys.pilot
    keys.start("send OG to your other wallet")
    before = app.ctx.chain.balance(savings)
    await keys.press("s")
    await _wait(pilot, lambda: isinstance(app.screen, SendDialog) and app.screen.focused is not None, what="send form")
    dialog = app.screen
    if getattr(dialog, "wallets", None):  # the To field takes a wallet's name and completes it
        await keys.type("sa")
        await _wait(pilot, lambda: dialog.query_one("#to")._suggestion == "savings", what="suggestion")
        await keys.press("right")
    else:
        await keys.type(savings)
    await keys.press("tab")
    await keys.type("1")
    await keys.press("enter")
    await _wait(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="review")
    await keys.press("enter")
    await _wait(pilot, lambda: app.ctx.chain.balance(savings) > before, what="transfer confirmed")


async def _upload(keys: Keys, app, model: str, path: Path) -> None:
    from og_tui.tui.screens.file_picker import FilePicker

    pilot = keys.pilot
    keys.start("upload a file to a model's newest version")
    await keys.press("f3")
    await _wait(pilot, lambda: app.current_mode == "hub", what="hub screen")
    screen = app.screen
    await _wait(pilot, lambda: not screen._loading, what="model list")
    await keys.press("slash")
    await keys.type(model)
    await keys.press("enter")
    await _wait(pilot, lambda: screen.current_name() == model and screen.detail is not None, what="model shown")
    await _wait(pilot, lambda: screen.detail.get("name") == model, what="model detail")
    await keys.press("u")
    await _wait(pilot, lambda: isinstance(app.screen, FilePicker), what="file picker")
    picker = app.screen
    field = picker.query_one("#fp-path")
    if field.value:  # the picker opens on a folder: replace it with the path
        await keys.press("ctrl+u")
    await keys.type(str(path))
    await keys.press("enter")

    def uploaded() -> bool:
        detail = screen.detail or {}
        newest = (detail.get("versions") or [{}])[-1]
        return any(f.get("name") == path.name for f in newest.get("files") or [])

    await _wait(pilot, uploaded, 60, what="file on the newest version")


def _posted(seen: list, start: int, *names: str) -> list:
    """Messages posted since ``start`` whose class is one of ``names`` (qualified names:
    the message classes moved between versions of the app)."""
    return [msg for msg in seen[start:] if type(msg).__qualname__ in names]


def _signature(screen) -> object:
    """The chosen model's signature (where the screen keeps it depends on the version)."""
    editor = getattr(screen, "input_editor", None)
    return getattr(editor, "signature", None) or getattr(screen, "signature", None)


def _chat_models(screen) -> object:
    pane = getattr(screen, "params_pane", None)
    return getattr(pane, "models", None) or getattr(screen, "_models", None)


INFERENCE_DONE = ("InferenceRunner.Finished", "InferenceScreen.Finished", "InferenceFinished")
INFERENCE_FAILED = ("InferenceRunner.Failed", "InferenceScreen.Failed", "InferenceFailed")
CHAT_DONE = ("ChatScreen.Finished", "ChatFinished")


async def _infer(keys: Keys, app, seen: list) -> None:
    from og_tui.tui.screens.inference import InferenceScreen

    pilot = keys.pilot
    keys.start("run inference on it")
    start = len(seen)
    await keys.press("r")
    await _wait(pilot, lambda: isinstance(app.screen, InferenceScreen), what="inference screen")
    screen = app.screen
    await _wait(pilot, lambda: _signature(screen), what="signature")
    await keys.press("ctrl+r")
    await _wait(pilot, lambda: _posted(seen, start, *INFERENCE_DONE, *INFERENCE_FAILED), 90, what="inference mined")
    failed = _posted(seen, start, *INFERENCE_FAILED)
    if failed:
        raise RuntimeError(f"inference failed: {getattr(failed[0], 'text', failed[0])}")


async def _chat(keys: Keys, app, seen: list) -> None:
    from og_tui.tui.screens.chat import ChatScreen
    from og_tui.tui.screens.chat_dialogs import ToolsDialog

    pilot = keys.pilot
    keys.start("start a chat with a tool")
    start = len(seen)
    await keys.press("f5")
    await _wait(pilot, lambda: isinstance(app.screen, ChatScreen) and _chat_models(app.screen), what="chat")
    screen = app.screen
    if getattr(screen, "conv", None) is not None:  # a conversation is open: start a new one
        await keys.press("ctrl+n")
    await keys.press("ctrl+t")
    await _wait(pilot, lambda: isinstance(app.screen, ToolsDialog), what="tools editor")
    await keys.press("ctrl+e", "ctrl+s")
    await _wait(pilot, lambda: app.screen is screen, what="tools saved")
    await pilot.pause()
    for _ in range(10):  # to the prompt (tab, as a user would, when the focus is elsewhere)
        if app.focused is screen.prompt:
            break
        await keys.press("tab")
    else:
        raise RuntimeError("the prompt never took the focus")
    await keys.type(QUESTION)
    await keys.press("enter")
    await _wait(pilot, lambda: _posted(seen, start, *CHAT_DONE), 60, what="reply")
    if not _posted(seen, start, *CHAT_DONE)[0].tool_calls:
        raise RuntimeError("the reply has no tool call")


async def _run(tmp: Path, port: int, url: str) -> dict[str, dict[str, Any]]:
    from og_tui.core.devnet_client import DevnetClient
    from og_tui.core.secrets import WalletStore
    from og_tui.tui.app import make_app

    settings = _settings(tmp, port)
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    main = wallets.import_key("main", KEY, PASSPHRASE)
    wallets.set_active(main.address)
    savings = wallets.create("savings", PASSPHRASE)
    DevnetClient(url).fund(main.address)
    model_file = _onnx(tmp / "relu.onnx")
    app = make_app(settings, poll=False)
    app.ctx.remember_signer(wallets.unlock(main.address, PASSPHRASE))
    seen: list = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await _wait(pilot, lambda: app.net.connected and app.net.native_wei, what="connected")
        await _wait(pilot, lambda: app.screen.query_one("#wallets").row_count == 2, what="wallets")
        # signed in to the hub, a model with an empty newest version (set-up, not counted)
        from og_tui.tui.hub_session import hub_sessions

        sessions = hub_sessions(app.ctx)
        sessions.sign_in(f"kb-{uuid.uuid4().hex[:8]}@example.com", "hub-pass-123", create=True, remember=False)
        client = sessions.client()
        model = f"kb-{uuid.uuid4().hex[:6]}"
        client.create_model(model, "keys bench")
        client.upload(model_file, model, "0.01")
        client.create_version(model, "newer")
        keys = Keys(pilot)
        tasks = [
            lambda: _send(keys, app, savings.address),
            lambda: _upload(keys, app, model, model_file),
            lambda: _infer(keys, app, seen),
            lambda: _chat(keys, app, seen),
        ]
        for task in tasks:
            try:
                await task()
            except Exception as exc:  # noqa: BLE001 - reported with the counts; the next task goes on
                keys.counts[keys.task]["failed"] = f"{type(exc).__name__}: {exc}"
                for _ in range(3):  # back to a screen (a dialog may be open)
                    if not app.screen.is_modal:
                        break
                    await pilot.press("escape")
            _print_task(keys.task, keys.counts[keys.task])
        return keys.counts


def _print_task(task: str, c: dict[str, Any]) -> None:
    failed = f" NOT DONE after these keys ({c['failed']})" if c.get("failed") else ""
    print(f"{task:44s} {c['keys']:4d} keys ({c['typed']} typed){failed}", flush=True)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="og-keys-bench-") as tmp_name:
        tmp = Path(tmp_name)
        proc, url = start_devnet(tmp / "devnet", tmp / "devnet.log")
        try:
            port = int(url.rsplit(":", 1)[1])
            counts = asyncio.run(_run(tmp, port, url))
        finally:
            stop_devnet(proc)
    total = {"keys": 0, "typed": 0}
    for c in counts.values():
        total["keys"] += c["keys"]
        total["typed"] += c["typed"]
    done = sum(1 for c in counts.values() if not c.get("failed"))
    print(f"{'all tasks':44s} {total['keys']:4d} keys ({total['typed']} typed), {done} of {len(counts)} done")


if __name__ == "__main__":
    sys.exit(main())
