"""Pilot tests of the Inference screen against a real devnet.

They drive the screen from the keyboard, assert on the messages its workers post
(InferenceStatus, InferenceFinished, InferenceFailed, TxSubmitted...), compare the
on-chain outputs with onnxruntime run locally, and read the history from the store.
Pure helpers (input files, validation, output JSON) are tested at the end without a devnet.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Input, OptionList, Sparkline, Static

from og_tui.core.devnet_client import DevnetClient
from og_tui.core.hub import HubClient
from og_tui.core.secrets import WalletStore
from og_tui.core.store import Store
from og_tui.tui import messages as m
from og_tui.tui.app import make_app
from og_tui.tui.screens.file_picker import FilePicker
from og_tui.tui.screens.inference import InferenceScreen, JsonEditor
from og_tui.tui.screens.inference_dialogs import HistoryDialog, ModelPickerDialog, onnx_files, signature_text
from og_tui.tui.screens.inference_io import check_input_text, fit_outputs, load_input_file
from og_tui.tui.screens.modals import UnlockDialog
from og_tui.tui.widgets.tensor_table import TensorTable, input_text, outputs_from_json, outputs_json, short_values

from .helpers import TEST_KEY, TEST_PASSPHRASE, settings_for, settle, wait_until

IRIS_INPUT = {"features": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}


def _recorder():
    seen: list = []
    return seen, seen.append


def _of(seen, kind):
    return [msg for msg in seen if isinstance(msg, kind)]


async def _type(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch)


def _option_ids(listing: OptionList) -> list:
    return [listing.get_option_at_index(i).id for i in range(listing.option_count)]


def _hub(devnet) -> HubClient:
    return HubClient(f"{devnet.url}/api/v0", f"{devnet.url}/auth")


def _sample(devnet, name: str) -> tuple[str, dict]:
    """(cid, signature) of a devnet sample model's latest ONNX file."""
    with _hub(devnet) as hub:
        version, f = onnx_files(hub.model_detail(name))[0]
    return f["ipfsCid"], f["signature"]


