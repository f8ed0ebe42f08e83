"""The gateway end to end: the official ``openai`` client against ``og-tui gateway``'s app
(a real uvicorn server in this process), paying a real devnet with x402 from a funded
wallet; budgets and revoked keys refused with nothing signed (the payer's OUSDC unchanged
on chain); each payment found settled on chain and in the history."""

from __future__ import annotations

import json
import socket

import pytest

openai = pytest.importorskip("openai")

pytestmark = pytest.mark.e2e

MODEL = "og-devnet/mini"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_price",
            "description": "The price of a token",
            "parameters": {"type": "object", "properties": {"symbol": {"type": "string"}}, "required": ["symbol"]},
        },
    }
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def profile(devnet):
    from og_tui.core.profiles import builtin_profiles

    base = devnet.url
    return builtin_profiles()["local"].replace(
        rpc_url=base + "/rpc",
        api_url=base,
        hub_url=base + "/api/v0",
        auth_url=base + "/auth",
        llm_url=base,
        devnet_port=devnet.port,
    )


@pytest.fixture(scope="module")
def payer(devnet):
    from eth_account import Account

    acct = Account.create()
    status, _ = devnet.post("/faucet", {"address": acct.address})
    assert status == 200
    return acct


@pytest.fixture(scope="module")
def chain(devnet):
    from og_tui.core.chain import ChainClient

    c = ChainClient(devnet.rpc_url)
    yield c
    c.close()


@pytest.fixture(scope="module")
def gateway(profile, payer, chain, tmp_path_factory):
    from og_tui.core.x402_common import SpendCaps
    from og_tui.serve.runner import GatewayServer, build_gateway

    db = tmp_path_factory.mktemp("gateway") / "og-tui.db"
    gw = build_gateway(
        profile,
        payer,
        db,
        caps=SpendCaps(per_request=5_000, per_run=None),
        chain=chain,
        settlement="settle",
        default_max_tokens=32,
    )
    server = GatewayServer(gw, "127.0.0.1", _free_port()).start()
    yield server
    server.stop()


def _client(server, secret):
    return openai.OpenAI(base_url=server.url, api_key=secret, max_retries=0, timeout=60)


def _mined(chain, tx_hash):
    status = chain.wait_receipt(tx_hash, timeout=30)["status"]
    return int(status, 16) if isinstance(status, str) else int(status)


def _ousdc(chain, profile, address):
    return chain.token_balance(profile.payment_token, address)


def _new_key(server, name="test", **budgets):
    return server.gateway.book.create(name, **budgets)


def _payments_by_hash(server, payment_hash):
    return server.gateway.store.payments_by_processing_hash(payment_hash)


def test_chat_is_paid_settled_on_chain_and_recorded(gateway, chain, profile, payer):
    key, secret = _new_key(gateway)
    before = _ousdc(chain, profile, payer.address)
    out = _client(gateway, secret).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Explain x402 in a sentence."}], max_tokens=16
    )
    assert out.choices[0].message.content and out.choices[0].finish_reason
    assert out.usage.completion_tokens > 0
    x402 = out.model_extra["x402"]
    cost = int(x402["cost"])
    assert cost == 16  # og-devnet/mini: 1 unit per token of max_tokens
    assert x402["settlement_status"] == "settled" and x402["settlement_tx"].startswith("0x")
    assert _mined(chain, x402["settlement_tx"]) == 1
    assert _ousdc(chain, profile, payer.address) == before - cost
    rows = _payments_by_hash(gateway, x402["payment_hash"])
    assert len(rows) == 1 and rows[0].status == "settled" and rows[0].settlement_tx == x402["settlement_tx"]
    req = gateway.gateway.book.requests(key.id)[0]
    assert (req.status, req.cost, req.model, req.payment_hash, req.settlement_status) == (
        200,
        cost,
        MODEL,
        x402["payment_hash"],
        "settled",
    )
    assert req.completion_tokens == out.usage.completion_tokens


def test_streaming_chat_arrives_in_pieces_and_is_paid(gateway, chain, profile, payer):
    key, secret = _new_key(gateway)
    before = _ousdc(chain, profile, payer.address)
    stream = _client(gateway, secret).chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Tell me about streaming."}],
        max_tokens=24,
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, finish, usage = [], None, None
    for chunk in stream:
        if chunk.choices:
            pieces.append(chunk.choices[0].delta.content or "")
            finish = chunk.choices[0].finish_reason or finish
        if chunk.usage:
            usage = chunk.usage
    assert len([p for p in pieces if p]) > 1 and finish
    assert usage is not None and usage.completion_tokens > 0
    req = gateway.gateway.book.requests(key.id)[0]
    assert req.stream and req.status == 200 and req.cost == 24 and req.settlement_status == "settled"
    assert _mined(chain, req.settlement_tx) == 1
    assert _ousdc(chain, profile, payer.address) == before - 24
    assert _payments_by_hash(gateway, req.payment_hash)[0].status == "settled"


