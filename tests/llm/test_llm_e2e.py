"""LLM chat/completion paid with x402 end to end against a real devnet."""

from __future__ import annotations

import json
import os
import threading
import time

import httpx
import pytest
from eth_utils import keccak

from og_tui.core import constants
from og_tui.core.llm import (
    DEVNET_MODEL,
    LLMError,
    StreamInterrupted,
    UnknownModel,
    UpstreamUnavailable,
    parse_tool_arguments,
)
from og_tui.core.x402 import InsufficientTokens, sign_payment
from og_tui.core.x402_common import SpendCapReached, SpendCaps
from tests.llm.conftest import DOWN_MODEL, UPSTREAM_MODEL

pytestmark = pytest.mark.e2e

MSG = [{"role": "user", "content": "Explain how x402 payments settle on the devnet"}]
REGISTRY = "0x0000000000000000000000000000000000000402"


def _kw(topic: str) -> str:
    from eth_utils import keccak

    return "0x" + keccak(text=topic).hex()


T_SETTLED = _kw("X402Settled(address,address,bytes32,uint256,bytes32,bytes32,bytes32)")
T_SETTLED_META = _kw("X402SettledWithMetadata(address,address,bytes32,uint256,bytes32,string,string,string)")
T_BATCH_ITEM = _kw("X402BatchItem(bytes32,bytes32,address,uint256,bool)")
T_BATCH = _kw("X402BatchSettled(bytes32,uint256,uint256,uint256)")


def token_balance(devnet, address: str) -> int:
    data = "0x70a08231" + address[2:].lower().rjust(64, "0")
    return int(devnet.rpc("eth_call", {"to": constants.OUSDC_ADDRESS, "data": data}, "latest"), 16)


def receipt(devnet, tx: str) -> dict:
    return devnet.rpc("eth_getTransactionReceipt", tx)


def payee(devnet) -> str:
    return httpx.get(devnet.url + "/v1/models").json()["payee"]


