"""x402 version 2 (OPG through Permit2, schemes upto and exact) against a real devnet gateway."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from eth_utils import keccak

from og_tui.core import constants
from og_tui.core.chain import ChainClient
from og_tui.core.llm import DEVNET_MODEL
from og_tui.core.opg_allowance import AllowanceTooSmall, approve, plan_approval
from og_tui.core.x402_v2 import PaymentUnsatisfiable, decode_payment_required, payment_header
from og_tui.core.x402_v2_auth import X402V2PaymentAuth
from og_tui.core.x402_v2_sign import sign_requirement

pytestmark = pytest.mark.e2e

CHAIN_ID = constants.DEVNET_CHAIN_ID
NETWORK = f"eip155:{CHAIN_ID}"
OPG = constants.OPG_DEVNET_ADDRESS
TRANSFER = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
BODY = {"model": DEVNET_MODEL, "messages": [{"role": "user", "content": "How does upto settle?"}], "max_tokens": 400}


@pytest.fixture(scope="module")
def chain(llm_devnet):
    with ChainClient(llm_devnet.rpc_url) as c:
        yield c


@pytest.fixture
def approved(llm_devnet, payer, chain):
    plan = plan_approval(chain, payer.address, 10**18, chain_id=CHAIN_ID)
    assert plan.required and "approve(0x000000000022D473030F116dDEE9F6B43aC78BA3" in plan.describe()
    approve(chain, payer, plan)
    assert plan_approval(chain, payer.address, 10**18).required is False
    return payer


def _post(url, auth=None, headers=None, body=BODY):
    return httpx.post(url + "/v1/chat/completions", json=body, auth=auth, headers=headers or {}, timeout=30)


def _opg_transfers(chain, tx_hash, frm=None):
    receipt = chain.wait_receipt(tx_hash)
    out = []
    for lg in receipt["logs"]:
        if lg["address"].lower() == OPG.lower() and lg["topics"][0] == TRANSFER:
            sender = "0x" + lg["topics"][1][-40:]
            if frm is None or sender.lower() == frm.lower():
                out.append((sender, "0x" + lg["topics"][2][-40:], int(lg["data"], 16)))
    return out


def _required(resp) -> dict:
    data = decode_payment_required(resp.headers.get("payment-required"))
    assert data is not None, resp.headers
    return data


def test_402_carries_the_v2_requirements_in_a_header_beside_the_v1_body(llm_devnet):
    resp = _post(llm_devnet.url)
    assert resp.status_code == 402
    assert resp.json()["x402Version"] == 1  # v1 clients still read the body
    required = _required(resp)
    assert required["x402Version"] == 2 and required["resource"]["url"].endswith("/v1/chat/completions")
    by_scheme = {r["scheme"]: r for r in required["accepts"]}
    assert set(by_scheme) == {"upto", "exact"}
    for r in by_scheme.values():
        assert r["network"] == NETWORK and r["asset"] == OPG and int(r["amount"]) > 0
    assert by_scheme["upto"]["extra"]["facilitatorAddress"] == constants.X402_V2_REGISTRY_ADDRESS
    info = httpx.get(llm_devnet.url + "/v1/models").json()["x402_v2"]
    assert (
        info["network"] == NETWORK
        and info["token"]["address"] == OPG
        and info["settlement_modes"] == ["private", "batch"]
    )
    # a v2 client (X-SETTLEMENT-TYPE private|batch) gets a v2 402 only
    v2 = _post(llm_devnet.url, headers={"X-SETTLEMENT-TYPE": "private"})
    assert v2.status_code == 402 and v2.json()["x402Version"] == 2 and _required(v2)["accepts"] == required["accepts"]


def test_upto_private_charges_the_reply_not_the_maximum(llm_devnet, approved, chain):
    auth = X402V2PaymentAuth(approved, CHAIN_ID, chain=chain, settlement="private")
    resp = _post(llm_devnet.url, auth=auth, headers={"X-SETTLEMENT-TYPE": "private"})
    assert resp.status_code == 200, resp.text
    assert auth.requirement["scheme"] == "upto"
    maximum = int(auth.requirement["amount"])
    charged = auth.payment.amount
    tokens = resp.json()["usage"]["completion_tokens"]
    assert 0 < charged < maximum and charged == tokens * (maximum // BODY["max_tokens"])
    tx = resp.headers["x-settlement-tx-hash"]
    assert "x-settlement-walrus-blob-id" not in resp.headers and resp.headers["x-settlement-type"] == "private"
    payee = auth.requirement["payTo"]
    assert _opg_transfers(chain, tx, approved.address) == [(approved.address.lower(), payee.lower(), charged)]
    pr = json.loads(base64.b64decode(resp.headers["payment-response"]))
    assert pr["success"] is True and pr["transaction"] == tx and pr["network"] == NETWORK


def test_exact_batch_is_queued_with_a_blob_and_settles_on_chain(llm_devnet, payer, chain):
    auth = X402V2PaymentAuth(payer, CHAIN_ID, chain=chain, schemes=("exact",), settlement="batch")
    resp = _post(llm_devnet.url, auth=auth, headers={"X-SETTLEMENT-TYPE": "batch"})
    assert resp.status_code == 200, resp.text
    assert auth.requirement["scheme"] == "exact" and "x-settlement-tx-hash" not in resp.headers
    blob = resp.headers["x-settlement-walrus-blob-id"]
    processing = resp.headers["x-processing-hash"]
    deadline = time.monotonic() + 30
    while True:
        st = httpx.get(f"{llm_devnet.url}/v1/x402/settlements/{processing}").json()
        if st["status"] != "queued" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert st["status"] == "settled", st
    record = httpx.get(f"{llm_devnet.url}/v1/x402/blobs/{blob}").json()
    assert (
        record["processingHash"] == processing
        and record["outputHash"].startswith("0x")
        and record["outputHash"] != "0x" + "00" * 32
    )
    amount = int(auth.requirement["amount"])
    assert (payer.address.lower(), auth.requirement["payTo"].lower(), amount) in _opg_transfers(
        chain, st["transaction"], payer.address
    )


def _sign(payer, required, scheme="upto", chain_id=CHAIN_ID):
    req = next(r for r in required["accepts"] if r["scheme"] == scheme)
    return payment_header(sign_requirement(payer, req, chain_id), req, required.get("resource"))


def test_a_replayed_permit2_signature_is_refused(llm_devnet, approved):
    required = _required(_post(llm_devnet.url))
    header = _sign(approved, required)
    first = _post(llm_devnet.url, headers={"PAYMENT-SIGNATURE": header, "X-SETTLEMENT-TYPE": "private"})
    assert first.status_code == 200, first.text
    again = _post(llm_devnet.url, headers={"PAYMENT-SIGNATURE": header, "X-SETTLEMENT-TYPE": "private"})
    assert again.status_code == 402 and again.json()["invalidReason"] == "nonce_used"
    assert "replayed" in _required(again)["error"]


def test_signatures_for_another_chain_or_verifying_contract_are_refused(llm_devnet, approved, monkeypatch):
    required = _required(_post(llm_devnet.url))
    wrong_chain = _post(llm_devnet.url, headers={"PAYMENT-SIGNATURE": _sign(approved, required, chain_id=8453)})
    assert wrong_chain.status_code == 402 and wrong_chain.json()["invalidReason"] == "invalid_signer"
    assert f"on chain {CHAIN_ID}" in wrong_chain.json()["error"]
    monkeypatch.setattr(constants, "PERMIT2_ADDRESS", "0x" + "ab" * 20)
    header = _sign(approved, required)
    monkeypatch.undo()
    wrong_contract = _post(llm_devnet.url, headers={"PAYMENT-SIGNATURE": header})
    assert wrong_contract.status_code == 402 and wrong_contract.json()["invalidReason"] == "invalid_signer"


def test_too_small_an_allowance_names_the_exact_approve(llm_devnet, payer, chain):
    auth = X402V2PaymentAuth(payer, CHAIN_ID, chain=chain)
    with pytest.raises(AllowanceTooSmall) as exc:
        _post(llm_devnet.url, auth=auth)
    amount = exc.value.plan.needed
    assert f"approve({constants.PERMIT2_ADDRESS}, {amount})" in str(exc.value) and OPG in str(exc.value)
    # without the client's check, the gateway refuses it the same way and signs nothing on chain
    resp = _post(llm_devnet.url, headers={"PAYMENT-SIGNATURE": _sign(payer, _required(_post(llm_devnet.url)))})
    assert resp.status_code == 402 and resp.json()["invalidReason"] == "permit2_allowance_required"
    assert f"approve({constants.PERMIT2_ADDRESS}, {amount})" in resp.json()["error"]


def test_a_402_the_client_cannot_pay_names_the_scheme_and_network(llm_devnet, payer):
    auth = X402V2PaymentAuth(payer, 8453, schemes=("upto",))
    with pytest.raises(PaymentUnsatisfiable) as exc:
        _post(llm_devnet.url, auth=auth)
    text = str(exc.value)
    assert f"upto on {NETWORK}" in text and "'upto' on eip155:8453" in text


# --- the core client (LLMClient) over x402 v2 ------------------------------------------------------


def _caps(per_request="0.0001", per_run="1"):
    from og_tui.core.amounts import parse_amount
    from og_tui.core.x402_common import SpendCaps

    return SpendCaps(parse_amount(per_request, 18), parse_amount(per_run, 18), 18, "OPG")


def test_core_client_chats_over_v2_with_opg_caps(llm_profile, approved):
    from og_tui.core.llm import DEVNET_MODEL as MODEL
    from og_tui.core.llm import LLMClient

    caps = _caps()
    client = LLMClient(llm_profile.replace(x402_version="2"), approved, opg_caps=caps)
    try:
        out = client.chat(MODEL, BODY["messages"], max_tokens=60, settlement="settle")
        meta = out.meta
        assert meta.x402_version == 2 and meta.payment_scheme == "upto" and meta.payment_token == "OPG"
        assert meta.settlement_mode == "private" and meta.settlement_tx and meta.cost_text.endswith(" OPG")
        assert caps.spent == meta.cost > 0  # only what the reply cost counts against the cap
        from og_tui.core.x402_v2 import describe_payment

        line = describe_payment(meta)
        assert line.startswith(meta.cost_text) and "x402 v2 upto · private · settled 0x" in line
        streamed = client.chat(MODEL, BODY["messages"], max_tokens=60, stream=True, settlement="settle-batch")
        text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
        assert text and streamed.meta.settlement_mode == "batch" and streamed.meta.settlement_blob
        from og_tui.core.x402_common import SpendCapReached

        with pytest.raises(SpendCapReached, match="OPG"):
            client.chat(MODEL, BODY["messages"], max_tokens=10_000, settlement="settle")
    finally:
        client.close()


def test_auto_pays_v2_when_the_402_offers_it_and_v1_stays_the_default(llm_profile, approved):
    from og_tui.core.llm import DEVNET_MODEL as MODEL
    from og_tui.core.llm import LLMClient

    with LLMClient(llm_profile.replace(x402_version="auto"), approved, opg_caps=_caps()) as auto:
        meta = auto.chat(MODEL, BODY["messages"], max_tokens=20, settlement="settle-batch").meta
        assert meta.x402_version == 2 and meta.payment_token == "OPG" and meta.settlement_mode == "batch"
    with LLMClient(llm_profile, approved) as v1:  # the profile default: x402 v1, OUSDC
        meta = v1.chat(MODEL, BODY["messages"], max_tokens=20, settlement="settle").meta
        assert meta.x402_version == 1 and meta.payment_token == "OUSDC" and meta.settlement_mode == "settle"


def test_malformed_payment_signatures_are_402_naming_the_problem(llm_devnet, payer):
    required = _required(_post(llm_devnet.url))
    good = json.loads(base64.b64decode(_sign(payer, required)))

    def b64(obj):
        return base64.b64encode(json.dumps(obj).encode()).decode()

    cases = {
        "not base64 !!": "invalid_header",
        b64([1, 2]): "invalid_header",
        b64(dict(good, x402Version=1)): "invalid_version",
        b64(dict(good, accepted=dict(good["accepted"], network="eip155:1"))): "no_matching_requirements",
        b64(
            dict(good, payload={"permit2Authorization": dict(good["payload"]["permit2Authorization"], nonce="x")})
        ): "invalid_payload",
        b64(dict(good, payload=dict(good["payload"], signature="0x1234"))): "invalid_payload",
        b64({"x402Version": 2, "accepted": {}, "payload": []}): "invalid_payload",
        "A" * 9000: "invalid_header",
    }
    for header, code in cases.items():
        resp = _post(llm_devnet.url, headers={"PAYMENT-SIGNATURE": header})
        assert resp.status_code == 402, (header[:40], resp.text)
        assert resp.json()["invalidReason"] == code, (header[:40], resp.json())
        assert _required(resp)["error"] == resp.json()["error"] and "choices" not in resp.json()