def test_tool_calls_come_back_streamed_and_not(gateway):
    _, secret = _new_key(gateway)
    client = _client(gateway, secret)
    msgs = [{"role": "user", "content": "What is the price of OPG? Use the tool."}]
    out = client.chat.completions.create(model=MODEL, messages=msgs, tools=TOOLS, tool_choice="required", max_tokens=32)
    call = out.choices[0].message.tool_calls[0]
    assert call.function.name == "get_price" and isinstance(json.loads(call.function.arguments), dict)
    assert out.choices[0].finish_reason == "tool_calls"
    # the tool's answer goes back in the conversation
    follow = client.chat.completions.create(
        model=MODEL,
        max_tokens=16,
        messages=msgs
        + [
            out.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": '{"price": "1.25"}'},
        ],
    )
    assert follow.choices[0].message.content
    stream = client.chat.completions.create(
        model=MODEL, messages=msgs, tools=TOOLS, tool_choice="required", max_tokens=32, stream=True
    )
    name, args = "", ""
    for chunk in stream:
        for tc in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            name += tc.function.name or ""
            args += tc.function.arguments or ""
    assert name == "get_price" and isinstance(json.loads(args), dict)


def test_completions_and_models(gateway):
    _, secret = _new_key(gateway)
    client = _client(gateway, secret)
    ids = [m.id for m in client.models.list().data]
    assert MODEL in ids
    out = client.completions.create(model=MODEL, prompt="Once upon a time", max_tokens=8)
    assert out.choices[0].text and int(out.model_extra["x402"]["cost"]) == 8


def test_budgets_refuse_before_signing(gateway, chain, profile, payer):
    key, secret = _new_key(gateway, per_request=10, per_day=30, total=50)
    client = _client(gateway, secret)
    before = _ousdc(chain, profile, payer.address)
    paid_before = len(gateway.gateway.store.list_payments(limit=1000))
    with pytest.raises(openai.APIStatusError) as exc:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=11)
    assert exc.value.status_code == 402 and exc.value.body["code"] == "request_budget_exceeded"
    assert "Nothing was signed" in exc.value.body["message"]
    for _ in range(3):  # 3 x 10 units: the day's budget exactly
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=10)
    with pytest.raises(openai.RateLimitError) as exc:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=1)
    assert exc.value.body["code"] == "daily_budget_exceeded"
    assert _ousdc(chain, profile, payer.address) == before - 30
    assert len(gateway.gateway.store.list_payments(limit=1000)) == paid_before + 3
    rows = gateway.gateway.book.requests(key.id)
    assert [r.status for r in rows] == [429, 200, 200, 200, 402] and sum(r.cost for r in rows) == 30


def test_total_budget_and_global_cap(gateway, chain, profile, payer):
    _, secret = _new_key(gateway, total=20)
    client = _client(gateway, secret)
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=15)
    before = _ousdc(chain, profile, payer.address)
    with pytest.raises(openai.APIStatusError) as exc:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=6)
    assert exc.value.status_code == 402 and exc.value.body["code"] == "total_budget_exceeded"
    _, free_secret = _new_key(gateway)
    with pytest.raises(openai.APIStatusError) as exc:  # the global per-request cap (5,000 units) still applies
        _client(gateway, free_secret).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=6000
        )
    assert exc.value.status_code == 402 and exc.value.body["code"] == "spend_cap_reached"
    assert _ousdc(chain, profile, payer.address) == before


def test_missing_unknown_and_revoked_keys_are_refused(gateway, chain, profile, payer):
    key, secret = _new_key(gateway)
    book = gateway.gateway.book
    book.revoke(key.id)
    before = _ousdc(chain, profile, payer.address)
    paid_before = len(gateway.gateway.store.list_payments(limit=1000))
    for bad, code in ((secret, "api_key_revoked"), ("ogk_not-a-key", "invalid_api_key")):
        with pytest.raises(openai.AuthenticationError) as exc:
            _client(gateway, bad).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
        assert exc.value.body["code"] == code
    import httpx

    r = httpx.post(
        gateway.url + "/chat/completions", json={"model": MODEL, "messages": [{"role": "user", "content": "x"}]}
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_api_key"
    assert _ousdc(chain, profile, payer.address) == before
    assert len(gateway.gateway.store.list_payments(limit=1000)) == paid_before


def test_bad_requests_get_openai_shaped_errors(gateway):
    import httpx

    _, secret = _new_key(gateway)
    h = {"Authorization": f"Bearer {secret}"}
    r = httpx.post(gateway.url + "/chat/completions", content=b"{not json", headers=h)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = httpx.post(
        gateway.url + "/chat/completions",
        json={"model": "og-devnet/nope", "messages": [{"role": "user", "content": "x"}]},
        headers=h,
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    r = httpx.post(gateway.url + "/chat/completions", json={"model": MODEL, "messages": []}, headers=h)
    assert r.status_code == 400 and "messages" in r.json()["error"]["message"].lower()
    health = httpx.get(gateway.url[:-3] + "/health").json()
    assert health["in_flight"] == 0 and health["last_errors"][-1]["status"] == 400
