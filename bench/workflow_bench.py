"""Workflow benchmark: deploy/run latency, scheduler drift under 50 workflows, RPC inference latency.

Run: ``python -m bench workflow`` or ``python bench/workflow_bench.py``. Starts its own
devnet (temp data dir) and prints numbers only:

- deploy latency (validate + dry run + contract creation, receipt) and run latency (run() tx);
- 50 workflows registered at a 10 s frequency, kept for ~60 s: the keeper's drift
  (actual start - due time) p50/p95/max, runs and failures;
- interactive inference over RPC (an ``eth_call`` running a model through the price
  feed) p50/p95 without and with that load.
"""

from __future__ import annotations

import json
import os
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
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

N_WORKFLOWS = int(os.environ.get("WF_BENCH_N", "50"))
FREQUENCY = 10
LOAD_SECONDS = float(os.environ.get("WF_BENCH_SECONDS", "60"))


def _pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    return v[min(len(v) - 1, max(0, int(round(p * len(v) + 0.5)) - 1))]


def _ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


def main() -> int:
    from eth_account import Account

    from og_tui.core.alpha import AlphaClient
    from og_tui.core.chain import ChainClient
    from og_tui.core.hub import HubClient
    from og_tui.core.types import CandleOrder, CandleType, HistoricalInputQuery

    tmp = Path(tempfile.mkdtemp(prefix="wf-bench-"))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "og_tui", "devnet", "--port", str(port), "--data-dir", str(tmp / "d")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=str(ROOT),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    print("devnet did not start")
                    return 1
                time.sleep(0.05)
        info = json.loads(urllib.request.urlopen(base + "/devnet/info").read())
        chain = ChainClient(info["rpc_url"], timeout=60)
        hub = HubClient(info["hub_url"], info["auth_url"], None)
        alpha = AlphaClient(chain, signature_provider=hub.model_signature)
        acct = Account.from_key(info["dev_accounts"][2]["private_key"])
        cid = hub.list_files("price-forecast-1h", "0.01")[0]["ipfsCid"]
        query = HistoricalInputQuery(
            "ETH",
            "USDT",
            10,
            60,
            CandleOrder.ASCENDING,
            [CandleType.OPEN, CandleType.HIGH, CandleType.LOW, CandleType.CLOSE],
        )

        def infer_once() -> float:
            t = time.perf_counter()
            alpha.preflight(cid, "open_high_low_close", query)
            return time.perf_counter() - t

        for _ in range(3):
            infer_once()  # warm up (model session)
        deploys, runs = [], []
        addresses = []
        for _ in range(5):
            t = time.perf_counter()
            addresses.append(alpha.new_workflow(acct, cid, query, "open_high_low_close"))
            deploys.append(time.perf_counter() - t)
        for _ in range(5):
            t = time.perf_counter()
            alpha.run_workflow(acct, addresses[0])
            runs.append(time.perf_counter() - t)
        print(
            f"deploy latency (validate + dry run + create tx): p50 {_ms(statistics.median(deploys))}, "
            f"max {_ms(max(deploys))} (n={len(deploys)})"
        )
        print(
            f"run latency (estimate + run() tx + event decode): p50 {_ms(statistics.median(runs))}, "
            f"max {_ms(max(runs))} (n={len(runs)})"
        )

        idle = [infer_once() for _ in range(60)]
        print(
            f"inference over RPC, idle: p50 {_ms(statistics.median(idle))}, p95 {_ms(_pct(idle, 0.95))} (n={len(idle)})"
        )

        while len(addresses) < N_WORKFLOWS:
            addresses.append(
                alpha.new_workflow(acct, cid, query, "open_high_low_close", preflight=False, validate_signature=False)
            )
        end_time = int(time.time() + LOAD_SECONDS + 25)
        for a in addresses[:N_WORKFLOWS]:
            alpha.register_task(acct, a, end_time, FREQUENCY)
        since = int(time.time())
        loaded = []
        t_end = time.monotonic() + LOAD_SECONDS
        while time.monotonic() < t_end:
            loaded.append(infer_once())
            time.sleep(0.05)
        stats = alpha.keeper_stats(since)
        print(
            f"scheduler, {N_WORKFLOWS} workflows every {FREQUENCY} s for {LOAD_SECONDS:.0f} s: "
            f"{stats.runs} runs ({stats.failures} failed), drift p50 {stats.drift_p50_ms:.1f} ms, "
            f"p95 {stats.drift_p95_ms:.1f} ms, max {stats.drift_max_ms:.1f} ms"
        )
        print(
            f"inference over RPC, under that load: p50 {_ms(statistics.median(loaded))}, "
            f"p95 {_ms(_pct(loaded, 0.95))} (n={len(loaded)})"
        )
        chain.close()
        hub.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
