"""``og-tui workflow ...``: alpha price-feed workflows from scripts.

    og-tui workflow list                          # the 7 public workflow models + yours
    og-tui workflow new --model CID --pair ETH/USDT --candles 10 --duration 60 \\
        --types open,high,low,close --input open_high_low_close [--frequency 60 --hours 2]
    og-tui workflow run 0x...                     # run now (a transaction)
    og-tui workflow result 0x...                  # latest result
    og-tui workflow history 0x... -n 10           # most recent first
    og-tui workflow info 0x...                    # model, query, schedule, next run
    og-tui workflow schedule 0x... --frequency 60 --hours 2

Every command takes ``--json``. The query is checked against the model's input
signature and dry-run on the network's price feed before anything is deployed.
"""

from __future__ import annotations

import time
from typing import Any, Optional

import click

from og_tui.cli._common import (
    emit,
    handle_errors,
    history,
    json_option,
    open_chain,
    progress,
    settings_of,
    wallet_store,
)
from og_tui.core.history import TxRecorder


def _alpha(settings: Any, chain: Any):
    from og_tui.core.alpha import AlphaClient

    profile = settings.profile

    def signature(cid: str) -> Optional[dict]:
        import os

        from og_tui.core.errors import OGError
        from og_tui.core.hub import HubClient

        try:
            with HubClient(
                profile.hub_url,
                profile.auth_url,
                getattr(profile, "firebase_api_key", None) or os.environ.get("FIREBASE_API_KEY") or None,
            ) as hub:
                return hub.model_signature(cid)
        except OGError:
            return None  # the price-feed dry run still checks the shape

    return AlphaClient(
        chain,
        signature_provider=signature,
        scheduler_address=profile.scheduler_address,
        price_feed_address=profile.price_feed_precompile,
    )


def _signer(settings: Any, wallet: Optional[str]):
    from og_tui.cli.account import _resolve_wallet, _unlock

    store = wallet_store(settings)
    info = _resolve_wallet(store, wallet)
    return _unlock(store, info)


def _fmt_time(ts: Optional[int]) -> str:
    if not ts:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _output_text(output: Any) -> str:
    lines = []
    for kind in ("numbers", "strings", "jsons"):
        for name, value in (getattr(output, kind) or {}).items():
            shown = value.tolist() if hasattr(value, "tolist") else value
            lines.append(f"  {name} = {shown}")
    return "\n".join(lines) if lines else "  (no result yet: the workflow has not run)"


def _status_printer(as_json: bool):
    def on_status(stage: str, data: dict) -> None:
        if stage == "sent":
            progress(as_json, f"sent {data.get('hash')}, waiting for the receipt...")
        elif stage == "deployed":
            progress(as_json, f"deployed at {data.get('address')}")
        elif stage == "scheduling":
            progress(as_json, f"registering with the scheduler (every {data.get('frequency')} s)...")
        elif stage == "retry":
            progress(as_json, f"nonce conflict, retrying ({data.get('attempt')})...")

    return on_status


@click.group()
def workflow() -> None:
    """Alpha workflows: price candles -> a model, on chain, on a schedule."""


