"""Unit tests: fast ABI codec vs eth_abi, templates/validation, attestation, dispatch hook."""

from __future__ import annotations

import numpy as np
import pytest
from eth_abi import decode, encode
from hypothesis import given, settings
from hypothesis import strategies as st

from og_tui.core import inference_abi as A
from og_tui.core.abi import event_topic, selector
from og_tui.core.errors import ValidationError
from og_tui.core.inference import calldata_gas, input_problems, input_template, parse_mode

int128 = st.integers(min_value=-(2**127), max_value=2**127 - 1)
names = st.text(max_size=8)
number_tensor = st.tuples(
    names, st.lists(st.tuples(int128, int128), max_size=6), st.lists(st.integers(0, 2**32 - 1), max_size=3)
)
string_tensor = st.tuples(names, st.lists(st.text(max_size=6), max_size=4))
model_input = st.tuples(st.lists(number_tensor, max_size=3), st.lists(string_tensor, max_size=3))
model_output = st.tuples(
    st.lists(number_tensor, max_size=3),
    st.lists(string_tensor, max_size=2),
    st.lists(st.tuples(names, st.text(max_size=10)), max_size=2),
    st.booleans(),
)


def _norm(x):
    if isinstance(x, (list, tuple)):
        return [_norm(v) for v in x]
    return x


def test_selectors_and_topics_match_the_abis():
    assert A.RUN_SELECTOR == selector("inference_hub", "run")
    assert A.RUN_MODEL_INFERENCE_SELECTOR == selector("inference_precompile", "runModelInference")
    assert A.INFERENCE_RESULT_TOPIC == event_topic("inference_hub", "InferenceResult")
    assert A.MODEL_INFERENCE_EVENT_TOPIC == event_topic("inference_precompile", "ModelInferenceEvent")


@settings(max_examples=150, deadline=None)
@given(cid=st.text(max_size=10), mode=st.integers(0, 255), mi=model_input)
def test_run_call_matches_eth_abi(cid, mode, mi):
    data = A.encode_run_call(cid, mode, mi)
    assert data[4:] == encode(["string", "uint8", A.MODEL_INPUT], [cid, mode, mi])
    got = A.decode_run_args(data[4:])
    assert _norm(got) == _norm((cid, mode, mi))


@settings(max_examples=150, deadline=None)
@given(mo=model_output)
def test_model_output_matches_eth_abi(mo):
    enc = encode([A.MODEL_OUTPUT], [mo])
    assert enc[32:] == A.encode_model_output_tail(mo)
    assert _norm(A.decode_model_output(enc, 32)) == _norm(decode([A.MODEL_OUTPUT], enc)[0])


def test_decoder_rejects_garbage():
    with pytest.raises(A.AbiDecodeError):
        A.decode_run_args(b"\x00" * 31)
    with pytest.raises(A.AbiDecodeError):
        A.decode_run_args((2**200).to_bytes(32, "big") * 3)


def test_calldata_gas_uses_the_eip7623_floor():
    assert calldata_gas(b"") == 21_000
    assert calldata_gas(b"\x00" * 100) == 21_000 + 10 * 100
    assert calldata_gas(b"\x01" * 100) == 21_000 + 40 * 100


def test_parse_mode():
    assert parse_mode("tee") == 2 and parse_mode(1) == 1 and parse_mode("VANILLA") == 0
    with pytest.raises(ValidationError):
        parse_mode("fast")
    with pytest.raises(ValidationError):
        parse_mode(True)


SIG = {
    "inputs": [
        {"name": "x", "dtype": "float32", "shape": [None, 3]},
        {"name": "k", "dtype": "int64", "shape": [2]},
        {"name": "w", "dtype": "string", "shape": [None]},
    ],
    "outputs": [{"name": "y", "dtype": "float32", "shape": [None, 1]}],
}


