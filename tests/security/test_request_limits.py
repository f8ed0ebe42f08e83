"""Hostile requests against a real devnet: deep JSON, huge bodies, batches, ids, filters.

Each attack is followed by a check that the process is still up and answering.
"""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest

from tests.security.helpers import assert_alive, post, raw_request, rpc, rss_kib, status_of

pytestmark = pytest.mark.e2e

DEEP = b"[" * 100_000  # the 100,000-deep body of the issue (segfaulted the devnet)
RESPONSE_MIB = 0.05
MAX_FILTERS = 5
FILTER_TIMEOUT = 3


@pytest.fixture(scope="module")
def devnet(devnet_factory):
    proc = devnet_factory(
        extra_args=[
            "--rpc-response-mib",
            RESPONSE_MIB,
            "--rpc-max-filters",
            MAX_FILTERS,
            "--rpc-filter-timeout",
            FILTER_TIMEOUT,
        ]
    )
    yield proc
    proc.stop()


# --- JSON nesting -------------------------------------------------------------------------------------


def test_deep_json_on_rpc_is_a_parse_error(devnet):
    resp = post(devnet, "/rpc", DEEP)
    assert resp.status_code == 200
    body = resp.json()
    assert body["id"] is None and body["error"]["code"] == -32700
    assert "nested deeper than 64" in body["error"]["message"]
    assert_alive(devnet)


@pytest.mark.parametrize(
    "path",
    [
        "/faucet",
        "/v1/chat/completions",
        "/v1/completions",
        "/auth/v1/accounts:signInWithPassword",
        "/auth/v1/token",
        "/api/v0/models",
    ],
)
def test_deep_json_on_other_json_routes_is_400(devnet, path):
    resp = post(devnet, path, DEEP)
    assert resp.status_code == 400, resp.text
    assert "nested deeper than 64" in resp.json()["error"]
    assert_alive(devnet)


def test_deep_json_inside_a_batch_and_inside_strings(devnet):
    nested = "[" * 70 + "]" * 70
    resp = post(devnet, "/rpc", '[{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":' + nested + "}]")
    assert resp.json()["error"]["code"] == -32700
    # brackets inside strings (escaped quotes included) do not count
    text = json.dumps({"jsonrpc": "2.0", "id": '[[["[[', "method": "web3_sha3", "params": ["0x" + "5b" * 100]})
    assert post(devnet, "/rpc", text).json()["id"] == '[[["[['


def test_deep_json_in_the_payment_header(devnet):
    # X-PAYMENT is base64 JSON parsed by the gateway: deep nesting there must not crash the process
    header = base64.b64encode(b"[" * 40_000).decode()
    model = httpx.get(devnet.url + "/v1/models").json()["data"][0]["id"]
    resp = httpx.post(
        devnet.url + "/v1/chat/completions",
        headers={"X-PAYMENT": header},
        json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )
    assert 400 <= resp.status_code < 500, resp.text
    assert_alive(devnet)


# --- body size ----------------------------------------------------------------------------------------


def test_body_over_the_cap_is_413_from_its_content_length(devnet):
    before = rss_kib(devnet)
    head = (
        f"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1:{devnet.port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {200 * 1024 * 1024}\r\n\r\n"
    )
    answer, _ = raw_request(devnet, head)  # nothing of the 200 MB is sent: refused from the header alone
    assert status_of(answer) == 413
    assert b"at most 5242880 bytes" in answer
    assert rss_kib(devnet) - before < 50 * 1024
    assert_alive(devnet)


def test_chunked_200_mb_body_is_cut_off_at_the_cap(devnet):
    before = rss_kib(devnet)
    chunk = b"[" + b"0," * 32_000 + b"0]"
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    count = 200 * 1024 * 1024 // len(chunk)
    head = (
        f"POST /faucet HTTP/1.1\r\nHost: 127.0.0.1:{devnet.port}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    answer, sent = raw_request(devnet, head, (framed for _ in range(count)))
    assert sent < 100 * 1024 * 1024  # the server stopped taking the body long before its end
    assert status_of(answer) in (413, 0)  # 0: the connection was reset before the answer was read
    assert rss_kib(devnet) - before < 50 * 1024
    assert_alive(devnet)


def test_body_just_over_the_cap_gets_a_clear_413(devnet):
    big = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "web3_sha3", "params": ["0x" + "ab" * (3 * 1024 * 1024)]})
    resp = post(devnet, "/rpc", big)
    assert resp.status_code == 413
    assert "--max-body-mib" in resp.json()["error"]["message"]
    resp = post(devnet, "/v1/chat/completions", "{" + " " * (6 * 1024 * 1024) + "}")
    assert resp.status_code == 413 and "at most" in resp.json()["error"]


# --- JSON-RPC batches, responses, ids --------------------------------------------------------------


def test_batch_cap(devnet):
    call = {"jsonrpc": "2.0", "method": "eth_chainId"}
    resp = post(devnet, "/rpc", [dict(call, id=i) for i in range(1001)])
    body = resp.json()
    assert isinstance(body, dict) and body["error"]["code"] == -32600
    assert "batch too large: 1001 requests, at most 1000" in body["error"]["message"]
    answers = post(devnet, "/rpc", [dict(call, id=i) for i in range(1000)]).json()
    assert len(answers) == 1000 and all(a["result"] == hex(devnet.info["chain_id"]) for a in answers)
    assert post(devnet, "/rpc", []).json()["error"]["code"] == -32600


