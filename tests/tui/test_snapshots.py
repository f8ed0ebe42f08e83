"""Snapshot tests of every screen at 80x24 and 120x40 (no network: fixed state); Chat's are in test_chat_snapshots.py."""

from __future__ import annotations

import time

import pytest

from og_tui.core.secrets import WalletStore
from og_tui.core.store import Store
from og_tui.tui.app import make_app
from og_tui.tui.messages import NetState

from .helpers import TEST_KEY, settings_for, settle

SIZES = [(80, 24), (120, 40)]
FIXED_TIME = 1_764_000_000.0  # a fixed moment, shown in UTC


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.delenv("TZ", raising=False)
    time.tzset()


def _app(app_env, *, wallet: bool, txs: bool = False):
    settings = settings_for(app_env)
    if wallet:
        store = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
        info = store.import_key("main", TEST_KEY, "correct horse battery")
        store.set_active(info.address)
    if txs:
        db = Store(settings.db_path)
        sender = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
        to = "0x8ba1f109551bD432803012645Ac136ddd64DBA72"
        rows = [
            ("0x" + "ab" * 32, "faucet-native", "confirmed", 21000, 3, None, None),
            ("0x" + "cd" * 32, "transfer-native", "confirmed", 21000, 5, "1500000000000000000", None),
            ("0x" + "ef" * 32, "transfer-token", "failed", 34512, 6, "2500000", "OUSDC"),
            ("0x" + "12" * 32, "transfer-native", "pending", None, None, "1000", None),
        ]
        for i, (h, kind, status, gas, block, value, token) in enumerate(rows):
            db.add_tx(
                hash=h,
                kind=kind,
                status=status,
                gas_used=gas,
                block=block,
                from_addr=sender,
                to_addr=to,
                value=value,
                token=token,
                profile="local",
                created_at=FIXED_TIME + 60 * i,
            )
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None  # no network in snapshots: the state below is fixed
    return app


def _fixed_state(app) -> None:
    state = NetState(profile="local", is_devnet=True, connected=True, block=1234)
    if app.net.address:
        state.address = app.net.address
        state.wallet_name = app.net.wallet_name
        state.native_wei = 99_999_580_000_000_000_000
        state.token_units = 1_000_000_000
    app.net = state


def _dialog_ready(app) -> bool:
    """A dialog on top has mounted and taken the focus (no dialog: nothing to wait for)."""
    from textual.screen import ModalScreen

    return not isinstance(app.screen, ModalScreen) or app.screen.focused is not None


async def _settled(pilot, ready=None) -> None:
    """The moment a snapshot is taken: the screen's data is in, workers are done, a dialog has focus."""
    app = pilot.app
    await settle(pilot, lambda: _dialog_ready(app) and (ready is None or ready()))


def _runner(mode: str | None, *keys: str, ready=None):
    async def run_before(pilot):
        _fixed_state(pilot.app)
        if mode:
            await pilot.app.action_goto(mode)
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await _settled(pilot, ready and (lambda: ready(pilot.app)))

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_account_onboarding(snap_compare, app_env, size):
    assert snap_compare(_app(app_env, wallet=False), terminal_size=size, run_before=_runner(None))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_account_with_wallet(snap_compare, app_env, size):
    assert snap_compare(_app(app_env, wallet=True), terminal_size=size, run_before=_runner(None))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_activity(snap_compare, app_env, size):
    def loaded(app) -> bool:
        from textual.widgets import DataTable

        table = app.screen.query_one("#txs", DataTable)
        # the rows are in and the columns measured to them (the table does that when idle, after
        # each fill: Activity may fill it twice as it starts)
        measured = not getattr(table, "_require_update_dimensions", False)
        return (
            table.row_count == 4
            and measured
            and all(c.content_width >= 11 for c in table.columns.values() if c.key == "hash")
        )

    run = _runner("activity", ready=loaded)
    assert snap_compare(_app(app_env, wallet=True, txs=True), terminal_size=size, run_before=run)


def _modal(name: str):
    return lambda app: type(app.screen).__name__ == name


def test_unlock_dialog(snap_compare, app_env):
    run = _runner(None, "s", ready=_modal("UnlockDialog"))
    assert snap_compare(_app(app_env, wallet=True), terminal_size=(80, 24), run_before=run)


