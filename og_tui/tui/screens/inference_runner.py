"""The on-chain run of the Inference screen: Run (ctrl+r / ctrl+j) after the input checks,
the run worker that calls core and records the transaction and the result in the store,
live status per stage, and Stop (esc: cancel before signing, or stop waiting for the block).

The worker posts the messages nested here (:class:`InferenceRunner.Status`,
:class:`~InferenceRunner.Finished`, :class:`~InferenceRunner.Failed`); the handlers below
(naming convention, ``on_inference_runner_*``) update the status line and the outputs.
Mixed into :class:`~og_tui.tui.screens.inference.InferenceScreen`, which owns the widgets.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message

from og_tui.core.errors import user_message
from og_tui.tui import messages as m
from og_tui.tui.format import short_hash
from og_tui.tui.screens.inference_files import mode_name
from og_tui.tui.screens.inference_io import fit_outputs, jsonable_input
from og_tui.tui.widgets.tensor_table import TensorTable, outputs_json

_log = logging.getLogger(__name__)

STAGES = {
    "encoding": "encoding the input",
    "estimating": "estimating gas",
    "signed": "signed",
    "sent": "sent",
    "retry": "retrying (nonce)",
    "mined": "mined",
    "fetching": "fetching the result from the node API",
}


class InferenceRunner:
    """Run, its worker, its messages and Stop (mixed into InferenceScreen)."""

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

    # --- run --------------------------------------------------------------------------------------------
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

    def on_inference_runner_status(self, event: "InferenceRunner.Status") -> None:
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

    def on_inference_runner_finished(self, event: "InferenceRunner.Finished") -> None:
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

    def on_inference_runner_failed(self, event: "InferenceRunner.Failed") -> None:
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