def wait_settled(client, processing_hash: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        st = client.settlement_status(processing_hash)
        if st["status"] != "queued" or time.monotonic() > deadline:
            return st
        time.sleep(0.05)


# --- paying -------------------------------------------------------------------------------------


def test_chat_non_streaming_pays_and_records(llm_devnet, payer, make_client, tmp_path):
    from og_tui.core.store import Store

    store = Store(tmp_path / "h.db")
    seen = []
    client = make_client(payer, store=store, on_payment=seen.append)
    to = payee(llm_devnet)
    before_payer, before_payee = token_balance(llm_devnet, payer.address), token_balance(llm_devnet, to)
    out = client.chat(DEVNET_MODEL, MSG, max_tokens=40, settlement="settle")
    price = 40 * 1  # og-devnet/mini: 1 unit per token
    assert out.chat_output["role"] == "assistant" and out.chat_output["content"]
    assert out.meta.backend == "builtin" and out.meta.cost == price and out.meta.settlement_status == "settled"
    assert out.meta.settlement_tx and out.payment_hash == out.meta.payment_hash
    assert token_balance(llm_devnet, payer.address) == before_payer - price
    # the payee is shared with other tests whose batched payments may settle meanwhile:
    # the exact amount is checked on the settlement's own Transfer log below
    assert token_balance(llm_devnet, to) >= before_payee + price
    rec = store.list_payments()
    assert len(rec) == 1 and rec[0].amount == price and rec[0].payee == to and rec[0].mode == "settle"
    assert rec[0].hash == out.meta.settlement_tx
    assert seen and seen[0].amount == price
    r = receipt(llm_devnet, out.meta.settlement_tx)
    assert r["status"] == "0x1" and r["to"].lower() == REGISTRY
    assert any(log["topics"][0] == T_SETTLED for log in r["logs"])
    transfer = "0x" + keccak(text="Transfer(address,address,uint256)").hex().removeprefix("0x")
    moved = [
        int(log["data"], 16)
        for log in r["logs"]
        if log["topics"][0] == transfer
        and int(log["topics"][1], 16) == int(payer.address, 16)
        and int(log["topics"][2], 16) == int(to, 16)
    ]
    assert moved == [price]


def test_chat_streaming_pays(llm_devnet, payer, make_client):
    client = make_client(payer)
    before = token_balance(llm_devnet, payer.address)
    t0 = time.monotonic()
    stream = client.chat(
        DEVNET_MODEL, MSG, max_tokens=30, stream=True, settlement="settle", extra_body={"tokens_per_second": 300}
    )
    assert stream.meta.backend == "builtin" and stream.meta.payment_hash
    texts = [chunk.content for chunk in stream if chunk.content]
    observed = time.monotonic() - t0
    assert len(texts) == 30 and "".join(texts) == stream.text  # one event per token, in order
    assert stream.meta.finish_reason == "length" and stream.meta.completion_tokens == 30
    assert stream.meta.settlement_status == "settled" and stream.meta.settlement_tx
    # the reported rate is the measured one (tokens after the first over the time since the first),
    # timed inside the window this test saw, so it is at least 29 tokens over that whole window
    meta = stream.meta
    assert meta.first_token_s is not None and 0 < meta.first_token_s < meta.elapsed_s <= observed
    assert meta.tokens_per_s == pytest.approx(29 / (meta.elapsed_s - meta.first_token_s))
    assert meta.tokens_per_s >= 29 / observed
    assert meta.as_dict()["tokens_per_s"] == round(meta.tokens_per_s, 2)
    assert token_balance(llm_devnet, payer.address) == before - 30


def test_completion(llm_devnet, payer, make_client):
    client = make_client(payer)
    out = client.completion("openai/gpt-4o", "Once upon a time", max_tokens=12, settlement="settle")
    assert isinstance(out.completion_output, str) and 0 < len(out.completion_output.split()) <= 12
    assert out.meta.cost == 12 * 4 and out.meta.backend == "builtin"


def test_determinism_max_tokens_and_stop(payer, make_client):
    client = make_client(payer)
    a = client.chat(DEVNET_MODEL, MSG, max_tokens=60, settlement="settle-batch").chat_output["content"]
    b = client.chat(DEVNET_MODEL, MSG, max_tokens=60, settlement="settle-batch").chat_output["content"]
    assert a == b
    short = client.chat(DEVNET_MODEL, MSG, max_tokens=7, settlement="settle-batch")
    assert short.finish_reason == "length" and len(short.chat_output["content"].split()) <= 7
    assert a.startswith(short.chat_output["content"])
    word = a.split()[5]
    stopped = client.chat(DEVNET_MODEL, MSG, max_tokens=60, stop=[word], settlement="settle-batch")
    assert word not in stopped.chat_output["content"] and a.startswith(stopped.chat_output["content"])
    assert stopped.finish_reason == "stop"


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "days": {"type": "integer", "minimum": 1, "maximum": 7},
                },
                "required": ["city", "unit"],
            },
        },
    }
]


def test_tool_call_round_trip(payer, make_client):
    client = make_client(payer)
    msgs = [{"role": "user", "content": "What is the weather in Lisbon today?"}]
    out = client.chat(DEVNET_MODEL, msgs, tools=TOOLS, settlement="settle-batch")
    assert out.finish_reason == "tool_calls"
    call = out.chat_output["tool_calls"][0]
    args = parse_tool_arguments(call)
    assert (
        call["function"]["name"] == "get_weather"
        and args["city"] == "Lisbon"
        and args["unit"] in ("celsius", "fahrenheit")
    )
    msgs += [
        out.chat_output,
        {"role": "tool", "tool_call_id": call["id"], "content": json.dumps({"temp_c": 23, "sky": "sunny"})},
    ]
    final = client.chat(DEVNET_MODEL, msgs, tools=TOOLS, settlement="settle-batch")
    assert final.finish_reason in ("stop", "length")
    assert "The tool `get_weather` returned" in final.chat_output["content"] and "sunny" in final.chat_output["content"]
    # streamed tool call
    s = client.chat(DEVNET_MODEL, msgs[:1], tools=TOOLS, stream=True, settlement="settle-batch")
    list(s)
    assert s.meta.finish_reason == "tool_calls" and s.tool_calls[0]["function"]["name"] == "get_weather"


