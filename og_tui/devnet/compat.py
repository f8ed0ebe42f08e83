"""Point an installed reference SDK (``opengradient`` 0.5.13 or 1.x) at a devnet, unmodified.

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

With 1.x (the split clients: ``og.ModelHub`` is a class), the same is done to
its modules: ``og.Alpha`` and ``og.LLM`` defaults (RPC URL, inference contract, node API,
scheduler, TEE registry), ``og.ModelHub``'s hub and Firebase requests (sign-in and token
refresh), its Firebase configuration (which 1.x reads from ``FIREBASE_*`` environment
variables) where unset, and its x402 v2 payment constants: the network (``eip155:<devnet
chain id>`` instead of Base), the RPC its OPG allowance is read from and the OPG token
address, so ``og.LLM(private_key)`` discovers the devnet's TEE in its registry, pins its
certificate, approves and pays OPG through Permit2 on the devnet.

Paid LLM calls of 0.5.13 (``LlmInferenceMode.TEE``) need the devnet started with
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

__all__ = ["use_devnet", "devnet_info", "PUBLIC_HUB_PREFIX", "PUBLIC_AUTH_PREFIX", "PUBLIC_TOKEN_PREFIX"]

PUBLIC_HUB_PREFIX = "https://api.opengradient.ai/api/v0"
PUBLIC_AUTH_PREFIX = "https://www.googleapis.com/identitytoolkit/v3/relyingparty"
PUBLIC_TOKEN_PREFIX = "https://securetoken.googleapis.com/v1"
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
            session.mount(PUBLIC_TOKEN_PREFIX, Redirect())
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


def _install_shims(mod: Any, rewrite: Callable[[str], str]) -> None:
    """Route ``mod``'s ``requests`` and ``firebase`` (where it has them) through the devnet rewrite."""
    for name, make in (("requests", _requests_shim), ("firebase", _firebase_shim)):
        current = getattr(mod, name, None)
        if current is None:
            continue
        real = getattr(current, "_og_tui_real", None) or current
        shim = make(real, rewrite)
        shim._og_tui_real = real
        setattr(mod, name, shim)


def _set_module_values(og: Any, suffixes: Tuple[str, ...], values: Dict[str, Any]) -> None:
    """Set each module-level constant in ``values`` (skipping None) wherever ``og``'s submodules have it."""
    import importlib

    for suffix in suffixes:
        try:
            mod = importlib.import_module(f"{og.__name__}{suffix}")
        except ImportError:  # an adapter whose framework is not installed
            continue
        for name, value in values.items():
            if value is not None and hasattr(mod, name):
                setattr(mod, name, value)


def use_devnet(og: Any, url: str) -> Dict[str, Any]:
    """Point the ``opengradient`` module ``og`` (0.5.13 or 1.x) at the devnet at ``url``; see the module docs."""
    info = devnet_info(url)
    if isinstance(getattr(og, "ModelHub", None), type):  # 1.x: the split clients
        return _use_devnet_1x(og, info)
    return _use_devnet_0x(og, info)


def _endpoints(info: Dict[str, Any]) -> Dict[str, Any]:
    contracts = info.get("contracts") or {}
    base = info["base_url"]
    auth_url = info.get("auth_url") or f"{base}/auth"
    hub_url = info.get("hub_url") or f"{base}/api/v0"
    return {
        "rpc_url": info["rpc_url"],
        "api_url": info.get("api_url") or base,
        "llm_url": info.get("llm_url") or base,
        "contract": contracts.get("inference_hub"),
        "scheduler": contracts.get("scheduler"),
        "tee_registry": contracts.get("tee_registry"),
        "rewrite": _rewriter(
            [
                (PUBLIC_HUB_PREFIX, hub_url),
                (PUBLIC_AUTH_PREFIX, f"{auth_url}/v3/relyingparty"),
                (PUBLIC_TOKEN_PREFIX, f"{auth_url}/v1"),
            ]
        ),
    }


