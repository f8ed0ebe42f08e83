"""The client checks a 402 against the profile before signing: network, token (address,
EIP-712 name and version), payee, a validity window of at most 10 minutes, a sane amount.

The hostile server here is a real HTTP server on loopback answering every request with a
402 of its choosing; nothing is ever signed for it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from eth_account import Account

from og_tui.core.config import load_settings
from og_tui.core.x402 import PaymentPolicy, X402PaymentAuth
from og_tui.core.x402_common import PaymentRefused, SpendCaps

PROFILE = load_settings(env={}, config_dir="/nonexistent-og-tui-config").profiles["local"]
PAYEE = "0x" + "ab" * 20


def _requirement(**changes):
    req = {
        "scheme": "exact",
        "network": PROFILE.x402_network,
        "maxAmountRequired": "1000",
        "resource": "/v1/chat",
        "payTo": PAYEE,
        "asset": PROFILE.payment_token,
        "maxTimeoutSeconds": 300,
        "extra": {"name": PROFILE.payment_token_name, "version": PROFILE.payment_token_version},
    }
    req.update(changes)
    return req


POLICY = PaymentPolicy.from_profile(PROFILE, [PAYEE])


def test_an_honest_requirement_passes():
    POLICY.check(_requirement())
    POLICY.check(_requirement(payTo=PAYEE.upper().replace("0X", "0x"), maxTimeoutSeconds=600))


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"payTo": "0x" + "66" * 20}, "pays only"),
        ({"asset": "0x" + "77" * 20}, "pays with the token at"),
        ({"network": "base"}, "pays on"),
        ({"extra": {"name": "USD Coin", "version": "2"}}, "version"),
        ({"extra": {"name": PROFILE.payment_token_name, "version": "1"}}, "version"),
        ({"maxTimeoutSeconds": 86_400}, "at most 600 s"),
        ({"maxTimeoutSeconds": 0}, "at most 600 s"),
        ({"maxTimeoutSeconds": "300"}, "at most 600 s"),
        ({"maxAmountRequired": "-5"}, "positive number"),
        ({"maxAmountRequired": str(2**256)}, "positive number"),
    ],
)
def test_a_hostile_requirement_is_refused_naming_what_was_asked(changes, reason):
    with pytest.raises(PaymentRefused) as info:
        POLICY.check(_requirement(**changes))
    text = str(info.value)
    assert reason in text and "Nothing was signed" in text and "the server asked for" in text


def test_unpinned_payee_is_not_checked_but_the_rest_is():
    policy = PaymentPolicy.from_profile(PROFILE)
    assert policy.payees is None
    policy.check(_requirement(payTo="0x" + "66" * 20))
    with pytest.raises(PaymentRefused):
        policy.check(_requirement(maxTimeoutSeconds=3600))
    pinned = PaymentPolicy.from_profile(PROFILE.replace(x402_payees=f"{PAYEE}, 0x{'cd' * 20}"))
    assert pinned.payees == (PAYEE, "0x" + "cd" * 20)


class _Hostile(BaseHTTPRequestHandler):
    requirement: dict = {}
    seen_payment: list = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("X-Payment"):
            type(self).seen_payment.append(self.headers["X-Payment"])
        body = json.dumps({"x402Version": 1, "error": "pay me", "accepts": [type(self).requirement]}).encode()
        self.send_response(402)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def hostile_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_nothing_is_signed_for_a_hostile_server(hostile_server):
    _Hostile.requirement = _requirement(payTo="0x" + "66" * 20, maxTimeoutSeconds=10**9)
    _Hostile.seen_payment = []
    signed = []
    caps = SpendCaps(per_request=10**6, per_run=10**7)
    auth = X402PaymentAuth(
        Account.create(), PROFILE.x402_network, PROFILE.chain_id, caps=caps, policy=POLICY, on_sign=signed.append
    )
    url = f"http://127.0.0.1:{hostile_server.server_address[1]}/v1/chat/completions"
    with pytest.raises(PaymentRefused) as info:
        httpx.post(url, json={"messages": []}, auth=auth)
    assert "0x" + "66" * 20 in str(info.value)
    assert signed == [] and _Hostile.seen_payment == [] and caps.spent == 0