def _local_run(devnet, tmp_path: Path, cid: str, feeds: dict) -> dict:
    """The same model run with onnxruntime on this machine."""
    import onnxruntime as ort

    path = tmp_path / f"{cid[:12]}.onnx"
    if not path.exists():
        with _hub(devnet) as hub:
            hub.download(cid, path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def _app(devnet, app_env, *, wallet: bool = True, unlocked: bool = True, fund: bool = True, key: str = TEST_KEY):
    settings = settings_for(app_env, devnet.port)
    app = make_app(settings, poll=False)
    if wallet:
        wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
        info = wallets.import_key("main", key, TEST_PASSPHRASE)
        wallets.set_active(info.address)
        if fund:
            DevnetClient(devnet.url).fund(info.address)
        app = make_app(settings, poll=False)
        if unlocked:
            app.ctx.remember_signer(wallets.unlock(info.address, TEST_PASSPHRASE))
    return app, settings


async def _open(pilot) -> InferenceScreen:
    app = pilot.app
    await wait_until(pilot, lambda: app.net.connected)
    await pilot.press("f4")
    await wait_until(pilot, lambda: isinstance(app.screen, InferenceScreen))
    return app.screen


def _status(screen) -> str:
    return str(screen.query_one("#inf-status", Static).render())


def _problems(screen) -> str:
    return str(screen.query_one("#inf-problems", Static).render())


async def _use_model(pilot, screen, cid: str) -> None:
    screen.set_model(cid)
    await wait_until(pilot, lambda: screen.signature is not None and screen._editor().text.strip())


async def _run(pilot, screen, seen, key: str = "ctrl+r") -> InferenceScreen.Finished:
    before = len(_of(seen, InferenceScreen.Finished)) + len(_of(seen, InferenceScreen.Failed))
    await pilot.press(key)
    await wait_until(
        pilot,
        lambda: len(_of(seen, InferenceScreen.Finished)) + len(_of(seen, InferenceScreen.Failed)) > before,
        timeout=60,
    )
    await wait_until(pilot, lambda: screen.running is None)
    failed = _of(seen, InferenceScreen.Failed)
    finished = _of(seen, InferenceScreen.Finished)
    if failed and (not finished or failed[-1].run_id > finished[-1].run_id):
        raise AssertionError(f"inference failed: {failed[-1].text}")
    return finished[-1]


# --- end to end ---------------------------------------------------------------------------------------


async def test_pick_from_hub_run_vanilla_and_tee(devnet, app_env, tmp_path):
    app, settings = _app(devnet, app_env)
    cid, _sig = _sample(devnet, "iris-classifier")
    seen, hook = _recorder()
    async with app.run_test(size=(100, 32), message_hook=hook) as pilot:
        screen = await _open(pilot)
        # pick the model from the hub: search, enter
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerDialog))
        picker = app.screen
        await pilot.press("slash")
        await _type(pilot, "iris")
        await wait_until(
            pilot,
            lambda: _option_ids(picker.query_one("#pk-models", OptionList)) == ["iris-classifier"],
        )
        await pilot.press("enter")  # search -> list
        files = picker.query_one("#pk-files", OptionList)
        # the file list fills in from a worker: wait for its first row
        await wait_until(
            pilot,
            lambda: (
                files.option_count > 0 and "in  features float32 [?, 4]" in str(files.get_option_at_index(0).prompt)
            ),
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen._cid() == cid and screen.model_name == "iris-classifier"
        # the signature is shown and the template is in the editor
        sig_line = str(screen.query_one("#inf-sig", Static).render())
        assert "features float32 [?, 4]" in sig_line and "label int64 [?]" in sig_line
        assert json.loads(screen._editor().text) == {"features": [[0.0, 0.0, 0.0, 0.0]]}

        screen._set_editor_text(input_text(IRIS_INPUT))
        done = await _run(pilot, screen, seen)
        expected = _local_run(devnet, tmp_path, cid, {"features": np.array(IRIS_INPUT["features"], dtype=np.float32)})
        assert set(done.run.model_output) == set(expected)
        np.testing.assert_allclose(done.run.model_output["probabilities"], expected["probabilities"], rtol=1e-6)
        np.testing.assert_array_equal(done.run.model_output["label"], expected["label"])
        assert done.run.model_output["label"].dtype == np.int64  # integer again, as in the signature
        status = _status(screen)
        assert "mined" in status and f"block {done.run.block:,}" in status and done.run.tx_hash in status
        # the live status went estimating -> sent -> mined
        stages = [s.stage for s in _of(seen, InferenceScreen.Status) if s.run_id == done.run_id]
        assert stages.index("estimating") < stages.index("sent") < stages.index("mined")
        table = screen.query_one("#inf-outputs", TensorTable)
        assert set(table.outputs) == {"probabilities", "label"}
        assert [m_.tx_hash for m_ in _of(seen, m.TxSubmitted)] == [done.run.tx_hash]

        # TEE: same outputs, a verified devnet attestation
        await pilot.press("ctrl+g")
        await pilot.press("ctrl+g")
        assert screen.mode() == "TEE"
        tee = await _run(pilot, screen, seen, key="ctrl+j")
        assert tee.run.attestation is not None and tee.run.attestation.verified
        np.testing.assert_allclose(tee.run.model_output["probabilities"], expected["probabilities"], rtol=1e-6)
        status = _status(screen)
        assert "TEE attestation verified" in status and tee.run.attestation.signer in status
        assert "devnet key, not hardware" in status

        # copy as JSON
        await pilot.press("ctrl+b")
        copied = json.loads(app.clipboard)
        assert copied["label"]["values"] == expected["label"].tolist()
        assert copied["probabilities"]["shape"] == [2, 3]

    runs = Store(settings.db_path).list_runs("local")
    assert [r.mode for r in runs] == ["TEE", "VANILLA"]
    assert runs[1].inputs == IRIS_INPUT and runs[1].model == cid and runs[1].model_name == "iris-classifier"
    assert (
        runs[1].tx_hash == done.run.tx_hash
        and runs[1].block == done.run.block
        and runs[1].gas_used == done.run.gas_used
    )
    assert runs[0].detail["attestation"]["signer"] == tee.run.attestation.signer
    txs = Store(settings.db_path).list_txs(kind="inference")
    assert {t.hash for t in txs} == {done.run.tx_hash, tee.run.tx_hash} and {t.status for t in txs} == {"confirmed"}


async def test_history_reopen_and_rerun(devnet, app_env, tmp_path):
    app, settings = _app(devnet, app_env)
    cid, _ = _sample(devnet, "weighted-sum")
    inputs = {"a": [[1.0, 2.0, 3.0, 4.0]], "b": [[0.5, 0.5, 0.5, 0.5]]}
    seen, hook = _recorder()
    async with app.run_test(size=(100, 32), message_hook=hook) as pilot:
        screen = await _open(pilot)
        await _use_model(pilot, screen, cid)
        screen._set_editor_text(input_text(inputs))
        first = await _run(pilot, screen, seen)
        np.testing.assert_allclose(first.run.model_output["total"], [[22.0]])
        # lose the state: another input, outputs still shown
        screen._set_editor_text("{}")
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryDialog))
        dialog = app.screen
        await wait_until(pilot, lambda: dialog.query_one("#hist-runs").row_count == 1)
        await pilot.press("enter")  # reopen
        await wait_until(pilot, lambda: app.screen is screen)
        assert json.loads(screen._editor().text) == inputs
        assert "from history (" in _status(screen) and first.run.tx_hash in _status(screen)
        np.testing.assert_allclose(screen.outputs["sum"], first.run.model_output["sum"])
        # re-run from the history
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryDialog))
        await wait_until(pilot, lambda: app.screen.query_one("#hist-runs").row_count == 1)
        before = len(_of(seen, InferenceScreen.Finished))
        await pilot.press("r")
        await wait_until(pilot, lambda: len(_of(seen, InferenceScreen.Finished)) > before, timeout=60)
        again = _of(seen, InferenceScreen.Finished)[-1]
        assert again.run.tx_hash != first.run.tx_hash
        np.testing.assert_allclose(again.run.model_output["sum"], first.run.model_output["sum"])
    assert len(Store(settings.db_path).list_runs("local", model=cid)) == 2


