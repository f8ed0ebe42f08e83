"""Devnet cold start (ensure_devnet -> /health) and a burst of native transfers.

Run: ``make bench ARGS=transfer`` or ``python -m bench.transfer_bench``. Numbers are
printed, nothing is asserted.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench._devnet import free_port
from bench._measure import pct

BURST = 100
PARALLEL_SENDERS = 4


def main() -> None:
    from eth_account import Account

    from og_tui.core.chain import ChainClient
    from og_tui.core.devnet_client import DevnetClient
    from og_tui.core.devnet_proc import ensure_devnet

    with tempfile.TemporaryDirectory(prefix="og-bench-") as tmp:
        port = free_port()
        data = Path(tmp) / "devnet"
        t0 = time.perf_counter()
        handle = ensure_devnet("127.0.0.1", port, data_dir=data, timeout=60)
        cold = time.perf_counter() - t0
        try:
            print(f"devnet cold start to /health (fresh data dir): {cold:.2f} s")
            handle.stop()
            t0 = time.perf_counter()
            handle = ensure_devnet("127.0.0.1", port, data_dir=data, timeout=60)
            print(f"devnet restart to /health (existing chain):    {time.perf_counter() - t0:.2f} s")

            faucet = DevnetClient(handle.url)
            sender = Account.create()
            faucet.fund(sender.address)
            to = Account.create().address
            with ChainClient(handle.rpc_url) as chain:
                chain.transfer_native(sender, to, 1)  # warm-up: connection, chain id, imports
                latencies: list[float] = []
                t0 = time.perf_counter()
                for i in range(BURST):
                    out = chain.transfer_native(sender, to, 1 + i)
                    latencies.append(out.latency_s)
                total = time.perf_counter() - t0
                print(
                    f"{BURST} native transfers, one sender, sequential: {BURST / total:.1f} tx/s, "
                    f"p50 {1000 * statistics.median(latencies):.1f} ms, p95 {1000 * pct(latencies, 0.95):.1f} ms "
                    f"(sign + send + mined receipt each)"
                )

                senders = [Account.create() for _ in range(PARALLEL_SENDERS)]
                for acct in senders:
                    faucet.fund(acct.address)
                lat2: list[float] = []
                lock = threading.Lock()
                per = BURST // PARALLEL_SENDERS

                def run(acct) -> None:
                    for i in range(per):
                        out = chain.transfer_native(acct, to, 1 + i)
                        with lock:
                            lat2.append(out.latency_s)

                threads = [threading.Thread(target=run, args=(a,)) for a in senders]
                t0 = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                total = time.perf_counter() - t0
                print(
                    f"{per * PARALLEL_SENDERS} native transfers, {PARALLEL_SENDERS} senders in threads: "
                    f"{len(lat2) / total:.1f} tx/s, p50 {1000 * statistics.median(lat2):.1f} ms"
                )
                t0 = time.perf_counter()
                for _ in range(50):
                    chain.block_number()
                print(f"eth_blockNumber round trip: {1000 * (time.perf_counter() - t0) / 50:.1f} ms")
        finally:
            handle.stop()


if __name__ == "__main__":
    main()
