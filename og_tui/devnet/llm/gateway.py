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

This module holds the routes (:class:`Gateway`) and the paid path of a whole reply; request
validation and the error body are in gateway_request.py, the streamed reply in
gateway_stream.py, x402 version 2 in gateway_v2.py.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any, Optional

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from og_tui.devnet.llm import builtin, structured, upstream
from og_tui.devnet.llm.builtin import GenRequest, GenResult
from og_tui.devnet.llm.catalog import BACKEND_UPSTREAM, Catalog, GatewayConfig, ModelSpec
from og_tui.devnet.llm.gateway_request import BadRequest, error_response, parse_request, request_hash_of
from og_tui.devnet.llm.gateway_stream import input_text_of, output_text_of, stream_reply, usage_of
from og_tui.devnet.llm.payments import (
    DEFAULT_SETTLEMENT,
    SETTLEMENT_MODES,
    ZERO_HASH,
    PaymentInvalid,
    PaymentService,
)
from og_tui.devnet.llm.payments_accept import Verified, hash_hex
from og_tui.devnet.tee import service_for as tee_service_for


def run_sync(spec: ModelSpec, req: GenRequest) -> GenResult:
    """Generate with the model's backend, synchronously (used on chain)."""
    if spec.backend == BACKEND_UPSTREAM:
        return upstream.complete_sync(spec, req)
    return builtin.generate(req)


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
            return await stream_reply(self, spec, req, extras, verified, mode, request_hash, payments)
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
                hash_hex(output_text_of(res)),
                spec.id,
                input_text_of(req),
                output_text_of(res),
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
                "usage": usage_of(res),
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
                "usage": usage_of(res),
                "x402": x402,
            }
        body.update(self.tee.sign_result(kind, extras["request"], res))
        return JSONResponse(body, headers=headers)
