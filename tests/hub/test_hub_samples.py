"""Sample models: deterministic, valid ONNX, runnable in onnxruntime, published once."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from og_tui.core.cid import cid_for_bytes
from og_tui.core.onnx_sig import signature_from_bytes
from og_tui.devnet.hub.samples import SAMPLES_USERNAME, build_samples, sample_models

SAMPLES = build_samples()


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_sample_runs_in_onnxruntime(sample):
    sess = ort.InferenceSession(sample.data, providers=["CPUExecutionProvider"])
    feeds = {}
    for inp in sess.get_inputs():
        value = sample.example_input[inp.name]
        feeds[inp.name] = np.array(value, dtype=object if inp.type == "tensor(string)" else np.float32)
    outputs = sess.run(None, feeds)
    sig = signature_from_bytes(sample.data)
    assert [o["name"] for o in sig["outputs"]] == [o.name for o in sess.get_outputs()]
    assert [i["name"] for i in sig["inputs"]] == [i.name for i in sess.get_inputs()]
    for out in outputs:
        assert np.asarray(out).size > 0


def test_required_kinds_present():
    sigs = {s.name: signature_from_bytes(s.data) for s in SAMPLES}
    assert any(len(t["shape"] or []) >= 3 and t["dtype"] == "float32" for s in sigs.values() for t in s["inputs"])
    assert any(
        len(s["outputs"]) == 2 and {"probabilities", "label"} <= {o["name"] for o in s["outputs"]}
        for s in sigs.values()
    )
    assert any(len(s["inputs"]) == 2 for s in sigs.values())
    assert any(t["dtype"] == "string" for s in sigs.values() for t in s["inputs"] + s["outputs"])
    for out_name in ("regression_output", "Y", "destandardized_prediction"):
        match = [s for s in sigs.values() if s["outputs"][0]["name"] == out_name]
        assert match and match[0]["inputs"][0] == {
            "name": "open_high_low_close",
            "dtype": "float32",
            "shape": [1, 10, 4],
        }


def test_deterministic_bytes():
    again = build_samples()
    assert [cid_for_bytes(s.data) for s in again] == [cid_for_bytes(s.data) for s in SAMPLES]


def test_classifier_and_strings_values():
    by_name = {s.name: s for s in SAMPLES}
    sess = ort.InferenceSession(by_name["weather-advice"].data)
    code, advice = sess.run(None, {"weather": np.array(["rainy", "hail"], dtype=object)})
    assert code.tolist() == [2, -1] and advice.tolist() == ["umbrella", "no idea"]
    sess = ort.InferenceSession(by_name["iris-classifier"].data)
    probs, label = sess.run(None, {"features": np.array([[5.1, 3.5, 1.4, 0.2], [6.0, 2.2, 5.0, 1.5]], np.float32)})
    assert probs.shape == (2, 3) and np.allclose(probs.sum(axis=1), 1.0) and label.tolist() == probs.argmax(1).tolist()


def test_sample_models_published_once(tmp_path):
    first = sample_models(tmp_path)
    assert set(first) == {s.name for s in SAMPLES}
    assert first == {s.name: cid_for_bytes(s.data) for s in SAMPLES}
    from og_tui.devnet.hub.service import HubService

    hub = HubService(tmp_path)
    try:
        assert hub.ensure_samples() == first
        listing = hub.list_models(limit=100, author=SAMPLES_USERNAME)
        assert listing["total"] == len(SAMPLES)
        for name, cid in first.items():
            assert hub.blob_path(cid).read_bytes() == next(s.data for s in SAMPLES if s.name == name)
    finally:
        hub.close()


def test_streamed_signature_matches_onnx_load(tmp_path, monkeypatch):
    """Big files are scanned with seeks (bounded memory); the result must equal onnx.load's."""
    import os

    from og_tui.core import onnx_sig

    monkeypatch.setattr(onnx_sig, "STREAM_THRESHOLD", 0)
    for sample in SAMPLES:
        path = tmp_path / sample.filename
        path.write_bytes(sample.data)
        assert onnx_sig.signature_from_file(path) == signature_from_bytes(sample.data)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x08" + os.urandom(4096))
    with pytest.raises(onnx_sig.NotOnnx):
        onnx_sig.signature_from_file(junk)
    truncated = tmp_path / "trunc.onnx"
    truncated.write_bytes(SAMPLES[0].data[:-7])
    with pytest.raises(onnx_sig.NotOnnx):
        onnx_sig.signature_from_file(truncated)


def test_iris_classifier_is_trained_on_the_iris_data():
    from og_tui.devnet.hub.samples import iris_data, iris_split

    x, y = iris_data()
    assert x.shape == (150, 4) and np.bincount(y).tolist() == [50, 50, 50]
    (_train_x, _train_y), (held_x, held_y) = iris_split()
    assert len(held_y) == 30 and np.bincount(held_y).tolist() == [10, 10, 10]
    sess = ort.InferenceSession(next(s for s in SAMPLES if s.name == "iris-classifier").data)
    _probs, label = sess.run(None, {"features": held_x})
    assert label.tolist() == held_y.tolist()  # every held-out flower gets its species
    _probs, label = sess.run(
        None, {"features": np.array([[6.7, 3.0, 5.2, 2.3], [5.1, 3.5, 1.4, 0.2], [5.9, 3.0, 4.2, 1.5]], np.float32)}
    )
    assert label.tolist() == [2, 0, 1]  # virginica, setosa, versicolor
