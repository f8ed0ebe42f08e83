"""Unit tests of the pure parts: the JSON depth scan, the safe parser, the EVM deadline, Host parsing."""

from __future__ import annotations

import json

import pytest

from og_tui.devnet.guard import Guard, Site, _split_host, is_loopback
from og_tui.devnet.limits import (
    DevnetLimits,
    EvmTimeout,
    JsonTooDeep,
    check_deadline,
    check_depth,
    evm_deadline,
    json_depth,
    loads,
)


@pytest.mark.parametrize(
    "text, depth",
    [
        (b"1", 0),
        (b"[]", 1),
        (b"{}", 1),
        (b'[[1,[2]],{"a":[{}]}]', 4),
        (b'["[[[[", "]]]]"]', 1),
        (b'["\\"[[[", {"k\\\\":[1]}]', 3),  # escaped quotes and backslashes
        (b'{"a": "\\u005b\\u005b"}', 1),
        (b"[[]]" * 3, 2),
        (b"]]]][[", 2),
    ],
)
def test_json_depth(text, depth):
    assert json_depth(text) == depth


def test_depth_matches_the_parser_on_valid_json():
    doc = {"a": [1, {"b": [[["x]", "[{"]]]}], "c": {"d": {"e": None}}}
    assert json_depth(json.dumps(doc).encode()) == 6


def test_unterminated_strings_and_backslash_runs_are_one_pass():
    # quotes and escapes that would make a naive string regex backtrack for every quote
    assert json_depth(b'"' + b'\\"' * 500_000) == 0
    assert json_depth(b"[" + b'"\\' * 500_000) == 1
    assert json_depth(b'["a"' + b',"\\\\"' * 200_000 + b"]") == 1


def test_check_depth_at_and_over_the_limit():
    check_depth(b"[" * 64 + b"]" * 64, 64)
    with pytest.raises(JsonTooDeep, match="deeper than 64"):
        check_depth(b"[" * 65 + b"]" * 65, 64)
    with pytest.raises(JsonTooDeep):
        check_depth(b"[" * 100_000, 64)


def test_loads_is_json_loads_for_acceptable_input():
    assert loads(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert loads('["\u00e9"]') == ["\u00e9"]
    for bad in (b"[" * 100_000, b"\xff\xfe[]", b"{", b""):
        with pytest.raises(ValueError):
            loads(bad)


def test_evm_deadline_is_per_thread_and_restored():
    check_deadline()  # no deadline: nothing happens
    with evm_deadline(0.01):
        with pytest.raises(EvmTimeout, match=r"timeout = 0.01s"):
            while True:
                check_deadline()
        with evm_deadline(0):  # 0 = no limit: the outer deadline stays
            with pytest.raises(EvmTimeout):
                check_deadline()
    check_deadline()  # gone again


@pytest.mark.parametrize(
    "value, expected",
    [
        ("localhost:8745", ("localhost", "8745")),
        ("LOCALHOST.", ("localhost", None)),
        ("[::1]:80", ("[::1]", "80")),
        ("[::1]", ("[::1]", None)),
        ("127.0.0.1", ("127.0.0.1", None)),
    ],
)
def test_split_host(value, expected):
    assert _split_host(value) == expected


def test_host_allowed():
    guard = Guard(None, DevnetLimits(), Site(host="127.0.0.1", port=8745))
    for ok in ("127.0.0.1:8745", "localhost:8745", "[::1]:8745", "localhost"):
        assert guard.host_allowed(ok), ok
    for bad in ("evil.example:8745", "localhost:8746", "127.0.0.2:8745", "localhost.evil.example:8745", "[::2]:8745"):
        assert not guard.host_allowed(bad), bad
    remote = Guard(None, DevnetLimits(), Site(host="0.0.0.0", port=9000, public_url="http://devbox.lan:9000"))
    assert remote.host_allowed("devbox.lan:9000") and remote.host_allowed("0.0.0.0:9000")
    assert remote.site.url == "http://devbox.lan:9000"
    assert Site(host="0.0.0.0", port=9000).url == "http://127.0.0.1:9000"
    assert Site(host="::", port=9000).url == "http://[::1]:9000"


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback
