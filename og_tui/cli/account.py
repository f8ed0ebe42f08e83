"""``og-tui account ...``: wallets, balances, faucet and transfers from a script.

Every command takes ``--json``; its output never contains a private key or a
passphrase. Passphrases come from a hidden prompt or ``OG_TUI_PASSPHRASE``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

import click

from og_tui.cli._common import (
    confirm_or_fail,
    emit,
    handle_errors,
    history,
    json_option,
    new_passphrase,
    open_chain,
    passphrase,
    progress,
    settings_of,
    wallet_store,
)


def _wallet_dict(info: Any, active: Optional[str]) -> dict:
    return {
        "name": info.name,
        "address": info.address,
        "storage": info.storage,
        "active": bool(active and active.lower() == info.address.lower()),
    }


def _active_address(store: Any) -> Optional[str]:
    info = store.active()
    return info.address if info else None


def _resolve_wallet(store: Any, ref: Optional[str]) -> Any:
    """A wallet by address or name; the active wallet when ``ref`` is None."""
    from og_tui.core.errors import WalletNotFound

    if ref is None:
        info = store.active()
        if info is None:
            raise WalletNotFound("There is no wallet yet.", hint="Create one with `og-tui account new`.")
        return info
    for info in store.list_wallets():
        if info.address.lower() == ref.lower() or info.name == ref:
            return info
    raise WalletNotFound(f"No wallet {ref!r}.")


def _unlock(store: Any, info: Any) -> Any:
    secret = passphrase(f"Passphrase for {info.name}") if store.needs_passphrase(info.address) else None
    return store.unlock(info.address, secret)


@click.group()
def account() -> None:
    """Wallets, balances, faucet and transfers."""


@account.command("new")
@click.option("--name", default=None, help="Wallet name (default: wallet-N).")
@click.option("--use/--no-use", "make_active", default=False, help="Make it the active wallet.")
@json_option
@click.pass_context
@handle_errors
def new_cmd(ctx: click.Context, name: Optional[str], make_active: bool, as_json: bool) -> None:
    """Create a new wallet (a fresh key, kept in the OS keyring or an encrypted keystore)."""
    settings = settings_of(ctx)
    store = wallet_store(settings)
    name = name or _next_name(store)
    required = not store.keyring_available()
    secret = new_passphrase("New passphrase" + ("" if required else " (empty: OS keyring only)"), required=required)
    info = store.create(name, secret)
    if make_active:
        store.set_active(info.address)
    data = _wallet_dict(info, _active_address(store))
    emit(as_json, data, f"Created wallet {info.name}: {info.address} ({info.storage})")


def _next_name(store: Any) -> str:
    names = {w.name for w in store.list_wallets()}
    n = len(names) + 1
    while f"wallet-{n}" in names:
        n += 1
    return f"wallet-{n}"


@account.command("import")
@click.option(
    "--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="File holding the hex private key."
)
@click.option(
    "--keystore", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Ethereum V3 keystore JSON file."
)
@click.option("--name", default=None, help="Wallet name (default: wallet-N).")
@json_option
@click.pass_context
@handle_errors
def import_cmd(
    ctx: click.Context, key_file: Optional[Path], keystore: Optional[Path], name: Optional[str], as_json: bool
) -> None:
    """Import a private key (from --key-file or a hidden prompt) or a keystore file."""
    from og_tui.core.errors import ValidationError

    if key_file and keystore:
        raise ValidationError("Use either --key-file or --keystore, not both.")
    settings = settings_of(ctx)
    store = wallet_store(settings)
    name = name or _next_name(store)
    if keystore:
        secret = passphrase("Keystore passphrase")
        info = store.import_keystore(name, keystore.read_text(encoding="utf-8"), secret)
    else:
        if key_file:
            key = key_file.read_text(encoding="utf-8").strip()
        elif os.isatty(0):
            key = click.prompt("Private key", hide_input=True, err=True)
        else:
            raise ValidationError("Give the key with --key-file FILE (or run in a terminal to type it).")
        required = not store.keyring_available()
        secret = new_passphrase("New passphrase" + ("" if required else " (empty: OS keyring only)"), required=required)
        info = store.import_key(name, key, secret)
        del key
    emit(
        as_json,
        _wallet_dict(info, _active_address(store)),
        f"Imported wallet {info.name}: {info.address} ({info.storage})",
    )


@account.command("list")
@json_option
@click.pass_context
@handle_errors
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """List wallets (the active one is marked *)."""
    store = wallet_store(settings_of(ctx))
    active = _active_address(store)
    rows = [_wallet_dict(w, active) for w in store.list_wallets()]
    if as_json:
        emit(True, rows)
        return
    if not rows:
        emit(False, None, "No wallets yet; create one with `og-tui account new`.")
        return
    width = max(len(r["name"]) for r in rows)
    emit(
        False,
        None,
        "\n".join(f"{'*' if r['active'] else ' '} {r['name']:<{width}}  {r['address']}  {r['storage']}" for r in rows),
    )


@account.command("show")
@click.argument("wallet", required=False)
@json_option
@click.pass_context
@handle_errors
def show_cmd(ctx: click.Context, wallet: Optional[str], as_json: bool) -> None:
    """Show a wallet (default: the active one)."""
    settings = settings_of(ctx)
    store = wallet_store(settings)
    info = _resolve_wallet(store, wallet)
    data = _wallet_dict(info, _active_address(store))
    data["profile"] = settings.profile_name
    explorer = settings.profile.explorer_address_url(info.address)
    if explorer:
        data["explorer_url"] = explorer
    emit(as_json, data)


@account.command("balance")
@click.argument("address", required=False)
@json_option
@click.pass_context
@handle_errors
def balance_cmd(ctx: click.Context, address: Optional[str], as_json: bool) -> None:
    """Native (OG) and payment-token balances of ADDRESS (default: the active wallet)."""
    from og_tui.core.amounts import parse_address
    from og_tui.core.wallet_ops import get_balances

    settings = settings_of(ctx)
    address = (
        parse_address(address)
        if address and address.startswith("0x")
        else _resolve_wallet(wallet_store(settings), address).address
    )
    chain, _devnet = open_chain(settings, as_json)
    with chain:
        bal = get_balances(chain, settings.profile, address)
    data = bal.as_dict()
    emit(
        as_json,
        data,
        f"{address}\n  {data['native']} {bal.native_symbol}\n  {data['token']} {bal.token_symbol}\n  (block {bal.block})",
    )


@account.command("fund")
@click.argument("address", required=False)
@json_option
@click.pass_context
@handle_errors
def fund_cmd(ctx: click.Context, address: Optional[str], as_json: bool) -> None:
    """Fund ADDRESS (default: the active wallet) from the devnet faucet."""
    from og_tui.core.amounts import format_amount, parse_address
    from og_tui.core.constants import NATIVE_DECIMALS
    from og_tui.core.wallet_ops import fund

    settings = settings_of(ctx)
    profile = settings.profile
    address = (
        parse_address(address)
        if address and address.startswith("0x")
        else _resolve_wallet(wallet_store(settings), address).address
    )
    if not profile.is_devnet:
        link = profile.faucet_link(address)
        data = {"address": address, "faucet_url": link}
        emit(
            as_json, data, f"Request funds in the browser: {link}" if link else f"Profile {profile.name} has no faucet."
        )
        return
    chain, _devnet = open_chain(settings, as_json)
    with chain, history(settings) as records:
        result = fund(profile, records, address, chain=chain)
    data = {
        "address": address,
        "native_tx": result.get("native_tx"),
        "token_tx": result.get("token_tx"),
        "native_wei": result.get("native_wei"),
        "token_units": result.get("token_units"),
    }
    text = (
        f"Funded {address} with {format_amount(int(data['native_wei'] or 0), NATIVE_DECIMALS)} {profile.native_symbol}"
        f" and {format_amount(int(data['token_units'] or 0), profile.payment_token_decimals)} {profile.payment_token_symbol}"
    )
    emit(as_json, data, text)


@account.command("send")
@click.option("--to", "to", required=True, help="Recipient address.")
@click.option("--amount", required=True, help="Amount in whole units, e.g. 1.5")
@click.option("--token", default="OG", show_default=True, help="OG (native) or OUSDC.")
@click.option("--from", "from_wallet", default=None, help="Sending wallet (address or name; default: active).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_context
@handle_errors
def send_cmd(
    ctx: click.Context, to: str, amount: str, token: str, from_wallet: Optional[str], yes: bool, as_json: bool
) -> None:
    """Send OG or OUSDC to an address."""
    from og_tui.core import wallet_ops
    from og_tui.core.amounts import format_amount, parse_address, parse_amount
    from og_tui.core.constants import NATIVE_DECIMALS

    settings = settings_of(ctx)
    profile = settings.profile
    store = wallet_store(settings)
    info = _resolve_wallet(store, from_wallet)
    to = parse_address(to, field="to")
    token_addr, decimals, symbol = wallet_ops.resolve_asset(profile, token)
    units = parse_amount(amount, decimals, symbol=symbol)
    chain, _devnet = open_chain(settings, as_json)
    with chain, history(settings) as records:
        fee = wallet_ops.estimate_send(chain, profile, info.address, to, units, token)
        fee_text = format_amount(fee.fee_wei, NATIVE_DECIMALS, max_decimals=9)
        confirm_or_fail(
            as_json,
            yes,
            f"Send {format_amount(units, decimals, max_decimals=decimals)} {symbol} from {info.name} to {to}"
            f" (gas about {fee_text} {profile.native_symbol})?",
        )
        signer = _unlock(store, info)

        def on_status(stage: str, data: dict) -> None:
            if stage == "sent":
                progress(as_json, f"sent {data['hash']}, waiting for the receipt...")
            elif stage == "retry":
                progress(as_json, f"nonce conflict, retrying ({data['attempt']})...")

        outcome = wallet_ops.send(chain, records, profile, signer, to, units, token, on_status=on_status)
        del signer
    data = {
        **outcome.as_dict(),
        "kind": "transfer-token" if token_addr else "transfer-native",
        "token": token_addr,
        "symbol": symbol,
        "amount_units": units,
        "amount": format_amount(units, decimals, max_decimals=decimals),
    }
    emit(
        as_json,
        data,
        f"Sent {data['amount']} {symbol} to {to} in block {outcome.block}\n"
        f"tx {outcome.hash} (gas {outcome.gas_used}, fee {format_amount(outcome.fee_wei, NATIVE_DECIMALS, max_decimals=9)} {profile.native_symbol})",
    )


@account.command("export")
@click.argument("wallet", required=False)
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Keystore file to write."
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@json_option
@click.pass_context
@handle_errors
def export_cmd(ctx: click.Context, wallet: Optional[str], out: Path, force: bool, as_json: bool) -> None:
    """Export a wallet as an encrypted V3 keystore file (never as a plain key)."""
    from og_tui.core.errors import ValidationError

    store = wallet_store(settings_of(ctx))
    info = _resolve_wallet(store, wallet)
    if out.exists() and not force:
        raise ValidationError(f"{out} exists; add --force to overwrite it.")
    if info.storage == "keyring":  # the export gets a passphrase of its own: the same rule as a new wallet's
        secret = new_passphrase("Passphrase for the export")
    else:
        secret = passphrase(f"Passphrase for {info.name}")
    text = store.export_keystore(info.address, secret)
    from og_tui.core.fsperm import open_private, private_dir

    private_dir(out.parent, tighten_existing=False)  # a folder it creates is 0700; the user's own stays as it is
    with open_private(out, "w", encoding="utf-8") as fh:
        fh.write(text)
    emit(
        as_json,
        {"name": info.name, "address": info.address, "path": str(out)},
        f"Wrote keystore of {info.name} to {out}",
    )


@account.command("delete")
@click.argument("wallet")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_context
@handle_errors
def delete_cmd(ctx: click.Context, wallet: str, yes: bool, as_json: bool) -> None:
    """Forget a wallet and delete its key (export it first if you need it)."""
    store = wallet_store(settings_of(ctx))
    info = _resolve_wallet(store, wallet)
    confirm_or_fail(as_json, yes, f"Delete wallet {info.name} ({info.address}) and its key?")
    store.delete(info.address)
    emit(as_json, {"deleted": info.address, "name": info.name}, f"Deleted wallet {info.name} ({info.address})")


@account.command("use")
@click.argument("wallet")
@json_option
@click.pass_context
@handle_errors
def use_cmd(ctx: click.Context, wallet: str, as_json: bool) -> None:
    """Make a wallet (address or name) the active one."""
    store = wallet_store(settings_of(ctx))
    info = store.set_active(_resolve_wallet(store, wallet).address)
    emit(as_json, _wallet_dict(info, info.address), f"Active wallet: {info.name} ({info.address})")


@account.command("approve-opg")
@click.option(
    "--amount",
    default=None,
    help="OPG Permit2 may move, e.g. 5 (default: the per-run OPG cap, llm_cap_opg_per_run); 0 revokes.",
)
@click.option("--from", "from_wallet", default=None, help="Paying wallet (address or name; default: active).")
@click.option("--dry-run", is_flag=True, help="Show the approve; send nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_context
@handle_errors
def approve_opg_cmd(
    ctx: click.Context, amount: Optional[str], from_wallet: Optional[str], dry_run: bool, yes: bool, as_json: bool
) -> None:
    """Let Permit2 move OPG for x402 v2 payments: shows the approve and asks before sending it."""
    from og_tui.core import constants as C
    from og_tui.core.amounts import format_amount, parse_amount
    from og_tui.core.errors import ValidationError
    from og_tui.core.opg_ops import approval_lines, default_amount, estimate, plan_dict, plan_for, send_approve

    settings = settings_of(ctx)
    profile = settings.profile
    store = wallet_store(settings)
    info = _resolve_wallet(store, from_wallet)
    if amount is not None:
        try:
            units = parse_amount(amount, C.OPG_DECIMALS, allow_zero=True, symbol=C.OPG_NAME)
        except ValidationError as exc:
            raise ValidationError(f"--amount {amount!r}: {exc} Give an OPG amount such as 5 (0 revokes).") from None
    else:
        units = default_amount(0, settings)
        if not units:
            raise ValidationError("llm_cap_opg_per_run is off: say how much OPG Permit2 may move with --amount.")

    def opg(n: int) -> str:
        return f"{format_amount(n, C.OPG_DECIMALS, max_decimals=C.OPG_DECIMALS)} OPG"

    chain, _devnet = open_chain(settings, as_json)
    with chain, history(settings) as records:
        plan = plan_for(chain, profile, info.address, units, amount=units)
        if amount is None and not plan.required:
            emit(
                as_json,
                {**plan_dict(plan), "sent": False},
                f"Permit2 may already move {opg(plan.allowance)} of {info.name}'s OPG; nothing was sent "
                "(--amount sets another allowance).",
            )
            return
        cost = estimate(chain, plan)
        if dry_run:
            lines = "\n".join(approval_lines(plan, cost, profile))
            emit(as_json, {**plan_dict(plan, cost), "sent": False}, f"{lines}\nNothing was sent (--dry-run).")
            return
        if not (as_json or yes):
            click.echo("\n".join(approval_lines(plan, cost, profile)), err=True)
        confirm_or_fail(as_json, yes, f"Send this approve from {info.name}?")
        signer = _unlock(store, info)

        def on_status(stage: str, data: dict) -> None:
            if stage == "sent":
                progress(as_json, f"sent {data['hash']}, waiting for the receipt...")

        outcome = send_approve(chain, records, profile, signer, plan, on_status=on_status)
        del signer
    emit(
        as_json,
        {**plan_dict(plan, cost), "sent": True, **outcome},
        f"Approved: Permit2 may move {opg(plan.amount)} of {info.name}'s OPG for x402 v2 payments\n"
        f"tx {outcome['hash']} in block {outcome['block']}",
    )
