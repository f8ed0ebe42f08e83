"""The inference precompile at 0x...F4, callable directly (as on the real network).

``runModelInference((uint8 mode, string modelCID, ModelInput input)) returns (ModelOutput)``
(selector 0x7289e9c2) runs the same code path as the hub's ``run`` (see
inference_hub.py): the model runs once per (cid, input), gas grows with the work, the
result is stored for the node API, and ``ModelInferenceEvent(inferenceID, request,
response)`` is emitted from 0xF4. LLM methods registered with
``register_precompile_method`` are dispatched first.
"""

from __future__ import annotations

from og_tui.core import inference_abi as A
from og_tui.devnet.native import NativeCall, NativeRevert

__all__ = ["InferencePrecompile"]


class InferencePrecompile:
    def __init__(self, service) -> None:
        self.service = service

    def __call__(self, call: NativeCall) -> bytes:
        from og_tui.devnet.inference_hub import _PRECOMPILE_METHODS

        if call.value:
            raise NativeRevert("inference precompile: does not accept native tokens")
        sel = call.selector
        extra = _PRECOMPILE_METHODS.get(sel)
        if extra is not None:
            return extra[1](call) or b""
        if sel == A.RUN_MODEL_INFERENCE_SELECTOR:
            req = self.service.prepare(call, A.decode_request)
            done = self.service.execute(call, req)
            return (32).to_bytes(32, "big") + done.output_tail
        if len(call.data) < 4:
            raise NativeRevert("inference precompile: no function selector")
        raise NativeRevert(f"inference precompile: unknown function selector 0x{sel.hex()}")
