"""`og-tui --profile local account ...` end to end, as a script would run it.

Real subprocesses, temp config/data dirs, the shared devnet's port. Every output is
collected and checked for private keys and the passphrase at the end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "cli test passphrase 7"
pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cli:
    def __init__(self, tmp: Path, port: int, **extra: str) -> None:
        self.env = dict(os.environ)
        for key in [k for k in self.env if k.startswith("OG_TUI_")]:
            del self.env[key]
        self.env.update(
            OG_TUI_CONFIG_DIR=str(tmp / "config"),
            OG_TUI_DATA_DIR=str(tmp / "data"),
            OG_TUI_DEVNET_PORT=str(port),
            OG_TUI_KEYRING="file",
            OG_TUI_SCRYPT_N="1024",
            OG_TUI_PASSPHRASE=PASSPHRASE,
            OG_TUI_LOG_LEVEL="DEBUG",
            **extra,
        )
        self.data_dir = tmp / "data"
        self.outputs: list[str] = []

    def run(self, *args: str, ok: bool = True, timeout: float = 90) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [sys.executable, "-m", "og_tui", "--profile", "local", "account", *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=ROOT,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        self.outputs += [proc.stdout, proc.stderr]
        if ok:
            assert proc.returncode == 0, f"{args}: rc={proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    def json(self, *args: str) -> object:
        return json.loads(self.run(*args, "--json").stdout)

    def keys(self) -> list[str]:
        from og_tui.core.secrets import WalletStore

        store = WalletStore(self.data_dir, "file")
        return [bytes(store.unlock(w.address, PASSPHRASE).key).hex() for w in store.list_wallets()]

    def assert_no_secrets(self, extra_keys: list[str] = ()) -> None:
        log = self.data_dir / "og-tui.log"  # written at DEBUG by every command (OG_TUI_LOG_LEVEL)
        assert log.exists() and log.stat().st_size > 0 and (log.stat().st_mode & 0o777) == 0o600
        text = "\n".join([*self.outputs, log.read_text()]).lower()
        for key in [*self.keys(), *extra_keys]:
            assert key.lower().removeprefix("0x") not in text
        assert PASSPHRASE.lower() not in text


def test_account_flow(tmp_path, devnet):
    cli = Cli(tmp_path, devnet.port)
    assert cli.json("list") == []

    alice = cli.json("new", "--name", "alice")
    assert alice["name"] == "alice" and alice["storage"] == "keystore" and alice["active"] is True
    assert set(alice) == {"name", "address", "storage", "active"}
    bob = cli.json("new", "--name", "bob")
    assert bob["active"] is False
    listed = cli.json("list")
    assert [w["address"] for w in listed] == [alice["address"], bob["address"]]
    assert [w["active"] for w in listed] == [True, False]

    shown = cli.json("show")
    assert shown["address"] == alice["address"] and shown["profile"] == "local"

    bal = cli.json("balance")
    assert bal["address"] == alice["address"] and bal["native_wei"] == 0 and bal["token_units"] == 0

    funded = cli.json("fund")
    assert funded["address"] == alice["address"]
    assert funded["native_tx"].startswith("0x") and funded["token_tx"].startswith("0x")
    assert funded["native_wei"] == devnet.info["faucet"]["native_wei"]
    assert funded["token_units"] == devnet.info["faucet"]["token_units"]

    bal = cli.json("balance", alice["address"])
    assert bal["native_wei"] == funded["native_wei"] and bal["token_units"] == funded["token_units"]
    assert bal["native_symbol"] == "OG" and bal["token_symbol"] == "OUSDC"

    # native transfer: exact accounting
    sent = cli.json("send", "--to", bob["address"], "--amount", "1.5", "--yes")
    assert sent["status"] == 1 and sent["kind"] == "transfer-native" and sent["amount_units"] == 15 * 10**17
    assert sent["from"] == alice["address"] and sent["to"] == bob["address"]
    a = cli.json("balance")
    b = cli.json("balance", "bob")
    assert b["native_wei"] == 15 * 10**17
    assert a["native_wei"] == funded["native_wei"] - 15 * 10**17 - sent["gas_used"] * sent["gas_price"]

    # token transfer
    tsent = cli.json("send", "--to", bob["address"], "--amount", "2.25", "--token", "OUSDC", "--yes")
    assert tsent["kind"] == "transfer-token" and tsent["amount_units"] == 2_250_000 and tsent["symbol"] == "OUSDC"
    assert cli.json("balance", bob["address"])["token_units"] == 2_250_000

    # history: every transaction recorded with status and gas
    from og_tui.core.store import Store

    with Store(cli.data_dir / "og-tui.db") as store:
        txs = {t.hash: t for t in store.list_txs(profile="local")}
    assert txs[funded["native_tx"]].kind == "faucet-native" and txs[funded["token_tx"]].kind == "faucet-token"
    assert txs[funded["native_tx"]].gas_used and txs[funded["native_tx"]].status == "confirmed"
    rec = txs[sent["hash"]]
    assert (rec.kind, rec.status, rec.gas_used, rec.block) == (
        "transfer-native",
        "confirmed",
        sent["gas_used"],
        sent["block"],
    )
    assert rec.value == 15 * 10**17 and rec.from_addr == alice["address"] and rec.to_addr == bob["address"]
    trec = txs[tsent["hash"]]
    assert (trec.kind, trec.status, trec.gas_used) == ("transfer-token", "confirmed", tsent["gas_used"])

    # human output works too
    human = cli.run("balance")
    assert "OG" in human.stdout and "OUSDC" in human.stdout

    # use / export / import / delete
    assert cli.json("use", "bob")["active"] is True
    assert cli.json("show")["address"] == bob["address"]
    out = tmp_path / "bob.json"
    exported = cli.json("export", "--out", str(out))
    assert exported["path"] == str(out) and oct(out.stat().st_mode & 0o777) == "0o600"
    assert json.loads(out.read_text())["address"].lower() == bob["address"][2:].lower()
    keys_before = cli.keys()
    assert cli.json("delete", bob["address"], "--yes")["deleted"] == bob["address"]
    assert [w["name"] for w in cli.json("list")] == ["alice"]
    back = cli.json("import", "--keystore", str(out), "--name", "bob2")
    assert back["address"] == bob["address"]

    cli.assert_no_secrets(keys_before)


def test_errors_are_one_line_and_json(tmp_path, devnet):
    cli = Cli(tmp_path, devnet.port)
    poor = cli.json("new")
    rich = cli.json("new")
    # no funds: said before anything is signed
    proc = cli.run("send", "--to", rich["address"], "--amount", "1", "--yes", "--json", ok=False)
    assert proc.returncode == 4 and proc.stdout == ""
    err = json.loads(proc.stderr)
    assert err["error"].startswith("You have 0 OG; this transfer needs 1 OG plus about")
    proc = cli.run("send", "--to", rich["address"], "--amount", "1", "--yes", ok=False)
    assert proc.returncode == 4 and proc.stdout == ""
    assert proc.stderr.startswith("Error: You have 0 OG") and len(proc.stderr.strip().splitlines()) <= 2

    # bad input
    proc = cli.run("send", "--to", "0x1234", "--amount", "1", "--yes", "--json", ok=False)
    assert proc.returncode == 2 and "address" in json.loads(proc.stderr)["error"]
    proc = cli.run("send", "--to", rich["address"], "--amount", "-1", "--yes", "--json", ok=False)
    assert proc.returncode == 2
    cli.run("fund", poor["address"], "--json")
    # confirmation needed without a terminal
    proc = cli.run("send", "--to", rich["address"], "--amount", "1", "--json", ok=False)
    assert proc.returncode == 2 and "--yes" in json.loads(proc.stderr)["error"]
    # wrong passphrase
    cli.env["OG_TUI_PASSPHRASE"] = "wrong"
    proc = cli.run("send", "--to", rich["address"], "--amount", "1", "--yes", "--json", ok=False)
    assert proc.returncode == 5 and "passphrase" in json.loads(proc.stderr)["error"].lower()
    cli.env["OG_TUI_PASSPHRASE"] = PASSPHRASE
    # unknown wallet: bad input
    proc = cli.run("use", "nobody", "--json", ok=False)
    assert proc.returncode == 2 and "nobody" in json.loads(proc.stderr)["error"]
    cli.assert_no_secrets()


def test_network_unreachable_when_autostart_off(tmp_path):
    port = _free_port()
    cli = Cli(tmp_path, port, OG_TUI_DEVNET_AUTOSTART="0")
    cli.json("new")
    proc = cli.run("balance", "--json", ok=False)
    assert proc.returncode == 3
    assert f"127.0.0.1:{port}" in json.loads(proc.stderr)["error"]


def test_cli_starts_devnet_and_stops_it(tmp_path):
    port = _free_port()
    cli = Cli(tmp_path, port, OG_TUI_DEVNET_DATA_DIR=str(tmp_path / "devnet"))
    cli.json("new")
    t0 = time.monotonic()
    proc = cli.run("fund")
    assert "Funded" in proc.stdout
    assert "Local devnet started" in proc.stderr
    bal = cli.json("balance")  # a second run starts it again: the chain was kept on disk
    assert bal["native_wei"] > 0
    assert time.monotonic() - t0 < 60
    with pytest.raises(OSError):  # nothing left running behind the command
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