async def test_validation_errors_are_shown_before_sending(devnet, app_env):
    app, settings = _app(devnet, app_env)
    cid, _ = _sample(devnet, "weighted-sum")
    seen, hook = _recorder()
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        screen = await _open(pilot)
        await _use_model(pilot, screen, cid)
        cases = [
            ('{"a": [[1, 2, 3]], "b": [[1, 2, 3, 4]]}', "shape [1, 3]; the model expects [1, 4]"),
            ('{"a": [[1, 2, 3, NaN]], "b": [[1, 2, 3, 4]]}', "nan"),
            ('{"a": [[1, 2, 3, 4]], "c": [[1, 2, 3, 4]]}', "Unknown input 'c'"),
            ('{"a": [[1, 2, 3, 4]]}', "Missing input 'b'"),
            ('{"a": [[1, 2, 3, 4]], "b": [["x", "y", "z", "w"]]}', "not strings"),
            ("{}", "The input is empty"),
            ("", "The input is empty"),
            ('{"a": [[1, 2, 3, 4]], "b": [[1, 2', "Not valid JSON: line 1"),
            ('{"a": [], "b": [[1, 2, 3, 4]]}', "empty"),
        ]
        for text, expected in cases:
            screen._set_editor_text(text)
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert expected.lower() in _problems(screen).lower(), (text, _problems(screen))
            assert "nothing was sent" in _status(screen)
            assert screen.query_one("#inf-problems").has_class("-final")
            assert screen._editor().text == text  # nothing the user typed is lost
            assert screen.running is None
        assert not _of(seen, InferenceScreen.Status) and not _of(seen, m.TxSubmitted)
        # live check while typing: fix the input and the problem goes away
        screen._set_editor_text('{"a": [[1, 2, 3, 4]], "b": [[1, 2, 3, 4]]}')
        await wait_until(pilot, lambda: "matches the signature" in _problems(screen))
    assert Store(settings.db_path).list_txs(kind="inference") == []


