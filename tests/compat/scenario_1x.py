"""The SDK 1.x split clients (``ModelHub``, ``Alpha``), run by ``opengradient`` 1.x (``ref``) or og_tui.sdk.

    python scenario_1x.py ref|ogtui DEVNET_URL EMAIL PASSWORD PRIVATE_KEY WORKDIR

Prints one JSON line, each section's normalized result or ``{"error": "..."}``. The
reference is pointed at the devnet with ``og_tui.devnet.compat.use_devnet`` only;
og_tui.sdk gets the devnet's ``rpc_url`` (Alpha) and ``profile``-free hub URLs from it.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np
from scenario_common import norm, sections

which, url, email, password, key, workdir = sys.argv[1:7]

if which == "ref":
    import opengradient as og

    from og_tui.devnet.compat import use_devnet

    use_devnet(og, url)
    hub = og.ModelHub(email=email, password=password)
    alpha = og.Alpha(private_key=key)
else:
    import og_tui.sdk as og

    hub = og.ModelHub(email=email, password=password, rpc_url=f"{url}/rpc")
    alpha = og.Alpha(private_key=key, rpc_url=f"{url}/rpc")

out: dict = {}


section = sections(out)


def cid_of(model, version="0.01"):
    return next(f["ipfsCid"] for f in hub.list_files(model, version) if f["name"].endswith(".onnx"))


MODEL = f"compat1x-{which}-{os.getpid()}"


@section("hub")
def _hub():
    repo = hub.create_model(MODEL, "compat scenario")
    version = hub.create_version(MODEL, "second")
    up = hub.upload(os.path.join(workdir, "model.onnx"), MODEL, version["versionString"])
    files = hub.list_files(MODEL, version["versionString"])
    return {
        "repo": {"name": repo.name.replace(MODEL, "<model>"), "initialVersion": repo.initialVersion},
        "version": version,
        "upload": {"cid_len": len(up.modelCid), "size": up.size},
        "files": [{k: f[k] for k in ("name", "size", "ipfsCid") if k in f} for f in files],
        "types": [type(hub).__name__, type(repo).__name__, type(up).__name__],
    }


@section("hub_errors")
def _hub_errors():
    try:
        hub.upload(os.path.join(workdir, "missing.onnx"), MODEL, "0.01")
    except FileNotFoundError:
        missing = "FileNotFoundError"
    except Exception as exc:
        missing = type(exc).__name__
    try:
        type(hub)(email=email, password=password + "-wrong", **({} if which == "ref" else {"rpc_url": f"{url}/rpc"}))
        wrong = None
    except Exception:
        wrong = "refused"
    return {"missing_file": missing, "wrong_password": wrong}


@section("infer_vanilla")
def _vanilla():
    r = alpha.infer(
        cid_of("linear-regression"),
        og.InferenceMode.VANILLA,
        {"input": np.arange(12, dtype=np.float32).reshape(1, 3, 4)},
    )
    return {"tx_len": len(r.transaction_hash), "output": r.model_output, "type": type(r).__name__}


@section("alpha_workflow")
def _workflow():
    query = og.HistoricalInputQuery(
        base="ETH",
        quote="USD",
        total_candles=10,
        candle_duration_in_mins=60,
        order=og.CandleOrder.ASCENDING,
        candle_types=[og.CandleType.OPEN, og.CandleType.HIGH, og.CandleType.LOW, og.CandleType.CLOSE],
    )
    address = alpha.new_workflow(
        cid_of("price-forecast-1h"), query, "open_high_low_close", og.SchedulerParams(frequency=60, duration_hours=1)
    )
    ran = alpha.run_workflow(address)
    latest = alpha.read_workflow_result(address)
    history = alpha.read_workflow_history(address, 5)
    return {
        "address_len": len(address),
        "run_shapes": {k: list(np.asarray(v).shape) for k, v in ran.numbers.items()},
        "run_type": type(ran).__name__,
        "latest_equals_run": norm(latest) == norm(ran),
        "history_len_ge_1": len(history) >= 1,
        "history_type": type(history[0]).__name__,
    }


print(json.dumps(out))
