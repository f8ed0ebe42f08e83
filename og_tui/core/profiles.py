"""Profiles: the endpoints and contract addresses of one network, and how they are resolved.

Holds :class:`Profile`, the built-in profiles (``local``, the embedded devnet, and
``opengradient``, the public network), the per-field checks of a ``[profiles.NAME]`` table
(:func:`coerce_field`) and the resolution of those tables into complete profiles: a table
with a built-in's name overrides its fields, another name ``extends`` a base (default
``opengradient``, or ``local`` when ``kind = "devnet"``), and a devnet profile derives every
URL not set explicitly from ``devnet_host`` and ``devnet_port`` (:func:`devnet_urls`).

Reading config.toml and the environment is :mod:`og_tui.core.config`'s job.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

from . import constants as C
from .errors import ConfigError

__all__ = [
    "PROFILE_KINDS",
    "X402_VERSIONS",
    "FIELD_TYPES",
    "URL_FIELDS",
    "DEVNET_DERIVED",
    "Profile",
    "builtin_profiles",
    "builtin_specs",
    "build_profile",
    "coerce_field",
    "devnet_urls",
    "resolve_profiles",
    "unknown_profile",
]

X402_VERSIONS = ("1", "2", "auto")

PROFILE_KINDS = ("devnet", "remote")


@dataclass
class Profile:
    """Endpoints and contract addresses of one network."""

    name: str
    kind: str  # "devnet" | "remote"
    rpc_url: str
    api_url: str
    hub_url: str
    auth_url: str
    llm_url: str
    chain_id: int
    x402_network: str
    inference_contract: str = C.INFERENCE_HUB_ADDRESS
    scheduler_address: str = C.SCHEDULER_ADDRESS
    tee_registry_address: str = C.TEE_REGISTRY_ADDRESS  # TEEs that may answer LLM calls (1.x)
    inference_precompile: str = C.INFERENCE_PRECOMPILE_ADDRESS
    price_feed_precompile: str = C.PRICE_FEED_PRECOMPILE_ADDRESS
    payment_token: str = C.OUSDC_ADDRESS
    payment_token_name: str = C.OUSDC_NAME
    payment_token_version: str = C.OUSDC_VERSION
    payment_token_decimals: int = C.OUSDC_DECIMALS
    payment_token_symbol: str = C.OUSDC_NAME
    native_symbol: str = C.NATIVE_SYMBOL
    explorer_url: Optional[str] = None
    faucet_url: Optional[str] = None
    firebase_api_key: Optional[str] = None
    devnet_host: Optional[str] = None
    devnet_port: Optional[int] = None
    x402_payees: Optional[str] = None  # comma-separated addresses x402 payments may go to
    # x402 generation: "1" (OUSDC, EIP-3009), "2" (OPG through Permit2, SDK 1.1.4) or "auto" (from the 402)
    x402_version: str = "1"
    opg_token: str = C.OPG_DEVNET_ADDRESS  # the x402 v2 token
    x402_v2_chain_id: int = 0  # the chain x402 v2 signs for (eip155:<id>); 0: the profile's chain_id

    @property
    def is_devnet(self) -> bool:
        return self.kind == "devnet"

    @property
    def base_url(self) -> Optional[str]:
        """``http://host:port`` of a devnet profile (None for remote ones)."""
        if not self.is_devnet or not self.devnet_host or not self.devnet_port:
            return None
        return f"http://{self.devnet_host}:{self.devnet_port}"

    def explorer_tx_url(self, tx_hash: str) -> Optional[str]:
        if not self.explorer_url:
            return None
        h = tx_hash if tx_hash.startswith("0x") else "0x" + tx_hash
        return self.explorer_url.rstrip("/") + "/tx/" + h

    def explorer_address_url(self, address: str) -> Optional[str]:
        if not self.explorer_url:
            return None
        return self.explorer_url.rstrip("/") + "/address/" + address

    def faucet_link(self, address: str) -> Optional[str]:
        """Web faucet link for remote profiles (devnet funds via POST /faucet instead)."""
        if not self.faucet_url or self.is_devnet:
            return None
        return self.faucet_url + address

    def replace(self, **changes: Any) -> "Profile":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    def __repr__(self) -> str:  # keep a possible API key out of logs
        fields = ", ".join(
            f"{f.name}={('***' if f.name == 'firebase_api_key' and getattr(self, f.name) else getattr(self, f.name))!r}"
            for f in dataclasses.fields(self)
        )
        return f"Profile({fields})"