async def test_zkml_refusal_unknown_cid_and_stop(devnet, app_env):
    app, settings = _app(devnet, app_env)
    cid, _ = _sample(devnet, "iris-classifier")
    seen, hook = _recorder()
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        screen = await _open(pilot)
        await _use_model(pilot, screen, cid)
        screen._set_editor_text(input_text({"features": [[1, 2, 3, 4]]}))
        screen.set_mode("ZKML")
        assert "devnet refuses ZKML" in str(screen.query_one("#inf-mode-note", Static).render())
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: _of(seen, InferenceScreen.Failed), timeout=60)
        status = _status(screen)
        assert "cannot produce ZKML proofs" in status and "refuses instead of faking one" in status
        assert not _of(seen, m.TxSubmitted)

        # stop before signing: nothing is sent
        screen.set_mode("VANILLA")
        screen.action_run()
        screen.action_stop()
        await wait_until(pilot, lambda: len(_of(seen, InferenceScreen.Failed)) == 2, timeout=30)
        assert _of(seen, InferenceScreen.Failed)[-1].cancelled
        assert "no gas spent" in _status(screen)
        assert not _of(seen, m.TxSubmitted) and screen.running is None

        # an unknown CID: said under the model field, and the chain refuses it before any gas
        field = screen.query_one("#inf-cid", Input)
        field.value = "bafkreinosuchmodelhereatalllllllllllllllllllllllllllllll"
        await wait_until(pilot, lambda: screen.query_one("#inf-sig").has_class("-error"), timeout=30)
        assert "No file with CID" in str(screen.query_one("#inf-sig", Static).render())
        text_before = screen._editor().text
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(_of(seen, InferenceScreen.Failed)) == 3, timeout=60)
        assert "unknown model CID" in _status(screen)
        assert screen._editor().text == text_before
        assert not _of(seen, m.TxSubmitted)


async def test_locked_wallet_asks_for_the_passphrase(devnet, app_env):
    app, settings = _app(devnet, app_env, unlocked=False)
    cid, _ = _sample(devnet, "linear-regression")
    seen, hook = _recorder()
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        screen = await _open(pilot)
        await _use_model(pilot, screen, cid)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockDialog))
        await _type(pilot, TEST_PASSPHRASE)
        await pilot.press("enter")
        await wait_until(pilot, lambda: _of(seen, InferenceScreen.Finished), timeout=60)
        run = _of(seen, InferenceScreen.Finished)[0].run
        assert run.model_output["output"].shape == (1, 1)
        assert _of(seen, m.WalletUnlocked)


async def test_no_wallet_points_to_the_account_screen(devnet, app_env):
    app, _ = _app(devnet, app_env, wallet=False)
    cid, _sig = _sample(devnet, "linear-regression")
    seen, hook = _recorder()
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        screen = await _open(pilot)
        assert "Account screen (F2)" in _status(screen)
        await _use_model(pilot, screen, cid)
        await pilot.press("ctrl+r")
        await settle(pilot)  # whatever ctrl+r started has finished
        assert "No wallet yet" in _status(screen) and "(F2)" in _status(screen)
        assert not _of(seen, InferenceScreen.Status)


async def test_too_little_gas_money(devnet, app_env):
    from eth_account import Account

    app, _ = _app(devnet, app_env, fund=False, key=Account.create().key.hex())  # a new, empty address
    cid, _sig = _sample(devnet, "linear-regression")
    seen, hook = _recorder()
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        screen = await _open(pilot)
        await _use_model(pilot, screen, cid)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: _of(seen, InferenceScreen.Failed), timeout=60)
        assert "for gas" in _status(screen) and "faucet" in _status(screen)
        assert not _of(seen, m.TxSubmitted)


async def test_load_input_files_and_export(devnet, app_env, tmp_path):
    app, _ = _app(devnet, app_env)
    cid, _ = _sample(devnet, "linear-regression")
    arr = np.arange(12, dtype=np.float32).reshape(1, 3, 4) / 4
    np.save(tmp_path / "x.npy", arr)
    (tmp_path / "x.csv").write_text("a,b,c,d\n0,0.25,0.5,0.75\n1,1.25,1.5,1.75\n2,2.25,2.5,2.75\n")
    seen, hook = _recorder()
    async with app.run_test(size=(100, 32), message_hook=hook) as pilot:
        screen = await _open(pilot)
        await _use_model(pilot, screen, cid)
        for name in ("x.npy", "x.csv"):
            await pilot.press("ctrl+l")
            await wait_until(pilot, lambda: isinstance(app.screen, FilePicker))
            app.screen.query_one("#fp-path", Input).value = str(tmp_path / name)
            await pilot.click("#ok")
            await wait_until(
                pilot, lambda: len(_of(seen, InferenceScreen.InputLoaded)) == (1 if name == "x.npy" else 2)
            )
            await pilot.pause()
            assert json.loads(screen._editor().text) == {"input": arr.tolist()}
            assert "matches the signature" in _problems(screen)
        done = await _run(pilot, screen, seen)
        expected = _local_run(devnet, tmp_path, cid, {"input": arr})
        np.testing.assert_allclose(done.run.model_output["output"], expected["output"], rtol=1e-6)

        for suffix in (".json", ".npz"):
            target = tmp_path / f"out{suffix}"
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, FilePicker))
            app.screen.query_one("#fp-path", Input).value = str(target)
            await pilot.click("#ok")
            await wait_until(pilot, lambda: target.exists())
        saved = json.loads((tmp_path / "out.json").read_text())
        assert saved["transaction_hash"] == done.run.tx_hash
        np.testing.assert_allclose(saved["outputs"]["output"]["values"], expected["output"], rtol=1e-6)
        with np.load(tmp_path / "out.npz") as npz:
            np.testing.assert_allclose(npz["output"], expected["output"], rtol=1e-6)
        # never overwritten
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, FilePicker))
        app.screen.query_one("#fp-path", Input).value = str(tmp_path / "out.json")
        await pilot.click("#ok")
        await pilot.pause()
        assert "exists already" in str(app.screen.query_one(".dialog-error").render())
        await pilot.press("escape")


