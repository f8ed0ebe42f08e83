"""The ``[mcp]`` table of config.toml: what ``og-tui mcp`` exposes and what it asks about.

    [mcp]
    models = ["linear-regression", "weighted-sum@1.00"]   # Hub models, one tool each
    workflows = ["public", "mine"]                         # or addresses / workflow-model names
    chat = true                                            # the chat tool (x402, within the caps)
    chat_models = []                                       # [] = every LLM of the profile
    chat_max_tokens = 256
    confirm = ["chat", "linear-regression"]                # "models", "chat" or a model name
    approval_timeout = 120                                 # seconds a call waits for a yes
    inference_mode = "VANILLA"                             # VANILLA, TEE or ZKML
    settlement = "settle-batch"                            # settle, settle-metadata, settle-batch
    max_gas_fee = "0.05"                                   # OG one model run may cost in gas at most

    [mcp.servers.research]      # another server: og-tui mcp --server research
    models = []                 # (every key not given here comes from [mcp])

:func:`parse_mcp` checks every key and value and raises ConfigError naming the key (with a
"did you mean" for a typo) and what a valid value looks like. Nothing here touches the
network: model names are resolved on the Hub when the server starts.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

from og_tui.core.errors import ConfigError

__all__ = [
    "McpConfig",
    "McpSettings",
    "ModelRef",
    "MCP_KEYS",
    "INFERENCE_MODES",
    "SETTLEMENTS",
    "WORKFLOW_GROUPS",
    "parse_mcp",
]

INFERENCE_MODES = ("VANILLA", "TEE", "ZKML")
SETTLEMENTS = ("settle", "settle-metadata", "settle-batch")
WORKFLOW_GROUPS = ("public", "mine")  # the SDK's workflow models / those deployed from here
CONFIRM_GROUPS = ("models", "chat")
MAX_APPROVAL_TIMEOUT = 3600
DEFAULT_MAX_GAS_FEE_WEI = 5 * 10**16  # 0.05 of the native token per model run

# key -> what a valid value looks like (for errors and the README)
MCP_KEYS: Dict[str, str] = {
    "models": 'a list of Hub model names, each optionally with @VERSION, e.g. ["linear-regression@1.00"]',
    "workflows": 'a list of "public", "mine", workflow addresses (0x...) or workflow-model names',
    "chat": "true or false",
    "chat_models": 'a list of LLM names, e.g. ["og-devnet/mini"] ([] = all of the profile\'s)',
    "chat_max_tokens": "a whole number from 1 to 100000",
    "confirm": 'a list of "models", "chat" or names from models',
    "approval_timeout": f"seconds, from 1 to {MAX_APPROVAL_TIMEOUT}",
    "inference_mode": "VANILLA, TEE or ZKML",
    "settlement": "settle, settle-metadata or settle-batch",
    "max_gas_fee": 'an amount of the native token, e.g. "0.05" (the most gas one model run may cost)',
    "servers": "[mcp.servers.NAME] tables with the same keys",
}

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_SERVER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class ModelRef:
    """One exposed Hub model: its name and a version (None: the latest)."""

    name: str
    version: Optional[str] = None

    def __str__(self) -> str:
        return f"{self.name}@{self.version}" if self.version else self.name


@dataclass(frozen=True)
class McpConfig:
    """What one MCP server exposes (the defaults expose no model: running one costs gas)."""

    name: str = "default"
    models: Tuple[ModelRef, ...] = ()
    workflows: Tuple[str, ...] = WORKFLOW_GROUPS
    chat: bool = True
    chat_models: Tuple[str, ...] = ()
    chat_max_tokens: int = 256
    confirm: Tuple[str, ...] = ()
    approval_timeout: float = 120.0
    inference_mode: str = "VANILLA"
    settlement: str = "settle-batch"
    max_gas_fee_wei: int = DEFAULT_MAX_GAS_FEE_WEI

    def needs_confirmation(self, kind: str, model: Optional[str] = None) -> bool:
        """Whether a call of ``kind`` ("chat" or "model", with the model's name) waits for a yes."""
        if kind == "chat":
            return "chat" in self.confirm
        return "models" in self.confirm or (model is not None and model in self.confirm)


@dataclass(frozen=True)
class McpSettings:
    """The ``[mcp]`` table: the default server and the named ones."""

    default: McpConfig = field(default_factory=McpConfig)
    servers: Dict[str, McpConfig] = field(default_factory=dict)

    def server(self, name: Optional[str] = None) -> McpConfig:
        if name in (None, "", "default"):
            return self.default
        if name not in self.servers:
            known = ", ".join(["default", *sorted(self.servers)])
            raise ConfigError(
                f"No MCP server {name!r} in the config file (servers: {known}).",
                hint=f"Add a [mcp.servers.{name}] table, or leave --server out for [mcp].",
            )
        return self.servers[name]


def _where(source: str, table: str, key: str) -> str:
    return f"{source}: {table}.{key}"


def _list_of_str(value: Any, source: str, table: str, key: str) -> Tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{_where(source, table, key)} must be {MCP_KEYS[key]}, not {value!r}.")
    out: list[str] = []
    for v in value:
        v = v.strip()
        if v not in out:
            out.append(v)
    return tuple(out)


def _model_ref(text: str, source: str, table: str) -> ModelRef:
    name, _, version = text.partition("@")
    name, version = name.strip(), version.strip()
    if not name or ("@" in text and not version):
        raise ConfigError(
            f"{_where(source, table, 'models')}: {text!r} is not a model name (NAME or NAME@VERSION).",
            hint='e.g. models = ["linear-regression", "weighted-sum@1.00"]',
        )
    if version and not re.fullmatch(r"\d+(\.\d+)?", version):
        raise ConfigError(
            f"{_where(source, table, 'models')}: the version in {text!r} must look like 1.00.",
        )
    return ModelRef(name, version or None)


def _workflow(text: str, source: str, table: str) -> str:
    if text in WORKFLOW_GROUPS or _ADDRESS.match(text):
        return text
    from og_tui.core.workflow_models import WORKFLOW_MODELS

    names = [m.function for m in WORKFLOW_MODELS]
    if text in names:
        return text
    close = difflib.get_close_matches(text, [*WORKFLOW_GROUPS, *names], n=1)
    guess = f" Did you mean {close[0]!r}?" if close else ""
    raise ConfigError(
        f"{_where(source, table, 'workflows')}: {text!r} is not a workflow.{guess}",
        hint=f"Use {MCP_KEYS['workflows']}.",
    )


def _int(value: Any, source: str, table: str, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise ConfigError(f"{_where(source, table, key)} must be {MCP_KEYS[key]}, not {value!r}.")
    if not low <= int(value) <= high:
        raise ConfigError(f"{_where(source, table, key)} must be {MCP_KEYS[key]}, not {value!r}.")
    return int(value)


def _choice(value: Any, choices: Tuple[str, ...], source: str, table: str, key: str, upper: bool = False) -> str:
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and upper:
        text = text.upper()
    if text not in choices:
        raise ConfigError(f"{_where(source, table, key)} must be {MCP_KEYS[key]}, not {value!r}.")
    return str(text)


def _native_amount(value: Any, source: str, table: str, key: str) -> int:
    from og_tui.core.amounts import parse_amount
    from og_tui.core.errors import OGError

    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"{_where(source, table, key)} must be {MCP_KEYS[key]}, not {value!r}.")
    try:
        return parse_amount(str(value), 18)
    except OGError as exc:
        raise ConfigError(f"{_where(source, table, key)}: {exc}", hint=f"Use {MCP_KEYS[key]}.") from None


def _unknown_key(source: str, table: str, key: str) -> ConfigError:
    allowed = [k for k in MCP_KEYS if table == "mcp" or k != "servers"]
    close = difflib.get_close_matches(key, allowed, n=1)
    guess = f" Did you mean {close[0]!r}?" if close else ""
    return ConfigError(
        f"{source}: unknown key {key!r} in [{table}].{guess}",
        hint=f"Valid keys: {', '.join(allowed)}.",
    )


def _config(raw: Mapping[str, Any], base: McpConfig, name: str, source: str, table: str) -> McpConfig:
    changes: Dict[str, Any] = {"name": name}
    for key, value in raw.items():
        if key == "servers" and table == "mcp":
            continue
        if key not in MCP_KEYS or key == "servers":
            raise _unknown_key(source, table, key)
        if key == "models":
            changes[key] = tuple(_model_ref(v, source, table) for v in _list_of_str(value, source, table, key))
        elif key == "workflows":
            changes[key] = tuple(_workflow(v, source, table) for v in _list_of_str(value, source, table, key))
        elif key == "chat":
            if not isinstance(value, bool):
                raise ConfigError(f"{_where(source, table, key)} must be true or false, not {value!r}.")
            changes[key] = value
        elif key == "chat_models":
            changes[key] = _list_of_str(value, source, table, key)
        elif key == "chat_max_tokens":
            changes[key] = _int(value, source, table, key, 1, 100_000)
        elif key == "confirm":
            changes[key] = _list_of_str(value, source, table, key)
        elif key == "approval_timeout":
            changes[key] = float(_int(value, source, table, key, 1, MAX_APPROVAL_TIMEOUT))
        elif key == "inference_mode":
            changes[key] = _choice(value, INFERENCE_MODES, source, table, key, upper=True)
        elif key == "settlement":
            changes[key] = _choice(value, SETTLEMENTS, source, table, key)
        elif key == "max_gas_fee":
            changes["max_gas_fee_wei"] = _native_amount(value, source, table, key)
    config = dataclasses.replace(base, **changes)
    names = [m.name for m in config.models]
    checked = config.confirm if table == "mcp" or "confirm" in raw else ()  # inherited: checked in [mcp]
    for item in checked:
        if item not in CONFIRM_GROUPS and item not in names:
            choices = [*CONFIRM_GROUPS, *names]
            close = difflib.get_close_matches(item, choices, n=1)
            guess = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{_where(source, table, 'confirm')}: {item!r} is neither 'models', 'chat' nor an exposed model.{guess}",
                hint=f"Valid here: {', '.join(choices)}.",
            )
    return config


def parse_mcp(raw: Any, source: str = "config.toml") -> McpSettings:
    """Check and read an ``[mcp]`` table (the parsed TOML); ConfigError on any problem."""
    if raw is None or raw == {}:
        return McpSettings()
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: mcp must be a table ([mcp]).")
    default = _config(raw, McpConfig(), "default", source, "mcp")
    servers_raw = raw.get("servers", {})
    if not isinstance(servers_raw, Mapping):
        raise ConfigError(f"{source}: mcp.servers must hold [mcp.servers.NAME] tables.")
    servers: Dict[str, McpConfig] = {}
    for name, table in servers_raw.items():
        if not _SERVER_NAME.match(str(name)) or name == "default":
            raise ConfigError(
                f"{source}: {name!r} cannot name an MCP server (letters, digits, - and _; not 'default')."
            )
        if not isinstance(table, Mapping):
            raise ConfigError(f"{source}: mcp.servers.{name} must be a table.")
        servers[str(name)] = _config(table, default, str(name), source, f"mcp.servers.{name}")
    return McpSettings(default, servers)
