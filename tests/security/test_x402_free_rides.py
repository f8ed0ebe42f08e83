"""Five ways to get a paid LLM reply for nothing, each tried against a real devnet.

Each attack must leave the devnet up, serve nothing unpaid (no content without a
settled payment, or a reserved one that is settled later) and lose nothing: the
payee's Transfer logs on chain add up to what was served.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time

import httpx
import pytest
from eth_account import Account

from og_tui.core import constants
from og_tui.core.x402 import X402PaymentAuth
from tests.security.x402_helpers import (
    MSG,
    alive,
    body_for,
    cancel_authorization,
    content_of,
    funded_payer,
    gateway_info,
    header_of,
    malleate,
    nonce_of,
    payee,
    post_paid,
    requirement,
    settled_or_final,
    settlement,
    sign,
    token_balance,
    transfer_token,
    transfers,
    wait_for,
    with_env,
)

pytestmark = pytest.mark.e2e

BATCH_SECONDS = 5.0
MAX_REPLY_SECONDS = 4.0
MARGIN_SECONDS = 2.0
HORIZON = BATCH_SECONDS + MAX_REPLY_SECONDS + MARGIN_SECONDS


HELD_MODEL = "devnet/held"


class HeldUpstream:
    """An OpenAI-compatible upstream (a real HTTP server in this process) whose answer waits
    until the test releases it: the window between verification and settlement, held open."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.go = threading.Event()
        self.port = None
        self.server = None

    def app(self):
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def chat(request):
            await request.body()
            self.arrived.set()
            await asyncio.to_thread(self.go.wait, 30)
            return JSONResponse(
                {
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": "held reply"}, "finish_reason": "stop"}
                    ]
                }
            )

        return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


@pytest.fixture(scope="module")
def held():
    import socket

    import uvicorn

    up = HeldUpstream()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        up.port = s.getsockname()[1]
    up.server = uvicorn.Server(
        uvicorn.Config(up.app(), host="127.0.0.1", port=up.port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=up.server.run, daemon=True)
    thread.start()
    wait_for("the upstream server", lambda: up.server.started, timeout=10)
    yield up
    up.go.set()
    up.server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def dn(devnet_factory, tmp_path_factory, held):
    env = {
        "OG_TUI_DEVNET_X402_BATCH_SECONDS": str(BATCH_SECONDS),
        "OG_TUI_DEVNET_LLM_MAX_REPLY_SECONDS": str(MAX_REPLY_SECONDS),
        "OG_TUI_DEVNET_X402_SETTLE_MARGIN": str(MARGIN_SECONDS),
        "OG_TUI_DEVNET_LLM_UPSTREAM": f"{HELD_MODEL}=http://127.0.0.1:{held.port}#held",
    }
    return with_env(env, lambda: devnet_factory(tmp_path_factory.mktemp("x402-free") / "data"))


def test_settle_mode_is_paid_before_the_content_leaves(dn, held):
    """Cancelled between verification and settlement, a ``settle`` reply is a 402 without content."""
    payer = funded_payer(dn)
    before = token_balance(dn, payer.address)
    body = {"model": HELD_MODEL, "messages": MSG, "max_tokens": 10}
    header, payment = sign(dn, payer, body)
    held.arrived.clear()
    held.go.clear()
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("r", post_paid(dn, body, header, mode="settle")))
    worker.start()
    try:
        assert held.arrived.wait(30), "the request never reached the upstream"
        assert cancel_authorization(dn, payer, nonce_of(payment))["status"] == "0x1"
    finally:
        held.go.set()
        worker.join(60)
    r = out["r"]
    assert r.status_code == 402 and r.json()["invalidReason"] == "settlement_failed"
    assert "held reply" not in r.text and content_of(r) is None
    record = settlement(dn, _ph(r)).json()
    assert record["status"] == "failed"  # nothing served, so nothing owed
    assert token_balance(dn, payer.address) == before
    assert httpx.get(f"{dn.url}/v1/x402/debts/{payer.address}").json()["owed"] == "0"
    assert alive(dn)


def _ph(r: httpx.Response) -> str:
    return json.loads(base64.b64decode(r.headers["X-PAYMENT-RESPONSE"]))["processingHash"]


def test_gateway_advertises_a_window_that_covers_settlement(dn):
    info = gateway_info(dn)
    assert info["settle_horizon_seconds"] == HORIZON
    req = requirement(dn, body_for(10))
    # core/x402.py signs validBefore = now + maxTimeoutSeconds: honest clients must clear the horizon
    assert req["maxTimeoutSeconds"] >= HORIZON + 30