def test_input_template_and_problems():
    t = input_template(SIG)
    assert t == {"x": [[0.0, 0.0, 0.0]], "k": [0, 0], "w": [""]}
    arrays = input_template(SIG, as_arrays=True)
    assert arrays["x"].dtype == np.float32 and arrays["k"].dtype == np.int64
    assert input_problems(t, SIG) == []
    bad = input_problems({"x": [[1.0, 2.0]], "k": [1.5, 2], "w": [1.0], "zzz": [1]}, SIG)
    by_name = dict(bad)
    assert "shape [1, 2]" in by_name["x"] and "[?, 3]" in by_name["x"]
    assert "integers" in by_name["k"] and "strings" in by_name["w"] and "Unknown input" in by_name["zzz"]
    assert dict(input_problems({"x": [[float("nan"), 1.0, 2.0]], "k": [1, 2], "w": ["a"]}, SIG))["x"].count("NaN") == 1
    assert input_problems({}, SIG) == [("", "The input is empty.")]


def test_dispatch_hook_registration():
    from og_tui.devnet import inference_hub as H

    calls = []
    sel = H.register_hub_method("devnetTestMethod(uint256)", lambda call: calls.append(call) or b"ok", name="test")
    try:
        assert H.hub_methods()[sel] == "test"
        with pytest.raises(ValueError, match="already handled"):
            H.register_hub_method(sel, lambda call: b"")
        with pytest.raises(ValueError, match="already handled"):
            H.register_hub_method(A.RUN_SELECTOR, lambda call: b"")  # run is reserved
        with pytest.raises(ValueError, match="already handled"):
            H.register_precompile_method("0x7289e9c2", lambda call: b"")

        class FakeCall:
            value = 0
            selector = sel
            data = sel + b"\x00" * 32

        hub = H.InferenceHub(service=None)
        assert hub(FakeCall()) == b"ok" and len(calls) == 1
    finally:
        H._HUB_METHODS.pop(sel, None)


def test_attestation_key_signs_what_the_client_verifies(tmp_path):
    from og_tui.core.inference import _attestation_digest, _recover
    from og_tui.devnet.inference_hub import AttestationKey, attestation_digest

    key = AttestationKey(tmp_path / "k")
    again = AttestationKey(tmp_path / "k")
    assert key.address == again.address  # persisted per data dir
    assert oct((tmp_path / "k").stat().st_mode & 0o777) == "0o600"
    d = attestation_digest(107401, "cid", 2, b"\x01" * 32, b"\x02" * 32)
    assert d == _attestation_digest(107401, "cid", 2, b"\x01" * 32, b"\x02" * 32)
    assert _recover(d, key.sign(d)) == key.address


@pytest.fixture
def node_api():
    """A real HTTP node API on a free port; ``answers[id]`` is the ``model_output`` it returns."""
    import base64
    import http.server
    import json
    import threading

    from og_tui.core.inference import NODE_API_PATH

    answers: dict = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            inference_id = self.path[len(NODE_API_PATH) :]
            payload = {"InferenceResult": {"VanillaResult": {"model_output": answers[inference_id]}}}
            body = json.dumps({"inference_results": [base64.b64encode(json.dumps(payload).encode()).decode()]})
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", answers
    finally:
        server.shutdown()
        server.server_close()


def test_node_result_must_be_a_json_object(node_api):
    from og_tui.core.chain import ChainClient
    from og_tui.core.inference import InferenceClient, NodeApiError

    url, answers = node_api
    answers["good"] = {"numbers": [], "strings": [], "jsons": []}
    answers["list"] = [1, 2, 3]
    answers["text"] = "3.5"
    chain = ChainClient("http://127.0.0.1:9")  # never called: the node API is plain HTTP
    client = InferenceClient(chain, "0x" + "11" * 20, url)
    try:
        assert client.fetch_node_result("good") == answers["good"]
        for bad in ("list", "text"):
            with pytest.raises(NodeApiError, match="no model_output"):
                client.fetch_node_result(bad)
    finally:
        client.close()
        chain.close()
