"""The Workflows screen's work off the UI thread: core services, wallet unlock and the
transactions (deploy, run now, schedule).

:class:`WorkflowOps` is mixed into :class:`og_tui.tui.screens.workflows.WorkflowsScreen`.
Its workers call core and post ``Workflow*`` messages (and the app's ``TxSubmitted`` /
``TxConfirmed``, with each transaction recorded in the store); the screen's handlers own
every widget. Stop (Escape) cancels a worker, which gives up before anything is sent.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from textual import work
from textual.worker import get_current_worker

from og_tui.core.errors import user_message
from og_tui.tui import messages as m
from og_tui.tui.format import short_hash


class _Stopped(Exception):
    """The user pressed Stop before the transaction was sent."""


# --- core services (plain Python, used from worker threads) ---------------------------------


class WorkflowServices:
    """The AlphaClient, hub client and workflow book of the current profile."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._alpha: Any = None

    def hub(self) -> Any:
        from og_tui.tui.hub_session import hub_sessions

        return hub_sessions(self.ctx).client()

    def alpha(self) -> Any:
        chain = self.ctx.chain
        with self._lock:
            if self._alpha is None or self._alpha.chain is not chain:
                from og_tui.core.alpha import AlphaClient

                profile = self.ctx.profile

                def signature(cid: str) -> dict[str, Any] | None:
                    from og_tui.core.errors import OGError

                    try:
                        return self.hub().model_signature(cid)
                    except OGError:
                        return None  # the price feed's dry run still checks the shape

                self._alpha = AlphaClient(
                    chain,
                    signature_provider=signature,
                    scheduler_address=profile.scheduler_address,
                    price_feed_address=profile.price_feed_precompile,
                )
            return self._alpha

    def book(self) -> Any:
        from og_tui.core.alpha import WorkflowBook

        return WorkflowBook(self.ctx.settings.data_dir)


def flat_outputs(output: Any) -> dict[str, list[float]]:
    """A ModelOutput's numbers as ``{name: flat list of floats}``."""
    out: dict[str, list[float]] = {}
    for name, value in (getattr(output, "numbers", None) or {}).items():
        try:
            flat = value.ravel().tolist() if hasattr(value, "ravel") else list(value)
            out[name] = [float(x) for x in flat]
        except (TypeError, ValueError):
            continue
    return out


def short_address(address: str) -> str:
    return f"{address[:8]}…{address[-6:]}"


