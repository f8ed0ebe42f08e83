"""On-chain ONNX inference end to end against the shared devnet (real process, real RPC)."""

from __future__ import annotations

import base64
import json

import models_for_tests as M
import numpy as np
import pytest

from og_tui.core import inference_abi as A
from og_tui.core.errors import InsufficientFunds, TxReverted, ValidationError
from og_tui.core.inference import AttestationError, verify_attestation
from og_tui.core.types import InferenceMode, InferenceResult

pytestmark = pytest.mark.e2e


def _local_run(sample, inputs: dict) -> dict:
    import onnxruntime as ort

    sess = ort.InferenceSession(sample.data, providers=["CPUExecutionProvider"])
    feeds = {}
    for spec in sess.get_inputs():
        value = inputs[spec.name]
        if spec.type == "tensor(string)":
            feeds[spec.name] = np.array(value, dtype=object)
        else:
            feeds[spec.name] = np.asarray(value, dtype=np.float32)
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feeds)))


def _sample_input(sample, rng) -> dict:
    out = {}
    for name, value in sample.example_input.items():
        arr = np.asarray(value)
        if arr.dtype.kind == "f":
            arr = (arr * (1 + 0.05 * rng.standard_normal(arr.shape))).astype(np.float32)
        out[name] = arr
    return out


def test_every_sample_vanilla_matches_onnxruntime(inf):
    rng = np.random.default_rng(7)
    for name, sample in inf.samples.items():
        inputs = _sample_input(sample, rng)
        run = inf.client.infer(inf.signer, inf.cids[name], InferenceMode.VANILLA, inputs)
        assert isinstance(run, InferenceResult)
        assert len(run.transaction_hash) == 64 and not run.transaction_hash.startswith("0x")
        assert run.block > 0 and run.gas_used > 21_000 and run.source == "event"
        expected = _local_run(sample, inputs)
        assert set(run.model_output) == set(expected), name
        for key, want in expected.items():
            got = run.model_output[key]
            if want.dtype.kind in "OU":
                assert got.tolist() == list(want.ravel()), (name, key)
            else:
                assert got.dtype == np.float32 and got.shape == want.shape, (name, key)
                np.testing.assert_allclose(got, want.astype(np.float32), rtol=1e-6, atol=0, err_msg=f"{name}.{key}")


def test_receipt_has_precompile_event_then_hub_event(inf):
    run = inf.client.infer(inf.signer, inf.cids["weighted-sum"], "VANILLA", inf.samples["weighted-sum"].example_input)
    receipt = inf.chain.get_receipt(run.tx_hash)
    logs = receipt["logs"]
    assert [entry["address"].lower() for entry in logs] == [
        inf.devnet.info["contracts"]["inference_precompile"].lower(),
        inf.hub_address.lower(),
    ]
    assert logs[0]["topics"][0] == "0x" + A.MODEL_INFERENCE_EVENT_TOPIC.hex()
    assert logs[1]["topics"][0] == "0x" + A.INFERENCE_RESULT_TOPIC.hex()
    # the precompile event decodes with eth_abi too, and names the request
    from eth_abi import decode

    inference_id, request, response = decode(
        ["string", A.INFERENCE_REQUEST, A.MODEL_OUTPUT], bytes.fromhex(logs[0]["data"][2:])
    )
    assert inference_id == run.inference_id and request[0] == 0 and request[1] == inf.cids["weighted-sum"]
    assert [t[0] for t in response[0]] == ["sum", "total"]


def test_model_runs_once_for_estimate_and_mined_tx(inf):
    before = inf.stats()["stats"]["model"]
    x = np.random.default_rng(11).random((1, 3, 4)).astype(np.float32)  # a new input: not cached
    inf.client.infer(inf.signer, inf.cids["linear-regression"], 0, {"input": x})
    after = inf.stats()["stats"]["model"]
    assert after["runs"] - before["runs"] == 1
    assert after["cache_hits"] - before["cache_hits"] >= 1  # estimate (twice) + mined tx


