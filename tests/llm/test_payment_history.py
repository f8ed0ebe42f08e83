"""The payment history tells the truth: each payment's status follows its settlement
(settled with its transaction, queued then settled for a batch, not charged when the
authorization expired unused), against a real devnet and its token."""

from __future__ import annotations

import time

import pytest

from og_tui.core.chain import ChainClient
from og_tui.core.llm import DEVNET_MODEL
from og_tui.core.payment_status import authorization_used, follow_payments
from og_tui.core.store import Store
from og_tui.core.x402 import sign_payment

pytestmark = pytest.mark.e2e

MSG = [{"role": "user", "content": "What does the history say?"}]


def _only(store: Store):
    rows = store.list_payments()
    assert len(rows) == 1, rows
    return rows[0]


def test_settled_payment_is_settled_with_its_transaction(payer, make_client, tmp_path):
    store = Store(tmp_path / "h.db")
    out = make_client(payer, store=store).chat(DEVNET_MODEL, MSG, max_tokens=8, settlement="settle")
    row = _only(store)
    assert row.status == "settled" and row.settlement_tx == out.meta.settlement_tx and row.final


def test_batched_payment_goes_from_queued_to_settled(payer, make_client, llm_devnet, tmp_path):
    store = Store(tmp_path / "h.db")
    client = make_client(payer, store=store)
    out = client.chat(DEVNET_MODEL, MSG, max_tokens=8, settlement="settle-batch")
    assert _only(store).status == "queued"
    chain = ChainClient(llm_devnet.rpc_url)
    try:
        deadline = time.monotonic() + 30
        while _only(store).status == "queued" and time.monotonic() < deadline:
            follow_payments(store, llm=client, chain=chain)
            time.sleep(0.1)
    finally:
        chain.close()
    row = _only(store)
    assert row.status == "settled" and row.settlement_tx and row.settlement_tx.startswith("0x")
    assert client.settlement_status(out.meta.payment_hash)["transaction"] == row.settlement_tx


def test_streamed_payment_follows_the_final_event(payer, make_client, tmp_path):
    store = Store(tmp_path / "h.db")
    stream = make_client(payer, store=store).chat(DEVNET_MODEL, MSG, max_tokens=8, settlement="settle", stream=True)
    assert _only(store).status == "pending"  # the reply has not ended yet
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream)
    assert text
    row = _only(store)
    assert row.status == stream.meta.settlement_status == "settled" and row.settlement_tx == stream.meta.settlement_tx


def test_an_authorization_that_expired_unused_was_never_charged(payer, llm_devnet, make_client, tmp_path):
    """A reply cut before the gateway could settle: the signed authorization was never used."""
    store = Store(tmp_path / "h.db")
    client = make_client(payer, store=store)
    requirement = {
        "scheme": "exact",
        "network": client.profile.x402_network,
        "maxAmountRequired": "7",
        "payTo": client.payment_policy().payees[0],
        "asset": client.profile.payment_token,
        "maxTimeoutSeconds": 30,
        "extra": {"name": client.profile.payment_token_name, "version": client.profile.payment_token_version},
    }
    _, payment = sign_payment(payer, requirement, client.profile.chain_id)
    auth = payment["payload"]["authorization"]
    store.add_payment(
        7,
        payee=auth["to"],
        mode="settle",
        hash="0x" + "ee" * 32,
        profile="local",
        token=client.profile.payment_token,
        network=client.profile.x402_network,
        detail={
            "payer": auth["from"],
            "nonce": auth["nonce"],
            "processing_hash": "0x" + "ee" * 32,
            "valid_before": int(auth["validBefore"]),
        },
    )
    chain = ChainClient(llm_devnet.rpc_url)
    try:
        assert not authorization_used(chain, client.profile.payment_token, auth["from"], auth["nonce"])
        # still valid: nothing is decided yet (the gateway may still settle it)
        assert follow_payments(store, llm=client, chain=chain) == [] and _only(store).status == "pending"
        later = int(auth["validBefore"]) + 1  # the clock after the window, injected
        changed = follow_payments(store, llm=client, chain=chain, now=later)
    finally:
        chain.close()
    assert [r.status for r in changed] == ["not charged"]
    row = _only(store)
    assert row.status == "not charged" and "expired unused" in (row.status_reason or "") and row.final
