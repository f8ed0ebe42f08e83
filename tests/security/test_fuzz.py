"""Property-based fuzzing: whatever comes in, a valid answer or a refusal, never a 5xx or a crash.

- The JSON-RPC dispatcher in-process (``RpcDispatcher.respond`` on a real chain): every
  answer is valid JSON-RPC, and no error is an internal one (-32603, the 5xx of JSON-RPC).
- Every route over HTTP against a real devnet (a bounded number of examples): the status
  is below 500, and the process is alive afterwards.
"""

from __future__ import annotations

import json
import math

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.helpers import assert_alive

pytestmark = pytest.mark.e2e

HEX = st.sampled_from(
    [
        "0x",
        "0x0",
        "0x1",
        "0xff",
        "0x" + "11" * 20,
        "0x" + "ab" * 32,
        "0x5b600056",
        "0xzz",
        "0x" + "f" * 80,
        "latest",
        "pending",
        "earliest",
        "-1",
        "0X10",
        "1e3",
        "",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**300), max_value=2**300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    HEX,
)
KEYS = st.sampled_from(
    [
        "from",
        "to",
        "data",
        "input",
        "gas",
        "value",
        "gasPrice",
        "maxFeePerGas",
        "nonce",
        "fromBlock",
        "toBlock",
        "address",
        "topics",
        "blockHash",
        "blockNumber",
        "x",
    ]
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=12,
)


def _methods() -> list[str]:
    from og_tui.devnet.rpc import RpcDispatcher

    return sorted(name[4:] for name in dir(RpcDispatcher) if name.startswith("rpc_"))


METHOD = st.one_of(st.sampled_from(_methods()), st.text(max_size=20), st.integers(), st.none())
REQUEST = st.fixed_dictionaries(
    {"jsonrpc": st.sampled_from(["2.0", "2.0", "2.0", "1.0", 2])},
    optional={"id": VALUES, "method": METHOD, "params": st.one_of(st.lists(VALUES, max_size=4), VALUES)},
)
PAYLOAD = st.one_of(REQUEST, st.lists(REQUEST, max_size=5), VALUES)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    from og_tui.devnet.limits import DevnetLimits
    from og_tui.devnet.node import DevnetNode

    node = DevnetNode(
        tmp_path_factory.mktemp("fuzz") / "data", limits=DevnetLimits(gas_cap=2_000_000, evm_timeout=1, max_filters=50)
    )
    yield node
    node.close()


def _check_answer(item, request_ids: list) -> None:
    assert isinstance(item, dict) and item.get("jsonrpc") == "2.0"
    assert ("result" in item) != ("error" in item)
    rid = item["id"]
    assert rid is None or isinstance(rid, (str, int)) or (isinstance(rid, float) and math.isfinite(rid))
    if "error" in item:
        error = item["error"]
        assert isinstance(error["code"], int) and isinstance(error["message"], str) and error["message"]
        assert error["code"] != -32603, error  # an internal error: the dispatcher broke on this input


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=PAYLOAD)
def test_dispatcher_answers_everything(node, payload):
    raw = node.rpc.respond(payload)
    if raw is None:  # notifications only
        return
    answer = json.loads(raw)
    items = answer if isinstance(answer, list) else [answer]
    assert items
    for item in items:
        _check_answer(item, [])


# --- over HTTP -------------------------------------------------------------------------------------------

ROUTES = st.sampled_from(
    [
        ("POST", "/rpc"),
        ("POST", "/faucet"),
        ("GET", "/health"),
        ("GET", "/devnet/info"),
        ("POST", "/v1/chat/completions"),
        ("POST", "/v1/completions"),
        ("GET", "/v1/models"),
        ("GET", "/v1/x402/settlements/0x" + "00" * 32),
        ("POST", "/auth/v1/accounts:signUp"),
        ("POST", "/auth/v1/accounts:signInWithPassword"),
        ("POST", "/auth/v1/token"),
        ("GET", "/api/v0/models"),
        ("POST", "/api/v0/models"),
        ("GET", "/api/v0/files/bafy"),
        ("GET", "/devnet/inference"),
        ("POST", "/api/v0/models/x/versions/1/files"),
        ("GET", "/artela-network/artela-rollkit/inference/tx/x"),
    ]
)
BODIES = st.one_of(
    VALUES.map(lambda v: json.dumps(v).encode()),
    st.builds(
        lambda m, msgs, n: json.dumps({"model": m, "messages": msgs, "max_tokens": n}).encode(),
        st.sampled_from(["og-devnet/mini", "nope", None]),
        VALUES,
        SCALARS,
    ),
    st.binary(max_size=200),
    st.sampled_from([b"[" * 5000, b'{"a":' * 100, b"", b"\xff\xfe", b'"\\', b"NaN", b"1e999999"]),
)
HEADERS = st.dictionaries(
    st.sampled_from(["X-PAYMENT", "Authorization", "X-SETTLEMENT-TYPE", "Content-Type"]),
    st.one_of(
        st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80),
        st.sampled_from(
            [
                "Bearer a.b.c",
                "Bearer " + "A" * 50,
                "eyJ4NDAyVmVyc2lvbiI6MX0=",
                "application/json",
                "settle",
                "batch",
                "W1tbW1tbW1tbWw==",
            ]
        ),
    ),
    max_size=3,
)


@pytest.fixture(scope="module")
def devnet(devnet_factory):
    proc = devnet_factory(extra_args=["--rpc-evm-timeout", 1])
    yield proc
    proc.stop()


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(route=ROUTES, body=BODIES, headers=HEADERS)
def test_no_input_gets_a_5xx(devnet, route, body, headers):
    method, path = route
    headers = {"Content-Type": "application/json", **headers}
    resp = httpx.request(
        method, devnet.url + path, content=body if method == "POST" else None, headers=headers, timeout=60
    )
    assert resp.status_code < 500, (resp.status_code, resp.text[:500])


def test_devnet_alive_after_fuzzing(devnet):
    assert_alive(devnet)
