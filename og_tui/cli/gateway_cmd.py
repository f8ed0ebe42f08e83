"""``og-tui gateway``: an OpenAI-compatible server on 127.0.0.1 paid from the wallet.

    og-tui gateway keys new editor --per-request 0.01 --per-day 1 --total 10
    og-tui gateway [--port 8746]          # unlocks the wallet, serves until Ctrl-C
    og-tui gateway keys list | revoke ID | requests

Budgets are OUSDC amounts (the profile's payment token) on top of the global caps
(settings ``llm_cap_per_request`` / ``llm_cap_per_run``); ``--opg-per-request``,
``--opg-per-day`` and ``--opg-total`` are OPG amounts for x402 v2 payments, on top of the
global OPG caps (``llm_cap_opg_per_request`` / ``llm_cap_opg_per_run``). A key with budgets
in one token only may not pay in the other. The key's secret is shown once,
at ``keys new``; only its hash is kept, in the app's og-tui.db.
"""

from __future__ import annotations

import time
from typing import Any, Optional

import click

from og_tui.cli._common import emit, handle_errors, json_option, open_chain, progress, settings_of

SETTLEMENTS = ["settle", "settle-metadata", "settle-batch"]


def _book(ctx: click.Context) -> Any:
    from og_tui.serve.keys import KeyBook

    settings = settings_of(ctx)
    settings.ensure_dirs()
    book = KeyBook(settings.db_path)
    ctx.call_on_close(book.close)
    return book


def _units(ctx: click.Context, text: Optional[str], what: str, *, opg: bool = False) -> Optional[int]:
    """A budget option's text in atomic units: the profile's payment token, or OPG (``opg``)."""
    if text is None or text.strip().lower() in ("", "none"):
        return None
    from og_tui.core import constants
    from og_tui.core.amounts import parse_amount
    from og_tui.core.errors import ValidationError

    prof = settings_of(ctx).profile
    decimals = constants.OPG_DECIMALS if opg else prof.payment_token_decimals
    symbol = constants.OPG_NAME if opg else prof.payment_token_symbol
    try:
        return parse_amount(text, decimals, allow_zero=True, field=what)
    except ValidationError as exc:
        raise ValidationError(f"--{what}: {exc}", hint=f"Give the budget in {symbol}, e.g. 0.5, or none.") from None


def _fmt(ctx: click.Context, units: Optional[int], token: Optional[str] = None) -> str:
    """``units`` of the payment token, or of ``token`` when it is OPG."""
    if units is None:
        return "-"
    from og_tui.core import constants
    from og_tui.core.amounts import format_amount

    if token == constants.OPG_NAME:
        return f"{format_amount(int(units), constants.OPG_DECIMALS)} {constants.OPG_NAME}"
    prof = settings_of(ctx).profile
    return f"{format_amount(int(units), prof.payment_token_decimals)} {prof.payment_token_symbol}"


def _opg_budgets(ctx: click.Context, row: dict[str, Any]) -> str:
    """The OPG side of a key's line, when it has OPG budgets (or spent OPG)."""
    opg = "OPG"
    if all(row[f] is None for f in ("opg_per_request", "opg_per_day", "opg_total")) and not row["opg_spent_total"]:
        return ""
    return (
        f"; OPG per request {_fmt(ctx, row['opg_per_request'], opg)}, per day {_fmt(ctx, row['opg_per_day'], opg)} "
        f"(spent {_fmt(ctx, row['opg_spent_today'], opg)}), total {_fmt(ctx, row['opg_total'], opg)} "
        f"(spent {_fmt(ctx, row['opg_spent_total'], opg)})"
    )


def _when(ts: Optional[float]) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"