def test_tee_attestation_verified_and_tampering_detected(inf):
    sample = inf.samples["iris-classifier"]
    run = inf.client.infer(inf.signer, inf.cids["iris-classifier"], InferenceMode.TEE, sample.example_input)
    att = run.attestation
    assert att is not None and att.verified
    assert att.signer == inf.stats()["attestation_signer"] == att.expected_signer
    assert "not hardware" in att.note
    assert "tee_attestation" not in run.model_output  # moved to run.attestation
    # re-check from the raw receipt, then tamper with it
    receipt = inf.chain.get_receipt(run.tx_hash)
    raw = bytes.fromhex(receipt["logs"][1]["data"][2:])
    output = A.decode_model_output(raw, 32)
    numbers, strings, jsons, sim = output
    from og_tui.core.tensors import encode_model_input

    tail = A.encode_model_input_tail(encode_model_input(sample.example_input))
    kw = dict(model_cid=inf.cids["iris-classifier"], mode=2, input_tail=tail, chain_id=inf.chain.chain_id())
    assert verify_attestation(output, **kw).signer == att.signer
    (name, values, shape) = numbers[0]
    forged = [(name, [(values[0][0] + 1, values[0][1])] + list(values[1:]), shape)] + list(numbers[1:])
    with pytest.raises(AttestationError, match="do not match"):
        verify_attestation((forged, strings, jsons, sim), **kw)
    att_json = json.loads(dict(jsons)["tee_attestation"])
    sig = att_json["signature"]
    att_json["signature"] = sig[:10] + ("0" if sig[10] != "0" else "1") + sig[11:]
    bad = [(n, json.dumps(att_json) if n == "tee_attestation" else v) for n, v in jsons]
    with pytest.raises(AttestationError):
        verify_attestation((numbers, strings, bad, sim), **kw)
    with pytest.raises(AttestationError, match="different input"):
        other = A.encode_model_input_tail(encode_model_input({"features": [[1.0, 2.0, 3.0, 4.0]]}))
        verify_attestation(output, **dict(kw, input_tail=other))
    with pytest.raises(AttestationError, match="published key"):
        verify_attestation(output, **kw, expected_signer="0x" + "11" * 20)


def test_zkml_is_refused_honestly(inf):
    with pytest.raises(TxReverted) as err:
        inf.client.infer(
            inf.signer,
            inf.cids["linear-regression"],
            InferenceMode.ZKML,
            inf.samples["linear-regression"].example_input,
        )
    assert "devnet cannot produce ZKML proofs for this model; use VANILLA or TEE" in str(err.value)


@pytest.mark.parametrize(
    "inputs, match",
    [
        ({"nope": [[1.0] * 12]}, "unknown input tensor 'nope'"),
        ({"input": [[1.0, 2.0]]}, r"input 'input' has shape \[1, 2\] but the model expects \[1, 3, 4\]"),
        ({"input": ["a", "b"]}, "input 'input' must be numbers"),
    ],
)
def test_signature_mismatch_reverts_with_reason(inf, inputs, match):
    with pytest.raises(TxReverted, match=match):
        inf.client.infer(inf.signer, inf.cids["linear-regression"], 0, inputs)


def test_string_model_rejects_numbers_and_missing_inputs(inf):
    with pytest.raises(TxReverted, match="input 'weather' must be strings"):
        inf.client.infer(inf.signer, inf.cids["weather-advice"], 0, {"weather": [1.0, 2.0]})
    with pytest.raises(TxReverted, match="missing input tensor 'b'"):
        inf.client.infer(inf.signer, inf.cids["weighted-sum"], 0, {"a": [[1.0, 2.0, 3.0, 4.0]]})


def test_client_side_input_errors_are_caught_before_sending(inf):
    nonce = inf.chain.nonce(inf.signer.address)
    cid = inf.cids["linear-regression"]
    with pytest.raises(ValidationError, match="NaN"):
        inf.client.infer(inf.signer, cid, 0, {"input": [[[float("nan")] * 4] * 3]})
    with pytest.raises(ValidationError, match="empty"):
        inf.client.infer(inf.signer, cid, 0, {})
    with pytest.raises(ValidationError, match="'input' is empty"):
        inf.client.infer(inf.signer, cid, 0, {"input": []})
    with pytest.raises(ValidationError, match="mode"):
        inf.client.infer(inf.signer, cid, 7, {"input": [1.0]})
    with pytest.raises(ValidationError, match="too large for one transaction.*block gas limit"):
        inf.client.infer(inf.signer, cid, 0, {"input": np.ones((1, 250_000), dtype=np.float32)})
    assert inf.chain.nonce(inf.signer.address) == nonce  # nothing was sent


def test_unknown_cid_and_non_onnx_file(inf, hub_uploader):
    with pytest.raises(TxReverted, match="unknown model CID 'QmNotAModel'"):
        inf.client.infer(inf.signer, "QmNotAModel", 0, {"x": [1.0]})
    cid = hub_uploader(b"this is not an onnx model\n" * 10, "notes.txt")
    with pytest.raises(TxReverted, match="is not an ONNX model"):
        inf.client.infer(inf.signer, cid, 0, {"x": [1.0]})


