"""og_tui.sdk.v1 has the names, ``LLM`` methods, parameters and defaults, enum members and result
fields of ``opengradient`` 1.x.

The reference's side is read from opengradient==1.1.4 itself, in its own environment;
og_tui.sdk.v1 may add keyword-only parameters after the reference's (``profile``) and fields
after the reference's (``tee_verification``).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import subprocess

import pytest

from .refenv import SIG_SOURCE, reference_python
from .test_api_parity import _sig

DUMP = (
    SIG_SOURCE
    + r"""
import dataclasses, inspect, json
from enum import Enum
import opengradient as og
from opengradient.client.opg_token import Permit2ApprovalResult
from opengradient.types import StreamChunk


llm = {n: sig(getattr(og.LLM, n)) for n in vars(og.LLM)
       if (not n.startswith("_") or n == "__init__") and callable(getattr(og.LLM, n))}
coroutines = sorted(n for n in llm if inspect.iscoroutinefunction(getattr(og.LLM, n)))
fields = {c.__name__: [[f.name, "<required>" if f.default is dataclasses.MISSING else repr(f.default)]
                      for f in dataclasses.fields(c)]
          for c in (og.TextGenerationOutput, StreamChunk, og.ResponseFormat, Permit2ApprovalResult,
                    og.HistoricalInputQuery, og.SchedulerParams)}
enums = {e.__name__: [[m.name, m.value] for m in e]
         for e in (og.TEE_LLM, og.x402SettlementMode, og.InferenceMode, og.CandleType, og.CandleOrder)}
print(json.dumps({"all": og.__all__, "llm": llm, "coroutines": coroutines, "fields": fields, "enums": enums}))
"""
)

# 1.1.4's names this surface does not cover: other clients (twins, confidential OHTTP chat, chat
# account login) and its verification building blocks; og_tui.core.tee / tee_proof do that work.
NOT_COVERED = {
    "Twins",
    "agents",
    "alphasense",
    "ConfidentialLLM",
    "login_chat_account",
    "ChatAccountAuth",
    "TEERegistry",
    "TEEEndpoint",
    "OhttpRelayClient",
    "VerifiedChatResponse",
    "RelayError",
    "TeeProof",
    "VerificationError",
    "build_inner_request",
    "verify_response",
}
# og.LLM methods for relays that route OHTTP ciphertext themselves (an x402 httpx client per TEE)
LLM_NOT_COVERED = {"resolve_tee_connection", "aresolve_tee_connection", "ensure_tee_refresh_loop"}


@pytest.fixture(scope="module")
def reference():
    proc = subprocess.run([reference_python(generation=1), "-c", DUMP], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_exported_names(reference):
    import og_tui.sdk.v1 as og

    assert NOT_COVERED <= set(reference["all"]), NOT_COVERED - set(reference["all"])
    covered = [n for n in reference["all"] if n not in NOT_COVERED]
    assert "LLM" in covered and "x402SettlementMode" in covered
    missing = [n for n in covered if not hasattr(og, n) or n not in og.__all__]
    assert not missing, missing


def test_llm_methods_parameters_and_defaults(reference):
    import og_tui.sdk.v1 as og

    assert LLM_NOT_COVERED <= set(reference["llm"])
    for name, params in reference["llm"].items():
        if name in LLM_NOT_COVERED:
            continue
        assert hasattr(og.LLM, name), f"LLM.{name}"
        fn = getattr(og.LLM, name)
        ours = _sig(fn)
        assert ours[: len(params)] == params, f"LLM.{name}: {ours} != {params}"
        kinds = {p.name: p.kind for p in inspect.signature(fn).parameters.values()}
        extra = ours[len(params) :]
        assert all(kinds[p] is inspect.Parameter.KEYWORD_ONLY for p, _ in extra), f"LLM.{name}: {extra}"
        assert inspect.iscoroutinefunction(fn) == (name in reference["coroutines"]), f"LLM.{name} async?"
    assert {"chat", "completion", "close"} <= set(reference["coroutines"])


def test_enum_members_and_values(reference):
    import og_tui.sdk.v1 as og

    for name, members in reference["enums"].items():
        assert [[m.name, m.value] for m in getattr(og, name)] == members, name


def test_result_fields_and_defaults(reference):
    import og_tui.sdk.v1 as og

    for name, fields in reference["fields"].items():
        ours = [
            [f.name, "<required>" if f.default is dataclasses.MISSING else repr(f.default)]
            for f in dataclasses.fields(getattr(og, name))
        ]
        assert ours[: len(fields)] == fields, name
        assert [n for n, _ in ours[len(fields) :]] in ([], ["tee_verification"]), name
