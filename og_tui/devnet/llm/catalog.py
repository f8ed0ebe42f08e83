"""Models the devnet LLM gateway serves, their prices and which backend runs them.

Configuration (environment of the devnet process, or ``DevnetConfig.extra["llm"]``):

- ``OG_TUI_DEVNET_LLM_UPSTREAM="model=url[#remote_model],..."``: serve ``model`` from an
  OpenAI-compatible server (Ollama, llama.cpp server, vLLM) at ``url`` (with or without a
  trailing ``/v1``). ``model`` may be a seed id (``openai/gpt-4o``), its bare name, or a
  new name, which is then added to the catalog. ``remote_model`` is the name sent
  upstream (default: the bare model name).
- ``OG_TUI_DEVNET_LLM_TOKENS_PER_SECOND`` (default 200): pace of the builtin model's
  streams; a request may override it with the devnet-only body field ``tokens_per_second``.
- ``OG_TUI_DEVNET_X402_BATCH_SECONDS`` (default 5): settle-batch flush interval.
- ``OG_TUI_DEVNET_X402_TIMEOUT`` (default 300): ``maxTimeoutSeconds`` of the requirements
  (raised when needed to cover the settle horizon below plus 60 s for the client).
- ``OG_TUI_DEVNET_LLM_MAX_REPLY_SECONDS`` (default 120): the longest reply the gateway
  serves; a stream is ended (``finish_reason: length``) when it reaches it.
- ``OG_TUI_DEVNET_X402_SETTLE_MARGIN`` (default 10): seconds added to the longest reply
  and the batch interval to form the settle horizon an authorization's ``validBefore``
  must leave.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from og_tui.core.types import LLM, TEE_LLM

DEVNET_MODEL = "og-devnet/mini"
BACKEND_BUILTIN = "builtin"
BACKEND_UPSTREAM = "upstream"

ENV_UPSTREAM = "OG_TUI_DEVNET_LLM_UPSTREAM"
ENV_RATE = "OG_TUI_DEVNET_LLM_TOKENS_PER_SECOND"
ENV_BATCH = "OG_TUI_DEVNET_X402_BATCH_SECONDS"
ENV_TIMEOUT = "OG_TUI_DEVNET_X402_TIMEOUT"
ENV_MAX_REPLY = "OG_TUI_DEVNET_LLM_MAX_REPLY_SECONDS"
ENV_MARGIN = "OG_TUI_DEVNET_X402_SETTLE_MARGIN"

DEFAULT_RATE = 200.0
DEFAULT_BATCH_SECONDS = 5.0
DEFAULT_TIMEOUT_SECONDS = 300
DEFAULT_MAX_REPLY_SECONDS = 120.0
DEFAULT_MARGIN_SECONDS = 10.0

# price per generated token (max_tokens is what is charged), atomic OUSDC units (6 dp)
_PROVIDER_PRICE = {"openai": 4, "anthropic": 5, "google": 2, "x-ai": 3}
DEVNET_PRICE = 1


class ConfigError(ValueError):
    """Bad gateway configuration (the message names the variable)."""


@dataclass
class ModelSpec:
    id: str  # canonical id, e.g. "openai/gpt-4o"
    price_per_token: int
    backend: str = BACKEND_BUILTIN
    upstream_url: Optional[str] = None
    remote_model: Optional[str] = None
    tee: bool = True
    description: str = ""

    @property
    def bare(self) -> str:
        return self.id.split("/", 1)[1] if "/" in self.id else self.id

    def public(self) -> dict:
        return {
            "id": self.id,
            "object": "model",
            "owned_by": self.id.split("/", 1)[0] if "/" in self.id else "og-devnet",
            "backend": self.backend,
            "price_per_token": str(self.price_per_token),
            "tee": self.tee,
            "description": self.description,
        }


def _norm_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{ENV_UPSTREAM}: {url!r} is not an http(s) URL")
    return url if url.endswith("/v1") else url + "/v1"


def parse_upstream(text: str) -> dict[str, tuple[str, Optional[str]]]:
    """``"model=url[#remote],..."`` -> {model: (url, remote)}."""
    out: dict[str, tuple[str, Optional[str]]] = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ConfigError(f"{ENV_UPSTREAM}: expected model=url, got {part!r}")
        model, url = (s.strip() for s in part.split("=", 1))
        remote = None
        if "#" in url:
            url, remote = (s.strip() for s in url.split("#", 1))
        if not model:
            raise ConfigError(f"{ENV_UPSTREAM}: empty model name in {part!r}")
        out[model] = (_norm_url(url), remote or None)
    return out


def _float_env(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, not {raw!r}")
    return value


@dataclass
class GatewayConfig:
    tokens_per_second: float = DEFAULT_RATE
    batch_seconds: float = DEFAULT_BATCH_SECONDS
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    max_reply_seconds: float = DEFAULT_MAX_REPLY_SECONDS
    margin_seconds: float = DEFAULT_MARGIN_SECONDS
    upstream: dict = field(default_factory=dict)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, extra: Mapping[str, Any] | None = None) -> "GatewayConfig":
        env = os.environ if env is None else env
        extra = dict(extra or {})
        upstream = {}
        conf_up = extra.get("upstream") or {}
        if isinstance(conf_up, str):
            upstream.update(parse_upstream(conf_up))
        else:
            for model, url in dict(conf_up).items():
                upstream.update(parse_upstream(f"{model}={url}"))
        upstream.update(parse_upstream(env.get(ENV_UPSTREAM, "")))
        return cls(
            tokens_per_second=_float_env(env, ENV_RATE, float(extra.get("tokens_per_second", DEFAULT_RATE))),
            batch_seconds=_float_env(env, ENV_BATCH, float(extra.get("batch_seconds", DEFAULT_BATCH_SECONDS))),
            timeout_seconds=int(
                _float_env(env, ENV_TIMEOUT, float(extra.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)))
            ),
            max_reply_seconds=_float_env(
                env, ENV_MAX_REPLY, float(extra.get("max_reply_seconds", DEFAULT_MAX_REPLY_SECONDS))
            ),
            margin_seconds=_float_env(env, ENV_MARGIN, float(extra.get("margin_seconds", DEFAULT_MARGIN_SECONDS))),
            upstream=upstream,
        )


class Catalog:
    """Model lookup by full id or bare name (case-insensitive)."""

    def __init__(self, config: GatewayConfig) -> None:
        self.models: dict[str, ModelSpec] = {}
        ids = list(dict.fromkeys([m.value for m in TEE_LLM] + [m.value for m in LLM]))
        for mid in ids:
            provider = mid.split("/", 1)[0]
            self._add(
                ModelSpec(mid, _PROVIDER_PRICE.get(provider, 3), description="seed model id, served by the devnet")
            )
        self._add(ModelSpec(DEVNET_MODEL, DEVNET_PRICE, description="devnet's deterministic markdown model"))
        for name, (url, remote) in config.upstream.items():
            spec = self.find(name)
            if spec is None:
                spec = ModelSpec(name, DEVNET_PRICE, description="upstream model")
                self._add(spec)
            spec.backend = BACKEND_UPSTREAM
            spec.upstream_url = url
            spec.remote_model = remote or spec.bare

    def _add(self, spec: ModelSpec) -> None:
        self.models[spec.id.lower()] = spec

    def find(self, name: Any) -> Optional[ModelSpec]:
        if not isinstance(name, str) or not name.strip():
            return None
        key = name.strip().lower()
        if key in self.models:
            return self.models[key]
        for spec in self.models.values():
            if spec.bare.lower() == key:
                return spec
        return None

    def public(self) -> list[dict]:
        return [s.public() for s in self.models.values()]