def test_response_size_cap(devnet):
    limit = int(RESPONSE_MIB * 1024 * 1024)
    resp = post(devnet, "/rpc", [{"jsonrpc": "2.0", "id": i, "method": "web3_clientVersion"} for i in range(1000)])
    answers = resp.json()
    assert len(answers) == 1000 and {a["id"] for a in answers} == set(range(1000))
    served = [a for a in answers if "result" in a]
    cut = answers[len(served) :]  # the results come first, then only the error
    assert served and cut and all(a["error"]["code"] == -32003 for a in cut)
    assert len(json.dumps(served, separators=(",", ":"))) <= limit
    assert len(resp.content) <= limit + 1000 * 100  # the errors are short
    # a single answer over the limit: a transaction whose input alone is larger
    sender = rpc(devnet, "eth_accounts")["result"][0]
    tx = rpc(devnet, "eth_sendTransaction", {"from": sender, "to": "0x" + "22" * 20, "data": "0x" + "ab" * limit})
    found = rpc(devnet, "eth_getTransactionByHash", tx["result"])
    assert found["id"] == 1 and found["error"]["code"] == -32003
    assert rpc(devnet, "eth_getTransactionReceipt", tx["result"])["result"]["status"] == "0x1"


@pytest.mark.parametrize("raw_id", ["NaN", "Infinity", "-Infinity", "1e999999", "{}", "[1]", "true", '{"a": [1]}'])
def test_ids_json_rpc_cannot_carry(devnet, raw_id):
    resp = post(devnet, "/rpc", '{"jsonrpc": "2.0", "id": ' + raw_id + ', "method": "eth_blockNumber"}')
    assert resp.status_code == 200
    body = resp.json()
    assert body["id"] is None and body["error"]["code"] == -32600
    assert "id" in body["error"]["message"]


@pytest.mark.parametrize("good_id", ["abc", 1.5, None, 12345678901234567890123, -7])
def test_ids_json_rpc_can_carry_are_echoed(devnet, good_id):
    assert rpc(devnet, "eth_chainId", req_id=good_id)["id"] == good_id


@pytest.mark.parametrize(
    "payload",
    [
        '"just a string"',
        "42",
        "null",
        "[1, 2, 3]",
        '{"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"}',
        '{"jsonrpc": "2.0", "id": 1, "method": 5}',
        '{"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": 7}',
        '{"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": [{"x": NaN}]}',
        '{"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": [1e400, true]}',
        '{"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"to": "0x11", "gas": "0xzz"}]}',
        "\xff\xfe not utf-8",
        "{",
        "",
    ],
)
def test_malformed_json_rpc_is_answered_never_500(devnet, payload):
    resp = post(devnet, "/rpc", payload.encode("latin-1"))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    items = body if isinstance(body, list) else [body]
    assert all(item["error"]["code"] in (-32700, -32600, -32601, -32602, -32000) for item in items)


# --- filters -------------------------------------------------------------------------------------------


def test_filters_are_capped_and_expire_when_unused(devnet):
    ids = []
    for _ in range(MAX_FILTERS):
        answer = rpc(devnet, "eth_newBlockFilter")
        if "error" in answer:  # filters left by an earlier test: wait for them to expire below
            break
        ids.append(answer["result"])
    refused = rpc(devnet, "eth_newFilter", {})
    assert refused["error"]["code"] == -32000 and "too many filters" in refused["error"]["message"]
    if ids:  # uninstalling frees a slot
        assert rpc(devnet, "eth_uninstallFilter", ids.pop())["result"] is True
        ids.append(rpc(devnet, "eth_newPendingTransactionFilter")["result"])
        assert "error" in rpc(devnet, "eth_newBlockFilter")
    # unused, the filters expire: a new one fits again without any uninstall
    deadline = time.monotonic() + FILTER_TIMEOUT + 30
    while "error" in (answer := rpc(devnet, "eth_newBlockFilter")):
        assert time.monotonic() < deadline, answer
        time.sleep(0.2)
    if ids:  # the oldest went first
        assert rpc(devnet, "eth_getFilterChanges", ids[0])["error"]["message"] == "filter not found"
    assert rpc(devnet, "eth_getFilterChanges", answer["result"])["result"] == []


def test_a_used_filter_stays(devnet):
    fid = None
    deadline = time.monotonic() + FILTER_TIMEOUT + 30
    while fid is None:
        answer = rpc(devnet, "eth_newBlockFilter")
        fid = answer.get("result")
        assert fid is not None or time.monotonic() < deadline, answer
        time.sleep(0 if fid else 0.2)
    until = time.monotonic() + FILTER_TIMEOUT * 1.5
    while time.monotonic() < until:  # polled more often than the timeout: never expires
        assert "result" in rpc(devnet, "eth_getFilterChanges", fid)
        time.sleep(0.3)
    assert rpc(devnet, "eth_uninstallFilter", fid)["result"] is True


def test_devnet_survived_everything(devnet):
    assert_alive(devnet)
    assert "Segmentation fault" not in devnet.log_text()
