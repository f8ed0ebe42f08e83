"""Inference screen: run an ONNX model on chain and see its outputs and transaction.

Model (a CID typed or picked from the Hub, with its signature) -> mode (VANILLA / ZKML /
TEE) -> input (JSON editor pre-filled with a template from the signature, or loaded
from .json/.npy/.npz/.csv) -> validation inline, before any gas is spent -> Run
(ctrl+r / ctrl+j), Stop (esc: cancel before signing, or stop waiting) -> live status,
outputs per tensor, TEE attestation, copy/export, history (reopen, re-run).

Workers call core and post typed messages (messages.py); the ``@on`` handlers here own
every widget. The editor's text is never replaced without a way back (``ctrl+z``).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Button, Footer, Input, Label, RadioButton, RadioSet, Static, TextArea

from og_tui.core.errors import user_message
from og_tui.tui import messages as m
from og_tui.tui.commands import ScreenCommands
from og_tui.tui.format import fmt_units, short_hash
from og_tui.tui.screens.base import OGScreen
from og_tui.tui.widgets.nav_text_area import NavTextArea
from og_tui.tui.screens.inference_io import (
    INPUT_EXTENSIONS,
    check_input_text,
    fit_outputs,
    jsonable_input,
    load_input_file,
)
from og_tui.tui.widgets.tensor_table import TensorTable, input_text, outputs_from_json, outputs_json

MODES = ("VANILLA", "ZKML", "TEE")
MODE_NOTES = {
    "VANILLA": "plain run, outputs on chain",
    "ZKML": "with a zero-knowledge proof",
    "TEE": "outputs signed by a TEE node",
}
LIVE_CHECK_LIMIT = 200_000  # characters; longer inputs are checked when Run is pressed
STAGES = {
    "encoding": "encoding the input",
    "estimating": "estimating gas",
    "signed": "signed",
    "sent": "sent",
    "retry": "retrying (nonce)",
    "mined": "mined",
    "fetching": "fetching the result from the node API",
}


# --- widgets ---------------------------------------------------------------------------------------


class JsonEditor(NavTextArea):
    """The JSON input editor (F6/F7 stay screen keys)."""


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


class InferenceScreen(OGScreen):
    MODE = "inference"
    CSS_PATH = "inference.tcss"
    COMMANDS = {InferenceCommands}
    AUTO_FOCUS = "#inf-cid"

    BINDINGS = [
        Binding("ctrl+r,ctrl+j", "run", "Run", id="inference.run", tooltip="Check the input, then run the model on chain"),
        Binding("escape", "stop", "Stop", id="inference.stop",
                tooltip="Stop the run: cancel before signing, or stop waiting for the block"),
        Binding("ctrl+o", "pick_model", "Model", id="inference.pick", tooltip="Pick a model from the Hub (signatures shown)"),
        Binding("ctrl+g", "cycle_mode", "Mode", id="inference.mode", tooltip="Switch the mode: VANILLA → ZKML → TEE"),
        Binding("ctrl+l", "load_input", "Load", id="inference.load", tooltip="Load the input from a .json, .npy, .npz or .csv file"),
        Binding("ctrl+t", "template", "Template", id="inference.template", show=False,
                tooltip="Replace the input with a template from the signature (ctrl+z undoes)"),
        Binding("ctrl+b", "copy_outputs", "Copy", id="inference.copy", tooltip="Copy the outputs as JSON (OSC 52)"),
        Binding("ctrl+s", "export", "Export", id="inference.export", tooltip="Export the outputs to a new .json or .npz file"),
        Binding("ctrl+f", "history", "History", id="inference.history", tooltip="Past runs: reopen one or run it again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.signature: dict[str, Any] | None = None
        self.model_name: str | None = None
        self._sig_cid: str | None = None  # the CID the signature (or its error) belongs to
        self._sig_state = "none"  # none | loading | ok | failed
        self._template_text: str | None = None
        self._cid_timer: Timer | None = None
        self._check_timer: Timer | None = None
        self._run_seq = 0
        self.running: int | None = None  # run id in flight
        self._cancel: threading.Event | None = None
        self._sent_hash: str | None = None
        self._run_mode: str | None = None
        self._mode = MODES[0]
        self._input_refused = False
        self._detached: set[int] = set()
        self.outputs: dict[str, Any] = {}
        self.last_run: Any = None  # core InferenceRun, or a history record
        self._clients: dict[tuple, Any] = {}
        self._pending_cid: str | None = None
        self._last_dir: str | None = None

    # --- layout --------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Vertical(id="inf-top"):
            with Horizontal(id="inf-model-row"):
                yield Label("Model", classes="inf-label")
                yield Input(placeholder="type a model CID, or ctrl+o to pick from the Hub", id="inf-cid", compact=True)
                yield Button("Pick…", id="inf-pick", compact=True)
            yield Static("", id="inf-sig")
            with Horizontal(id="inf-mode-row"):
                yield Label("Mode", classes="inf-label")
                with RadioSet(id="inf-mode", compact=True):
                    for i, name in enumerate(MODES):
                        yield RadioButton(name, value=i == 0, id=f"mode-{name.lower()}", compact=True)
                yield Static("", id="inf-mode-note")
        yield Static("", id="inf-status")
        with Horizontal(id="inf-main"):
            with Vertical(id="inf-left"):
                yield JsonEditor("", language="json", id="inf-editor", soft_wrap=False, tab_behavior="focus",
                                 show_line_numbers=False, placeholder="{ \"input name\": [[values]] }")
                yield Static("", id="inf-problems")
            yield TensorTable(id="inf-outputs", placeholder="Outputs appear here after a run.")

    def on_mount(self) -> None:
        self.query_one("#inf-editor", JsonEditor).border_title = "Input · JSON"
        self.query_one("#inf-outputs", TensorTable).border_title = "Outputs"
        self._layout_for(self.app.size.width)
        self._show_sig()
        self._show_mode_note()
        self.watch(self.app, "net", self._net_changed, init=True)
        if self._pending_cid:
            cid, self._pending_cid = self._pending_cid, None
            self.set_model(cid)

    def on_resize(self, event) -> None:
        self._layout_for(event.size.width)

    def _layout_for(self, width: int) -> None:
        self.query_one(Footer).compact = width < 100

    # --- public --------------------------------------------------------------------------------
    def set_model(self, cid: str, name: str | None = None, signature: dict[str, Any] | None = None) -> None:
        """Use the ONNX file ``cid`` (the Hub screen calls this after switching here)."""
        if not self.is_mounted:
            self._pending_cid = cid
            return
        cid = cid.strip()
        field = self.query_one("#inf-cid", Input)
        with field.prevent(Input.Changed):
            field.value = cid
        self.model_name = name
        if signature:
            self._signature_ready(cid, signature, name)
        else:
            self._fetch_signature(cid)
        self.query_one("#inf-editor", JsonEditor).focus()

    # --- model and signature ----------------------------------------------------------------------
    def _cid(self) -> str:
        return self.query_one("#inf-cid", Input).value.strip()

    @on(Input.Changed, "#inf-cid")
    def _cid_changed(self, event: Input.Changed) -> None:
        if self._cid_timer is not None:
            self._cid_timer.stop()
        cid = event.value.strip()
        if cid == self._sig_cid:
            return
        self.model_name = None
        self.signature = None
        self._sig_cid = None
        self._sig_state = "none"
        self._show_sig()
        if len(cid) >= 8 and " " not in cid:
            self._cid_timer = self.set_timer(0.6, lambda: self._fetch_signature(cid))

    @on(Input.Submitted, "#inf-cid")
    def _cid_submitted(self, event: Input.Submitted) -> None:
        cid = event.value.strip()
        if cid and cid != self._sig_cid:
            self._fetch_signature(cid)
        self.query_one("#inf-editor", JsonEditor).focus()

    def _fetch_signature(self, cid: str) -> None:
        if self._cid_timer is not None:
            self._cid_timer.stop()
        if not cid or (cid == self._sig_cid and self._sig_state in ("loading", "ok")):
            return
        self._sig_cid = cid
        self._sig_state = "loading"
        self._show_sig()
        self._signature_worker(cid)

    @work(thread=True, exclusive=True, group="inference-signature", exit_on_error=False, description="model signature")
    def _signature_worker(self, cid: str) -> None:
        from og_tui.tui.hub_session import hub_sessions

        try:
            signature = hub_sessions(self.app.ctx).client().model_signature(cid)
        except Exception as exc:  # noqa: BLE001 - shown under the CID
            text, hint = user_message(exc)
            self.post_message(m.InferenceSignatureFailed(cid, text, hint))
            return
        self.post_message(m.InferenceSignatureLoaded(cid, signature))

    @on(m.InferenceSignatureLoaded)
    def _signature_loaded(self, event: m.InferenceSignatureLoaded) -> None:
        if event.cid != self._cid():
            return
        self._signature_ready(event.cid, event.signature, event.name or self.model_name)

    def _signature_ready(self, cid: str, signature: dict[str, Any], name: str | None) -> None:
        self.signature = signature
        self.model_name = name
        self._sig_cid = cid
        self._sig_state = "ok"
        self._show_sig()
        editor = self.query_one("#inf-editor", JsonEditor)
        current = editor.text
        if not current.strip() or current == self._template_text:
            self._put_template()
        else:
            self._check_now()

    @on(m.InferenceSignatureFailed)
    def _signature_failed(self, event: m.InferenceSignatureFailed) -> None:
        if event.cid != self._cid():
            return
        self.signature = None
        self._sig_state = "failed"
        self._show_sig(error=event.text if not event.hint else f"{event.text} {event.hint}")

    def _show_sig(self, error: str | None = None) -> None:
        from og_tui.tui.screens.inference_dialogs import signature_text

        sig = self.query_one("#inf-sig", Static)
        sig.set_class(bool(error), "-error")
        if error:
            sig.update(Text(f"✕ {error}"))
            return
        if self._sig_state == "loading":
            sig.update(Text("loading the model's signature…", style="italic"))
            return
        if self.signature:
            text = Text()
            if self.model_name:
                text.append(self.model_name + "  ", style="bold")
            text.append_text(signature_text(self.signature))
            sig.update(text)
            return
        sig.update(Text("No model yet: type a CID above or press ctrl+o to pick one from the Hub.", style="dim"))

    # --- mode ---------------------------------------------------------------------------------------
    def mode(self) -> str:
        return self._mode

    def set_mode(self, name: str) -> None:
        name = name.upper()
        if name in MODES:
            self._mode = name
            self.query_one(f"#mode-{name.lower()}", RadioButton).value = True
            self._show_mode_note()

    @on(RadioSet.Changed, "#inf-mode")
    def _mode_changed(self, event: RadioSet.Changed) -> None:
        if 0 <= event.index < len(MODES):
            self._mode = MODES[event.index]
        self._show_mode_note()

    def _show_mode_note(self) -> None:
        mode = self.mode()
        note = MODE_NOTES[mode]
        if self.app.ctx.is_devnet:
            if mode == "ZKML":
                note = "devnet refuses ZKML: it makes no proofs"
            elif mode == "TEE":
                note = "signed by a devnet key, not hardware"
        self.query_one("#inf-mode-note", Static).update(note)

    def action_cycle_mode(self) -> None:
        mode = self.mode()
        self.set_mode(MODES[(MODES.index(mode) + 1) % len(MODES)])

    # --- input editor ----------------------------------------------------------------------------------
    def _editor(self) -> JsonEditor:
        return self.query_one("#inf-editor", JsonEditor)

    def _set_editor_text(self, text: str) -> None:
        """Replace the whole text as one edit (ctrl+z brings the old text back)."""
        editor = self._editor()
        editor.replace(text, (0, 0), editor.document.end)
        editor.move_cursor((0, 0))
        editor.scroll_home(animate=False)

    def _put_template(self) -> None:
        from og_tui.core.inference import input_template

        if not self.signature:
            return
        text = input_text(input_template(self.signature))
        self._template_text = text
        self._set_editor_text(text)
        self._check_now()

    def action_template(self) -> None:
        if not self.signature:
            self._problems(["Pick a model first (ctrl+o): the template is built from its signature."], final=True)
            return
        self._put_template()
        self.notify("Input reset to the template. ctrl+z brings your text back.", title="Template")

    @on(TextArea.Changed, "#inf-editor")
    def _editor_changed(self) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        if len(self._editor().text) <= LIVE_CHECK_LIMIT:
            self._check_timer = self.set_timer(0.35, self._check_now)

    def _check_now(self) -> tuple[dict | None, list[str]]:
        data, problems = check_input_text(self._editor().text, self.signature)
        self._problems(problems, final=False)
        if not problems and self._input_refused:
            self._input_refused = False
            if self.running is None:
                self._status(self._idle_text(self.app.net), "idle")
        return data, problems

    def _problems(self, problems: list[str], final: bool) -> None:
        widget = self.query_one("#inf-problems", Static)
        widget.set_class(bool(problems) and final, "-final")
        widget.set_class(not problems, "-ok")
        if not problems:
            ok = "input matches the signature" if self.signature else ""
            widget.update(Text(f"✓ {ok}" if ok else ""))
            return
        shown = problems[:4]
        more = len(problems) - len(shown)
        text = Text("\n".join(f"✕ {p}" for p in shown))
        if more:
            text.append(f"\n… and {more} more")
        widget.update(text)

    # --- status ---------------------------------------------------------------------------------------
    def _status(self, text: Text | str, kind: str = "") -> None:
        widget = self.query_one("#inf-status", Static)
        for name in ("-busy", "-ok", "-error", "-idle"):
            widget.set_class(name == f"-{kind}", name)
        widget.update(text)

    def _net_changed(self, state: m.NetState) -> None:
        if self.running is None and self.last_run is None and not self.query_one("#inf-status", Static).has_class("-error"):
            self._status(self._idle_text(state), "idle")

    def _idle_text(self, state: m.NetState) -> Text:
        text = Text()
        if not state.address:
            text.append("No wallet yet: create or import one on the Account screen (F2).")
            return text
        text.append("Ready. ", style="bold")
        text.append(f"ctrl+r runs the model, signed by {state.wallet_name or 'your wallet'}")
        if state.native_wei is not None:
            text.append(f" ({fmt_units(state.native_wei, 18, 4)} OG)")
        text.append(".")
        return text

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
            self.query_one("#inf-cid", Input).focus()
            return
        if self._check_timer is not None:
            self._check_timer.stop()
        data, problems = check_input_text(self._editor().text, self.signature)
        self._problems(problems, final=True)
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
        keep = ("hash", "nonce", "gas", "gas_price", "block", "gas_used", "status", "attempt", "reason",
                "inference_id", "latency_s", "fee_wei")

        def on_status(stage: str, info: dict) -> None:
            safe = {k: v for k, v in (info or {}).items() if k in keep}
            if stage == "sent" and safe.get("hash"):
                try:
                    store.add_tx(
                        hash=safe["hash"], kind="inference", status="pending", from_addr=signer.address,
                        to_addr=profile.inference_contract, profile=profile.name, created_at=time.time(),
                        detail={"model": cid, "mode": mode, "model_name": model_name},
                    )
                except Exception:  # noqa: BLE001 - the activity list is a bonus, the run goes on
                    pass
                app.post_message(m.TxSubmitted(safe["hash"], "inference", summary))
            self.post_message(m.InferenceStatus(run_id, stage, safe))

        op = app.begin_op(summary)
        try:
            run = self._client(profile).infer(signer, cid, mode, model_input, on_status=on_status, cancel=cancel.is_set)
            run.model_output = fit_outputs(run.model_output, signature)
        except InferenceCancelled:
            self.post_message(m.InferenceFailed(run_id, "Stopped before anything was sent: no gas spent.", cancelled=True))
            return
        except Exception as exc:  # noqa: BLE001 - every failure is shown on the screen
            text, hint = user_message(exc)
            tx_hash = getattr(exc, "tx_hash", None)
            if tx_hash:
                try:
                    store.update_tx(tx_hash, status="failed", error=text)
                except Exception:  # noqa: BLE001
                    pass
                app.post_message(m.TxConfirmed(tx_hash, "inference", "failed", None, None))
            self.post_message(
                m.InferenceFailed(run_id, text, hint, field=getattr(exc, "field", None), tx_hash=tx_hash)
            )
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
                cid, mode, jsonable_input(model_input), outputs_json(run.model_output),
                model_name=model_name, tx_hash=run.tx_hash, block=run.block, gas_used=run.gas_used,
                latency_s=run.latency_s, profile=profile.name, detail=detail,
            )
            record_id = record.id
        except Exception as exc:  # noqa: BLE001 - the outputs are still shown
            text, _ = user_message(exc)
            app.post_message(m.OperationFailed("Inference history", f"The run could not be saved: {text}"))
        # the outputs are on screen: refresh the activity list and balances without a toast
        app.call_from_thread(setattr, app, "tx_version", app.tx_version + 1)
        app.call_from_thread(app.poll_chain)
        self.post_message(m.InferenceFinished(run_id, run, record_id, model_name))

    @on(m.InferenceStatus)
    def _run_status(self, event: m.InferenceStatus) -> None:
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

    @on(m.InferenceFinished)
    def _run_finished(self, event: m.InferenceFinished) -> None:
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
            tx_hash=run.tx_hash, block=run.block, gas_used=run.gas_used, latency_s=run.latency_s,
            mode=_mode_name(run.mode), fee_wei=run.fee_wei, attestation=run.attestation.as_dict() if run.attestation else None,
            source=run.source,
        )
        self._show_outputs()

    def _show_outputs(self) -> None:
        table = self.query_one("#inf-outputs", TensorTable)
        table.border_title = "Outputs"
        table.show(self.outputs)
        self.refresh_bindings()

    def _show_result(
        self,
        *,
        tx_hash: str | None,
        block: int | None,
        gas_used: int | None,
        latency_s: float | None,
        mode: str,
        fee_wei: int | None = None,
        attestation: dict[str, Any] | None = None,
        source: str | None = None,
        when: str | None = None,
    ) -> None:
        wide = self.app.size.width >= 100
        text = Text()
        text.append(f"✓ {when}" if when else "✓ mined", style="bold")
        text.append(f" · {mode}")
        if block is not None:
            text.append(f" · block {block:,}")
        if gas_used is not None:
            text.append(f" · gas {gas_used:,}")
        if latency_s is not None:
            text.append(f" · {latency_s * 1000:,.0f} ms")
        if fee_wei and (wide or not when):
            text.append(f" · fee {fmt_units(fee_wei, 18, 8)} OG", style="dim")
        text.append("\ntx ", style="dim")
        text.append(tx_hash or "–")
        link = self.app.ctx.profile.explorer_tx_url(tx_hash) if tx_hash else None
        if link:
            text.append(" explorer", style=f"link {link} underline")
        if source == "node-api":
            text.append(" · outputs from the node API", style="dim")
        if attestation:
            note = str(attestation.get("note") or "")
            devnet = "devnet" in note.lower() or self.app.ctx.is_devnet
            text.append("\nTEE attestation verified ✓", style="bold")
            text.append(" (devnet key, not hardware)" if devnet else "")
            text.append(f"\nsigner {attestation.get('signer')}")
            if wide and devnet:
                text.append(" · proves which node signed, not that an enclave ran it", style="dim")
            elif wide and note:
                text.append(f" · {note}", style="dim")
        self._status(text, "ok")

    @on(m.InferenceFailed)
    def _run_failed(self, event: m.InferenceFailed) -> None:
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
            self._problems([event.text], final=True)

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

    # --- buttons ---------------------------------------------------------------------------------------
    @on(Button.Pressed, "#inf-pick")
    def _pick_pressed(self) -> None:
        self.action_pick_model()

    # --- model picker ----------------------------------------------------------------------------------
    def action_pick_model(self) -> None:
        from og_tui.tui.screens.inference_dialogs import ModelPickerDialog

        def picked(choice: dict[str, Any] | None) -> None:
            if not choice or not choice.get("cid"):
                return
            self.set_model(choice["cid"], name=choice.get("name"), signature=choice.get("signature"))

        self.app.push_screen(ModelPickerDialog(self._cid() or None), picked)

    # --- load input ------------------------------------------------------------------------------------
    def action_load_input(self) -> None:
        from og_tui.tui.screens.file_picker import FilePicker

        def picked(path: Path | None) -> None:
            if path is not None:
                self._last_dir = str(Path(path).parent)
                self._load_worker(Path(path), self.signature)

        self.app.push_screen(
            FilePicker("Load the model input (.json, .npy, .npz, .csv)", start=self._last_dir, extensions=INPUT_EXTENSIONS),
            picked,
        )

    @work(thread=True, exclusive=True, group="inference-file", exit_on_error=False, description="load input")
    def _load_worker(self, path: Path, signature: dict[str, Any] | None) -> None:
        try:
            data, summary = load_input_file(path, signature)
            text = input_text(data)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.post_message(m.InferenceFileFailed("load", f"Cannot load {path.name}: {reason}"))
            return
        self.post_message(m.InferenceInputLoaded(str(path), text, summary))

    @on(m.InferenceInputLoaded)
    def _input_loaded(self, event: m.InferenceInputLoaded) -> None:
        self._set_editor_text(event.text)
        self._check_now()
        self._editor().focus()
        self.notify(f"Loaded {event.summary}. ctrl+z brings the previous input back.", title="Input loaded")

    @on(m.InferenceFileFailed)
    def _file_failed(self, event: m.InferenceFileFailed) -> None:
        self.notify(event.text, title="Load input" if event.kind == "load" else "Export", severity="error", timeout=8)

    # --- copy and export ---------------------------------------------------------------------------------
    def action_copy_outputs(self) -> None:
        if not self.outputs:
            return
        text = json.dumps(outputs_json(self.outputs), ensure_ascii=False)
        self.app.copy_to_clipboard(text)
        self.notify(f"{len(self.outputs)} output tensor{'s' if len(self.outputs) != 1 else ''} as JSON "
                    f"({len(text):,} characters)", title="Outputs copied")

    def action_export(self) -> None:
        if not self.outputs:
            return
        from og_tui.tui.screens.file_picker import FilePicker

        tx = getattr(self.last_run, "tx_hash", None) or ""
        default = f"og-outputs-{tx[2:10] or 'run'}.npz"

        def picked(path: Path | None) -> None:
            if path is None:
                return
            path = Path(path)
            if path.suffix.lower() not in (".json", ".npz"):
                self.notify("Name the file .json or .npz (the ending chooses the format).", title="Export",
                            severity="warning")
                return
            self._export_worker(path, dict(self.outputs), self._run_summary())

        self.app.push_screen(
            FilePicker("Export the outputs (.npz or .json; nothing is overwritten)", mode="save",
                       start=self._last_dir, default_name=default, extensions=(".json", ".npz")),
            picked,
        )

    def _run_summary(self) -> dict[str, Any]:
        run = self.last_run
        if run is None:
            return {}
        return {
            "model_cid": getattr(run, "model_cid", None) or getattr(run, "model", None),
            "mode": _mode_name(getattr(run, "mode", 0)),
            "transaction_hash": getattr(run, "tx_hash", None),
            "block": getattr(run, "block", None),
            "gas_used": getattr(run, "gas_used", None),
        }

    @work(thread=True, exclusive=True, group="inference-file", exit_on_error=False, description="export outputs")
    def _export_worker(self, path: Path, outputs: dict[str, Any], summary: dict[str, Any]) -> None:
        import io

        try:
            if path.suffix.lower() == ".npz":
                import numpy as np

                arrays = {name: np.asarray(value) for name, value in outputs.items()}
                buf = io.BytesIO()
                np.savez(buf, **{k: (v if v.dtype.kind != "O" else v.astype(str)) for k, v in arrays.items()})
                data = buf.getvalue()
            else:
                data = json.dumps({**summary, "outputs": outputs_json(outputs)}, indent=2, ensure_ascii=False).encode()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # never overwrite
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        except FileExistsError:
            self.post_message(m.InferenceFileFailed("export", f"{path} exists already: nothing was overwritten."))
            return
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.post_message(m.InferenceFileFailed("export", f"Cannot write {path}: {reason}"))
            return
        self.post_message(m.InferenceExported(str(path), len(data)))

    @on(m.InferenceExported)
    def _exported(self, event: m.InferenceExported) -> None:
        self._last_dir = str(Path(event.path).parent)
        self.notify(f"{event.path} ({event.size:,} bytes)", title="Outputs exported")

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

        field = self.query_one("#inf-cid", Input)
        same = field.value.strip() == record.model
        with field.prevent(Input.Changed):
            field.value = record.model
        if not same:
            self.signature = None
            self.model_name = record.model_name
            self._sig_cid = None
            self._sig_state = "none"
            self._fetch_signature(record.model)
        self.set_mode(record.mode)
        self._set_editor_text(input_text(record.inputs or {}))
        self._check_now()
        self.outputs = outputs_from_json(record.outputs or {})
        self.last_run = record
        detail = record.detail or {}
        self._show_result(
            tx_hash=record.tx_hash, block=record.block, gas_used=record.gas_used, latency_s=record.latency_s,
            mode=record.mode, fee_wei=int(detail.get("fee_wei") or 0) or None, attestation=detail.get("attestation"),
            source=detail.get("source"), when=f"from history ({fmt_time(record.created_at, short=True)})",
        )
        self._show_outputs()
        self._editor().focus()


def _mode_name(mode: Any) -> str:
    if isinstance(mode, str):
        return mode.upper()
    try:
        return MODES[int(mode)]
    except (TypeError, ValueError, IndexError):
        return str(mode)