def test_a_high_s_signature_is_refused_as_the_token_refuses_it(dn):
    payer = funded_payer(dn)
    before = token_balance(dn, payer.address)
    body = body_for(20)
    header, payment = sign(dn, payer, body)
    evil = malleate(payment)
    r = post_paid(dn, body, header_of(evil), mode="settle-batch")
    assert r.status_code == 402, r.text
    assert r.json()["invalidReason"] == "invalid_signature" and "low-s" in r.json()["error"]
    assert content_of(r) is None
    # the token agrees: the malleated signature reverts, the original passes (eth_call, nothing mined)
    auth = payment["payload"]["authorization"]
    from eth_abi import encode as abi_encode
    from eth_utils import keccak

    def call(sig_hex: str):
        data = keccak(text="transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)")[
            :4
        ] + abi_encode(
            ["address", "address", "uint256", "uint256", "uint256", "bytes32", "bytes"],
            [
                auth["from"],
                auth["to"],
                int(auth["value"]),
                int(auth["validAfter"]),
                int(auth["validBefore"]),
                bytes.fromhex(auth["nonce"][2:]),
                bytes.fromhex(sig_hex[2:]),
            ],
        )
        return dn.rpc(
            "eth_call", {"from": payer.address, "to": constants.OUSDC_ADDRESS, "data": "0x" + data.hex()}, "latest"
        )

    with pytest.raises(dn.RpcError, match="invalid signature"):
        call(evil["payload"]["signature"])
    assert call(payment["payload"]["signature"]) == "0x"
    # the honest signature of the same authorization is still accepted and paid
    ok = post_paid(dn, body, header, mode="settle")
    assert ok.status_code == 200 and content_of(ok)
    assert token_balance(dn, payer.address) == before - 20
    assert alive(dn)


def _served_then_settled(dn, payer, amount: int) -> tuple[str, str]:
    body = body_for(amount)
    header, payment = sign(dn, payer, body)
    r = post_paid(dn, body, header, mode="settle-batch")
    assert r.status_code == 200 and content_of(r)
    ph = r.headers["x-processing-hash"]
    assert settlement(dn, ph).json()["status"] == "queued"
    return ph, payment


def test_b_cancel_authorization_in_the_batch_window_leaves_a_debt_that_must_be_paid(dn):
    payer = funded_payer(dn)
    to = payee(dn)
    ph, payment = _served_then_settled(dn, payer, 30)
    receipt = cancel_authorization(dn, payer, nonce_of(payment))
    assert receipt["status"] == "0x1"
    record = settled_or_final(dn, ph)
    assert record["status"] == "owed" and record["owed"] == "30" and "canceled" in record["errorReason"]
    # refused with a clear 402 until the debt is paid, nothing served
    body = body_for(10)
    header, _ = sign(dn, payer, body)
    r = post_paid(dn, body, header)
    assert r.status_code == 402 and r.json()["invalidReason"] == "payment_owed" and content_of(r) is None
    assert "owes 30" in r.json()["error"] and f"/v1/x402/debts/{payer.address}" in r.json()["error"]
    assert r.json()["accepts"][0]["maxAmountRequired"] == str(10 + 30)
    debts = httpx.get(f"{dn.url}/v1/x402/debts/{payer.address}").json()
    assert debts["owed"] == "30" and [d["processingHash"] for d in debts["items"]] == [ph]
    # an honest x402 client pays the debt (the route answers 402 for the owed amount)
    auth = X402PaymentAuth(payer, network=dn.info["x402_network"], chain_id=dn.info["chain_id"])
    paid = httpx.post(f"{dn.url}/v1/x402/debts/{payer.address}", auth=auth, timeout=30)
    assert paid.status_code == 200, paid.text
    assert transfers(dn, paid.json()["transaction"], payer.address, to) == [30]
    record = settlement(dn, ph).json()
    assert record["status"] == "settled" and record["paidAsDebtBy"] == paid.json()["transaction"]
    assert httpx.get(f"{dn.url}/v1/x402/debts/{payer.address}").json()["owed"] == "0"
    header, _ = sign(dn, payer, body)
    again = post_paid(dn, body, header, mode="settle")
    assert again.status_code == 200 and content_of(again)
    assert alive(dn)


def test_c_moving_the_funds_away_in_the_batch_window_leaves_a_debt(dn):
    payer = funded_payer(dn)
    to = payee(dn)
    sink = Account.create().address
    ph, _ = _served_then_settled(dn, payer, 40)
    balance = token_balance(dn, payer.address)
    assert transfer_token(dn, payer, sink, balance)["status"] == "0x1"
    record = settled_or_final(dn, ph)
    assert record["status"] == "owed" and "exceeds balance" in record["errorReason"]
    body = body_for(10)
    header, _ = sign(dn, payer, body)
    r = post_paid(dn, body, header)
    assert r.status_code == 402 and r.json()["invalidReason"] in ("payment_owed", "insufficient_funds")
    assert content_of(r) is None
    # funded again, he pays his next request's price plus the debt in one authorization,
    # settled on chain before the reply is released
    assert dn.post("/faucet", {"address": payer.address})[0] == 200
    header, _ = sign(dn, payer, body, value=10 + 40)
    ok = post_paid(dn, body, header, mode="settle-batch")
    assert ok.status_code == 200 and content_of(ok), ok.text
    tx = json.loads(base64.b64decode(ok.headers["X-PAYMENT-RESPONSE"]))["transaction"]
    assert tx and transfers(dn, tx, payer.address, to) == [50]
    assert settlement(dn, ph).json()["paidAsDebtBy"] == tx
    assert alive(dn)


