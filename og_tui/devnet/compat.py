"""Point an installed reference SDK (``opengradient`` 0.5.13) at a devnet, unmodified.

    import opengradient as og
    from og_tui.devnet.compat import use_devnet
    info = use_devnet(og, "http://127.0.0.1:8545")   # before og.init / og.new_client
    og.init(email, password, private_key)             # now the devnet's chain, hub, LLM

The reference SDK hard-codes several hosts; this rewrites each of them in that one
``opengradient`` module (nothing else in the process is touched):

- ``og.init`` / ``og.new_client`` / ``Client`` defaults: ``rpc_url``, ``api_url``,
  ``contract_address`` and the three LLM server URLs (TEE / x402 calls) come from the
  devnet's ``/devnet/info``; so do ``opengradient.defaults`` and the LangChain and
  OpenAI adapters' module defaults, and the alpha scheduler address.
- Model Hub: ``https://api.opengradient.ai/api/v0/...`` requests made by the SDK's
  client go to the devnet hub.
- Firebase sign-in (``identitytoolkit`` ``verifyPassword``) made by the SDK's client
  goes to the devnet's ``/auth``.

Paid LLM calls (``LlmInferenceMode.TEE``) need the devnet started with
``--x402-network og-evm`` (the reference's x402 library knows no other network); the
returned dict's ``x402_ready`` says whether it was, and a warning is issued if not.

Returns the devnet's ``/devnet/info`` (with ``x402_ready`` added).
"""

from __future__ import annotations

import json
import types
import urllib.request
import warnings
from typing import Any, Callable, Dict, List, Tuple

__all__ = ["use_devnet", "devnet_info", "PUBLIC_HUB_PREFIX", "PUBLIC_AUTH_PREFIX"]

PUBLIC_HUB_PREFIX = "https://api.opengradient.ai/api/v0"
PUBLIC_AUTH_PREFIX = "https://www.googleapis.com/identitytoolkit/v3/relyingparty"
_MARK = "_og_tui_devnet"


def devnet_info(url: str, timeout: float = 10.0) -> Dict[str, Any]:
    """``GET {url}/devnet/info`` (``url`` may also be the devnet's ``.../rpc`` URL)."""
    base = url.rstrip("/")
    if base.endswith("/rpc"):
        base = base[: -len("/rpc")]
    try:
        with urllib.request.urlopen(f"{base}/devnet/info", timeout=timeout) as resp:
            info = json.loads(resp.read())
    except (OSError, ValueError) as exc:
        raise ConnectionError(f"No og-tui devnet answers at {base} ({exc}); start one with `og-tui devnet`.") from exc
    if not isinstance(info, dict) or "rpc_url" not in info:
        raise ConnectionError(f"{base}/devnet/info did not describe a devnet.")
    return info


def _rewriter(pairs: List[Tuple[str, str]]) -> Callable[[str], str]:
    def rewrite(url: str) -> str:
        for prefix, target in pairs:
            if isinstance(url, str) and url.startswith(prefix):
                return target + url[len(prefix) :]
        return url

    return rewrite


def _requests_shim(real: Any, rewrite: Callable[[str], str]) -> Any:
    """A stand-in for the ``requests`` module that sends public hub/auth URLs to the devnet."""
    shim = types.ModuleType("requests")
    shim.__dict__.update({k: v for k, v in vars(real).items() if not k.startswith("__")})

    def request(method: str, url: str, **kwargs: Any) -> Any:
        return real.request(method, rewrite(url), **kwargs)

    for method in ("get", "post", "put", "patch", "delete", "head", "options"):
        setattr(shim, method, (lambda m: lambda url, *a, **kw: request(m.upper(), url, *a, **kw))(method))
    shim.request = request
    setattr(shim, _MARK, True)
    return shim


def _firebase_shim(real: Any, rewrite: Callable[[str], str]) -> Any:
    """A stand-in for the ``firebase`` package whose apps sign in against the devnet."""
    import requests
    from requests.adapters import HTTPAdapter

    class Redirect(HTTPAdapter):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            request.url = rewrite(request.url)
            return super().send(request, *args, **kwargs)

    shim = types.ModuleType("firebase")
    shim.__dict__.update({k: v for k, v in vars(real).items() if not k.startswith("__")})

    def initialize_app(config: Dict[str, Any]) -> Any:
        app = real.initialize_app(config)
        session = getattr(app, "requests", None)
        if isinstance(session, requests.Session):
            session.mount(PUBLIC_AUTH_PREFIX, Redirect())
        return app

    shim.initialize_app = initialize_app
    setattr(shim, _MARK, True)
    return shim


