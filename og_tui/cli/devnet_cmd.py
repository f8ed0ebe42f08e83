"""`og-tui devnet`: run the local OpenGradient-compatible network in the foreground."""

from __future__ import annotations

import click

from og_tui.core import constants


@click.command("devnet")
@click.option("--host", default=constants.DEVNET_HOST, show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    default=constants.DEVNET_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port for RPC, faucet, hub and LLM endpoints (0 = any free port).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, dir_okay=True, writable=True),
    default=None,
    help="Where the chain is kept [default: the platform data dir / devnet, or $OG_TUI_DEVNET_DATA_DIR].",
)
def devnet(host: str, port: int, data_dir: str | None) -> None:
    """Run the local devnet (chain, faucet, hub, LLM gateway) on one port."""
    import os

    from og_tui.devnet.server import serve

    # everything this process writes (chain, keys, hub accounts, payment records) is for its
    # user only; the code that writes those files sets 0600/0700 itself, this covers the rest
    os.umask(0o077)

    raise SystemExit(serve(host, port, data_dir))