async def test_hub_screen_hands_a_model_over(devnet, app_env):
    app, _ = _app(devnet, app_env)
    cid, _ = _sample(devnet, "weather-advice")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _open(pilot)
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("f4")
        assert app.screen is screen
        # what HubScreen.action_run_inference does after switching here
        app.screen.set_model(cid)
        await wait_until(pilot, lambda: screen.signature is not None)
        assert json.loads(screen._editor().text) == {"weather": [""]}
        assert "weather string" in str(screen.query_one("#inf-sig", Static).render())


async def test_editing_the_highlighted_json_editor(devnet, app_env):
    """Guard against the tree-sitter crash (textual 8.2.8 + tree-sitter 0.26 segfaulted here)."""
    app, _ = _app(devnet, app_env, fund=False)
    cid, _ = _sample(devnet, "linear-regression")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        editor = screen.query_one("#inf-editor", JsonEditor)
        assert editor.language == "json" and "json" in editor.available_languages
        assert editor.is_syntax_aware  # tree-sitter is really parsing and highlighting
        await _use_model(pilot, screen, cid)
        editor.focus()
        await pilot.press("end", "ctrl+e")
        await _type(pilot, ' "x": [1, 2],')
        await pilot.press("enter", "backspace", "backspace", "ctrl+z", "ctrl+y", "up", "delete", "tab")
        await settle(pilot)  # the edits are parsed, highlighted and drawn
        assert '"x": [1, 2]' in editor.text or '"x": [1, 2' in editor.text
        # F6/F7 stay navigation keys inside the editor
        editor.focus()
        await pilot.press("f7")
        assert app.current_mode == "activity"


# --- pure helpers ---------------------------------------------------------------------------------------

SIG_ONE = {"inputs": [{"name": "x", "dtype": "float32", "shape": [1, 3, 4]}], "outputs": []}
SIG_DYN = {
    "inputs": [{"name": "f", "dtype": "float32", "shape": [None, 4]}],
    "outputs": [{"name": "label", "dtype": "int64", "shape": [None]}],
}
SIG_TWO = {
    "inputs": [{"name": "a", "dtype": "float32", "shape": [1, 2]}, {"name": "b", "dtype": "int64", "shape": [2]}],
    "outputs": [],
}


def test_load_input_file_formats(tmp_path):
    arr = np.arange(12, dtype=np.float32)
    np.save(tmp_path / "flat.npy", arr)
    data, summary = load_input_file(tmp_path / "flat.npy", SIG_ONE)
    assert data["x"].shape == (1, 3, 4) and "flat.npy" in summary
    (tmp_path / "m.csv").write_text("1,2,3,4\n5,6,7,8\n")
    data, _ = load_input_file(tmp_path / "m.csv", SIG_DYN)
    assert data["f"].tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]
    np.savez(tmp_path / "two.npz", a=np.ones((1, 2)), b=np.array([1.0, 2.0]))
    data, _ = load_input_file(tmp_path / "two.npz", SIG_TWO)
    assert data["b"].dtype == np.int64 and data["a"].shape == (1, 2)
    (tmp_path / "in.json").write_text(json.dumps({"a": [[1, 2]], "b": [3, 4]}))
    data, _ = load_input_file(tmp_path / "in.json", SIG_TWO)
    assert set(data) == {"a", "b"}
    (tmp_path / "bare.json").write_text("[[1, 2, 3, 4]]")
    assert set(load_input_file(tmp_path / "bare.json", SIG_DYN)[0]) == {"f"}
    with pytest.raises(ValueError, match="takes 2 inputs"):
        load_input_file(tmp_path / "flat.npy", SIG_TWO)
    (tmp_path / "ragged.csv").write_text("1,2\n3\n")
    with pytest.raises(ValueError, match="same number"):
        load_input_file(tmp_path / "ragged.csv", SIG_DYN)
    (tmp_path / "x.txt").write_text("1")
    with pytest.raises(ValueError, match="use a .json"):
        load_input_file(tmp_path / "x.txt", SIG_DYN)


