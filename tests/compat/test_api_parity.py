"""og_tui.sdk has the reference SDK's API: names, parameters and defaults, types, exceptions.

The reference's side is read from opengradient==0.5.13 itself, in its own environment.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from .refenv import SIG_SOURCE, reference_python, signature_of

DUMP = (
    SIG_SOURCE
    + r"""
import inspect, json
from enum import Enum
import opengradient as og
from opengradient import client as C, types as T, exceptions as E, x402_auth as X


methods = {n: sig(getattr(C.Client, n)) for n, f in vars(C.Client).items()
           if not n.startswith("_") and callable(f)}
methods["__init__"] = sig(C.Client.__init__)
module = {n: sig(getattr(og, n)) for n in ("init", "new_client", "upload", "create_model", "create_version",
                                           "infer", "llm_completion", "llm_chat", "list_files")}
types = sorted(n for n, v in vars(T).items() if isinstance(v, type) and v.__module__ == T.__name__)
excs = sorted(n for n, v in vars(E).items() if isinstance(v, type) and issubclass(v, Exception) and v.__module__ == E.__name__)
enums = {n: {m.name: m.value for m in getattr(T, n)} for n in ("LLM", "TEE_LLM", "x402SettlementMode", "CandleType", "CandleOrder", "InferenceMode", "LlmInferenceMode")}
from opengradient import defaults as D
consts = {n: v for n, v in vars(D).items() if n.startswith("DEFAULT_")}
print(json.dumps({"defaults": consts, "methods": methods, "module": module, "types": types, "exceptions": excs,
                  "x402auth": sig(X.X402Auth.__init__), "enums": enums}))
"""
)


@pytest.fixture(scope="module")
def reference():
    proc = subprocess.run([reference_python(), "-c", DUMP], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


_sig = signature_of


def test_client_methods_same_parameters_and_defaults(reference):
    from og_tui.sdk import Client

    for name, params in reference["methods"].items():
        assert hasattr(Client, name), name
        ours = _sig(getattr(Client, name))
        if name == "alpha":
            continue
        # og-tui adds keyword parameters only after the reference's (e.g. Client(profile=...))
        assert ours[: len(params)] == params, name
        assert all(d != "<required>" for _, d in ours[len(params) :]), name


def test_module_functions_same_parameters_and_defaults(reference):
    import og_tui.sdk as og

    for name, params in reference["module"].items():
        ours = _sig(getattr(og, name))
        assert ours[: len(params)] == params, name
        assert all(d != "<required>" for _, d in ours[len(params) :]), name


def test_every_type_and_exception_exists(reference):
    from og_tui.sdk import exceptions, types

    assert [n for n in reference["types"] if not hasattr(types, n)] == []
    assert [n for n in reference["exceptions"] if not hasattr(exceptions, n)] == []
    for name, members in reference["enums"].items():
        assert {m.name: m.value for m in getattr(types, name)} == members, name


def test_x402auth_parameters(reference):
    from og_tui.sdk.x402_auth import X402Auth

    ours = [p for p, _ in _sig(X402Auth.__init__)]
    assert ours[: len(reference["x402auth"])] == [p for p, _ in reference["x402auth"]]


def test_defaults_module_same_values(reference):
    from og_tui.sdk import defaults

    assert {n: getattr(defaults, n, None) for n in reference["defaults"]} == reference["defaults"]
