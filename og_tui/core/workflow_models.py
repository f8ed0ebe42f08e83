"""The seven hard-coded workflow models of the OpenGradient SDK (``opengradient.workflow_models``).

Each one is a public workflow contract whose latest result holds one number (a
forecast as a fraction: 0.0123 = +1.23 %). A read formats it with ``.10%`` and adds a
block-explorer link to the contract when the profile has an explorer. The devnet
serves the same contracts at the same addresses (seeded at start, run on a schedule),
so these work unchanged on both the ``local`` and the ``opengradient`` profiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Union

from og_tui.core.types import WorkflowModelOutput

if TYPE_CHECKING:
    from og_tui.core.alpha import AlphaClient
    from og_tui.core.profiles import Profile

__all__ = [
    "WorkflowModel",
    "WORKFLOW_MODELS",
    "workflow_models",
    "model_by_function",
    "format_forecast",
    "read_workflow_model",
]


@dataclass(frozen=True)
class WorkflowModel:
    function: str  # the SDK function name
    title: str  # what the list shows
    address: str
    output_key: str
    pair: str
    horizon: str


WORKFLOW_MODELS: List[WorkflowModel] = [
    WorkflowModel(
        "read_eth_usdt_one_hour_volatility_forecast",
        "ETH/USDT 1 h volatility",
        "0xD5629A5b95dde11e4B5772B5Ad8a13B933e33845",
        "Y",
        "ETH/USDT",
        "1h",
    ),
    WorkflowModel(
        "read_btc_1_hour_price_forecast",
        "BTC 1 h price forecast",
        "0xb4146E095c2CD2a7aA497EdfB513F1cB868Dcc3D",
        "regression_output",
        "BTC/USDT",
        "1h",
    ),
    WorkflowModel(
        "read_eth_1_hour_price_forecast",
        "ETH 1 h price forecast",
        "0x58826c6dc9A608238d9d57a65bDd50EcaE27FE99",
        "regression_output",
        "ETH/USDT",
        "1h",
    ),
    WorkflowModel(
        "read_sol_1_hour_price_forecast",
        "SOL 1 h price forecast",
        "0xaE12EC7314e91A612CF4Fa4DC07dC02cfCc4dF95",
        "regression_output",
        "SOL/USDT",
        "1h",
    ),
    WorkflowModel(
        "read_sui_1_hour_price_forecast",
        "SUI 1 h price forecast",
        "0x90FE6434C46838c96E9ACb8d394C0fdfe38C6182",
        "regression_output",
        "SUI/USDT",
        "1h",
    ),
    WorkflowModel(
        "read_sui_usdt_30_min_price_forecast",
        "SUI/USDT 30 min forecast",
        "0xD85BA71f5701dc4C5BDf9780189Db49C6F3708D2",
        "destandardized_prediction",
        "SUI/USDT",
        "30m",
    ),
    WorkflowModel(
        "read_sui_usdt_6_hour_price_forecast",
        "SUI/USDT 6 h forecast",
        "0x3C2E4DbD653Bd30F1333d456480c1b7aB122e946",
        "destandardized_prediction",
        "SUI/USDT",
        "6h",
    ),
]

# Per-profile overrides (profile name -> {function: address}); both built-in profiles use
# the public addresses (the devnet deploys its copies there).
ADDRESS_OVERRIDES: Dict[str, Dict[str, str]] = {}


def workflow_models(profile: Union[Profile, str, None] = None) -> List[WorkflowModel]:
    """The hard-coded workflow models with the addresses of ``profile`` (a Profile or name)."""
    name = getattr(profile, "name", profile)
    overrides = ADDRESS_OVERRIDES.get(str(name), {}) if name else {}
    if not overrides:
        return list(WORKFLOW_MODELS)
    from dataclasses import replace

    return [replace(m, address=overrides.get(m.function, m.address)) for m in WORKFLOW_MODELS]


def model_by_function(function: str, profile: Union[Profile, str, None] = None) -> WorkflowModel:
    for m in workflow_models(profile):
        if m.function == function:
            return m
    raise KeyError(function)


def format_forecast(value: float) -> str:
    """The SDK's formatting: ``format(value, ".10%")``."""
    return format(float(value), ".10%")


def explorer_link(explorer_url: Optional[str], address: str) -> str:
    if not explorer_url:
        return ""
    return explorer_url.rstrip("/") + "/address/" + address


def read_workflow_model(
    alpha: AlphaClient, model: WorkflowModel, explorer_url: Optional[str] = None
) -> WorkflowModelOutput:
    """Read ``model``'s latest result through an :class:`og_tui.core.alpha.AlphaClient`.

    Any failure is re-raised as ``RuntimeError("Error reading from workflow with address …: …")``
    like the reference SDK; a workflow that has not run yet says so.
    """
    try:
        output = alpha.read_workflow_result(model.address)
        if model.output_key not in output.numbers:
            if not output.numbers and not output.strings and not output.jsons:
                raise ValueError("it has no result yet (the workflow has not run)")
            raise ValueError(f"its result has no {model.output_key!r} (has: {', '.join(output.numbers) or 'none'})")
        value = float(output.numbers[model.output_key].item())
    except Exception as exc:  # noqa: BLE001 - the reference wraps every error
        raise RuntimeError(f"Error reading from workflow with address {model.address}: {exc}") from exc
    return WorkflowModelOutput(
        result=format_forecast(value), block_explorer_link=explorer_link(explorer_url, model.address)
    )
