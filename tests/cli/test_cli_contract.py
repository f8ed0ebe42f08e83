"""The CLI's promises to scripts, end to end against a real devnet.

* every failure exits with the README's code, and with ``--json`` prints exactly one JSON
  object on stderr (``error``, ``exit_code``; usage errors included) and nothing on stdout;
* a command never starts a devnet for a profile other than the built-in ``local`` one;
* downloads never replace a file without ``--force`` and drop path parts and leading dots
  from names chosen by the server;
* passphrases follow one rule, and passwords are never taken as arguments;
* inference outputs keep the model's integer dtypes; transaction hashes carry ``0x``.
"""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from og_tui.cli import main
from og_tui.devnet.hub.samples import build_samples

pytestmark = pytest.mark.e2e

PASSPHRASE = "cli contract passphrase"
LINEAR = "linear-regression"
IRIS = "iris-classifier"
GOOD_LINEAR = '{"input": [[[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]]}'


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cli:
    def __init__(self, tmp: Path, port: int) -> None:
        self.env = {
            "OG_TUI_CONFIG_DIR": str(tmp / "config"),
            "OG_TUI_DATA_DIR": str(tmp / "data"),
            "OG_TUI_DEVNET_PORT": str(port),
            "OG_TUI_KEYRING": "file",
            "OG_TUI_SCRYPT_N": "1024",
            "OG_TUI_PASSPHRASE": PASSPHRASE,
            "OG_TUI_PROFILE": None,
            "OG_TUI_HUB_EMAIL": None,
            "OG_TUI_HUB_PASSWORD": None,
            "OG_TUI_HUB_URL": None,
        }
        self.tmp = tmp

    def run(self, *args: str, profile: str = "local", input: str | None = None, **env: str):
        result = CliRunner().invoke(
            main, ["--profile", profile, *args], env={**self.env, **env}, input=input, catch_exceptions=False
        )
        assert "Traceback" not in result.output, result.output
        return result

    def ok(self, *args: str, **kw):
        result = self.run(*args, **kw)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout) if "--json" in args else result.stdout

    def fails(self, code: int, *args: str, **kw) -> dict:
        """Run with --json; check the exit code and the one JSON error on stderr."""
        result = self.run(*args, "--json", **kw)
        assert result.exit_code == code, (args, result.exit_code, result.output)
        assert result.stdout == "", result.stdout
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        err = json.loads(lines[0])
        assert err["exit_code"] == code and err["error"], err
        return err


@pytest.fixture(scope="module")
def cli(devnet, tmp_path_factory) -> Cli:
    cli = Cli(tmp_path_factory.mktemp("cli-contract"), devnet.port)
    cli.ok("account", "new", "--use", "--json")
    cli.ok("account", "fund", "--json")
    return cli


@pytest.fixture(scope="module")
def cids(cli) -> dict:
    return {name: cli.ok("hub", "files", name, "0.01", "--json")[0]["ipfsCid"] for name in (LINEAR, IRIS)}


def test_exit_code_table(cli, cids, tmp_path):
    linear = cids[LINEAR]
    dead = f"http://127.0.0.1:{_dead_port()}"
    table = [
        # (code, args, extra env)
        (3, ("hub", "models"), {"OG_TUI_PROFILE": "opengradient", "OG_TUI_HUB_URL": f"{dead}/api/v0"}),
        (2, ("infer", "--model", "notacid", "--input", GOOD_LINEAR), {}),
        (2, ("infer", "--model", linear, "--input", '{"input": [[1, 2]]}'), {}),
        (2, ("infer", "--model", linear, "--input", '{"nope": [[[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]]}'), {}),
        (2, ("chat", "--messages", '[{"role": "wizard", "content": "hi"}]'), {}),
        (2, ("account", "use", "no-such-wallet"), {}),
        (2, ("hub", "files", LINEAR, "9.99"), {}),
        (2, ("hub", "download"), {}),  # usage error: missing CID
        (2, ("account", "send", "--to", "0x123", "--amount", "1", "--yes"), {}),
        (
            4,
            (
                "account",
                "send",
                "--to",
                "0x" + "11" * 20,
                "--amount",
                "1",
                "--token",
                "OUSDC",
                "--yes",
                "--from",
                "poor",
            ),
            {},
        ),
    ]
    cli.ok("account", "new", "--name", "poor", "--json")
    for code, args, env in table:
        profile = "opengradient" if env.get("OG_TUI_PROFILE") == "opengradient" else "local"
        cli.fails(code, *args, profile=profile, **env)
    # a wrong passphrase: 5
    cli.fails(5, "account", "export", "--out", str(tmp_path / "x.json"), OG_TUI_PASSPHRASE="not the passphrase")
    # bad input never spends: the wallet's nonce did not move through the failures above
    assert cli.ok("account", "balance", "--json")


