"""x402 v2 keeps v1's guarantees on a real devnet: reservations, kill -9 recovery, debts.

Batch payments wait in the queue for BATCH_SECONDS: what a payer does in that window
(a second payment, revoking the Permit2 allowance) and a crash of the devnet in it must
neither give a free reply nor lose a payment.
"""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from eth_account import Account

from og_tui.core import constants
from og_tui.core.chain import ChainClient
from og_tui.core.opg_allowance import approve, plan_approval
from og_tui.core.x402_v2 import decode_payment_required, payment_header
from og_tui.core.x402_v2_sign import sign_requirement
from tests.security.x402_helpers import wait_for, with_env

pytestmark = pytest.mark.e2e

BATCH_SECONDS = 6.0
CHAIN_ID = constants.DEVNET_CHAIN_ID
BODY = {
    "model": "og-devnet/mini",
    "messages": [{"role": "user", "content": "What is a Permit2 witness?"}],
    "max_tokens": 50,
}


@pytest.fixture(scope="module")
def dn(devnet_factory, tmp_path_factory):
    env = {"OG_TUI_DEVNET_X402_BATCH_SECONDS": str(BATCH_SECONDS)}
    d = with_env(env, lambda: devnet_factory(tmp_path_factory.mktemp("x402v2-guarantees") / "data"))
    d.env = env
    return d


def _ready(dn):
    wait_for("the gateway", lambda: httpx.get(dn.url + "/health").json().get("services") in (None, "ready"))


def _payer(dn, allowance):
    acct = Account.create()
    assert dn.post("/faucet", {"address": acct.address})[0] == 200
    with ChainClient(dn.rpc_url) as chain:
        approve(chain, acct, plan_approval(chain, acct.address, 1, amount=allowance))
    return acct


def _required(dn, mode="batch"):
    r = httpx.post(dn.url + "/v1/chat/completions", json=BODY, headers={"X-SETTLEMENT-TYPE": mode}, timeout=30)
    assert r.status_code == 402
    return decode_payment_required(r.headers["payment-required"])


def _pay(dn, acct, scheme="upto", mode="batch", permit2=True, required=None):
    required = required or _required(dn, mode)
    req = dict(next(r for r in required["accepts"] if r["scheme"] == scheme))
    if scheme == "exact" and permit2:
        req["extra"] = dict(req["extra"], assetTransferMethod="permit2")
    header = payment_header(sign_requirement(acct, req, CHAIN_ID), req)
    headers = {"PAYMENT-SIGNATURE": header, "X-SETTLEMENT-TYPE": mode}
    return httpx.post(dn.url + "/v1/chat/completions", json=BODY, headers=headers, timeout=30), req


def _settlement(dn, processing):
    return httpx.get(f"{dn.url}/v1/x402/settlements/{processing}").json()


def _final(dn, processing, timeout=60):
    return wait_for(
        "the batch settlement",
        lambda: (lambda s: s if s.get("status") not in ("queued", "pending") else None)(_settlement(dn, processing)),
        timeout=timeout,
    )


def test_a_queued_permit2_payment_is_reserved_against_the_allowance(dn):
    _ready(dn)
    amount = int(_required(dn)["accepts"][0]["amount"])
    acct = _payer(dn, amount * 3 // 2)  # room for one payment, not two
    first, _ = _pay(dn, acct, "exact")
    assert first.status_code == 200, first.text
    second, _ = _pay(dn, acct, "exact")
    assert second.status_code == 402 and second.json()["invalidReason"] == "permit2_allowance_required"
    assert f"{amount} already reserved" in second.json()["error"] and "choices" not in second.json()
    assert _final(dn, first.headers["x-processing-hash"])["status"] == "settled"


def test_kill_9_in_the_batch_window_loses_no_payment(dn):
    _ready(dn)
    acct = _payer(dn, 10**18)
    resp, _ = _pay(dn, acct, "upto")
    assert resp.status_code == 200, resp.text
    processing = resp.headers["x-processing-hash"]
    charged = int(json.loads(base64.b64decode(resp.headers["payment-response"]))["amount"])
    assert _settlement(dn, processing)["status"] == "queued"
    dn.kill()  # a crash: no shutdown flush
    with_env(dn.env, dn.start)
    _ready(dn)
    record = _final(dn, processing)
    assert record["status"] == "settled" and record["amount"] == str(charged)
    with ChainClient(dn.rpc_url) as chain:
        receipt = chain.wait_receipt(record["transaction"])
    moved = [
        int(lg["data"], 16)
        for lg in receipt["logs"]
        if lg["address"].lower() == constants.OPG_DEVNET_ADDRESS.lower()
        and lg["topics"][1][-40:] == acct.address[2:].lower()
    ]
    assert moved == [charged]


def test_revoking_the_allowance_in_the_batch_window_leaves_a_debt(dn):
    _ready(dn)
    acct = _payer(dn, 10**18)
    resp, _ = _pay(dn, acct, "upto")
    assert resp.status_code == 200, resp.text
    processing = resp.headers["x-processing-hash"]
    with ChainClient(dn.rpc_url) as chain:  # approve(Permit2, 0) before the batch is sent
        approve(chain, acct, plan_approval(chain, acct.address, 0, amount=0))
    record = _final(dn, processing)
    assert record["status"] == "owed" and "allowance" in record["errorReason"]
    owed = int(record["owed"])
    refused, _ = _pay(dn, acct, "upto")
    assert refused.status_code == 402 and refused.json()["invalidReason"] == "payment_owed"
    again = decode_payment_required(refused.headers["payment-required"])
    due = int(again["accepts"][0]["amount"])
    assert again["accepts"][0]["scheme"] == "exact" and due > owed
    # an EIP-3009 exact payment (no allowance needed) for the price plus the debt is served
    paid, _ = _pay(dn, acct, "exact", permit2=False, required=again)
    assert paid.status_code == 200, paid.text
    assert _settlement(dn, processing)["status"] == "settled"