def test_send_dialog(snap_compare, app_env):
    from eth_account import Account

    app = _app(app_env, wallet=True)
    app.ctx.remember_signer(Account.from_key(TEST_KEY))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_runner(None, "s", ready=_modal("SendDialog")))


def test_help_panel(snap_compare, app_env):
    from textual.widgets import HelpPanel

    run = _runner(None, "f1", ready=lambda app: bool(app.screen.query(HelpPanel)))
    assert snap_compare(_app(app_env, wallet=True), terminal_size=(120, 40), run_before=run)


# --- Hub screen: fixed ModelsLoaded / ModelDetailLoaded data, no network -------------------

_SIG = {
    "inputs": [{"name": "features", "dtype": "float32", "shape": [None, 4]}],
    "outputs": [
        {"name": "probabilities", "dtype": "float32", "shape": [None, 3]},
        {"name": "label", "dtype": "int64", "shape": [None]},
    ],
}
HUB_MODELS = [
    {
        "name": name,
        "description": desc,
        "authorUsername": author,
        "createdAt": f"2025-11-{day:02d}T10:00:00Z",
        "latestVersion": version,
        "versionCount": 1,
    }
    for name, desc, author, day, version in [
        ("iris-classifier", "A 3-class classifier over 4 features with two outputs.", "samples", 3, "0.02"),
        ("linear-regression", "A float regression over a [1, 3, 4] input.", "samples", 3, "0.01"),
        ("price-forecast-30m-destandardized", "ETH price forecast, 30 minutes ahead.", "samples", 4, "1.00"),
        ("sentiment-tiny", "Positive or negative, from 16 token ids.", "alice", 12, "0.03"),
        ("weather-advice", "String in, string out.", "samples", 3, "0.01"),
        ("weighted-sum", "Two inputs, one output.", "samples", 3, "0.01"),
        ("yield-curve", "Bond yields in, a spread out.", "bob", 20, "2.00"),
    ]
]
HUB_DETAIL = {
    "name": "iris-classifier",
    "description": "A 3-class classifier over 4 features with two outputs: class probabilities and the label.",
    "authorUsername": "samples",
    "taskName": "classification",
    "createdAt": "2025-11-03T10:00:00Z",
    "latestVersion": "0.02",
    "versions": [
        {
            "versionString": "0.01",
            "notes": "Initial sample release",
            "isMajor": False,
            "createdAt": "2025-11-03T10:00:00Z",
            "files": [
                {
                    "name": "iris_classifier.onnx",
                    "size": 392,
                    "ipfsCid": "bafkreiarw5puoa5f3dxa5y53bb6gdp7mgpogkjhrx2oiclwxtep3e3vley",
                    "isOnnx": True,
                    "signature": _SIG,
                },
            ],
        },
        {
            "versionString": "0.02",
            "notes": "Retrained",
            "isMajor": False,
            "createdAt": "2025-11-05T10:00:00Z",
            "files": [
                {
                    "name": "iris_v2.onnx",
                    "size": 1_536,
                    "ipfsCid": "bafkreibq35tao5yxlzpfb6bto6e6psgt3oakql5b5whwbraouktdtux4pi",
                    "isOnnx": True,
                    "signature": _SIG,
                },
                {
                    "name": "README.txt",
                    "size": 210,
                    "ipfsCid": "bafkreigdcbp525qivfs7f7wvjrvqtbve2yvze6jca2oswagujpavvd6fta",
                    "isOnnx": False,
                    "signature": None,
                },
            ],
        },
    ],
}


@pytest.fixture
def _hub_offline(monkeypatch):
    from og_tui.tui.screens.hub import HubScreen

    monkeypatch.setattr(HubScreen, "autoload", False)


