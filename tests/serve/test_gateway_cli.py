"""`og-tui gateway` as a user runs it: keys issued, listed and revoked from the CLI, the
server started in the foreground (a real subprocess unlocking an imported wallet with
OG_TUI_PASSPHRASE) and used by the official openai client, stopped with Ctrl-C."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from .helpers import ROOT, cli_with_wallet, free_port

openai = pytest.importorskip("openai")

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cli(devnet, tmp_path_factory):
    return cli_with_wallet(devnet, tmp_path_factory.mktemp("gatewaycli"), "gw")


def _start(cli, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "og_tui",
            "--profile",
            "local",
            "gateway",
            "--port",
            str(port),
            "--settlement",
            "settle",
            "--max-tokens",
            "16",
        ],
        env=cli.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("the gateway did not start: " + str(proc.communicate()))


def test_keys_and_the_foreground_gateway(cli):
    made = json.loads(cli("gateway", "keys", "new", "script", "--per-day", "0.00005", "--json").stdout)
    secret = made["key"]
    assert secret.startswith("ogk_") and made["per_day"] == 50 and made["per_request"] is None
    listed = json.loads(cli("gateway", "keys", "list", "--json").stdout)
    assert [k["name"] for k in listed] == ["script"] and "key" not in listed[0] and secret not in json.dumps(listed)
    bad = cli("gateway", "keys", "new", "x", "--per-day", "lots", ok=False)
    assert bad.returncode == 2 and "--per-day" in bad.stderr and "'lots'" in bad.stderr
    remote = cli("gateway", "--host", "0.0.0.0", ok=False)
    assert remote.returncode == 2 and "--allow-remote" in remote.stderr

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        used = taken.getsockname()[1]
        busy = cli("gateway", "--port", str(used), ok=False)
    assert busy.returncode == 2 and f"127.0.0.1:{used}" in busy.stderr and "--port" in busy.stderr

    port = free_port()
    proc = _start(cli, port)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=secret, max_retries=0)
        out = client.chat.completions.create(model="og-devnet/mini", messages=[{"role": "user", "content": "hi"}])
        assert out.choices[0].message.content and out.model_extra["x402"]["cost"] == "16"  # --max-tokens 16
        assert out.model_extra["x402"]["settlement_status"] == "settled"
        spent = json.loads(cli("gateway", "keys", "list", "--json").stdout)[0]
        assert spent["spent_today"] == spent["spent_total"] == 16
        reqs = json.loads(cli("gateway", "requests", "--json").stdout)
        assert reqs[0]["status"] == 200 and reqs[0]["cost"] == 16 and reqs[0]["settlement_tx"].startswith("0x")
        cli("gateway", "keys", "revoke", "script")
        with pytest.raises(openai.AuthenticationError) as exc:
            client.chat.completions.create(model="og-devnet/mini", messages=[{"role": "user", "content": "hi"}])
        assert exc.value.body["code"] == "api_key_revoked"
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/v1" in stdout and cli.address in stdout
    assert "locked again" in stderr and "Traceback" not in stderr
    assert secret not in stdout + stderr


def test_keys_with_opg_budgets(cli):
    """OPG budgets are given in OPG and kept in atomic units (18 decimals); the list shows
    them and what the key spent in each token apart."""
    from og_tui.serve.keys import KeyBook

    made = json.loads(
        cli(
            "gateway", "keys", "new", "both", "--per-day", "0.01", "--opg-per-request", "0.001", "--opg-total", "12.5",
            "--json",
        ).stdout
    )  # fmt: skip
    assert (made["per_day"], made["opg_per_request"], made["opg_per_day"]) == (10_000, 10**15, None)
    assert made["opg_total"] == 125 * 10**17  # past SQLite's 64-bit integers
    [db] = list(cli.data_dir.rglob("og-tui.db"))
    book = KeyBook(db)
    try:
        book.record(key_id=made["id"], endpoint="chat", status=200, cost=2 * 10**14, token="OPG")
        book.record(key_id=made["id"], endpoint="chat", status=200, cost=30, token="OUSDC")
    finally:
        book.close()
    [row] = [k for k in json.loads(cli("gateway", "keys", "list", "--json").stdout) if k["name"] == "both"]
    assert (row["spent_today"], row["spent_total"]) == (30, 30)
    assert (row["opg_spent_today"], row["opg_spent_total"]) == (2 * 10**14, 2 * 10**14)
    assert row["opg_total"] == 125 * 10**17 and row["opg_per_request"] == 10**15
    text = cli("gateway", "keys", "list").stdout
    [line] = [ln for ln in text.splitlines() if " both " in ln]
    assert "0.00003 OUSDC" in line and "OPG per request 0.001 OPG" in line and "total 12.5 OPG" in line
    assert "spent 0.0002 OPG" in line
    reqs = cli("gateway", "requests", "--key", "both").stdout
    assert "0.0002 OPG" in reqs and "0.00003 OUSDC" in reqs
    bad = cli("gateway", "keys", "new", "x", "--opg-total", "lots", ok=False)
    assert bad.returncode == 2 and "--opg-total" in bad.stderr and "'lots'" in bad.stderr and "OPG" in bad.stderr
    bad = cli("gateway", "keys", "new", "x", "--opg-per-day", "0.0000000000000000001", ok=False)
    assert bad.returncode == 2 and "--opg-per-day" in bad.stderr
