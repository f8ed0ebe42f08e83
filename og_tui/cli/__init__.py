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
}


@click.group(cls=LazyGroup, lazy=SUBCOMMANDS, invoke_without_command=True)
@click.option("--profile", "profile", default=None, help="Profile to use (default: local devnet).")
@click.version_option(package_name="og-tui")
@click.pass_context
def main(ctx: click.Context, profile: str | None) -> None:
    """og-tui: the OpenGradient network from your terminal."""
    ctx.ensure_object(dict)
    ctx.obj["profile"] = profile
    if ctx.invoked_subcommand is None:
        from og_tui.tui.run import run_app

        raise SystemExit(run_app(profile=profile))
