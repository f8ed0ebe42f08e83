"""On-chain inference on devnet: latency p50/p95, time sleeping/polling, throughput, a big input.

Run: ``make bench ARGS=inference`` or ``python -m bench.inference_bench``. Numbers are
printed, nothing is asserted.

1. a fresh devnet (subprocess), 100 sequential VANILLA inferences of the
   ``linear-regression`` sample through ``InferenceClient.infer`` (a new random input
   each time, so the model really runs): p50/p95 latency, the share spent in
   ``time.sleep`` and in receipt polling, inferences/s;
2. a 100,000-element float32 input (``x [1, 100000] -> ReduceSum``): encode, transaction
   and decode times. 100k Numbers are 6.4 MB of calldata, whose EIP-7623 floor cost
   (~66-80 M gas) exceeds the default devnet block gas limit (60 M); the client
   refuses it before sending (timed too), and the run uses a second devnet started
   with a 300 M block gas limit.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench._devnet import free_port
from bench._measure import pct

RUNS = 100
BIG = 100_000
ROOT = Path(__file__).resolve().parent.parent

_SERVE_BIG_BLOCKS = """
import sys, uvicorn
from og_tui.devnet.limits import MIB, DevnetLimits
from og_tui.devnet.node import DevnetNode, DevnetConfig
from og_tui.devnet.server import _bind, create_app
# bodies and eth_estimateGas as large as the blocks (the defaults: 5 MiB, 50 M gas)
limits = DevnetLimits(max_body=64 * MIB, gas_cap=0)
node = DevnetNode(sys.argv[2], DevnetConfig(block_gas_limit=int(sys.argv[3])), limits=limits)
sock = _bind("127.0.0.1", int(sys.argv[1]))
print("ready", flush=True)
uvicorn.Server(uvicorn.Config(create_app(node), log_level="warning", access_log=False, lifespan="off")).run(sockets=[sock])
"""


def _wait_health(url: str, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"devnet at {url} did not start")


def _reduce_model(n: int) -> bytes:
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("ReduceSum", ["x", "axes"], ["total"], keepdims=1)],
        "reduce_sum",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, n])],
        [helper.make_tensor_value_info("total", TensorProto.FLOAT, [1, 1])],
        initializer=[numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 9
    return model.SerializeToString()


def _upload(url: str, data: bytes, tmp: Path) -> str:
    from og_tui.core.hub import HubClient

    hub = HubClient(url + "/api/v0", url + "/auth")
    try:
        hub.sign_up(f"bench-{uuid.uuid4().hex[:8]}@example.com", "password123")
        name = f"bench-{uuid.uuid4().hex[:8]}"
        repo = hub.create_model(name, "bench model")
        path = tmp / "model.onnx"
        path.write_bytes(data)
        return hub.upload(path, name, repo.initialVersion).modelCid
    finally:
        hub.close()


class _SleepMeter:
    """Counts time.sleep while active (the chain client sleeps only when polling/retrying)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._orig = time.sleep

    def __enter__(self) -> "_SleepMeter":
        def sleep(seconds: float) -> None:
            t = time.perf_counter()
            self._orig(seconds)
            self.total += time.perf_counter() - t

        time.sleep = sleep
        return self

    def __exit__(self, *exc) -> None:
        time.sleep = self._orig


def _latency(url: str, info: dict) -> None:
    import numpy as np
    from eth_account import Account

    from og_tui.core.chain import ChainClient
    from og_tui.core.cid import cid_for_bytes
    from og_tui.core.devnet_client import DevnetClient
    from og_tui.core.inference import InferenceClient
    from og_tui.devnet.hub.samples import build_samples

    sample = next(s for s in build_samples() if s.name == "linear-regression")
    cid = cid_for_bytes(sample.data)
    signer = Account.create()
    DevnetClient(url).fund(signer.address)
    rng = np.random.default_rng(1)
    with ChainClient(info["rpc_url"]) as chain:
        client = InferenceClient(chain, info["contracts"]["inference_hub"], info["api_url"])
        client.infer(signer, cid, 0, sample.example_input)  # warm-up: session load, imports, connection
        lat, polling = [], []
        with _SleepMeter() as sleeps:
            t0 = time.perf_counter()
            for _ in range(RUNS):
                run = client.infer(signer, cid, 0, {"input": rng.random((1, 3, 4), dtype=np.float32)})
                lat.append(run.latency_s)
                polling.append(run.timings["receipt_wait"])
            wall = time.perf_counter() - t0
        client.close()
    print(
        f"infer latency (linear-regression, VANILLA, {RUNS} runs): p50 {pct(lat, 0.5) * 1000:.1f} ms, "
        f"p95 {pct(lat, 0.95) * 1000:.1f} ms, mean {statistics.mean(lat) * 1000:.1f} ms"
    )
    print(
        f"  time sleeping: {sleeps.total / wall * 100:.1f}% ({sleeps.total * 1000:.1f} ms in total); "
        f"receipt polling (sent -> receipt, incl. RPC): {sum(polling) / wall * 100:.1f}%"
    )
    t = run.timings
    print("  last run: " + ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in t.items()))
    print(f"sequential throughput: {RUNS / wall:.1f} inferences/s")


