"""``infer`` of the seed SDK API, over :class:`og_tui.core.inference.InferenceClient`."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Dict, Optional

from og_tui.core.types import InferenceMode, InferenceResult
from og_tui.sdk._state import SdkClient, _require_client

if TYPE_CHECKING:
    from og_tui.core.inference import InferenceClient

__all__ = ["infer"]

_lock = threading.Lock()


def _inference_client(client: SdkClient) -> InferenceClient:
    from og_tui.core.inference import InferenceClient

    with _lock:
        ic = client._og_inference
        if ic is None or ic.chain is not client.chain:
            ic = InferenceClient(client.chain, client.contract_address, client.api_url)
            client._og_inference = ic
    return ic


def infer(
    model_cid: str,
    inference_mode: InferenceMode,
    model_input: Dict[str, Any],
    max_retries: Optional[int] = None,
) -> InferenceResult:
    """Run inference on a model.

    Arguments:
        model_cid: CID of the model to use.
        inference_mode: InferenceMode.VANILLA, ZKML or TEE.
        model_input: dict of tensor name -> value (scalar, list or numpy array).
        max_retries: attempts on nonce errors (default 5).

    Returns an InferenceResult (``transaction_hash`` without 0x, ``model_output`` dict
    name -> ndarray); it is an ``og_tui.core.inference.InferenceRun`` with extra fields
    (block, gas_used, latency_s, attestation for TEE...).

    Raises RuntimeError if the SDK is not initialized; og_tui errors (ValidationError,
    TxReverted, InsufficientFunds, ...) otherwise.
    """
    client = _require_client()
    account = client.require_account()
    return _inference_client(client).infer(account, model_cid, inference_mode, model_input, max_retries=max_retries)
