"""``og-tui gateway``: an OpenAI-compatible HTTP server paid with x402 from the wallet.

Routes (all need ``Authorization: Bearer <key>`` with a key from ``og-tui gateway keys new``):

* ``POST /v1/chat/completions``: messages, tools and tool calls, ``stream`` by SSE
  (``stream_options.include_usage`` adds the usage chunk), ``response_format``, ``seed``,
  ``top_p`` and the penalties passed on;
* ``POST /v1/completions``: a raw prompt (``stream`` answers the whole text as one chunk);
* ``GET /v1/models``: the active profile's LLMs.

Each request goes through :class:`og_tui.core.llm.LLMClient` in TEE mode: the first try is
unpaid, the server's 402 names the price, the key's budgets and the global caps are checked
(:class:`og_tui.serve.budget.GatewayCaps`; in OPG for x402 v2: ``GatewayOpgCaps``) and only
then is the payment signed. The payment
lands in the history's ``payments`` table (Activity) as any other; the request itself in
``gateway_requests`` (key, model, tokens, cost and the token it is in, payment and settlement). Errors are OpenAI's
shape, ``{"error": {"message", "type", "code"}}``, with a matching status code. ``GET
/health`` (no key) reports the live state: requests in flight, served, spend per key this
run, the last errors. The error answers and the request fields read are in
:mod:`og_tui.serve.gateway_wire`.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from typing import Any, Callable, Deque, Dict, Iterator, List, Optional

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from og_tui.serve.budget import GatewayCaps, GatewayOpgCaps
from og_tui.serve.gateway_wire import GatewayError, bearer, error_of, stop_list, tool_calls_out
from og_tui.serve.keys import OPG, GatewayKey, KeyBook

__all__ = ["Gateway", "DEFAULT_PORT", "DEFAULT_MAX_TOKENS"]

DEFAULT_PORT = 8746
DEFAULT_MAX_TOKENS = 512
# request fields handed to the network as they are (tokens_per_second and ignore_eos: the
# devnet's pacing knobs, for benchmarks)
_PASSED_ON = (
    "response_format",
    "seed",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "user",
    "parallel_tool_calls",
    "tokens_per_second",
    "ignore_eos",
)


class _Call:
    """One paid request as :meth:`Gateway._paid` leaves it: its key, body and LLM result."""

    __slots__ = ("endpoint", "started", "key", "body", "model", "stream", "result", "reservation")

    def __init__(self, endpoint: str, started: float) -> None:
        self.endpoint = endpoint
        self.started = started
        self.key: Optional[GatewayKey] = None
        self.body: Dict[str, Any] = {}
        self.model: Optional[str] = None
        self.stream = False
        self.result: Any = None
        self.reservation: Any = None


class Gateway:
    """The server's state: one LLMClient (its caps a :class:`GatewayCaps`), the key book."""

    def __init__(
        self,
        client: Any,
        book: KeyBook,
        caps: GatewayCaps,
        *,
        settlement: str = "settle-batch",
        default_max_tokens: int = DEFAULT_MAX_TOKENS,
        store: Any = None,
        opg_caps: Optional[GatewayOpgCaps] = None,
    ) -> None:
        self.client = client
        self.store = store
        self.book = book
        self.caps = caps
        self.opg_caps = opg_caps if opg_caps is not None else caps.opg  # the keys' OPG budgets (x402 v2)
        self.payment_token = caps.symbol
        self.settlement = settlement
        self.default_max_tokens = default_max_tokens
        self.profile_name = getattr(client.profile, "name", None)
        self.started = time.time()
        self._lock = threading.Lock()
        self.in_flight = 0
        self.served = 0
        self.spent_by_key: Dict[int, int] = {}  # this run, in the payment token
        self.opg_spent_by_key: Dict[int, int] = {}  # this run, in OPG (x402 v2)
        self.last_errors: Deque[Dict[str, Any]] = deque(maxlen=20)
        self._models: Optional[tuple[float, List[Dict[str, Any]]]] = None
        self.app = Starlette(
            routes=[
                Route("/v1/chat/completions", self.chat, methods=["POST"]),
                Route("/v1/completions", self.completions, methods=["POST"]),
                Route("/v1/models", self.models, methods=["GET"]),
                Route("/health", self.health, methods=["GET"]),
            ]
        )

    # -- bookkeeping ------------------------------------------------------------------------
    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1

    def _leave(self, key: Optional[GatewayKey], cost: int, error: Optional[GatewayError], opg_cost: int = 0) -> None:
        with self._lock:
            self.in_flight -= 1
            self.served += 1
            if key is not None and cost:
                self.spent_by_key[key.id] = self.spent_by_key.get(key.id, 0) + cost
            if key is not None and opg_cost:
                self.opg_spent_by_key[key.id] = self.opg_spent_by_key.get(key.id, 0) + opg_cost
            if error is not None:
                self.last_errors.append(
                    {
                        "time": time.time(),
                        "key_id": key.id if key else None,
                        "status": error.status,
                        "code": error.code,
                        "message": error.message,
                    }
                )

    def _record(
        self,
        key: Optional[GatewayKey],
        endpoint: str,
        model: Optional[str],
        stream: bool,
        started: float,
        meta: Any = None,
        error: Optional[GatewayError] = None,
        paid: int = 0,
        paid_opg: int = 0,
    ) -> None:
        """One row in the ledger. Its cost is counted in the token the request was paid in:
        the profile's payment token (x402 v1) or OPG (x402 v2); ``paid``/``paid_opg``: what a
        request that failed after paying was charged, without a reply's meta."""
        if meta is not None:
            cost = int(getattr(meta, "cost", 0) or 0)
            in_opg = int(getattr(meta, "x402_version", 0) or 0) == 2
            paid, paid_opg = (0, cost) if in_opg else (cost, 0)
        cost, token = (paid_opg, OPG) if paid_opg and not paid else (int(paid), self.payment_token)
        row = dict(
            key_id=key.id if key else None,
            endpoint=endpoint,
            model=model,
            stream=stream,
            status=error.status if error else 200,
            error_code=error.code if error else None,
            error=error.message if error else None,
            profile=self.profile_name,
        )
        try:
            self.book.record(
                **row,
                prompt_tokens=getattr(meta, "prompt_tokens", 0) if meta else 0,
                completion_tokens=getattr(meta, "completion_tokens", 0) if meta else 0,
                cost=cost,
                payment_hash=getattr(meta, "payment_hash", None),
                settlement_mode=getattr(meta, "settlement_mode", None),
                settlement_status=getattr(meta, "settlement_status", None),
                settlement_tx=getattr(meta, "settlement_tx", None),
                latency_s=time.monotonic() - started,
                token=token,
            )
            if paid and paid_opg:  # (both at once: not seen; each in its own row all the same)
                self.book.record(**row, cost=paid_opg, token=OPG)
        finally:
            self._leave(key, int(paid), error, int(paid_opg))

    async def _key(self, request: Request) -> GatewayKey:
        secret = bearer(request)
        return await run_in_threadpool(self.book.authenticate, secret)

    async def _body(self, request: Request) -> Dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"null")
        except (ValueError, UnicodeDecodeError):
            raise GatewayError(400, "The request body is not valid JSON.", code="invalid_json") from None
        if not isinstance(body, dict):
            raise GatewayError(400, "The request body must be a JSON object.", code="invalid_json")
        model = body.get("model")
        if not isinstance(model, str) or not model.strip():
            raise GatewayError(400, "'model' is required: GET /v1/models lists the models.", code="missing_model")
        if body.get("n") not in (None, 1):
            raise GatewayError(400, "Only n=1 is supported.", code="unsupported_n")
        return body

    def _common(self, body: Dict[str, Any]) -> Dict[str, Any]:
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or self.default_max_tokens
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise GatewayError(
                400, f"'max_tokens' must be a positive integer, not {max_tokens!r}.", code="invalid_max_tokens"
            )
        temperature = body.get("temperature")
        temperature = 0.0 if temperature is None else temperature
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise GatewayError(400, f"'temperature' must be a number, not {temperature!r}.", code="invalid_temperature")
        extra = {k: body[k] for k in _PASSED_ON if body.get(k) is not None}
        return dict(
            mode="TEE",
            max_tokens=max_tokens,
            temperature=float(temperature),
            stop=stop_list(body.get("stop")),
            settlement=self.settlement,
            extra_body=extra or None,
        )

    def _run(self, key: GatewayKey, fn: Callable[[], Any]) -> tuple[Any, Any]:
        """Run ``fn`` (an LLMClient call) in this worker thread, charged to ``key``: (result, reservation)."""
        with self.caps.bound(key) as reservation:
            try:
                return fn(), reservation
            except BaseException as exc:
                exc.gateway_reservation = reservation  # type: ignore[attr-defined]
                raise

    async def _paid(
        self, request: Request, endpoint: str, call_for: Callable[[Dict[str, Any]], Callable[[], Any]]
    ) -> "_Call | Response":
        """What every paid route does first: count the request in flight, check its key, read
        its body, then run the LLM call ``call_for(body)`` returns, charged to the key. A
        failure on the way is recorded and answered here (the Response returned)."""
        call = _Call(endpoint, time.monotonic())
        self._enter()
        try:
            call.key = await self._key(request)
            call.body = await self._body(request)
            call.model, call.stream = call.body["model"], bool(call.body.get("stream"))
            fn = call_for(call.body)
            call.result, call.reservation = await run_in_threadpool(self._run, call.key, fn)
        except Exception as exc:  # noqa: BLE001 - every failure is an OpenAI-shaped answer
            return self._failed(exc, call)
        return call

    def _failed(self, exc: Exception, call: "_Call") -> Response:
        """Record a request that failed; a payment the server took before it failed (the
        answer did not parse, ...) stays charged to the key."""
        err = error_of(exc)
        reservation = getattr(exc, "gateway_reservation", None)
        try:
            self._record(
                call.key,
                call.endpoint,
                call.model,
                call.stream,
                call.started,
                error=err,
                paid=reservation.amount if reservation else 0,
                paid_opg=reservation.opg_amount if reservation else 0,
            )
        finally:
            if reservation is not None:
                reservation.done()
        return err.response()

    # -- routes ------------------------------------------------------------------------------
    def live(self) -> Dict[str, Any]:
        """The live state (thread-safe): requests in flight, served, spend per key id this
        run (atomic units: ``spent_by_key`` in the payment token, ``opg_spent_by_key`` in
        OPG), the last errors (oldest first)."""
        with self._lock:
            return {
                "profile": self.profile_name,
                "started": self.started,
                "in_flight": self.in_flight,
                "served": self.served,
                "spent_by_key": dict(self.spent_by_key),
                "opg_spent_by_key": dict(self.opg_spent_by_key),
                "last_errors": list(self.last_errors),
            }

    async def health(self, request: Request) -> Response:
        state = self.live()
        for field in ("spent_by_key", "opg_spent_by_key"):
            state[field] = {str(k): str(v) for k, v in state[field].items()}
        return JSONResponse({"status": "ok", **state})

    async def models(self, request: Request) -> Response:
        try:
            await self._key(request)
            now = time.monotonic()
            if self._models is None or now - self._models[0] > 60:
                data = await run_in_threadpool(self.client.models)
                self._models = (now, data)
            data = self._models[1]
        except Exception as exc:  # noqa: BLE001 - every failure is an OpenAI-shaped answer
            return error_of(exc).response()
        out = [
            {
                "id": m.get("id"),
                "object": "model",
                "created": int(self.started),
                "owned_by": m.get("owned_by", "opengradient"),
                **{k: m[k] for k in ("price_per_token", "tee", "description") if k in m},
            }
            for m in data
            if m.get("id")
        ]
        return JSONResponse({"object": "list", "data": out})

    async def chat(self, request: Request) -> Response:
        def call_for(body: Dict[str, Any]) -> Callable[[], Any]:
            kwargs = self._common(body)
            messages, tools = body.get("messages"), body.get("tools") or None
            kwargs.update(tools=tools, tool_choice=body.get("tool_choice") if tools else None)
            model, stream = body["model"], bool(body.get("stream"))
            return lambda: self.client.chat(model, messages, stream=stream, **kwargs)

        call = await self._paid(request, "chat", call_for)
        if not isinstance(call, _Call):
            return call
        result, reservation, model = call.result, call.reservation, call.model
        if call.stream:
            include_usage = bool((call.body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(
                self._chat_events(result, reservation, call.key, model, call.started, include_usage),
                media_type="text/event-stream",
                headers=self._payment_headers(result.meta),
            )
        try:
            message = dict(result.chat_output or {})
            out_msg: Dict[str, Any] = {"role": "assistant", "content": message.get("content")}
            if message.get("tool_calls"):
                out_msg["tool_calls"] = [
                    {k: v for k, v in tc.items() if k != "index"} for tc in tool_calls_out(message["tool_calls"])
                ]
            meta = result.meta
            answer = {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {"index": 0, "message": out_msg, "finish_reason": result.finish_reason or "stop", "logprobs": None}
                ],
                "usage": self._usage(meta),
                "x402": self._x402(meta),
            }
            self._record(call.key, "chat", model, False, call.started, meta=meta)
        finally:
            reservation.done()
        return JSONResponse(answer, headers=self._payment_headers(meta))

    def _chat_events(
        self, stream: Any, reservation: Any, key: GatewayKey, model: str, started: float, include_usage: bool
    ) -> Iterator[str]:
        cid = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        err: Optional[GatewayError] = None
        recorded = False

        def finish() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            stream.close()
            try:
                self._record(key, "chat", model, True, started, meta=stream.meta, error=err)
            finally:
                reservation.done()

        def event(choices: List[Dict[str, Any]], **extra: Any) -> str:
            return (
                "data: "
                + json.dumps(
                    {
                        "id": cid,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model,
                        "choices": choices,
                        **extra,
                    },
                    separators=(",", ":"),
                )
                + "\n\n"
            )

        try:
            yield event([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
            for chunk in stream:
                for ch in chunk.choices:
                    delta: Dict[str, Any] = {}
                    if ch.delta.content:
                        delta["content"] = ch.delta.content
                    if ch.delta.tool_calls:
                        delta["tool_calls"] = [
                            {
                                "index": int(tc.get("index", i) or 0),
                                **({"id": tc["id"], "type": "function"} if tc.get("id") else {}),
                                "function": {
                                    k: v for k, v in (tc.get("function") or {}).items() if k in ("name", "arguments")
                                },
                            }
                            for i, tc in enumerate(ch.delta.tool_calls)
                        ]
                    if delta or ch.finish_reason:
                        yield event([{"index": 0, "delta": delta, "finish_reason": ch.finish_reason}])
            finish()  # recorded before the client sees the end
            if include_usage:
                yield event([], usage=self._usage(stream.meta), x402=self._x402(stream.meta))
            yield "data: [DONE]\n\n"
        except Exception as exc:  # noqa: BLE001 - said in the stream: the status line is gone
            err = error_of(exc)
            finish()
            yield (
                "data: " + json.dumps({"error": {"message": err.message, "type": err.type, "code": err.code}}) + "\n\n"
            )
        finally:
            finish()  # the client went away mid-stream

    async def completions(self, request: Request) -> Response:
        def call_for(body: Dict[str, Any]) -> Callable[[], Any]:
            prompt = body.get("prompt")
            if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
                prompt = prompt[0]
            if not isinstance(prompt, str):
                raise GatewayError(400, "'prompt' must be a string (one prompt per request).", code="invalid_prompt")
            kwargs = self._common(body)
            model = body["model"]
            return lambda: self.client.completion(model, prompt, **kwargs)

        call = await self._paid(request, "completion", call_for)
        if not isinstance(call, _Call):
            return call
        model, stream, result = call.model, call.stream, call.result
        meta = result.meta
        try:
            self._record(call.key, "completion", model, stream, call.started, meta=meta)
        finally:
            call.reservation.done()
        cid, created = f"cmpl-{uuid.uuid4().hex}", int(time.time())
        choice = {
            "index": 0,
            "text": result.completion_output or "",
            "finish_reason": result.finish_reason or "stop",
            "logprobs": None,
        }
        if stream:
            chunk = {"id": cid, "object": "text_completion", "created": created, "model": model, "choices": [choice]}

            def events() -> Iterator[str]:
                yield "data: " + json.dumps(chunk) + "\n\n"
                yield "data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream", headers=self._payment_headers(meta))
        return JSONResponse(
            {
                "id": cid,
                "object": "text_completion",
                "created": created,
                "model": model,
                "choices": [choice],
                "usage": self._usage(meta),
                "x402": self._x402(meta),
            },
            headers=self._payment_headers(meta),
        )

    # -- answer parts ----------------------------------------------------------------------------
    @staticmethod
    def _usage(meta: Any) -> Dict[str, int]:
        p, c = int(meta.prompt_tokens or 0), int(meta.completion_tokens or 0)
        return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}

    @staticmethod
    def _x402(meta: Any) -> Dict[str, Any]:
        return {
            "cost": str(meta.cost),
            "cost_text": meta.cost_text,
            "payment_hash": meta.payment_hash,
            "settlement_mode": meta.settlement_mode,
            "settlement_status": meta.settlement_status,
            "settlement_tx": meta.settlement_tx,
        }

    @staticmethod
    def _payment_headers(meta: Any) -> Dict[str, str]:
        out = {"x-og-cost": str(meta.cost)}
        if meta.payment_hash:
            out["x-og-payment-hash"] = meta.payment_hash
        return out
