"""`og-tui hub ...` with --json against a hub over HTTP (and the SDK functions)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hub_helpers import unique

from og_tui.cli import main
from og_tui.core.cid import cid_for_file
from og_tui.devnet.hub.samples import build_samples

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli_env(hub_server, tmp_path, monkeypatch):
    env = {
        "OG_TUI_CONFIG_DIR": str(tmp_path / "cfg"),
        "OG_TUI_DATA_DIR": str(tmp_path / "data"),
        "OG_TUI_KEYRING": "file",
        "OG_TUI_PASSPHRASE": "cli-pass-phrase",
        "OG_TUI_SCRYPT_N": "1024",
        "OG_TUI_PROFILE": "opengradient",
        "OG_TUI_HUB_URL": hub_server.hub_url,
        "OG_TUI_AUTH_URL": hub_server.auth_url,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("OG_TUI_HUB_EMAIL", raising=False)
    monkeypatch.delenv("OG_TUI_HUB_PASSWORD", raising=False)
    return env


def run(*args, ok=True, input=None):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, input=input)
    assert (result.exit_code == 0) == ok, result.output
    if "--json" in args:  # with --json, errors are one JSON object on stderr
        return json.loads(result.stdout if ok else result.stderr)
    return result.output


def test_cli_flow(cli_env, tmp_path, monkeypatch):
    email, password = unique("cli") + "@example.com", "cli-password-9"
    out = run("hub", "signup", "--email", email, "--password-stdin", "--json", input=password + "\n")
    assert out["email"] == email and out["saved"] == "keystore"
    name = unique("cli-model")
    # later commands use the saved sign-in
    assert run("hub", "create-model", name, "-d", "from the cli", "--json") == {"name": name, "initialVersion": "0.01"}
    assert run("hub", "create-version", name, "--major", "-n", "big", "--json")["versionString"] == "1.00"
    model = tmp_path / "m.onnx"
    model.write_bytes(build_samples()[2].data)
    up = run("hub", "upload", str(model), name, "1.00", "--json")
    assert up == {"modelCid": cid_for_file(model), "size": model.stat().st_size}
    files = run("hub", "files", name, "1.00", "--json")
    assert files[0]["ipfsCid"] == up["modelCid"] and len(files[0]["signature"]["inputs"]) == 2
    mine = run("hub", "models", "--mine", "--json")
    assert [m["name"] for m in mine["models"]] == [name]
    got = run("hub", "download", up["modelCid"], str(tmp_path / "back.onnx"), "--json")
    assert cid_for_file(got["path"]) == up["modelCid"]
    assert run("hub", "show", name, "--json")["versions"][1]["files"][0]["name"] == "m.onnx"
    text = run("hub", "files", name, "1.00")
    assert "in  a: float32 [1, 4]" in text
    # errors: one JSON line, non-zero exit, no password or token anywhere
    err = run("hub", "upload", str(model), "linear-regression", "0.01", "--json", ok=False)
    assert "belongs to samples" in err["error"]
    err = run("hub", "login", "--email", email, "--password-stdin", "--json", ok=False, input="wrong-password\n")
    assert "Wrong email or password" in err["error"]
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes()
    # env credentials
    monkeypatch.setenv("OG_TUI_HUB_EMAIL", email)
    monkeypatch.setenv("OG_TUI_HUB_PASSWORD", password)
    out = run("hub", "login", "--no-save", "--json")
    assert out["email"] == email and out["saved"] is None
    assert password not in json.dumps(out)


def test_cli_without_credentials_fails_clearly(cli_env):
    err = run("hub", "create-model", unique("nocreds"), "--json", ok=False)
    assert "No Model Hub account" in err["error"] and "hub login" in err["hint"]


def test_sdk_functions(hub_server, tmp_path, monkeypatch):
    import og_tui.sdk as og
    from og_tui.sdk import _state

    with pytest.raises(RuntimeError, match="not initialized"):
        og.list_files("x", "0.01")
    email = unique("sdk") + "@example.com"
    hub_server.client().sign_up(email, "sdk-password")
    monkeypatch.setenv("OG_TUI_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("OG_TUI_HUB_URL", hub_server.hub_url)
    monkeypatch.setenv("OG_TUI_AUTH_URL", hub_server.auth_url)
    try:
        og.init(email, "sdk-password", None, profile="opengradient")
        model = tmp_path / "s.onnx"
        model.write_bytes(build_samples()[1].data)
        name = unique("sdk-model")
        repo = og.create_model(name, "via sdk", str(model))
        assert isinstance(repo, og.ModelRepository) and repo.initialVersion == "0.01"
        assert og.create_version(name, "notes", False)["versionString"] == "0.02"
        res = og.upload(str(model), name, "0.02")
        assert isinstance(res, og.FileUploadResult) and res.modelCid == cid_for_file(model)
        files = og.list_files(name, "0.01")
        assert files[0]["ipfsCid"] == res.modelCid
        assert og.login(email, "sdk-password")["email"] == email
    finally:
        _state.set_client(None)
