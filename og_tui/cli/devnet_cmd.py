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
@click.option(
    "--x402-network",
    type=click.Choice(["og-devnet", "og-evm"]),
    default=None,
    help="Network name of the LLM gateway's x402 payments [default: og-devnet, or $OG_TUI_DEVNET_X402_NETWORK]. "
    "og-evm lets unmodified OpenGradient SDK clients pay; the token's EIP-712 domain stays devnet-only.",
)
def devnet(host: str, port: int, data_dir: str | None, x402_network: str | None) -> None:
    """Run the local devnet (chain, faucet, hub, LLM gateway) on one port."""
    from og_tui.devnet.server import serve

    raise SystemExit(serve(host, port, data_dir, x402_network))