@click.group("gateway", invoke_without_command=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (loopback only, unless --allow-remote).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8746, show_default=True)
@click.option("--allow-remote", is_flag=True, help="Allow a --host that is not a loopback address.")
@click.option("--wallet", default=None, help="Paying wallet (name or address; default: the active one).")
@click.option("--settlement", type=click.Choice(SETTLEMENTS), default="settle-batch", show_default=True)
@click.option(
    "--max-tokens",
    "max_tokens",
    type=click.IntRange(1, 100_000),
    default=512,
    show_default=True,
    help="max_tokens for requests that give none (the price is per token of max_tokens).",
)
@click.pass_context
@handle_errors
def gateway(
    ctx: click.Context,
    host: str,
    port: int,
    allow_remote: bool,
    wallet: Optional[str],
    settlement: str,
    max_tokens: int,
) -> None:
    """Serve an OpenAI-compatible API paid from the wallet: og-tui gateway [--port 8746]."""
    if ctx.invoked_subcommand is not None:
        return
    from og_tui.cli.chat import _signer
    from og_tui.core.errors import ValidationError
    from og_tui.core.x402_common import SpendCaps
    from og_tui.core.x402_v2 import opg_caps
    from og_tui.serve.keys import KeyBook
    from og_tui.serve.runner import GatewayServer, build_gateway, check_port, is_loopback

    if not is_loopback(host) and not allow_remote:
        raise ValidationError(
            f"--host {host} is not a loopback address: anyone who can reach it could spend the wallet with a key.",
            hint="Add --allow-remote if that is what you mean.",
        )
    check_port(host, port)  # before the passphrase is asked for
    settings = settings_of(ctx)
    settings.ensure_dirs()
    with KeyBook(settings.db_path) as book:  # closed before the gateway opens the file for good
        keys = book.list(include_revoked=False)
    chain, handle = open_chain(settings)
    try:
        signer = _signer(settings, wallet)
        gw = build_gateway(
            settings.profile,
            signer,
            settings.db_path,
            caps=SpendCaps.from_settings(settings),
            chain=chain,
            settlement=settlement,
            default_max_tokens=max_tokens,
            opg_caps=opg_caps(settings),
        )
        del signer
        server = GatewayServer(gw, host, port)
        click.echo(
            f"og-tui gateway on {server.url} (profile {settings.profile_name}, paying from "
            f"{gw.client.signer.address}, settlement {settlement})."
        )
        click.echo(f'Use it from the OpenAI client:  OpenAI(base_url={server.url!r}, api_key="ogk_...")')
        if keys:
            click.echo(
                f"{len(keys)} API key(s) can use it (og-tui gateway keys list). Ctrl-C stops it and locks the wallet."
            )
        else:
            click.echo("No API key yet: create one in another terminal with 'og-tui gateway keys new NAME'.")
        try:
            server.run()  # uvicorn stops gracefully on Ctrl-C, then raises it again
        except KeyboardInterrupt:
            pass
        click.echo("Gateway stopped; the wallet is locked again.", err=True)
    finally:
        if handle is not None and getattr(handle, "started", False):
            handle.stop()


@gateway.group("keys")
def keys() -> None:
    """API keys for the gateway: new, list, revoke."""


@keys.command("new")
@click.argument("name")
@click.option("--per-request", default=None, help="Budget per request (OUSDC), e.g. 0.01.")
@click.option("--per-day", default=None, help="Budget per UTC day (OUSDC).")
@click.option("--total", default=None, help="Budget in total (OUSDC).")
@click.option("--opg-per-request", default=None, help="Budget per request in OPG (x402 v2 payments), e.g. 0.001.")
@click.option("--opg-per-day", default=None, help="Budget per UTC day in OPG (x402 v2 payments).")
@click.option("--opg-total", default=None, help="Budget in total in OPG (x402 v2 payments).")
@json_option
@click.pass_context
@handle_errors
def keys_new(
    ctx: click.Context,
    name: str,
    per_request: Optional[str],
    per_day: Optional[str],
    total: Optional[str],
    opg_per_request: Optional[str],
    opg_per_day: Optional[str],
    opg_total: Optional[str],
    as_json: bool,
) -> None:
    """Issue a key: og-tui gateway keys new editor --per-day 1. Its secret is shown once.

    A key with OUSDC budgets but none in OPG may not pay in OPG (a profile's x402_version 2
    or auto), and the other way round; a key with no budget at all is bounded by the global
    spend caps only."""
    budgets = dict(
        per_request=_units(ctx, per_request, "per-request"),
        per_day=_units(ctx, per_day, "per-day"),
        total=_units(ctx, total, "total"),
        opg_per_request=_units(ctx, opg_per_request, "opg-per-request", opg=True),
        opg_per_day=_units(ctx, opg_per_day, "opg-per-day", opg=True),
        opg_total=_units(ctx, opg_total, "opg-total", opg=True),
    )
    key, secret = _book(ctx).create(name, **budgets)
    if as_json:
        emit(True, dict(key.as_dict(), key=secret))
        return
    click.echo(secret)
    progress(
        False,
        f"Key {key.id} ({key.name}): budgets per request {_fmt(ctx, key.per_request)}, per day "
        f"{_fmt(ctx, key.per_day)}, total {_fmt(ctx, key.total)}"
        + (
            f"; in OPG per request {_fmt(ctx, key.opg_per_request, 'OPG')}, per day "
            f"{_fmt(ctx, key.opg_per_day, 'OPG')}, total {_fmt(ctx, key.opg_total, 'OPG')}"
            if key.has_opg_budget
            else ""
        )
        + ". This is the only time the key is shown.",
    )


