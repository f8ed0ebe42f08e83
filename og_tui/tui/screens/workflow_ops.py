"""The Workflows screen's work off the UI thread: core services, wallet unlock and the
transactions (deploy, run now, schedule).

:class:`WorkflowOps` is mixed into :class:`og_tui.tui.screens.workflows.WorkflowsScreen`.
Its workers call core and post ``Workflow*`` messages (and the app's ``TxSubmitted`` /
``TxConfirmed``, with each transaction recorded in the store); the screen's handlers own
every widget. Stop (Escape) cancels a worker, which gives up before anything is sent.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from og_tui.core.errors import user_message
from og_tui.tui import messages as m
from og_tui.tui.format import short_address, short_hash

_log = logging.getLogger(__name__)


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


class WorkflowOps:
    """Wallet unlock and the transactions of the Workflows screen (deploy, run now, schedule).

    Mixed into :class:`WorkflowsScreen`: workers here call core and post the messages
    nested below; the handlers at the end (naming-convention, ``on_workflow_ops_*``) update
    the screen's list and detail pane.
    """

    class Status(Message, bubble=False):
        """Live status of a deploy / run / schedule in flight (``op``), e.g. "sent 0xab…"."""

        def __init__(self, op: str, address: str | None, stage: str, text: str) -> None:
            super().__init__()
            self.op = op
            self.address = address
            self.stage = stage
            self.text = text

    class Result(Message, bubble=False):
        """A run now finished: its outputs (name -> flat numbers) and the mined transaction."""

        def __init__(
            self,
            address: str,
            outputs: dict[str, list[float]],
            tx_hash: str | None = None,
            block: int | None = None,
            gas_used: int | None = None,
        ) -> None:
            super().__init__()
            self.address = address
            self.outputs = outputs
            self.tx_hash = tx_hash
            self.block = block
            self.gas_used = gas_used

    class Deployed(Message, bubble=False):
        """A workflow contract was deployed from this wallet (and scheduled when asked)."""

        def __init__(self, address: str, scheduled: bool, tx_hash: str | None = None) -> None:
            super().__init__()
            self.address = address
            self.scheduled = scheduled
            self.tx_hash = tx_hash

    class Scheduled(Message, bubble=False):
        def __init__(self, address: str, frequency: int, end_time: int) -> None:
            super().__init__()
            self.address = address
            self.frequency = frequency
            self.end_time = end_time

    class Failed(Message, bubble=False):
        """A deploy / run / schedule failed or was stopped. ``spec`` holds what the user typed
        (a create form's values), so the form can come back with nothing lost."""

        def __init__(
            self,
            op: str,
            text: str,
            hint: str | None = None,
            *,
            address: str | None = None,
            field: str | None = None,
            spec: dict[str, Any] | None = None,
            cancelled: bool = False,
        ) -> None:
            super().__init__()
            self.op = op
            self.text = text
            self.hint = hint
            self.address = address
            self.field = field
            self.spec = spec
            self.cancelled = cancelled

    # --- wallet ------------------------------------------------------------------------------------------------
    def _with_signer(self, then: Callable[[str], None]) -> None:
        """Run ``then(address)`` with the active wallet unlocked (see OGScreen.with_wallet)."""
        self.with_wallet(then, why="it signs the deploy and run transactions")

    def _status_callback(
        self,
        op: str,
        address_box: dict[str, Any],
        kind: str,
        summary: str,
        on_stage: Callable[[str, dict], None] | None = None,
    ) -> Callable[[str, dict], None]:
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
                store.add_tx(
                    hash=info["hash"],
                    kind=tx_kind,
                    status="pending",
                    from_addr=address_box.get("from"),
                    to_addr=address,
                    profile=ctx.profile.name,
                    created_at=time.time(),
                )
                app.post_message(m.TxSubmitted(info["hash"], tx_kind, summary))
            elif stage == "mined":
                store.update_tx(
                    info["hash"], status="confirmed", gas_used=info.get("gas_used"), block=info.get("block")
                )
                app.post_message(
                    m.TxConfirmed(info["hash"], tx_kind, "confirmed", info.get("gas_used"), info.get("block"))
                )
            text = _stage_text(op, stage, info)
            if text:
                self.post_message(self.Status(op, address, stage, text))

        return on_status

    def _record_failure(self, exc: BaseException, kind: str) -> None:
        tx_hash = getattr(exc, "tx_hash", None)
        if tx_hash:
            try:
                self.app.ctx.store.update_tx(tx_hash, status="failed", error=str(exc))
            except Exception:  # noqa: BLE001
                _log.debug("could not mark the failed workflow transaction in the history", exc_info=True)
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
                book.add(
                    profile,
                    info["address"],
                    model=spec["cid"],
                    model_name=spec.get("model_key"),
                    input=spec["input_name"],
                    query=query_to_dict(query),
                    owner=owner,
                )

        summary = f"Deploy workflow {query.base}/{query.quote}"
        op_id = app.begin_op("Deploying workflow")
        try:
            if signer is None:
                raise _NoSigner()
            on_status = self._status_callback("deploy", box, "workflow-deploy", summary, on_stage)
            alpha = self.services.alpha()
            address = alpha.new_workflow(
                signer,
                spec["cid"],
                query,
                spec["input_name"],
                None,
                signature=spec.get("signature"),
                on_status=on_status,
            )
            scheduled = False
            sched = spec.get("schedule")
            if sched:
                from og_tui.tui.screens.workflow_fields import check_schedule_fields

                try:
                    frequency, end_time = check_schedule_fields(sched["frequency_text"], sched["until_text"])
                    alpha.register_task(signer, address, end_time, frequency, on_status=on_status)
                    scheduled = True
                except Exception as exc:  # noqa: BLE001 - deployed; only the schedule failed
                    self._record_failure(exc, "workflow-schedule")
                    text, hint = user_message(exc)
                    self.post_message(self.Deployed(address, False))
                    self.post_message(
                        self.Failed(
                            "schedule",
                            f"Deployed at {address}, but scheduling failed: {text}",
                            hint or "Select it and press s to schedule it again.",
                            address=address,
                        )
                    )
                    return
            self.post_message(self.Deployed(address, scheduled))
        except _Stopped:
            self.post_message(self.Failed("deploy", "Stopped: nothing was sent.", spec=spec, cancelled=True))
        except _NoSigner:
            self.post_message(self.Failed("deploy", "The wallet is locked again: unlock it and retry.", spec=spec))
        except Exception as exc:  # noqa: BLE001 - shown, and the form comes back filled in
            self._record_failure(exc, "workflow-deploy")
            text, hint = user_message(exc)
            address = box.get("address")
            if address:  # deployed, then something else failed
                self.post_message(self.Deployed(address, False))
                self.post_message(self.Failed("schedule", f"Deployed at {address}, but: {text}", hint, address=address))
            else:
                field = getattr(exc, "field", None) if isinstance(exc, OGError) else None
                self.post_message(self.Failed("deploy", text, hint, field=field, spec=spec))
        finally:
            app.end_op(op_id)

    def _report_failure(self, op: str, exc: BaseException, address: str, tx_kind: str) -> None:
        """A run or schedule worker failed: Stop before sending, a wallet locked meanwhile, or an error."""
        if isinstance(exc, _Stopped):
            self.post_message(self.Failed(op, "Stopped: nothing was sent.", address=address, cancelled=True))
        elif isinstance(exc, _NoSigner):
            self.post_message(self.Failed(op, "The wallet is locked again: unlock it and retry.", address=address))
        else:
            self._record_failure(exc, tx_kind)
            text, hint = user_message(exc)
            self.post_message(self.Failed(op, text, hint, address=address))

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
            self.post_message(
                self.Result(
                    address,
                    flat_outputs(outcome.output),
                    getattr(tx, "hash", None),
                    getattr(tx, "block", None),
                    getattr(tx, "gas_used", None),
                )
            )
        except Exception as exc:  # noqa: BLE001 - every failure is shown on the screen
            self._report_failure("run", exc, address, "workflow-run")
        finally:
            app.end_op(op_id)

    @work(thread=True, exclusive=True, group="wf-schedule", exit_on_error=False, description="schedule workflow")
    def _schedule_worker(self, address: str, owner: str, data: dict[str, Any]) -> None:
        from og_tui.tui.screens.workflow_fields import check_schedule_fields

        app = self.app
        signer = app.ctx.signer(owner)
        box = {"from": owner, "address": address, "kind": "workflow-schedule"}
        op_id = app.begin_op("Scheduling workflow")
        try:
            if signer is None:
                raise _NoSigner()
            # recomputed: "for 2 hours" counts from now, not from when the dialog closed
            frequency, end_time = check_schedule_fields(data["frequency_text"], data["until_text"])
            on_status = self._status_callback(
                "schedule", box, "workflow-schedule", f"Schedule {short_address(address)}"
            )
            self.services.alpha().register_task(signer, address, end_time, frequency, on_status=on_status)
            self.post_message(self.Scheduled(address, frequency, end_time))
        except Exception as exc:  # noqa: BLE001 - every failure is shown on the screen
            self._report_failure("schedule", exc, address, "workflow-schedule")
        finally:
            app.end_op(op_id)

    # --- operations (transactions) --------------------------------------------------------------------------------
    def _begin(self, group: str, address: str | None, worker: Any) -> None:
        self._ops[group] = worker
        self.refresh_bindings()

    def _end(self, group: str) -> None:
        self._ops.pop(group, None)
        self.refresh_bindings()

    def _set_status(self, address: str | None, text: str, kind: str = "busy") -> None:
        self._status[address or ""] = (text, kind)
        if address is None or address == self.selected:
            self._show_status()

    # deploy ---------------------------------------------------------------------------------------------------------
    def _deploy_begin(self, spec: dict[str, Any]) -> None:
        """The form is filled in: estimate the deployment and show it for review first."""
        owner = self.app.net.address
        if not owner:
            return
        self._set_status(None, "Estimating the deployment…")
        self._deploy_review(spec, owner)

    @work(thread=True, exclusive=True, group="wf-review", exit_on_error=False, description="estimate deploy")
    def _deploy_review(self, spec: dict[str, Any], owner: str) -> None:
        from og_tui.tui.format import fmt_units

        app = self.app
        ctx = app.ctx
        query = spec["query"]
        try:
            alpha = self.services.alpha()
            data = alpha.deploy_data(str(spec["cid"]).strip(), str(spec["input_name"]).strip(), query)
            tx = {"from": owner, "value": 0, "data": data}
            gas = ctx.chain.estimate_gas(tx)
            price = ctx.chain.gas_price()
        except Exception as exc:  # noqa: BLE001 - the form comes back with the reason
            text, hint = user_message(exc)
            self.post_message(self.Failed("deploy", f"The deployment cannot be estimated: {text}", hint, spec=spec))
            return
        limit = int(gas * 1.2)
        lines = [
            f"Deploy   a workflow reading {query.base}/{query.quote}, "
            f"{query.total_candles} × {query.candle_duration_in_mins} min candles",
            f"Model    {spec['cid']} (input {spec['input_name']})",
            f"Gas      {gas:,} × {fmt_units(price, 9, 3)} gwei ≈ {fmt_units(gas * price, 18, 8)} OG "
            f"(at most {fmt_units(limit * price, 18, 8)} OG)",
            f"From     {owner}",
            f"Network  {ctx.profile.name} (chain {ctx.profile.chain_id})",
        ]
        sched = spec.get("schedule")
        if sched:
            lines.insert(
                2,
                f"Then     schedule it every {sched['frequency_text']} s until {sched['until_text']} "
                "(a second transaction)",
            )

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._set_status(None, "Deploying the workflow…")
                self._begin("wf-deploy", None, self._deploy_worker(spec, owner))
            else:  # back to the form, everything still typed
                self._status.pop("", None)
                self._show_status()
                self.action_new(spec=spec)

        from og_tui.tui.screens.modals import ConfirmDialog

        app.call_from_thread(app.push_screen, ConfirmDialog("Deploy this workflow?", lines, "Deploy"), confirmed)

    def on_workflow_ops_deployed(self, event: "WorkflowOps.Deployed") -> None:
        self._end("wf-deploy")
        self._status.pop("", None)
        self.selected = event.address
        self.rebuild()
        self._set_status(
            event.address,
            f"Deployed{' and scheduled' if event.scheduled else ''} · r runs it now"
            + ("" if event.scheduled else " · s schedules it"),
            "ok",
        )
        self.notify(f"{event.address}", title="Workflow deployed" + (" and scheduled" if event.scheduled else ""))
        if self._visible and self.autoload:
            self.poll_detail()
            self.poll_list()

    # run ---------------------------------------------------------------------------------------------------------------
    def on_workflow_ops_result(self, event: "WorkflowOps.Result") -> None:
        self._end("wf-run")
        self._latest[event.address] = event.outputs
        where = f" in block {event.block}" if event.block is not None else ""
        gas = f" · gas {event.gas_used:,}" if event.gas_used is not None else ""
        self._set_status(event.address, f"Ran now{where}{gas}", "ok")
        self._update_latest_cell(event.address)
        if event.address == self.selected:
            self.show_detail()
        if self._visible and self.autoload:
            self.poll_detail()

    # schedule ---------------------------------------------------------------------------------------------------------
    def on_workflow_ops_scheduled(self, event: "WorkflowOps.Scheduled") -> None:
        self._end("wf-schedule")
        until = time.strftime("%m-%d %H:%M", time.localtime(event.end_time))
        self._set_status(event.address, f"Scheduled every {event.frequency} s until {until}", "ok")
        self.notify(f"Runs every {event.frequency} s until {until}", title="Workflow scheduled")
        if self._visible and self.autoload:
            self.poll_detail()

    # status and failures --------------------------------------------------------------------------------------------
    def on_workflow_ops_status(self, event: "WorkflowOps.Status") -> None:
        self._set_status(event.address, event.text, "busy")

    def on_workflow_ops_failed(self, event: "WorkflowOps.Failed") -> None:
        group = {"deploy": "wf-deploy", "run": "wf-run", "schedule": "wf-schedule"}.get(event.op)
        if group:
            self._end(group)
            if event.op == "schedule" and event.address and "wf-deploy" in self._ops:
                self._end("wf-deploy")
        if event.op == "deploy":
            self._status.pop("", None)
            self._show_status()
        text = event.text if not event.hint else f"{event.text}\n{event.hint}"
        title = {"deploy": "Deploy failed", "run": "Run failed", "schedule": "Schedule failed"}.get(
            event.op, "Workflows"
        )
        if event.cancelled:
            title = "Stopped"
        if event.address:
            self._set_status(event.address, event.text, "error" if not event.cancelled else "ok")
        self.notify(text, title=title, severity="warning" if event.cancelled else "error", timeout=10)
        if event.op == "deploy" and event.spec is not None and not event.cancelled:
            # the form comes back with everything typed and the reason beside it
            self.action_new(spec=event.spec, error=event.text)


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
