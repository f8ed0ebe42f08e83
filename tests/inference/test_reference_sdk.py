"""The reference SDK (opengradient==0.5.13) runs ``infer`` against devnet, unmodified.

It needs its own interpreter (its dependencies must not enter our venv): ``make test``
builds it once (``.venv-ref``) and sets ``OG_TUI_REFERENCE_SDK_PYTHON``; run by hand
(plain pytest, without that variable) it is skipped. tests/compat/ covers every other
function of the SDK the same way.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

pytestmark = pytest.mark.e2e

SCRIPT = r"""
import json, sys
import numpy as np
import opengradient as og
rpc, api, hub, key, cids = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
og.init(None, None, key, rpc_url=rpc, api_url=api, contract_address=hub)
out = {}
r = og.infer(cids["linear-regression"], og.InferenceMode.VANILLA, {"input": np.arange(12, dtype=np.float32).reshape(1, 3, 4)})
out["vanilla"] = {"tx": r.transaction_hash, "output": r.model_output["output"].tolist()}
r = og.infer(cids["weather-advice"], og.InferenceMode.TEE, {"weather": ["rainy", "sunny"]})
out["tee"] = {"advice": r.model_output["advice"].tolist(), "has_attestation": "tee_attestation" in r.model_output}
r = og.infer(cids["big"], og.InferenceMode.VANILLA, {"x": [1.5]})
out["fallback"] = {"n": int(r.model_output["y"].size), "first": float(r.model_output["y"].ravel()[0])}
try:
    og.infer(cids["linear-regression"], og.InferenceMode.ZKML, {"input": np.zeros((1, 3, 4), dtype=np.float32)})
    out["zkml"] = "accepted"
except Exception as exc:
    out["zkml"] = str(exc)
print(json.dumps(out))
"""


def test_reference_sdk_infer_against_devnet(inf, hub_uploader):
    python = os.environ.get("OG_TUI_REFERENCE_SDK_PYTHON")
    if not python or not os.path.exists(python):
        pytest.skip("set OG_TUI_REFERENCE_SDK_PYTHON to a python with opengradient==0.5.13 installed")
    probe = subprocess.run([python, "-c", "import opengradient"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        pytest.skip(f"opengradient does not import there: {probe.stderr.strip().splitlines()[-1:]}")
    import models_for_tests as M

    cids = dict(inf.cids, big=hub_uploader(M.big_output(5000), "big.onnx"))
    key = inf.devnet.info["dev_accounts"][7]["private_key"]
    proc = subprocess.run(
        [python, "-c", SCRIPT, inf.devnet.rpc_url, inf.devnet.url, inf.hub_address, key, json.dumps(cids)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(out["vanilla"]["tx"]) == 64
    assert abs(out["vanilla"]["output"][0][0] - 8.161657) < 1e-4
    assert out["tee"] == {"advice": ["umbrella", "sunglasses"], "has_attestation": True}
    assert out["fallback"] == {"n": 5000, "first": 1.5}  # via the node API route
    assert "devnet cannot produce ZKML proofs" in out["zkml"]
