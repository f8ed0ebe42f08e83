"""Devnet benchmark: cold start to /health, and a burst of signed transfers over raw JSON-RPC.

Run: ``python -m bench devnet`` or ``python bench/devnet_bench.py``. Prints numbers only.
"""

from __future__ import annotations

import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench._devnet import free_port

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3
BURST = 100


def _start(data_dir: Path, port: int) -> tuple[subprocess.Popen, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "og_tui", "devnet", "--port", str(port), "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(ROOT),
    )
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"devnet exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as resp:
                if resp.status == 200:
                    return proc, time.perf_counter() - t0
        except OSError:
            time.sleep(0.01)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _rpc(url: str, method: str, *params):
    req = urllib.request.Request(url, data=json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        body = json.loads(resp.read())
    if "error" in body:
        raise RuntimeError(body["error"])
    return body["result"]


def main() -> None:
    from eth_account import Account

    tmp = Path(tempfile.mkdtemp(prefix="og-devnet-bench-"))
    try:
        fresh, warm = [], []
        for i in range(RUNS):
            data_dir = tmp / f"cold{i}"
            proc, secs = _start(data_dir, free_port())  # new data dir: genesis is created
            fresh.append(secs)
            _stop(proc)
            proc, secs = _start(data_dir, free_port())  # existing data dir: chain is reopened
            warm.append(secs)
            _stop(proc)
        print(f"devnet cold start to /health, new data dir:      {statistics.median(fresh):.2f} s (median of {RUNS})")
        print(f"devnet cold start to /health, existing data dir: {statistics.median(warm):.2f} s (median of {RUNS})")

        port = free_port()
        proc, _ = _start(tmp / "burst", port)
        try:
            url = f"http://127.0.0.1:{port}/rpc"
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/devnet/info") as resp:
                info = json.loads(resp.read())
            acct = Account.from_key(info["dev_accounts"][0]["private_key"])
            nonce = int(_rpc(url, "eth_getTransactionCount", acct.address, "pending"), 16)
            gas_price = int(_rpc(url, "eth_gasPrice"), 16) * 2
            to = Account.create().address
            raws = [
                "0x" + bytes(acct.sign_transaction({
                    "to": to, "value": 1, "gas": 21_000, "gasPrice": gas_price,
                    "nonce": nonce + i, "chainId": info["chain_id"]}).raw_transaction).hex()
                for i in range(BURST)
            ]
            t0 = time.perf_counter()
            hashes = [_rpc(url, "eth_sendRawTransaction", raw) for raw in raws]
            elapsed = time.perf_counter() - t0
            last = _rpc(url, "eth_getTransactionReceipt", hashes[-1])
            assert last and last["status"] == "0x1"
            print(f"burst of {BURST} signed transfers (raw JSON-RPC, each mined): "
                  f"{BURST / elapsed:.1f} tx/s ({elapsed * 1000 / BURST:.1f} ms/tx)")
        finally:
            _stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