@workflow.command("new")
@click.option("--model", "model_cid", required=True, help="Model file CID (from og-tui hub files).")
@click.option("--input", "input_name", required=True, help="The model's input tensor name.")
@click.option("--pair", default=None, help="Pair as BASE/QUOTE, e.g. ETH/USDT.")
@click.option("--base", default=None, help="Base asset (instead of --pair).")
@click.option("--quote", default=None, help="Quote asset (instead of --pair).")
@click.option("--candles", "total_candles", type=int, required=True, help="Number of candles fed to the model.")
@click.option("--duration", "duration", type=int, required=True, help="Candle duration in minutes.")
@click.option(
    "--order",
    type=click.Choice(["asc", "desc", "ascending", "descending"], case_sensitive=False),
    default="asc",
    show_default=True,
    help="Candle order (asc: oldest first).",
)
@click.option(
    "--types",
    "types",
    default="open,high,low,close",
    show_default=True,
    help="Candle types, comma separated, in tensor column order (high, low, open, close, volume).",
)
@click.option("--frequency", type=int, default=None, help="Also schedule: seconds between runs.")
@click.option("--hours", type=float, default=None, help="Also schedule: for how many hours (default 2).")
@click.option("--from", "wallet", default=None, help="Deploying wallet (address or name; default: active).")
@click.option("--no-check", is_flag=True, help="Skip the model signature check (the price-feed dry run still runs).")
@json_option
@click.pass_context
@handle_errors
def new_cmd(
    ctx: click.Context,
    model_cid: str,
    input_name: str,
    pair: Optional[str],
    base: Optional[str],
    quote: Optional[str],
    total_candles: int,
    duration: int,
    order: str,
    types: str,
    frequency: Optional[int],
    hours: Optional[float],
    wallet: Optional[str],
    no_check: bool,
    as_json: bool,
) -> None:
    """Deploy a workflow contract (optionally scheduled)."""
    from og_tui.core.alpha import WorkflowBook, check_query, check_schedule, query_to_dict
    from og_tui.core.errors import ValidationError
    from og_tui.core.types import HistoricalInputQuery, SchedulerParams

    if pair:
        if "/" not in pair:
            raise ValidationError(f"--pair must look like BASE/QUOTE (e.g. ETH/USDT), not {pair!r}.", field="pair")
        base, quote = pair.split("/", 1)
    if not base or not quote:
        raise ValidationError("Give --pair BASE/QUOTE (or --base and --quote).", field="pair")
    query = check_query(
        HistoricalInputQuery(
            base,
            quote,
            total_candles,
            duration,
            "DESCENDING" if order.lower().startswith("d") else "ASCENDING",
            [t for t in types.replace(" ", "").split(",") if t],
        )
    )
    params = None
    if frequency is not None or hours is not None:
        params = SchedulerParams(
            frequency=frequency if frequency is not None else 600, duration_hours=hours if hours is not None else 2
        )
        check_schedule(params)  # before unlocking anything
    settings = settings_of(ctx)
    chain, _devnet = open_chain(settings, as_json)
    with chain:
        alpha = _alpha(settings, chain)
        signer = _signer(settings, wallet)
        with history(settings) as store:
            recorder = TxRecorder(
                store,
                settings.profile_name,
                "workflow-deploy",
                from_addr=signer.address,
                detail={"model": model_cid, "source": "cli"},
                kind_after={"scheduling": "workflow-schedule"},
                then=_status_printer(as_json),
            )
            try:
                address = alpha.new_workflow(
                    signer, model_cid, query, input_name, params, validate_signature=not no_check, on_status=recorder
                )
            except BaseException as exc:
                recorder.failed(exc)
                raise
        owner = signer.address
        del signer
        WorkflowBook(settings.data_dir).add(
            settings.profile_name, address, model=model_cid, input=input_name, query=query_to_dict(query), owner=owner
        )
        info = alpha.workflow_info(address)
    data = info.as_dict()
    text = (
        f"Workflow deployed at {address}\n  model {model_cid}\n  query {query.base}/{query.quote}, "
        f"{query.total_candles} x {query.candle_duration_in_mins} min candles"
    )
    if info.schedule:
        text += f"\n  scheduled every {info.schedule.frequency} s until {_fmt_time(info.schedule.end_time)}"
    emit(as_json, data, text)


@workflow.command("run")
@click.argument("address")
@click.option("--from", "wallet", default=None, help="Wallet that pays for the run (default: active).")
@json_option
@click.pass_context
@handle_errors
def run_cmd(ctx: click.Context, address: str, wallet: Optional[str], as_json: bool) -> None:
    """Run a workflow now and print its output."""
    from og_tui.core.alpha import output_to_dict

    settings = settings_of(ctx)
    chain, _devnet = open_chain(settings, as_json)
    with chain:
        alpha = _alpha(settings, chain)
        address = alpha.require_workflow(address)
        signer = _signer(settings, wallet)
        with history(settings) as store:
            recorder = TxRecorder(
                store,
                settings.profile_name,
                "workflow-run",
                from_addr=signer.address,
                to_addr=address,
                detail={"source": "cli"},
                then=_status_printer(as_json),
            )
            try:
                outcome = alpha.run_workflow_tx(signer, address, on_status=recorder)
            except BaseException as exc:
                recorder.failed(exc)
                raise
        del signer
    data = {
        "address": address,
        "tx": outcome.tx.as_dict() if outcome.tx else None,
        "output": output_to_dict(outcome.output),
    }
    emit(as_json, data, f"Ran {address} in block {outcome.tx.block}\n{_output_text(outcome.output)}")


@workflow.command("result")
@click.argument("address")
@json_option
@click.pass_context
@handle_errors
def result_cmd(ctx: click.Context, address: str, as_json: bool) -> None:
    """The latest result of a workflow."""
    from og_tui.core.alpha import output_to_dict

    settings = settings_of(ctx)
    chain, _devnet = open_chain(settings, as_json)
    with chain:
        alpha = _alpha(settings, chain)
        address = alpha.require_workflow(address)
        output = alpha.read_workflow_result(address)
        times = alpha.run_times(address, 1)
    data = {"address": address, "time": times[0] if times else None, "output": output_to_dict(output)}
    emit(as_json, data, f"{address} (run at {_fmt_time(data['time'])})\n{_output_text(output)}")


@workflow.command("history")
@click.argument("address")
@click.option("-n", "--num", "num", type=int, default=10, show_default=True, help="How many results.")
@json_option
@click.pass_context
@handle_errors
def history_cmd(ctx: click.Context, address: str, num: int, as_json: bool) -> None:
    """The last results of a workflow, most recent first."""
    from og_tui.core.alpha import output_to_dict

    settings = settings_of(ctx)
    chain, _devnet = open_chain(settings, as_json)
    with chain:
        alpha = _alpha(settings, chain)
        address = alpha.require_workflow(address)
        runs = alpha.read_history_with_times(address, num)
    data = {"address": address, "results": [{"time": r.time, "output": output_to_dict(r.output)} for r in runs]}
    lines = [f"{address}: {len(runs)} result(s), most recent first"]
    for r in runs:
        lines.append(f"- {_fmt_time(r.time)}")
        lines.append(_output_text(r.output))
    emit(as_json, data, "\n".join(lines))