FIELD_TYPES: Dict[str, type] = {
    f.name: (int if f.name in ("chain_id", "payment_token_decimals", "devnet_port", "x402_v2_chain_id") else str)
    for f in dataclasses.fields(Profile)
}
URL_FIELDS = ("rpc_url", "api_url", "hub_url", "auth_url", "llm_url")
DEVNET_DERIVED = URL_FIELDS + ("faucet_url",)
_OPTIONAL_FIELDS = ("explorer_url", "faucet_url", "firebase_api_key", "devnet_host", "devnet_port", "x402_payees")


def devnet_urls(host: str, port: int) -> Dict[str, str]:
    """URLs the devnet serves on ``host:port`` (see its /devnet/info)."""
    base = f"http://{host}:{port}"
    return {
        "rpc_url": f"{base}/rpc",
        "api_url": base,
        "hub_url": f"{base}/api/v0",
        "auth_url": f"{base}/auth",
        "llm_url": base,
        "faucet_url": f"{base}/faucet",
    }


def builtin_specs() -> Dict[str, Dict[str, Any]]:
    return {
        "local": {
            "kind": "devnet",
            "chain_id": C.DEVNET_CHAIN_ID,
            "x402_network": C.DEVNET_X402_NETWORK,
            "explorer_url": None,
            "devnet_host": C.DEVNET_HOST,
            "devnet_port": C.DEVNET_PORT,
        },
        "opengradient": {
            "kind": "remote",
            "rpc_url": C.OG_RPC_URL,
            "api_url": C.OG_API_URL,
            "hub_url": C.OG_HUB_URL,
            "auth_url": C.OG_AUTH_URL,
            "llm_url": C.OG_LLM_URL,
            "chain_id": C.OG_CHAIN_ID,
            "x402_network": C.OG_X402_NETWORK,
            "opg_token": C.OPG_PUBLIC_ADDRESS,
            "x402_v2_chain_id": 8453,  # SDK 1.1.4 pays OPG on Base mainnet
            "explorer_url": C.OG_EXPLORER_URL,
            "faucet_url": C.OG_FAUCET_URL,
        },
    }


def build_profile(name: str, spec: Mapping[str, Any]) -> Profile:
    data = {k: v for k, v in spec.items() if k not in ("extends", "_explicit")}
    explicit = set(spec.get("_explicit", ()))
    kind = data.get("kind", "remote")
    if kind not in PROFILE_KINDS:
        raise ConfigError(f"Profile {name!r}: kind must be one of {', '.join(PROFILE_KINDS)}, not {kind!r}.")
    if kind == "devnet":
        host = data.get("devnet_host") or C.DEVNET_HOST
        port = data.get("devnet_port") or C.DEVNET_PORT
        data["devnet_host"], data["devnet_port"] = host, int(port)
        for key, url in devnet_urls(host, int(port)).items():
            if key not in explicit or not data.get(key):
                data[key] = url
    missing = [
        f
        for f in ("rpc_url", "api_url", "hub_url", "auth_url", "llm_url", "chain_id", "x402_network")
        if data.get(f) in (None, "")
    ]
    if missing:
        raise ConfigError(f"Profile {name!r} is missing {', '.join(missing)}.")
    data["name"] = name
    return Profile(**data)


def builtin_profiles() -> Dict[str, Profile]:
    return {name: build_profile(name, spec) for name, spec in builtin_specs().items()}


