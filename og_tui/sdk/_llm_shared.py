"""What the LLM adapters of :mod:`og_tui.sdk.llm` share: the inference mode, the LLM client for
the SDK's endpoints and signer, message text and tool-call shapes."""

from __future__ import annotations

import json
from typing import Any, Optional

from og_tui.core.types import LlmInferenceMode

_FINISH = {"stop", "length", "tool_calls", "content_filter", "function_call"}


def _mode(mode: Any) -> LlmInferenceMode:
    from og_tui.core.llm import _mode_of

    return _mode_of(mode)


def _make_llm_client(
    private_key: Optional[str],
    *,
    profile: Any = None,
    rpc_url: Optional[str] = None,
    llm_url: Optional[str] = None,
    contract_address: Optional[str] = None,
    spend_caps: Any = None,
) -> Any:
    """An LLMClient for the adapter: endpoints from ``profile``/``rpc_url`` or og_tui.sdk.init."""
    from og_tui.core.config import load_settings
    from og_tui.core.llm import LLMClient
    from og_tui.core.profiles import builtin_profiles
    from og_tui.sdk._state import get_client

    client = get_client()
    chain = None
    if profile is not None:
        prof = load_settings(profile).profile if isinstance(profile, str) else profile
    elif client is not None:
        prof = (client.profile or builtin_profiles()["opengradient"]).replace(
            rpc_url=client.rpc_url, inference_contract=client.contract_address
        )
        if rpc_url in (None, client.rpc_url):
            chain = client.chain
    else:
        prof = builtin_profiles()["opengradient"]
    changes = {}
    if rpc_url:
        changes["rpc_url"] = rpc_url
    if llm_url:
        changes["llm_url"] = llm_url
    if contract_address:
        changes["inference_contract"] = contract_address
    if changes:
        prof = prof.replace(**changes)
    signer = None
    if private_key:
        from eth_account import Account

        from og_tui.core.amounts import parse_private_key

        key = parse_private_key(private_key)
        signer = Account.from_key(key)
        del key
    elif client is not None:
        signer = client.account
    return LLMClient(prof, signer, caps=spend_caps, chain=chain)


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for p in content:
            if isinstance(p, str):
                parts.append(p)
            elif isinstance(p, dict) and isinstance(p.get("text"), str):
                parts.append(p["text"])
        return "".join(parts)
    return str(content)


def _nested_call(tc: dict[str, Any], index: int) -> dict[str, Any]:
    inner = tc.get("function")
    fn: dict[str, Any] = inner if isinstance(inner, dict) else tc
    args = fn.get("arguments", "")
    return {
        "id": tc.get("id") or f"call_{index}",
        "type": "function",
        "function": {"name": fn.get("name", ""), "arguments": args if isinstance(args, str) else json.dumps(args)},
    }
