"""User settings: reading config.toml and the environment into :class:`Settings`, and saving choices.

What a profile is, the built-in ones and how ``[profiles.NAME]`` tables resolve live in
:mod:`og_tui.core.profiles`; this module reads and checks the top-level keys
(:data:`SETTINGS_SCHEMA`), picks the active profile and writes the few settings the app saves.

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

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from . import constants as C
from .errors import ConfigError
from .profiles import (
    DEVNET_DERIVED,
    FIELD_TYPES,
    Profile,
    build_profile,
    coerce_field,
    resolve_profiles,
    unknown_profile,
)

__all__ = [
    "APP_NAME",
    "ENV_PREFIX",
    "CONFIG_FILENAME",
    "DEFAULT_PROFILE",
    "DEFAULT_THEME",
    "SETTINGS_SCHEMA",
    "SettingSpec",
    "Settings",
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


@dataclass(frozen=True)
class SettingSpec:
    """One top-level key of config.toml: what it holds and its default."""

    key: str
    allowed: str  # what a valid value looks like, for error messages and `og-tui config show`
    default: Any
    env: Optional[str] = None  # the OG_TUI_* variable that overrides it, if any


# The one place that says which top-level keys config.toml may hold. Values are checked by
# load_settings (``_read_*`` helpers below); profile tables by ``profiles.coerce_field`` per field.
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
            raise unknown_profile(name, self.profiles)
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

    specs = resolve_profiles(raw.get("profiles", {}), source)

    name = profile or env.get(ENV_PREFIX + "PROFILE") or raw.get("profile") or DEFAULT_PROFILE
    if not isinstance(name, str):
        raise ConfigError(f"{source}: profile must be a profile name.")
    if name not in specs:
        raise unknown_profile(name, specs)

    # Environment overrides for the active profile's fields.
    active = dict(specs[name])
    explicit = set(active.get("_explicit", ()))
    for fname in FIELD_TYPES:
        if fname in ("name", "kind"):
            continue
        env_key = ENV_PREFIX + fname.upper()
        if env_key in env:
            active[fname] = coerce_field(name, fname, env[env_key], env_key)
            if fname in DEVNET_DERIVED:
                explicit.add(fname)
    active["_explicit"] = explicit
    specs[name] = active

    profiles: Dict[str, Profile] = {}
    for pname, spec in specs.items():
        try:
            profiles[pname] = build_profile(pname, spec)
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
