"""Devnet benchmark, side by side with anvil when it is installed (see ``bench/_anvil.py``).

Rows: start to the first ``eth_blockNumber`` answer (existing chain) and RSS then, and RSS
once the services (hub, LLM gateway, workflows) are in; the time ``ensure_devnet`` takes to
have a devnet answering (existing data dir, new data dir, or one already running); 200
sequential signed transfers over raw JSON-RPC (sign, ``eth_sendRawTransaction``, receipt)
and through the app's ``ChainClient.transfer_native`` (nonce, estimate, price, balance,
send, receipt), with the node's CPU seconds; ``eth_call`` p50 on a small contract.

Run: ``python -m bench devnet`` (``BENCH_RUNS`` start-ups per row, default 5). Prints
numbers only, with the load average at the time; medians of the runs.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional

from bench._anvil import ANVIL_CHAIN_ID, DEV_KEY_0, anvil_command, find_anvil
from bench._devnet import free_port

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TRANSFERS = int(os.environ.get("BENCH_TRANSFERS", "200"))
CALLS = 200
WIDTH = 58
# runtime: return storage slot 0 (PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN);
# init code copies those 11 bytes and returns them
RUNTIME = "60005460005260206000f3"
INITCODE = "600b600c600039600b6000f3" + RUNTIME


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


class Rpc:
    """JSON-RPC over one keep-alive HTTP connection (stdlib: the client costs the same for both chains)."""

    def __init__(self, port: int, path: str = "/rpc") -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.path = path
        self.ids = 0

    def __call__(self, method: str, *params: Any) -> Any:
        self.ids += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self.ids, "method": method, "params": list(params)})
        self.conn.request("POST", self.path, body, {"Content-Type": "application/json"})
        reply = json.loads(self.conn.getresponse().read())
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def close(self) -> None:
        self.conn.close()


def _proc_stat(pid: int) -> tuple[float, float]:
    """(CPU seconds, RSS MB) of ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    return cpu, rss


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def devnet_command(port: int, data_dir: Path) -> list[str]:
    # what the app and the CLI start (og_tui.core.devnet_proc)
    return [sys.executable, "-m", "og_tui.devnet", "--port", str(port), "--data-dir", str(data_dir)]


def start_until_block(command: list[str], port: int, timeout: float = 60.0) -> tuple[subprocess.Popen, float, float]:
    """Start ``command``; (process, seconds to the first eth_blockNumber answer, RSS MB then)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(ROOT))
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []})
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"{command[0]} exited with {proc.returncode}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request(
                "POST", "/rpc" if "og_tui.devnet" in command else "/", body, {"Content-Type": "application/json"}
            )
            reply = json.loads(conn.getresponse().read())
            if "result" in reply:
                elapsed = time.perf_counter() - t0
                return proc, elapsed, _proc_stat(proc.pid)[1]
        except (OSError, http.client.HTTPException, ValueError):
            time.sleep(0.005)
        finally:
            conn.close()
    _stop(proc)
    raise RuntimeError(f"{command[0]} did not answer eth_blockNumber within {timeout:g} s")


def start_rows(tmp: Path, anvil: Optional[str]) -> dict[str, tuple[str, str]]:
    data = tmp / "start"
    port = free_port()
    proc, _, _ = start_until_block(devnet_command(port, data), port)  # creates the chain
    _stop(proc)
    ours, ours_rss, full_rss, ref, ref_rss = [], [], [], [], []
    for _ in range(RUNS):
        port = free_port()
        proc, secs, rss = start_until_block(devnet_command(port, data), port)
        full_rss.append(_rss_with_services(proc, port))
        _stop(proc)
        ours.append(secs)
        ours_rss.append(rss)
        if anvil:
            port = free_port()
            proc, secs, rss = start_until_block(anvil_command(anvil, port), port)
            _stop(proc)
            ref.append(secs)
            ref_rss.append(rss)
    row = (
        f"{statistics.median(ours):.2f} s, RSS {statistics.median(ours_rss):.0f} MB",
        f"{statistics.median(ref):.2f} s, RSS {statistics.median(ref_rss):.0f} MB" if ref else "-",
    )
    return {
        "start to first eth_blockNumber (existing chain)": row,
        "RSS once the hub, LLM and workflow services are loaded": (f"{statistics.median(full_rss):.0f} MB", "-"),
    }


def _rss_with_services(proc: subprocess.Popen, port: int, timeout: float = 60.0) -> float:
    """RSS MB once ``/health`` says the services are in (a devnet without that field has them already)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/health")
            if json.loads(conn.getresponse().read()).get("services", "ready") == "ready":
                break
        finally:
            conn.close()
        time.sleep(0.02)
    return _proc_stat(proc.pid)[1]


