"""`og-tui config path|show|validate` and settings errors in the CLI (exit 2, JSON on stderr)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from og_tui.cli import main


def _run(tmp_path, *args, text=None, env=None):
    cfg = tmp_path / "cfg"
    cfg.mkdir(exist_ok=True)
    if text is not None:
        (cfg / "config.toml").write_text(text)
    full = {
        "OG_TUI_CONFIG_DIR": str(cfg),
        "OG_TUI_DATA_DIR": str(tmp_path / "data"),
        "OG_TUI_PROFILE": None,
        "OG_TUI_THEME": None,
        **(env or {}),
    }
    return CliRunner().invoke(main, list(args), env=full, catch_exceptions=False)


def test_path_show_validate(tmp_path):
    r = _run(tmp_path, "config", "path")
    assert r.exit_code == 0 and r.stdout.strip() == str(tmp_path / "cfg" / "config.toml")
    r = _run(
        tmp_path, "config", "show", "--json", text='llm_cap_per_request = "0.01"\n', env={"OG_TUI_LLM_CAP_PER_RUN": "2"}
    )
    data = json.loads(r.stdout)
    assert data["settings"]["llm_cap_per_request"] == {
        "value": "0.01",
        "source": f"file ({tmp_path / 'cfg' / 'config.toml'})",
    }
    assert data["settings"]["llm_cap_per_run"] == {"value": "2", "source": "environment (OG_TUI_LLM_CAP_PER_RUN)"}
    assert data["settings"]["theme"]["source"] == "default"
    r = _run(tmp_path, "config", "validate", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["valid"] is True


def test_typo_fails_every_command_with_exit_2(tmp_path):
    text = 'llm_cap_per_requests = "0.01"\n'
    for args in (("config", "validate", "--json"), ("chat", "hi", "--json"), ("account", "list", "--json")):
        r = _run(tmp_path, *args, text=text)
        assert r.exit_code == 2, (args, r.output)
        err = json.loads(r.stderr)
        assert "llm_cap_per_requests" in err["error"] and "config.toml" in err["error"]


def test_validate_names_unknown_keymap_ids(tmp_path):
    r = _run(tmp_path, "config", "validate", "--json", text='[keymap]\n"acount.fund" = "ctrl+f"\n')
    assert r.exit_code == 2
    assert "'acount.fund'" in json.loads(r.stderr)["error"]