def _use_devnet_1x(og: Any, info: Dict[str, Any]) -> Dict[str, Any]:
    import importlib

    ep = _endpoints(info)
    hub_mod = importlib.import_module(f"{og.__name__}.client.model_hub")
    _install_shims(hub_mod, ep["rewrite"])
    config = getattr(hub_mod, "_FIREBASE_CONFIG", None)
    if isinstance(config, dict):
        for key, value in (
            ("apiKey", "og-devnet"),
            ("authDomain", "og-devnet"),
            ("projectId", "og-devnet"),
            ("storageBucket", "og-devnet"),
            ("appId", "og-devnet"),
        ):
            if not config.get(key):
                config[key] = value
    alpha_mod = importlib.import_module(f"{og.__name__}.client.alpha")
    _set_defaults(
        alpha_mod.Alpha.__init__,
        {"rpc_url": ep["rpc_url"], "inference_contract_address": ep["contract"], "api_url": ep["api_url"]},
    )
    llm_values = {"rpc_url": ep["rpc_url"]}
    if ep["tee_registry"]:
        llm_values["tee_registry_address"] = ep["tee_registry"]
    for name in ("llm", "confidential_llm"):
        try:
            mod = importlib.import_module(f"{og.__name__}.client.{name}")
        except ImportError:
            continue
        for cls in vars(mod).values():
            if (
                isinstance(cls, type)
                and cls.__module__ == mod.__name__
                and "rpc_url" in getattr(cls.__init__, "__code__", types.SimpleNamespace(co_varnames=())).co_varnames
            ):
                _set_defaults(cls.__init__, llm_values)
    _set_module_values(
        og,
        (".client.alpha", ".client.llm", ".client.confidential_llm"),
        {
            "DEFAULT_RPC_URL": ep["rpc_url"],
            "DEFAULT_API_URL": ep["api_url"],
            "DEFAULT_INFERENCE_CONTRACT_ADDRESS": ep["contract"],
            "DEFAULT_SCHEDULER_ADDRESS": ep["scheduler"],
            "DEFAULT_TEE_REGISTRY_ADDRESS": ep["tee_registry"],
        },
    )
    # x402 v2: 1.x pays on Base in OPG; on devnet the same scheme runs on the devnet's chain
    # (its id in every signature, so nothing signed here is valid on Base) in the devnet's OPG
    v2 = info.get("x402_v2") or {}
    network = v2.get("network")
    opg_token = (v2.get("token") or {}).get("address") or (info.get("contracts") or {}).get("opg_token")
    _set_module_values(
        og,
        (".client.llm", ".client.opg_token"),
        {"BASE_MAINNET_NETWORK": network, "BASE_MAINNET_RPC": ep["rpc_url"], "BASE_OPG_ADDRESS": opg_token},
    )
    try:
        llm_cls = importlib.import_module(f"{og.__name__}.client.llm").LLM
    except (ImportError, AttributeError):
        llm_cls = None
    if llm_cls is not None and callable(getattr(llm_cls, "_build_x402_client", None)):
        _set_defaults(llm_cls._build_x402_client, {"rpc_url": ep["rpc_url"]})
    setattr(hub_mod, _MARK, info.get("base_url"))
    return dict(info, sdk_generation=1)


def _use_devnet_0x(og: Any, info: Dict[str, Any]) -> Dict[str, Any]:
    import importlib

    ep = _endpoints(info)
    rpc_url, api_url, llm_url = ep["rpc_url"], ep["api_url"], ep["llm_url"]
    contract, scheduler = ep["contract"], ep["scheduler"]
    client_mod = importlib.import_module(f"{og.__name__}.client")
    defaults_mod = importlib.import_module(f"{og.__name__}.defaults")
    # hub and Firebase: only inside the SDK's client module
    _install_shims(client_mod, ep["rewrite"])

    network = {"rpc_url": rpc_url, "api_url": api_url, "contract_address": contract}
    llm = {"llm_server_url": llm_url, "og_llm_server_url": llm_url, "og_llm_streaming_server_url": llm_url}
    _set_defaults(og.init, network)
    _set_defaults(og.new_client, network)
    _set_defaults(client_mod.Client.__init__, llm)
    _set_module_values(
        og,
        ("", ".defaults", ".alpha", ".client", ".llm.og_langchain", ".llm.og_openai"),
        {
            "DEFAULT_RPC_URL": rpc_url,
            "DEFAULT_API_URL": api_url,
            "DEFAULT_INFERENCE_CONTRACT_ADDRESS": contract,
            "DEFAULT_SCHEDULER_ADDRESS": scheduler,
            "DEFAULT_LLM_SERVER_URL": llm_url,
            "DEFAULT_OPENGRADIENT_LLM_SERVER_URL": llm_url,
            "DEFAULT_OPENGRADIENT_LLM_STREAMING_SERVER_URL": llm_url,
        },
    )
    setattr(defaults_mod, _MARK, info.get("base_url"))
    info = dict(info, x402_ready=info.get("x402_network") == "og-evm", sdk_generation=0)
    if not info["x402_ready"]:
        warnings.warn(
            f"This devnet serves x402 as {info.get('x402_network')!r}; the reference SDK's paid LLM calls "
            "(LlmInferenceMode.TEE) only accept 'og-evm': start it with `og-tui devnet --x402-network og-evm`.",
            stacklevel=3,
        )
    return info
