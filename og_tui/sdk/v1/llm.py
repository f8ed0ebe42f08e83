"""``og.LLM`` of the OpenGradient SDK 1.x (1.1.4): async chat and completion on a TEE, paid with x402 v2.

    import og_tui.sdk.v1 as og
    llm = og.LLM(private_key="0x...", profile="local")   # or og.LLM(key, rpc_url=<a devnet's /rpc>)
    llm.ensure_opg_approval(min_allowance=1)
    out = await llm.chat(model="og-devnet/mini", messages=[{"role": "user", "content": "hi"}])
    out.chat_output["content"], out.tee_id, out.tee_verification.verified
    async for chunk in await llm.chat(model=..., messages=..., stream=True): ...

Same constructor, methods, parameters, defaults and results as 1.1.4's ``opengradient.LLM``
(``profile=`` is an og-tui addition, keyword-only), over og-tui's core
(:class:`og_tui.core.llm.LLMClient`): the TEE comes from the profile's registry and its TLS
certificate is pinned (``LLM.from_url``: a fixed server, TLS unchecked as in 1.1.4), payments
are x402 v2 in OPG through Permit2, and every reply's signature is checked against the
registry (``tee_verification`` of each result; 1.1.4 does not check it).

The core client is synchronous: each call runs in a worker thread (``asyncio.to_thread``), and a
stream is read by a thread that hands chunks to the event loop, so the loop never blocks. A
connection failure before any reply picks a TEE from the registry again and retries once.
The private key becomes a signer at once and is never kept as text.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import replace
from typing import Any, AsyncGenerator, Callable, Dict, List, Optional, Tuple, TypeVar, Union

from og_tui.core.errors import NetworkUnreachable, OGError, ValidationError
from og_tui.sdk.v1._convert import (
    TeeInfo,
    bare_hex,
    check_response_format,
    output_of,
    request_extras,
    tokens_of,
    tools_chunk,
)
from og_tui.sdk.v1._profile import (
    DEFAULT_RPC_URL,
    DEFAULT_TEE_REGISTRY_ADDRESS,
    resolve_profile,
    v2_chain_id,
    v2_rpc_url,
)
from og_tui.sdk.v1.types import (
    TEE_LLM,
    Permit2ApprovalResult,
    ResponseFormat,
    StreamChunk,
    TextGenerationOutput,
    x402SettlementMode,
)

__all__ = ["LLM", "DEFAULT_RPC_URL", "DEFAULT_TEE_REGISTRY_ADDRESS"]

_log = logging.getLogger(__name__)
T = TypeVar("T")
_REQUEST_TIMEOUT = 60.0


def _signer(private_key: str) -> Any:
    if not private_key:
        raise ValueError(
            "A private key is required to use the LLM client. Pass a valid private_key to the constructor."
        )
    from eth_account import Account

    from og_tui.core.amounts import parse_private_key

    try:
        key = parse_private_key(private_key)
    except ValidationError as exc:
        raise ValueError(str(exc)) from None
    account = Account.from_key(key)
    del key
    return account


def _failure(what: str, exc: OGError) -> Exception:
    """1.x's error shape: bad input is a ValueError, anything else a RuntimeError naming the call."""
    if isinstance(exc, ValidationError):
        return ValueError(str(exc))
    return RuntimeError(f"TEE LLM {what} failed: {exc}")


def _text(value: Any) -> str:
    return str(getattr(value, "value", value))