def test_model_failing_inside_onnxruntime(inf, hub_uploader):
    cid = hub_uploader(M.failing_reshape(), "failing.onnx")
    ok = inf.client.infer(inf.signer, cid, 0, {"x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    assert ok.model_output["y"].shape == (2, 3)
    with pytest.raises(TxReverted, match="the model failed inside onnxruntime"):
        inf.client.infer(inf.signer, cid, 0, {"x": [1.0, 2.0, 3.0]})


def test_nan_output_is_refused(inf):
    candles = np.zeros((1, 10, 4), dtype=np.float32)  # close = 0 -> 0/0 in the volatility model
    with pytest.raises(TxReverted, match="NaN or infinity in output 'Y'"):
        inf.client.infer(inf.signer, inf.cids["volatility-forecast-1h"], 0, {"open_high_low_close": candles})


def test_integer_input_model(inf, hub_uploader):
    cid = hub_uploader(M.int_input(), "int_input.onnx")
    run = inf.client.infer(inf.signer, cid, 0, {"k": np.array([[3, -4]], dtype=np.int64)})
    assert run.model_output["twice"].tolist() == [[6.0, -8.0]]
    with pytest.raises(TxReverted, match=r"must hold integers \(int64\) but element 0 is 1.5"):
        inf.client.infer(inf.signer, cid, 0, {"k": [[1.5, 2.0]]})


def test_big_output_comes_from_the_node_api(inf, hub_uploader):
    cid = hub_uploader(M.big_output(5000), "big_output.onnx")
    run = inf.client.infer(inf.signer, cid, 0, {"x": [2.5]})
    assert run.source == "node-api"
    y = run.model_output["y"]
    assert y.shape == (5000,) and y.dtype == np.float32 and np.all(y == 2.5)
    # the event carried an empty output; the route answers the reference shape
    import httpx

    resp = httpx.get(f"{inf.devnet.url}/artela-network/artela-rollkit/inference/tx/{run.inference_id}")
    assert resp.status_code == 200
    body = json.loads(base64.b64decode(resp.json()["inference_results"][0]))
    m = body["InferenceResult"]["VanillaResult"]["model_output"]
    assert m["numbers"][0]["name"] == "y" and m["numbers"][0]["shape"] == [5000]
    assert m["numbers"][0]["values"][0] == {"value": 25, "decimals": 1}
    assert set(m) == {"numbers", "strings", "jsons"}
    missing = httpx.get(f"{inf.devnet.url}/artela-network/artela-rollkit/inference/tx/0xdeadbeef")
    assert missing.status_code == 404 and "error" in missing.json()


def test_tee_result_shape_on_node_api(inf):
    run = inf.client.infer(inf.signer, inf.cids["weighted-sum"], 2, inf.samples["weighted-sum"].example_input)
    import httpx

    resp = httpx.get(f"{inf.devnet.url}/artela-network/artela-rollkit/inference/tx/{run.inference_id}")
    inner = json.loads(base64.b64decode(resp.json()["inference_results"][0]))["InferenceResult"]
    m = inner["TeeNodeResult"]["Response"]["VanillaResponse"]["model_output"]
    assert [j["name"] for j in m["jsons"]] == ["tee_attestation"]


def test_precompile_callable_directly(inf):
    from og_tui.core.tensors import encode_model_input

    sample = inf.samples["linear-regression"]
    request = (0, inf.cids["linear-regression"], encode_model_input(sample.example_input))
    data = A.RUN_MODEL_INFERENCE_SELECTOR + A.encode_dynamic_tuple(
        [
            (
                True,
                A.encode_dynamic_tuple(
                    [
                        (False, (0).to_bytes(32, "big")),
                        (True, A.encode_string_tail(request[1])),
                        (True, A.encode_model_input_tail(request[2])),
                    ]
                ),
            )
        ]
    )
    from eth_abi import encode

    assert data[4:] == encode([A.INFERENCE_REQUEST], [request])
    precompile = inf.devnet.info["contracts"]["inference_precompile"]
    out = inf.chain.call({"from": inf.signer.address, "to": precompile, "data": "0x" + data.hex()})
    numbers = A.decode_model_output(bytes.fromhex(out[2:]), 32)[0]
    assert numbers[0][0] == "output"
    outcome = inf.chain.send(inf.signer, {"to": precompile, "data": data})
    logs = outcome.receipt["logs"]
    assert len(logs) == 1 and logs[0]["address"].lower() == precompile.lower()


def test_too_little_gas_money(inf):
    from eth_account import Account

    poor = Account.create()
    with pytest.raises(InsufficientFunds):
        inf.client.infer(poor, inf.cids["linear-regression"], 0, inf.samples["linear-regression"].example_input)


def test_mined_transaction_that_reverts(inf):
    """A tx sent with too little gas is mined with status 0; the reason is replayed."""
    from og_tui.core.tensors import encode_model_input

    data = A.encode_run_call("QmNoSuchModel", 0, encode_model_input({"x": [1.0]}))
    with pytest.raises(TxReverted, match="mined but reverted: inference: unknown model CID"):
        inf.chain.send(inf.signer, {"to": inf.hub_address, "data": data, "gas": 200_000})


def test_sdk_infer(inf):
    import og_tui.sdk as og

    key = inf.devnet.info["dev_accounts"][5]["private_key"]
    og.init(None, None, key, rpc_url=inf.devnet.rpc_url, api_url=inf.devnet.url, contract_address=inf.hub_address)
    try:
        result = og.infer(inf.cids["weighted-sum"], og.InferenceMode.VANILLA, inf.samples["weighted-sum"].example_input)
        assert isinstance(result, og.InferenceResult)
        assert result.model_output["total"].tolist() == [[22.0]]
        assert len(result.transaction_hash) == 64
    finally:
        og.set_client(None)
