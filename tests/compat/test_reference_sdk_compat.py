"""The reference SDK (opengradient==0.5.13) and og_tui.sdk run the same scenario against one devnet.

``scenario.py`` exercises every function of the seed API: init, the Model Hub
(create_model, create_version, upload, list_files), infer (VANILLA, TEE, ZKML refused),
llm_completion / llm_chat on chain and over x402 (three settlement modes, tools,
streaming), X402Auth, alpha (new_workflow with a schedule, run, read, history), the
seven workflow_models, alphasense tools, the LangChain adapter and the SDK exceptions.

The reference runs unmodified in its own environment, pointed at the devnet with
``og_tui.devnet.compat.use_devnet`` only; the devnet serves x402 as ``og-evm``
(``--x402-network og-evm``). og_tui.sdk runs in ours with ``init(rpc_url=...)`` only.
Then both results are compared field by field.

The reference environment is built by ``make test`` (``.venv-ref``, see the Makefile);
``OG_TUI_REFERENCE_SDK_PYTHON`` points elsewhere. Without it the tests fail (they are
not skipped): CI must prove compatibility on every run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from .refenv import ROOT, reference_python

pytestmark = pytest.mark.e2e

SCENARIO = Path(__file__).with_name("scenario.py")
PASSWORD = "Compat-Passw0rd!"


def _sign_up(url: str, email: str) -> None:
    req = urllib.request.Request(
        f"{url}/auth/v1/accounts:signUp",
        method="POST",
        data=json.dumps({"email": email, "password": PASSWORD, "displayName": email.split("@")[0]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200


def _onnx(path: Path) -> None:
    from onnx import TensorProto, helper, save

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    model = helper.make_model(
        helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y]),
        opset_imports=[helper.make_opsetid("", 13)],
    )
    model.ir_version = 8
    save(model, str(path))


def _start(
    python: str, which: str, url: str, email: str, key: str, workdir: Path, script: str = SCENARIO.name
) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen(
        [python, str(SCENARIO.with_name(script)), which, url, email, PASSWORD, key, str(workdir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(workdir),
        env=env,
    )


def _result(proc: subprocess.Popen) -> dict:
    try:
        stdout, stderr = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    assert proc.returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def results(devnet_factory, tmp_path_factory):
    python = reference_python()
    dn = devnet_factory(extra_args=("--x402-network", "og-evm"))
    procs = {}
    for i, which in enumerate(("ref", "ogtui")):  # both at once, each with its own wallet and hub account
        workdir = tmp_path_factory.mktemp(f"compat-{which}")
        _onnx(workdir / "model.onnx")
        email = f"compat-{which}@example.org"
        _sign_up(dn.url, email)
        key = dn.info["dev_accounts"][8 + i]["private_key"]
        procs[which] = _start(python if which == "ref" else sys.executable, which, dn.url, email, key, workdir)
    out = {which: _result(proc) for which, proc in procs.items()}
    out["info"] = dn.info
    return out


SECTIONS = [
    "hub",
    "infer_vanilla",
    "infer_tee",
    "llm_completion_chain",
    "llm_chat_chain",
    "llm_chat_chain_tools",
    "llm_chat_chain_stream",
    "llm_completion_tee",
    "llm_chat_tee_settle",
    "llm_chat_tee_settle-metadata",
    "llm_chat_tee_settle-batch",
    "llm_chat_tee_tools",
    "llm_chat_tee_stream",
    "x402_auth",
    "alphasense",
    "langchain",
    "client",
    "exceptions",
]


def _ok(value, which, name):
    assert not (isinstance(value, dict) and "error" in value), (
        f"{which} {name}: {value.get('error')}\n{value.get('trace')}"
    )


@pytest.mark.parametrize("name", SECTIONS)
def test_same_result_field_by_field(results, name):
    ref, ours = results["ref"][name], results["ogtui"][name]
    _ok(ref, "reference SDK", name)
    _ok(ours, "og_tui.sdk", name)
    assert ours == ref


def test_reference_results_are_real(results):
    ref = results["ref"]
    assert ref["hub"]["repo"]["initialVersion"] == "0.01" and ref["hub"]["version"] == {"versionString": "0.02"}
    assert ref["hub"]["files"][0]["name"] == "model.onnx" and ref["hub"]["upload"]["size"] > 0
    assert ref["infer_vanilla"]["tx_len"] == 64
    assert abs(ref["infer_vanilla"]["output"]["output"]["ndarray"][0][0] - 8.16166) < 1e-4
    assert ref["infer_tee"]["advice"]["ndarray"] == ["umbrella", "sunglasses"]
    assert "tee_attestation" in ref["infer_tee"]["keys"]
    # on chain: empty tool_calls present, stream=True gives the whole result
    assert ref["llm_chat_chain"]["chat_output"]["tool_calls"] == []
    assert ref["llm_chat_chain_stream"]["type"] == "TextGenerationOutput"
    assert ref["llm_chat_chain_tools"]["chat_output"]["tool_calls"] == [
        {"name": "get_price", "arguments": {"symbol": "ETH"}}
    ]
    for mode in ("settle", "settle-metadata", "settle-batch"):
        r = ref[f"llm_chat_tee_{mode}"]
        assert r["tx"] == "external" and r["payment_hash"] is True and r["chat_output"]["content"]
    assert ref["llm_chat_tee_stream"]["n_chunks_gt_1"] and ref["llm_chat_tee_stream"]["final"]
    assert ref["x402_auth"]["status"] == 200 and ref["x402_auth"]["paid"]
    assert ref["langchain"]["type"] == "AIMessage" and ref["langchain"]["content"]
    assert ref["langchain"]["tool_calls"] == [{"name": "get_price", "args": {"symbol": "ETH"}}]
    assert ref["alphasense"]["names"] == ["linear", "eth_volatility", "linear_swarm"]
    assert ref["alphasense"]["run"] == ref["alphasense"]["swarm"] and ref["alphasense"]["read_is_number"]
    assert ref["exceptions"] == {"caught": "OpenGradientError", "has_status": True}
    client = ref["client"]
    assert client["type"] == "Client" and client["chat"]["chat_output"]["content"]
    assert client["tee"]["tx"] == "external" and client["tee"]["completion_output"]
    assert client["repo"] == ["<model>-client", "0.01"] and client["version"] == {"versionString": "1.00"}
    assert client["workflow"] == {"type": "ModelOutput", "numbers": ["Y"]}


def test_zkml_refused_by_both(results):
    for which in ("ref", "ogtui"):
        assert results[which]["infer_zkml"]["refused"] is True, results[which]["infer_zkml"]
    assert results["ogtui"]["infer_zkml"]["class"] == "OpenGradientError"


def test_alpha_workflow_same_shape(results):
    # the price feed moves between the two runs: compare everything but the forecast value
    for which in ("ref", "ogtui"):
        _ok(results[which]["alpha"], which, "alpha")
    ref, ours = results["ref"]["alpha"], results["ogtui"]["alpha"]
    assert ref["address_len"] == ours["address_len"] == 42
    assert ref["latest_equals_run"] and ours["latest_equals_run"]
    assert ref["history_len_ge_1"] and ours["history_len_ge_1"]
    assert ref["history_type"] == ours["history_type"] == "ModelOutput"
    strip = lambda run: {**run, "numbers": {k: v["shape"] for k, v in run["numbers"].items()}}  # noqa: E731
    assert strip(ours["run"]) == strip(ref["run"])


def test_workflow_models_same_shape(results):
    import re

    ref, ours = results["ref"]["workflow_models"], results["ogtui"]["workflow_models"]
    _ok(ref, "ref", "workflow_models")
    _ok(ours, "ogtui", "workflow_models")
    assert sorted(ref) == sorted(ours) and len(ref) == 7
    for name in ref:
        assert ref[name]["type"] == ours[name]["type"] == "WorkflowModelOutput"
        assert re.fullmatch(r"-?\d+\.\d{10}%", ref[name]["result"]), ref[name]
        assert re.fullmatch(r"-?\d+\.\d{10}%", ours[name]["result"]), ours[name]


def test_devnet_info_says_x402_domain_is_devnet_only(results):
    info = results["info"]
    assert info["x402_network"] == "og-evm" and info["x402_chain_id"] == 10740
    assert info["chain_id"] == 107401  # transactions stay devnet-only
    dom = info["x402_domain"]
    assert dom["name"] != "OUSDC" and dom["valid_on_public_networks"] is False
