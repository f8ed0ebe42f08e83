"""og_tui.sdk.v1's ``LLM`` beside opengradient 1.1.4's own ``og.LLM``, on one devnet.

Both run tests/compat/scenario_1x_llm.py (the reference in its 1.x environment, pointed at the
devnet with ``use_devnet`` only): OPG approval, chat in both settlement modes, completion,
tools, ``response_format`` json_schema, a stream and a stream with tools. The built-in model
answers the same request with the same text, so contents compare exactly; settlement ids and
signatures differ per payment, so for those the test compares which fields are set.
og_tui.sdk.v1 adds ``payment_hash``, ``tee_verification`` (the registry check), and usage and
finish reason on a completion; nothing else may differ.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account

from og_tui.core import constants
from og_tui.core.chain import ChainClient
from og_tui.core.tee import discover

from .refenv import reference_python

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
SCENARIO = Path(__file__).with_name("scenario_1x_llm.py")
CALLS = ("private", "batch", "completion", "tools", "structured")
STREAMS = ("stream", "stream_tools")
OURS_ONLY = {"payment_hash", "tee_verification"}


def _run(python: str, which: str, devnet) -> dict:
    acct = Account.create()
    assert devnet.post("/faucet", {"address": acct.address})[0] == 200
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV",)}
    env.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(
        [python, str(SCENARIO), which, devnet.url, acct.key.hex()],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, f"{which}: {proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def both(devnet):
    ref = _run(reference_python(generation=1), "ref", devnet)
    ours = _run(sys.executable, "ogtui", devnet)
    with ChainClient(devnet.rpc_url) as chain:
        ids = [t.tee_id[2:].lower() for t in discover(chain, constants.TEE_REGISTRY_ADDRESS)]
    return ours, ref, ids, devnet


def test_the_same_requests_get_the_same_answers(both):
    ours, ref, _ids, _devnet = both
    for name in CALLS:
        for key in ("type", "content", "tool_calls", "endpoint", "payment_address", "tee_id", "timestamp_type"):
            assert ours[name][key] == ref[name][key], (name, key, ours[name][key], ref[name][key])
        if name != "completion":  # 1.1.4 keeps neither usage nor finish reason of a completion
            assert ours[name]["usage"] == ref[name]["usage"] and ours[name]["finish"] == ref[name]["finish"], name
    assert ours["completion"]["usage"]["completion_tokens"] > 0 and ours["completion"]["finish"]
    assert ours["tools"]["tool_calls"] == [["get_price", {"symbol": "ETH"}]]
    trip = json.loads(ours["structured"]["content"])
    assert set(trip) == {"city", "days"} and trip["days"] >= 1


def test_results_have_1x_fields_and_set_the_same_ones(both):
    ours, ref, _ids, _devnet = both
    for name in CALLS:
        assert set(ours[name]["fields"]) == set(ref[name]["fields"]) | {"tee_verification"}, name
        extra = set(ours[name]["set"]) - set(ref[name]["set"])
        allowed = OURS_ONLY | ({"usage", "finish_reason"} if name == "completion" else set())
        assert set(ref[name]["set"]) <= set(ours[name]["set"]) and extra <= allowed, (name, extra)


def test_settlement_modes_and_signed_replies_from_a_registered_tee(both):
    ours, ref, ids, devnet = both
    assert ids
    for side in (ours, ref):
        assert side["private"]["tx"] and side["private"]["blob"] is None
        assert side["batch"]["blob"] and side["batch"]["tx"] is None
        for name in CALLS:
            assert side[name]["tee_id"] in ids and side[name]["endpoint"].startswith("https://"), name
    for name in CALLS:
        assert ours[name]["verified"] == [True, ""], (name, ours[name]["verified"])
    with ChainClient(devnet.rpc_url) as chain:
        assert chain.wait_receipt(ours["private"]["tx"])["status"] == "0x1"


def test_streams_match(both):
    ours, ref, ids, _devnet = both
    for name in STREAMS:
        o, r = ours[name], ref[name]
        for key in ("types", "text", "finals", "tool_calls"):
            assert o[key] == r[key], (name, key, o[key], r[key])
        assert o["final"] == r["final"], name
        assert set(o["final_set"]) - set(r["final_set"]) == {"tee_verification"}, name
        assert o["final"]["tee_id"] in ids and o["final"]["signed"]
        assert o["verified"] == [True, ""], o["verified"]
    assert ours["stream"]["text"] == ours["private"]["content"]  # the same request, streamed
    assert ours["stream_tools"]["tool_calls"] == [["get_price", {"symbol": "ETH"}]]


def test_opg_approval_is_sent_once(both):
    ours, ref, _ids, _devnet = both
    for side in (ours, ref):
        first, again = side["approval"], side["approval_again"]
        assert first["allowance_before"] == 0 and first["allowance_after"] == 2 * 10**18
        assert re.fullmatch(r"[0-9a-f]{64}", first["tx_hash"]), first
        assert again == {"allowance_before": 2 * 10**18, "allowance_after": 2 * 10**18, "tx_hash": None}
