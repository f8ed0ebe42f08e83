"""Payments survive a crash: the settlement queue and records live in x402.sqlite3.

``kill -9`` with payments queued for their batch (or a stream under way) and a restart
on the same data dir: every payment whose reply was served is found paid on chain and
its ``/v1/x402/settlements/{hash}`` record answers.
"""

from __future__ import annotations

import os
import stat

import httpx
import pytest

from tests.security.x402_helpers import (
    alive,
    body_for,
    funded_payer,
    payee,
    post_paid,
    settled_or_final,
    settlement,
    sign,
    token_balance,
    transfers,
    wait_for,
    with_env,
)

pytestmark = pytest.mark.e2e

ENV = {
    "OG_TUI_DEVNET_X402_BATCH_SECONDS": "600",  # no batch is sent before the kill
    "OG_TUI_DEVNET_LLM_MAX_REPLY_SECONDS": "20",
    "OG_TUI_DEVNET_X402_SETTLE_MARGIN": "2",
}


@pytest.fixture(scope="module")
def dn(devnet_factory, tmp_path_factory):
    return with_env(ENV, lambda: devnet_factory(tmp_path_factory.mktemp("x402-persist") / "data"))


def test_kill_9_with_queued_payments_loses_none(dn):
    to = payee(dn)
    payee_before = token_balance(dn, to)
    payers = [funded_payer(dn) for _ in range(3)]
    paid = []  # (processing hash, payer, price)
    for i, price in enumerate((11, 12, 13)):
        payer = payers[i]
        body = body_for(price)
        header, _ = sign(dn, payer, body)
        r = post_paid(dn, body, header, mode="settle-batch")
        assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]
        ph = r.headers["x-processing-hash"]
        assert settlement(dn, ph).json()["status"] == "queued"
        paid.append((ph, payer, price))
    body = body_for(9)
    header, _ = sign(dn, payers[0], body)
    sync = post_paid(dn, body, header, mode="settle")
    assert sync.status_code == 200
    sync_hash = sync.headers["x-processing-hash"]
    sync_record = settlement(dn, sync_hash).json()
    assert sync_record["status"] == "settled"
    assert token_balance(dn, to) == payee_before + 9  # the batch ones are not paid yet

    dn.kill()
    with_env(ENV, dn.start)

    for ph, payer, price in paid:
        record = settled_or_final(dn, ph, timeout=60)
        assert record["status"] == "settled", record
        assert transfers(dn, record["transaction"], payer.address, to) == [price]
    assert token_balance(dn, to) == payee_before + 9 + 11 + 12 + 13
    assert settlement(dn, sync_hash).json() == sync_record  # records answer across restarts
    files = [dn.data_dir / name for name in ("x402.sqlite3", "x402.sqlite3-wal", "x402.sqlite3-shm")]
    assert files[0].exists()
    assert {stat.S_IMODE(os.stat(f).st_mode) for f in files if f.exists()} == {0o600}
    assert alive(dn)


def test_kill_9_mid_stream_the_stream_is_still_paid(dn):
    to = payee(dn)
    payer = funded_payer(dn)
    body = body_for(300, stream=True, tokens_per_second=5, ignore_eos=True)
    header, _ = sign(dn, payer, body)
    got = []
    with httpx.stream(
        "POST",
        dn.url + "/v1/chat/completions",
        json=body,
        timeout=30,
        headers={"X-Payment": header, "X-SETTLEMENT-TYPE": "settle"},
    ) as r:
        assert r.status_code == 200
        ph = r.headers["x-processing-hash"]
        lines = r.iter_lines()
        for line in lines:
            if '"content":"' in line and '"content":""' not in line:
                got.append(line)
            if len(got) == 3:
                break
        dn.kill()  # content has left the gateway; its payment is only in the store
    assert len(got) == 3
    with_env(ENV, dn.start)
    record = settled_or_final(dn, ph, timeout=60)
    assert record["status"] == "settled", record
    assert transfers(dn, record["transaction"], payer.address, to) == [300]
    assert alive(dn)


def test_recovery_drops_what_was_never_served_and_settles_what_was(tmp_path):
    """In-process: a crash leaves one payment whose reply never left (a ``settle`` reply not
    yet released) and one whose reply did (a stream); start-up refunds the reservation of
    the first and settles the second."""
    from eth_account import Account

    from og_tui.core.x402 import sign_payment
    from og_tui.devnet.llm.payments import PaymentService
    from og_tui.devnet.node import DevnetNode

    data = tmp_path / "data"
    node = DevnetNode(data)
    svc = PaymentService(node, batch_seconds=600, max_reply_seconds=5, margin_seconds=2)
    payer = Account.create()
    node.faucet(payer.address)
    before = node.token_balance(payer.address)
    req = svc.requirements(25, "http://127.0.0.1/v1/chat/completions", "test")
    h1, _ = sign_payment(payer, req, node.config.chain_id)
    h2, _ = sign_payment(payer, req, node.config.chain_id)
    unserved = svc.verify(h1, req, "0x" + "11" * 32, mode="settle", stream=False)
    streamed = svc.verify(h2, req, "0x" + "22" * 32, mode="settle", stream=True)
    assert svc.status(unserved.processing_hash).status == "pending"
    # the crash: the service never closes, the chain is left as it is
    svc._stop.set()
    svc._wake.set()
    node.close()

    node2 = DevnetNode(data)
    svc2 = PaymentService(node2, batch_seconds=600, max_reply_seconds=5, margin_seconds=2)
    try:
        dropped = svc2.status(unserved.processing_hash)
        assert dropped.status == "failed" and "nothing was charged" in dropped.error
        done = wait_for(
            "the recovered stream payment",
            lambda: svc2.status(streamed.processing_hash).status == "settled" and svc2.status(streamed.processing_hash),
            timeout=60,
        )
        assert done.transaction
        assert node2.token_balance(payer.address) == before - 25
        assert svc2._reserved == {}
    finally:
        svc2.close(flush=False)
        node2.close()
