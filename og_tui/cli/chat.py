"""``og-tui chat`` and ``og-tui complete``: LLM calls from a script.

Messages come from the arguments (one user message), ``--messages`` (JSON),
``--messages-file`` or standard input (JSON array, or plain text as one user message).
TEE mode goes over HTTP paid with x402 (spend caps from the settings apply, payments
are recorded in the local history); VANILLA runs on chain. ``--stream`` prints tokens as
they arrive (with ``--json``: one JSON object per line). Reply metadata (tokens,
tokens/s, cost, settlement) goes to stderr in human mode.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import click

from og_tui.cli._common import emit, fail, handle_errors, json_option, open_chain, settings_of, wallet_store

SETTLEMENTS = ["settle", "settle-metadata", "settle-batch", "private", "batch"]  # (the last two: x402 v2)


def _signer(settings: Any, wallet: Optional[str]) -> Any:
    from og_tui.cli.account import _resolve_wallet, _unlock

    store = wallet_store(settings)
    return _unlock(store, _resolve_wallet(store, wallet))


def _client(ctx: click.Context, wallet: Optional[str], as_json: bool, mode: str) -> Any:
    from og_tui.core.llm import LLMClient
    from og_tui.core.store import Store
    from og_tui.core.x402_common import SpendCaps

    settings = settings_of(ctx)
    chain, handle = open_chain(settings, as_json)
    ctx.call_on_close(lambda: handle.stop() if handle is not None and getattr(handle, "started", False) else None)
    signer = _signer(settings, wallet)
    settings.ensure_dirs()
    store = Store(settings.db_path)
    ctx.call_on_close(store.close)
    from og_tui.core.x402_v2 import opg_caps

    client = LLMClient(
        settings.profile,
        signer,
        store=store,
        caps=SpendCaps.from_settings(settings),
        chain=chain,
        opg_caps=opg_caps(settings),  # x402 v2 payments (profile x402_version 2 or auto)
    )
    ctx.call_on_close(client.close)
    return client


def _default_model(ctx: click.Context) -> str:
    from og_tui.core.llm import DEVNET_MODEL

    return DEVNET_MODEL if settings_of(ctx).profile.is_devnet else "openai/gpt-4o"


def _read_messages(
    words: tuple, messages_json: Optional[str], messages_file: Optional[Path], system: Optional[str]
) -> list:
    from og_tui.core.errors import ValidationError
    from og_tui.core.llm import parse_messages

    sources = [s for s in (words, messages_json, messages_file) if s]
    if len(sources) > 1:
        raise ValidationError("Give the conversation one way: arguments, --messages or --messages-file.")
    if messages_json:
        messages = parse_messages(messages_json)
    elif messages_file:
        messages = parse_messages(Path(messages_file).read_text())
    elif words:
        messages = [{"role": "user", "content": " ".join(words)}]
    elif not sys.stdin.isatty():
        text = sys.stdin.read()
        if not text.strip():
            raise ValidationError("Standard input is empty: nothing to send.")
        stripped = text.lstrip()
        messages = (
            parse_messages(text) if stripped.startswith(("[", "{")) else [{"role": "user", "content": text.strip()}]
        )
    else:
        raise ValidationError("Nothing to send: give a message, --messages, --messages-file or pipe text in.")
    if system:
        messages = [{"role": "system", "content": system}] + list(messages)
    return messages


def _read_tools(tools: Optional[str], tools_file: Optional[Path]) -> list:
    from og_tui.core.errors import ValidationError
    from og_tui.core.llm import parse_tools

    if tools and tools_file:
        raise ValidationError("Give tools with --tools or --tools-file, not both.")
    if tools_file:
        return parse_tools(Path(tools_file).read_text())
    return parse_tools(tools) if tools else []


def _tool_choice(value: Optional[str]) -> Any:
    if value is None or value == "":
        return None
    text = value.strip()
    if text.startswith("{"):
        from og_tui.core.llm import _load_json

        return _load_json(text, "tool choice")
    return text


def _explains_allowance(fn: Any) -> Any:
    """x402 v2: a too-small OPG allowance of Permit2 says which command sends the approve."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from og_tui.core.opg_allowance import AllowanceTooSmall, _fmt_units

        try:
            return fn(*args, **kwargs)
        except AllowanceTooSmall as exc:
            exc.hint = (
                "Run `og-tui account approve-opg` (it shows the approve and asks first; the payment needs "
                f"--amount {_fmt_units(exc.plan.needed).removesuffix(' OPG')} at least), then retry."
            )
            raise

    return wrapper


