"""``infer`` of the seed SDK API, over :class:`og_tui.core.inference.InferenceClient`."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Dict, Optional

from og_tui.core.types import InferenceMode, InferenceResult
from og_tui.sdk._state import SdkClient, _require_client
from og_tui.sdk.exceptions import translating

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


@translating()
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
    name -> ndarray), exactly the reference's two fields.

    Raises RuntimeError if the SDK is not initialized; og_tui errors (ValidationError,
    TxReverted, InsufficientFunds, ...), which are also og_tui.sdk.exceptions classes.
    """
    return _infer(_require_client(), model_cid, inference_mode, model_input, max_retries)


def _infer(
    client: SdkClient,
    model_cid: str,
    inference_mode: InferenceMode,
    model_input: Dict[str, Any],
    max_retries: Optional[int] = None,
) -> InferenceResult:
    account = client.require_account()
    run = _inference_client(client).infer(account, model_cid, inference_mode, model_input, max_retries=max_retries)
    output = dict(run.model_output)
    attestation = getattr(run, "attestation", None)
    if attestation is not None:
        # the reference keeps the TEE attestation among the outputs (og-tui has verified it)
        import numpy as np

        fields = {k: v for k, v in attestation.as_dict().items() if k not in ("verified", "expected_signer")}
        output["tee_attestation"] = np.array(fields)
    return InferenceResult(run.transaction_hash, output)