def _set_defaults(fn: Any, values: Dict[str, Any]) -> None:
    """Replace the default values of ``fn``'s named parameters (positional or keyword-only)."""
    code = fn.__code__
    names = code.co_varnames[: code.co_argcount]
    defaults = list(fn.__defaults__ or ())
    offset = len(names) - len(defaults)
    for i, name in enumerate(names[offset:]):
        if name in values:
            defaults[i] = values[name]
    fn.__defaults__ = tuple(defaults)
    if fn.__kwdefaults__:
        fn.__kwdefaults__ = {k: values.get(k, v) for k, v in fn.__kwdefaults__.items()}


def use_devnet(og: Any, url: str) -> Dict[str, Any]:
    """Point the ``opengradient`` module ``og`` (0.5.13) at the devnet at ``url``; see the module docs."""
    import importlib

    info = devnet_info(url)
    contracts = info.get("contracts") or {}
    rpc_url = info["rpc_url"]
    api_url = info.get("api_url") or info["base_url"]
    llm_url = info.get("llm_url") or info["base_url"]
    hub_url = info.get("hub_url") or f"{info['base_url']}/api/v0"
    auth_url = info.get("auth_url") or f"{info['base_url']}/auth"
    contract = contracts.get("inference_hub")
    scheduler = contracts.get("scheduler")
    rewrite = _rewriter([(PUBLIC_HUB_PREFIX, hub_url), (PUBLIC_AUTH_PREFIX, f"{auth_url}/v3/relyingparty")])

    client_mod = importlib.import_module(f"{og.__name__}.client")
    defaults_mod = importlib.import_module(f"{og.__name__}.defaults")
    # hub and Firebase: only inside the SDK's client module
    real_requests = getattr(client_mod.requests, "_og_tui_real", None) or client_mod.requests
    client_mod.requests = _requests_shim(real_requests, rewrite)
    client_mod.requests._og_tui_real = real_requests
    real_firebase = getattr(client_mod.firebase, "_og_tui_real", None) or client_mod.firebase
    client_mod.firebase = _firebase_shim(real_firebase, rewrite)
    client_mod.firebase._og_tui_real = real_firebase

    network = {"rpc_url": rpc_url, "api_url": api_url, "contract_address": contract}
    llm = {"llm_server_url": llm_url, "og_llm_server_url": llm_url, "og_llm_streaming_server_url": llm_url}
    _set_defaults(og.init, network)
    _set_defaults(og.new_client, network)
    _set_defaults(client_mod.Client.__init__, llm)
    for name, value in (
        ("DEFAULT_RPC_URL", rpc_url),
        ("DEFAULT_API_URL", api_url),
        ("DEFAULT_INFERENCE_CONTRACT_ADDRESS", contract),
        ("DEFAULT_SCHEDULER_ADDRESS", scheduler),
        ("DEFAULT_LLM_SERVER_URL", llm_url),
        ("DEFAULT_OPENGRADIENT_LLM_SERVER_URL", llm_url),
        ("DEFAULT_OPENGRADIENT_LLM_STREAMING_SERVER_URL", llm_url),
    ):
        if value is None:
            continue
        for mod_name in ("", ".defaults", ".alpha", ".client", ".llm.og_langchain", ".llm.og_openai"):
            try:
                mod = importlib.import_module(f"{og.__name__}{mod_name}")
            except ImportError:  # an adapter whose framework is not installed
                continue
            if hasattr(mod, name):
                setattr(mod, name, value)
    setattr(defaults_mod, _MARK, info.get("base_url"))
    info = dict(info, x402_ready=info.get("x402_network") == "og-evm")
    if not info["x402_ready"]:
        warnings.warn(
            f"This devnet serves x402 as {info.get('x402_network')!r}; the reference SDK's paid LLM calls "
            "(LlmInferenceMode.TEE) only accept 'og-evm': start it with `og-tui devnet --x402-network og-evm`.",
            stacklevel=2,
        )
    return info
