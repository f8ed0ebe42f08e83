"""OPG, Permit2 and the x402 Permit2 proxies on a real devnet: signed transactions, real EIP-712."""

from __future__ import annotations

import time

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3

from og_tui.core import constants
from og_tui.core.x402_v2_sign import sign_requirement
from og_tui.devnet.native import selector
from og_tui.devnet.permit2 import PERMIT_T, SIG_EXACT_SETTLE, SIG_PERMIT_TRANSFER, SIG_UPTO_SETTLE

pytestmark = pytest.mark.e2e

OPG = constants.OPG_DEVNET_ADDRESS
PERMIT2 = constants.PERMIT2_ADDRESS
TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()


@pytest.fixture(scope="module")
def w3(devnet):
    return Web3(Web3.HTTPProvider(devnet.rpc_url))


def _acct(devnet, i):
    return Account.from_key(devnet.info["dev_accounts"][i]["private_key"])


def _send(w3, acct, to, data, gas=400_000):
    tx = {
        "from": acct.address,
        "to": to,
        "data": data,
        "gas": gas,
        "gasPrice": w3.eth.gas_price,
        "nonce": w3.eth.get_transaction_count(acct.address, "pending"),
        "chainId": w3.eth.chain_id,
    }
    h = w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction)
    return w3.eth.wait_for_transaction_receipt(h, timeout=20, poll_latency=0.02)


def _call(w3, to, data, sender=None):
    return w3.eth.call({"to": to, "data": data, **({"from": sender} if sender else {})})


def _balance(w3, who):
    return int.from_bytes(_call(w3, OPG, selector("balanceOf(address)") + abi_encode(["address"], [who])), "big")


def _approve(w3, acct, amount):
    return _send(
        w3, acct, OPG, selector("approve(address,uint256)") + abi_encode(["address", "uint256"], [PERMIT2, amount])
    )


def _revert_reason(w3, acct, to, data):
    with pytest.raises(Exception) as exc:
        _call(w3, to, data, acct.address)
    return str(exc.value)


def _req(scheme, pay_to, amount, facilitator=None, **extra):
    return {
        "scheme": scheme,
        "network": constants.DEVNET_X402_V2_NETWORK,
        "asset": OPG,
        "amount": str(amount),
        "payTo": pay_to,
        "maxTimeoutSeconds": 300,
        "extra": dict({"facilitatorAddress": facilitator} if facilitator else {}, **extra),
    }


def _exact_settle(payload):
    a = payload["permit2Authorization"]
    permit = ((a["permitted"]["token"], int(a["permitted"]["amount"])), int(a["nonce"]), int(a["deadline"]))
    witness = (a["witness"]["to"], int(a["witness"]["validAfter"]))
    sig = bytes.fromhex(payload["signature"][2:])
    return selector(SIG_EXACT_SETTLE) + abi_encode(
        [PERMIT_T, "address", "(address,uint256)", "bytes"], [permit, a["from"], witness, sig]
    )


def test_opg_is_an_18_decimal_erc20_and_the_faucet_gives_it(devnet, w3):
    assert int.from_bytes(_call(w3, OPG, selector("decimals()")), "big") == 18
    assert _balance(w3, _acct(devnet, 7).address) == 10_000 * 10**18
    fresh = Account.create()
    status, body = devnet.post("/faucet", {"address": fresh.address})
    assert status == 200, body
    assert body["opg_units"] == 1_000 * 10**18
    assert _balance(w3, fresh.address) == 1_000 * 10**18
    assert devnet.info["x402_v2"]["network"] == f"eip155:{constants.DEVNET_CHAIN_ID}"


def test_exact_proxy_moves_the_permitted_amount_once(devnet, w3):
    payer, relayer, payee = _acct(devnet, 7), _acct(devnet, 8), Account.create().address
    _approve(w3, payer, 10**18)
    payload = sign_requirement(
        payer, _req("exact", payee, 12345, assetTransferMethod="permit2"), constants.DEVNET_CHAIN_ID
    )
    data = _exact_settle(payload)
    before = _balance(w3, payer.address)
    receipt = _send(w3, relayer, constants.X402_EXACT_PERMIT2_PROXY_ADDRESS, data)
    assert receipt.status == 1
    transfers = [
        lg
        for lg in receipt.logs
        if lg["address"].lower() == OPG.lower() and "0x" + lg["topics"][0].hex().removeprefix("0x") == TRANSFER_TOPIC
    ]
    assert len(transfers) == 1 and int.from_bytes(transfers[0]["data"], "big") == 12345
    assert _balance(w3, payee) == 12345 and _balance(w3, payer.address) == before - 12345
    # the same signature again: Permit2's nonce bitmap refuses it
    assert "invalid nonce" in _revert_reason(w3, relayer, constants.X402_EXACT_PERMIT2_PROXY_ADDRESS, data)


