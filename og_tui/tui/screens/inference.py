"""Inference screen: run an ONNX model on chain and see its outputs and transaction.

Model (a CID typed or picked from the Hub, with its signature:
:class:`~og_tui.tui.widgets.model_selector.ModelSelector`) -> mode
(:class:`~og_tui.tui.widgets.mode_picker.ModePicker`) -> input (a JSON editor pre-filled
with a template from the signature, or loaded from .json/.npy/.npz/.csv, checked as you
type before any gas is spent: :class:`~og_tui.tui.widgets.input_editor.InputEditor`) ->
Run (ctrl+r / ctrl+j), Stop (esc: cancel before signing, or stop waiting) -> live status
(:class:`~og_tui.tui.widgets.run_status.RunStatus`), outputs per tensor, TEE attestation,
copy/export, history (reopen, re-run).

This module holds the screen (layout, model, mode, input, status line, outputs, the
model picker and history) and its palette entries. The run itself (its worker, messages
and Stop) is :class:`~og_tui.tui.screens.inference_runner.InferenceRunner`; load, copy and
export are :class:`~og_tui.tui.screens.inference_files.InferenceFiles`. Workers post
messages nested in those classes; the handlers own every widget.
"""

from __future__ import annotations

import threading
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer

from og_tui.tui import messages as m
from og_tui.tui.commands import ScreenCommands
from og_tui.tui.screens.base import OGScreen
from og_tui.tui.screens.inference_files import InferenceFiles
from og_tui.tui.screens.inference_runner import InferenceRunner
from og_tui.tui.widgets.input_editor import InputEditor, JsonEditor
from og_tui.tui.widgets.mode_picker import MODES, ModePicker
from og_tui.tui.widgets.model_selector import ModelSelector
from og_tui.tui.widgets.run_status import RunStatus
from og_tui.tui.widgets.tensor_table import TensorTable, input_text, outputs_from_json

__all__ = ["InferenceScreen", "JsonEditor", "MODES"]


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


class InferenceScreen(InferenceRunner, InferenceFiles, OGScreen):
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

    # --- what applies now, the outputs and the result line (the run: InferenceRunner) ----------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.running is not None
        if action == "run" and self.running is not None:
            return None
        if action in ("copy_outputs", "export") and not self.outputs:
            return None
        return True

    def _show_outputs(self) -> None:
        table = self.query_one("#inf-outputs", TensorTable)
        table.border_title = "Outputs"
        table.show(self.outputs)
        self.refresh_bindings()

    def _show_result(self, *, tx_hash: str | None, **fields: Any) -> None:
        link = self.app.ctx.profile.explorer_tx_url(tx_hash) if tx_hash else None
        self.query_one(RunStatus).show_result(tx_hash=tx_hash, link=link, devnet=self.app.ctx.is_devnet, **fields)

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