class WorkflowOps:
    """Wallet unlock and the transactions of the Workflows screen (deploy, run now, schedule).

    Mixed into :class:`WorkflowsScreen`: workers here call core and post ``Workflow*``
    messages; the screen's handlers own every widget.
    """

    # --- wallet ------------------------------------------------------------------------------------------------
    def _with_signer(self, then: Callable[[str], None]) -> None:
        """Run ``then(address)`` with the active wallet unlocked (see OGScreen.with_wallet)."""
        self.with_wallet(then, why="it signs the deploy and run transactions")

    def _status_callback(self, op: str, address_box: dict[str, Any], kind: str, summary: str,
                         on_stage: Callable[[str, dict], None] | None = None) -> Callable[[str, dict], None]:
        """``on_status`` for core calls: Stop before sending, record the tx, post the stage."""
        app = self.app
        ctx = app.ctx
        store = ctx.store
        worker = get_current_worker()

        def on_status(stage: str, info: dict[str, Any]) -> None:
            if worker.is_cancelled and stage in ("validating", "estimating", "signed"):
                raise _Stopped()
            if on_stage is not None:
                on_stage(stage, info)
            address = address_box.get("address")
            tx_kind = address_box.get("kind", kind)
            if stage == "sent":
                store.add_tx(hash=info["hash"], kind=tx_kind, status="pending", from_addr=address_box.get("from"),
                             to_addr=address, profile=ctx.profile.name, created_at=time.time())
                app.post_message(m.TxSubmitted(info["hash"], tx_kind, summary))
            elif stage == "mined":
                store.update_tx(info["hash"], status="confirmed", gas_used=info.get("gas_used"),
                                block=info.get("block"))
                app.post_message(m.TxConfirmed(info["hash"], tx_kind, "confirmed", info.get("gas_used"),
                                               info.get("block")))
            text = _stage_text(op, stage, info)
            if text:
                self.post_message(m.WorkflowStatus(op, address, stage, text))

        return on_status

    def _record_failure(self, exc: BaseException, kind: str) -> None:
        tx_hash = getattr(exc, "tx_hash", None)
        if tx_hash:
            try:
                self.app.ctx.store.update_tx(tx_hash, status="failed", error=str(exc))
            except Exception:  # noqa: BLE001
                pass
            self.app.post_message(m.TxConfirmed(tx_hash, kind, "failed", None, None))

    @work(thread=True, exclusive=True, group="wf-deploy", exit_on_error=False, description="deploy workflow")
    def _deploy_worker(self, spec: dict[str, Any], owner: str) -> None:
        from og_tui.core.alpha import query_to_dict
        from og_tui.core.errors import OGError

        app = self.app
        ctx = app.ctx
        signer = ctx.signer(owner)
        query = spec["query"]
        box: dict[str, Any] = {"from": owner, "kind": "workflow-deploy"}
        profile = ctx.profile.name
        book = self.services.book()

        def on_stage(stage: str, info: dict[str, Any]) -> None:
            if stage == "deployed":
                box["address"] = info["address"]
                box["kind"] = "workflow-schedule"
                book.add(profile, info["address"], model=spec["cid"], model_name=spec.get("model_key"),
                         input=spec["input_name"], query=query_to_dict(query), owner=owner)

        summary = f"Deploy workflow {query.base}/{query.quote}"
        op_id = app.begin_op("Deploying workflow")
        try:
            if signer is None:
                raise _NoSigner()
            on_status = self._status_callback("deploy", box, "workflow-deploy", summary, on_stage)
            alpha = self.services.alpha()
            address = alpha.new_workflow(signer, spec["cid"], query, spec["input_name"], None,
                                         signature=spec.get("signature"), on_status=on_status)
            scheduled = False
            sched = spec.get("schedule")
            if sched:
                from og_tui.tui.screens.workflow_dialogs import check_schedule_fields

                try:
                    frequency, end_time = check_schedule_fields(sched["frequency_text"], sched["until_text"])
                    alpha.register_task(signer, address, end_time, frequency, on_status=on_status)
                    scheduled = True
                except Exception as exc:  # noqa: BLE001 - deployed; only the schedule failed
                    self._record_failure(exc, "workflow-schedule")
                    text, hint = user_message(exc)
                    self.post_message(m.WorkflowDeployed(address, False))
                    self.post_message(m.WorkflowFailed(
                        "schedule", f"Deployed at {address}, but scheduling failed: {text}",
                        hint or "Select it and press s to schedule it again.", address=address))
                    return
            self.post_message(m.WorkflowDeployed(address, scheduled))
        except _Stopped:
            self.post_message(m.WorkflowFailed("deploy", "Stopped: nothing was sent.", spec=spec, cancelled=True))
        except _NoSigner:
            self.post_message(m.WorkflowFailed("deploy", "The wallet is locked again: unlock it and retry.",
                                               spec=spec))
        except Exception as exc:  # noqa: BLE001 - shown, and the form comes back filled in
            self._record_failure(exc, "workflow-deploy")
            text, hint = user_message(exc)
            address = box.get("address")
            if address:  # deployed, then something else failed
                self.post_message(m.WorkflowDeployed(address, False))
                self.post_message(m.WorkflowFailed("schedule", f"Deployed at {address}, but: {text}", hint,
                                                   address=address))
            else:
                field = getattr(exc, "field", None) if isinstance(exc, OGError) else None
                self.post_message(m.WorkflowFailed("deploy", text, hint, field=field, spec=spec))
        finally:
            app.end_op(op_id)

    def _report_failure(self, op: str, exc: BaseException, address: str, tx_kind: str) -> None:
        """A run or schedule worker failed: Stop before sending, a wallet locked meanwhile, or an error."""
        if isinstance(exc, _Stopped):
            self.post_message(m.WorkflowFailed(op, "Stopped: nothing was sent.", address=address, cancelled=True))
        elif isinstance(exc, _NoSigner):
            self.post_message(m.WorkflowFailed(op, "The wallet is locked again: unlock it and retry.", address=address))
        else:
            self._record_failure(exc, tx_kind)
            text, hint = user_message(exc)
            self.post_message(m.WorkflowFailed(op, text, hint, address=address))

    @work(thread=True, exclusive=True, group="wf-run", exit_on_error=False, description="run workflow")
    def _run_worker(self, address: str, owner: str, title: str) -> None:
        app = self.app
        signer = app.ctx.signer(owner)
        box = {"from": owner, "address": address, "kind": "workflow-run"}
        summary = f"Run {title}"
        op_id = app.begin_op("Running workflow")
        try:
            if signer is None:
                raise _NoSigner()
            on_status = self._status_callback("run", box, "workflow-run", summary)
            outcome = self.services.alpha().run_workflow_tx(signer, address, on_status=on_status)
            tx = outcome.tx
            self.post_message(m.WorkflowResult(address, flat_outputs(outcome.output), getattr(tx, "hash", None),
                                               getattr(tx, "block", None), getattr(tx, "gas_used", None)))
        except Exception as exc:  # noqa: BLE001 - every failure is shown on the screen
            self._report_failure("run", exc, address, "workflow-run")
        finally:
            app.end_op(op_id)

    @work(thread=True, exclusive=True, group="wf-schedule", exit_on_error=False, description="schedule workflow")
    def _schedule_worker(self, address: str, owner: str, data: dict[str, Any]) -> None:
        from og_tui.tui.screens.workflow_dialogs import check_schedule_fields

        app = self.app
        signer = app.ctx.signer(owner)
        box = {"from": owner, "address": address, "kind": "workflow-schedule"}
        op_id = app.begin_op("Scheduling workflow")
        try:
            if signer is None:
                raise _NoSigner()
            # recomputed: "for 2 hours" counts from now, not from when the dialog closed
            frequency, end_time = check_schedule_fields(data["frequency_text"], data["until_text"])
            on_status = self._status_callback("schedule", box, "workflow-schedule", f"Schedule {short_address(address)}")
            self.services.alpha().register_task(signer, address, end_time, frequency, on_status=on_status)
            self.post_message(m.WorkflowScheduled(address, frequency, end_time))
        except Exception as exc:  # noqa: BLE001 - every failure is shown on the screen
            self._report_failure("schedule", exc, address, "workflow-schedule")
        finally:
            app.end_op(op_id)


class _NoSigner(Exception):
    """The wallet was locked between the unlock and the worker."""


def _stage_text(op: str, stage: str, info: dict[str, Any]) -> str | None:
    verb = {"deploy": "Deploy", "run": "Run", "schedule": "Schedule"}.get(op, op)
    if stage == "validating":
        return f"{verb}: checking the query with the network…"
    if stage == "estimating":
        return f"{verb}: estimating gas…"
    if stage == "signed":
        return f"{verb}: signed, sending…"
    if stage == "sent":
        return f"{verb}: sent {short_hash(info.get('hash'), 10, 4)}, waiting for the block…"
    if stage == "mined":
        gas = info.get("gas_used")
        return f"{verb}: mined in block {info.get('block')}" + (f" · gas {gas:,}" if gas else "")
    if stage == "retry":
        return f"{verb}: nonce conflict, retrying…"
    if stage == "deployed":
        return f"Deployed at {short_address(info.get('address', ''))}"
    if stage == "scheduling":
        return f"Registering with the scheduler (every {info.get('frequency')} s)…"
    if stage == "scheduled":
        return f"Scheduled every {info.get('frequency')} s"
    if stage == "reading":
        return f"{verb}: reading the result…"
    return None