def _meta_line(meta: Any) -> str:
    parts = [f"{meta.completion_tokens} tokens", f"{meta.tokens_per_s:.0f} tok/s"]
    if meta.mode == "TEE" and getattr(meta, "x402_version", 0) == 2:
        from og_tui.core.x402_v2 import describe_payment

        parts.append(f"cost {describe_payment(meta)}")  # token, scheme, settlement mode, where it stands
        if meta.payment_hash:
            parts.append(f"payment {meta.payment_hash}")
    elif meta.mode == "TEE":
        parts.append(f"cost {meta.cost_text or meta.cost}")
        if meta.settlement_tx:
            parts.append(
                f"{meta.settlement_mode} {meta.settlement_status or ''} tx {meta.settlement_tx}".replace("  ", " ")
            )
        elif meta.settlement_mode:
            parts.append(f"{meta.settlement_mode} {meta.settlement_status or 'pending'}")
        if meta.payment_hash:
            parts.append(f"payment {meta.payment_hash}")
    else:
        parts.append(f"tx {meta.transaction_hash}")
    if meta.backend:
        parts.append(f"backend {meta.backend}")
    if meta.finish_reason:
        parts.append(f"finish {meta.finish_reason}")
    return "-- " + ", ".join(parts)


def _tool_calls_of(message: dict) -> list:
    out = []
    for tc in message.get("tool_calls") or []:
        fn = tc.get("function") if isinstance(tc.get("function"), dict) else tc
        out.append({"id": tc.get("id", ""), "name": fn.get("name", ""), "arguments": fn.get("arguments", "")})
    return out


def _check_tool_calls(calls: list) -> None:
    from og_tui.core.llm import parse_tool_arguments

    for tc in calls:
        parse_tool_arguments(tc)


@click.command("chat")
@click.argument("message", nargs=-1)
@click.option(
    "--model", "-m", default=None, help="Model id (default: og-devnet/mini on devnet, openai/gpt-4o elsewhere)."
)
@click.option(
    "--mode",
    type=click.Choice(["VANILLA", "TEE"], case_sensitive=False),
    default="TEE",
    show_default=True,
    help="TEE: HTTP paid with x402; VANILLA: on chain.",
)
@click.option("--messages", "messages_json", default=None, help="Conversation as a JSON array of {role, content}.")
@click.option("--messages-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
@click.option("--system", default=None, help="A system message put first.")
@click.option("--tools", default=None, help="Tools as a JSON array (OpenAI function format).")
@click.option("--tools-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
@click.option("--tool-choice", default=None, help="auto, none, required, a tool name, or JSON.")
@click.option("--max-tokens", type=click.IntRange(1, 100_000), default=100, show_default=True)
@click.option("--temperature", type=click.FloatRange(0, 2), default=0.0, show_default=True)
@click.option("--stop", multiple=True, help="Stop sequence (repeatable).")
@click.option("--settlement", type=click.Choice(SETTLEMENTS), default="settle-batch", show_default=True)
@click.option("--stream", is_flag=True, help="Print tokens as they arrive.")
@click.option("--wallet", default=None, help="Paying wallet (name or address; default: the active one).")
@json_option
@click.pass_context
@handle_errors
@_explains_allowance
def chat(
    ctx: click.Context,
    message: tuple,
    model: Optional[str],
    mode: str,
    messages_json: Optional[str],
    messages_file: Optional[Path],
    system: Optional[str],
    tools: Optional[str],
    tools_file: Optional[Path],
    tool_choice: Optional[str],
    max_tokens: int,
    temperature: float,
    stop: tuple,
    settlement: str,
    stream: bool,
    wallet: Optional[str],
    as_json: bool,
) -> None:
    """Chat with an LLM: og-tui chat "Explain x402" [--stream]."""
    from og_tui.core.llm import StreamInterrupted

    messages = _read_messages(message, messages_json, messages_file, system)
    tool_list = _read_tools(tools, tools_file)
    model = model or _default_model(ctx)
    client = _client(ctx, wallet, as_json, mode)
    kwargs = dict(
        mode=mode.upper(),
        max_tokens=max_tokens,
        temperature=temperature,
        stop=list(stop) or None,
        tools=tool_list or None,
        tool_choice=_tool_choice(tool_choice),
        settlement=settlement,
    )
    if not stream:
        out = client.chat(model, messages, **kwargs)
        msg = out.chat_output or {}
        calls = _tool_calls_of(msg)
        data = {
            "model": model,
            "mode": mode.upper(),
            "finish_reason": out.finish_reason,
            "content": msg.get("content"),
            "tool_calls": calls,
            "transaction_hash": out.transaction_hash,
            "payment_hash": out.payment_hash,
            "meta": out.meta.as_dict() if out.meta else None,
        }
        _check_tool_calls(calls)
        if as_json:
            emit(True, data)
            return
        if msg.get("content"):
            click.echo(msg["content"])
        for tc in calls:
            click.echo(f"tool call {tc['id']}: {tc['name']}({tc['arguments']})")
        if out.meta:
            click.echo(_meta_line(out.meta), err=True)
        return
    s = client.chat(model, messages, stream=True, **kwargs)
    try:
        for chunk in s:
            text = chunk.content
            if as_json:
                if text:
                    click.echo(json.dumps({"type": "delta", "content": text}))
            elif text:
                click.echo(text, nl=False)
                sys.stdout.flush()
    except StreamInterrupted as exc:
        if as_json:
            click.echo(
                json.dumps({"type": "error", "error": str(exc), "interrupted": True, "partial_text": exc.partial_text})
            )
            sys.exit(1)
        click.echo("", err=False)
        fail(False, f"{exc} (partial reply above, {len(exc.partial_text)} characters)")
    calls = s.tool_calls
    flat = [{"id": tc["id"], "name": tc["function"]["name"], "arguments": tc["function"]["arguments"]} for tc in calls]
    _check_tool_calls(flat)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "type": "done",
                    "finish_reason": s.meta.finish_reason,
                    "content": s.text,
                    "tool_calls": flat,
                    "meta": s.meta.as_dict(),
                }
            )
        )
        return
    if s.text and not s.text.endswith("\n"):
        click.echo()
    for tc in flat:
        click.echo(f"tool call {tc['id']}: {tc['name']}({tc['arguments']})")
    click.echo(_meta_line(s.meta), err=True)


