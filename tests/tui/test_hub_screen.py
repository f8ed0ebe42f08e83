"""Pilot tests of the Hub screen against a real devnet.

They drive the screen from the keyboard and assert on the messages its workers post
(ModelsLoaded, ModelDetailLoaded, UploadProgress, UploadFinished, TransferFailed, ...)
and on the hub itself through the core client.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from og_tui.core.cid import cid_for_file
from og_tui.core.hub import HubClient
from og_tui.core.secrets import WalletStore
from og_tui.tui.app import make_app
from og_tui.tui.hub_session import hub_sessions
from og_tui.tui.screens.file_picker import FilePicker, complete_path, human_size, split_path
from og_tui.tui.screens.hub import HubScreen, fmt_rate
from og_tui.tui.screens.hub_dialogs import HubSignInDialog, NewModelDialog, NewVersionDialog

from .helpers import TEST_KEY, press_ok, settings_for, wait_until

pytestmark = pytest.mark.e2e

PASSWORD = "hub-pass-123"


def _recorder():
    seen: list = []
    return seen, seen.append


def _of(seen, kind):
    return [msg for msg in seen if isinstance(msg, kind)]


async def _type(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch)


def _onnx_file(path: Path) -> Path:
    """A real, tiny ONNX model (Relu over a [1, 3] float input)."""
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


def _random_file(path: Path, mib: int) -> Path:
    with open(path, "wb") as fh:
        for _ in range(mib):
            fh.write(os.urandom(1 << 20))
    return path


def _email() -> str:
    return f"tui-{uuid.uuid4().hex[:10]}@example.com"


def _name(prefix: str = "tui") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _file_texts(screen: HubScreen) -> list[str]:
    files = screen.query_one("#hub-files", OptionList)
    return [str(getattr(opt.prompt, "plain", opt.prompt)) for opt in files.options]


async def _open_hub(pilot) -> HubScreen:
    app = pilot.app
    await wait_until(pilot, lambda: app.net.connected)
    await pilot.press("f3")
    await wait_until(pilot, lambda: isinstance(app.screen, HubScreen))
    screen = app.screen
    await wait_until(pilot, lambda: not screen._loading and screen._models)
    return screen


async def _select(pilot, screen: HubScreen, name: str) -> None:
    table = screen.query_one("#hub-models")
    await wait_until(pilot, lambda: name in screen._models)
    table.focus()
    table.move_to(table.index_of(name))
    await wait_until(pilot, lambda: screen.detail is not None and screen.detail.get("name") == name)


def _sign_up_direct(app, email: str) -> None:
    """Open a hub session without the dialog (the dialog has its own tests)."""
    hub_sessions(app.ctx).sign_in(email, PASSWORD, create=True, remember=False)


def _slow_uploads(app, delay: float) -> None:
    """Simulate a slow link: the real client, with a pause after each 1 MiB chunk."""
    client = hub_sessions(app.ctx).client()
    real = client.upload

    def upload(path, name, version, *, progress=None, cancel=None, filename=None):
        def slow(sent, total):
            if progress:
                progress(sent, total)
            time.sleep(delay)

        return real(path, name, version, progress=slow, cancel=cancel, filename=filename)

    client.upload = upload


async def _pick(pilot, path: Path) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, FilePicker))
    field = app.screen.query_one("#fp-path", Input)
    field.value = str(path)
    field.focus()
    await pilot.press("enter")


# --- browsing ------------------------------------------------------------------------------


async def test_browse_samples_and_signature(devnet, app_env):
    app = make_app(settings_for(app_env, devnet.port), poll=False)
    seen, hook = _recorder()
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        screen = await _open_hub(pilot)
        loaded = _of(seen, HubScreen.ModelsLoaded)
        assert loaded and loaded[-1].done
        assert {"iris-classifier", "linear-regression", "weather-advice"} <= set(screen._models)
        await _select(pilot, screen, "iris-classifier")
        assert _of(seen, HubScreen.DetailLoaded)
        texts = "\n".join(_file_texts(screen))
        assert "iris_classifier.onnx" in texts
        assert "in  features: float32 [?, 4]" in texts
        assert "out probabilities: float32 [?, 3]" in texts
        head = str(screen.query_one("#hub-detail-head", Static).render())
        assert "by samples" in head and "3-class classifier" in head
        # sorting keeps every row and re-orders them
        await pilot.press("o")  # by updated
        await pilot.press("o")  # by author
        assert screen.sort == "author"
        assert screen.query_one("#hub-models").row_count == len(screen._models)
        # copy CID goes to the clipboard
        await pilot.press("c")
        cid = screen.selected_file()[1]["ipfsCid"]
        assert app.clipboard == cid


async def test_search_filters_with_debounce(devnet, app_env):
    app = make_app(settings_for(app_env, devnet.port), poll=False)
    seen, hook = _recorder()
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        screen = await _open_hub(pilot)
        before = len(_of(seen, HubScreen.ModelsLoaded))
        await pilot.press("slash")
        assert app.focused is screen.query_one("#hub-search")
        await _type(pilot, "weather")
        await wait_until(pilot, lambda: screen.search == "weather" and not screen._loading)
        await wait_until(pilot, lambda: set(screen._models) == {"weather-advice"})
        # typing seven letters fast asked the hub once or twice, not seven times
        assert len(_of(seen, HubScreen.ModelsLoaded)) - before <= 2
        status = str(screen.query_one("#hub-list-status", Static).render())
        assert "1 models" in status or "1 model" in status
        await pilot.press("escape")
        assert app.focused is screen.query_one("#hub-models")
        screen.query_one("#hub-search", Input).value = "zz-no-such-model"
        await wait_until(pilot, lambda: screen.search == "zz-no-such-model" and not screen._loading)
        assert not screen._models
        assert "no models match" in str(screen.query_one("#hub-list-status", Static).render())


# --- sign-up, create, upload -------------------------------------------------------------------


async def test_sign_up_create_model_and_upload(devnet, app_env, tmp_path):
    settings = settings_for(app_env, devnet.port)
    app = make_app(settings, poll=False)
    seen, hook = _recorder()
    email = _email()
    name = _name("tui-model")
    model_path = _onnx_file(tmp_path / "relu.onnx")
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        screen = await _open_hub(pilot)
        await pilot.press("n")  # needs a session: the sign-in dialog opens first
        await wait_until(pilot, lambda: isinstance(app.screen, HubSignInDialog))
        dialog = app.screen
        assert dialog.query_one("#signup")  # devnet offers sign-up
        dialog.query_one("#email", Input).value = email
        dialog.query_one("#password", Input).value = PASSWORD
        dialog.query_one("#passphrase", Input).value = "remember me please"
        await pilot.click("#signup")
        await wait_until(pilot, lambda: _of(seen, HubSignInDialog.SignedIn))
        await wait_until(pilot, lambda: isinstance(app.screen, NewModelDialog))
        dialog = app.screen
        # invalid names are explained inline and nothing is sent
        await _type(pilot, "bad/name")
        await pilot.pause()
        assert "'/'" in str(dialog.query_one(".dialog-error").render())
        await pilot.press("enter")  # moves to the empty description field
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and not _of(seen, NewModelDialog.Created)
        dialog.query_one("#name", Input).value = name
        dialog.query_one("#description", Input).value = "made by the Hub screen test"
        await pilot.click("#ok")
        await wait_until(pilot, lambda: _of(seen, NewModelDialog.Created))
        await wait_until(pilot, lambda: screen.detail is not None and screen.detail.get("name") == name)
        assert email in str(screen.query_one("#hub-who", Static).render())

        # upload a real ONNX file through the file picker
        await pilot.press("u")
        await _pick(pilot, model_path)
        await wait_until(pilot, lambda: _of(seen, HubScreen.UploadFinished), timeout=30)
        [done] = _of(seen, HubScreen.UploadFinished)
        assert done.cid == cid_for_file(model_path)
        assert (done.name, done.version, done.size) == (name, "0.01", model_path.stat().st_size)
        progress = _of(seen, HubScreen.UploadProgress)
        assert progress and progress[-1].sent == progress[-1].total == model_path.stat().st_size
        await wait_until(pilot, lambda: any("in  x: float32 [1, 3]" in t for t in _file_texts(screen)))
        assert any(done.cid[:13] in t for t in _file_texts(screen))
        label = str(screen.query_one("#hub-transfer-label", Static).render())
        assert "Uploaded relu.onnx" in label

        # a new version, major
        await pilot.press("v")
        await wait_until(pilot, lambda: isinstance(app.screen, NewVersionDialog))
        app.screen.query_one("#notes", Input).value = "bigger"
        app.screen.query_one("#kind").value = True
        await pilot.click("#ok")
        await wait_until(pilot, lambda: _of(seen, NewVersionDialog.Created))
        assert _of(seen, NewVersionDialog.Created)[0].version == "1.00"

        # the same name again: a clear error, the dialog keeps what was typed
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewModelDialog))
        dialog = app.screen
        dialog.query_one("#name", Input).value = name.upper()
        await pilot.click("#ok")
        await wait_until(pilot, lambda: "exists" in str(dialog.query_one(".dialog-error").render()))
        assert app.screen is dialog and dialog.query_one("#name", Input).value == name.upper()
        await pilot.press("escape")

    # the password went to the secret store, encrypted; never in plaintext on disk
    wallets = WalletStore(settings.data_dir, keyring_mode="file")
    assert wallets.hub_email("local") == email
    assert wallets.get_hub_credentials("local", "remember me please").password == PASSWORD
    raw = b"".join(p.read_bytes() for p in settings.data_dir.rglob("*") if p.is_file())
    assert PASSWORD.encode() not in raw


async def test_upload_stop_registers_nothing_then_retry(devnet, app_env, tmp_path):
    app = make_app(settings_for(app_env, devnet.port), poll=False)
    seen, hook = _recorder()
    big = _random_file(tmp_path / "weights.bin", 48)
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        screen = await _open_hub(pilot)
        _sign_up_direct(app, _email())
        name = _name("tui-stop")
        hub_sessions(app.ctx).client().create_model(name, "stop test")
        screen.reload(keep=name)
        await _select(pilot, screen, name)
        _slow_uploads(app, 0.03)
        await pilot.press("u")
        await _pick(pilot, big)
        await wait_until(pilot, lambda: any(p.sent > 0 for p in _of(seen, HubScreen.UploadProgress)))
        assert screen.query_one("#hub-transfer").display
        await pilot.press("escape")
        await wait_until(pilot, lambda: _of(seen, HubScreen.TransferFailed))
        [failed] = _of(seen, HubScreen.TransferFailed)
        assert failed.cancelled and "nothing was stored" in failed.text
        assert not _of(seen, HubScreen.UploadFinished)
        client = HubClient(f"{devnet.url}/api/v0")
        assert client.list_files(name, "0.01") == []
        # t retries the same upload
        _slow_uploads(app, 0)
        await pilot.press("t")
        await wait_until(pilot, lambda: _of(seen, HubScreen.UploadFinished), timeout=60)
        assert _of(seen, HubScreen.UploadFinished)[0].cid == cid_for_file(big)
        [stored] = client.list_files(name, "0.01")
        assert stored["ipfsCid"] == cid_for_file(big) and stored["isOnnx"] is False
        await wait_until(pilot, lambda: any("not ONNX" in t for t in _file_texts(screen)))


async def test_upload_errors_are_explained(devnet, app_env, tmp_path):
    app = make_app(settings_for(app_env, devnet.port), poll=False)
    seen, hook = _recorder()
    model_path = _onnx_file(tmp_path / "relu.onnx")
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        screen = await _open_hub(pilot)
        _sign_up_direct(app, _email())
        # someone else's model: 403, explained
        await _select(pilot, screen, "linear-regression")
        await pilot.press("u")
        # the picker refuses a directory and an empty file, and stays open
        await _pick(pilot, tmp_path)
        picker = app.screen
        assert isinstance(picker, FilePicker)
        await pilot.pause()
        # enter on a folder opens it; choosing it is refused
        picker.query_one("#fp-path", Input).value = str(tmp_path) + os.sep
        await pilot.press("enter")
        await pilot.pause()
        assert "folder" in str(picker.query_one(".dialog-error").render())
        picker.query_one("#fp-path", Input).value = str(empty)
        await pilot.press("enter")
        await pilot.pause()
        assert "empty" in str(picker.query_one(".dialog-error").render())
        picker.query_one("#fp-path", Input).value = str(tmp_path / "missing.onnx")
        await pilot.press("enter")
        await pilot.pause()
        assert "No file" in str(picker.query_one(".dialog-error").render())
        picker.query_one("#fp-path", Input).value = str(model_path)
        await pilot.press("enter")
        await wait_until(pilot, lambda: _of(seen, HubScreen.TransferFailed))
        [failed] = _of(seen, HubScreen.TransferFailed)
        assert not failed.cancelled
        assert "belongs to samples" in failed.text and "owner" in (failed.hint or "")
        assert "belongs to samples" in str(screen.query_one("#hub-transfer-label", Static).render())
        assert not _of(seen, HubScreen.UploadFinished)


async def test_devnet_stopped_mid_upload_then_retry(fresh_devnet, app_env, tmp_path):
    app = make_app(settings_for(app_env, fresh_devnet.port), poll=False)
    seen, hook = _recorder()
    big = _random_file(tmp_path / "weights.bin", 24)
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        screen = await _open_hub(pilot)
        _sign_up_direct(app, _email())
        name = _name("tui-crash")
        hub_sessions(app.ctx).client().create_model(name, "")
        screen.reload(keep=name)
        await _select(pilot, screen, name)
        _slow_uploads(app, 0.05)
        await pilot.press("u")
        await _pick(pilot, big)
        await wait_until(pilot, lambda: any(p.sent > 0 for p in _of(seen, HubScreen.UploadProgress)))
        fresh_devnet.proc.kill()  # the devnet dies mid-upload (no graceful shutdown)
        fresh_devnet.proc.wait(timeout=10)
        await wait_until(
            pilot, lambda: _of(seen, HubScreen.TransferFailed) or _of(seen, HubScreen.UploadFinished), timeout=30
        )
        assert not _of(seen, HubScreen.UploadFinished)
        [failed] = _of(seen, HubScreen.TransferFailed)
        assert not failed.cancelled
        assert "t retries" in str(screen.query_one("#hub-transfer-rate", Static).render())
        fresh_devnet.start()
        client = HubClient(f"{fresh_devnet.url}/api/v0")
        assert client.list_files(name, "0.01") == []  # nothing registered
        _slow_uploads(app, 0)
        await pilot.press("t")
        await wait_until(pilot, lambda: _of(seen, HubScreen.UploadFinished), timeout=60)
        assert _of(seen, HubScreen.UploadFinished)[0].cid == cid_for_file(big)
        assert [f["ipfsCid"] for f in client.list_files(name, "0.01")] == [cid_for_file(big)]


async def test_download_round_trip(devnet, app_env, tmp_path):
    app = make_app(settings_for(app_env, devnet.port), poll=False)
    seen, hook = _recorder()
    dest_dir = tmp_path / "downloads"
    dest_dir.mkdir()
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        screen = await _open_hub(pilot)
        await _select(pilot, screen, "weather-advice")
        version, f = screen.selected_file()
        await pilot.press("d")
        await _pick(pilot, dest_dir)  # a folder: the file keeps its hub name
        await wait_until(pilot, lambda: _of(seen, HubScreen.DownloadFinished), timeout=30)
        [done] = _of(seen, HubScreen.DownloadFinished)
        path = Path(done.path)
        assert path == dest_dir / f["name"]
        assert cid_for_file(path) == f["ipfsCid"] == done.cid
        assert _of(seen, HubScreen.DownloadProgress)
        # a second download to the same place refuses to overwrite
        await pilot.press("d")
        await _pick(pilot, path)
        await pilot.pause()
        assert "exists already" in str(app.screen.query_one(".dialog-error").render())
        await pilot.press("escape")


async def test_run_inference_hands_over_the_cid(devnet, app_env):
    app = make_app(settings_for(app_env, devnet.port), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_hub(pilot)
        await _select(pilot, screen, "linear-regression")
        cid = screen.selected_file()[1]["ipfsCid"]
        await pilot.press("r")
        await wait_until(pilot, lambda: app.current_mode == "inference")
        inference = app.screen
        if callable(getattr(inference, "set_model", None)):
            # the Inference screen exists: it received the CID in its model field
            await wait_until(pilot, lambda: any(getattr(w, "value", None) == cid for w in inference.query(Input)))
            return
        assert app.clipboard == cid


async def test_sign_in_wrong_password_and_account_line(devnet, app_env):
    email = _email()
    HubClient(f"{devnet.url}/api/v0", f"{devnet.url}/auth").sign_up(email, PASSWORD)
    settings = settings_for(app_env, devnet.port)
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    wallets.set_active(wallets.import_key("main", TEST_KEY, "correct horse battery").address)
    app = make_app(settings, poll=False)
    seen, hook = _recorder()
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        await wait_until(pilot, lambda: "not signed in" in str(app.screen.query_one("#acct-hub", Static).render()))
        await pilot.press("h")  # from the Account screen
        await wait_until(pilot, lambda: isinstance(app.screen, HubSignInDialog))
        dialog = app.screen
        dialog.query_one("#email", Input).value = email
        dialog.query_one("#password", Input).value = "wrong-password"
        await press_ok(pilot)
        await wait_until(pilot, lambda: "Wrong" in str(dialog.query_one(".dialog-error").render()))
        assert app.screen is dialog and dialog.query_one("#email", Input).value == email
        dialog.query_one("#password", Input).value = PASSWORD
        await press_ok(pilot)  # (waits out the button's press effect from the first try)
        await wait_until(pilot, lambda: _of(seen, HubSignInDialog.SignedIn))
        await wait_until(pilot, lambda: not isinstance(app.screen, HubSignInDialog))
        line = str(app.screen.query_one("#acct-hub", Static).render())
        assert f"signed in as {email}" in line
        # the Hub screen shares the session: "mine" lists this account's (no) models
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, HubScreen))
        screen = app.screen
        await wait_until(pilot, lambda: not screen._loading)
        await pilot.press("m")
        await wait_until(pilot, lambda: screen.mine and not screen._loading)
        assert not screen._models
        assert "no models yet" in str(screen.query_one("#hub-list-status", Static).render())


# --- pure helpers -----------------------------------------------------------------------------


def test_picker_helpers(tmp_path):
    (tmp_path / "model-a.onnx").write_bytes(b"\x08\x01")
    (tmp_path / "model-b.onnx").write_bytes(b"\x08\x01")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    assert complete_path(str(tmp_path / "no")) == str(tmp_path / "notes.txt")
    assert complete_path(str(tmp_path / "mo")) == str(tmp_path / "model-")
    assert complete_path(str(tmp_path / "su")) == str(tmp_path / "sub") + os.sep
    assert complete_path(str(tmp_path / "zz")) is None
    assert split_path(str(tmp_path) + os.sep) == (tmp_path, "")
    assert split_path(str(tmp_path / "mo")) == (tmp_path, "mo")
    assert human_size(0) == "0 B" and human_size(1536) == "1.5 KiB"
    assert fmt_rate(5_000_000, 10_000_000, 1.0) == "5.0 MB/s · 5.0 of 10.0 MB · ETA 0:01"