def connect_rows(tmp: Path) -> dict[str, tuple[str, str]]:
    """ensure_devnet, as the app and the CLI call it, until the devnet answers /health and eth_blockNumber."""
    from og_tui.core.devnet_proc import ensure_devnet

    def connect(data_dir: Path) -> float:
        port = free_port()
        t0 = time.perf_counter()
        handle = ensure_devnet("127.0.0.1", port, data_dir=data_dir, timeout=60)
        rpc = Rpc(port)
        try:
            rpc("eth_blockNumber")
            return time.perf_counter() - t0
        finally:
            rpc.close()
            handle.stop()

    def reuse(port: int) -> float:
        t0 = time.perf_counter()
        handle = ensure_devnet("127.0.0.1", port, timeout=60)
        rpc = Rpc(port)
        try:
            rpc("eth_blockNumber")
            return time.perf_counter() - t0
        finally:
            rpc.close()
            handle.stop()  # not ours: a no-op

    warm_dir = tmp / "connect-warm"
    connect(warm_dir)  # the chain and the hub's samples exist from here on
    warm = [connect(warm_dir) for _ in range(RUNS)]
    cold = [connect(tmp / f"connect-cold{i}") for i in range(RUNS)]
    # what a devnet kept running between app runs (a daemon) would give: ensure_devnet reuses it
    port = free_port()
    kept = ensure_devnet("127.0.0.1", port, data_dir=warm_dir, timeout=60)
    try:
        reused = [reuse(port) for _ in range(RUNS)]
    finally:
        kept.stop()
    return {
        "connected, app starts its devnet (existing data dir)": (f"{statistics.median(warm):.2f} s", "-"),
        "connected, app starts its devnet (new data dir)": (f"{statistics.median(cold):.2f} s", "-"),
        "connected, devnet already running (reused)": (f"{statistics.median(reused):.3f} s", "-"),
    }


def _receipt(rpc: Rpc, tx_hash: str, timeout: float = 30.0) -> dict:
    """The receipt of ``tx_hash``, polled (anvil mines a moment after it answers the send)."""
    deadline = time.perf_counter() + timeout
    while True:
        receipt = rpc("eth_getTransactionReceipt", tx_hash)
        if receipt is not None:
            return receipt
        if time.perf_counter() > deadline:
            raise RuntimeError(f"no receipt for {tx_hash} within {timeout:g} s")
        time.sleep(0.0005)


def _transfers_raw(rpc: Rpc, pid: int, key: str, chain_id: int) -> tuple[float, float, float]:
    from eth_account import Account

    acct = Account.from_key(key)
    to = Account.create().address
    nonce = int(rpc("eth_getTransactionCount", acct.address, "pending"), 16)
    price = 2 * int(rpc("eth_gasPrice"), 16)
    cpu0 = _proc_stat(pid)[0]
    latencies = []
    t0 = time.perf_counter()
    for i in range(TRANSFERS):
        t1 = time.perf_counter()
        raw = acct.sign_transaction(
            {"to": to, "value": 1, "gas": 21_000, "gasPrice": price, "nonce": nonce + i, "chainId": chain_id}
        ).raw_transaction
        tx_hash = rpc("eth_sendRawTransaction", "0x" + bytes(raw).hex())
        receipt = _receipt(rpc, tx_hash)
        if receipt["status"] != "0x1":
            raise RuntimeError(f"transfer {i} not mined: {receipt}")
        latencies.append(time.perf_counter() - t1)
    total = time.perf_counter() - t0
    return TRANSFERS / total, statistics.median(latencies), _proc_stat(pid)[0] - cpu0


def _transfers_app(url: str, pid: int, key: str) -> tuple[float, float, float]:
    from eth_account import Account

    from og_tui.core.chain import ChainClient

    acct = Account.from_key(key)
    to = Account.create().address
    with ChainClient(url) as chain:
        chain.transfer_native(acct, to, 1)  # warm-up: connection, chain id
        cpu0 = _proc_stat(pid)[0]
        latencies = []
        t0 = time.perf_counter()
        for i in range(TRANSFERS):
            latencies.append(chain.transfer_native(acct, to, 1 + i).latency_s)
        total = time.perf_counter() - t0
    return TRANSFERS / total, statistics.median(latencies), _proc_stat(pid)[0] - cpu0


