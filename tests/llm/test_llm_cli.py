"""`og-tui chat` / `og-tui complete` as a script runs them (real subprocesses, the LLM devnet)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cli(llm_devnet, tmp_path_factory):
    from eth_account import Account

    tmp = tmp_path_factory.mktemp("llmcli")
    acct = Account.create()
    llm_devnet.post("/faucet", {"address": acct.address})
    env = {k: v for k, v in os.environ.items() if not k.startswith("OG_TUI_")}
    env.update(
        OG_TUI_CONFIG_DIR=str(tmp / "config"),
        OG_TUI_DATA_DIR=str(tmp / "data"),
        OG_TUI_DEVNET_PORT=str(llm_devnet.port),
        OG_TUI_KEYRING="file",
        OG_TUI_SCRYPT_N="1024",
        OG_TUI_PASSPHRASE="llm cli pass",
    )
    key = tmp / "key.txt"
    key.write_text(acct.key.hex())

    def run(*args: str, ok: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [sys.executable, "-m", "og_tui", "--profile", "local", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=90,
            input=stdin,
        )
        if ok:
            assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    run("account", "import", "--key-file", str(key), "--name", "llm")
    run.address = acct.address
    run.data_dir = tmp / "data"
    return run


def test_chat_json(cli):
    out = json.loads(cli("chat", "Explain", "x402", "--json", "--max-tokens", "12", "--settlement", "settle").stdout)
    assert out["content"] and out["finish_reason"] == "length" and out["meta"]["cost"] == "12"
    assert out["meta"]["settlement_status"] == "settled" and out["meta"]["settlement_tx"].startswith("0x")
    assert out["meta"]["payer"] == cli.address and out["meta"]["backend"] == "builtin"


def test_chat_stream_human_and_json(cli):
    proc = cli("chat", "--stream", "--max-tokens", "15", stdin="Tell me about blocks")
    assert proc.stdout.strip() and "15 tokens" in proc.stderr and "cost 0.000015 OUSDC" in proc.stderr
    lines = [
        json.loads(x)
        for x in cli("chat", "--stream", "--json", "--max-tokens", "6", "hello", "there").stdout.splitlines()
    ]
    deltas = [x for x in lines if x["type"] == "delta"]
    assert len(deltas) == 6 and lines[-1]["type"] == "done"
    assert "".join(d["content"] for d in deltas) == lines[-1]["content"]


def test_chat_tools_and_errors(cli, tmp_path):
    tools = tmp_path / "tools.json"
    tools.write_text(
        json.dumps(
            [
                {
                    "type": "function",
                    "function": {
                        "name": "lookup",
                        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
                    },
                }
            ]
        )
    )
    out = json.loads(cli("chat", "look", "up", "Paris", "--tools-file", str(tools), "--json").stdout)
    assert out["finish_reason"] == "tool_calls" and out["tool_calls"][0]["name"] == "lookup"
    assert "q" in json.loads(out["tool_calls"][0]["arguments"])
    bad = cli("chat", "hi", "--tools", "[{oops", "--json", ok=False)
    assert bad.returncode == 2 and "Malformed tools JSON" in json.loads(bad.stderr)["error"]
    unknown = cli("chat", "hi", "--model", "acme/nothing", ok=False)
    assert unknown.returncode == 2 and "Unknown model" in unknown.stderr


def test_complete_json(cli):
    out = json.loads(cli("complete", "Once", "upon", "--json", "--max-tokens", "8", "--stop", "zzz").stdout)
    assert out["completion"] and out["meta"]["cost"] == "8"


def test_on_chain_chat_and_payments_are_in_the_history(cli):
    """One history: the CLI's on-chain LLM transaction and its x402 payments are where Activity reads."""
    from og_tui.core.store import Store

    out = json.loads(cli("chat", "Explain", "x402", "--mode", "VANILLA", "--json", "--max-tokens", "8").stdout)
    tx = out["transaction_hash"]
    cli("chat", "Explain", "x402", "--json", "--max-tokens", "8", "--settlement", "settle")
    with Store(cli.data_dir / "og-tui.db") as store:
        row = store.get_tx(tx)
        payments = store.list_payments()
    assert row is not None and row.kind == "llm" and row.status == "confirmed" and row.block and row.gas_used
    assert payments and payments[0].status == "settled" and payments[0].settlement_tx