def test_reservation_counts_queued_payments(dn):
    payer = funded_payer(dn)
    sink = Account.create().address
    transfer_token(dn, payer, sink, token_balance(dn, payer.address) - 150)
    assert token_balance(dn, payer.address) == 150
    first, _ = _served_then_settled(dn, payer, 100)
    body = body_for(100)
    header, _ = sign(dn, payer, body)
    r = post_paid(dn, body, header)
    assert r.status_code == 402 and r.json()["invalidReason"] == "insufficient_funds"
    assert "100 already reserved" in r.json()["error"] and content_of(r) is None
    assert settled_or_final(dn, first)["status"] == "settled"
    assert token_balance(dn, payer.address) == 50


def test_d_valid_before_now_plus_4_is_refused_with_the_reason(dn):
    payer = funded_payer(dn)
    before = token_balance(dn, payer.address)
    body = body_for(10)
    req = dict(requirement(dn, body), maxTimeoutSeconds=4)
    from og_tui.core.x402 import sign_payment

    header, _ = sign_payment(payer, req, dn.info["chain_id"])
    r = post_paid(dn, body, header)
    assert r.status_code == 402 and content_of(r) is None
    data = r.json()
    assert data["invalidReason"] == "expires_too_soon"
    assert f"at least {int(HORIZON)}s" in data["error"] and "maxTimeoutSeconds" in data["error"]
    assert token_balance(dn, payer.address) == before
    assert alive(dn)


def test_e_a_stream_slower_than_the_window_is_cut_and_settled_in_time(dn):
    payer = funded_payer(dn)
    to = payee(dn)
    body = body_for(500, stream=True, tokens_per_second=2, ignore_eos=True)
    req = dict(requirement(dn, body), maxTimeoutSeconds=int(HORIZON) + 2)  # just over the horizon
    from og_tui.core.x402 import sign_payment

    header, payment = sign_payment(payer, req, dn.info["chain_id"])
    valid_before = int(payment["payload"]["authorization"]["validBefore"])
    events, final = [], None
    give_up = time.monotonic() + HORIZON + 20  # a stream still running then has outlived its authorization
    with httpx.stream(
        "POST",
        dn.url + "/v1/chat/completions",
        json=body,
        timeout=30,
        headers={"X-Payment": header, "X-SETTLEMENT-TYPE": "settle"},
    ) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if time.monotonic() > give_up:
                break
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            obj = json.loads(line[6:])
            events.append(obj)
            if "x402" in obj:
                final = obj
    assert final is not None, "the stream ended without its settlement"
    assert final["choices"][0]["finish_reason"] == "length"
    served = sum(1 for e in events if e["choices"][0]["delta"].get("content"))
    assert 0 < served < 500  # cut at the longest reply the gateway serves
    assert final["usage"]["completion_tokens"] == served
    x402 = final["x402"]
    assert x402["status"] == "settled" and x402["success"]
    block = dn.rpc("eth_getBlockByHash", dn.rpc("eth_getTransactionReceipt", x402["transaction"])["blockHash"], False)
    assert int(block["timestamp"], 16) < valid_before
    assert transfers(dn, x402["transaction"], payer.address, to) == [500]
    assert alive(dn)


def test_malformed_payment_fields_are_402_not_500(dn):
    payer = funded_payer(dn)
    body = body_for(10)
    _, payment = sign(dn, payer, body)
    cases = {
        "signature is a number": ("payload", "signature", 12345),
        "value is 2^256": ("authorization", "value", str(2**256)),
        "value is a float": ("authorization", "value", 1e999),
        "validBefore is a list": ("authorization", "validBefore", [1]),
        "nonce too short": ("authorization", "nonce", "0x1234"),
        "from is not an address": ("authorization", "from", {"a": 1}),
    }
    for name, (where, key, value) in cases.items():
        bad = json.loads(json.dumps(payment))
        target = bad["payload"] if where == "payload" else bad["payload"]["authorization"]
        target[key] = value
        r = post_paid(dn, body, header_of(bad))
        assert r.status_code == 402, (name, r.status_code, r.text)
        assert r.json()["invalidReason"] == "invalid_payload" and r.json()["error"], name
    for raw, code in (
        ("%%%", "invalid_header"),
        ("W1tb" * 200, "invalid_header"),
        ("bnVsbA==", "invalid_header"),
        ("e30=", "invalid_version"),
        ("A" * 20_000, "invalid_header"),
    ):
        r = post_paid(dn, body, raw)
        assert r.status_code == 402 and r.json()["invalidReason"] == code, (raw[:20], r.text)
    assert alive(dn)
