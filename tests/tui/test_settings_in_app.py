"""Settings in the app: the chosen theme is kept for the next start, unknown keymap ids
and skipped profiles are shown instead of being ignored without a word."""

from __future__ import annotations

from pathlib import Path

from og_tui.core.config import load_settings
from og_tui.tui.app import make_app

from .helpers import settings_for, wait_until


def _offline_app(settings):
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    app.toasts = []
    notify = app.notify

    def recording_notify(message, *args, **kwargs):
        app.toasts.append(str(message))
        return notify(message, *args, **kwargs)

    app.notify = recording_notify
    return app


def _toasts(app) -> list[str]:
    return app.toasts


async def test_theme_chosen_in_the_app_is_saved(app_env):
    app = _offline_app(settings_for(app_env))
    config = Path(app_env["OG_TUI_CONFIG_DIR"]) / "config.toml"
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = "nord"
        await wait_until(pilot, lambda: config.exists() and 'theme = "nord"' in config.read_text())
    assert load_settings(env=app_env).theme == "nord"


async def test_unknown_keymap_id_and_skipped_profile_are_shown(app_env):
    config = Path(app_env["OG_TUI_CONFIG_DIR"])
    config.mkdir(parents=True)
    (config / "config.toml").write_text('[keymap]\n"acount.fund" = "ctrl+f"\n\n[profiles.half]\nx402_network = ""\n')
    settings = settings_for(app_env)
    assert settings.warnings  # the incomplete profile
    app = _offline_app(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: any("'acount.fund'" in t for t in _toasts(app)))
        assert any("'half'" in t for t in _toasts(app))