def _hub_runner(*keys: str, upload: bool = False, dialog: bool = False, modal: str | None = None):
    async def run_before(pilot):
        from og_tui.tui.screens.hub import HubScreen

        app = pilot.app
        _fixed_state(app)
        await app.action_goto("hub")
        screen = app.screen
        screen.post_message(HubScreen.DetailLoaded("iris-classifier", HUB_DETAIL))
        screen.post_message(HubScreen.ModelsLoaded(HUB_MODELS, page=1, total=len(HUB_MODELS), done=True, gen=0))
        await pilot.pause()
        if upload:
            from og_tui.tui.screens.hub import _Transfer

            screen._begin_transfer(_Transfer("upload", "Uploading model.onnx → iris-classifier v0.02"))
            screen.post_message(
                HubScreen.UploadProgress("iris-classifier", "0.02", "model.onnx", 42_000_000, 100_000_000, 2.0)
            )
        if dialog:
            from og_tui.tui.hub_session import hub_sessions
            from og_tui.tui.screens.hub_dialogs import NewModelDialog

            app.push_screen(NewModelDialog(hub_sessions(app.ctx)))
        await pilot.pause()
        for key in keys:
            await pilot.press(key)

        def ready() -> bool:
            if screen.query_one("#hub-models").row_count != len(HUB_MODELS):
                return False
            if screen.detail is None or screen.detail.get("name") != "iris-classifier":
                return False
            if modal is not None and type(app.screen).__name__ != modal:
                return False  # (a dialog opened by a worker: wait for it)
            return not upload or screen.query_one("#hub-progress").progress == 42_000_000

        await _settled(pilot, ready)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_hub_screen(snap_compare, app_env, _hub_offline, size):
    assert snap_compare(_app(app_env, wallet=True), terminal_size=size, run_before=_hub_runner())


def test_hub_upload_progress(snap_compare, app_env, _hub_offline):
    assert snap_compare(_app(app_env, wallet=True), terminal_size=(80, 24), run_before=_hub_runner(upload=True))


def test_hub_sign_in_dialog(snap_compare, app_env, _hub_offline):
    assert snap_compare(
        _app(app_env, wallet=True), terminal_size=(80, 24), run_before=_hub_runner("n", modal="HubSignInDialog")
    )


def test_hub_new_model_dialog(snap_compare, app_env, _hub_offline):
    run = _hub_runner("b", "a", "d", "/", dialog=True)
    assert snap_compare(_app(app_env, wallet=True), terminal_size=(80, 24), run_before=run)


# --- Inference screen: a fixed signature and a fixed run, posted as messages (no network) ---------

INF_CID = "bafkreiarw5puoa5f3dxa5y53bb6gdp7mgpogkjhrx2oiclwxtep3e3vley"
INF_SIG = {
    "inputs": [{"name": "features", "dtype": "float32", "shape": [None, 4]}],
    "outputs": [
        {"name": "probabilities", "dtype": "float32", "shape": [None, 3]},
        {"name": "label", "dtype": "int64", "shape": [None]},
    ],
}


def _inference_run():
    import numpy as np

    from og_tui.core.inference import Attestation, InferenceRun

    return InferenceRun(
        transaction_hash="5e" * 32,
        model_output={
            "probabilities": np.array([[0.9973503, 0.0000001, 0.0026497], [0.0123, 0.2231, 0.7646]], dtype=np.float32),
            "label": np.array([0, 2], dtype=np.int64),
        },
        tx_hash="0x" + "5e" * 32,
        block=1234,
        gas_used=97_867,
        fee_wei=108_063_197_645_942,
        latency_s=0.087,
        mode=2,
        model_cid=INF_CID,
        attestation=Attestation(
            signer="0xC63d11B0eA254064D77B752c503326B721c5158A",
            signature="0x00",
            model_cid=INF_CID,
            mode=2,
            chain_id=107401,
            input_hash="0x00",
            output_hash="0x00",
            digest="0x00",
            note="devnet key, not hardware: proves which node signed, not that it ran in an enclave",
        ),
    )


@pytest.fixture
def _inference_offline(monkeypatch):
    from og_tui.tui.screens.inference_dialogs import ModelPickerDialog

    monkeypatch.setattr(ModelPickerDialog, "_request", lambda self, search: None)
    monkeypatch.setattr(ModelPickerDialog, "_detail", lambda self, name: None)