# --- rejections ------------------------------------------------------------------------------------


def _requirement(devnet, body):
    r = httpx.post(devnet.url + "/v1/chat/completions", json=body)
    assert r.status_code == 402
    data = r.json()
    assert data["x402Version"] == 1 and data["error"]
    return data["accepts"][0]


def _paid(devnet, body, header):
    return httpx.post(
        devnet.url + "/v1/chat/completions", json=body, headers={"X-Payment": header, "X-SETTLEMENT-TYPE": "settle"}
    )


def test_402_body_shape(llm_devnet):
    req = _requirement(llm_devnet, {"model": "openai/gpt-4o", "messages": MSG, "max_tokens": 50})
    assert req["scheme"] == "exact" and req["network"] == "og-devnet" and req["maxAmountRequired"] == str(50 * 4)
    assert req["asset"] == constants.OUSDC_ADDRESS and req["extra"] == {"name": "OUSDC", "version": "2"}
    assert req["maxTimeoutSeconds"] > 0 and req["resource"].endswith("/v1/chat/completions")
    assert req["mimeType"] and req["description"] and req["payTo"].startswith("0x")


def test_payment_rejections(llm_devnet, payer):
    from eth_account import Account

    body = {"model": DEVNET_MODEL, "messages": MSG, "max_tokens": 10}
    req = _requirement(llm_devnet, body)
    chain_id = llm_devnet.info["chain_id"]
    errors = {}
    header, _ = sign_payment(payer, req, chain_id)
    assert _paid(llm_devnet, body, header).status_code == 200
    r = _paid(llm_devnet, body, header)  # replayed nonce
    errors["nonce_used"] = r
    header, _ = sign_payment(payer, req, chain_id, now=int(time.time()) - 10_000)
    errors["expired"] = _paid(llm_devnet, body, header)
    header, _ = sign_payment(payer, req, chain_id, value=int(req["maxAmountRequired"]) - 1)
    errors["amount_too_low"] = _paid(llm_devnet, body, header)
    header, _ = sign_payment(payer, req, chain_id + 1)
    errors["invalid_signature"] = _paid(llm_devnet, body, header)
    poor = Account.create()
    header, _ = sign_payment(poor, req, chain_id)
    errors["insufficient_funds"] = _paid(llm_devnet, body, header)
    errors["invalid_header"] = _paid(llm_devnet, body, "not base64 json!")
    texts = set()
    for code, resp in errors.items():
        assert resp.status_code == 402, code
        data = resp.json()
        assert data["invalidReason"] == code, (code, data)
        texts.add(data["error"])
    assert len(texts) == len(errors)  # each failure has its own message
    assert "replayed" in errors["nonce_used"].json()["error"]
    assert "expired" in errors["expired"].json()["error"]
    assert "amount" in errors["amount_too_low"].json()["error"]
    assert "Insufficient OUSDC" in errors["insufficient_funds"].json()["error"]


def test_client_maps_rejection_and_unknown_model(llm_devnet, make_client):
    from eth_account import Account

    poor = Account.create()
    client = make_client(poor)
    with pytest.raises(InsufficientTokens) as exc:
        client.chat(DEVNET_MODEL, MSG, max_tokens=5)
    assert "Insufficient OUSDC" in str(exc.value) and exc.value.hint
    with pytest.raises(UnknownModel) as exc:
        client.chat("acme/not-a-model", MSG)
    assert "not-a-model" in str(exc.value)
    with pytest.raises(InsufficientTokens):  # a stream raises too (the reference yields nothing)
        client.chat(DEVNET_MODEL, MSG, max_tokens=5, stream=True)


