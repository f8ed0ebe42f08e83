"""What the x402 security tests share: a devnet started with gateway settings, funded
payers, paid requests signed with the app's own x402 code, and on-chain checks
(token balances, Transfer logs of settlement transactions)."""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Callable, Optional

import httpx
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak

from og_tui.core import constants
from og_tui.core.x402 import sign_payment

MSG = [{"role": "user", "content": "Explain how x402 payments settle on the devnet"}]
MODEL = "og-devnet/mini"  # 1 OUSDC unit per token
TRANSFER = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def with_env(env: dict, fn: Callable):
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return fn()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def wait_for(what: str, check: Callable, timeout: float = 60.0, every: float = 0.1):
    """Poll ``check()`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def funded_payer(devnet) -> Account:
    acct = Account.create()
    status, body = devnet.post("/faucet", {"address": acct.address})
    assert status == 200, body
    return acct


def token_balance(devnet, address: str) -> int:
    data = "0x70a08231" + address[2:].lower().rjust(64, "0")
    return int(devnet.rpc("eth_call", {"to": constants.OUSDC_ADDRESS, "data": data}, "latest"), 16)


def payee(devnet) -> str:
    return httpx.get(devnet.url + "/v1/models").json()["payee"]


def gateway_info(devnet) -> dict:
    return httpx.get(devnet.url + "/v1/models").json()


def alive(devnet) -> bool:
    r = httpx.get(devnet.url + "/health", timeout=10)
    return r.status_code == 200 and r.json()["status"] == "ok"


def body_for(max_tokens: int, **more) -> dict:
    return dict({"model": MODEL, "messages": MSG, "max_tokens": max_tokens}, **more)


def requirement(devnet, body: dict) -> dict:
    r = httpx.post(devnet.url + "/v1/chat/completions", json=body, timeout=30)
    assert r.status_code == 402, r.text
    return r.json()["accepts"][0]


def sign(devnet, payer, body: dict, **kw) -> tuple[str, dict]:
    return sign_payment(payer, requirement(devnet, body), devnet.info["chain_id"], **kw)


def post_paid(devnet, body: dict, header: str, mode: str = "settle-batch") -> httpx.Response:
    return httpx.post(
        devnet.url + "/v1/chat/completions",
        json=body,
        timeout=60,
        headers={"X-Payment": header, "X-SETTLEMENT-TYPE": mode},
    )


def settlement(devnet, processing_hash: str) -> httpx.Response:
    return httpx.get(f"{devnet.url}/v1/x402/settlements/{processing_hash}", timeout=10)


def settled_or_final(devnet, processing_hash: str, timeout: float = 60.0) -> dict:
    """The settlement record once it has left ``queued``/``pending``."""

    def check():
        r = settlement(devnet, processing_hash)
        if r.status_code == 200 and r.json()["status"] not in ("queued", "pending"):
            return r.json()
        return None

    return wait_for(f"settlement {processing_hash}", check, timeout)


def transfers(devnet, tx_hash: str, frm: str, to: str) -> list[int]:
    """OUSDC amounts moved from ``frm`` to ``to`` by ``tx_hash`` (its Transfer logs)."""
    receipt = devnet.rpc("eth_getTransactionReceipt", tx_hash)
    assert receipt and receipt["status"] == "0x1", receipt
    return [
        int(log["data"], 16)
        for log in receipt["logs"]
        if log["address"].lower() == constants.OUSDC_ADDRESS.lower()
        and log["topics"][0] == TRANSFER
        and int(log["topics"][1], 16) == int(frm, 16)
        and int(log["topics"][2], 16) == int(to, 16)
    ]


def send_tx(devnet, acct, to: str, data: bytes, gas: int = 200_000) -> dict:
    """A transaction signed by ``acct`` (a funded devnet account); returns its receipt."""
    tx = {
        "type": 2,
        "chainId": devnet.info["chain_id"],
        "nonce": int(devnet.rpc("eth_getTransactionCount", acct.address, "pending"), 16),
        "to": to,
        "value": 0,
        "data": data,
        "gas": gas,
        "maxFeePerGas": 10**11,
        "maxPriorityFeePerGas": 10**9,
    }
    raw = acct.sign_transaction(tx).raw_transaction
    tx_hash = devnet.rpc("eth_sendRawTransaction", "0x" + bytes(raw).hex())
    return devnet.rpc("eth_getTransactionReceipt", tx_hash)


def transfer_token(devnet, acct, to: str, amount: int) -> dict:
    data = keccak(text="transfer(address,uint256)")[:4] + abi_encode(["address", "uint256"], [to, amount])
    return send_tx(devnet, acct, constants.OUSDC_ADDRESS, data)


def cancel_authorization(devnet, acct, nonce: bytes) -> dict:
    """The payer cancels his own authorization on the token (EIP-3009 cancelAuthorization)."""
    from eth_account.messages import encode_typed_data

    domain = {
        "name": constants.OUSDC_NAME,
        "version": constants.OUSDC_VERSION,
        "chainId": devnet.info["chain_id"],
        "verifyingContract": constants.OUSDC_ADDRESS,
    }
    types = {"CancelAuthorization": [{"name": "authorizer", "type": "address"}, {"name": "nonce", "type": "bytes32"}]}
    signed = acct.sign_message(encode_typed_data(domain, types, {"authorizer": acct.address, "nonce": nonce}))
    data = keccak(text="cancelAuthorization(address,bytes32,bytes)")[:4] + abi_encode(
        ["address", "bytes32", "bytes"], [acct.address, nonce, bytes(signed.signature)]
    )
    return send_tx(devnet, acct, constants.OUSDC_ADDRESS, data)


def header_of(payment: dict) -> str:
    return base64.b64encode(json.dumps(payment, separators=(",", ":")).encode()).decode()


def malleate(payment: dict) -> dict:
    """The same authorization with the other valid signature of it: s -> n - s, v flipped."""
    sig = bytes.fromhex(payment["payload"]["signature"][2:])
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    high = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v if v >= 27 else 1 - v])
    out = json.loads(json.dumps(payment))
    out["payload"]["signature"] = "0x" + high.hex()
    return out


def nonce_of(payment: dict) -> bytes:
    return bytes.fromhex(payment["payload"]["authorization"]["nonce"][2:])


def content_of(response: httpx.Response) -> Optional[str]:
    try:
        data = response.json()
    except ValueError:
        return None
    choices = data.get("choices") if isinstance(data, dict) else None
    return choices[0]["message"]["content"] if choices else None
