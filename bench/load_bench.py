"""Mixed load on a fresh devnet: 20 concurrent clients for 60 s.

Run: ``python -m bench load`` (``--duration=SECONDS`` to shorten it, default 60; also
``OG_BENCH_LOAD_SECONDS``). Numbers are printed, nothing is asserted.

Each client has its own funded account and loops over three kinds of operation, each
through the app's own clients: a native **transfer** (sign, send, mined receipt), a
**VANILLA inference** of the ``linear-regression`` sample (transaction + decoded
output), and a **paid streamed chat** (402, EIP-712 signature, verification, stream read
to its end, ``settle-batch``). Printed: operations per second (all and per kind), p50 /
p95 latency per kind, errors (with the first message of each kind), the devnet server's
RSS before and after, and whether every batch-settled payment was settled on chain.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench._devnet import start_devnet, stop_devnet
from bench._measure import pct

CLIENTS = 20
DEFAULT_SECONDS = 60.0
KINDS = ("transfer", "inference", "stream")
CHAT_TOKENS = 24


def _duration(argv: list[str]) -> float:
    for i, arg in enumerate(argv):
        if arg.startswith("--duration="):
            return float(arg.split("=", 1)[1])
        if arg == "--duration" and i + 1 < len(argv):
            return float(argv[i + 1])
    return float(os.environ.get("OG_BENCH_LOAD_SECONDS") or DEFAULT_SECONDS)


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class _Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {k: [] for k in KINDS}
        self.errors: dict[str, int] = {k: 0 for k in KINDS + ("setup",)}
        self.first_error: dict[str, str] = {}
        self.payments: list[str] = []

    def ok(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latency[kind].append(seconds)

    def fail(self, kind: str, exc: BaseException) -> None:
        with self.lock:
            self.errors[kind] += 1
            self.first_error.setdefault(kind, f"{type(exc).__name__}: {str(exc)[:160]}")


def _client(
    index: int, url: str, info: dict, cid: str, sample_input, barrier: threading.Barrier, clock: dict, res: _Results
) -> None:
    import numpy as np
    from eth_account import Account

    from og_tui.core.chain import ChainClient
    from og_tui.core.devnet_client import DevnetClient
    from og_tui.core.inference import InferenceClient
    from og_tui.core.llm import DEVNET_MODEL, LLMClient
    from og_tui.core.profiles import builtin_profiles

    acct = Account.create()
    try:
        DevnetClient(url).fund(acct.address)
    except Exception as exc:  # noqa: BLE001 - reported; the others still run
        res.fail("setup", exc)
        barrier.wait(timeout=300)
        return
    sink = Account.create().address
    rng = np.random.default_rng(index)
    prof = builtin_profiles()["local"].replace(rpc_url=info["rpc_url"], llm_url=url, api_url=url)
    msgs = [{"role": "user", "content": f"load test client {index}"}]
    with ChainClient(info["rpc_url"]) as chain:
        inference = InferenceClient(chain, info["contracts"]["inference_hub"], info["api_url"])
        llm = LLMClient(prof, acct)
        try:
            barrier.wait(timeout=300)  # every client funded: the clock starts
            stop_at = clock["stop_at"]
            n = index
            while time.monotonic() < stop_at:
                kind = KINDS[n % len(KINDS)]
                n += 1
                t = time.perf_counter()
                try:
                    if kind == "transfer":
                        chain.transfer_native(acct, sink, 1)
                    elif kind == "inference":
                        shape = np.asarray(sample_input["input"]).shape
                        inference.infer(acct, cid, 0, {"input": rng.random(shape, dtype=np.float32)})
                    else:
                        stream = llm.chat(
                            DEVNET_MODEL,
                            msgs,
                            max_tokens=CHAT_TOKENS,
                            stream=True,
                            settlement="settle-batch",
                            extra_body={"tokens_per_second": 2000, "ignore_eos": True},
                        )
                        for _ in stream:
                            pass
                        if stream.meta.payment_hash:
                            with res.lock:
                                res.payments.append(stream.meta.payment_hash)
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    res.fail(kind, exc)
                else:
                    res.ok(kind, time.perf_counter() - t)
        finally:
            llm.close()
            inference.close()


def main(argv: list[str] | None = None) -> None:
    import httpx

    from og_tui.core.cid import cid_for_bytes
    from og_tui.devnet.hub.samples import build_samples

    seconds = _duration(sys.argv[1:] if argv is None else argv)
    sample = next(s for s in build_samples() if s.name == "linear-regression")
    cid = cid_for_bytes(sample.data)
    with tempfile.TemporaryDirectory(prefix="og-load-bench-") as tmp:
        proc, url = start_devnet(
            Path(tmp) / "data", Path(tmp) / "devnet.log", env={"OG_TUI_DEVNET_X402_BATCH_SECONDS": "2"}
        )
        try:
            info = httpx.get(url + "/devnet/info", timeout=10).json()
            rss_before = _rss_mb(proc.pid)
            res = _Results()
            clock: dict = {}
            barrier = threading.Barrier(CLIENTS + 1, action=lambda: clock.update(stop_at=time.monotonic() + seconds))
            threads = [
                threading.Thread(
                    target=_client, args=(i, url, info, cid, sample.example_input, barrier, clock, res), daemon=True
                )
                for i in range(CLIENTS)
            ]
            for th in threads:
                th.start()
            barrier.wait(timeout=300)  # returns once every client has its funded account
            t0 = time.perf_counter()
            for th in threads:
                th.join(timeout=seconds + 180)
            wall = time.perf_counter() - t0
            rss_after = _rss_mb(proc.pid)
            total = sum(len(v) for v in res.latency.values())
            print(
                f"{CLIENTS} clients, {seconds:.0f} s (wall {wall:.1f} s until the last operation ended): "
                f"{total} operations, {total / wall:.1f} ops/s"
            )
            for kind in KINDS:
                lat = res.latency[kind]
                line = f"  {kind:<10} {len(lat):5d} ok, {res.errors[kind]:3d} errors, {len(lat) / wall:6.2f} ops/s"
                if lat:
                    line += f", p50 {pct(lat, 0.5) * 1000:7.1f} ms, p95 {pct(lat, 0.95) * 1000:7.1f} ms, mean {statistics.mean(lat) * 1000:7.1f} ms"
                print(line)
                if kind in res.first_error:
                    print(f"             first error: {res.first_error[kind]}")
            if res.errors["setup"]:
                print(f"  clients that could not be funded: {res.errors['setup']} ({res.first_error['setup']})")
            print(f"devnet server RSS: {rss_before:.0f} MB before, {rss_after:.0f} MB after")
            settled = 0
            deadline = time.monotonic() + 30
            with httpx.Client(timeout=10) as http:
                for ph in res.payments:
                    while True:
                        st = http.get(f"{url}/v1/x402/settlements/{ph}").json().get("status")
                        if st not in ("queued", "pending") or time.monotonic() > deadline:
                            break
                        time.sleep(0.2)
                    settled += st == "settled"
            print(f"paid streams settled on chain: {settled} of {len(res.payments)}")
        finally:
            stop_devnet(proc)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
