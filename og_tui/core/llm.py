"""LLM chat and completion: TEE over HTTP paid with x402, VANILLA on chain.

    client = LLMClient(profile, signer, store=store, caps=SpendCaps.from_settings(settings))
    out = client.chat("og-devnet/mini", [{"role": "user", "content": "hi"}], mode=LlmInferenceMode.TEE)
    out.chat_output["content"], out.meta.cost, out.meta.settlement_tx, out.meta.backend

    stream = client.chat(model, messages, stream=True, cancel=event)
    for chunk in stream:          # StreamChunk, as tokens arrive
        print(chunk.content, end="")
    stream.meta.tokens_per_s, stream.text, stream.tool_calls

- TEE: ``POST {llm_url}/v1/chat/completions`` (``/v1/completions``) with the bare model
  name (after the first ``/``), ``X-SETTLEMENT-TYPE`` and x402 through
  :class:`og_tui.core.x402.X402PaymentAuth`. Any non-2xx raises (the reference SDK's
  stream silently yields nothing; this one says why).
- VANILLA: ``runLLMChat`` / ``runLLMCompletion`` on the inference hub contract via
  ChainClient.send; the answer is decoded from the ``LLMChatResult`` /
  ``LLMCompletionResult`` event.
- Streams are :class:`ChatStream` (a TextGenerationStream). ``close()`` may be called
  from another thread: it shuts the socket so a blocked read returns at once. A stream
  that breaks off raises :class:`StreamInterrupted` carrying the partial text.

Nothing heavy is imported at module level (httpx only); eth_abi / eth_account lazily.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Union

import httpx

from og_tui.core.errors import NetworkUnreachable, OGError, PaymentError, ValidationError
from og_tui.core.types import (
    LlmInferenceMode,
    StreamChoice,
    StreamChunk,
    StreamDelta,
    StreamUsage,
    TextGenerationOutput,
    TextGenerationStream,
    x402SettlementMode,
)

__all__ = [
    "DEVNET_MODEL",
    "LLMClient",
    "ChatResult",
    "ChatStream",
    "ReplyMeta",
    "LLMError",
    "UnknownModel",
    "UpstreamUnavailable",
    "StreamInterrupted",
    "ToolCallError",
    "parse_tools",
    "parse_messages",
    "parse_tool_arguments",
    "bare_model",
]

DEVNET_MODEL = "og-devnet/mini"

# --- ABI of the on-chain LLM methods (inference hub, see core/abi/inference_hub.json) -------------
LLM_TOOL_CALL_TYPE = "(string,string,string)"
LLM_MESSAGE_TYPE = f"(string,string,string,string,{LLM_TOOL_CALL_TYPE}[])"
LLM_TOOL_TYPE = "(string,string,string)"
CHAT_REQUEST_TYPE = f"(uint8,string,{LLM_MESSAGE_TYPE}[],{LLM_TOOL_TYPE}[],string,uint32,string[],uint32)"
CHAT_RESPONSE_TYPE = f"(string,{LLM_MESSAGE_TYPE})"
COMPLETION_REQUEST_TYPE = "(uint8,string,string,uint32,string[],uint32)"
COMPLETION_RESPONSE_TYPE = "(string)"
SIG_RUN_LLM_CHAT = f"runLLMChat({CHAT_REQUEST_TYPE})"  # 0xe39aa7e7
SIG_RUN_LLM_COMPLETION = f"runLLMCompletion({COMPLETION_REQUEST_TYPE})"  # 0x14800c61
SIG_LLM_CHAT_RESULT = f"LLMChatResult({CHAT_RESPONSE_TYPE})"
SIG_LLM_COMPLETION_RESULT = f"LLMCompletionResult({COMPLETION_RESPONSE_TYPE})"


# --- errors ----------------------------------------------------------------------------------------


class LLMError(OGError):
    def __init__(self, message: str = "", *, status: Optional[int] = None, code: Optional[str] = None,
                 backend: Optional[str] = None, hint: Optional[str] = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.backend = backend


class UnknownModel(LLMError):
    default_hint = "Pick a model the server lists (GET /v1/models; on devnet e.g. og-devnet/mini)."


class UpstreamUnavailable(LLMError):
    default_hint = "Start the upstream model server, or use the devnet's builtin model."


class StreamInterrupted(LLMError):
    """The stream broke off. ``partial_text`` / ``tool_calls`` / ``meta`` hold what arrived."""

    default_hint = "The partial reply was kept; retry to get a full one."

    def __init__(self, message: str, *, partial_text: str = "", tool_calls: Optional[list] = None,
                 meta: Optional["ReplyMeta"] = None, hint: Optional[str] = None) -> None:
        super().__init__(message, hint=hint)
        self.partial_text = partial_text
        self.tool_calls = tool_calls or []
        self.meta = meta


class ToolCallError(ValidationError):
    """A tool call whose arguments do not parse as a JSON object."""


# --- input helpers ---------------------------------------------------------------------------------


def bare_model(model: Any) -> str:
    """``openai/gpt-4o`` -> ``gpt-4o`` (the HTTP and on-chain model name)."""
    text = str(getattr(model, "value", model))
    return text.split("/", 1)[1] if "/" in text else text


def _load_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"Malformed {what} JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.", field=what) from None


def parse_tools(value: Any) -> List[dict]:
    """Tools from JSON text or a list, checked: OpenAI ``[{type: function, function: {name, parameters}}]``
    (a bare ``{name, parameters}`` is wrapped). Raises ValidationError naming the problem."""
    if value is None or value == "":
        return []
    data = _load_json(value, "tools") if isinstance(value, (str, bytes)) else value
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValidationError("Malformed tools JSON: expected an array of tool definitions.", field="tools")
    out = []
    for i, tool in enumerate(data):
        if isinstance(tool, dict) and "function" not in tool and "name" in tool:
            tool = {"type": "function", "function": tool}
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"].strip():
            raise ValidationError(f"Malformed tool #{i + 1}: it needs a function with a name "
                                  '({"type": "function", "function": {"name": ..., "parameters": {...}}}).', field="tools")
        params = fn.get("parameters", {"type": "object", "properties": {}})
        if isinstance(params, str):
            params = _load_json(params, f"parameters of tool {fn['name']}")
        if not isinstance(params, dict):
            raise ValidationError(f"Malformed tool {fn['name']!r}: parameters must be a JSON schema object.", field="tools")
        out.append({"type": "function", "function": dict(fn, parameters=params)})
    return out


def parse_messages(value: Any) -> List[dict]:
    """Messages from JSON text or a list; each needs a role (and content unless it has tool calls)."""
    data = _load_json(value, "messages") if isinstance(value, (str, bytes)) else value
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise ValidationError("Messages must be a non-empty JSON array of {role, content} objects.", field="messages")
    for i, m in enumerate(data):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise ValidationError(f"Message #{i + 1} must be an object with a 'role'.", field="messages")
        if m.get("content") is None and not m.get("tool_calls"):
            raise ValidationError(f"Message #{i + 1} ({m['role']}) has no content.", field="messages")
    return data


def parse_tool_arguments(tool_call: dict) -> dict:
    """The arguments of a tool call (nested or flat form) as a dict; ToolCallError if they do not parse."""
    fn = tool_call.get("function") if isinstance(tool_call.get("function"), dict) else tool_call
    name = fn.get("name", "?")
    raw = fn.get("arguments", "")
    if isinstance(raw, dict):
        return raw
    try:
        args = json.loads(raw or "{}")
    except ValueError as exc:
        raise ToolCallError(f"The model called tool {name!r} with arguments that do not parse as JSON ({exc.msg}): {str(raw)[:200]}",
                            field="tool_calls") from None
    if not isinstance(args, dict):
        raise ToolCallError(f"The model called tool {name!r} with arguments that are not a JSON object: {str(raw)[:200]}",
                            field="tool_calls")
    return args


# --- results -----------------------------------------------------------------------------------------


@dataclass
class ReplyMeta:
    """What the UI shows under a reply."""

    model: str
    mode: str  # "TEE" | "VANILLA"
    kind: str = "chat"  # "chat" | "completion"
    backend: Optional[str] = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    started: float = field(default_factory=time.monotonic)
    first_token_s: Optional[float] = None
    elapsed_s: float = 0.0
    cost: int = 0  # atomic payment-token units (TEE); 0 on chain
    cost_text: str = ""
    payer: Optional[str] = None
    payee: Optional[str] = None
    payment_hash: Optional[str] = None  # x-processing-hash
    settlement_mode: Optional[str] = None
    settlement_status: Optional[str] = None  # settled | queued | pending | failed
    settlement_tx: Optional[str] = None
    transaction_hash: Optional[str] = None  # VANILLA tx
    gas_fee_wei: Optional[int] = None
    finish_reason: Optional[str] = None
    interrupted: bool = False
    cancelled: bool = False

    @property
    def tokens(self) -> int:
        return self.completion_tokens

    @property
    def tokens_per_s(self) -> float:
        span = self.elapsed_s - (self.first_token_s or 0.0) if self.first_token_s is not None else self.elapsed_s
        if self.completion_tokens <= 1 or span <= 0:
            return float(self.completion_tokens) / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return (self.completion_tokens - 1) / span

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("started", None)
        d["cost"] = str(self.cost)
        d["tokens_per_s"] = round(self.tokens_per_s, 2)
        return d


@dataclass
class ChatResult(TextGenerationOutput):
    """TextGenerationOutput plus the reply's metadata."""

    meta: Optional[ReplyMeta] = None