def _inference_runner(*keys: str, text: str | None = None, run: bool = False, picker: bool = False):
    async def run_before(pilot):
        from og_tui.tui.screens.inference import InferenceScreen

        app = pilot.app
        _fixed_state(app)
        await app.action_goto("inference")
        screen = app.screen
        screen.set_model(INF_CID, name="iris-classifier", signature=INF_SIG)
        await pilot.pause()
        if text is not None:
            screen._set_editor_text(text)
            screen._check_now()
        if run:
            screen.set_mode("TEE")
            screen.running = 7
            screen.post_message(InferenceScreen.Finished(7, _inference_run(), 1, "iris-classifier"))
        if picker:
            from og_tui.tui.screens.inference_dialogs import ModelPickerDialog

            app.push_screen(ModelPickerDialog())
            await pilot.pause()
            dialog = app.screen
            dialog._gen = 1
            dialog.post_message(ModelPickerDialog.ModelsListed(HUB_MODELS, len(HUB_MODELS), 1))
            await pilot.pause()
            detail = dict(HUB_DETAIL, name="iris-classifier")
            dialog.post_message(ModelPickerDialog.ModelDetail("iris-classifier", detail))
        await pilot.pause()
        for key in keys:
            await pilot.press(key)

        def ready() -> bool:
            from textual.widgets import DataTable, OptionList, Static

            # the input check has run (live or on ctrl+r): a pending one would redraw the problems
            problems = screen.query_one("#inf-problems", Static)
            if not (problems.has_class("-ok") or problems.has_class("-final")):
                return False
            if run and screen.last_run is None:
                return False
            if picker and not app.screen.query_one("#pk-files", OptionList).option_count:
                return False
            if "ctrl+f" in keys and app.screen.query_one("#hist-runs", DataTable).row_count != 3:
                return False
            return True

        await _settled(pilot, ready)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_inference_screen(snap_compare, app_env, _inference_offline, size):
    text = '{\n  "features": [\n    [5.1, 3.5, 1.4, 0.2],\n    [6.7, 3.0, 5.2, 2.3]\n  ]\n}\n'
    run = _inference_runner(text=text, run=True)
    assert snap_compare(_app(app_env, wallet=True), terminal_size=size, run_before=run)


def test_inference_template(snap_compare, app_env, _inference_offline):
    assert snap_compare(_app(app_env, wallet=True), terminal_size=(80, 24), run_before=_inference_runner())


def test_inference_validation_errors(snap_compare, app_env, _inference_offline):
    run = _inference_runner("ctrl+r", text='{\n  "features": [[5.1, 3.5, NaN]],\n  "extra": [1]\n}\n')
    assert snap_compare(_app(app_env, wallet=True), terminal_size=(80, 24), run_before=run)


def test_inference_model_picker(snap_compare, app_env, _inference_offline):
    assert snap_compare(_app(app_env, wallet=True), terminal_size=(80, 24), run_before=_inference_runner(picker=True))


def test_inference_history(snap_compare, app_env, _inference_offline):
    app = _app(app_env, wallet=True)
    db = Store(app.ctx.settings.db_path)
    for i, (mode, gas) in enumerate([("VANILLA", 80_519), ("TEE", 97_867), ("VANILLA", 80_423)]):
        db.add_run(
            INF_CID,
            mode,
            {"features": [[5.1, 3.5, 1.4, 0.2]]},
            {"label": {"dtype": "int64", "shape": [1], "values": [0]}},
            model_name="iris-classifier",
            tx_hash="0x" + f"{i + 1:02x}" * 32,
            block=100 + i,
            gas_used=gas,
            latency_s=0.08 + i / 100,
            profile="local",
            created_at=FIXED_TIME + 60 * i,
        )
    assert snap_compare(app, terminal_size=(80, 24), run_before=_inference_runner("ctrl+f"))


# --- Workflows screen: fixed WorkflowsLoaded / WorkflowDetailLoaded data, no network --------

WF_CID = "bafkreiewvrkova3sbxvdbhhol6ku4auaibljnlbw7s2z5rsprvnrdpzur4"
WF_MINE = "0x9Cd14e5B2fa9436E433a7e2933c48F260746db6E"
WF_SIG = {
    "inputs": [{"name": "open_high_low_close", "dtype": "float32", "shape": [1, 10, 4]}],
    "outputs": [{"name": "regression_output", "dtype": "float32", "shape": [1, 1]}],
}


@pytest.fixture
def _workflows_offline(monkeypatch):
    from og_tui.tui.screens import workflows
    from og_tui.tui.screens.workflow_create import NewWorkflowDialog

    monkeypatch.setattr(workflows.WorkflowsScreen, "autoload", False)
    monkeypatch.setattr(NewWorkflowDialog, "autoload", False)
    monkeypatch.setattr(workflows, "_clock", lambda: FIXED_TIME)


