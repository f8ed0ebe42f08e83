"""``og_tui.sdk.alpha``: alpha workflows with the reference SDK's signatures.

    import og_tui.sdk as og
    from og_tui.sdk import alpha
    og.init(email, password, private_key, profile="local")
    address = alpha.new_workflow(cid, og.HistoricalInputQuery(...), "open_high_low_close",
                                 og.SchedulerParams(frequency=60, duration_hours=2))
    output = alpha.run_workflow(address)          # ModelOutput
    alpha.read_workflow_history(address, 10)      # most recent first

Thin wrappers over :class:`og_tui.core.alpha.AlphaClient`. Differences from the reference
(deliberate): the query is checked against the model's input signature (when the hub
can give it) and dry-run on the network's price feed before deploying, and a bad
schedule (zero frequency, end time in the past) is refused before anything is sent.
Like the reference, a scheduler registration that fails *after* the deployment is
reported on stderr and the address is still returned.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any, List, Optional

from og_tui.core.types import CandleOrder, CandleType, HistoricalInputQuery, ModelOutput, SchedulerParams
from og_tui.sdk._state import SdkClient, _require_client
from og_tui.sdk.exceptions import translating

if TYPE_CHECKING:
    from og_tui.core.alpha import AlphaClient

__all__ = [
    "new_workflow",
    "run_workflow",
    "read_workflow_result",
    "read_workflow_history",
    "HistoricalInputQuery",
    "CandleType",
    "CandleOrder",
    "SchedulerParams",
]

_lock = threading.Lock()


def _alpha(client: SdkClient) -> AlphaClient:
    """The AlphaClient of an SdkClient (created on first use)."""
    from og_tui.core import constants as C
    from og_tui.core.alpha import AlphaClient

    with _lock:
        alpha = client._og_alpha
        if alpha is None:
            prof = client.profile

            def signature(cid: str) -> Optional[dict[str, Any]]:
                from og_tui.core.errors import OGError

                try:
                    from og_tui.sdk._hub import _hub

                    return _hub(client, auth=False).model_signature(cid)
                except (OGError, RuntimeError):
                    return None  # no hub signature: the price-feed dry run still checks the shape

            alpha = AlphaClient(
                client.chain,
                # AlphaClient skips the signature check on None, but its SignatureProvider
                # type does not say so yet
                signature_provider=signature,  # type: ignore[arg-type]
                scheduler_address=getattr(prof, "scheduler_address", None) or C.SCHEDULER_ADDRESS,
                price_feed_address=getattr(prof, "price_feed_precompile", None) or C.PRICE_FEED_PRECOMPILE_ADDRESS,
            )
            client._og_alpha = alpha
    return alpha


def _new_workflow(
    client: SdkClient,
    model_cid: str,
    input_query: HistoricalInputQuery,
    input_tensor_name: str,
    scheduler_params: Optional[SchedulerParams] = None,
) -> str:
    signer = client.require_account()
    from og_tui.core.alpha import ScheduleFailed

    try:
        return _alpha(client).new_workflow(signer, model_cid, input_query, input_tensor_name, scheduler_params)
    except ScheduleFailed as exc:
        print(f"Warning: {exc}", file=sys.stderr)
        return exc.address


def _run_workflow(client: SdkClient, contract_address: str) -> ModelOutput:
    return _alpha(client).run_workflow(client.require_account(), contract_address)


def _read_workflow_result(client: SdkClient, contract_address: str) -> ModelOutput:
    return _alpha(client).read_workflow_result(contract_address)


def _read_workflow_history(client: SdkClient, contract_address: str, num_results: int) -> List[ModelOutput]:
    return _alpha(client).read_workflow_history(contract_address, num_results)


@translating()
def new_workflow(
    model_cid: str,
    input_query: HistoricalInputQuery,
    input_tensor_name: str,
    scheduler_params: Optional[SchedulerParams] = None,
) -> str:
    """Deploy a workflow contract for ``model_cid`` fed by ``input_query``; returns its address.

    With ``scheduler_params`` it is also registered to run every ``frequency`` seconds for
    ``duration_hours`` hours. Raises RuntimeError before init, og_tui errors for bad input.
    """
    return _new_workflow(_require_client(), model_cid, input_query, input_tensor_name, scheduler_params)


@translating()
def run_workflow(contract_address: str) -> ModelOutput:
    """Run the workflow now (a transaction) and return the output of this run."""
    return _run_workflow(_require_client(), contract_address)


@translating()
def read_workflow_result(contract_address: str) -> ModelOutput:
    """The latest result stored by the workflow (read-only call)."""
    return _read_workflow_result(_require_client(), contract_address)


@translating()
def read_workflow_history(contract_address: str, num_results: int) -> List[ModelOutput]:
    """The last ``num_results`` results, most recent first (read-only call)."""
    return _read_workflow_history(_require_client(), contract_address, num_results)


class Alpha:
    """``client.alpha``: the alpha functions bound to one :class:`og_tui.sdk.Client`."""

    def __init__(self, client: SdkClient) -> None:
        self._client = client

    @translating()
    def new_workflow(
        self,
        model_cid: str,
        input_query: HistoricalInputQuery,
        input_tensor_name: str,
        scheduler_params: Optional[SchedulerParams] = None,
    ) -> str:
        return _new_workflow(self._client, model_cid, input_query, input_tensor_name, scheduler_params)

    @translating()
    def run_workflow(self, contract_address: str) -> ModelOutput:
        return _run_workflow(self._client, contract_address)

    @translating()
    def read_workflow_result(self, contract_address: str) -> ModelOutput:
        return _read_workflow_result(self._client, contract_address)

    @translating()
    def read_workflow_history(self, contract_address: str, num_results: int) -> List[ModelOutput]:
        return _read_workflow_history(self._client, contract_address, num_results)