def test_usage_errors_are_json_with_json(cli):
    err = cli.fails(2, "hub", "download")
    assert "Missing argument" in err["error"] and "--help" in err["hint"]
    err = cli.fails(2, "infer", "--mode", "FAST", "--model", "x")
    assert "FAST" in err["error"]
    plain = cli.run("hub", "download")  # without --json: click's usual text
    assert plain.exit_code == 2 and "Usage:" in plain.stderr


def test_devnet_profile_that_is_down_is_not_started_elsewhere(cli, tmp_path):
    port = _dead_port()
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "config.toml").write_text(f'[profiles.mydev]\nkind = "devnet"\ndevnet_port = {port}\n')
    env = {"OG_TUI_CONFIG_DIR": str(cfg), "OG_TUI_DATA_DIR": str(tmp_path / "data"), "OG_TUI_DEVNET_PORT": None}
    cli.ok("account", "new", "--use", "--json", profile="mydev", **env)
    err = cli.fails(3, "account", "balance", profile="mydev", **env)
    assert f"127.0.0.1:{port}" in err["error"]
    err = cli.fails(3, "hub", "models", profile="mydev", **env)
    assert f"127.0.0.1:{port}" in err["error"]
    with socket.socket() as s:  # nothing was started on that port
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_passphrase_rule_and_no_password_arguments(cli):
    err = cli.fails(2, "account", "new", "--name", "weak", OG_TUI_PASSPHRASE="a")
    assert "at least 8 characters" in err["error"]
    assert "weak" not in json.dumps(cli.ok("account", "list", "--json"))
    err = cli.fails(2, "hub", "login", "--email", "a@example.com", "--password", "hunter22")
    assert "--password-stdin" in err["error"] and "hunter22" not in err["error"]


def test_downloads_never_overwrite_and_sanitize_names(cli, tmp_path):
    email, password = f"dl-{uuid.uuid4().hex[:8]}@example.com", "download-pass-1"
    cli.ok(
        "hub",
        "signup",
        "--email",
        email,
        "--password-stdin",
        "--json",
        input=password + "\n",
        OG_TUI_PASSPHRASE=PASSPHRASE,
    )
    name = f"dotfile-{uuid.uuid4().hex[:8]}"
    cli.ok("hub", "create-model", name, "--json")
    dotfile = tmp_path / "src" / ".bashrc"
    dotfile.parent.mkdir()
    dotfile.write_bytes(b"echo from the hub\n")
    cid = cli.ok("hub", "upload", str(dotfile), name, "0.01", "--json")["modelCid"]

    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("mine\n")
    got = cli.ok("hub", "download", cid, str(home), "--json")
    assert Path(got["path"]) == home / "bashrc"  # no leading dot, inside the folder
    assert (home / ".bashrc").read_text() == "mine\n"
    assert (home / "bashrc").read_bytes() == b"echo from the hub\n"

    err = cli.fails(2, "hub", "download", cid, str(home))  # bashrc exists now
    assert "exists already" in err["error"] and "--force" in err["hint"]
    target = home / "existing.onnx"
    target.write_bytes(b"keep me")
    cli.fails(2, "hub", "download", cid, str(target))
    assert target.read_bytes() == b"keep me"
    assert not list(home.glob("*.part"))
    cli.ok("hub", "download", cid, str(target), "--force", "--json")
    assert target.read_bytes() == b"echo from the hub\n"


def test_infer_keeps_integer_outputs_and_prefixed_hashes(cli, cids):
    out = cli.ok("infer", "--model", cids[IRIS], "--input", '{"features": [[5.1, 3.5, 1.4, 0.2]]}', "--json")
    assert out["transaction_hash"].startswith("0x") and len(out["transaction_hash"]) == 66
    assert out["outputs"]["label"]["dtype"] == "int64"
    assert out["outputs"]["label"]["values"] == [0]
    assert out["outputs"]["probabilities"]["dtype"] == "float32"
    text = cli.ok("infer", "--model", cids[IRIS], "--input", '{"features": [[5.1, 3.5, 1.4, 0.2]]}')
    assert text.startswith("tx 0x") and "label (int64, 1)" in text
    # the run is in the history Activity shows, as the app would record it
    from og_tui.core.store import Store

    with Store(cli.tmp / "data" / "og-tui.db") as store:
        row = store.get_tx(out["transaction_hash"])
    assert row is not None and row.kind == "inference" and row.status == "confirmed"
    assert row.block == out["block"] and row.gas_used == out["gas_used"] and row.detail["model"] == cids[IRIS]


def test_sample_models_are_what_the_table_expects():
    names = {(s.name, s.filename) for s in build_samples()}
    assert {(LINEAR, "linear_regression.onnx"), (IRIS, "iris_classifier.onnx")} <= names