def test_signatures_for_another_chain_or_permit2_address_are_refused(devnet, w3):
    payer, relayer = _acct(devnet, 7), _acct(devnet, 8)
    _approve(w3, payer, 10**18)
    req = _req("exact", Account.create().address, 5, assetTransferMethod="permit2")
    other_chain = sign_requirement(payer, req, 8453)  # Base's chain id
    assert "invalid signer" in _revert_reason(
        w3, relayer, constants.X402_EXACT_PERMIT2_PROXY_ADDRESS, _exact_settle(other_chain)
    )
    import og_tui.core.x402_v2_sign as v2

    real = constants.PERMIT2_ADDRESS
    try:  # signed with another verifyingContract
        constants.PERMIT2_ADDRESS = to_checksum_address("0x" + "ab" * 20)
        other_contract = sign_requirement(payer, req, constants.DEVNET_CHAIN_ID)
    finally:
        constants.PERMIT2_ADDRESS = real
    assert v2.constants.PERMIT2_ADDRESS == real
    assert "invalid signer" in _revert_reason(
        w3, relayer, constants.X402_EXACT_PERMIT2_PROXY_ADDRESS, _exact_settle(other_contract)
    )


def test_upto_proxy_charges_at_most_the_permit_and_only_for_its_facilitator(devnet, w3):
    payer, facilitator, stranger, payee = _acct(devnet, 7), _acct(devnet, 8), _acct(devnet, 9), Account.create().address
    _approve(w3, payer, 10**18)
    payload = sign_requirement(payer, _req("upto", payee, 1000, facilitator.address), constants.DEVNET_CHAIN_ID)
    a = payload["permit2Authorization"]
    permit = ((a["permitted"]["token"], 1000), int(a["nonce"]), int(a["deadline"]))
    witness = (a["witness"]["to"], a["witness"]["facilitator"], 0)
    sig = bytes.fromhex(payload["signature"][2:])

    def settle(amount):
        return selector(SIG_UPTO_SETTLE) + abi_encode(
            [PERMIT_T, "uint256", "address", "(address,address,uint256)", "bytes"],
            [permit, amount, payer.address, witness, sig],
        )

    assert "not the authorized facilitator" in _revert_reason(
        w3, stranger, constants.X402_UPTO_PERMIT2_PROXY_ADDRESS, settle(10)
    )
    assert "exceeds the permitted" in _revert_reason(
        w3, facilitator, constants.X402_UPTO_PERMIT2_PROXY_ADDRESS, settle(1001)
    )
    assert _send(w3, facilitator, constants.X402_UPTO_PERMIT2_PROXY_ADDRESS, settle(420)).status == 1
    assert _balance(w3, payee) == 420


def test_permit_transfer_from_needs_the_allowance_and_a_live_deadline(devnet, w3):
    owner, spender = Account.create(), _acct(devnet, 9)
    devnet.post("/faucet", {"address": owner.address})
    to = Account.create().address
    now = int(time.time())

    def signed(deadline, nonce):
        typed = {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "PermitTransferFrom": [
                    {"name": "permitted", "type": "TokenPermissions"},
                    {"name": "spender", "type": "address"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "deadline", "type": "uint256"},
                ],
                "TokenPermissions": [{"name": "token", "type": "address"}, {"name": "amount", "type": "uint256"}],
            },
            "primaryType": "PermitTransferFrom",
            "domain": {"name": "Permit2", "chainId": constants.DEVNET_CHAIN_ID, "verifyingContract": PERMIT2},
            "message": {
                "permitted": {"token": OPG, "amount": 50},
                "spender": spender.address,
                "nonce": nonce,
                "deadline": deadline,
            },
        }
        sig = Account.sign_typed_data(owner.key, full_message=typed).signature
        return selector(SIG_PERMIT_TRANSFER) + abi_encode(
            [PERMIT_T, "(address,uint256)", "address", "bytes"],
            [((OPG, 50), nonce, deadline), (to, 50), owner.address, sig],
        )

    assert "exceeds allowance" in _revert_reason(w3, spender, PERMIT2, signed(now + 600, 1))
    _approve(w3, owner, 50)
    assert "expired" in _revert_reason(w3, spender, PERMIT2, signed(now - 10, 2))
    assert _send(w3, spender, PERMIT2, signed(now + 600, 3)).status == 1
    assert _balance(w3, to) == 50
    bitmap = _call(
        w3, PERMIT2, selector("nonceBitmap(address,uint256)") + abi_encode(["address", "uint256"], [owner.address, 0])
    )
    assert int.from_bytes(bitmap, "big") == 1 << 3
