"""Unit tests: CID computation, version bumping, name and filename rules."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from og_tui.core.cid import CidHasher, cid_for_bytes, cid_for_file, cid_for_stream, digest_from_cid, is_cid
from og_tui.core.errors import ValidationError
from og_tui.core.hub import format_version, next_version, parse_version, safe_filename, validate_model_name


def independent_cid(data: bytes) -> str:
    """Recompute from the spec by hand: multibase 'b' + base32(varint 1, 0x55, 0x12, 0x20, sha256)."""
    raw = b"\x01" + b"\x55" + b"\x12" + bytes([32]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().replace("=", "")


def test_known_vectors():
    # `ipfs add --cid-version 1 --raw-leaves` of "hello world\n" and of the empty file
    assert cid_for_bytes(b"hello world\n") == "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
    assert cid_for_bytes(b"") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


@given(st.binary(max_size=5000))
def test_cid_matches_independent_recomputation(data):
    cid = cid_for_bytes(data)
    assert cid == independent_cid(data)
    assert cid.startswith("bafkrei") and len(cid) == 59 and is_cid(cid)
    assert digest_from_cid(cid) == hashlib.sha256(data).digest()


def test_streaming_equals_one_shot(tmp_path):
    data = bytes(range(256)) * 9000
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert cid_for_file(path) == cid_for_stream(io.BytesIO(data)) == cid_for_bytes(data)
    h = CidHasher()
    for i in range(0, len(data), 777):
        h.update(data[i : i + 777])
    assert h.cid() == cid_for_bytes(data) and h.size == len(data)


@pytest.mark.parametrize("bad", ["", "bafy", "Qm" + "a" * 44, "bafkrei" + "!" * 52, 7])
def test_not_cids(bad):
    assert not is_cid(bad)


def test_version_bumping():
    assert next_version([], False) == (0, 1)
    assert next_version([], True) == (1, 0)
    assert next_version([(0, 1)], False) == (0, 2)
    assert next_version([(0, 1), (0, 2)], True) == (1, 0)
    assert next_version([(1, 0), (0, 7)], False) == (1, 1)
    assert next_version([(0, 99)], False) == (1, 0)
    assert next_version([(2, 5)], True) == (3, 0)
    assert format_version(0, 1) == "0.01" and format_version(12, 30) == "12.30"


@pytest.mark.parametrize(
    "text,expected",
    [("0.01", (0, 1)), ("1.00", (1, 0)), ("1", (1, 0)), ("1.0", (1, 0)), ("1.5", (1, 50)), ("v2.03", (2, 3))],
)
def test_parse_version(text, expected):
    assert parse_version(text) == expected


@pytest.mark.parametrize("bad", ["", "1.001", "x", "-1", "1.2.3", None])
def test_parse_version_rejects(bad):
    with pytest.raises(ValidationError):
        parse_version(bad)


@pytest.mark.parametrize("name", ["my-model", "model_v2.onnx", "Ünïcode-模型", "a", "x" * 100])
def test_good_names(name):
    assert validate_model_name(name) == name


@pytest.mark.parametrize(
    "name,words",
    [
        ("a/b", "'/'"),
        ("a\\b", "'/'"),
        ("..", ".."),
        ("a..b", ".."),
        ("bad\x00name", "control"),
        ("tab\tname", "control"),
        ("has space", "spaces"),
        ("", "required"),
        ("-lead", "start"),
        ("x" * 101, "at most"),
        ("semi;colon", "';'"),
        ("zero\u200bwidth", "control"),
    ],
)
def test_bad_names(name, words):
    with pytest.raises(ValidationError) as info:
        validate_model_name(name)
    assert words in str(info.value)


@pytest.mark.parametrize(
    "raw,safe",
    [
        ("model.onnx", "model.onnx"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("/abs/path/m.onnx", "m.onnx"),
        ("we\x00ird\n.onnx", "weird.onnx"),
        ("modèle.onnx", "modèle.onnx"),
    ],
)
def test_safe_filename(raw, safe):
    assert safe_filename(raw) == safe


@pytest.mark.parametrize("raw", ["", "..", "a/..", "/", "\x01"])
def test_safe_filename_rejects(raw):
    with pytest.raises(ValidationError):
        safe_filename(raw)