def coerce_field(profile: str, key: str, value: Any, source: str) -> Any:
    if key not in FIELD_TYPES or key == "name":
        valid = ", ".join(sorted(k for k in FIELD_TYPES if k != "name"))
        raise ConfigError(
            f"{source}: profile {profile!r} has an unknown field {key!r}.",
            hint=f"Valid fields: extends, {valid}.",
        )
    if value is None or (isinstance(value, str) and value == "" and key in _OPTIONAL_FIELDS):
        return None
    if key == "x402_version":
        text = str(value).strip().lower() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        if text not in X402_VERSIONS:
            raise ConfigError(f'{source}: x402_version of profile {profile!r} must be 1, 2 or "auto", not {value!r}.')
        return text
    typ = FIELD_TYPES[key]
    if typ is int:
        if isinstance(value, bool):
            raise ConfigError(f"{source}: {key} of profile {profile!r} must be an integer.")
        try:
            ivalue = int(str(value).strip(), 0) if isinstance(value, str) else int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{source}: {key} of profile {profile!r} must be an integer, not {value!r}.") from None
        if key == "devnet_port" and not (0 < ivalue < 65536):
            raise ConfigError(f"{source}: devnet_port must be between 1 and 65535, not {ivalue}.")
        return ivalue
    if not isinstance(value, str):
        raise ConfigError(f"{source}: {key} of profile {profile!r} must be a string.")
    value = value.strip()
    if key in URL_FIELDS or key in ("explorer_url",):
        if not value.startswith(("http://", "https://")):
            raise ConfigError(
                f"{source}: {key} of profile {profile!r} must start with http:// or https://, not {value!r}."
            )
    if key == "kind" and value not in PROFILE_KINDS:
        raise ConfigError(
            f"{source}: kind of profile {profile!r} must be one of {', '.join(PROFILE_KINDS)}, not {value!r}."
        )
    return value


def unknown_profile(name: str, profiles: Mapping[str, Any]) -> ConfigError:
    return ConfigError(
        f"Unknown profile {name!r}. Available profiles: {', '.join(sorted(profiles))}.",
        hint="Pick one of them, or define [profiles." + name + "] in config.toml.",
    )


def resolve_profiles(file_profiles: Mapping[str, Any], source: str) -> Dict[str, Dict[str, Any]]:
    specs: Dict[str, Dict[str, Any]] = {n: dict(s) for n, s in builtin_specs().items()}
    for s in specs.values():
        s["_explicit"] = set(k for k in s if k in URL_FIELDS)
    if not isinstance(file_profiles, Mapping):
        raise ConfigError(f"{source}: [profiles] must be a table of [profiles.NAME] tables.")
    for name, table in file_profiles.items():
        if not isinstance(table, Mapping):
            raise ConfigError(f"{source}: profiles.{name} must be a table.")

    resolved: Dict[str, Dict[str, Any]] = {}

    def resolve(name: str, stack: tuple[str, ...]) -> Dict[str, Any]:
        if name in resolved:
            return resolved[name]
        if name in stack:
            raise ConfigError(f"{source}: profiles extend each other in a loop: {' -> '.join(stack + (name,))}.")
        table = file_profiles.get(name)
        if table is None:
            if name in specs:
                resolved[name] = specs[name]
                return specs[name]
            raise unknown_profile(name, {**specs, **file_profiles})
        overrides = {k: coerce_field(name, k, v, source) for k, v in table.items() if k != "extends"}
        if name in specs and "extends" not in table:
            base = specs[name]
        else:
            base_name = table.get("extends")
            if base_name is None:
                base_name = "local" if overrides.get("kind") == "devnet" else "opengradient"
            if not isinstance(base_name, str):
                raise ConfigError(f"{source}: extends of profile {name!r} must be a profile name.")
            base = resolve(base_name, stack + (name,))
        spec = {k: v for k, v in base.items() if k != "_explicit"}
        explicit = set(base.get("_explicit", ()))
        if "kind" in overrides and overrides["kind"] != base.get("kind"):
            # devnet urls derive from host/port; a remote profile's urls are all its own
            explicit = set() if overrides["kind"] == "devnet" else set(URL_FIELDS)
        spec.update(overrides)
        explicit |= {k for k in overrides if k in DEVNET_DERIVED}
        spec["_explicit"] = explicit
        resolved[name] = spec
        return spec

    names = list(specs) + [n for n in file_profiles if n not in specs]
    for n in names:
        resolve(n, ())
    return resolved