def _calls(rpc: Rpc, key: str, chain_id: int) -> float:
    """Deploy the slot-0 reader, then the p50 of ``CALLS`` eth_calls to it."""
    from eth_account import Account

    acct = Account.from_key(key)
    nonce = int(rpc("eth_getTransactionCount", acct.address, "pending"), 16)
    price = 2 * int(rpc("eth_gasPrice"), 16)
    raw = acct.sign_transaction(
        {"data": "0x" + INITCODE, "value": 0, "gas": 100_000, "gasPrice": price, "nonce": nonce, "chainId": chain_id}
    ).raw_transaction
    receipt = _receipt(rpc, rpc("eth_sendRawTransaction", "0x" + bytes(raw).hex()))
    address = receipt["contractAddress"]
    return _call_p50(rpc, {"to": address, "data": "0x"})


def _call_p50(rpc: Rpc, tx: dict) -> float:
    rpc("eth_call", tx, "latest")
    times = []
    for _ in range(CALLS):
        t0 = time.perf_counter()
        rpc("eth_call", tx, "latest")
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _pace(
    port: int,
    path: str,
    pid: int,
    key: str,
    chain_id: int,
    url: str,
    extra: Optional[Callable[[Rpc], dict[str, str]]] = None,
) -> dict[str, str]:
    rpc = Rpc(port, path)
    try:
        raw_tps, raw_p50, raw_cpu = _transfers_raw(rpc, pid, key, chain_id)
        call = _calls(rpc, key, chain_id)
        out = {
            f"{TRANSFERS} sequential signed transfers, raw JSON-RPC": f"{raw_tps:.0f} tx/s, p50 {raw_p50 * 1000:.1f} ms, node {raw_cpu:.2f} CPU-s",
            "eth_call p50 (small contract)": f"{call * 1000:.2f} ms",
        }
        if extra is not None:
            out.update(extra(rpc))
    finally:
        rpc.close()
    app_tps, app_p50, app_cpu = _transfers_app(url, pid, key)
    out[f"{TRANSFERS} sequential transfers, ChainClient.transfer_native"] = (
        f"{app_tps:.0f} tx/s, p50 {app_p50 * 1000:.1f} ms, node {app_cpu:.2f} CPU-s"
    )
    return out


def pace_rows(tmp: Path, anvil: Optional[str]) -> dict[str, tuple[str, str]]:
    from og_tui.core import constants

    port = free_port()
    proc, _, _ = start_until_block(devnet_command(port, tmp / "pace"), port)
    try:
        rpc = Rpc(port)
        info_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        info_conn.request("GET", "/devnet/info")
        info = json.loads(info_conn.getresponse().read())
        info_conn.close()
        key = info["dev_accounts"][1]["private_key"]
        holder = info["dev_accounts"][0]["address"]

        def token_call(rpc: Rpc) -> dict[str, str]:
            data = "0x70a08231" + "00" * 12 + holder[2:].lower()
            p50 = _call_p50(rpc, {"to": constants.OUSDC_ADDRESS, "data": data})
            return {"eth_call p50 (OUSDC balanceOf, a native contract)": f"{p50 * 1000:.2f} ms"}

        rpc.close()
        ours = _pace(port, "/rpc", proc.pid, key, info["chain_id"], f"http://127.0.0.1:{port}/rpc", token_call)
    finally:
        _stop(proc)
    ref: dict[str, str] = {}
    if anvil:
        port = free_port()
        proc, _, _ = start_until_block(anvil_command(anvil, port), port)
        try:
            ref = _pace(port, "/", proc.pid, DEV_KEY_0, ANVIL_CHAIN_ID, f"http://127.0.0.1:{port}")
        finally:
            _stop(proc)
    return {name: (value, ref.get(name, "-")) for name, value in ours.items()}


def _print(rows: dict[str, tuple[str, str]]) -> None:
    for name, (ours, ref) in rows.items():
        print(f"  {name:<{WIDTH}}  {ours:<42} {ref}", flush=True)


def main() -> None:
    anvil = find_anvil()
    print(f"devnet vs anvil ({anvil or 'anvil not installed: its column is -'}); {RUNS} runs per start-up row, medians")
    print(f"  {'measure':<{WIDTH}}  {'og-tui devnet':<42} anvil", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="og-devnet-bench-"))
    try:
        print(f" ({load()})", flush=True)
        _print(start_rows(tmp, anvil))
        _print(connect_rows(tmp))
        print(f" ({load()})", flush=True)
        _print(pace_rows(tmp, anvil))
        print(f" ({load()})", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
