"""``og-tui config path|show|validate``: where the settings live, what is in force, and
whether the file is valid (keymap ids included), without starting anything."""

from __future__ import annotations

from typing import Any

import click

from og_tui.cli._common import EXIT_INPUT, emit, fail, handle_errors, json_option


def _load(ctx: click.Context) -> Any:
    from og_tui.cli._common import settings_of

    return settings_of(ctx)


@click.group("config")
def config() -> None:
    """Settings: the file's path, the values in force and where each came from."""


@config.command("path")
@json_option
@click.pass_context
def path_cmd(ctx: click.Context, as_json: bool) -> None:
    """Print the path of config.toml (whether or not it exists yet)."""
    from og_tui.core.config import CONFIG_FILENAME, default_config_dir, default_data_dir

    cfg = default_config_dir() / CONFIG_FILENAME
    emit(as_json, {"config": str(cfg), "exists": cfg.exists(), "data_dir": str(default_data_dir())}, str(cfg))


@config.command("show")
@json_option
@click.pass_context
@handle_errors
def show_cmd(ctx: click.Context, as_json: bool) -> None:
    """The settings in force, each with its source (default, file or environment)."""
    settings = _load(ctx)
    values = {
        "profile": settings.profile_name,
        "theme": settings.theme,
        "devnet_autostart": settings.devnet_autostart,
        "llm_cap_per_request": settings.llm_cap_per_request or "off",
        "llm_cap_per_run": settings.llm_cap_per_run or "off",
        "keymap": dict(settings.keymap),
    }
    rows = {key: {"value": value, "source": settings.sources.get(key, "default")} for key, value in values.items()}
    profile = settings.profile.to_dict()
    if profile.get("firebase_api_key"):
        profile["firebase_api_key"] = "***"
    data = {
        "config": str(settings.config_path),
        "settings": rows,
        "active_profile": profile,
        "profiles": settings.profile_names,
        "warnings": list(settings.warnings),
    }
    if as_json:
        emit(True, data)
        return
    width = max(len(k) for k in rows)
    lines = [f"# {settings.config_path}"]
    for key, row in rows.items():
        value = row["value"]
        shown = ", ".join(f"{k} = {v}" for k, v in value.items()) or "(none)" if isinstance(value, dict) else value
        lines.append(f"{key:<{width}}  {shown}    [{row['source']}]")
    lines.append(f"\n[profile {settings.profile_name}]")
    lines += [f"{k} = {v}" for k, v in profile.items() if v is not None and k != "name"]
    lines += [f"warning: {w}" for w in settings.warnings]
    emit(False, None, "\n".join(lines))


@config.command("validate")
@json_option
@click.pass_context
@handle_errors
def validate_cmd(ctx: click.Context, as_json: bool) -> None:
    """Check config.toml and the OG_TUI_* environment: exit 0 when valid, 2 with every
    problem named otherwise (unknown keys, bad values, keymap ids the app does not have)."""
    settings = _load(ctx)  # a ConfigError exits 2 through handle_errors
    problems = list(settings.warnings)
    if settings.keymap:
        from og_tui.tui.keymap import unknown_keymap_ids

        problems += unknown_keymap_ids(settings.keymap)
    if problems:
        fail(as_json, "; ".join(problems), hint=f"Fix {settings.config_path}.", code=EXIT_INPUT)
    emit(as_json, {"config": str(settings.config_path), "valid": True}, f"{settings.config_path}: valid.")
