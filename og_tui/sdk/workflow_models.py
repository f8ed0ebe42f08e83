"""``og_tui.sdk.workflow_models``: the reference SDK's seven hard-coded workflow model reads.

Each returns ``WorkflowModelOutput(result="0.1234567890%", block_explorer_link=...)`` and
raises RuntimeError before :func:`og_tui.sdk.init` or when the read fails ("Error reading
from workflow with address …"). Addresses come from the active profile (the devnet
serves the same contracts at the same addresses).
"""

from __future__ import annotations

from typing import Optional

from og_tui.core.types import WorkflowModelOutput
from og_tui.sdk._state import SdkClient, _require_client

__all__ = [
    "read_eth_usdt_one_hour_volatility_forecast",
    "read_btc_1_hour_price_forecast",
    "read_eth_1_hour_price_forecast",
    "read_sol_1_hour_price_forecast",
    "read_sui_1_hour_price_forecast",
    "read_sui_usdt_30_min_price_forecast",
    "read_sui_usdt_6_hour_price_forecast",
]


def _explorer(client: SdkClient) -> Optional[str]:
    from og_tui.core import constants as C

    prof = client.profile
    if prof is not None:
        return prof.explorer_url
    return C.OG_EXPLORER_URL if client.rpc_url == C.OG_RPC_URL else None


def _read(function: str) -> WorkflowModelOutput:
    client = _require_client()
    from og_tui.core.workflow_models import model_by_function, read_workflow_model
    from og_tui.sdk.alpha import _alpha

    model = model_by_function(function, client.profile)
    return read_workflow_model(_alpha(client), model, _explorer(client))


def read_eth_usdt_one_hour_volatility_forecast() -> WorkflowModelOutput:
    """ETH/USDT one-hour volatility forecast (output ``Y``)."""
    return _read("read_eth_usdt_one_hour_volatility_forecast")


def read_btc_1_hour_price_forecast() -> WorkflowModelOutput:
    """BTC one-hour price forecast (output ``regression_output``)."""
    return _read("read_btc_1_hour_price_forecast")


def read_eth_1_hour_price_forecast() -> WorkflowModelOutput:
    """ETH one-hour price forecast (output ``regression_output``)."""
    return _read("read_eth_1_hour_price_forecast")


def read_sol_1_hour_price_forecast() -> WorkflowModelOutput:
    """SOL one-hour price forecast (output ``regression_output``)."""
    return _read("read_sol_1_hour_price_forecast")


def read_sui_1_hour_price_forecast() -> WorkflowModelOutput:
    """SUI one-hour price forecast (output ``regression_output``)."""
    return _read("read_sui_1_hour_price_forecast")


def read_sui_usdt_30_min_price_forecast() -> WorkflowModelOutput:
    """SUI/USDT 30-minute price forecast (output ``destandardized_prediction``)."""
    return _read("read_sui_usdt_30_min_price_forecast")


def read_sui_usdt_6_hour_price_forecast() -> WorkflowModelOutput:
    """SUI/USDT 6-hour price forecast (output ``destandardized_prediction``)."""
    return _read("read_sui_usdt_6_hour_price_forecast")
