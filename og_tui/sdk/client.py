"""``og_tui.sdk.Client``: the reference SDK's client class (0.5.13), over og-tui's core.

    client = og.new_client(email, password, private_key, rpc_url="http://127.0.0.1:8545/rpc")
    client.infer(cid, og.InferenceMode.VANILLA, {"input": ...})
    client.alpha.run_workflow(address)

Same constructor, methods, parameters and defaults as ``opengradient.client.Client``.
A Client *is* the state :func:`og_tui.sdk.init` builds (an :class:`SdkClient`), so
``og.init(...)`` returns one too and the module functions use it. Differences: the LLM
server URLs are og-tui's (the ``llm_url`` of the profile or the devnet, see
:func:`resolve_network`); ``openai_api_key``/``anthropic_api_key``/``google_api_key``
and :meth:`set_api_key` are kept but unused (og-tui never sends a provider key; every
paid call goes through x402); errors are og-tui's, also raised as
:mod:`og_tui.sdk.exceptions` classes.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from og_tui.core import constants as C
from og_tui.core.types import (
    FileUploadResult,
    InferenceMode,
    InferenceResult,
    LlmInferenceMode,
    ModelRepository,
    TextGenerationOutput,
    x402SettlementMode,
)
from og_tui.sdk._state import SdkClient
from og_tui.sdk.defaults import (
    DEFAULT_LLM_SERVER_URL,
    DEFAULT_OPENGRADIENT_LLM_SERVER_URL,
    DEFAULT_OPENGRADIENT_LLM_STREAMING_SERVER_URL,
)
from og_tui.sdk.exceptions import translating
from og_tui.sdk.types import TextGenerationStream

if TYPE_CHECKING:
    from og_tui.core.profiles import Profile
    from og_tui.sdk.alpha import Alpha

__all__ = ["Client", "resolve_network", "devnet_profile"]


def _devnet_info(rpc_url: str, timeout: float = 3.0) -> Optional[Dict[str, Any]]:
    """``/devnet/info`` of the node behind ``rpc_url``, or None when it is not an og-tui devnet."""
    base = rpc_url.rstrip("/")
    if base.endswith("/rpc"):
        base = base[: -len("/rpc")]
    if not base.startswith(("http://", "https://")):
        return None
    try:
        with urllib.request.urlopen(f"{base}/devnet/info", timeout=timeout) as resp:
            info = json.loads(resp.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return info if isinstance(info, dict) and "rpc_url" in info and "chain_id" in info else None


def devnet_profile(info: Dict[str, Any], rpc_url: Optional[str] = None) -> "Profile":
    """A devnet Profile from ``/devnet/info`` (hub, auth, LLM, contracts, x402 network and domain)."""
    from og_tui.core.profiles import builtin_profiles

    contracts = info.get("contracts") or {}
    token = info.get("payment_token") or {}
    base = str(info.get("base_url") or "").rstrip("/")
    changes: Dict[str, Any] = {
        "rpc_url": rpc_url or info["rpc_url"],
        "api_url": info.get("api_url") or base,
        "hub_url": info.get("hub_url") or f"{base}/api/v0",
        "auth_url": info.get("auth_url") or f"{base}/auth",
        "llm_url": info.get("llm_url") or base,
        "faucet_url": f"{base}/faucet",
        # the chain id x402 payments are signed for (the token's EIP-712 domain)
        "chain_id": int(info.get("x402_chain_id") or info["chain_id"]),
        "x402_network": info.get("x402_network") or C.DEVNET_X402_NETWORK,
    }
    for field, key in (
        ("inference_contract", "inference_hub"),
        ("scheduler_address", "scheduler"),
        ("tee_registry_address", "tee_registry"),
        ("inference_precompile", "inference_precompile"),
        ("price_feed_precompile", "price_feed_precompile"),
        ("payment_token", "payment_token"),
    ):
        if contracts.get(key):
            changes[field] = contracts[key]
    if token.get("name"):
        changes["payment_token_name"] = token["name"]
    if token.get("version"):
        changes["payment_token_version"] = str(token["version"])
    return builtin_profiles()["local"].replace(**changes)


def resolve_network(
    rpc_url: str, api_url: str, contract_address: str, profile: Optional["Profile"]
) -> tuple[str, str, str, Optional["Profile"]]:
    """Endpoints for a client: a devnet ``rpc_url`` (without a profile) supplies hub, LLM and contracts."""
    if profile is not None or rpc_url == C.OG_RPC_URL:
        return rpc_url, api_url, contract_address, profile
    info = _devnet_info(rpc_url)
    if info is None:
        return rpc_url, api_url, contract_address, None
    prof = devnet_profile(info, rpc_url)
    if api_url == C.OG_API_URL:
        api_url = prof.api_url
    if contract_address == C.INFERENCE_HUB_ADDRESS:
        contract_address = prof.inference_contract
    return rpc_url, api_url, contract_address, prof.replace(api_url=api_url, inference_contract=contract_address)


class Client(SdkClient):
    """The OpenGradient client: hub, inference, LLM and alpha calls with one wallet and endpoints."""

    def __init__(
        self,
        private_key: str,
        rpc_url: str,
        api_url: str,
        contract_address: str,
        email: Optional[str] = None,
        password: Optional[str] = None,
        llm_server_url: Optional[str] = DEFAULT_LLM_SERVER_URL,
        og_llm_server_url: Optional[str] = DEFAULT_OPENGRADIENT_LLM_SERVER_URL,
        og_llm_streaming_server_url: Optional[str] = DEFAULT_OPENGRADIENT_LLM_STREAMING_SERVER_URL,
        openai_api_key: Optional[str] = None,
        anthropic_api_key: Optional[str] = None,
        google_api_key: Optional[str] = None,
        profile: Optional["Profile"] = None,
    ) -> None:
        account = None
        if private_key:
            from eth_account import Account

            from og_tui.core.amounts import parse_private_key

            key = parse_private_key(private_key)
            account = Account.from_key(key)
            del key
        rpc_url, api_url, contract_address, profile = resolve_network(rpc_url, api_url, contract_address, profile)
        # an LLM URL passed explicitly (not the reference's public default) wins over the profile's
        if og_llm_server_url and og_llm_server_url != DEFAULT_OPENGRADIENT_LLM_SERVER_URL:
            from og_tui.core.profiles import builtin_profiles

            profile = (profile or builtin_profiles()["opengradient"]).replace(llm_url=og_llm_server_url)
        super().__init__(
            email=email,
            password=password,
            account=account,
            rpc_url=rpc_url,
            api_url=api_url,
            contract_address=contract_address,
            profile=profile,
        )
        self._external_api_keys: Dict[str, str] = {}
        for provider, value, env in (
            ("openai", openai_api_key, "OPENAI_API_KEY"),
            ("anthropic", anthropic_api_key, "ANTHROPIC_API_KEY"),
            ("google", google_api_key, "GOOGLE_API_KEY"),
        ):
            if value or os.getenv(env):
                self._external_api_keys[provider] = value or os.environ[env]
        self._alpha: Optional["Alpha"] = None
        self._alpha_lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"Client(address={self.address!r}, rpc_url={self.rpc_url!r}, api_url={self.api_url!r}, "
            f"contract_address={self.contract_address!r}, email={self.email!r})"
        )

    @property
    def alpha(self) -> "Alpha":
        """Alpha features (workflows): ``client.alpha.new_workflow(...)`` and the rest."""
        with self._alpha_lock:
            if self._alpha is None:
                from og_tui.sdk.alpha import Alpha

                self._alpha = Alpha(self)
            return self._alpha

    def set_api_key(self, provider: str, api_key: str) -> None:
        """Kept for compatibility: og-tui pays every LLM call with x402 and sends no provider key."""
        self._external_api_keys[provider] = api_key

    # -- Model Hub ---------------------------------------------------------------------------
    @translating()
    def create_model(self, model_name: str, model_desc: str, version: str = "1.00") -> ModelRepository:
        from og_tui.sdk._hub import _create_model

        return _create_model(self, model_name, model_desc, version)

    @translating()
    def create_version(self, model_name: str, notes: str = "", is_major: bool = False) -> Dict[str, Any]:
        from og_tui.sdk._hub import _create_version

        return _create_version(self, model_name, notes, is_major)

    @translating("upload")
    def upload(self, model_path: str, model_name: str, version: str) -> FileUploadResult:
        from og_tui.sdk._hub import _upload

        return _upload(self, model_path, model_name, version)

    @translating()
    def list_files(self, model_name: str, version: str) -> List[Dict[str, Any]]:
        from og_tui.sdk._hub import _list_files

        return _list_files(self, model_name, version)

    # -- inference ----------------------------------------------------------------------------
    @translating()
    def infer(
        self,
        model_cid: str,
        inference_mode: InferenceMode,
        model_input: Dict[str, Any],
        max_retries: Optional[int] = None,
    ) -> InferenceResult:
        from og_tui.sdk._infer import _infer

        return _infer(self, model_cid, inference_mode, model_input, max_retries)

    @translating()
    def llm_completion(
        self,
        model_cid: str,
        prompt: str,
        max_tokens: int = 100,
        stop_sequence: Optional[List[str]] = None,
        temperature: float = 0.0,
        inference_mode: LlmInferenceMode = LlmInferenceMode.VANILLA,
        max_retries: Optional[int] = None,
        local_model: Optional[bool] = False,
        x402_settlement_mode: Optional[x402SettlementMode] = x402SettlementMode.SETTLE_BATCH,
    ) -> TextGenerationOutput:
        from og_tui.sdk._llm import _completion

        return _completion(
            self, model_cid, prompt, inference_mode, max_tokens, stop_sequence, temperature, x402_settlement_mode
        )

    @translating()
    def llm_chat(
        self,
        model_cid: str,
        messages: List[Dict[str, Any]],
        inference_mode: LlmInferenceMode = LlmInferenceMode.VANILLA,
        max_tokens: int = 100,
        stop_sequence: Optional[List[str]] = None,
        temperature: float = 0.0,
        tools: Optional[List[Dict[str, Any]]] = [],  # noqa: B006 - the reference's default
        tool_choice: Optional[str] = None,
        max_retries: Optional[int] = None,
        local_model: Optional[bool] = False,
        x402_settlement_mode: Optional[x402SettlementMode] = x402SettlementMode.SETTLE_BATCH,
        stream: bool = False,
    ) -> Union[TextGenerationOutput, TextGenerationStream]:
        from og_tui.sdk._llm import _chat

        return _chat(
            self,
            model_cid,
            messages,
            inference_mode,
            max_tokens,
            stop_sequence,
            temperature,
            tools,
            tool_choice,
            x402_settlement_mode,
            stream,
        )