def _big_input(tmp: Path, default_url: str, default_info: dict) -> None:
    import httpx
    import numpy as np
    from eth_account import Account

    from og_tui.core import inference_abi as A
    from og_tui.core.chain import ChainClient
    from og_tui.core.devnet_client import DevnetClient
    from og_tui.core.errors import OGError, ValidationError
    from og_tui.core.inference import InferenceClient, calldata_gas, encode_input

    x = np.random.default_rng(2).random((1, BIG), dtype=np.float32)
    t = time.perf_counter()
    numbers, strings = encode_input({"x": x})
    t_codec = time.perf_counter() - t
    t = time.perf_counter()
    data = A.encode_run_call("cid", 0, (numbers, strings))
    t_abi = time.perf_counter() - t
    print(
        f"{BIG:,}-element input: fixed-point encode {t_codec * 1000:.0f} ms, ABI encode {t_abi * 1000:.0f} ms, "
        f"{len(data) / 1e6:.1f} MB calldata, intrinsic gas {calldata_gas(data):,}"
    )

    signer = Account.create()
    DevnetClient(default_url).fund(signer.address)
    with ChainClient(default_info["rpc_url"]) as chain:
        client = InferenceClient(chain, default_info["contracts"]["inference_hub"], default_info["api_url"])
        t = time.perf_counter()
        try:
            client.infer(signer, "bafkreiaaaa", 0, {"x": x})
            print("  default devnet: accepted (unexpected)")
        except ValidationError as exc:
            print(f"  default devnet: refused before sending in {(time.perf_counter() - t) * 1000:.0f} ms: {exc}")
        except OGError as exc:  # the default devnet takes JSON bodies up to 5 MiB (--max-body-mib)
            print(f"  default devnet: refused by the devnet in {(time.perf_counter() - t) * 1000:.0f} ms: {exc}")
        client.close()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE_BIG_BLOCKS, str(port), str(tmp / "big"), "300000000"],
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_health(url)
        info = httpx.get(url + "/devnet/info").json()
        cid = _upload(url, _reduce_model(BIG), tmp)
        signer = Account.create()
        DevnetClient(url).fund(signer.address)
        with ChainClient(info["rpc_url"], timeout=120) as chain:
            client = InferenceClient(chain, info["contracts"]["inference_hub"], info["api_url"])
            client.infer(signer, cid, 0, {"x": np.ones((1, BIG), dtype=np.float32)})  # warm-up
            run = client.infer(signer, cid, 0, {"x": x})
            client.close()
        t = run.timings
        got = float(run.model_output["total"].ravel()[0])
        print(
            f"  300 M gas devnet: total {run.latency_s * 1000:.0f} ms = validate+encode {t['validate_encode'] * 1000:.0f} ms"
            f" + ABI {t['abi_encode'] * 1000:.0f} ms + estimate/sign/send(mined) {t['estimate_sign_send'] * 1000:.0f} ms"
            f" + receipt {t['receipt_wait'] * 1000:.0f} ms + decode {t['decode'] * 1000:.0f} ms; gas used {run.gas_used:,};"
            f" sum {got:.3f} (numpy {float(x.sum(dtype=np.float64)):.3f})"
        )
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    import httpx

    from og_tui.core.devnet_proc import ensure_devnet

    with tempfile.TemporaryDirectory(prefix="og-bench-inf-") as tmp:
        port = free_port()
        handle = ensure_devnet("127.0.0.1", port, data_dir=Path(tmp) / "devnet", timeout=60)
        try:
            info = httpx.get(handle.url + "/devnet/info").json()
            _latency(handle.url, info)
            _big_input(Path(tmp), handle.url, info)
        finally:
            handle.stop()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
