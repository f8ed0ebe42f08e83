"""Profiles, settings, env overrides, TOML errors, comment-preserving writes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from og_tui.core import constants as C
from og_tui.core.config import Settings, load_settings
from og_tui.core.errors import ConfigError


@pytest.fixture
def dirs(tmp_path):
    cfg, data = tmp_path / "cfg", tmp_path / "data"
    return cfg, data


def load(dirs, text=None, env=None, profile=None) -> Settings:
    cfg, data = dirs
    if text is not None:
        cfg.mkdir(parents=True, exist_ok=True)
        (cfg / "config.toml").write_text(text)
    return load_settings(profile=profile, env=env or {}, config_dir=cfg, data_dir=data)


def test_defaults(dirs):
    s = load(dirs)
    assert s.profile_name == "local"
    assert s.theme == "textual-dark"
    assert s.devnet_autostart is True
    assert set(s.profiles) == {"local", "opengradient"}
    p = s.profile
    base = f"http://{C.DEVNET_HOST}:{C.DEVNET_PORT}"
    assert (p.kind, p.rpc_url, p.hub_url, p.auth_url, p.llm_url, p.api_url) == (
        "devnet",
        base + "/rpc",
        base + "/api/v0",
        base + "/auth",
        base,
        base,
    )
    assert p.chain_id == 107401 and p.x402_network == "og-devnet"
    assert p.explorer_url is None and p.base_url == base
    assert p.inference_contract == C.INFERENCE_HUB_ADDRESS and p.payment_token == C.OUSDC_ADDRESS
    assert p.payment_token_decimals == 6 and p.payment_token_version == "2"
    og = s.profiles["opengradient"]
    assert og.kind == "remote" and og.rpc_url == C.OG_RPC_URL and og.chain_id == C.OG_CHAIN_ID
    assert og.x402_network == "og-evm" and og.hub_url == C.OG_HUB_URL
    assert og.explorer_tx_url("ab") == "https://explorer.opengradient.ai/tx/0xab"
    assert og.faucet_link("0x1") == C.OG_FAUCET_URL + "0x1"
    # nothing was created on disk
    assert not dirs[0].exists() and not dirs[1].exists()


def test_profile_precedence(dirs):
    text = 'profile = "opengradient"\n'
    assert load(dirs, text).profile_name == "opengradient"
    assert load(dirs, text, env={"OG_TUI_PROFILE": "local"}).profile_name == "local"
    assert load(dirs, text, env={"OG_TUI_PROFILE": "local"}, profile="opengradient").profile_name == "opengradient"


def test_unknown_profile_lists_available(dirs):
    with pytest.raises(ConfigError) as exc:
        load(dirs, profile="nope")
    assert "nope" in str(exc.value) and "local" in str(exc.value) and "opengradient" in str(exc.value)


def test_malformed_toml_reports_path_and_line(dirs):
    with pytest.raises(ConfigError) as exc:
        load(dirs, 'theme = "x"\nprofile = \n')
    msg = str(exc.value)
    assert "config.toml" in msg and "line 2" in msg


def test_env_overrides_active_profile(dirs):
    s = load(dirs, env={"OG_TUI_RPC_URL": "http://10.0.0.1:1/rpc", "OG_TUI_HUB_URL": "http://h/api/v0"})
    assert s.profile.rpc_url == "http://10.0.0.1:1/rpc"
    assert s.profile.hub_url == "http://h/api/v0"
    assert s.profile.llm_url == "http://127.0.0.1:8745"
    assert s.profiles["opengradient"].rpc_url == C.OG_RPC_URL  # only the active one


def test_devnet_port_moves_local_urls(dirs):
    s = load(dirs, env={"OG_TUI_DEVNET_PORT": "9123"})
    p = s.profile
    assert p.devnet_port == 9123
    assert p.rpc_url == "http://127.0.0.1:9123/rpc" and p.hub_url == "http://127.0.0.1:9123/api/v0"
    assert p.faucet_url == "http://127.0.0.1:9123/faucet"
    s = load(dirs, "[profiles.local]\ndevnet_port = 9200\n")
    assert s.profile.llm_url == "http://127.0.0.1:9200"
    with pytest.raises(ConfigError):
        load(dirs, env={"OG_TUI_DEVNET_PORT": "abc"})
    with pytest.raises(ConfigError):
        load(dirs, env={"OG_TUI_DEVNET_PORT": "70000"})


def test_user_profiles(dirs):
    text = """
