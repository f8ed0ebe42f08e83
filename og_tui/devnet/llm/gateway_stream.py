"""The streamed (SSE) reply of the devnet LLM gateway, and the reply accounting both reply kinds share.

``stream_reply`` answers a paid chat request with ``"stream": true``: builtin replies are
paced at ``tokens_per_second``; an upstream stream is relayed in batches (what the upstream
sends within ``RELAY_S`` goes on as one event, its text joined, in one write). No stream
runs longer than ``max_reply_seconds``: it is ended there with ``finish_reason: length``.
The reply is settled when it ends (or, when the client goes away, in a thread for what was
sent); the final chunk carries the settlement under ``x402`` and the TEE proof fields.
``usage_of``, ``output_text_of`` and ``input_text_of`` are the usage object and the texts a
settlement commits to, for streamed and whole replies alike.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from typing import Any, Optional

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from og_tui.devnet.llm import builtin, structured, upstream
from og_tui.devnet.llm.builtin import GenRequest, GenResult
from og_tui.devnet.llm.catalog import BACKEND_UPSTREAM, ModelSpec
from og_tui.devnet.llm.gateway_request import error_response
from og_tui.devnet.llm.payments import PaymentService, Settlement
from og_tui.devnet.llm.payments_accept import Verified, hash_hex

# an upstream stream is relayed in batches: what comes within this many seconds is one event
RELAY_S = 0.03


def usage_of(res: GenResult) -> dict:
    ct = getattr(res, "upstream_completion_tokens", None) or res.completion_tokens
    return {"prompt_tokens": res.prompt_tokens, "completion_tokens": ct, "total_tokens": res.prompt_tokens + ct}


def output_text_of(res: GenResult) -> str:
    if res.tool_calls:
        return json.dumps({"content": res.text, "tool_calls": res.tool_calls}, sort_keys=True)
    return res.text or ""


def input_text_of(req: GenRequest) -> str:
    if req.kind == "completion":
        return req.prompt
    return json.dumps({"messages": req.messages, "tools": req.tools or None}, sort_keys=True, default=str)


async def stream_reply(
    gateway: Any,
    spec: ModelSpec,
    req: GenRequest,
    extras: dict,
    verified: Verified,
    mode: str,
    request_hash: str,
    payments: Optional[PaymentService] = None,
) -> Response:
    payments = payments or gateway.payments
    up: Optional[upstream.UpstreamStream] = None
    res: Optional[GenResult] = None
    if spec.backend == BACKEND_UPSTREAM:
        up = upstream.UpstreamStream(spec, req)
        try:
            await up.open()
        except upstream.UpstreamError as exc:
            payments.release(verified)
            return error_response(str(exc), "upstream_unavailable", exc.status, backend=spec.backend)
    else:
        res = structured.generate(req, extras["response_format"])
    rate = float(extras.get("tokens_per_second") or gateway.config.tokens_per_second)
    limit = gateway.config.max_reply_seconds
    cid = "chatcmpl-" + uuid.uuid4().hex[:24]
    created = int(time.time())

    def chunk(delta: dict, finish: Optional[str] = None, **more: Any) -> str:
        obj = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": spec.id,
            "backend": spec.backend,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **more,
        }
        return "data: " + json.dumps(obj, separators=(",", ":")) + "\n\n"

    state = {"text": [], "tool_calls": None, "settled": False, "finish": None, "usage": None}

    def settle_now() -> Any:
        state["settled"] = True
        out = GenResult(
            "".join(state["text"]) or None, [], state["finish"] or "stop", 0, tool_calls=state["tool_calls"]
        )
        return payments.settle(
            verified,
            mode,
            request_hash,
            hash_hex(output_text_of(out)),
            spec.id,
            input_text_of(req),
            output_text_of(out),
            served=True,
        )

    async def gen():
        loop = asyncio.get_running_loop()
        # the reply must end (and be settled) well inside the authorization's window
        deadline = loop.time() + limit
        try:
            yield chunk({"role": "assistant", "content": ""})
            if res is not None:
                tokens = res.tokens
                t0 = loop.time()
                i = 0
                n = len(tokens)
                while i < n and loop.time() < deadline:
                    due = min(n, int((loop.time() - t0) * rate) + 1)
                    if due > i:
                        yield "".join(chunk({"content": tok}) for tok in tokens[i:due])
                        state["text"].extend(tokens[i:due])
                        i = due
                    else:
                        await asyncio.sleep(max(0.0, min(t0 + i / rate, deadline) - loop.time()))
                if i < n:
                    state["finish"] = "length"  # cut at the longest reply the gateway serves
                else:
                    if res.tool_calls:
                        state["tool_calls"] = res.tool_calls
                        yield chunk({"tool_calls": [dict(tc, index=k) for k, tc in enumerate(res.tool_calls)]})
                    state["finish"] = res.finish_reason
                usage = usage_of(res)
                if i < n:
                    usage = dict(usage, completion_tokens=i, total_tokens=usage["prompt_tokens"] + i)
            else:
                assert up is not None
                calls: dict[int, dict] = {}
                try:
                    # what the upstream sends within RELAY_S goes out as one event
                    async for batch in up.batches(RELAY_S, deadline):
                        parts: list[str] = []
                        for obj in batch:
                            for ch in obj.get("choices") or []:
                                delta = ch.get("delta") or {}
                                if delta.get("content"):
                                    parts.append(delta["content"])
                                for tc in delta.get("tool_calls") or []:
                                    slot = calls.setdefault(
                                        int(tc.get("index", 0) or 0),
                                        {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
                                    )
                                    slot["id"] = tc.get("id") or slot["id"]
                                    fn = tc.get("function") or {}
                                    slot["function"]["name"] += fn.get("name") or ""
                                    slot["function"]["arguments"] += fn.get("arguments") or ""
                                if ch.get("finish_reason"):
                                    state["finish"] = ch["finish_reason"]
                        if parts:
                            joined = "".join(parts)
                            state["text"].append(joined)
                            yield chunk({"content": joined})
                    if up.cut:
                        state["finish"] = "length"
                except upstream.UpstreamError as exc:
                    payments.release(verified)
                    state["settled"] = True
                    yield (
                        "data: "
                        + json.dumps(
                            {
                                "error": {
                                    "message": str(exc),
                                    "type": "upstream_unavailable",
                                    "code": "upstream_unavailable",
                                },
                                "backend": spec.backend,
                            }
                        )
                        + "\n\n"
                    )
                    return
                if calls:
                    state["tool_calls"] = [calls[k] for k in sorted(calls)]
                    yield chunk({"tool_calls": [dict(tc, index=k) for k, tc in enumerate(state["tool_calls"])]})
                text = "".join(state["text"])
                ptoks = builtin.prompt_tokens_of(req)
                ctoks = builtin.count_tokens(text)
                usage = up.usage or {
                    "prompt_tokens": ptoks,
                    "completion_tokens": ctoks,
                    "total_tokens": ptoks + ctoks,
                }
            st = await run_in_threadpool(settle_now)
            x402 = dict(st.public(), amount=str(st.value or verified.value), payee=verified.payee)
            proof = gateway.tee.sign_stream(extras["request"], state)
            yield chunk({}, state["finish"] or "stop", usage=usage, x402=x402, **proof)
            yield "data: [DONE]\n\n"
        finally:
            if up is not None:
                await up.aclose()
            if not state["settled"]:
                # the client went away mid-stream: charge what was authorized for the partial reply
                threading.Thread(target=settle_now, name="x402-settle-partial", daemon=True).start()

    pending = Settlement(
        mode=mode,
        status="pending",
        processing_hash=verified.processing_hash,
        payer=verified.payer,
        network=payments.network,
    )
    headers = {
        **payments.paid_headers(pending, mode),
        "x-og-backend": spec.backend,
        "Cache-Control": "no-cache",
        "Access-Control-Expose-Headers": "X-PAYMENT-RESPONSE, x-processing-hash, x-og-backend",
    }
    return StreamingResponse(gen(), media_type="text/event-stream", headers=headers)
