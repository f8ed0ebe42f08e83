"""`og-tui devnet`: run the local OpenGradient-compatible network in the foreground."""

from __future__ import annotations

from typing import Any, Callable, Optional, TypeVar

import click

from og_tui.core import constants
from og_tui.devnet import limits as L

F = TypeVar("F", bound=Callable[..., Any])

# `og-tui devnet` options that set one DevnetLimits field each:
# option -> (field, default, click type, help, option value -> field value)
_MIB = float(L.MIB)
_LIMITS: list[tuple[str, str, float, click.ParamType, str, Callable[[float], float]]] = [
    (
        "--max-body-mib",
        "max_body",
        L.DEFAULT_MAX_BODY / _MIB,
        click.FloatRange(min=0, min_open=True),
        "Largest JSON request body, in MiB.",
        lambda v: int(v * _MIB),
    ),
    (
        "--max-json-depth",
        "max_json_depth",
        L.DEFAULT_MAX_JSON_DEPTH,
        click.IntRange(1, 1_000),
        "Deepest nesting of arrays/objects in a JSON body.",
        int,
    ),
    (
        "--rpc-batch-limit",
        "batch_limit",
        L.DEFAULT_BATCH_LIMIT,
        click.IntRange(1),
        "Most requests in one JSON-RPC batch.",
        int,
    ),
    (
        "--rpc-response-mib",
        "response_limit",
        L.DEFAULT_RESPONSE_LIMIT / _MIB,
        click.FloatRange(min=0, min_open=True),
        "Largest JSON-RPC response (one answer or a batch), in MiB.",
        lambda v: int(v * _MIB),
    ),
    (
        "--rpc-max-filters",
        "max_filters",
        L.DEFAULT_MAX_FILTERS,
        click.IntRange(1),
        "Most live eth_newFilter/eth_newBlockFilter filters.",
        int,
    ),
    (
        "--rpc-filter-timeout",
        "filter_timeout",
        L.DEFAULT_FILTER_TIMEOUT,
        click.FloatRange(min=0, min_open=True),
        "Seconds an unused filter lives.",
        float,
    ),
    (
        "--rpc-gas-cap",
        "gas_cap",
        L.DEFAULT_GAS_CAP,
        click.IntRange(0),
        "Gas of one eth_call / eth_estimateGas (0 = the block gas limit).",
        int,
    ),
    (
        "--rpc-evm-timeout",
        "evm_timeout",
        L.DEFAULT_EVM_TIMEOUT,
        click.FloatRange(0),
        "Seconds one eth_call / eth_estimateGas may run (0 = no limit).",
        float,
    ),
    (
        "--rpc-evm-concurrency",
        "evm_concurrency",
        L.DEFAULT_EVM_CONCURRENCY,
        click.IntRange(1, 64),
        "eth_call / eth_estimateGas requests run at once; more wait their turn.",
        int,
    ),
    (
        "--tx-evm-timeout",
        "tx_timeout",
        L.DEFAULT_TX_TIMEOUT,
        click.FloatRange(0),
        "Seconds one transaction may run; a longer one is refused, not mined (0 = no limit).",
        float,
    ),
]
# click's parameter name of each option -> (DevnetLimits field, conversion)
_LIMIT_FIELDS = {flag[2:].replace("-", "_"): (field, scale) for flag, field, _d, _t, _h, scale in _LIMITS}


def _limit_options(fn: F) -> F:
    for flag, _field, default, kind, text, _scale in reversed(_LIMITS):
        fn = click.option(flag, default=default, show_default=True, type=kind, help=text)(fn)
    return fn


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
@_limit_options
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
    **limit_values: float,
) -> None:
    """Run the local devnet (chain, faucet, hub, LLM gateway) on one port, for this machine only."""
    import os

    from og_tui.devnet.server import serve

    # everything this process writes (chain, keys, hub accounts, payment records) is for its
    # user only; the code that writes those files sets 0600/0700 itself, this covers the rest
    os.umask(0o077)
    if public_url is not None and not public_url.startswith(("http://", "https://")):
        raise click.BadParameter(f"{public_url!r} is not an http(s) URL", param_hint="--public-url")
    limits = L.DevnetLimits(**{field: scale(limit_values[name]) for name, (field, scale) in _LIMIT_FIELDS.items()})
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