@keys.command("list")
@json_option
@click.pass_context
@handle_errors
def keys_list(ctx: click.Context, as_json: bool) -> None:
    """The keys, their budgets and what each has spent (in OUSDC and in OPG apart)."""
    from og_tui.core import constants
    from og_tui.serve.keys import day_start

    book = _book(ctx)
    rows = []
    opg, today = constants.OPG_NAME, day_start()
    for k in book.list():
        rows.append(
            dict(
                k.as_dict(),
                spent_today=book.spent(k.id, since=today),
                spent_total=book.spent(k.id),
                opg_spent_today=book.spent(k.id, since=today, token=opg),
                opg_spent_total=book.spent(k.id, token=opg),
            )
        )
    if as_json:
        emit(True, rows)
        return
    if not rows:
        click.echo("No gateway keys. Create one with 'og-tui gateway keys new NAME'.")
        return
    for r in rows:
        state = f"revoked {_when(r['revoked_at'])}" if r["revoked_at"] else "active"
        click.echo(
            f"{r['id']:>3}  {r['name']:<16} {r['prefix']}...  {state:<24} per request {_fmt(ctx, r['per_request'])}, "
            f"per day {_fmt(ctx, r['per_day'])} (spent {_fmt(ctx, r['spent_today'])}), total {_fmt(ctx, r['total'])} "
            f"(spent {_fmt(ctx, r['spent_total'])}){_opg_budgets(ctx, r)}, last used {_when(r['last_used_at'])}"
        )


@keys.command("revoke")
@click.argument("ref")
@json_option
@click.pass_context
@handle_errors
def keys_revoke(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Revoke a key (by id, name or prefix): its requests are refused from now on."""
    book = _book(ctx)
    key = book.revoke(book.find(ref).id)
    emit(as_json, key.as_dict(), f"Key {key.id} ({key.name}, {key.prefix}...) is revoked.")


@gateway.command("requests")
@click.option("--key", "key_ref", default=None, help="Only this key's requests (id, name or prefix).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@json_option
@click.pass_context
@handle_errors
def requests_cmd(ctx: click.Context, key_ref: Optional[str], limit: int, as_json: bool) -> None:
    """The gateway's last requests: key, model, tokens, cost, settlement."""
    from dataclasses import asdict

    book = _book(ctx)
    key_id = book.find(key_ref).id if key_ref else None
    rows = book.requests(key_id, limit)
    if as_json:
        emit(True, [asdict(r) for r in rows])
        return
    for r in rows:
        what = (
            f"{r.error_code}: {r.error}"
            if r.error_code
            else (
                f"{r.completion_tokens} tokens, {_fmt(ctx, r.cost, r.token)}, "
                f"{r.settlement_status or '-'} {r.settlement_tx or ''}"
            )
        )
        click.echo(
            f"{_when(r.created_at)}  key {r.key_id or '-'}  {r.endpoint:<10} {r.model or '-':<20} {r.status}  {what}"
        )