@click.command("complete")
@click.argument("prompt", nargs=-1)
@click.option(
    "--model", "-m", default=None, help="Model id (default: og-devnet/mini on devnet, openai/gpt-4o elsewhere)."
)
@click.option("--mode", type=click.Choice(["VANILLA", "TEE"], case_sensitive=False), default="TEE", show_default=True)
@click.option("--prompt-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
@click.option("--max-tokens", type=click.IntRange(1, 100_000), default=100, show_default=True)
@click.option("--temperature", type=click.FloatRange(0, 2), default=0.0, show_default=True)
@click.option("--stop", multiple=True, help="Stop sequence (repeatable).")
@click.option("--settlement", type=click.Choice(SETTLEMENTS), default="settle-batch", show_default=True)
@click.option("--wallet", default=None, help="Paying wallet (name or address; default: the active one).")
@json_option
@click.pass_context
@handle_errors
@_explains_allowance
def complete(
    ctx: click.Context,
    prompt: tuple,
    model: Optional[str],
    mode: str,
    prompt_file: Optional[Path],
    max_tokens: int,
    temperature: float,
    stop: tuple,
    settlement: str,
    wallet: Optional[str],
    as_json: bool,
) -> None:
    """Complete a raw prompt: og-tui complete "Once upon a time"."""
    from og_tui.core.errors import ValidationError

    if prompt and prompt_file:
        raise ValidationError("Give the prompt as arguments or --prompt-file, not both.")
    if prompt_file:
        text = Path(prompt_file).read_text()
    elif prompt:
        text = " ".join(prompt)
    elif not sys.stdin.isatty():
        text = sys.stdin.read()
    else:
        raise ValidationError("Nothing to complete: give a prompt, --prompt-file or pipe text in.")
    model = model or _default_model(ctx)
    client = _client(ctx, wallet, as_json, mode)
    out = client.completion(
        model,
        text,
        mode=mode.upper(),
        max_tokens=max_tokens,
        temperature=temperature,
        stop=list(stop) or None,
        settlement=settlement,
    )
    if as_json:
        emit(
            True,
            {
                "model": model,
                "mode": mode.upper(),
                "completion": out.completion_output,
                "finish_reason": out.finish_reason,
                "transaction_hash": out.transaction_hash,
                "payment_hash": out.payment_hash,
                "meta": out.meta.as_dict() if out.meta else None,
            },
        )
        return
    click.echo(out.completion_output)
    if out.meta:
        click.echo(_meta_line(out.meta), err=True)
