"""The OpenAI side of og-tui's gateway (:mod:`og_tui.serve.gateway`): its error answers
(:class:`GatewayError`, and :func:`error_of`, which maps what serving a request raised to the
OpenAI-shaped answer and status code) and the request fields it reads (the bearer key,
``stop``, tool calls).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Dict, List, Optional

from starlette.requests import Request
from starlette.responses import JSONResponse

from og_tui.core import errors as E
from og_tui.core.x402 import PaymentRejected
from og_tui.core.x402_common import PaymentRefused, SpendCapReached
from og_tui.serve.budget import KeyBudgetExceeded
from og_tui.serve.keys import KeyRefused, day_start

__all__ = ["GatewayError", "bearer", "error_of", "stop_list", "tool_calls_out"]


class GatewayError(Exception):
    """An OpenAI-shaped error answer."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        code: Optional[str] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = E.redact(message)
        self.type = type_
        self.code = code
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error": {"message": self.message, "type": self.type, "param": None, "code": self.code}},
            status_code=self.status,
            headers=self.headers,
        )


def error_of(exc: BaseException) -> GatewayError:
    """The answer for an error raised while serving a request."""
    if isinstance(exc, GatewayError):
        return exc
    text = str(exc)
    if isinstance(exc, KeyRefused):
        return GatewayError(401, text, "invalid_request_error", exc.code)
    if isinstance(exc, KeyBudgetExceeded):
        # the same codes in OPG (x402 v2) with an "opg_" in front: key_opg_day, ...
        opg = exc.kind.startswith("key_opg_")
        kind = exc.kind[len("key_opg_" if opg else "key_") :]
        prefix = "opg_" if opg else ""
        if kind == "day":
            retry = int(day_start() + 86400 - time.time()) + 1
            return GatewayError(
                429,
                text,
                "insufficient_quota",
                f"{prefix}daily_budget_exceeded",
                {"retry-after": str(retry), "x-should-retry": "false"},
            )
        if kind == "missing":  # budgets in the other token only
            return GatewayError(402, text, "insufficient_quota", f"{prefix}budget_missing")
        code = "request_budget_exceeded" if kind == "request" else "total_budget_exceeded"
        return GatewayError(402, text, "insufficient_quota", prefix + code)
    if isinstance(exc, SpendCapReached):
        return GatewayError(402, text, "insufficient_quota", "spend_cap_reached")
    if isinstance(exc, PaymentRefused):
        return GatewayError(502, text, "payment_refused", "payment_refused")
    if isinstance(exc, PaymentRejected):
        if exc.code == "insufficient_funds":
            return GatewayError(
                402, f"{text} Top the wallet up with OUSDC.", "insufficient_quota", "insufficient_funds"
            )
        return GatewayError(502, text, "payment_rejected", exc.code or "payment_rejected")
    if isinstance(exc, E.PaymentError):
        return GatewayError(503, text, "payment_error", "payment_error")
    if isinstance(exc, E.ValidationError):
        return GatewayError(400, text, "invalid_request_error", "invalid_request")
    if isinstance(exc, E.UnknownModel):
        return GatewayError(404, text, "invalid_request_error", "model_not_found")
    if isinstance(exc, E.NetworkUnreachable):
        return GatewayError(503, text, "upstream_error", "network_unreachable")
    if isinstance(exc, E.UpstreamUnavailable):
        return GatewayError(502, text, "upstream_error", exc.code or "upstream_unavailable")
    if isinstance(exc, E.LLMError):
        status = exc.status if exc.status and 400 <= exc.status < 500 and exc.status not in (401, 402, 403) else 502
        return GatewayError(
            status, text, "invalid_request_error" if status < 500 else "upstream_error", exc.code or "upstream_error"
        )
    if isinstance(exc, E.OGError):
        return GatewayError(500, text, "server_error", "gateway_error")
    return GatewayError(500, f"Unexpected gateway error ({type(exc).__name__}).", "server_error", "internal_error")


def bearer(request: Request) -> Optional[str]:
    value = request.headers.get("authorization", "")
    if value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return request.headers.get("x-api-key") or None


def stop_list(value: Any) -> Optional[List[str]]:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return value
    raise GatewayError(400, "'stop' must be a string or an array of strings.", code="invalid_stop")


def tool_calls_out(calls: Any) -> List[Dict[str, Any]]:
    out = []
    for i, tc in enumerate(calls or []):
        fn = tc.get("function") if isinstance(tc.get("function"), dict) else tc
        args = fn.get("arguments", "")
        out.append(
            {
                "id": tc.get("id") or f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "index": i,
                "function": {
                    "name": fn.get("name", ""),
                    "arguments": args if isinstance(args, str) else json.dumps(args),
                },
            }
        )
    return out