def test_spend_caps_before_signing(llm_devnet, payer, make_client, tmp_path):
    from og_tui.core.store import Store

    store = Store(tmp_path / "h.db")
    caps = SpendCaps(per_request=50, per_run=120)
    client = make_client(payer, store=store, caps=caps)
    signed = []
    import og_tui.core.x402 as x402

    original = x402.sign_payment

    def spy(*a, **kw):
        signed.append(1)
        return original(*a, **kw)

    x402.sign_payment = spy
    try:
        before = token_balance(llm_devnet, payer.address)
        with pytest.raises(SpendCapReached) as exc:
            client.chat(DEVNET_MODEL, MSG, max_tokens=60)
        assert exc.value.kind == "request" and exc.value.amount == 60 and exc.value.cap == 50
        assert "0.00006 OUSDC" in str(exc.value) and "Nothing was signed" in str(exc.value)
        assert signed == [] and store.list_payments() == []
        client.chat(DEVNET_MODEL, MSG, max_tokens=50, settlement="settle")
        client.chat(DEVNET_MODEL, MSG, max_tokens=50, settlement="settle")
        assert len(signed) == 2 and caps.spent == 100
        with pytest.raises(SpendCapReached) as exc:
            client.chat(DEVNET_MODEL, MSG, max_tokens=30)
        assert exc.value.kind == "run" and exc.value.spent == 100 and len(signed) == 2
        caps.approve_once(30)
        client.chat(DEVNET_MODEL, MSG, max_tokens=30, settlement="settle")
        assert len(signed) == 3
        assert token_balance(llm_devnet, payer.address) == before - 130
    finally:
        x402.sign_payment = original


# --- settlement modes -----------------------------------------------------------------------------


def test_settlement_modes_visible_on_chain(llm_devnet, payer, make_client):
    client = make_client(payer)
    s1 = client.chat(DEVNET_MODEL, MSG, max_tokens=8, settlement="settle")
    r1 = receipt(llm_devnet, s1.meta.settlement_tx)
    assert [log["topics"][0] for log in r1["logs"] if log["address"].lower() == REGISTRY] == [T_SETTLED]

    s2 = client.chat(DEVNET_MODEL, MSG, max_tokens=8, settlement="settle-metadata")
    r2 = receipt(llm_devnet, s2.meta.settlement_tx)
    meta_logs = [log for log in r2["logs"] if log["topics"][0] == T_SETTLED_META]
    assert len(meta_logs) == 1
    from eth_abi import decode

    value, _nonce, model, inp, output = decode(
        ["uint256", "bytes32", "string", "string", "string"], bytes.fromhex(meta_logs[0]["data"][2:])
    )
    assert value == 8 and model == DEVNET_MODEL and "x402 payments" in inp and output == s2.chat_output["content"]

    b1 = client.chat(DEVNET_MODEL, MSG, max_tokens=9, settlement="settle-batch")
    b2 = client.chat(DEVNET_MODEL, MSG, max_tokens=10, settlement="settle-batch")
    assert b1.meta.settlement_status == "queued" and not b1.meta.settlement_tx
    st1, st2 = wait_settled(client, b1.payment_hash), wait_settled(client, b2.payment_hash)
    assert st1["status"] == st2["status"] == "settled" and st1["transaction"] == st2["transaction"]
    r3 = receipt(llm_devnet, st1["transaction"])
    topics = [log["topics"][0] for log in r3["logs"] if log["address"].lower() == REGISTRY]
    assert topics.count(T_BATCH_ITEM) >= 2 and topics[-1] == T_BATCH
    assert len({s1.meta.settlement_tx, s2.meta.settlement_tx, st1["transaction"]}) == 3


# --- on chain -------------------------------------------------------------------------------------


