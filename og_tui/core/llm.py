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
- VANILLA (:mod:`og_tui.core.llm_onchain`): ``runLLMChat`` / ``runLLMCompletion`` on the inference hub contract via
  ChainClient.send; the answer is decoded from the ``LLMChatResult`` /
  ``LLMCompletionResult`` event.
- Streams are :class:`og_tui.core.llm_stream.ChatStream` (a TextGenerationStream). ``close()`` may be called
  from another thread: it shuts the socket so a blocked read returns at once. A stream
  that breaks off raises :class:`StreamInterrupted` carrying the partial text.

Nothing heavy is imported at module level (httpx only); eth_abi / eth_account lazily.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Union

import httpx

from og_tui.core import tee_check
from og_tui.core.errors import (
    LLMError,
    NetworkUnreachable,
    OGError,
    StreamInterrupted,
    ToolCallError,
    UnknownModel,
    UpstreamUnavailable,
    ValidationError,
)
from og_tui.core.llm_onchain import (
    CHAT_REQUEST_TYPE,
    CHAT_RESPONSE_TYPE,
    COMPLETION_REQUEST_TYPE,
    COMPLETION_RESPONSE_TYPE,
    SIG_LLM_CHAT_RESULT,
    SIG_LLM_COMPLETION_RESULT,
    SIG_RUN_LLM_CHAT,
    SIG_RUN_LLM_COMPLETION,
    bare_model,
    chat_onchain,
    completion_onchain,
)
from og_tui.core.llm_stream import ChatResult, ChatStream, ReplyMeta, stream_of
from og_tui.core.types import LlmInferenceMode, x402SettlementMode

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from og_tui.core.x402 import PaymentPolicy

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
    "CHAT_REQUEST_TYPE",
    "CHAT_RESPONSE_TYPE",
    "COMPLETION_REQUEST_TYPE",
    "COMPLETION_RESPONSE_TYPE",
    "SIG_RUN_LLM_CHAT",
    "SIG_RUN_LLM_COMPLETION",
    "SIG_LLM_CHAT_RESULT",
    "SIG_LLM_COMPLETION_RESULT",
]

DEVNET_MODEL = "og-devnet/mini"

# --- input helpers ---------------------------------------------------------------------------------


def _load_json(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"Malformed {what} JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.", field=what
        ) from None
    except UnicodeDecodeError:
        raise ValidationError(f"Malformed {what} JSON: the bytes are not UTF-8 text.", field=what) from None


def parse_tools(value: Any) -> List[dict[str, Any]]:
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
            raise ValidationError(
                f"Malformed tool #{i + 1}: it needs a function with a name "
                '({"type": "function", "function": {"name": ..., "parameters": {...}}}).',
                field="tools",
            )
        params = fn.get("parameters", {"type": "object", "properties": {}})
        if isinstance(params, str):
            params = _load_json(params, f"parameters of tool {fn['name']}")
        if not isinstance(params, dict):
            raise ValidationError(
                f"Malformed tool {fn['name']!r}: parameters must be a JSON schema object.", field="tools"
            )
        out.append({"type": "function", "function": dict(fn, parameters=params)})
    return out


def parse_messages(value: Any) -> List[dict[str, Any]]:
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


def parse_tool_arguments(tool_call: dict[str, Any]) -> dict[str, Any]:
    """The arguments of a tool call (nested or flat form) as a dict; ToolCallError if they do not parse."""
    fn: dict[str, Any] = tool_call["function"] if isinstance(tool_call.get("function"), dict) else tool_call
    name = fn.get("name", "?")
    raw = fn.get("arguments", "")
    if isinstance(raw, dict):
        return raw
    try:
        args = json.loads(raw or "{}")
    except (ValueError, TypeError) as exc:
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise ToolCallError(
            f"The model called tool {name!r} with arguments that do not parse as JSON ({why}): {str(raw)[:200]}",
            field="tool_calls",
        ) from None
    if not isinstance(args, dict):
        raise ToolCallError(
            f"The model called tool {name!r} with arguments that are not a JSON object: {str(raw)[:200]}",
            field="tool_calls",
        )
    return args


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
    if text in ("private", "batch"):  # x402 v2 names (SDK 1.1.4)
        return text
    if text not in {m.value for m in x402SettlementMode}:
        raise ValidationError(
            f"Settlement must be settle, settle-metadata or settle-batch (x402 v2: private or batch), not {value!r}.",
            field="settlement",
        )
    return text


