"""Node API routes of the devnet inference service (mounted by server.py).

- ``GET /artela-network/artela-rollkit/inference/tx/{id}``: the stored result of an
  inference, ``{"inference_results": [<base64 of {"InferenceResult": {...}}>]}`` (protocol
  notes §2, the reference SDK's fallback when the event carries no output); 404 with
  ``{"error": ...}`` for an unknown id.
- ``GET /devnet/inference``: the attestation signer, ZKML support, inline-output limit,
  registered LLM methods and run counters (model runs, cache hits) for tests and the UI.
"""

from __future__ import annotations

import base64
import json
from typing import Any, List

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["routes", "NODE_API_PREFIX"]

NODE_API_PREFIX = "/artela-network/artela-rollkit/inference/tx/"


def routes(node: Any) -> List[Route]:
    from og_tui.devnet.inference_hub import inference_service

    service = inference_service(node)

    async def result(request: Request) -> Response:
        inference_id = request.path_params["inference_id"]
        payload = await run_in_threadpool(service.store.get, inference_id)
        if payload is None:
            return JSONResponse({"error": f"no inference result with id {inference_id!r}"}, status_code=404)
        text = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return JSONResponse({"inference_results": [base64.b64encode(text).decode("ascii")]})

    async def info(request: Request) -> Response:
        return JSONResponse(service.info())

    return [
        Route(NODE_API_PREFIX + "{inference_id:path}", result, methods=["GET"]),
        Route("/devnet/inference", info, methods=["GET"]),
    ]
