"""The devnet LLM gateway: OpenAI-shaped ``/v1`` routes paid with x402.

``POST /v1/chat/completions`` (JSON or SSE with ``"stream": true``), ``POST /v1/completions``
(top-level ``completion`` plus OpenAI ``choices``), ``GET /v1/models``,
``GET /v1/x402/settlements/{processing_hash}`` (where a payment was settled; batch
payments show ``queued`` until their batch transaction is mined; kept across restarts),
``GET /v1/x402/debts/{payer}`` (what a payer owes for served replies whose payment failed)
and ``POST /v1/x402/debts/{payer}`` (pay it, with x402).

Every response names its backend: header ``x-og-backend`` and body field ``backend``.
Errors are JSON ``{"error": {"message", "type", "code"}}``; payment problems are 402
with the x402 v1 body (``x402Version``, ``error``, ``accepts``, plus ``invalidReason``).
Paid responses carry ``X-PAYMENT-RESPONSE`` (base64 JSON: success, transaction,
network, payer, mode, status, processingHash) and ``x-processing-hash``. A stream is
settled when it ends; its final chunk carries the settlement under ``x402``. An upstream
stream is relayed in batches: what the upstream sends within ``RELAY_S`` goes on as one
event (its text joined), in one write. No reply
(stream or not) runs longer than ``max_reply_seconds``: a stream is ended there with
``finish_reason: length``, a non-streamed upstream reply is a 504 (nothing charged).
See payments.py for the payment guarantees.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from typing import Any, Optional

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from og_tui.devnet.llm import builtin, structured, upstream
from og_tui.devnet.llm.builtin import GenRequest, GenResult
from og_tui.devnet.llm.catalog import BACKEND_UPSTREAM, Catalog, GatewayConfig, ModelSpec
from og_tui.devnet.llm.payments import (
    DEFAULT_SETTLEMENT,
    SETTLEMENT_MODES,
    ZERO_HASH,
    PaymentInvalid,
    PaymentService,
    Verified,
    hash_hex,
)
from og_tui.devnet.tee import service_for as tee_service_for

MAX_TOKENS_LIMIT = 100_000
# an upstream stream is relayed in batches: what comes within this many seconds is one event
RELAY_S = 0.03


class BadRequest(Exception):
    def __init__(self, message: str, code: str = "invalid_request", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def error_response(
    message: str, code: str, status: int, backend: Optional[str] = None, etype: Optional[str] = None
) -> JSONResponse:
    body: dict[str, Any] = {"error": {"message": message, "type": etype or code, "code": code}}
    headers = {}
    if backend:
        body["backend"] = backend
        headers["x-og-backend"] = backend
    return JSONResponse(body, status_code=status, headers=headers)


# --- request parsing ------------------------------------------------------------------------


def _check_tools(tools: Any) -> list:
    if tools in (None, []):
        return []
    if not isinstance(tools, list):
        raise BadRequest(
            "Malformed tools: 'tools' must be a JSON array of {type: 'function', function: {name, parameters}}.",
            "invalid_tools",
        )
    for i, t in enumerate(tools):
        fn = t.get("function") if isinstance(t, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"].strip():
            raise BadRequest(
                f'Malformed tool at index {i}: expected {{"type": "function", "function": {{"name": ..., "parameters": {{...}}}}}}.',
                "invalid_tools",
            )
        params = fn.get("parameters")
        if params is not None and not isinstance(params, dict):
            raise BadRequest(
                f"Malformed tool {fn['name']!r}: 'parameters' must be a JSON schema object.", "invalid_tools"
            )
    return tools


def _check_stop(stop: Any) -> list:
    if stop in (None, "", []):
        return []
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        return [s for s in stop if s]
    raise BadRequest("'stop' must be a string or an array of strings.", "invalid_stop")


def parse_request(kind: str, body: Any, catalog: Catalog) -> tuple[ModelSpec, GenRequest, dict]:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    model = body.get("model")
    spec = catalog.find(model)
    if spec is None:
        sample = ", ".join(s.id for s in list(catalog.models.values())[-3:])
        raise BadRequest(
            f"Unknown model {model!r}. GET /v1/models lists the models of this devnet (e.g. {sample}).",
            "unknown_model",
            404,
        )
    max_tokens = body.get("max_tokens", 100)
    if body.get("max_completion_tokens") is not None and body.get("max_tokens") is None:
        max_tokens = body["max_completion_tokens"]
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= MAX_TOKENS_LIMIT:
        raise BadRequest(
            f"'max_tokens' must be an integer from 1 to {MAX_TOKENS_LIMIT}, not {max_tokens!r}.", "invalid_max_tokens"
        )
    temperature = body.get("temperature", 0.0)
    if temperature is None:
        temperature = 0.0
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 <= temperature <= 2:
        raise BadRequest(f"'temperature' must be a number from 0 to 2, not {temperature!r}.", "invalid_temperature")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise BadRequest("'seed' must be an integer.", "invalid_seed")
    req = GenRequest(
        kind=kind,
        model=spec.id,
        max_tokens=max_tokens,
        temperature=float(temperature),
        stop=_check_stop(body.get("stop")),
        seed=seed,
        ignore_eos=bool(body.get("ignore_eos")),
    )
    if kind == "completion":
        prompt = body.get("prompt")
        if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
            prompt = prompt[0]
        if not isinstance(prompt, str):
            raise BadRequest("'prompt' must be a string.", "invalid_prompt")
        req.prompt = prompt
    else:
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise BadRequest("'messages' must be a non-empty array of {role, content} objects.", "invalid_messages")
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or m.get("role") not in (
                "system",
                "user",
                "assistant",
                "tool",
                "developer",
                "function",
            ):
                raise BadRequest(
                    f"Message {i} must be an object with a role of system, user, assistant or tool.", "invalid_messages"
                )
            if m.get("role") == "tool" and not m.get("tool_call_id"):
                raise BadRequest(
                    f"Message {i} (role tool) needs the 'tool_call_id' of the call it answers.", "invalid_messages"
                )
        req.messages = messages
        req.tools = _check_tools(body.get("tools"))
        choice = body.get("tool_choice")
        if choice not in (None, "", "auto", "none", "required"):
            name = (
                choice
                if isinstance(choice, str)
                else ((choice.get("function") or {}).get("name") if isinstance(choice, dict) else None)
            )
            names = [t["function"]["name"] for t in req.tools]
            if not name or name not in names:
                raise BadRequest(
                    f"'tool_choice' names {name or choice!r}, which is not among the offered tools {names}.",
                    "invalid_tool_choice",
                )
        if choice == "required" and not req.tools:
            raise BadRequest("'tool_choice' is 'required' but no tools were offered.", "invalid_tool_choice")
        req.tool_choice = choice
    extras = {"stream": bool(body.get("stream")), "tokens_per_second": body.get("tokens_per_second")}
    rate = extras["tokens_per_second"]
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0):
        raise BadRequest("'tokens_per_second' must be a positive number.", "invalid_rate")
    return spec, req, extras


def request_hash_of(req: GenRequest) -> str:
    """What a payment for ``req`` is bound to (its processing hash and settlement input hash)."""
    return hash_hex(req.canonical() + json.dumps([req.max_tokens, req.stop]))


def run_sync(spec: ModelSpec, req: GenRequest) -> GenResult:
    """Generate with the model's backend, synchronously (used on chain)."""
    if spec.backend == BACKEND_UPSTREAM:
        return upstream.complete_sync(spec, req)
    return builtin.generate(req)


