"""Model Hub benchmark: streamed upload/download through core.hub to a devnet hub.

    python -m bench.hub_bench          # 256 MiB file
    python -m bench.hub_bench --full   # 1 GiB file

Starts the hub routes (the ones the devnet mounts) in a server process of their own,
then prints, as ``name value`` lines: upload and download throughput (MB/s, 10^6
bytes/s), peak RSS growth (MiB) of the client and of the server during each transfer,
and the time to list 10,000 models through the API (server query + JSON + client).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Optional

from bench._devnet import free_port


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssPeak:
    """Samples a process's RSS every few ms; ``growth_mib`` = peak - value at start."""

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        self.pid, self.interval = pid, interval
        self.base = _rss_kib(pid)
        self.peak = self.base
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, _rss_kib(self.pid))
            except OSError:
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> "RssPeak":
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, _rss_kib(self.pid))

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.base) / 1024


def _start_server(data_dir: Path, port: int) -> subprocess.Popen:
    import httpx

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "og_tui.devnet.hub.app",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--max-upload",
            str(4 * 1024**3),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("hub server did not start")


def _make_file(path: Path, size: int) -> None:
    block = os.urandom(16 * 1024 * 1024)
    with open(path, "wb") as fh:
        left = size
        while left:
            n = min(left, len(block))
            fh.write(block[:n])
            left -= n


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="use a 1 GiB file (default 256 MiB)")
    parser.add_argument("--size-mib", type=int, default=None)
    parser.add_argument("--models", type=int, default=10_000)
    # `python -m bench hub --full` passes the bench names along in sys.argv: ignore them
    args, _ = parser.parse_known_args(argv)
    size = (args.size_mib or (1024 if args.full else 256)) * 1024 * 1024

    from og_tui.core.cid import cid_for_file
    from og_tui.core.hub import HubClient

    with tempfile.TemporaryDirectory(prefix="og-hub-bench-", dir=os.environ.get("OG_HUB_BENCH_DIR")) as tmp:
        tmp_path = Path(tmp)
        src = tmp_path / "big.bin"
        _make_file(src, size)
        port = free_port()
        server = _start_server(tmp_path / "devnet", port)
        try:
            base = f"http://127.0.0.1:{port}"
            client = HubClient(base + "/api/v0", base + "/auth")
            client.sign_up("bench@example.com", "bench-password")
            client.create_model("bench-model", "benchmark")

            with RssPeak(os.getpid()) as c_up, RssPeak(server.pid) as s_up:
                up_s, res = _timed(lambda: client.upload(src, "bench-model", "0.01"))
            dest = tmp_path / "back.bin"
            with RssPeak(os.getpid()) as c_dn, RssPeak(server.pid) as s_dn:
                dn_s, _ = _timed(lambda: client.download(res.modelCid, dest))
            assert res.size == size and dest.stat().st_size == size
            expected = cid_for_file(src)
            assert res.modelCid == expected, "CID mismatch"

            print(f"file_mib {size // (1024 * 1024)}")
            print(f"upload_mb_per_s {size / up_s / 1e6:.1f}")
            print(f"upload_client_rss_growth_mib {c_up.growth_mib:.1f}")
            print(f"upload_server_rss_growth_mib {s_up.growth_mib:.1f}")
            print(f"download_mb_per_s {size / dn_s / 1e6:.1f}")
            print(f"download_client_rss_growth_mib {c_dn.growth_mib:.1f}")
            print(f"download_server_rss_growth_mib {s_dn.growth_mib:.1f}")
            src.unlink()
            dest.unlink()

            # 10,000 models, inserted straight into the devnet's database
            from og_tui.core.hub import model_name_key
            from og_tui.devnet.hub.service import HubService

            svc = HubService(tmp_path / "devnet", publish_samples=False)
            owner = svc.auth.user_by_username("bench")
            now = time.time()
            with svc.db.tx() as conn:
                rows = [
                    (
                        f"bulk-model-{i:05d}",
                        model_name_key(f"bulk-model-{i:05d}"),
                        f"bulk model number {i}",
                        owner.id,
                        now + i * 1e-3,
                    )
                    for i in range(args.models)
                ]
                conn.executemany(
                    "INSERT INTO models (name, name_key, description, owner_id, created_at) VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
                conn.executemany(
                    "INSERT INTO versions (model_id, major, minor, notes, created_at) "
                    "SELECT id, 0, 1, '', created_at FROM models WHERE name = ?",
                    [(r[0],) for r in rows],
                )
            svc.close()
            q_s, listing = _timed(lambda: svc_query(tmp_path / "devnet", args.models))
            api_s, listing = _timed(lambda: client.list_models(page=1, limit=args.models, author="bench"))
            assert len(listing["models"]) == args.models
            s_s, found = _timed(lambda: client.list_models(search="number 9999", limit=100))
            print(f"list_models_{args.models}_sql_s {q_s:.3f}")
            print(f"list_models_{args.models}_api_s {api_s:.3f}")
            print(f"search_models_api_s {s_s:.3f}")
            client.close()
        finally:
            server.terminate()
            server.wait(10)


def svc_query(data_dir: Path, n: int) -> dict:
    from og_tui.devnet.hub.service import HubService

    svc = HubService(data_dir, publish_samples=False)
    try:
        return svc.list_models(page=1, limit=n, author="bench")
    finally:
        svc.close()


if __name__ == "__main__":
    main()
