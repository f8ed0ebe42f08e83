"""`og-tui`: the bare command opens the app; subcommands are for scripting."""

from __future__ import annotations

import click


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when invoked.

    The bare command starts the TUI, so it must not pay for importing web3 or the
    devnet just to build the command table.
    """

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._lazy = lazy or {}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._lazy))

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Click's standalone handling, except that with ``--json`` a usage error is one
        JSON object on stderr (``error``, ``hint``, ``exit_code``) like every other error."""
        import sys

        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode or "--json" not in argv:
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        try:
            result = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            import json

            ctx = getattr(exc, "ctx", None)
            payload = {"error": exc.format_message(), "exit_code": exc.exit_code}
            if ctx is not None:
                payload["hint"] = f"Try '{ctx.command_path} --help' for help."
            click.echo(json.dumps(payload), err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo('{"error": "Aborted.", "exit_code": 1}', err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def get_command(self, ctx, name):
        if name in self._lazy:
            module_name, attr = self._lazy[name].split(":")
            import importlib

            return getattr(importlib.import_module(module_name), attr)
        return super().get_command(ctx, name)


SUBCOMMANDS = {
    "devnet": "og_tui.cli.devnet_cmd:devnet",
    "account": "og_tui.cli.account:account",
    "hub": "og_tui.cli.hub:hub",
    "chat": "og_tui.cli.chat:chat",
    "complete": "og_tui.cli.chat:complete",
    "workflow": "og_tui.cli.workflow:workflow",
    "infer": "og_tui.cli.infer:infer",
    "config": "og_tui.cli.config_cmd:config",
    "gateway": "og_tui.cli.gateway_cmd:gateway",
    "mcp": "og_tui.cli.mcp_cmd:mcp",
}


@click.group(cls=LazyGroup, lazy=SUBCOMMANDS, invoke_without_command=True)
@click.option("--profile", "profile", default=None, help="Profile to use (default: local devnet).")
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default=None,
    help="Detail of the log in the data dir (og-tui.log; default INFO, or $OG_TUI_LOG_LEVEL).",
)
@click.version_option(package_name="og-tui")
@click.pass_context
def main(ctx: click.Context, profile: str | None, log_level: str | None) -> None:
    """og-tui: the OpenGradient network from your terminal."""
    ctx.ensure_object(dict)
    ctx.obj["profile"] = profile
    ctx.obj["log_level"] = log_level
    if ctx.invoked_subcommand is None:
        from og_tui.tui.run import run_app

        raise SystemExit(run_app(profile=profile, log_level=log_level))
