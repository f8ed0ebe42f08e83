"""``og-tui mcp``: an MCP server giving agents OpenGradient models, workflows and LLMs.

    og-tui mcp                                   # stdio (what an MCP client starts)
    og-tui mcp --transport http --port 8747      # streamable HTTP on 127.0.0.1, needs a key
    og-tui mcp --server research                 # the [mcp.servers.research] table of config.toml
    og-tui mcp keys new editor | list | revoke ID
    og-tui mcp approvals list | approve ID | deny ID

The wallet is unlocked while the server runs (passphrase from ``OG_TUI_PASSPHRASE`` or,
for HTTP in a terminal, a prompt). What it exposes and which calls wait for an approval is
the ``[mcp]`` table of config.toml; the global spend caps (``llm_cap_per_request`` /
``llm_cap_per_run``) apply to every payment. Status lines go to stderr: on stdio, stdout
is the MCP channel.
"""

from __future__ import annotations

import time
from typing import Any, Optional

import click

from og_tui.cli._common import emit, handle_errors, json_option, open_chain, progress, settings_of


def _when(ts: Optional[float]) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def _config(settings: Any, server: Optional[str]) -> Any:
    from og_tui.core.mcp_config import McpSettings

    return (settings.mcp or McpSettings()).server(server)


@click.group("mcp", invoke_without_command=True)
@click.option(
    "--transport", type=click.Choice(["stdio", "http"]), default="stdio", show_default=True, help="How clients connect."
)
@click.option("--host", default="127.0.0.1", show_default=True, help="HTTP: a loopback address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8747, show_default=True, help="HTTP: the port.")
@click.option("--server", "server_name", default=None, help="A [mcp.servers.NAME] table (default: [mcp]).")
@click.option("--wallet", default=None, help="Paying wallet (name or address; default: the active one).")
@click.pass_context
@handle_errors
def mcp(
    ctx: click.Context, transport: str, host: str, port: int, server_name: Optional[str], wallet: Optional[str]
) -> None:
    """Serve OpenGradient tools over MCP: og-tui mcp [--transport stdio|http]."""
    if ctx.invoked_subcommand is not None:
        return
    from og_tui.core.errors import ConfigError, ValidationError

    try:
        import mcp as _sdk  # noqa: F401
    except ImportError:
        raise ConfigError(
            "The MCP server needs the official MCP SDK, which is not installed.",
            hint="og-tui depends on it: reinstall og-tui (make run), or pip install 'mcp>=2.3,<3'.",
        ) from None
    from og_tui.cli.chat import _signer
    from og_tui.core.store import Store
    from og_tui.core.x402_common import SpendCaps
    from og_tui.core.x402_v2 import opg_caps
    from og_tui.serve.mcp_server import McpApp
    from og_tui.serve.mcp_store import ApprovalQueue, McpKeyBook
    from og_tui.serve.mcp_tools import McpBackend
    from og_tui.serve.runner import check_port, is_loopback

    settings = settings_of(ctx)
    config = _config(settings, server_name)
    if transport == "http":
        if not is_loopback(host):
            raise ValidationError(
                f"--host {host} is not a loopback address: the MCP server spends from the wallet, so it "
                "listens on this machine only.",
                hint="Use 127.0.0.1 (the default), ::1 or localhost.",
            )
        check_port(host, port)  # before the passphrase is asked for
    settings.ensure_dirs()
    chain, handle = open_chain(settings)
    store = backend = None
    try:
        signer = _signer(settings, wallet)
        store = Store(settings.db_path)
        backend = McpBackend(
            settings.profile,
            signer,
            config,
            store=store,
            chain=chain,
            caps=SpendCaps.from_settings(settings),
            data_dir=settings.data_dir,
            opg_caps=opg_caps(settings),
        )
        del signer
        app = McpApp(
            backend,
            approvals=ApprovalQueue(settings.db_path, store=store),
            server_name=config.name,
            on_event=lambda text: click.echo(f"og-tui mcp: {text}", err=True),
        )
        for m in backend.models():
            if m.error:
                click.echo(f"og-tui mcp: model {m.name} is left out: {m.error}", err=True)
        where = "stdio"
        if transport == "http":
            shown = f"[{host}]" if ":" in host else host
            where = f"http://{shown}:{port}/mcp"
        click.echo(
            f"og-tui MCP server on {where} (profile {settings.profile_name}, server {config.name}, paying from "
            f"{backend.address}); {len(config.models)} model(s), {'chat' if config.chat else 'no chat'}, "
            f"confirm: {', '.join(config.confirm) or 'nothing'}.",
            err=True,
        )
        if transport == "stdio":
            import anyio

            anyio.run(app.run_stdio)
            return
        import uvicorn

        keys = McpKeyBook(settings.db_path, store=store)
        if not keys.list(include_revoked=False):
            click.echo("No MCP key yet: create one in another terminal with 'og-tui mcp keys new NAME'.", err=True)
        server = uvicorn.Server(
            uvicorn.Config(
                app.http_app(keys, host), host=host, port=port, log_level="warning", lifespan="on", access_log=False
            )
        )
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        click.echo("MCP server stopped; the wallet is locked again.", err=True)
    finally:
        if backend is not None:
            backend.close()
        if store is not None:
            store.close()
        chain.close()
        if handle is not None and getattr(handle, "started", False):
            handle.stop()


# --- keys ---------------------------------------------------------------------------------------


def _keys(ctx: click.Context) -> Any:
    from og_tui.serve.mcp_store import McpKeyBook

    settings = settings_of(ctx)
    settings.ensure_dirs()
    book = McpKeyBook(settings.db_path)
    ctx.call_on_close(book.close)
    return book


@mcp.group("keys")
def keys() -> None:
    """Keys for the HTTP transport: new, list, revoke."""


@keys.command("new")
@click.argument("name")
@json_option
@click.pass_context
@handle_errors
def keys_new(ctx: click.Context, name: str, as_json: bool) -> None:
    """Issue a key for an MCP client: og-tui mcp keys new editor. Its secret is shown once."""
    key, secret = _keys(ctx).create(name)
    if as_json:
        emit(True, dict(key.as_dict(), key=secret))
        return
    click.echo(secret)
    progress(False, f"Key {key.id} ({key.name}). Send it as 'Authorization: Bearer <key>'; it is shown only now.")


@keys.command("list")
@json_option
@click.pass_context
@handle_errors
def keys_list(ctx: click.Context, as_json: bool) -> None:
    """The MCP keys."""
    rows = _keys(ctx).list()
    if as_json:
        emit(True, [k.as_dict() for k in rows])
        return
    if not rows:
        click.echo("No MCP keys. Create one with 'og-tui mcp keys new NAME'.")
        return
    for k in rows:
        state = f"revoked {_when(k.revoked_at)}" if k.revoked else "active"
        click.echo(f"{k.id:>3}  {k.name:<16} {k.prefix}...  {state:<28} last used {_when(k.last_used_at)}")


@keys.command("revoke")
@click.argument("ref")
@json_option
@click.pass_context
@handle_errors
def keys_revoke(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Revoke a key (by id, name or prefix)."""
    book = _keys(ctx)
    key = book.revoke(book.find(ref).id)
    emit(as_json, key.as_dict(), f"MCP key {key.id} ({key.name}, {key.prefix}...) is revoked.")


# --- approvals ----------------------------------------------------------------------------------


def _queue(ctx: click.Context) -> Any:
    from og_tui.serve.mcp_store import ApprovalQueue

    settings = settings_of(ctx)
    settings.ensure_dirs()
    queue = ApprovalQueue(settings.db_path)
    ctx.call_on_close(queue.close)
    return queue


@mcp.group("approvals")
def approvals() -> None:
    """Tool calls waiting for a yes: list, approve ID, deny ID."""


@approvals.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also the decided and expired ones (the last 20).")
@json_option
@click.pass_context
@handle_errors
def approvals_list(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """The calls waiting for an approval (with --all, the recent ones too)."""
    queue = _queue(ctx)
    rows = queue.recent(20) if show_all else queue.pending()
    if as_json:
        emit(True, [a.as_dict() for a in rows])
        return
    if not rows:
        click.echo("No MCP call waits for an approval." if not show_all else "No MCP approval requests yet.")
        return
    for a in rows:
        left = max(0, int(a.expires_at - time.time()))
        state = f"pending ({left} s left)" if a.status == "pending" else f"{a.status} {_when(a.decided_at)}"
        click.echo(f"#{a.id}  {a.tool}  {state}\n    spends: {a.spend}\n    arguments: {a.arguments[:300]}")


def _decide(ctx: click.Context, approval_id: int, approve: bool, as_json: bool) -> None:
    a = _queue(ctx).decide(approval_id, approve, "cli")
    word = "approved: the call goes ahead" if approve else "denied: nothing is signed"
    emit(as_json, a.as_dict(), f"#{a.id} {a.tool} {word}.")


@approvals.command("approve")
@click.argument("approval_id", type=int)
@json_option
@click.pass_context
@handle_errors
def approvals_approve(ctx: click.Context, approval_id: int, as_json: bool) -> None:
    """Let a waiting call go ahead (it spends what the list says)."""
    _decide(ctx, approval_id, True, as_json)


@approvals.command("deny")
@click.argument("approval_id", type=int)
@json_option
@click.pass_context
@handle_errors
def approvals_deny(ctx: click.Context, approval_id: int, as_json: bool) -> None:
    """Refuse a waiting call (nothing is signed)."""
    _decide(ctx, approval_id, False, as_json)
