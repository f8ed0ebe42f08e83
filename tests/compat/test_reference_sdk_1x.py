"""The newest reference SDK's split clients (``opengradient`` 1.x ``ModelHub`` and ``Alpha``)
against a devnet, pointed there with ``og_tui.devnet.compat.use_devnet`` only, side by side
with og_tui.sdk's ``ModelHub`` and ``Alpha``: the same scenario, the same results.

The reference environment is built by ``make test`` (``.venv-ref1``, see the Makefile).
"""

from __future__ import annotations

import sys

import pytest

from .refenv import reference_python
from .test_reference_sdk_compat import _onnx, _result, _sign_up, _start

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def results(devnet, tmp_path_factory):
    """The scenario, run by the reference SDK and by og_tui.sdk at once on the shared devnet, each
    with its own wallet, hub account and model (named by its process id)."""
    python = reference_python(generation=1)
    dn = devnet
    procs = {}
    for i, which in enumerate(("ref", "ogtui")):
        workdir = tmp_path_factory.mktemp(f"compat1x-{which}")
        _onnx(workdir / "model.onnx")
        email = f"compat1x-{which}@example.org"
        _sign_up(dn.url, email)
        key = dn.info["dev_accounts"][6 + i]["private_key"]
        exe = python if which == "ref" else sys.executable
        procs[which] = _start(exe, which, dn.url, email, key, workdir, script="scenario_1x.py")
    return {which: _result(proc) for which, proc in procs.items()}


@pytest.mark.parametrize("name", ["hub", "hub_errors", "infer_vanilla"])
def test_same_result_field_by_field(results, name):
    ref, ours = results["ref"][name], results["ogtui"][name]
    assert "error" not in ref, f"reference SDK {name}: {ref.get('error')}\n{ref.get('trace')}"
    assert "error" not in ours, f"og_tui.sdk {name}: {ours.get('error')}\n{ours.get('trace')}"
    assert ours == ref


def test_reference_results_are_real(results):
    ref = results["ref"]
    assert ref["hub"]["repo"]["initialVersion"] == "0.01" and ref["hub"]["version"] == {"versionString": "0.02"}
    assert ref["hub"]["files"][0]["name"] == "model.onnx" and ref["hub"]["upload"]["size"] > 0
    assert ref["hub"]["types"] == ["ModelHub", "ModelRepository", "FileUploadResult"]
    assert ref["hub_errors"] == {"missing_file": "FileNotFoundError", "wrong_password": "refused"}
    assert ref["infer_vanilla"]["tx_len"] == 64
    assert abs(ref["infer_vanilla"]["output"]["output"]["ndarray"][0][0] - 8.16166) < 1e-4


def test_alpha_workflow_same_shape(results):
    ref, ours = results["ref"]["alpha_workflow"], results["ogtui"]["alpha_workflow"]
    assert "error" not in ref, ref.get("trace")
    assert "error" not in ours, ours.get("trace")
    assert ref["address_len"] == ours["address_len"] == 42
    assert ref["run_type"] == ours["run_type"] == "ModelOutput"
    assert ref["run_shapes"] == ours["run_shapes"] and ref["run_shapes"]
    assert ref["latest_equals_run"] and ours["latest_equals_run"]
    assert ref["history_len_ge_1"] and ours["history_len_ge_1"]
    assert ref["history_type"] == ours["history_type"] == "ModelOutput"
