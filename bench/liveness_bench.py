"""Devnet liveness while an infinite-loop ``eth_call`` runs: probe latency p50/p95/max.

Probes: ``eth_blockNumber``, ``GET /health`` and a native transfer (sign, send, receipt),
first on an idle devnet, then while ``eth_call`` of the 4-byte loop ``0x5b600056`` runs
(one at a time, restarted as each ends at the devnet's ``--rpc-evm-timeout``), then while
several such loops run at once. Also prints how long each loop call took to be stopped.

Run: ``python -m bench liveness`` or ``python -m bench.liveness_bench``. Numbers are
printed, nothing is asserted.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench._devnet import start_devnet, stop_devnet
from bench._measure import pct

LOOP = "0x5b600056"
SECONDS_PER_PHASE = 8.0
PROBE_GAP = 0.05


def _rpc(http: httpx.Client, url: str, method: str, *params):
    body = http.post(url + "/rpc", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).json()
    if "error" in body:
        raise RuntimeError(body["error"]["message"])
    return body["result"]


class Looper:
    """Keeps ``count`` loop calls running until stopped; records how long each took to end."""

    def __init__(self, url: str, count: int) -> None:
        self.url = url
        self.stop = threading.Event()
        self.durations: list[float] = []
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(count)]
        for t in self.threads:
            t.start()

    def _run(self) -> None:
        with httpx.Client(timeout=120) as http:
            while not self.stop.is_set():
                t0 = time.perf_counter()
                body = http.post(
                    self.url + "/rpc",
                    json={"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"data": LOOP}, "latest"]},
                ).json()
                self.durations.append(time.perf_counter() - t0)
                self.errors.append(body.get("error", {}).get("message", "no error (unexpected)"))

    def close(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)


def _probe(url: str, seconds: float) -> dict[str, list[float]]:
    from eth_account import Account

    out: dict[str, list[float]] = {"eth_blockNumber": [], "/health": [], "transfer": []}
    sender, to = Account.create(), Account.create().address
    with httpx.Client(timeout=60) as http:
        http.post(url + "/faucet", json={"address": sender.address}).raise_for_status()
        chain_id = int(_rpc(http, url, "eth_chainId"), 16)
        nonce = int(_rpc(http, url, "eth_getTransactionCount", sender.address, "latest"), 16)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t0 = time.perf_counter()
            _rpc(http, url, "eth_blockNumber")
            out["eth_blockNumber"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            http.get(url + "/health").raise_for_status()
            out["/health"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            fee = int(_rpc(http, url, "eth_gasPrice"), 16)
            signed = sender.sign_transaction(
                {
                    "type": 2,
                    "chainId": chain_id,
                    "nonce": nonce,
                    "to": to,
                    "value": 1,
                    "gas": 21_000,
                    "maxFeePerGas": 2 * fee,
                    "maxPriorityFeePerGas": 10**9,
                }
            )
            tx = _rpc(http, url, "eth_sendRawTransaction", "0x" + bytes(signed.raw_transaction).hex())
            if _rpc(http, url, "eth_getTransactionReceipt", tx)["status"] != "0x1":
                raise RuntimeError("transfer failed")
            nonce += 1
            out["transfer"].append(time.perf_counter() - t0)
            time.sleep(PROBE_GAP)
    return out


def _report(title: str, probes: dict[str, list[float]]) -> None:
    print(title)
    for name, values in probes.items():
        print(
            f"  {name:16s} n={len(values):4d}  p50 {pct(values, 0.5) * 1000:7.1f} ms  "
            f"p95 {pct(values, 0.95) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms"
        )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="og-bench-live-") as tmp:
        proc, url = start_devnet(Path(tmp) / "devnet", Path(tmp) / "devnet.log")
        try:
            _report(f"idle devnet ({SECONDS_PER_PHASE:g} s of probes):", _probe(url, SECONDS_PER_PHASE))
            for count in (1, 3):
                looper = Looper(url, count)
                time.sleep(0.3)  # the loop calls are in the EVM
                probes = _probe(url, SECONDS_PER_PHASE)
                looper.close()
                _report(f"while {count} infinite-loop eth_call{'s' if count > 1 else ''} run:", probes)
                if looper.durations:
                    print(
                        f"  loop calls stopped after {min(looper.durations):.2f}-{max(looper.durations):.2f} s: "
                        f"{looper.errors[0]}"
                    )
        finally:
            stop_devnet(proc)


if __name__ == "__main__":
    main()
