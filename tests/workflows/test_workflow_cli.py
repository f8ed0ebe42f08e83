"""`og-tui workflow ... --json` end to end against the shared devnet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "workflow cli passphrase"
pytestmark = pytest.mark.e2e


def _cli(env, *args, ok=True):
    proc = subprocess.run(
        [sys.executable, "-m", "og_tui", "--profile", "local", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    if ok:
        assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
    return proc


def _new(env, cid: str, pair: str, *more: str, ok: bool = True):
    """``workflow new`` of model ``cid`` on ``pair``'s 10 last candles (OHLC), 15 min runs."""
    args = ["--model", cid, "--input", "open_high_low_close", "--pair", pair, "--candles", "10", "--duration", "15"]
    return _cli(env, "workflow", "new", *args, *more, "--json", ok=ok)


def test_workflow_cli_json(devnet, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OG_TUI_")}
    env.update(
        OG_TUI_CONFIG_DIR=str(tmp_path / "c"),
        OG_TUI_DATA_DIR=str(tmp_path / "d"),
        OG_TUI_DEVNET_PORT=str(devnet.port),
        OG_TUI_KEYRING="file",
        OG_TUI_SCRYPT_N="1024",
        OG_TUI_PASSPHRASE=PASSPHRASE,
    )
    key = devnet.info["dev_accounts"][5]["private_key"]
    (tmp_path / "key").write_text(key)
    _cli(env, "account", "import", "--key-file", str(tmp_path / "key"), "--json")
    from og_tui.core.hub import HubClient

    with HubClient(devnet.info["hub_url"], devnet.info["auth_url"], None) as hub:
        cid = hub.list_files("price-forecast-1h", "0.01")[0]["ipfsCid"]

    rows = json.loads(_cli(env, "workflow", "list", "--json").stdout)
    assert len([r for r in rows if r["kind"] == "model"]) == 7

    new = json.loads(_new(env, cid, "BTC/USDT", "--frequency", "600", "--hours", "1").stdout)
    address = new["address"]
    assert new["query"]["base"] == "BTC" and new["schedule"]["frequency"] == 600
    run = json.loads(_cli(env, "workflow", "run", address, "--json").stdout)
    assert run["tx"]["status"] == 1 and "regression_output" in run["output"]["numbers"]
    res = json.loads(_cli(env, "workflow", "result", address, "--json").stdout)
    assert res["output"] == run["output"]
    hist = json.loads(_cli(env, "workflow", "history", address, "-n", "5", "--json").stdout)
    assert len(hist["results"]) == 1 and hist["results"][0]["output"] == run["output"]
    rows = json.loads(_cli(env, "workflow", "list", "--json").stdout)
    assert any(r["kind"] == "mine" and r["address"] == address for r in rows)
    # every transaction the CLI sent is in the history Activity shows, under the app's kind names
    from og_tui.core.store import Store

    with Store(tmp_path / "d" / "og-tui.db") as store:
        txs = store.list_txs(profile="local")
    kinds = sorted(t.kind for t in txs)
    assert kinds == ["workflow-deploy", "workflow-run", "workflow-schedule"], kinds
    assert all(t.status == "confirmed" and t.block and t.gas_used for t in txs)
    assert run["tx"]["hash"] in {t.hash for t in txs if t.kind == "workflow-run"}

    bad = _new(env, cid, "XYZ/USDT", ok=False)
    assert bad.returncode == 2 and "unknown pair XYZ/USDT" in json.loads(bad.stderr)["error"]
    bad = _new(env, cid, "ETH/USDT", "--frequency", "0", ok=False)
    assert bad.returncode == 2 and "frequency" in json.loads(bad.stderr)["error"]
    bad = _cli(env, "workflow", "result", devnet.info["dev_accounts"][0]["address"], "--json", ok=False)
    assert bad.returncode == 2 and "is not a workflow contract" in json.loads(bad.stderr)["error"]
    assert PASSPHRASE not in json.dumps(rows) and key[2:] not in run.__repr__()
