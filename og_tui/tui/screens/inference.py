"""Inference screen: run an ONNX model on chain and see its outputs and transaction.

Model (a CID typed or picked from the Hub, with its signature:
:class:`~og_tui.tui.widgets.model_selector.ModelSelector`) -> mode
(:class:`~og_tui.tui.widgets.mode_picker.ModePicker`) -> input (a JSON editor pre-filled
with a template from the signature, or loaded from .json/.npy/.npz/.csv, checked as you
type before any gas is spent: :class:`~og_tui.tui.widgets.input_editor.InputEditor`) ->
Run (ctrl+r / ctrl+j), Stop (esc: cancel before signing, or stop waiting) -> live status
(:class:`~og_tui.tui.widgets.run_status.RunStatus`), outputs per tensor, TEE attestation,
copy/export, history (reopen, re-run).

The run worker calls core and posts the messages nested here (:class:`InferenceScreen.Status`,
:class:`~InferenceScreen.Finished`, :class:`~InferenceScreen.Failed`); the handlers own
every widget.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Footer

from og_tui.core.errors import user_message
from og_tui.tui import messages as m
from og_tui.tui.commands import ScreenCommands
from og_tui.tui.format import short_hash
from og_tui.tui.screens.base import OGScreen
from og_tui.tui.screens.inference_files import InferenceFiles, mode_name
from og_tui.tui.screens.inference_io import fit_outputs, jsonable_input
from og_tui.tui.widgets.input_editor import InputEditor, JsonEditor
from og_tui.tui.widgets.mode_picker import MODES, ModePicker
from og_tui.tui.widgets.model_selector import ModelSelector
from og_tui.tui.widgets.run_status import RunStatus
from og_tui.tui.widgets.tensor_table import TensorTable, input_text, outputs_from_json, outputs_json

_log = logging.getLogger(__name__)

__all__ = ["InferenceScreen", "JsonEditor", "MODES"]

STAGES = {
    "encoding": "encoding the input",
    "estimating": "estimating gas",
    "signed": "signed",
    "sent": "sent",
    "retry": "retrying (nonce)",
    "mined": "mined",
    "fetching": "fetching the result from the node API",
}


class InferenceCommands(ScreenCommands):
    def commands(self) -> list[tuple[str, str, str]]:
        return [
            ("inference: run", "run", "Validate the input and run the model on chain"),
            ("inference: pick model from the hub", "pick_model", "Hub models with their signatures"),
            ("inference: load input file", "load_input", ".json, .npy, .npz or .csv"),
            ("inference: reset input to template", "template", "A zero input built from the signature"),
            ("inference: history", "history", "Reopen or re-run a past inference"),
            ("inference: copy outputs as JSON", "copy_outputs", "To the clipboard (OSC 52)"),
            ("inference: export outputs", "export", "To a new .json or .npz file"),
            ("inference: switch mode", "cycle_mode", "VANILLA, ZKML, TEE"),
        ]


class InferenceScreen(InferenceFiles, OGScreen):
    MODE = "inference"
    MAIN_PANE = "#inf-editor"
    CSS_PATH = "inference.tcss"
    COMMANDS = {InferenceCommands}
    AUTO_FOCUS = "#inf-cid"

    BINDINGS = [
        Binding(
            "ctrl+r,ctrl+j", "run", "Run", id="inference.run", tooltip="Check the input, then run the model on chain"
        ),
        Binding(
            "escape",
            "stop",
            "Stop",
            id="inference.stop",
            tooltip="Stop the run: cancel before signing, or stop waiting for the block",
        ),
        Binding(
            "ctrl+o", "pick_model", "Model", id="inference.pick", tooltip="Pick a model from the Hub (signatures shown)"
        ),
        Binding("ctrl+g", "cycle_mode", "Mode", id="inference.mode", tooltip="Switch the mode: VANILLA → ZKML → TEE"),
        Binding(
            "ctrl+l",
            "load_input",
            "Load",
            id="inference.load",
            tooltip="Load the input from a .json, .npy, .npz or .csv file",
        ),
        Binding(
            "ctrl+t",
            "template",
            "Template",
            id="inference.template",
            show=False,
            tooltip="Replace the input with a template from the signature (ctrl+z undoes)",
        ),
        Binding("ctrl+b", "copy_outputs", "Copy", id="inference.copy", tooltip="Copy the outputs as JSON (OSC 52)"),
        Binding(
            "ctrl+s",
            "export",
            "Export",
            id="inference.export",
            tooltip="Export the outputs to a new .json or .npz file",
        ),
        Binding(
            "ctrl+f", "history", "History", id="inference.history", tooltip="Past runs: reopen one or run it again"
        ),
    ]

    # --- messages (posted by this screen's workers) ---------------------------------------------
    class Status(Message, bubble=False):
        """A stage of run ``run_id``: encoding, estimating, signed, sent, mined, fetching, retry."""

        def __init__(self, run_id: int, stage: str, info: dict[str, Any]) -> None:
            super().__init__()
            self.run_id = run_id
            self.stage = stage
            self.info = info

    class Finished(Message, bubble=False):
        """Run ``run_id`` was mined: ``run`` is the core ``InferenceRun``; ``record_id`` its history row."""

        def __init__(self, run_id: int, run: Any, record_id: int | None = None, model_name: str | None = None) -> None:
            super().__init__()
            self.run_id = run_id
            self.run = run
            self.record_id = record_id
            self.model_name = model_name

    class Failed(Message, bubble=False):
        """Run ``run_id`` ended without outputs. ``cancelled``: stopped before anything was sent."""

        def __init__(
            self,
            run_id: int,
            text: str,
            hint: str | None = None,
            *,
            cancelled: bool = False,
            field: str | None = None,
            tx_hash: str | None = None,
        ) -> None:
            super().__init__()
            self.run_id = run_id
            self.text = text
            self.hint = hint
            self.cancelled = cancelled
            self.field = field
            self.tx_hash = tx_hash

    def __init__(self) -> None:
        super().__init__()
        self._run_seq = 0
        self.running: int | None = None  # run id in flight
        self._cancel: threading.Event | None = None
        self._sent_hash: str | None = None
        self._run_mode: str | None = None
        self._input_refused = False
        self._detached: set[int] = set()
        self.outputs: dict[str, Any] = {}
        self.last_run: Any = None  # core InferenceRun, or a history record
        self._clients: dict[tuple, Any] = {}
        self._pending_cid: str | None = None
        self._last_dir: str | None = None
        self._result_cid: str | None = None  # the model the status line and the outputs are about

    # --- layout --------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Vertical(id="inf-top"):
            yield ModelSelector(id="inf-model")
            yield ModePicker(id="inf-mode-row")
        yield RunStatus("", id="inf-status")
        with Horizontal(id="inf-main"):
            yield InputEditor(id="inf-left")
            yield TensorTable(id="inf-outputs", placeholder="Outputs appear here after a run.")

    def on_mount(self) -> None:
        self.query_one("#inf-outputs", TensorTable).border_title = "Outputs"
        self._layout_for(self.app.size.width)
        picker = self.query_one(ModePicker)
        picker.devnet = self.app.ctx.is_devnet
        picker.show_note()
        self.watch(self.app, "net", self._net_changed, init=True)
        if self._pending_cid:
            cid, self._pending_cid = self._pending_cid, None
            self.set_model(cid)

    def on_resize(self, event) -> None:
        self._layout_for(event.size.width)

    def _layout_for(self, width: int) -> None:
        self.query_one(Footer).compact = width < 100

    # --- parts ---------------------------------------------------------------------------------
    @property
    def selector(self) -> ModelSelector:
        return self.query_one(ModelSelector)

    @property
    def input_editor(self) -> InputEditor:
        return self.query_one(InputEditor)

    @property
    def signature(self) -> dict[str, Any] | None:
        return self.selector.signature

    @property
    def model_name(self) -> str | None:
        return self.selector.model_name

    def _cid(self) -> str:
        return self.selector.cid

    def _editor(self) -> JsonEditor:
        return self.input_editor.editor

    def _set_editor_text(self, text: str) -> None:
        self.input_editor.set_text(text)

    def _check_now(self) -> tuple[dict | None, list[str]]:
        return self.input_editor.check()

    def _status(self, text: Text | str, kind: str = "", *, idle: bool = False) -> None:
        """Show ``text``; ``idle`` marks the ready line, which follows the balance as it changes
        (any other message, a stop notice included, stays until the next action)."""
        self._idle_shown = idle
        self.query_one(RunStatus).show(text, kind)

    # --- model ---------------------------------------------------------------------------------
    def set_model(self, cid: str, name: str | None = None, signature: dict[str, Any] | None = None) -> None:
        """Use the ONNX file ``cid`` (the Hub screen calls this after switching here)."""
        if not self.is_mounted:
            self._pending_cid = cid
            return
        self.selector.set_model(cid, name, signature)
        self._editor().focus()

    @on(ModelSelector.Chosen)
    def _model_chosen(self, event: ModelSelector.Chosen) -> None:
        if self._result_cid is not None and event.cid != self._result_cid and self.running is None:
            self._clear_result()
        editor = self.input_editor
        editor.signature = event.signature
        if editor.untouched:
            editor.put_template()
        else:
            editor.check()

    def _clear_result(self) -> None:
        """Another model is chosen: the previous model's result and outputs go (it is in the history)."""
        self._result_cid = None
        had_run = self.last_run is not None
        self.last_run = None
        self.outputs = {}
        self._show_outputs()
        text = self._idle_text(self.app.net)
        if had_run:
            text.append("\nModel changed: the previous model's result is in the history (ctrl+f).", style="dim")
        self._status(text, "idle", idle=not had_run)

    @on(ModelSelector.Cleared)
    def _model_cleared(self) -> None:
        self.input_editor.signature = None

    @on(ModelSelector.Submitted)
    def _cid_submitted(self) -> None:
        self._editor().focus()

    @on(ModelSelector.PickWanted)
    def _pick_wanted(self) -> None:
        self.action_pick_model()

    # --- mode ----------------------------------------------------------------------------------
    def mode(self) -> str:
        return self.query_one(ModePicker).mode

    def set_mode(self, name: str) -> None:
        self.query_one(ModePicker).set_mode(name)

    def action_cycle_mode(self) -> None:
        self.query_one(ModePicker).cycle()

    # --- input ---------------------------------------------------------------------------------
    def action_template(self) -> None:
        if not self.input_editor.put_template():
            self.input_editor.show_problems(
                ["Pick a model first (ctrl+o): the template is built from its signature."], final=True
            )
            return
        self.notify("Input reset to the template. ctrl+z brings your text back.", title="Template")

    @on(InputEditor.Checked)
    def _input_checked(self, event: InputEditor.Checked) -> None:
        if not event.problems and self._input_refused:
            self._input_refused = False
            if self.running is None:
                self._status(self._idle_text(self.app.net), "idle", idle=True)

    # --- status --------------------------------------------------------------------------------
    def _net_changed(self, state: m.NetState) -> None:
        if self.running is None and self.last_run is None and getattr(self, "_idle_shown", True):
            self._status(self._idle_text(state), "idle", idle=True)

    @staticmethod
    def _idle_text(state: m.NetState) -> Text:
        return RunStatus.idle_text(state.address, state.wallet_name, state.native_wei)

    # --- run --------------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.running is not None
        if action == "run" and self.running is not None:
            return None
        if action in ("copy_outputs", "export") and not self.outputs:
            return None
        return True

    def action_run(self) -> None:
        if self.running is not None:
            return
        cid = self._cid()
        if not cid:
            self._status("Choose a model first: type its CID or pick one from the Hub (ctrl+o).", "error")
            self.query_one("#inf-cid").focus()
            return
        data, _problems = self.input_editor.check(final=True)
        if data is None:
            self._input_refused = True
            self._status("Fix the input first: nothing was sent, no gas spent.", "error")
            self._editor().focus()
            return
        address = self.app.net.address
        if not address:
            self._status("No wallet yet: create or import one on the Account screen (F2), then come back.", "error")
            return
        mode = self.mode()
        self.with_wallet(
            lambda _address: self._start(cid, mode, data),
            address=address,
            on_cancel=lambda: self._status("The wallet stays locked: nothing was sent.", "idle"),
        )

    def _start(self, cid: str, mode: str, model_input: dict) -> None:
        address = self.app.net.address
        signer = self.app.ctx.signer(address) if address else None
        if signer is None:
            self._status("The wallet is locked: unlock it to run.", "error")
            return
        self._run_seq += 1
        run_id = self._run_seq
        self.running = run_id
        self._cancel = threading.Event()
        self._sent_hash = None
        self._run_mode = mode
        self._result_cid = cid
        if self.outputs:
            self.query_one("#inf-outputs", TensorTable).border_title = "Outputs · previous run"
        self._status(Text(f"◌ {mode}: encoding the input… (esc stops)"), "busy")
        self.refresh_bindings()
        self._run_worker(run_id, cid, mode, model_input, signer, self._cancel, self.model_name, self.signature)

    def _client(self, profile: Any) -> Any:
        """One InferenceClient per profile endpoint set (called from the run worker)."""
        from og_tui.core.inference import InferenceClient

        key = (profile.name, profile.rpc_url, profile.inference_contract, profile.api_url)
        client = self._clients.get(key)
        if client is None:
            client = InferenceClient(self.app.ctx.chain, profile.inference_contract, profile.api_url)
            self._clients[key] = client
        return client

    @work(thread=True, exclusive=True, group="inference-run", exit_on_error=False, description="inference")
    def _run_worker(
        self,
        run_id: int,
        cid: str,
        mode: str,
        model_input: dict,
        signer: Any,
        cancel: threading.Event,
        model_name: str | None,
        signature: dict[str, Any] | None = None,
    ) -> None:
        from og_tui.core.inference import InferenceCancelled

        app = self.app
        ctx = app.ctx
        profile = ctx.profile
        store = ctx.store
        label = model_name or short_hash(cid, 8, 4)
        summary = f"Inference {mode} · {label}"
        keep = (
            "hash",
            "nonce",
            "gas",
            "gas_price",
            "block",
            "gas_used",
            "status",
            "attempt",
            "reason",
            "inference_id",
            "latency_s",
            "fee_wei",
        )

        def on_status(stage: str, info: dict) -> None:
            safe = {k: v for k, v in (info or {}).items() if k in keep}
            if stage == "sent" and safe.get("hash"):
                try:
                    store.add_tx(
                        hash=safe["hash"],
                        kind="inference",
                        status="pending",
                        from_addr=signer.address,
                        to_addr=profile.inference_contract,
                        profile=profile.name,
                        created_at=time.time(),
                        detail={"model": cid, "mode": mode, "model_name": model_name},
                    )
                except Exception:  # noqa: BLE001 - the activity list is a bonus, the run goes on
                    _log.debug("the activity list is a bonus, the run goes on", exc_info=True)
                app.post_message(m.TxSubmitted(safe["hash"], "inference", summary))
            self.post_message(self.Status(run_id, stage, safe))

        op = app.begin_op(summary)
        try:
            run = self._client(profile).infer(signer, cid, mode, model_input, on_status=on_status, cancel=cancel.is_set)
            run.model_output = fit_outputs(run.model_output, signature)
        except InferenceCancelled:
            self.post_message(self.Failed(run_id, "Stopped before anything was sent: no gas spent.", cancelled=True))
            return
        except Exception as exc:  # noqa: BLE001 - every failure is shown on the screen
            text, hint = user_message(exc)
            tx_hash = getattr(exc, "tx_hash", None)
            if tx_hash:
                try:
                    store.update_tx(tx_hash, status="failed", error=text)
                except Exception:  # noqa: BLE001
                    _log.debug("could not mark the failed inference transaction in the history", exc_info=True)
                app.post_message(m.TxConfirmed(tx_hash, "inference", "failed", None, None))
            self.post_message(self.Failed(run_id, text, hint, field=getattr(exc, "field", None), tx_hash=tx_hash))
            return
        finally:
            app.end_op(op)
        record_id = None
        try:
            store.update_tx(run.tx_hash, status="confirmed", gas_used=run.gas_used, block=run.block)
            detail: dict[str, Any] = {
                "fee_wei": str(run.fee_wei),
                "inference_id": run.inference_id,
                "source": run.source,
                "timings": {k: round(v, 5) for k, v in run.timings.items()},
            }
            if run.attestation is not None:
                detail["attestation"] = run.attestation.as_dict()
            record = store.add_run(
                cid,
                mode,
                jsonable_input(model_input),
                outputs_json(run.model_output),
                model_name=model_name,
                tx_hash=run.tx_hash,
                block=run.block,
                gas_used=run.gas_used,
                latency_s=run.latency_s,
                profile=profile.name,
                detail=detail,
            )
            record_id = record.id
        except Exception as exc:  # noqa: BLE001 - the outputs are still shown
            text, _ = user_message(exc)
            app.post_message(m.OperationFailed("Inference history", f"The run could not be saved: {text}"))
        # the outputs are on screen: refresh the activity list and balances without a toast
        app.call_from_thread(setattr, app, "tx_version", app.tx_version + 1)
        app.call_from_thread(app.poll_chain)
        self.post_message(self.Finished(run_id, run, record_id, model_name))

    @on(Status)
    def _run_status(self, event: Status) -> None:
        if event.run_id != self.running:
            return
        info = event.info
        stage = event.stage
        if stage == "sent":
            self._sent_hash = info.get("hash")
            if self._cancel is not None and self._cancel.is_set():
                self._stop_waiting()
                return
        text = Text(f"◌ {self.mode_of_run()}: {STAGES.get(stage, stage)}")
        if stage == "signed":
            text.append(f" · gas limit {info.get('gas', 0):,}", style="dim")
        if stage in ("sent", "mined") and self._sent_hash:
            text.append(f" {short_hash(self._sent_hash, 12, 6)}")
        if stage == "sent":
            text.append(" · waiting for the block (esc stops waiting)", style="dim")
        elif stage in ("encoding", "estimating", "signed"):
            text.append(" … (esc stops)", style="dim")
        elif stage == "retry":
            text.append(f" · {info.get('reason', '')}", style="dim")
        self._status(text, "busy")

    def mode_of_run(self) -> str:
        return self._run_mode or self.mode()

    @on(Finished)
    def _run_finished(self, event: Finished) -> None:
        run = event.run
        if event.run_id in self._detached:
            self._detached.discard(event.run_id)
            self.notify(
                f"The run you stopped waiting for was mined in block {run.block}. It is in the history (ctrl+f).",
                title="Inference mined",
            )
            return
        if event.run_id != self.running:
            return
        self.running = None
        self._cancel = None
        self.last_run = run
        self.outputs = dict(run.model_output)
        self._show_result(
            tx_hash=run.tx_hash,
            block=run.block,
            gas_used=run.gas_used,
            latency_s=run.latency_s,
            mode=mode_name(run.mode),
            fee_wei=run.fee_wei,
            attestation=run.attestation.as_dict() if run.attestation else None,
            source=run.source,
        )
        self._show_outputs()

    def _show_outputs(self) -> None:
        table = self.query_one("#inf-outputs", TensorTable)
        table.border_title = "Outputs"
        table.show(self.outputs)
        self.refresh_bindings()

    def _show_result(self, *, tx_hash: str | None, **fields: Any) -> None:
        link = self.app.ctx.profile.explorer_tx_url(tx_hash) if tx_hash else None
        self.query_one(RunStatus).show_result(tx_hash=tx_hash, link=link, devnet=self.app.ctx.is_devnet, **fields)

    @on(Failed)
    def _run_failed(self, event: Failed) -> None:
        if event.run_id in self._detached:
            self._detached.discard(event.run_id)
            self.notify(event.text, title="The stopped inference failed", severity="warning")
            return
        if event.run_id != self.running:
            return
        mode = self.mode_of_run()
        self.running = None
        self._cancel = None
        self.refresh_bindings()
        if event.cancelled:
            self._status(Text(f"■ {event.text}"), "idle")
            return
        text = Text()
        text.append("✕ ", style="bold")
        text.append(event.text)
        low = event.text.lower()
        if mode == "ZKML" and "zkml" in low:
            text.append(
                "\nDevnet runs models with onnxruntime and cannot produce a zero-knowledge proof, so it refuses "
                "instead of faking one. Nothing was spent. Use VANILLA or TEE (ctrl+g switches the mode).",
                style="dim",
            )
        if event.hint:
            text.append("\n" + event.hint, style="dim")
        elif "for gas" in low or "insufficient" in low:
            text.append("\nFund the wallet on the Account screen (F2; on devnet: f for the faucet).", style="dim")
        if event.tx_hash:
            text.append(f"\ntx {event.tx_hash}", style="dim")
        self._status(text, "error")
        if event.field and event.field not in ("model", "mode"):
            self.input_editor.show_problems([event.text], final=True)

    def action_stop(self) -> None:
        if self.running is None or self._cancel is None:
            return
        self._cancel.set()
        if self._sent_hash:
            self._stop_waiting()
        else:
            self._status(Text("◌ stopping before anything is signed…"), "busy")

    def _stop_waiting(self) -> None:
        run_id = self.running
        if run_id is None:
            return
        self._detached.add(run_id)
        self.running = None
        self._cancel = None
        self._status(
            Text(
                f"■ Stopped waiting. The transaction {short_hash(self._sent_hash, 12, 6)} was already sent and may "
                "still be mined; if it is, it goes to the history (ctrl+f)."
            ),
            "idle",
        )
        self.refresh_bindings()

    # --- model picker ----------------------------------------------------------------------------------
    def action_pick_model(self) -> None:
        from og_tui.tui.screens.inference_dialogs import ModelPickerDialog

        def picked(choice: dict[str, Any] | None) -> None:
            if not choice or not choice.get("cid"):
                return
            self.set_model(choice["cid"], name=choice.get("name"), signature=choice.get("signature"))

        self.app.push_screen(ModelPickerDialog(self._cid() or None), picked)

    # --- history -----------------------------------------------------------------------------------------
    def action_history(self) -> None:
        from og_tui.tui.screens.inference_dialogs import HistoryDialog

        def chosen(result: tuple[str, Any] | None) -> None:
            if not result:
                return
            action, record = result
            self.open_record(record)
            if action == "rerun":
                self.action_run()

        self.app.push_screen(HistoryDialog(self.app.ctx.profile.name), chosen)

    def open_record(self, record: Any) -> None:
        """Show a stored run: its model, mode, input and outputs (nothing is sent)."""
        if self.running is not None:
            self.notify("A run is in progress: stop it (esc) first.", severity="warning")
            return
        from og_tui.tui.format import fmt_time

        self._result_cid = record.model
        if self.selector.show_model(record.model, record.model_name):
            self.input_editor.signature = None  # (until the other model's signature is in)
        self.set_mode(record.mode)
        self._set_editor_text(input_text(record.inputs or {}))
        self._check_now()
        self.outputs = outputs_from_json(record.outputs or {})
        self.last_run = record
        detail = record.detail or {}
        self._show_result(
            tx_hash=record.tx_hash,
            block=record.block,
            gas_used=record.gas_used,
            latency_s=record.latency_s,
            mode=record.mode,
            fee_wei=int(detail.get("fee_wei") or 0) or None,
            attestation=detail.get("attestation"),
            source=detail.get("source"),
            when=f"from history ({fmt_time(record.created_at, short=True)})",
        )
        self._show_outputs()
        self._editor().focus()
