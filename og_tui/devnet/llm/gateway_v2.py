"""The x402 v2 side of the devnet LLM gateway (see x402_v2.py for the protocol and the payments).

:class:`GatewayV2` answers requests of v2 clients (``PAYMENT-SIGNATURE``, or
``X-SETTLEMENT-TYPE: private|batch``): its 402s carry the v2 requirements in the body and the
``PAYMENT-REQUIRED`` header; a verified payment is handed to ``Gateway._serve``, which produces,
releases and settles the reply exactly as for v1. ``GET /v1/x402/blobs/{blob id}`` serves the
record of a ``batch`` settlement (its input and output hashes).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Optional

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from og_tui.devnet.llm.gateway_request import error_response, request_hash_of
from og_tui.devnet.llm.payment_header import PaymentInvalid
from og_tui.devnet.llm.x402_v2 import DEFAULT_MODE, MODES, OPG_PER_OUSDC_UNIT, PaymentServiceV2
from og_tui.devnet.llm.x402_v2_wire import _b64json

__all__ = ["GatewayV2"]


class GatewayV2:
    """The v2 side of the gateway: its 402s, verification and reply headers (the reply itself is
    produced and settled by :meth:`Gateway._serve`, as for v1)."""

    def __init__(self, gateway: Any) -> None:
        cfg = gateway.config
        self.gateway = gateway
        self.payments = PaymentServiceV2(
            gateway.node, cfg.batch_seconds, cfg.timeout_seconds, cfg.max_reply_seconds, cfg.margin_seconds
        )

    def info(self) -> dict:
        """What ``GET /v1/models`` says of x402 v2."""
        from og_tui.core import constants

        return {
            "network": self.payments.network,
            "token": {
                "address": constants.OPG_DEVNET_ADDRESS,
                "symbol": constants.OPG_NAME,
                "decimals": constants.OPG_DECIMALS,
            },
            "schemes": ["upto", "exact"],
            "settlement_modes": list(MODES),
            "permit2": constants.PERMIT2_ADDRESS,
            "facilitator": self.payments.registry_address,
            "payee": self.payments.payee,
        }

    def routes(self) -> list:
        return [Route("/v1/x402/blobs/{blob_id}", self.blob, methods=["GET"])]

    @staticmethod
    def applies(request: Request) -> bool:
        """A v2 client: it pays with PAYMENT-SIGNATURE or asks for a v2 settlement mode."""
        mode = (request.headers.get("x-settlement-type") or "").strip().lower()
        return "payment-signature" in request.headers or mode in MODES

    def _price(self, spec: Any, req: Any) -> tuple[int, int]:
        unit = spec.price_per_token * OPG_PER_OUSDC_UNIT
        return unit * req.max_tokens, unit

    @staticmethod
    def _resource(request: Request, spec: Any, req: Any) -> dict:
        return {
            "url": str(request.url),
            "description": f"{req.kind} with {spec.id}, up to {req.max_tokens} tokens",
            "mimeType": "application/json",
        }

    def required_headers(self, request: Request, spec: Any, req: Any, error: str) -> dict:
        """The ``PAYMENT-REQUIRED`` header a v1 402 carries too (so a v2 client can pay it)."""
        amount, _ = self._price(spec, req)
        body = self.payments.payment_required(self.payments.accepts(amount), error, self._resource(request, spec, req))
        return {"PAYMENT-REQUIRED": _b64json(body)}

    def _402(
        self, accepts: dict, message: str, request: Request, spec: Any, req: Any, code: Optional[str] = None
    ) -> Response:
        body = self.payments.payment_required(accepts, message, self._resource(request, spec, req), code)
        return JSONResponse(body, status_code=402, headers={"PAYMENT-REQUIRED": _b64json(body)})

    async def handle(self, request: Request, kind: str, spec: Any, req: Any, extras: dict) -> Response:
        name = (request.headers.get("x-settlement-type") or DEFAULT_MODE).strip().lower()
        if name not in MODES:
            return error_response(
                f"X-SETTLEMENT-TYPE must be one of {', '.join(MODES)} with x402 v2, not {name!r}.",
                "invalid_settlement",
                400,
            )
        mode = MODES[name]
        amount, unit = self._price(spec, req)
        accepts = self.payments.accepts(amount)
        header = request.headers.get("payment-signature")
        if not header:
            return self._402(accepts, "No PAYMENT-SIGNATURE header provided", request, spec, req)
        request_hash = request_hash_of(req)
        stream = bool(extras["stream"])
        try:
            verified = await run_in_threadpool(
                lambda: self.payments.verify(header, accepts, request_hash, mode=mode, stream=stream)
            )
        except PaymentInvalid as exc:
            if exc.amount_due is not None:
                accepts = {"exact": dict(accepts["exact"], amount=str(exc.amount_due))}
            return self._402(accepts, exc.message, request, spec, req, exc.code)
        verified.unit_price = unit
        return await self.gateway._serve(spec, req, extras, verified, mode, request_hash, accepts, kind, self.payments)

    async def blob(self, request: Request) -> Response:
        raw = request.path_params["blob_id"]
        try:
            digest = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)) if len(raw) <= 64 else b""
        except (binascii.Error, ValueError):
            digest = b""
        st = self.payments.status("0x" + digest.hex()) if len(digest) == 32 else None
        if st is None or st.mode != MODES["batch"]:
            return error_response("No batch settlement record with that blob id on this devnet.", "not_found", 404)
        return JSONResponse(
            {
                "blobId": raw,
                "processingHash": st.processing_hash,
                "inputHash": st.input_hash,
                "outputHash": st.output_hash,
                "payer": st.payer,
                "amount": str(st.value),
                "network": st.network,
                "status": st.status,
                "transaction": st.transaction,
            }
        )