class LLM:
    """LLM chat and completion through a TEE with x402 v2 payments (see the module docstring)."""

    def __init__(
        self,
        private_key: str,
        rpc_url: str = DEFAULT_RPC_URL,
        tee_registry_address: str = DEFAULT_TEE_REGISTRY_ADDRESS,
        *,
        profile: Optional[str] = None,
    ):
        self._signer = _signer(private_key)
        self._profile = resolve_profile(rpc_url, tee_registry_address, profile)
        self._url: Optional[str] = None  # LLM.from_url: a fixed server instead of the registry
        self._client: Any = None
        self._chain: Any = None
        self._lock = threading.RLock()

    @classmethod
    def from_url(cls, private_key: str, llm_server_url: str, *, profile: Optional[str] = None) -> "LLM":
        """A client on a fixed TEE server (development / self-hosted): no registry lookup and, as in
        1.1.4, no TLS certificate check; replies are still checked against the profile's registry."""
        instance = cls.__new__(cls)
        instance._signer = _signer(private_key)
        if not llm_server_url or not str(llm_server_url).startswith(("http://", "https://")):
            raise ValueError(f"llm_server_url must be an http(s) URL, not {llm_server_url!r}.")
        url = str(llm_server_url).rstrip("/")
        instance._profile = resolve_profile(profile=profile, server_url=url)
        instance._url = url
        instance._client = None
        instance._chain = None
        instance._lock = threading.RLock()
        return instance

    def __repr__(self) -> str:
        where = self._url or f"registry {self._profile.tee_registry_address} on {self._profile.rpc_url}"
        return f"LLM(address={self._signer.address!r}, {where})"

    # -- the core client (blocking; called in worker threads) -----------------------------------
    def _v2_chain(self) -> Any:
        with self._lock:
            if self._chain is None:
                from og_tui.core.chain import ChainClient

                self._chain = ChainClient(v2_rpc_url(self._profile), timeout=120.0)
            return self._chain

    def _core(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> Any:
        from og_tui.core.llm import LLMClient

        chain = self._v2_chain()
        if self._url is None:
            from og_tui.core.tee import llm_client_via_registry

            return llm_client_via_registry(self._profile, self._signer, chain=chain, timeout=_REQUEST_TIMEOUT)
        client = LLMClient(self._profile, self._signer, chain=chain, llm_url=self._url, timeout=_REQUEST_TIMEOUT)
        if self._url.startswith("https://"):
            import httpx

            client._http.close()
            client._http = httpx.Client(
                verify=False, timeout=httpx.Timeout(_REQUEST_TIMEOUT, connect=15.0), follow_redirects=False
            )
        return client

    def _reconnect(self, failed: Any) -> Any:
        """Drop a client whose TEE could not be reached and pick again from the registry."""
        with self._lock:
            if self._client is failed:
                self._client = None
                if failed is not None:
                    failed.close()
            return self._core()

    def _tee_info(self, client: Any) -> TeeInfo:
        return TeeInfo.of(getattr(client, "tee", None), client.base_url)

    def _with_retry(self, call: Callable[[Any], T]) -> Tuple[T, TeeInfo]:
        client = self._core()
        try:
            return call(client), self._tee_info(client)
        except NetworkUnreachable as exc:
            if self._url is not None:
                raise
            _log.warning(
                "the TEE at %s could not be reached (%s); picking one from the registry again", client.base_url, exc
            )
            client = self._reconnect(client)
            return call(client), self._tee_info(client)

    async def _run(self, what: str, call: Callable[[Any], Any]) -> TextGenerationOutput:
        try:
            result, tee = await asyncio.to_thread(self._with_retry, call)
        except OGError as exc:
            raise _failure(what, exc) from exc
        return output_of(result, tee)

    # -- lifecycle --------------------------------------------------------------------------------
    async def close(self) -> None:
        """Close the connection to the TEE and the chain client."""

        def shut() -> None:
            with self._lock:
                client, chain, self._client, self._chain = self._client, self._chain, None, None
            if client is not None:
                client.close()
            if chain is not None:
                chain.close()

        await asyncio.to_thread(shut)

    # -- OPG allowance ------------------------------------------------------------------------------
    def ensure_opg_approval(
        self, min_allowance: float, approve_amount: Optional[float] = None
    ) -> Permit2ApprovalResult:
        """Keep Permit2's OPG allowance at ``min_allowance`` or more: sends ``approve(Permit2,
        approve_amount)`` (default twice the minimum, at most the balance) only when it is below."""
        from og_tui.core.opg_allowance import approve, plan_approval, read_allowance

        if min_allowance < 0.1:
            raise ValueError("min_allowance must be at least 0.1.")
        if approve_amount is None:
            approve_amount = min_allowance * 2
        if approve_amount < min_allowance:
            raise ValueError(f"approve_amount ({approve_amount}) must be >= min_allowance ({min_allowance})")
        chain, token, owner = self._v2_chain(), self._profile.opg_token, self._signer.address
        min_base, approve_base = tokens_of(min_allowance), tokens_of(approve_amount)
        try:
            plan = plan_approval(
                chain, owner, min_base, token=token, amount=approve_base, chain_id=v2_chain_id(self._profile)
            )
            if not plan.required:
                return Permit2ApprovalResult(allowance_before=plan.allowance, allowance_after=plan.allowance)
            balance = chain.token_balance(token, owner)
            if balance == 0:
                raise ValueError(f"Wallet {owner} has no OPG tokens. Fund the wallet before approving.")
            if min_base > balance:
                raise ValueError(
                    f"Wallet {owner} has insufficient OPG balance: has {balance / 10**18:.6f} OPG, "
                    f"but the minimum required is {min_base / 10**18:.6f} OPG. Fund the wallet before approving."
                )
            if approve_base > balance:
                _log.warning("approve_amount exceeds the OPG balance; approving the balance instead")
                plan = replace(plan, amount=balance)
            tx = approve(chain, self._signer, plan)
            after = read_allowance(chain, token, owner)
        except OGError as exc:
            raise RuntimeError(f"Failed to approve Permit2 for OPG: {exc}") from exc
        return Permit2ApprovalResult(allowance_before=plan.allowance, allowance_after=after, tx_hash=bare_hex(tx))

    # -- completion ---------------------------------------------------------------------------------
    async def completion(
        self,
        model: TEE_LLM,
        prompt: str,
        max_tokens: int = 100,
        stop_sequence: Optional[List[str]] = None,
        temperature: float = 0.0,
        web_search: bool = False,
        x402_settlement_mode: x402SettlementMode = x402SettlementMode.BATCH_HASHED,
    ) -> TextGenerationOutput:
        """A completion of ``prompt`` (``completion_output``), with the TEE's proof and the settlement."""
        extra = request_extras(web_search=web_search)

        def call(client: Any) -> Any:
            return client.completion(
                _text(model),
                prompt,
                max_tokens=max_tokens,
                temperature=temperature,
                stop=stop_sequence,
                settlement=_text(x402_settlement_mode),
                extra_body=extra or None,
            )

        return await self._run("completion", call)

    # -- chat -----------------------------------------------------------------------------------------
    async def chat(
        self,
        model: TEE_LLM,
        messages: List[Dict[str, Any]],
        max_tokens: int = 100,
        stop_sequence: Optional[List[str]] = None,
        temperature: float = 0.0,
        tools: Optional[List[Dict[str, Any]]] = None,
        tool_choice: Optional[str] = None,
        response_format: Optional[ResponseFormat] = None,
        web_search: bool = False,
        x402_settlement_mode: x402SettlementMode = x402SettlementMode.BATCH_HASHED,
        stream: bool = False,
    ) -> Union[TextGenerationOutput, AsyncGenerator[StreamChunk, None]]:
        """A chat reply (``chat_output``), or with ``stream=True`` an async generator of StreamChunk
        (a chat with tools comes as one final chunk, as in 1.1.4)."""
        check_response_format(_text(model), response_format)
        kwargs: Dict[str, Any] = dict(
            max_tokens=max_tokens,
            temperature=temperature,
            stop=stop_sequence,
            tools=tools,
            tool_choice=tool_choice,
            settlement=_text(x402_settlement_mode),
            extra_body=request_extras(response_format, web_search) or None,
        )
        if not stream:
            return await self._chat_request(_text(model), messages, kwargs)
        if tools:
            return self._tools_as_stream(_text(model), messages, kwargs)
        return self._chat_stream(_text(model), messages, kwargs)

    async def _chat_request(
        self, model: str, messages: List[Dict[str, Any]], kwargs: Dict[str, Any]
    ) -> TextGenerationOutput:
        return await self._run("chat", lambda client: client.chat(model, messages, **kwargs))

    async def _tools_as_stream(
        self, model: str, messages: List[Dict[str, Any]], kwargs: Dict[str, Any]
    ) -> AsyncGenerator[StreamChunk, None]:
        out = await self._chat_request(model, messages, kwargs)
        yield tools_chunk(out, model.split("/", 1)[-1])

    async def _chat_stream(
        self, model: str, messages: List[Dict[str, Any]], kwargs: Dict[str, Any]
    ) -> AsyncGenerator[StreamChunk, None]:
        from og_tui.sdk.v1._stream import StreamPump

        def start(client: Any, cancel: Any) -> Any:
            return client.chat(model, messages, stream=True, cancel=cancel, **kwargs)

        pump = StreamPump(asyncio.get_running_loop(), self._open_stream, start)
        try:
            async for chunk in pump.chunks():
                yield chunk
        finally:
            pump.stop()

    # the stream pump opens the stream with this, in its thread
    def _open_stream(self, start: Callable[[Any, Any], Any], cancel: Any) -> Tuple[Any, TeeInfo]:
        try:
            return self._with_retry(lambda client: start(client, cancel))
        except OGError as exc:
            raise _failure("chat", exc) from exc