def _usage(res: GenResult) -> dict:
    ct = getattr(res, "upstream_completion_tokens", None) or res.completion_tokens
    return {"prompt_tokens": res.prompt_tokens, "completion_tokens": ct, "total_tokens": res.prompt_tokens + ct}


def _output_text(res: GenResult) -> str:
    if res.tool_calls:
        return json.dumps({"content": res.text, "tool_calls": res.tool_calls}, sort_keys=True)
    return res.text or ""


def _input_text(req: GenRequest) -> str:
    if req.kind == "completion":
        return req.prompt
    return json.dumps({"messages": req.messages, "tools": req.tools or None}, sort_keys=True, default=str)


class Gateway:
    def __init__(self, node: Any, config: Optional[GatewayConfig] = None) -> None:
        self.node = node
        extra = (getattr(node.config, "extra", None) or {}).get("llm")
        self.config = config or GatewayConfig.load(extra=extra)
        self.catalog = Catalog(self.config)
        self.payments = PaymentService(
            node,
            self.config.batch_seconds,
            self.config.timeout_seconds,
            self.config.max_reply_seconds,
            self.config.margin_seconds,
        )
        self.tee = tee_service_for(node, self.payments.payee)  # registry entry, reply signatures (devnet/tee)
        from og_tui.devnet.llm.gateway_v2 import GatewayV2

        self.v2 = GatewayV2(self)  # x402 version 2 beside v1: OPG through Permit2 (gateway_v2.py)

    def routes(self) -> list:
        return [
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/completions", self.completions, methods=["POST"]),
            Route("/v1/x402/settlements/{processing_hash}", self.settlement, methods=["GET"]),
            Route("/v1/x402/debts/{payer}", self.debts, methods=["GET", "POST"]),
        ] + self.v2.routes()

    # -- simple routes ---------------------------------------------------------------------------
    async def models(self, request: Request) -> Response:
        return JSONResponse(
            {
                "object": "list",
                "data": self.catalog.public(),
                "backend": "gateway",
                "payee": self.payments.payee,
                "network": self.payments.network,
                "settlement_registry": "0x0000000000000000000000000000000000000402",
                "batch_seconds": self.config.batch_seconds,
                "max_reply_seconds": self.config.max_reply_seconds,
                "settle_horizon_seconds": self.payments.settle_horizon,
                "x402_v2": self.v2.info(),
            }
        )

    async def settlement(self, request: Request) -> Response:
        st = self.payments.status(request.path_params["processing_hash"]) or self.v2.payments.status(
            request.path_params["processing_hash"]
        )
        if st is None:
            return error_response("No payment with that processing hash on this devnet.", "not_found", 404)
        return JSONResponse(st.public())

    async def debts(self, request: Request) -> Response:
        """What a payer owes (GET), or pay it (POST with X-Payment for the whole debt)."""
        from eth_utils import is_hex_address, to_checksum_address

        raw = request.path_params["payer"]
        if not is_hex_address(raw):
            return error_response(
                f"Not an address: {raw[:60]!r} (expected 0x and 40 hex digits).", "invalid_address", 400
            )
        payer = to_checksum_address(raw)
        owed = await run_in_threadpool(self.payments.owed, payer)
        total = sum(d.value for d in owed)
        body = {"payer": payer, "owed": str(total), "items": [d.public() for d in owed]}
        if request.method == "GET" or not total:
            return JSONResponse(body)
        requirement = self.payments.requirements(
            total, str(request.url), f"debt of {payer}: {len(owed)} served replies not paid"
        )
        header = request.headers.get("x-payment")
        if not header:
            return JSONResponse(
                self.payments.required_body(requirement, f"{payer} owes {total} OUSDC units; pay them with X-Payment."),
                status_code=402,
            )
        try:
            verified = await run_in_threadpool(
                lambda: self.payments.verify(
                    header, requirement, hash_hex("debt:" + payer), mode="settle", debt_only=True
                )
            )
        except PaymentInvalid as exc:
            return JSONResponse(self.payments.required_body(requirement, exc.message, exc.code), status_code=402)
        if verified.payer.lower() != payer.lower():
            self.payments.release(verified)
            return error_response(
                f"The payment is from {verified.payer}, not from {payer} whose debt this is.", "wrong_payer", 400
            )
        st = await run_in_threadpool(
            self.payments.settle, verified, "settle", hash_hex("debt:" + payer), ZERO_HASH, served=False
        )
        if st.status != "settled":
            return JSONResponse(
                self.payments.required_body(requirement, f"Payment settlement failed: {st.error}", "settlement_failed"),
                status_code=402,
                headers={"X-PAYMENT-RESPONSE": st.header()},
            )
        return JSONResponse(
            {
                "payer": payer,
                "owed": "0",
                "paid": str(verified.value),
                "transaction": st.transaction,
                "items": [dict(d.public(), status="settled", paidAsDebtBy=st.transaction) for d in owed],
            },
            headers={"X-PAYMENT-RESPONSE": st.header()},
        )

    async def chat(self, request: Request) -> Response:
        return await self._handle(request, "chat")

    async def completions(self, request: Request) -> Response:
        return await self._handle(request, "completion")

    # -- the paid path -------------------------------------------------------------------------------
    async def _handle(self, request: Request, kind: str) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError):
            return error_response("The request body is not valid JSON.", "invalid_json", 400)
        try:
            spec, req, extras = parse_request(kind, body, self.catalog)
        except BadRequest as exc:
            return error_response(exc.message, exc.code, exc.status)
        try:
            extras["response_format"] = structured.for_request(kind, body, req, spec.backend != BACKEND_UPSTREAM)
        except structured.FormatError as exc:
            return error_response(exc.message, exc.code, 400)
        extras["request"] = body  # as received: what the TEE signature commits to
        if kind == "completion":
            extras["stream"] = False  # completions are answered whole (as the reference server does)
        if self.v2.applies(request):
            return await self.v2.handle(request, kind, spec, req, extras)
        mode = (request.headers.get("x-settlement-type") or DEFAULT_SETTLEMENT).strip().lower()
        if mode not in SETTLEMENT_MODES:
            return error_response(
                f"X-SETTLEMENT-TYPE must be one of {', '.join(SETTLEMENT_MODES)}, not {mode!r}.",
                "invalid_settlement",
                400,
            )
        price = spec.price_per_token * req.max_tokens
        what = "chat" if kind == "chat" else "completion"
        requirement = self.payments.requirements(
            price,
            str(request.url),
            f"{what} with {spec.id}, up to {req.max_tokens} tokens ({spec.price_per_token} units per token)",
        )
        header = request.headers.get("x-payment")
        if not header:
            return JSONResponse(
                self.payments.required_body(requirement, "No X-PAYMENT header provided"),
                status_code=402,
                headers=self.v2.required_headers(request, spec, req, "No PAYMENT-SIGNATURE header provided"),
            )
        request_hash = request_hash_of(req)
        stream = bool(extras["stream"])
        try:
            verified = await run_in_threadpool(
                lambda: self.payments.verify(header, requirement, request_hash, mode=mode, stream=stream)
            )
        except PaymentInvalid as exc:
            if exc.amount_due is not None:
                requirement = dict(requirement, maxAmountRequired=str(exc.amount_due))
            return JSONResponse(self.payments.required_body(requirement, exc.message, exc.code), status_code=402)
        return await self._serve(spec, req, extras, verified, mode, request_hash, requirement, kind, self.payments)

    async def _serve(
        self,
        spec: ModelSpec,
        req: GenRequest,
        extras: dict,
        verified: Verified,
        mode: str,
        request_hash: str,
        requirement: dict,
        kind: str,
        payments: PaymentService,
    ) -> Response:
        """Produce and release a reply whose payment ``payments`` has accepted, and settle it."""
        stream = bool(extras["stream"])
        if verified.debts:
            # a payment that also pays the payer's debt is settled before anything is served
            st = await run_in_threadpool(payments.settle, verified, "settle", request_hash, ZERO_HASH, served=False)
            if st.status != "settled":
                body, headers = payments.refusal(
                    requirement, f"Payment settlement failed: {st.error}", "settlement_failed", st
                )
                return JSONResponse(body, status_code=402, headers=headers)
        if stream:
            return await self._stream(spec, req, extras, verified, mode, request_hash, payments)
        limit = self.config.max_reply_seconds
        try:
            if spec.backend == BACKEND_UPSTREAM:
                res = await asyncio.wait_for(upstream.complete(spec, req), timeout=limit)
            else:
                res = structured.generate(req, extras["response_format"])
        except asyncio.TimeoutError:
            payments.release(verified)
            return error_response(
                f"The {spec.backend} backend did not answer within {limit:g}s (the longest reply this "
                "gateway serves); nothing was charged.",
                "reply_timeout",
                504,
                backend=spec.backend,
            )
        except upstream.UpstreamError as exc:
            payments.release(verified)
            return error_response(str(exc), "upstream_unavailable", exc.status, backend=spec.backend)
        except Exception as exc:  # noqa: BLE001
            payments.release(verified)
            return error_response(
                f"The {spec.backend} backend failed: {exc}", "backend_error", 500, backend=spec.backend
            )
        # settle and settle-metadata: on chain before the content leaves (served=False: a failure
        # is a 402 and nothing is released); settle-batch: reserved and written to the queue first
        st = await run_in_threadpool(
            lambda: payments.settle(
                verified,
                mode,
                request_hash,
                hash_hex(_output_text(res)),
                spec.id,
                _input_text(req),
                _output_text(res),
                served=(mode == "settle-batch"),
            )
        )
        if st.status == "failed":
            body, headers = payments.refusal(
                requirement, f"Payment settlement failed: {st.error}", "settlement_failed", st
            )
            return JSONResponse(body, status_code=402, headers=dict(headers, **{"x-og-backend": spec.backend}))
        headers = {
            **payments.paid_headers(st, mode),
            "x-og-backend": spec.backend,
            "Access-Control-Expose-Headers": "X-PAYMENT-RESPONSE, x-processing-hash, x-og-backend",
        }
        created = int(time.time())
        x402 = dict(st.public(), amount=str(st.value or verified.value), payee=verified.payee)
        if kind == "completion":
            body = {
                "id": "cmpl-" + uuid.uuid4().hex[:24],
                "object": "text_completion",
                "created": created,
                "model": spec.id,
                "backend": spec.backend,
                "completion": res.text or "",
                "choices": [{"index": 0, "text": res.text or "", "finish_reason": res.finish_reason}],
                "usage": _usage(res),
                "x402": x402,
            }
        else:
            message: dict[str, Any] = {"role": "assistant", "content": res.text}
            if res.tool_calls:
                message["tool_calls"] = res.tool_calls
            body = {
                "id": "chatcmpl-" + uuid.uuid4().hex[:24],
                "object": "chat.completion",
                "created": created,
                "model": spec.id,
                "backend": spec.backend,
                "choices": [{"index": 0, "message": message, "finish_reason": res.finish_reason}],
                "usage": _usage(res),
                "x402": x402,
            }
        body.update(self.tee.sign_result(kind, extras["request"], res))
        return JSONResponse(body, headers=headers)

    async def _stream(
        self,
        spec: ModelSpec,
        req: GenRequest,
        extras: dict,
        verified: Verified,
        mode: str,
        request_hash: str,
        payments: Optional[PaymentService] = None,
    ) -> Response:
        payments = payments or self.payments
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
        rate = float(extras.get("tokens_per_second") or self.config.tokens_per_second)
        limit = self.config.max_reply_seconds
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
                hash_hex(_output_text(out)),
                spec.id,
                _input_text(req),
                _output_text(out),
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
                    usage = _usage(res)
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
                proof = self.tee.sign_stream(extras["request"], state)
                yield chunk({}, state["finish"] or "stop", usage=usage, x402=x402, **proof)
                yield "data: [DONE]\n\n"
            finally:
                if up is not None:
                    await up.aclose()
                if not state["settled"]:
                    # the client went away mid-stream: charge what was authorized for the partial reply
                    threading.Thread(target=settle_now, name="x402-settle-partial", daemon=True).start()

        from og_tui.devnet.llm.payments import Settlement

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