def test_check_input_text_and_outputs_json():
    data, problems = check_input_text('{"f": [[1, 2, 3, 4]]}', SIG_DYN)
    assert data == {"f": [[1, 2, 3, 4]]} and problems == []
    assert check_input_text('{"f": [[1, 2, 3]]}', SIG_DYN)[1] == [
        "f: Input 'f' has shape [1, 3]; the model expects [?, 4]."
    ]
    assert check_input_text("[1]", SIG_DYN)[1][0].startswith("The input must be a JSON object")
    assert check_input_text('{"f": [[1, Infinity]]}', None)[0] is None
    outs = {"p": np.array([[0.1, 0.2]], dtype=np.float32), "label": np.array([2.0], dtype=np.float32)}
    fitted = fit_outputs(outs, SIG_DYN)
    assert fitted["label"].dtype == np.int64 and fitted["p"].dtype == np.float32
    as_json = outputs_json(fitted)
    assert as_json["p"] == {"dtype": "float32", "shape": [1, 2], "values": [[0.1, 0.2]]}
    back = outputs_from_json(as_json)
    np.testing.assert_array_equal(back["p"], outs["p"]) and np.testing.assert_array_equal(back["label"], [2])
    assert short_values(np.float32(0.3)) == 0.3
    text = input_text({"x": np.zeros((1, 2, 2), dtype=np.float32)})
    assert json.loads(text) == {"x": [[[0.0, 0.0], [0.0, 0.0]]]}
    assert "in  f float32 [?, 4]" in str(signature_text(SIG_DYN))


async def test_tensor_table_sparkline_and_large_tensor():
    from textual.app import App

    class TableApp(App):
        def compose(self):
            yield TensorTable(id="t")

    app = TableApp()
    async with app.run_test(size=(60, 30)) as pilot:
        table = app.query_one(TensorTable)
        table.show({"series": np.linspace(0, 1, 50, dtype=np.float32), "m": np.ones((2, 3)), "big": np.zeros(5000)})
        await pilot.pause()
        assert len(app.query(Sparkline)) == 2  # series and big are 1-D numeric; m is 2-D
        notes = [str(s.render()) for s in app.query(".tensor-note")]
        assert any("showing 500 of 5,000 rows" in n for n in notes)
        table.show({})
        await pilot.pause()
        assert not app.query(Sparkline)


async def test_picking_another_model_clears_the_previous_result(devnet, app_env):
    app, _settings = _app(devnet, app_env)
    first_cid, _ = _sample(devnet, "weighted-sum")
    other_cid, _ = _sample(devnet, "iris-classifier")
    seen, hook = _recorder()
    async with app.run_test(size=(100, 32), message_hook=hook) as pilot:
        screen = await _open(pilot)
        await _use_model(pilot, screen, first_cid)
        screen._set_editor_text(input_text({"a": [[1.0, 2.0, 3.0, 4.0]], "b": [[1.0, 1.0, 1.0, 1.0]]}))
        run = (await _run(pilot, screen, seen)).run
        assert run.tx_hash in _status(screen) and screen.outputs
        # ctrl+o → pick another model: the old result and outputs do not stay on screen unmarked
        screen.set_model(other_cid)
        await wait_until(pilot, lambda: screen.signature is not None and screen._cid() == other_cid)
        await wait_until(pilot, lambda: run.tx_hash not in _status(screen))
        assert "Model changed" in _status(screen)
        assert not screen.outputs and screen.last_run is None
        assert "total" not in str(screen.query_one("#inf-outputs", TensorTable).outputs)