def test_vanilla_onchain_chat_and_completion(llm_devnet, payer, make_client):
    from og_tui.devnet import inference_hub  # noqa: F401 - the hook exists in this tree

    client = make_client(payer)
    out = client.chat("openai/gpt-4o", MSG, mode="VANILLA", max_tokens=20)
    assert out.transaction_hash.startswith("0x") and out.chat_output["content"]
    # the same backend as HTTP: identical text for the identical request at temperature 0
    http = client.chat("openai/gpt-4o", MSG, mode="TEE", max_tokens=20, settlement="settle-batch")
    assert http.chat_output["content"] == out.chat_output["content"]
    r = receipt(llm_devnet, out.transaction_hash)
    topics = [log["topics"][0] for log in r["logs"]]
    assert "0x53fcd580be8545626a896d86eb76e16597d793de715dda5d21df71d303d1ff96" in topics  # LLMChatResult
    assert "0x4c92d3df7819fcd1c9f9663332f0a599a65eefdad2eaf9193cffb9dbf1919c3b" in topics  # LLMChat (0xF4)
    tools_out = client.chat(
        "openai/gpt-4o", [{"role": "user", "content": "weather in Lisbon"}], mode="VANILLA", tools=TOOLS
    )
    assert tools_out.finish_reason == "tool_calls" and tools_out.chat_output["tool_calls"][0]["name"] == "get_weather"
    comp = client.completion("openai/gpt-4o", "Once upon a time", mode="VANILLA", max_tokens=10)
    assert comp.completion_output and comp.transaction_hash.startswith("0x")
    r = receipt(llm_devnet, comp.transaction_hash)
    assert "0xe522a1a92cb132ca102e36a004efceb8c83284b64164e0d128ddce12e86cab7b" in [
        log["topics"][0] for log in r["logs"]
    ]


# --- upstream --------------------------------------------------------------------------------------


def test_upstream_backend(payer, make_client):
    client = make_client(payer)
    out = client.chat(UPSTREAM_MODEL, [{"role": "user", "content": "ping"}], max_tokens=20, settlement="settle")
    assert out.meta.backend == "upstream" and out.chat_output["content"] == "upstream tiny heard: ping"
    s = client.chat(
        UPSTREAM_MODEL, [{"role": "user", "content": "pong"}], max_tokens=20, stream=True, settlement="settle"
    )
    list(s)
    assert (
        s.meta.backend == "upstream"
        and s.text.strip() == "upstream tiny heard: pong"
        and s.meta.settlement_status == "settled"
    )


def test_upstream_down_is_502(llm_devnet, payer, make_client):
    client = make_client(payer)
    before = token_balance(llm_devnet, payer.address)
    with pytest.raises(UpstreamUnavailable) as exc:
        client.chat(DOWN_MODEL, MSG, max_tokens=5, settlement="settle")
    assert exc.value.status == 502 and "unreachable" in str(exc.value) and exc.value.backend == "upstream"
    with pytest.raises(UpstreamUnavailable):
        client.chat(DOWN_MODEL, MSG, max_tokens=5, stream=True, settlement="settle")
    raw = httpx.post(
        llm_devnet.url + "/v1/chat/completions",
        json={"model": DOWN_MODEL, "messages": MSG, "max_tokens": 5},
        headers={
            "X-Payment": sign_payment(
                payer,
                _requirement(llm_devnet, {"model": DOWN_MODEL, "messages": MSG, "max_tokens": 5}),
                llm_devnet.info["chain_id"],
            )[0]
        },
    )
    assert (
        raw.status_code == 502
        and raw.json()["error"]["code"] == "upstream_unavailable"
        and raw.headers["x-og-backend"] == "upstream"
    )
    # a later batched payment from the same payer, once settled, flushed anything queued before it:
    # only that one was charged, nothing for the three failed requests
    ok = client.chat(DEVNET_MODEL, MSG, max_tokens=5, settlement="settle-batch")
    assert wait_settled(client, ok.meta.payment_hash, timeout=60)["status"] == "settled"
    assert token_balance(llm_devnet, payer.address) == before - 5


# --- interruption and cancellation ------------------------------------------------------------------


def test_cancel_closes_promptly(payer, make_client):
    client = make_client(payer)
    cancel = threading.Event()
    s = client.chat(
        DEVNET_MODEL,
        MSG,
        max_tokens=200,
        stream=True,
        settlement="settle-batch",
        extra_body={"tokens_per_second": 20, "ignore_eos": True},
        cancel=cancel,
    )
    got = []
    for chunk in s:
        if chunk.content:
            got.append(chunk.content)
        if len(got) == 3:
            cancel.set()
    assert len(got) == 3 and s.meta.cancelled
    # close() from another thread interrupts a blocked read at once
    s2 = client.chat(
        DEVNET_MODEL,
        MSG,
        max_tokens=200,
        stream=True,
        settlement="settle-batch",
        extra_body={"tokens_per_second": 2, "ignore_eos": True},
    )
    next(s2)
    next(s2)
    threading.Timer(0.1, s2.close).start()
    rest = list(s2)
    # at 2 tokens/s, 198 more tokens would take over a minute: the read was interrupted
    assert len(rest) <= 1 and s2.meta.cancelled


