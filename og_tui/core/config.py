"""Profiles (endpoints per network) and user settings.

Sources, lowest to highest precedence:

1. built-in profiles ``local`` (the embedded devnet) and ``opengradient`` (public network);
2. ``config.toml`` in the platform config dir (``OG_TUI_CONFIG_DIR`` overrides the dir):
   top-level keys ``profile``, ``theme``, ``devnet_autostart``, ``llm_cap_per_request``,
   ``llm_cap_per_run``, a ``[keymap]`` table and ``[profiles.NAME]`` tables. A profile
   table with a built-in's name overrides its fields; another name defines a new
   profile that ``extends`` a base (default ``opengradient``, or ``local`` when
   ``kind = "devnet"``);
3. environment variables ``OG_TUI_*`` (``OG_TUI_PROFILE``, ``OG_TUI_THEME``,
   ``OG_TUI_DATA_DIR`` ...; every profile field as ``OG_TUI_<FIELD>`` for the active profile,
   e.g. ``OG_TUI_RPC_URL``, ``OG_TUI_DEVNET_PORT``);
4. explicit arguments to :func:`load_settings`.

Devnet profiles derive every URL that was not set explicitly from ``devnet_host`` and
``devnet_port``, so changing the port moves all of them. Nothing here touches the disk
at import time; reading happens in :func:`load_settings`, writing only in
:meth:`Settings.save_profile_choice` / :meth:`Settings.ensure_dirs`.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from . import constants as C
from .errors import ConfigError

__all__ = [
    "APP_NAME",
    "ENV_PREFIX",
    "CONFIG_FILENAME",
    "DEFAULT_PROFILE",
    "DEFAULT_THEME",
    "Profile",
    "SETTINGS_SCHEMA",
    "SettingSpec",
    "Settings",
    "builtin_profiles",
    "devnet_urls",
    "default_config_dir",
    "default_data_dir",
    "load_settings",
]

APP_NAME = "og-tui"
ENV_PREFIX = "OG_TUI_"
CONFIG_FILENAME = "config.toml"
DEFAULT_PROFILE = "local"
DEFAULT_THEME = "textual-dark"
DEFAULT_LLM_CAP_PER_REQUEST = "0.5"  # OUSDC
DEFAULT_LLM_CAP_PER_RUN = "5"  # OUSDC, since the app started
DEFAULT_LLM_CAP_OPG_PER_REQUEST = "0.5"  # OPG (x402 v2)
DEFAULT_LLM_CAP_OPG_PER_RUN = "5"  # OPG, since the app started
X402_VERSIONS = ("1", "2", "auto")

PROFILE_KINDS = ("devnet", "remote")


@dataclass(frozen=True)
class SettingSpec:
    """One top-level key of config.toml: what it holds and its default."""

    key: str
    allowed: str  # what a valid value looks like, for error messages and `og-tui config show`
    default: Any
    env: Optional[str] = None  # the OG_TUI_* variable that overrides it, if any


# The one place that says which top-level keys config.toml may hold. Values are checked by
# load_settings (``_read_*`` helpers below); profile tables by ``_coerce`` per field.
SETTINGS_SCHEMA: Dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec(
            "profile", "the name of a profile (built-in: local, opengradient)", DEFAULT_PROFILE, "OG_TUI_PROFILE"
        ),
        SettingSpec("theme", 'a Textual theme name, e.g. "textual-dark"', DEFAULT_THEME, "OG_TUI_THEME"),
        SettingSpec("devnet_autostart", "true or false", True, "OG_TUI_DEVNET_AUTOSTART"),
        SettingSpec(
            "llm_cap_per_request",
            'an OUSDC amount such as "0.5", or "off"',
            DEFAULT_LLM_CAP_PER_REQUEST,
            "OG_TUI_LLM_CAP_PER_REQUEST",
        ),
        SettingSpec(
            "llm_cap_per_run",
            'an OUSDC amount such as "5", or "off"',
            DEFAULT_LLM_CAP_PER_RUN,
            "OG_TUI_LLM_CAP_PER_RUN",
        ),
        SettingSpec(
            "llm_cap_opg_per_request",
            'an OPG amount such as "0.5", or "off" (x402 v2 payments)',
            DEFAULT_LLM_CAP_OPG_PER_REQUEST,
            "OG_TUI_LLM_CAP_OPG_PER_REQUEST",
        ),
        SettingSpec(
            "llm_cap_opg_per_run",
            'an OPG amount such as "5", or "off" (x402 v2 payments)',
            DEFAULT_LLM_CAP_OPG_PER_RUN,
            "OG_TUI_LLM_CAP_OPG_PER_RUN",
        ),
        SettingSpec("keymap", 'a [keymap] table of binding id = "key"', {}),
        SettingSpec("mcp", "an [mcp] table: what og-tui mcp exposes (see the README)", {}),
        SettingSpec("profiles", "[profiles.NAME] tables", {}),
    )
}


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


_FIELD_TYPES: Dict[str, type] = {
    f.name: (int if f.name in ("chain_id", "payment_token_decimals", "devnet_port", "x402_v2_chain_id") else str)
    for f in dataclasses.fields(Profile)
}
_URL_FIELDS = ("rpc_url", "api_url", "hub_url", "auth_url", "llm_url")
_DEVNET_DERIVED = _URL_FIELDS + ("faucet_url",)
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


def _builtin_specs() -> Dict[str, Dict[str, Any]]:
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


def _build_profile(name: str, spec: Mapping[str, Any]) -> Profile:
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
    return {name: _build_profile(name, spec) for name, spec in _builtin_specs().items()}


def _coerce(profile: str, key: str, value: Any, source: str) -> Any:
    if key not in _FIELD_TYPES or key == "name":
        valid = ", ".join(sorted(k for k in _FIELD_TYPES if k != "name"))
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
    typ = _FIELD_TYPES[key]
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
    if key in _URL_FIELDS or key in ("explorer_url",):
        if not value.startswith(("http://", "https://")):
            raise ConfigError(
                f"{source}: {key} of profile {profile!r} must start with http:// or https://, not {value!r}."
            )
    if key == "kind" and value not in PROFILE_KINDS:
        raise ConfigError(
            f"{source}: kind of profile {profile!r} must be one of {', '.join(PROFILE_KINDS)}, not {value!r}."
        )
    return value


def _env_bool(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}.")


def default_config_dir(env: Optional[Mapping[str, str]] = None) -> Path:
    env = os.environ if env is None else env
    if env.get(ENV_PREFIX + "CONFIG_DIR"):
        return Path(env[ENV_PREFIX + "CONFIG_DIR"]).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


def default_data_dir(env: Optional[Mapping[str, str]] = None) -> Path:
    env = os.environ if env is None else env
    if env.get(ENV_PREFIX + "DATA_DIR"):
        return Path(env[ENV_PREFIX + "DATA_DIR"]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


@dataclass
class Settings:
    """Everything the app reads at start: active profile, profiles, UI prefs, paths."""

    profile_name: str
    profiles: Dict[str, Profile]
    config_dir: Path
    data_dir: Path
    theme: str = DEFAULT_THEME
    llm_cap_per_request: Optional[str] = DEFAULT_LLM_CAP_PER_REQUEST
    llm_cap_per_run: Optional[str] = DEFAULT_LLM_CAP_PER_RUN
    llm_cap_opg_per_request: Optional[str] = DEFAULT_LLM_CAP_OPG_PER_REQUEST
    llm_cap_opg_per_run: Optional[str] = DEFAULT_LLM_CAP_OPG_PER_RUN
    keymap: Dict[str, str] = field(default_factory=dict)
    devnet_autostart: bool = True
    mcp: Any = None  # og_tui.core.mcp_config.McpSettings (None: no [mcp] table, the defaults)
    warnings: List[str] = field(default_factory=list)
    # where each top-level setting came from: "default", "file (PATH)", "environment (VAR)"
    sources: Dict[str, str] = field(default_factory=dict)

    @property
    def profile(self) -> Profile:
        return self.profiles[self.profile_name]

    @property
    def config_path(self) -> Path:
        return self.config_dir / CONFIG_FILENAME

    @property
    def db_path(self) -> Path:
        return self.data_dir / "og-tui.db"

    @property
    def profile_names(self) -> List[str]:
        return list(self.profiles)

    def ensure_dirs(self) -> None:
        """Create the config and data dirs with mode 0700 (tightening older ones), and make
        og-tui's files directly in them (config.toml, history database and its journals,
        wallet index, workflow list, devnet log) 0600 if an older version left them
        readable by others."""
        from og_tui.core.fsperm import private_dir, tighten_app_files

        for d in (self.config_dir, self.data_dir):
            tighten_app_files(private_dir(d))

    def save_profile_choice(self, name: str) -> None:
        """Make ``name`` the active profile and persist it as ``profile = ...`` in config.toml.

        The rest of the file (comments, order, other tables) is kept as written.
        """
        if name not in self.profiles:
            raise _unknown_profile(name, self.profiles)
        self._save_top_level("profile", name)
        self.profile_name = name

    def save_theme(self, theme: str) -> None:
        """Persist the theme chosen in the app as ``theme = ...`` (the rest of the file kept)."""
        if not isinstance(theme, str) or not theme:
            raise ConfigError("A theme is a non-empty name.")
        if self.theme == theme and self.sources.get("theme", "").startswith("file"):
            return
        self._save_top_level("theme", theme)
        self.theme = theme
        self.sources["theme"] = f"file ({self.config_path})"

    def _save_top_level(self, key: str, value: Any) -> None:
        import tomlkit

        path = self.config_path
        if path.exists():
            try:
                doc = tomlkit.parse(path.read_text(encoding="utf-8"))
            except Exception as exc:  # tomlkit.exceptions.ParseError
                raise ConfigError(f"{path}: malformed TOML: {exc}") from None
        else:
            doc = tomlkit.document()
            doc.add(tomlkit.comment("og-tui settings; see the README for every key."))
        # tomlkit places a new top-level key before the first table and keeps comments.
        doc[key] = value
        from og_tui.core.fsperm import write_private

        write_private(path, tomlkit.dumps(doc))


def _unknown_profile(name: str, profiles: Mapping[str, Any]) -> ConfigError:
    return ConfigError(
        f"Unknown profile {name!r}. Available profiles: {', '.join(sorted(profiles))}.",
        hint="Pick one of them, or define [profiles." + name + "] in config.toml.",
    )


def _read_toml(path: Path) -> Dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    import tomllib  # only when there is a file: start-up without one skips the import

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: malformed TOML: {exc}.",
            hint="Fix the line shown, or move the file away to start from defaults.",
        ) from None


def _resolve_profiles(file_profiles: Mapping[str, Any], source: str) -> Dict[str, Dict[str, Any]]:
    specs: Dict[str, Dict[str, Any]] = {n: dict(s) for n, s in _builtin_specs().items()}
    for s in specs.values():
        s["_explicit"] = set(k for k in s if k in _URL_FIELDS)
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
            raise _unknown_profile(name, {**specs, **file_profiles})
        overrides = {k: _coerce(name, k, v, source) for k, v in table.items() if k != "extends"}
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
            explicit = set() if overrides["kind"] == "devnet" else set(_URL_FIELDS)
        spec.update(overrides)
        explicit |= {k for k in overrides if k in _DEVNET_DERIVED}
        spec["_explicit"] = explicit
        resolved[name] = spec
        return spec

    names = list(specs) + [n for n in file_profiles if n not in specs]
    for n in names:
        resolve(n, ())
    return resolved


def load_settings(
    profile: Optional[str] = None,
    env: Optional[Mapping[str, str]] = None,
    config_dir: Optional[os.PathLike[str] | str] = None,
    data_dir: Optional[os.PathLike[str] | str] = None,
    *,
    config_path: Optional[os.PathLike[str] | str] = None,
) -> Settings:
    """Read config.toml and the environment; return the resolved :class:`Settings`.

    ``profile`` (explicit) beats ``OG_TUI_PROFILE`` beats the file's ``profile`` key
    beats ``local``. ``env`` defaults to ``os.environ``. ``config_path`` names the file
    directly (its directory becomes the config dir).
    """
    env = os.environ if env is None else env
    if config_path is not None:
        cpath = Path(config_path).expanduser()
        cdir = cpath.parent
    else:
        cdir = Path(config_dir).expanduser() if config_dir is not None else default_config_dir(env)
        cpath = cdir / CONFIG_FILENAME
    ddir = Path(data_dir).expanduser() if data_dir is not None else default_data_dir(env)

    raw = _read_toml(cpath)
    source = str(cpath)
    warnings: List[str] = []
    for key in raw:
        if key not in SETTINGS_SCHEMA:
            raise _unknown_setting(source, key)
    sources: Dict[str, str] = {}
    for key, setting in SETTINGS_SCHEMA.items():
        if setting.env and setting.env in env:
            sources[key] = f"environment ({setting.env})"
        elif key in raw:
            sources[key] = f"file ({source})"
        else:
            sources[key] = "default"

    specs = _resolve_profiles(raw.get("profiles", {}), source)

    name = profile or env.get(ENV_PREFIX + "PROFILE") or raw.get("profile") or DEFAULT_PROFILE
    if not isinstance(name, str):
        raise ConfigError(f"{source}: profile must be a profile name.")
    if name not in specs:
        raise _unknown_profile(name, specs)

    # Environment overrides for the active profile's fields.
    active = dict(specs[name])
    explicit = set(active.get("_explicit", ()))
    for fname in _FIELD_TYPES:
        if fname in ("name", "kind"):
            continue
        env_key = ENV_PREFIX + fname.upper()
        if env_key in env:
            active[fname] = _coerce(name, fname, env[env_key], env_key)
            if fname in _DEVNET_DERIVED:
                explicit.add(fname)
    active["_explicit"] = explicit
    specs[name] = active

    profiles: Dict[str, Profile] = {}
    for pname, spec in specs.items():
        try:
            profiles[pname] = _build_profile(pname, spec)
        except ConfigError:
            if pname == name:
                raise
            warnings.append(f"Profile {pname!r} is incomplete and was skipped.")

    theme = env.get(ENV_PREFIX + "THEME") or raw.get("theme") or DEFAULT_THEME
    if not isinstance(theme, str):
        raise ConfigError(f"{source}: theme must be a string.")

    autostart: Any = raw.get("devnet_autostart", True)
    if ENV_PREFIX + "DEVNET_AUTOSTART" in env:
        autostart = _env_bool(env[ENV_PREFIX + "DEVNET_AUTOSTART"], ENV_PREFIX + "DEVNET_AUTOSTART")
    if not isinstance(autostart, bool):
        raise ConfigError(f"{source}: devnet_autostart must be true or false.")

    caps: Dict[str, Optional[str]] = {}
    for cap, default in (
        ("llm_cap_per_request", DEFAULT_LLM_CAP_PER_REQUEST),
        ("llm_cap_per_run", DEFAULT_LLM_CAP_PER_RUN),
        ("llm_cap_opg_per_request", DEFAULT_LLM_CAP_OPG_PER_REQUEST),
        ("llm_cap_opg_per_run", DEFAULT_LLM_CAP_OPG_PER_RUN),
    ):
        opg = "_opg_" in cap
        decimals, symbol = (C.OPG_DECIMALS, C.OPG_NAME) if opg else (C.OUSDC_DECIMALS, C.OUSDC_NAME)
        value: Any = env.get(ENV_PREFIX + cap.upper(), raw.get(cap, default))
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "off")):
            caps[cap] = None
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ConfigError(f'{source}: {cap} must be an {symbol} amount such as "0.5".')
        if value == default:  # a valid amount: start-up need not import the parser for it
            caps[cap] = default
            continue
        from .amounts import parse_amount
        from .errors import ValidationError

        text = str(value).strip()
        try:
            parse_amount(text, decimals, allow_zero=True, symbol=symbol)
        except ValidationError as exc:
            raise ConfigError(f"{source}: {cap}: {exc}") from None
        caps[cap] = text

    keymap_raw = raw.get("keymap", {})
    if not isinstance(keymap_raw, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in keymap_raw.items()
    ):
        raise ConfigError(f'{source}: [keymap] maps binding ids to keys, e.g. quit = "ctrl+q".')

    mcp_settings = None
    if "mcp" in raw:  # only then: start-up without one skips the import
        from .mcp_config import parse_mcp

        mcp_settings = parse_mcp(raw["mcp"], source)

    return Settings(
        profile_name=name,
        profiles=profiles,
        config_dir=cdir,
        data_dir=ddir,
        theme=theme,
        llm_cap_per_request=caps["llm_cap_per_request"],
        llm_cap_per_run=caps["llm_cap_per_run"],
        llm_cap_opg_per_request=caps["llm_cap_opg_per_request"],
        llm_cap_opg_per_run=caps["llm_cap_opg_per_run"],
        keymap=dict(keymap_raw),
        devnet_autostart=autostart,
        mcp=mcp_settings,
        warnings=warnings,
        sources=sources,
    )


def _unknown_setting(source: str, key: str) -> ConfigError:
    import difflib

    close = difflib.get_close_matches(key, list(SETTINGS_SCHEMA), n=1)
    guess = f" Did you mean {close[0]!r}?" if close else ""
    allowed = ", ".join(SETTINGS_SCHEMA)
    return ConfigError(
        f"{source}: unknown setting {key!r}.{guess}",
        hint=f"Valid top-level settings: {allowed}. Nothing was started with this file; "
        "fix it, or check it with `og-tui config validate`.",
    )