def _merge_tool_deltas(acc: Dict[int, dict], deltas: list) -> None:
    for tc in deltas or []:
        idx = int(tc.get("index", len(acc)) or 0)
        slot = acc.setdefault(idx, {"id": "", "type": "function", "function": {"name": "", "arguments": ""}})
        if tc.get("id"):
            slot["id"] = tc["id"]
        fn = tc.get("function") or {}
        if fn.get("name"):
            slot["function"]["name"] += fn["name"]
        if fn.get("arguments"):
            slot["function"]["arguments"] += fn["arguments"]


class ChatStream(TextGenerationStream):
    """Iterator of StreamChunk from an SSE response; see the module docstring."""

    def __init__(self, response: Optional[httpx.Response], meta: ReplyMeta, *, cancel: Any = None,
                 chunks: Optional[List[StreamChunk]] = None, on_done: Optional[Callable[["ChatStream"], None]] = None) -> None:
        self.response = response
        self.meta = meta
        self.cancel = cancel
        self._parts: List[str] = []
        self._tools: Dict[int, dict] = {}
        self.done = False
        self._closed_by_user = False
        self._lock = threading.Lock()
        self._on_done = on_done
        self.x402: dict = {}
        source = iter(chunks) if chunks is not None else self._events()
        super().__init__(source)

    @property
    def tool_calls(self) -> List[dict]:
        return [self._tools[k] for k in sorted(self._tools)]

    @property
    def text(self) -> str:
        """The text received so far (the whole reply once the stream is done)."""
        return "".join(self._parts)

    def _cancelled(self) -> bool:
        c = self.cancel
        if c is None:
            return self._closed_by_user
        if hasattr(c, "is_set"):
            return bool(c.is_set()) or self._closed_by_user
        return bool(c()) or self._closed_by_user

    def __next__(self) -> StreamChunk:
        if self._cancelled() and not self.done:
            self.meta.cancelled = True
            self.close()
            raise StopIteration
        chunk = super().__next__()
        now = time.monotonic() - self.meta.started
        if chunk.content:
            if self.meta.first_token_s is None:
                self.meta.first_token_s = now
            self._parts.append(chunk.content)
        for ch in chunk.choices:
            if ch.delta.tool_calls:
                _merge_tool_deltas(self._tools, ch.delta.tool_calls)
            if ch.finish_reason:
                self.meta.finish_reason = ch.finish_reason
        if chunk.usage is not None:
            self.meta.prompt_tokens = chunk.usage.prompt_tokens
            self.meta.completion_tokens = chunk.usage.completion_tokens
        elif chunk.content:
            self.meta.completion_tokens += 1
        self.meta.elapsed_s = now
        return chunk

    def _events(self) -> Iterator[dict]:
        resp = self.response
        assert resp is not None
        try:
            for line in resp.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    self._finish()
                    return
                try:
                    obj = json.loads(data)
                except ValueError:
                    continue
                if not isinstance(obj, dict):
                    continue
                if obj.get("error"):
                    err = obj["error"]
                    msg = err.get("message") if isinstance(err, dict) else str(err)
                    code = err.get("code") if isinstance(err, dict) else None
                    self.meta.interrupted = True
                    cls = UpstreamUnavailable if code == "upstream_unavailable" else LLMError
                    raise StreamInterrupted(f"The reply broke off: {msg}", partial_text="".join(self._parts),
                                            tool_calls=self.tool_calls, meta=self.meta) if self._parts else cls(str(msg), code=code)
                if obj.get("backend") and not self.meta.backend:
                    self.meta.backend = obj["backend"]
                if isinstance(obj.get("x402"), dict):
                    self._settled(obj["x402"])
                yield obj
        except (httpx.TransportError, httpx.StreamError) as exc:
            if self._cancelled():
                self.meta.cancelled = True
                return
            self.meta.interrupted = True
            self.meta.elapsed_s = time.monotonic() - self.meta.started
            raise StreamInterrupted(
                f"The stream from the LLM gateway broke off after {len(self._parts)} chunks ({type(exc).__name__}: {exc or 'connection lost'}).",
                partial_text="".join(self._parts), tool_calls=self.tool_calls, meta=self.meta,
            ) from None
        finally:
            self._close_response()
        if not self.done and not self._cancelled():
            self.meta.interrupted = True
            raise StreamInterrupted("The stream from the LLM gateway ended without its final [DONE] event.",
                                    partial_text="".join(self._parts), tool_calls=self.tool_calls, meta=self.meta)

    def _settled(self, x402: dict) -> None:
        self.x402 = x402
        self.meta.settlement_tx = x402.get("transaction") or self.meta.settlement_tx
        self.meta.settlement_status = x402.get("status") or self.meta.settlement_status

    def _finish(self) -> None:
        self.done = True
        self.meta.elapsed_s = time.monotonic() - self.meta.started
        if self._on_done is not None:
            self._on_done(self)

    def _close_response(self) -> None:
        resp = self.response
        if resp is None:
            return
        try:
            resp.close()
        except Exception:  # noqa: BLE001
            pass

    def close(self) -> None:
        """Stop the stream now (thread-safe): the HTTP connection is shut at once."""
        with self._lock:
            if not self.done:
                self._closed_by_user = True
                self.meta.cancelled = True
            resp = self.response
            if resp is not None and not self.done:
                stream = resp.extensions.get("network_stream")
                sock = None
                try:
                    sock = stream.get_extra_info("socket") if stream is not None else None
                except Exception:  # noqa: BLE001
                    sock = None
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
        try:
            super().close()
        except Exception:  # noqa: BLE001 - the generator is running in another thread
            pass
        self.meta.elapsed_s = time.monotonic() - self.meta.started


