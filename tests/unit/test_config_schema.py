"""config.toml as a declared schema: unknown keys and bad values name the file, the key
and what is allowed; sources are recorded; the theme is saved like the profile choice."""

from __future__ import annotations

import stat

import pytest

from og_tui.core.config import SETTINGS_SCHEMA, load_settings
from og_tui.core.errors import ConfigError


def _load(tmp_path, text: str, env: dict | None = None):
    cfg = tmp_path / "cfg"
    cfg.mkdir(exist_ok=True)
    (cfg / "config.toml").write_text(text)
    return load_settings(env=env or {}, config_dir=cfg, data_dir=tmp_path / "data")


def test_a_typo_in_a_money_setting_is_an_error_not_the_default(tmp_path):
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, 'llm_cap_per_requests = "0.01"\n')
    err = info.value
    assert str(tmp_path / "cfg" / "config.toml") in str(err)
    assert "'llm_cap_per_requests'" in str(err) and "Did you mean 'llm_cap_per_request'?" in str(err)
    assert all(key in err.hint for key in SETTINGS_SCHEMA)


@pytest.mark.parametrize(
    "text, needle",
    [
        ('llm_cap_per_request = "lots"\n', "llm_cap_per_request"),
        ("llm_cap_per_run = true\n", "llm_cap_per_run"),
        ('devnet_autostart = "maybe"\n', "devnet_autostart"),
        ("theme = 3\n", "theme"),
        ('[keymap]\n"app.quit" = 5\n', "[keymap]"),
    ],
)
def test_bad_values_name_the_key(tmp_path, text, needle):
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text)
    assert needle in str(info.value) and "config.toml" in str(info.value)


def test_sources_say_where_each_value_came_from(tmp_path):
    s = _load(tmp_path, 'llm_cap_per_request = "0.01"\n', env={"OG_TUI_THEME": "nord"})
    assert s.llm_cap_per_request == "0.01"
    assert s.sources["llm_cap_per_request"].startswith("file (")
    assert s.sources["theme"] == "environment (OG_TUI_THEME)"
    assert s.sources["llm_cap_per_run"] == "default"


def test_save_theme_keeps_the_rest_of_the_file_and_is_private(tmp_path):
    s = _load(tmp_path, '# mine\nprofile = "local"\n\n[keymap]\n"app.quit" = "ctrl+x"\n')
    s.save_theme("nord")
    path = tmp_path / "cfg" / "config.toml"
    text = path.read_text()
    assert "# mine" in text and 'theme = "nord"' in text and '"app.quit" = "ctrl+x"' in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_settings(env={}, config_dir=tmp_path / "cfg", data_dir=tmp_path / "data")
    assert again.theme == "nord" and again.keymap == {"app.quit": "ctrl+x"}


def test_keymap_ids_are_checked_against_the_app():
    from og_tui.tui.keymap import known_binding_ids, unknown_keymap_ids

    known = known_binding_ids()
    assert {"app.quit", "account.fund", "hub.download"} <= known
    problems = unknown_keymap_ids({"acount.fund": "ctrl+f", "app.quit": "ctrl+x"}, known)
    assert len(problems) == 1 and "'acount.fund'" in problems[0] and "'account.fund'" in problems[0]