def _workflows_app(app_env):
    from og_tui.core.alpha import WorkflowBook

    app = _app(app_env, wallet=True)
    owner = app.ctx.wallets.active().address
    query = {
        "base": "BTC",
        "quote": "USDT",
        "total_candles": 10,
        "candle_duration_in_mins": 60,
        "order": "ASCENDING",
        "candle_types": ["OPEN", "HIGH", "LOW", "CLOSE"],
    }
    WorkflowBook(settings_for(app_env).data_dir).add(
        "local", WF_MINE, model=WF_CID, input="open_high_low_close", query=query, owner=owner
    )
    return app


def _workflows_runner(*keys: str, dialog: bool = False):
    async def run_before(pilot):
        import math

        from og_tui.core.alpha import Schedule, WorkflowInfo
        from og_tui.core.types import CandleOrder, CandleType, HistoricalInputQuery
        from og_tui.core.workflow_models import workflow_models
        from og_tui.tui.screens.workflows import WorkflowsScreen

        app = pilot.app
        _fixed_state(app)
        await app.action_goto("workflows")
        screen = app.screen
        models = workflow_models("local")
        values = {
            wm.address: ({wm.output_key: [round(0.004 * math.sin(i + 1.3), 6)]}, None) for i, wm in enumerate(models)
        }
        values[WF_MINE] = ({"regression_output": [2752.9912]}, None)
        screen.post_message(WorkflowsScreen.ListLoaded(values))
        first = models[1]  # BTC 1 h price forecast
        screen.query_one("#wf-list").move_cursor(row=1)
        await pilot.pause()
        query = HistoricalInputQuery(
            "BTC",
            "USDT",
            10,
            60,
            CandleOrder.ASCENDING,
            [CandleType.OPEN, CandleType.HIGH, CandleType.LOW, CandleType.CLOSE],
        )
        t = int(FIXED_TIME)
        schedule = Schedule(30, 1_099_511_627_776, "0xeaD9E0066364A815D16d9f06d606519538B259f7", t - 3600)
        info = WorkflowInfo(first.address, WF_CID, "open_high_low_close", query, schedule, 40, t - 12)
        history = [
            (t - 12 - 30 * (39 - i), {"regression_output": [0.0015 + 0.001 * math.sin(i / 4) + 0.0002 * (i % 3)]})
            for i in range(40)
        ]
        screen.post_message(WorkflowsScreen.DetailLoaded(first.address, info, history))
        await pilot.pause()
        if dialog:
            from eth_account import Account

            from og_tui.tui.screens.workflow_create import NewWorkflowDialog

            app.ctx.remember_signer(Account.from_key(TEST_KEY))
            await pilot.press("n")
            await pilot.pause()
            form = app.screen
            assert isinstance(form, NewWorkflowDialog)
            form.post_message(
                NewWorkflowDialog.HubModels(
                    [
                        {"name": "price-forecast-1h", "version": "0.01", "description": "price forecast"},
                        {"name": "iris-classifier", "version": "0.01", "description": "flowers"},
                    ]
                )
            )
            await pilot.pause()
            form.query_one("#wf-model").value = "price-forecast-1h@0.01"
            await pilot.pause()
            form.post_message(
                NewWorkflowDialog.ModelFiles(
                    "price-forecast-1h",
                    "0.01",
                    [
                        {"name": "price_forecast_1h.onnx", "ipfsCid": WF_CID, "isOnnx": True, "signature": WF_SIG},
                    ],
                )
            )
            await pilot.pause()
            form.query_one("#wf-candles").value = "12"
        for key in keys:
            await pilot.press(key)

        def ready() -> bool:
            from textual.widgets import DataTable, Static

            if screen.query_one("#wf-list", DataTable).row_count != len(models) + 1:
                return False
            if not str(screen.query_one("#wf-info", Static).content):
                return False
            return not dialog or bool(str(app.screen.query_one(".dialog-error", Static).content))

        await _settled(pilot, ready)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_workflows_screen(snap_compare, app_env, _workflows_offline, size):
    assert snap_compare(_workflows_app(app_env), terminal_size=size, run_before=_workflows_runner())


def test_workflows_new_dialog_error(snap_compare, app_env, _workflows_offline):
    """The create form after Deploy with 12 candles for a [1, 10, 4] model: the error inline."""
    run = _workflows_runner("tab", "enter", dialog=True)
    assert snap_compare(_workflows_app(app_env), terminal_size=(80, 24), run_before=run)