def test_stream_interrupted_keeps_partial(devnet_factory, tmp_path, make_client):
    from eth_account import Account

    from og_tui.core.llm import LLMClient
    from og_tui.core.profiles import builtin_profiles

    dn = devnet_factory(tmp_path / "dn")
    acct = Account.create()
    dn.post("/faucet", {"address": acct.address})
    base = dn.url
    prof = builtin_profiles()["local"].replace(rpc_url=base + "/rpc", llm_url=base)
    client = LLMClient(prof, acct)
    try:
        s = client.chat(
            DEVNET_MODEL,
            MSG,
            max_tokens=400,
            stream=True,
            settlement="settle",
            extra_body={"tokens_per_second": 40, "ignore_eos": True},
        )
        got = []
        with pytest.raises(StreamInterrupted) as exc:
            for chunk in s:
                if chunk.content:
                    got.append(chunk.content)
                if len(got) == 5:
                    dn.proc.kill()  # the gateway dies mid-stream (a crash, not a graceful stop)
        assert exc.value.partial_text.startswith("".join(got[:5])) and len(exc.value.partial_text) > 0
        assert exc.value.meta.interrupted and s.meta.interrupted
        assert "broke off" in str(exc.value) or "ended without" in str(exc.value)
    finally:
        client.close()
        dn.stop()


def test_bad_requests(llm_devnet, payer, make_client):
    from og_tui.core.errors import ValidationError
    from og_tui.core.llm import parse_tools

    client = make_client(payer)
    with pytest.raises(ValidationError, match="Malformed tools JSON"):
        parse_tools('[{"type": "function", "function": {"name": "x"')
    with pytest.raises(ValidationError, match="Malformed tool #1"):
        parse_tools('[{"type": "function"}]')
    with pytest.raises(LLMError, match="tool_choice"):
        client.chat(DEVNET_MODEL, MSG, tools=TOOLS, tool_choice="nope")
    r = httpx.post(
        llm_devnet.url + "/v1/chat/completions",
        json={"model": DEVNET_MODEL, "messages": MSG, "tools": [{"function": {}}]},
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_tools"


def test_queued_batch_payments_are_settled_when_the_devnet_stops(devnet_factory, tmp_path):
    """A devnet stopped inside a batch interval settles the payments it already accepted."""
    from eth_account import Account

    from og_tui.core.llm import LLMClient
    from og_tui.core.profiles import builtin_profiles

    old = os.environ.get("OG_TUI_DEVNET_X402_BATCH_SECONDS")
    # no batch runs before the stop; the settle horizon (reply + batch + margin) stays within the
    # 10 minutes of validity the client signs at most
    os.environ["OG_TUI_DEVNET_X402_BATCH_SECONDS"] = "300"
    try:
        dev = devnet_factory(tmp_path / "data")
    finally:
        if old is None:
            os.environ.pop("OG_TUI_DEVNET_X402_BATCH_SECONDS", None)
        else:
            os.environ["OG_TUI_DEVNET_X402_BATCH_SECONDS"] = old
    acct = Account.create()
    assert dev.post("/faucet", {"address": acct.address})[0] == 200
    base = dev.url
    profile = builtin_profiles()["local"].replace(
        rpc_url=base + "/rpc", api_url=base, llm_url=base, devnet_port=dev.port
    )
    to = payee(dev)
    before = token_balance(dev, to)
    with LLMClient(profile, acct) as client:
        out = client.chat(DEVNET_MODEL, MSG, max_tokens=20, settlement="settle-batch")
        assert client.settlement_status(out.meta.payment_hash)["status"] == "queued"
    price = int(out.meta.cost)
    assert price > 0 and token_balance(dev, to) == before  # accepted, not settled yet
    dev.restart()  # SIGTERM, then the same data dir again
    assert token_balance(dev, to) == before + price
    dev.stop()
