"""`og-tui devnet`: run the local OpenGradient-compatible network in the foreground."""

from __future__ import annotations

from typing import Optional

import click

from og_tui.core import constants
from og_tui.devnet import limits as L


@click.command("devnet")
@click.option(
    "--host",
    default=constants.DEVNET_HOST,
    show_default=True,
    help="Interface to listen on. Anything but a loopback address needs --allow-remote.",
)
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
    "--allow-remote",
    is_flag=True,
    default=False,
    help="Allow a non-loopback --host (e.g. 0.0.0.0): anyone reaching the port can use the dev "
    "accounts and the faucet.",
)
@click.option(
    "--public-url",
    default=None,
    metavar="URL",
    help="The URL the devnet hands out (/devnet/info, x402 resources) and answers to as Host "
    "[default: http://HOST:PORT].",
)
@click.option(
    "--cors",
    "cors",
    multiple=True,
    metavar="ORIGIN",
    help="Let web pages from ORIGIN (e.g. http://localhost:3000, or *) call the devnet; repeatable. "
    "[default: no cross-origin requests]",
)
@click.option(
    "--max-body-mib",
    default=L.DEFAULT_MAX_BODY / L.MIB,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Largest JSON request body, in MiB.",
)
@click.option(
    "--max-json-depth",
    default=L.DEFAULT_MAX_JSON_DEPTH,
    show_default=True,
    type=click.IntRange(1, 1_000),
    help="Deepest nesting of arrays/objects in a JSON body.",
)
@click.option(
    "--rpc-batch-limit",
    default=L.DEFAULT_BATCH_LIMIT,
    show_default=True,
    type=click.IntRange(1),
    help="Most requests in one JSON-RPC batch.",
)
@click.option(
    "--rpc-response-mib",
    default=L.DEFAULT_RESPONSE_LIMIT / L.MIB,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Largest JSON-RPC response (one answer or a batch), in MiB.",
)
@click.option(
    "--rpc-max-filters",
    default=L.DEFAULT_MAX_FILTERS,
    show_default=True,
    type=click.IntRange(1),
    help="Most live eth_newFilter/eth_newBlockFilter filters.",
)
@click.option(
    "--rpc-filter-timeout",
    default=L.DEFAULT_FILTER_TIMEOUT,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds an unused filter lives.",
)
@click.option(
    "--rpc-gas-cap",
    default=L.DEFAULT_GAS_CAP,
    show_default=True,
    type=click.IntRange(0),
    help="Gas of one eth_call / eth_estimateGas (0 = the block gas limit).",
)
@click.option(
    "--rpc-evm-timeout",
    default=L.DEFAULT_EVM_TIMEOUT,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds one eth_call / eth_estimateGas may run (0 = no limit).",
)
@click.option(
    "--rpc-evm-concurrency",
    default=L.DEFAULT_EVM_CONCURRENCY,
    show_default=True,
    type=click.IntRange(1, 64),
    help="eth_call / eth_estimateGas requests run at once; more wait their turn.",
)
@click.option(
    "--tx-evm-timeout",
    default=L.DEFAULT_TX_TIMEOUT,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds one transaction may run; a longer one is refused, not mined (0 = no limit).",
)
@click.option(
    "--x402-network",
    type=click.Choice(["og-devnet", "og-evm"]),
    default=None,
    help="Network name of the LLM gateway's x402 payments [default: og-devnet, or $OG_TUI_DEVNET_X402_NETWORK]. "
    "og-evm lets unmodified OpenGradient SDK clients pay; the token's EIP-712 domain stays devnet-only.",
)
def devnet(
    host: str,
    port: int,
    data_dir: Optional[str],
    x402_network: Optional[str],
    allow_remote: bool,
    public_url: Optional[str],
    cors: tuple[str, ...],
    max_body_mib: float,
    max_json_depth: int,
    rpc_batch_limit: int,
    rpc_response_mib: float,
    rpc_max_filters: int,
    rpc_filter_timeout: float,
    rpc_gas_cap: int,
    rpc_evm_timeout: float,
    rpc_evm_concurrency: int,
    tx_evm_timeout: float,
) -> None:
    """Run the local devnet (chain, faucet, hub, LLM gateway) on one port, for this machine only."""
    import os

    from og_tui.devnet.server import serve

    # everything this process writes (chain, keys, hub accounts, payment records) is for its
    # user only; the code that writes those files sets 0600/0700 itself, this covers the rest
    os.umask(0o077)
    if public_url is not None and not public_url.startswith(("http://", "https://")):
        raise click.BadParameter(f"{public_url!r} is not an http(s) URL", param_hint="--public-url")
    limits = L.DevnetLimits(
        max_body=int(max_body_mib * L.MIB),
        max_json_depth=max_json_depth,
        batch_limit=rpc_batch_limit,
        response_limit=int(rpc_response_mib * L.MIB),
        max_filters=rpc_max_filters,
        filter_timeout=rpc_filter_timeout,
        gas_cap=rpc_gas_cap,
        evm_timeout=rpc_evm_timeout,
        evm_concurrency=rpc_evm_concurrency,
        tx_timeout=tx_evm_timeout,
    )
    raise SystemExit(
        serve(
            host,
            port,
            data_dir,
            x402_network,
            limits=limits,
            allow_remote=allow_remote,
            public_url=public_url,
            cors=cors,
        )
    )