# my settings
profile = "lan"
theme = "nord"
devnet_autostart = false
llm_cap_per_request = "0.25"

[keymap]
quit = "ctrl+q"

[profiles.lan]
extends = "local"
devnet_host = "192.168.1.5"
devnet_port = 9000

[profiles.staging]
rpc_url = "https://rpc.example"
chain_id = 5

[profiles.opengradient]
llm_url = "https://llm.opengradient.ai"
firebase_api_key = "AIzaTEST"

[profiles.lan2]
extends = "lan"
hub_url = "http://elsewhere/api/v0"
"""
    s = load(dirs, text)
    assert s.profile_name == "lan" and s.theme == "nord" and s.devnet_autostart is False
    assert s.keymap == {"quit": "ctrl+q"} and s.llm_cap_per_request == "0.25" and s.llm_cap_per_run == "5"
    lan = s.profiles["lan"]
    assert lan.kind == "devnet" and lan.rpc_url == "http://192.168.1.5:9000/rpc"
    staging = s.profiles["staging"]
    assert staging.kind == "remote" and staging.rpc_url == "https://rpc.example" and staging.chain_id == 5
    assert staging.hub_url == C.OG_HUB_URL  # inherited from opengradient
    og = s.profiles["opengradient"]
    assert og.llm_url == "https://llm.opengradient.ai" and og.rpc_url == C.OG_RPC_URL
    assert "AIzaTEST" not in repr(og)
    lan2 = s.profiles["lan2"]
    assert lan2.hub_url == "http://elsewhere/api/v0" and lan2.rpc_url == "http://192.168.1.5:9000/rpc"


@pytest.mark.parametrize(
    "text,needle",
    [
        ("[profiles.x]\nrpc_ur = 'http://a'\n", "unknown field 'rpc_ur'"),
        ("[profiles.x]\nchain_id = 'abc'\n", "integer"),
        ("[profiles.x]\nkind = 'weird'\n", "kind"),
        ("[profiles.x]\nrpc_url = 'ftp://a'\n", "http"),
        ("[profiles.a]\nextends = 'b'\n[profiles.b]\nextends = 'a'\n", "loop"),
        ("[profiles.a]\nextends = 'zzz'\n", "zzz"),
        ("devnet_autostart = 'maybe'\n", "devnet_autostart"),
        ("llm_cap_per_run = '-1'\n", "llm_cap_per_run"),
    ],
)
def test_bad_profiles(dirs, text, needle):
    with pytest.raises(ConfigError) as exc:
        load(dirs, text)
    assert needle in str(exc.value)


def test_env_dirs_and_settings(tmp_path):
    env = {
        "OG_TUI_CONFIG_DIR": str(tmp_path / "c"),
        "OG_TUI_DATA_DIR": str(tmp_path / "d"),
        "OG_TUI_THEME": "gruvbox",
        "OG_TUI_DEVNET_AUTOSTART": "0",
        "OG_TUI_LLM_CAP_PER_RUN": "off",
    }
    s = load_settings(env=env)
    assert s.config_dir == tmp_path / "c" and s.data_dir == tmp_path / "d"
    assert s.config_path == tmp_path / "c" / "config.toml"
    assert s.theme == "gruvbox" and s.devnet_autostart is False and s.llm_cap_per_run is None
    s.ensure_dirs()
    assert s.config_dir.is_dir() and s.data_dir.is_dir()


def test_save_profile_choice_preserves_comments(dirs):
    text = '# top comment\ntheme = "nord"  # inline\n\n[profiles.x]\n# inside\nchain_id = 7\n'
    s = load(dirs, text)
    s.save_profile_choice("x")
    out = (dirs[0] / "config.toml").read_text()
    assert "# top comment" in out and "# inline" in out and "# inside" in out
    assert load(dirs).profile_name == "x"
    s.save_profile_choice("opengradient")
    out2 = (dirs[0] / "config.toml").read_text()
    assert out2.count("profile =") == 1 and load(dirs).profile_name == "opengradient"
    with pytest.raises(ConfigError):
        s.save_profile_choice("missing")


def test_save_profile_choice_creates_file(dirs):
    s = load(dirs)
    s.save_profile_choice("opengradient")
    assert load(dirs).profile_name == "opengradient"


def test_no_side_effects_at_import(tmp_path):
    code = (
        "import os, og_tui.core.config, og_tui.core.store, og_tui.core.secrets\n"
        "assert os.listdir(os.environ['HOME']) == [], os.listdir(os.environ['HOME'])\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local"),
        "PATH": "/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