_tls: Any = None
_tls_lock = threading.Lock()


def _tls_context() -> Any:
    """The verifying TLS context every LLMClient of the process shares. Making one loads the
    CA bundle: about 0.1 s of CPU with the GIL held, and the app makes a client at every
    chain poll while payments are open (typing would wait for it)."""
    global _tls
    with _tls_lock:
        if _tls is None:
            _tls = httpx.create_ssl_context()
        return _tls


class LLMClient:
    """Chat and completion for one profile and wallet (``signer`` may be None for unpaid use)."""

    def __init__(
        self,
        profile: Any,
        signer: Any = None,
        store: Any = None,
        caps: Any = None,
        *,
        chain: Any = None,
        on_payment: Optional[Callable[[Any], None]] = None,
        timeout: float = 60.0,
        llm_url: Optional[str] = None,
        tee: Any = None,
        opg_caps: Any = None,
    ) -> None:
        self.profile = profile
        self.opg_caps = opg_caps  # spend caps of x402 v2 payments (OPG)
        self.signer = signer
        self.store = store
        self.caps = caps
        self.on_payment = on_payment
        self.base_url = (llm_url or profile.llm_url).rstrip("/")
        if self.base_url.endswith("/v1"):
            self.base_url = self.base_url[:-3]
        self._chain = chain
        self._devnet_payee: Optional[str] = None
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=15.0, write=30.0, pool=10.0),
            follow_redirects=False,
            verify=_tls_context(),
        )
        self.last_payment = None
        # TEE replies are checked against the registry (og_tui.core.tee_check); ``tee`` (a
        # core.tee.TeeEndpoint) sends to that TEE over TLS pinned to its registered certificate
        self.tee = tee
        self._tee_verifier: Any = None
        if tee is not None:
            from og_tui.core.tee import pinned_client

            self._http.close()
            self._http = pinned_client(tee, timeout)
            self.base_url = tee.endpoint.rstrip("/")

    def close(self) -> None:
        self._http.close()
        if self._tee_verifier is not None:
            self._tee_verifier.close()

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

        v1 = X402PaymentAuth(
            self.signer,
            self.profile.x402_network,
            self.profile.chain_id,
            caps=self.caps,
            settlement=settlement,
            model=model,
            store=self.store,
            profile_name=getattr(self.profile, "name", None),
            on_payment=on_payment,
            policy=self.payment_policy(),
        )
        if str(getattr(self.profile, "x402_version", "1")) != "1":
            from og_tui.core.x402_v2_auth import auth_for

            return auth_for(self, settlement, model, on_payment, v1)  # x402 v2 (OPG) or auto
        return v1

    def payment_policy(self) -> "PaymentPolicy":
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

    def _headers(self, settlement: str) -> dict[str, Any]:
        from og_tui.core.x402_v2 import v1_mode, v2_mode

        version = str(getattr(self.profile, "x402_version", "1"))
        settlement = v2_mode(settlement) if version == "2" else v1_mode(settlement) if version == "1" else settlement
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
            return UnknownModel(
                str(msg) or f"Unknown model {model!r}.", status=resp.status_code, code=code, backend=backend
            )
        if code == "upstream_unavailable" or resp.status_code in (502, 503, 504):
            return UpstreamUnavailable(
                str(msg) or f"The LLM backend is unavailable (HTTP {resp.status_code}).",
                status=resp.status_code,
                code=code,
                backend=backend,
            )
        return LLMError(
            f"The LLM server answered HTTP {resp.status_code}: {msg}".rstrip(": "),
            status=resp.status_code,
            code=code,
            backend=backend,
        )

    def _send(
        self, path: str, body: dict[str, Any], settlement: str, model: str, stream: bool
    ) -> tuple[httpx.Response, Any]:
        auth = self._auth(settlement, model)
        request = self._http.build_request("POST", self.base_url + path, json=body, headers=self._headers(settlement))
        try:
            resp = self._http.send(request, auth=auth, stream=stream)
        except httpx.ConnectError as exc:
            raise NetworkUnreachable(
                f"Cannot reach the LLM server at {self.base_url} ({exc}).",
                hint="Start the devnet (og-tui devnet) or check the profile's llm_url.",
            ) from None
        except httpx.TimeoutException as exc:
            raise LLMError(
                f"The LLM server at {self.base_url} did not answer in time ({type(exc).__name__})."
            ) from None
        except httpx.TransportError as exc:
            raise LLMError(f"The connection to the LLM server at {self.base_url} failed ({exc}).") from None
        if not 200 <= resp.status_code < 300:
            if stream:
                resp.read()
                resp.close()
            raise self._error(resp, model)
        return resp, auth

    def _meta(self, model: str, mode: LlmInferenceMode, kind: str, settlement: Optional[str]) -> ReplyMeta:
        return ReplyMeta(
            model=str(getattr(model, "value", model)), mode=mode.name, kind=kind, settlement_mode=settlement
        )

    def _payment_meta(self, meta: ReplyMeta, resp: httpx.Response, auth: Any) -> None:
        from og_tui.core.x402 import decode_payment_response

        if getattr(auth, "x402_version", 1) == 2:
            from og_tui.core.x402_v2 import payment_meta

            return payment_meta(meta, resp, auth)
        meta.backend = resp.headers.get("x-og-backend") or meta.backend
        meta.payment_hash = resp.headers.get("x-processing-hash")
        pr = decode_payment_response(resp.headers.get("x-payment-response"))
        meta.settlement_tx = pr.get("transaction") or None
        meta.settlement_status = pr.get("status") or ("settled" if pr.get("success") else None)
        info = getattr(auth, "payment", None)
        if info is not None:
            meta.x402_version, meta.payment_scheme = 1, "exact"
            meta.payment_token = self.profile.payment_token_symbol
            meta.cost = info.amount
            meta.payer = info.payer
            meta.payee = info.payee
            from og_tui.core.amounts import format_amount

            meta.cost_text = (
                f"{format_amount(info.amount, self.profile.payment_token_decimals)} {self.profile.payment_token_symbol}"
            )

    # -- chat --------------------------------------------------------------------------------------
    def chat(
        self,
        model: Any,
        messages: List[dict[str, Any]],
        *,
        mode: Any = LlmInferenceMode.TEE,
        max_tokens: int = 100,
        temperature: float = 0.0,
        stop: Optional[List[str]] = None,
        tools: Optional[List[dict[str, Any]]] = None,
        tool_choice: Any = None,
        settlement: Any = None,
        stream: bool = False,
        cancel: Any = None,
        extra_body: Optional[dict[str, Any]] = None,
    ) -> Union[ChatResult, ChatStream]:
        mode = _mode_of(mode)
        messages = parse_messages(messages)
        tools = parse_tools(tools) if tools else []
        if mode == LlmInferenceMode.VANILLA:
            result = chat_onchain(self, model, messages, max_tokens, temperature, stop, tools, tool_choice)
            if stream:
                return stream_of(result)
            return result
        settlement = _settlement_of(settlement)
        body: Dict[str, Any] = {
            "model": bare_model(model),
            "messages": messages,
            "max_tokens": int(max_tokens),
            "temperature": float(temperature),
        }
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

            def done(s: ChatStream) -> None:
                if getattr(auth, "x402_version", 1) == 2:
                    from og_tui.core.x402_v2 import stream_cost

                    stream_cost(s.meta, auth, getattr(s, "x402", None))  # upto: what the reply cost
                self._record_settlement(s.meta)
                s.meta.tee = tee_check.verify_stream(self, body, s)

            return ChatStream(resp, meta, cancel=cancel, on_done=done)
        data = resp.json()
        choices = data.get("choices") or []
        if not choices:
            raise LLMError("The LLM server answered without choices.")
        message = choices[0].get("message") or {}
        self._finish_meta(meta, data, choices[0].get("finish_reason"))
        meta.tee = tee_check.verify_reply(self, "chat", body, data)
        return ChatResult(
            transaction_hash="external",
            finish_reason=choices[0].get("finish_reason"),
            chat_output=message,
            payment_hash=meta.payment_hash,
            meta=meta,
        )

    def _finish_meta(self, meta: ReplyMeta, data: dict[str, Any], finish: Optional[str]) -> None:
        usage = data.get("usage") or {}
        meta.prompt_tokens = int(usage.get("prompt_tokens") or 0)
        meta.completion_tokens = int(usage.get("completion_tokens") or 0)
        meta.elapsed_s = time.monotonic() - meta.started
        meta.finish_reason = finish
        meta.backend = data.get("backend") or meta.backend
        x402 = data.get("x402") or {}
        meta.settlement_tx = x402.get("transaction") or meta.settlement_tx
        meta.settlement_status = x402.get("status") or meta.settlement_status
        self._record_settlement(meta)

    def _record_settlement(self, meta: ReplyMeta) -> None:
        """The payment history follows what the reply's last word says of its settlement."""
        if self.store is None or not meta.payment_hash or meta.settlement_status not in ("queued", "settled", "failed"):
            return
        try:
            for row in self.store.payments_by_processing_hash(meta.payment_hash):
                self.store.set_payment_status(row.id, meta.settlement_status, settlement_tx=meta.settlement_tx)
        except Exception:  # noqa: BLE001 - the history must not break a paid reply
            _log.debug("the history must not break a paid reply", exc_info=True)

    def completion(
        self,
        model: Any,
        prompt: str,
        *,
        mode: Any = LlmInferenceMode.TEE,
        max_tokens: int = 100,
        temperature: float = 0.0,
        stop: Optional[List[str]] = None,
        settlement: Any = None,
        extra_body: Optional[dict[str, Any]] = None,
    ) -> ChatResult:
        mode = _mode_of(mode)
        if not isinstance(prompt, str):
            raise ValidationError("The prompt must be text.", field="prompt")
        if mode == LlmInferenceMode.VANILLA:
            return completion_onchain(self, model, prompt, max_tokens, temperature, stop)
        settlement = _settlement_of(settlement)
        body: Dict[str, Any] = {
            "model": bare_model(model),
            "prompt": prompt,
            "max_tokens": int(max_tokens),
            "temperature": float(temperature),
        }
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
        meta.tee = tee_check.verify_reply(self, "completion", body, data)
        return ChatResult(
            transaction_hash="external",
            finish_reason=finish,
            completion_output=text,
            payment_hash=meta.payment_hash,
            meta=meta,
        )

    def models(self) -> List[dict[str, Any]]:
        try:
            resp = self._http.get(self.base_url + "/v1/models")
        except httpx.TransportError as exc:
            raise NetworkUnreachable(f"Cannot reach the LLM server at {self.base_url} ({exc}).") from None
        if resp.status_code != 200:
            raise self._error(resp, "")
        return list(resp.json().get("data") or [])

    def settlement_status(self, processing_hash: str) -> dict[str, Any]:
        """Where a payment was settled (devnet: ``GET /v1/x402/settlements/{hash}``)."""
        resp = self._http.get(f"{self.base_url}/v1/x402/settlements/{processing_hash}")
        if resp.status_code != 200:
            raise self._error(resp, "")
        data = resp.json()
        if not isinstance(data, dict):
            raise LLMError("The settlement status answer is not a JSON object.", status=resp.status_code)
        return data