@workflow.command("info")
@click.argument("address")
@json_option
@click.pass_context
@handle_errors
def info_cmd(ctx: click.Context, address: str, as_json: bool) -> None:
    """Model, query, schedule and next run of a workflow."""
    settings = settings_of(ctx)
    chain, _devnet = open_chain(settings, as_json)
    with chain:
        info = _alpha(settings, chain).workflow_info(address)
    q = info.query
    text = [
        f"workflow {info.address}",
        f"  model      {info.model_id}",
        f"  input      {info.input_name}",
        f"  query      {q.base}/{q.quote}, {q.total_candles} x {q.candle_duration_in_mins} min, "
        f"{getattr(q.order, 'name', q.order)}, [{', '.join(getattr(t, 'name', str(t)) for t in q.candle_types)}]",
        f"  results    {info.result_count if info.result_count is not None else '?'} (last {_fmt_time(info.last_run_time)})",
    ]
    if info.schedule:
        s = info.schedule
        text.append(
            f"  schedule   every {s.frequency} s until {_fmt_time(s.end_time)} "
            f"({'active' if s.active() else 'ended'}), next run {_fmt_time(info.next_run)}"
        )
    else:
        text.append("  schedule   not scheduled")
    emit(as_json, info.as_dict(), "\n".join(text))


@workflow.command("schedule")
@click.argument("address")
@click.option("--frequency", type=int, required=True, help="Seconds between runs.")
@click.option("--hours", type=float, default=2, show_default=True, help="For how many hours.")
@click.option("--from", "wallet", default=None, help="Wallet that registers the task (default: active).")
@json_option
@click.pass_context
@handle_errors
def schedule_cmd(
    ctx: click.Context, address: str, frequency: int, hours: float, wallet: Optional[str], as_json: bool
) -> None:
    """Register a workflow with the scheduler."""
    from og_tui.core.alpha import check_schedule
    from og_tui.core.types import SchedulerParams

    params = SchedulerParams(frequency=frequency, duration_hours=hours)
    end_time, _ = check_schedule(params)
    settings = settings_of(ctx)
    chain, _devnet = open_chain(settings, as_json)
    with chain:
        alpha = _alpha(settings, chain)
        alpha.require_workflow(address)
        signer = _signer(settings, wallet)
        with history(settings) as store:
            recorder = TxRecorder(
                store,
                settings.profile_name,
                "workflow-schedule",
                from_addr=signer.address,
                to_addr=address,
                detail={"frequency": frequency, "source": "cli"},
                then=_status_printer(as_json),
            )
            try:
                outcome = alpha.schedule(signer, address, params, on_status=recorder)
            except BaseException as exc:
                recorder.failed(exc)
                raise
        del signer
        sched = alpha.get_schedule(address)
    data = {"address": address, "tx": outcome.as_dict(), "schedule": sched.as_dict() if sched else None}
    emit(as_json, data, f"{address} runs every {frequency} s until {_fmt_time(sched.end_time if sched else end_time)}")


@workflow.command("list")
@json_option
@click.pass_context
@handle_errors
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """The public workflow models (latest forecast) and the workflows deployed from here."""
    from og_tui.core.alpha import WorkflowBook
    from og_tui.core.workflow_models import read_workflow_model, workflow_models

    settings = settings_of(ctx)
    profile = settings.profile
    chain, _devnet = open_chain(settings, as_json)
    rows = []
    with chain:
        alpha = _alpha(settings, chain)
        for m in workflow_models(profile):
            row = {
                "kind": "model",
                "name": m.function,
                "title": m.title,
                "address": m.address,
                "output": m.output_key,
                "result": None,
                "link": None,
                "error": None,
            }
            try:
                out = read_workflow_model(alpha, m, profile.explorer_url)
                row["result"], row["link"] = out.result, out.block_explorer_link or None
            except RuntimeError as exc:
                row["error"] = str(exc)
            rows.append(row)
        for entry in WorkflowBook(settings.data_dir).list(settings.profile_name):
            row = {
                "kind": "mine",
                "name": None,
                "title": None,
                "address": entry["address"],
                "output": None,
                "result": None,
                "link": None,
                "error": None,
                "model": entry.get("model"),
                "query": entry.get("query"),
            }
            try:
                out = alpha.read_workflow_result(entry["address"])
                row["result"] = {k: v.tolist() for k, v in out.numbers.items()}
            except Exception as exc:  # noqa: BLE001 - one broken entry must not hide the others
                row["error"] = str(exc)
            rows.append(row)
    lines = []
    for r in rows:
        label = (
            r["title"] or f"mine {r.get('query', {}).get('base', '?')}/{r.get('query', {}).get('quote', '?')}"
            if r["kind"] == "mine"
            else r["title"]
        )
        shown = r["result"] if r["result"] is not None else f"({r['error']})"
        lines.append(f"{r['address']}  {label:<28} {shown}")
    emit(as_json, rows, "\n".join(lines) if lines else "No workflows.")