# --- the client --------------------------------------------------------------------------------------


def _mode_of(mode: Any) -> LlmInferenceMode:
    if isinstance(mode, LlmInferenceMode):
        return mode
    if isinstance(mode, str):
        try:
            return LlmInferenceMode[mode.strip().upper()]
        except KeyError:
            raise ValidationError(f"Mode must be VANILLA or TEE, not {mode!r}.", field="mode") from None
    return LlmInferenceMode(int(mode))


def _settlement_of(value: Any) -> str:
    if value is None:
        return x402SettlementMode.SETTLE_BATCH.value
    text = str(getattr(value, "value", value)).strip().lower()
    if text not in {m.value for m in x402SettlementMode}:
        raise ValidationError(f"Settlement must be settle, settle-metadata or settle-batch, not {value!r}.", field="settlement")
    return text


class LLMClient:
    """Chat and completion for one profile and wallet (``signer`` may be None for unpaid use)."""

    def __init__(self, profile: Any, signer: Any = None, store: Any = None, caps: Any = None, *,
                 chain: Any = None, on_payment: Optional[Callable[[Any], None]] = None,
                 timeout: float = 60.0, llm_url: Optional[str] = None) -> None:
        self.profile = profile
        self.signer = signer
        self.store = store
        self.caps = caps
        self.on_payment = on_payment
        self.base_url = (llm_url or profile.llm_url).rstrip("/")
        if self.base_url.endswith("/v1"):
            self.base_url = self.base_url[:-3]
        self._chain = chain
        self._devnet_payee: Optional[str] = None
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=15.0, write=30.0, pool=10.0),
                                  follow_redirects=False)
        self.last_payment = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "LLMClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- helpers ---------------------------------------------------------------------------
    @property
    def chain(self) -> Any:
        if self._chain is None:
            from og_tui.core.chain import ChainClient

            self._chain = ChainClient(self.profile.rpc_url, timeout=120.0)
        return self._chain

    def _auth(self, settlement: str, model: str) -> Any:
        from og_tui.core.x402 import X402PaymentAuth

        def on_payment(info: Any) -> None:
            self.last_payment = info
            if self.on_payment is not None:
                self.on_payment(info)

        return X402PaymentAuth(
            self.signer, self.profile.x402_network, self.profile.chain_id, caps=self.caps, settlement=settlement,
            model=model, store=self.store, profile_name=getattr(self.profile, "name", None), on_payment=on_payment,
            policy=self.payment_policy(),
        )

    def payment_policy(self) -> Any:
        """What a 402 may ask for on this profile (see x402.PaymentPolicy). A devnet pays the
        payee its gateway publishes in /v1/models (read once); other profiles pin theirs with
        ``x402_payees``."""
        from og_tui.core.x402 import PaymentPolicy

        payees = None
        if getattr(self.profile, "is_devnet", False) and not getattr(self.profile, "x402_payees", None):
            if self._devnet_payee is None:
                try:
                    data = self._http.get(f"{self.base_url}/v1/models", timeout=10.0).json()
                    self._devnet_payee = str(data["payee"]) if isinstance(data, dict) and data.get("payee") else ""
                except (httpx.HTTPError, ValueError):
                    self._devnet_payee = ""
            payees = [self._devnet_payee] if self._devnet_payee else None
        return PaymentPolicy.from_profile(self.profile, payees)

    def _headers(self, settlement: str) -> dict:
        return {
            "Content-Type": "application/json",
            "Authorization": "Bearer 0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef",
            "X-SETTLEMENT-TYPE": settlement,
        }

    def _error(self, resp: httpx.Response, model: str) -> OGError:
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code == 402 and isinstance(body, dict) and "x402Version" in body:
            from og_tui.core.x402 import rejection_from

            return rejection_from(resp)
        err = body.get("error") if isinstance(body, dict) else None
        msg = (err.get("message") if isinstance(err, dict) else err) or (resp.text[:300] if resp.text else "")
        code = err.get("code") if isinstance(err, dict) else None
        backend = (body.get("backend") if isinstance(body, dict) else None) or resp.headers.get("x-og-backend")
        if code == "unknown_model" or (resp.status_code == 404 and "model" in str(msg).lower()):
            return UnknownModel(str(msg) or f"Unknown model {model!r}.", status=resp.status_code, code=code, backend=backend)
        if code == "upstream_unavailable" or resp.status_code in (502, 503, 504):
            return UpstreamUnavailable(str(msg) or f"The LLM backend is unavailable (HTTP {resp.status_code}).",
                                       status=resp.status_code, code=code, backend=backend)
        return LLMError(f"The LLM server answered HTTP {resp.status_code}: {msg}".rstrip(": "), status=resp.status_code,
                        code=code, backend=backend)

    def _send(self, path: str, body: dict, settlement: str, model: str, stream: bool) -> tuple[httpx.Response, Any]:
        auth = self._auth(settlement, model)
        request = self._http.build_request("POST", self.base_url + path, json=body, headers=self._headers(settlement))
        try:
            resp = self._http.send(request, auth=auth, stream=stream)
        except httpx.ConnectError as exc:
            raise NetworkUnreachable(f"Cannot reach the LLM server at {self.base_url} ({exc}).",
                                     hint="Start the devnet (og-tui devnet) or check the profile's llm_url.") from None
        except httpx.TimeoutException as exc:
            raise LLMError(f"The LLM server at {self.base_url} did not answer in time ({type(exc).__name__}).") from None
        except httpx.TransportError as exc:
            raise LLMError(f"The connection to the LLM server at {self.base_url} failed ({exc}).") from None
        if not 200 <= resp.status_code < 300:
            if stream:
                resp.read()
                resp.close()
            raise self._error(resp, model)
        return resp, auth

    def _meta(self, model: str, mode: LlmInferenceMode, kind: str, settlement: Optional[str]) -> ReplyMeta:
        return ReplyMeta(model=str(getattr(model, "value", model)), mode=mode.name, kind=kind, settlement_mode=settlement)

    def _payment_meta(self, meta: ReplyMeta, resp: httpx.Response, auth: Any) -> None:
        from og_tui.core.x402 import decode_payment_response

        meta.backend = resp.headers.get("x-og-backend") or meta.backend
        meta.payment_hash = resp.headers.get("x-processing-hash")
        pr = decode_payment_response(resp.headers.get("x-payment-response"))
        meta.settlement_tx = pr.get("transaction") or None
        meta.settlement_status = pr.get("status") or ("settled" if pr.get("success") else None)
        info = getattr(auth, "payment", None)
        if info is not None:
            meta.cost = info.amount
            meta.payer = info.payer
            meta.payee = info.payee
            from og_tui.core.amounts import format_amount

            meta.cost_text = f"{format_amount(info.amount, self.profile.payment_token_decimals)} {self.profile.payment_token_symbol}"

    # -- chat --------------------------------------------------------------------------------------
    def chat(self, model: Any, messages: List[dict], *, mode: Any = LlmInferenceMode.TEE, max_tokens: int = 100,
             temperature: float = 0.0, stop: Optional[List[str]] = None, tools: Optional[List[dict]] = None,
             tool_choice: Any = None, settlement: Any = None, stream: bool = False, cancel: Any = None,
             extra_body: Optional[dict] = None) -> Union[ChatResult, ChatStream]:
        mode = _mode_of(mode)
        messages = parse_messages(messages)
        tools = parse_tools(tools) if tools else []
        if mode == LlmInferenceMode.VANILLA:
            result = self._chat_onchain(model, messages, max_tokens, temperature, stop, tools, tool_choice)
            if stream:
                return _stream_of(result)
            return result
        settlement = _settlement_of(settlement)
        body: Dict[str, Any] = {"model": bare_model(model), "messages": messages, "max_tokens": int(max_tokens),
                                "temperature": float(temperature)}
        if stop:
            body["stop"] = list(stop)
        if tools:
            body["tools"] = tools
            body["tool_choice"] = tool_choice if tool_choice not in (None, "") else "auto"
        if stream:
            body["stream"] = True
        if extra_body:
            body.update(extra_body)
        meta = self._meta(model, mode, "chat", settlement)
        resp, auth = self._send("/v1/chat/completions", body, settlement, str(model), stream)
        self._payment_meta(meta, resp, auth)
        if stream:
            return ChatStream(resp, meta, cancel=cancel)
        data = resp.json()
        choices = data.get("choices") or []
        if not choices:
            raise LLMError("The LLM server answered without choices.")
        message = choices[0].get("message") or {}
        self._finish_meta(meta, data, choices[0].get("finish_reason"))
        return ChatResult(transaction_hash="external", finish_reason=choices[0].get("finish_reason"),
                          chat_output=message, payment_hash=meta.payment_hash, meta=meta)

    def _finish_meta(self, meta: ReplyMeta, data: dict, finish: Optional[str]) -> None:
        usage = data.get("usage") or {}
        meta.prompt_tokens = int(usage.get("prompt_tokens") or 0)
        meta.completion_tokens = int(usage.get("completion_tokens") or 0)
        meta.elapsed_s = time.monotonic() - meta.started
        meta.finish_reason = finish
        meta.backend = data.get("backend") or meta.backend
        x402 = data.get("x402") or {}
        meta.settlement_tx = x402.get("transaction") or meta.settlement_tx
        meta.settlement_status = x402.get("status") or meta.settlement_status

    def completion(self, model: Any, prompt: str, *, mode: Any = LlmInferenceMode.TEE, max_tokens: int = 100,
                   temperature: float = 0.0, stop: Optional[List[str]] = None, settlement: Any = None,
                   extra_body: Optional[dict] = None) -> ChatResult:
        mode = _mode_of(mode)
        if not isinstance(prompt, str):
            raise ValidationError("The prompt must be text.", field="prompt")
        if mode == LlmInferenceMode.VANILLA:
            return self._completion_onchain(model, prompt, max_tokens, temperature, stop)
        settlement = _settlement_of(settlement)
        body: Dict[str, Any] = {"model": bare_model(model), "prompt": prompt, "max_tokens": int(max_tokens),
                                "temperature": float(temperature)}
        if stop:
            body["stop"] = list(stop)
        if extra_body:
            body.update(extra_body)
        meta = self._meta(model, mode, "completion", settlement)
        resp, auth = self._send("/v1/completions", body, settlement, str(model), False)
        self._payment_meta(meta, resp, auth)
        data = resp.json()
        text = data.get("completion")
        if text is None:
            text = ((data.get("choices") or [{}])[0]).get("text", "")
        finish = ((data.get("choices") or [{}])[0]).get("finish_reason")
        self._finish_meta(meta, data, finish)
        return ChatResult(transaction_hash="external", finish_reason=finish, completion_output=text,
                          payment_hash=meta.payment_hash, meta=meta)

    def models(self) -> List[dict]:
        try:
            resp = self._http.get(self.base_url + "/v1/models")
        except httpx.TransportError as exc:
            raise NetworkUnreachable(f"Cannot reach the LLM server at {self.base_url} ({exc}).") from None
        if resp.status_code != 200:
            raise self._error(resp, "")
        return list(resp.json().get("data") or [])

    def settlement_status(self, processing_hash: str) -> dict:
        """Where a payment was settled (devnet: ``GET /v1/x402/settlements/{hash}``)."""
        resp = self._http.get(f"{self.base_url}/v1/x402/settlements/{processing_hash}")
        if resp.status_code != 200:
            raise self._error(resp, "")
        return resp.json()

    # -- on chain (VANILLA) ----------------------------------------------------------------------------
    def _send_tx(self, data: bytes, meta: ReplyMeta, event_sig: str) -> tuple[Any, bytes]:
        from eth_utils import keccak

        if self.signer is None:
            raise PaymentError("On-chain (VANILLA) LLM calls are transactions: unlock a wallet first.")
        outcome = self.chain.send(self.signer, {"to": self.profile.inference_contract, "data": "0x" + data.hex()},
                                  gas_margin=1.5, label="LLM request")
        meta.transaction_hash = outcome.hash
        meta.gas_fee_wei = outcome.gas_used * (outcome.gas_price or 0)
        meta.elapsed_s = time.monotonic() - meta.started
        topic0 = "0x" + keccak(text=event_sig).hex()
        for entry in (outcome.receipt or {}).get("logs", []):
            topics = entry.get("topics") or []
            if topics and topics[0].lower() == topic0:
                return outcome, bytes.fromhex(entry["data"][2:])
        raise LLMError(f"The LLM transaction {outcome.hash} was mined but carries no {event_sig.split('(')[0]} event.")

    def _chat_onchain(self, model: Any, messages: List[dict], max_tokens: int, temperature: float,
                      stop: Optional[List[str]], tools: List[dict], tool_choice: Any) -> ChatResult:
        from eth_abi import decode, encode
        from eth_utils import keccak

        msgs = []
        for m in messages:
            content = m.get("content")
            if content is None:
                content = ""
            if not isinstance(content, str):
                raise ValidationError("On-chain chat messages need text content.", field="messages")
            calls = []
            for tc in m.get("tool_calls") or []:
                fn = tc.get("function") if isinstance(tc.get("function"), dict) else tc
                args = fn.get("arguments", "")
                calls.append((tc.get("id", ""), fn.get("name", ""), args if isinstance(args, str) else json.dumps(args)))
            msgs.append((m["role"], content, m.get("name") or "", m.get("tool_call_id") or "", calls))
        flat_tools = [(t["function"].get("description", "") or "", t["function"]["name"], json.dumps(t["function"].get("parameters") or {}))
                      for t in tools]
        if isinstance(tool_choice, dict):
            tool_choice = (tool_choice.get("function") or {}).get("name", "")
        choice = tool_choice if tool_choice not in (None,) else ("auto" if tools else "")
        request = (0, bare_model(model), msgs, flat_tools, choice or "", int(max_tokens), list(stop or []), int(float(temperature) * 100))
        data = keccak(text=SIG_RUN_LLM_CHAT)[:4] + encode([CHAT_REQUEST_TYPE], [request])
        meta = self._meta(model, LlmInferenceMode.VANILLA, "chat", None)
        meta.backend = "chain"
        outcome, event = self._send_tx(data, meta, SIG_LLM_CHAT_RESULT)
        finish, (role, content, name, tool_call_id, tool_calls) = decode([CHAT_RESPONSE_TYPE], event)[0]
        message: Dict[str, Any] = {"role": role, "content": content}
        if tool_calls:
            message["tool_calls"] = [{"id": i, "name": n, "arguments": a} for i, n, a in tool_calls]
        meta.finish_reason = finish
        meta.completion_tokens = len((content or "").split()) if content else len(tool_calls)
        return ChatResult(transaction_hash=outcome.hash, finish_reason=finish, chat_output=message, meta=meta)

    def _completion_onchain(self, model: Any, prompt: str, max_tokens: int, temperature: float,
                            stop: Optional[List[str]]) -> ChatResult:
        from eth_abi import decode, encode
        from eth_utils import keccak

        request = (0, bare_model(model), prompt, int(max_tokens), list(stop or []), int(float(temperature) * 100))
        data = keccak(text=SIG_RUN_LLM_COMPLETION)[:4] + encode([COMPLETION_REQUEST_TYPE], [request])
        meta = self._meta(model, LlmInferenceMode.VANILLA, "completion", None)
        meta.backend = "chain"
        outcome, event = self._send_tx(data, meta, SIG_LLM_COMPLETION_RESULT)
        (answer,) = decode([COMPLETION_RESPONSE_TYPE], event)[0]
        meta.completion_tokens = len(answer.split())
        return ChatResult(transaction_hash=outcome.hash, completion_output=answer, meta=meta)


def _stream_of(result: ChatResult) -> ChatStream:
    """A finished on-chain result as a one-chunk stream (so a chat screen has one code path)."""
    msg = result.chat_output or {}
    calls = [{"index": i, "id": tc.get("id", ""), "type": "function",
              "function": {"name": tc.get("name", ""), "arguments": tc.get("arguments", "")}}
             for i, tc in enumerate(msg.get("tool_calls") or [])]
    meta = result.meta or ReplyMeta(model="", mode="VANILLA")
    usage = StreamUsage(meta.prompt_tokens, meta.completion_tokens, meta.prompt_tokens + meta.completion_tokens)
    chunk = StreamChunk(choices=[StreamChoice(StreamDelta(content=msg.get("content") or None, role="assistant",
                                                          tool_calls=calls or None), 0, result.finish_reason)],
                        model=meta.model, usage=usage, is_final=True)
    s = ChatStream(None, meta, chunks=[chunk])
    s.done = True
    return s
