"""OUSDC: ERC-20 and EIP-3009 against the real devnet (signed transactions, real EIP-712)."""

from __future__ import annotations

import os
import time

import pytest
from eth_account import Account
from eth_utils import keccak
from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from og_tui.core import constants
from tests.devnet.helpers import OUSDC_ABI, sign_authorization

pytestmark = pytest.mark.e2e

TOKEN = constants.OUSDC_ADDRESS


@pytest.fixture(scope="module")
def w3(devnet):
    return Web3(Web3.HTTPProvider(devnet.rpc_url))


@pytest.fixture(scope="module")
def token(w3):
    return w3.eth.contract(address=TOKEN, abi=OUSDC_ABI)


@pytest.fixture(scope="module")
def payer(devnet):
    return Account.from_key(devnet.info["dev_accounts"][5]["private_key"])


@pytest.fixture(scope="module")
def relayer(devnet):
    return Account.from_key(devnet.info["dev_accounts"][6]["private_key"])


def _transact(w3, acct, fn, gas=None):
    tx = fn.build_transaction(
        {
            "from": acct.address,
            "nonce": w3.eth.get_transaction_count(acct.address, "pending"),
            "gasPrice": w3.eth.gas_price,
            **({"gas": gas} if gas else {}),
        }
    )
    tx_hash = w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.02)


def _auth(payer, to, value, valid_after=None, valid_before=None, nonce=None, key=None):
    now = int(time.time())
    message = {
        "from": payer.address,
        "to": to,
        "value": value,
        "validAfter": now - 60 if valid_after is None else valid_after,
        "validBefore": now + 600 if valid_before is None else valid_before,
        "nonce": nonce or os.urandom(32),
    }
    signed = sign_authorization(key or payer.key, TOKEN, constants.DEVNET_CHAIN_ID, message)
    return message, signed


def _args(message, signed):
    return (
        message["from"],
        message["to"],
        message["value"],
        message["validAfter"],
        message["validBefore"],
        message["nonce"],
        signed.v,
        signed.r.to_bytes(32, "big"),
        signed.s.to_bytes(32, "big"),
    )


def test_metadata_and_domain(token):
    assert token.functions.name().call() == "OUSDC"
    assert token.functions.symbol().call() == "OUSDC"
    assert token.functions.decimals().call() == 6
    assert token.functions.version().call() == "2"
    expected = keccak(
        keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
        + keccak(text="OUSDC")
        + keccak(text="2")
        + (107401).to_bytes(32, "big")
        + bytes.fromhex(TOKEN[2:]).rjust(32, b"\0")
    )
    assert token.functions.DOMAIN_SEPARATOR().call() == expected
    fields, name, version, chain_id, contract, _, _ = token.functions.eip712Domain().call()
    assert (name, version, chain_id, contract) == ("OUSDC", "2", 107401, TOKEN)
    assert token.functions.totalSupply().call() >= 10 * 10_000 * 10**6


def test_erc20_transfer_approve_transfer_from(w3, token, payer, relayer):
    to = Account.create().address
    before = token.functions.balanceOf(payer.address).call()
    receipt = _transact(w3, payer, token.functions.transfer(to, 1_500_000))
    assert receipt["status"] == 1
    (event,) = token.events.Transfer().process_receipt(receipt, errors=DISCARD)
    assert (event.args["from"], event.args["to"], event.args["value"]) == (payer.address, to, 1_500_000)
    assert event.address == TOKEN
    assert token.functions.balanceOf(to).call() == 1_500_000
    assert token.functions.balanceOf(payer.address).call() == before - 1_500_000

    receipt = _transact(w3, payer, token.functions.approve(relayer.address, 700))
    (approval,) = token.events.Approval().process_receipt(receipt, errors=DISCARD)
    assert approval.args["value"] == 700
    assert token.functions.allowance(payer.address, relayer.address).call() == 700
    with pytest.raises(ContractLogicError, match="exceeds allowance"):
        token.functions.transferFrom(payer.address, to, 701).call({"from": relayer.address})
    assert _transact(w3, relayer, token.functions.transferFrom(payer.address, to, 600))["status"] == 1
    assert token.functions.allowance(payer.address, relayer.address).call() == 100
    assert token.functions.balanceOf(to).call() == 1_500_600


def test_transfer_with_authorization(w3, token, payer, relayer):
    to = Account.create().address
    message, signed = _auth(payer, to, 250_000)
    assert token.functions.authorizationState(payer.address, message["nonce"]).call() is False
    receipt = _transact(w3, relayer, token.functions.transferWithAuthorization(*_args(message, signed)))
    assert receipt["status"] == 1
    used = token.events.AuthorizationUsed().process_receipt(receipt, errors=DISCARD)
    assert used[0].args["authorizer"] == payer.address and used[0].args["nonce"] == message["nonce"]
    transfer = token.events.Transfer().process_receipt(receipt, errors=DISCARD)
    assert transfer[0].args["value"] == 250_000 and transfer[0].args["to"] == to
    assert token.functions.balanceOf(to).call() == 250_000
    assert token.functions.authorizationState(payer.address, message["nonce"]).call() is True

    # reusing the nonce is refused, with its own reason
    fn = token.functions.transferWithAuthorization(*_args(message, signed))
    with pytest.raises(ContractLogicError, match="authorization is used or canceled"):
        fn.call({"from": relayer.address})
    with pytest.raises(ContractLogicError, match="authorization is used or canceled"):
        fn.estimate_gas({"from": relayer.address})


def test_packed_signature_variant(w3, token, payer, relayer):
    to = Account.create().address
    message, signed = _auth(payer, to, 5)
    fn = token.get_function_by_signature(
        "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"
    )
    args = _args(message, signed)[:6] + (bytes(signed.signature),)
    assert _transact(w3, relayer, fn(*args))["status"] == 1
    assert token.functions.balanceOf(to).call() == 5


@pytest.mark.parametrize(
    "case, reason",
    [
        ("bad_signature", "invalid signature"),
        ("expired", "authorization is expired"),
        ("not_yet_valid", "authorization is not yet valid"),
        ("wrong_amount", "invalid signature"),
    ],
)
def test_rejected_authorizations(w3, token, payer, relayer, case, reason):
    to = Account.create().address
    now = int(time.time())
    kwargs = {}
    if case == "bad_signature":
        kwargs["key"] = Account.create().key
    elif case == "expired":
        kwargs.update(valid_after=now - 600, valid_before=now - 5)
    elif case == "not_yet_valid":
        kwargs.update(valid_after=now + 3600, valid_before=now + 7200)
    message, signed = _auth(payer, to, 1_000, **kwargs)
    if case == "wrong_amount":
        message = dict(message, value=999_999)
    fn = token.functions.transferWithAuthorization(*_args(message, signed))
    with pytest.raises(ContractLogicError, match=reason):
        fn.call({"from": relayer.address})
    # mined anyway (fixed gas, no estimate): reverted on chain, nothing moved
    receipt = _transact(w3, relayer, fn, gas=150_000)
    assert receipt["status"] == 0
    assert token.functions.balanceOf(to).call() == 0
    assert token.functions.authorizationState(payer.address, message["nonce"]).call() is False


def test_receive_with_authorization_needs_the_payee(w3, token, payer, relayer):
    message, signed = _auth(payer, relayer.address, 77)
    signed_r = sign_authorization(payer.key, TOKEN, 107401, message, primary="ReceiveWithAuthorization")
    receive = token.get_function_by_signature(
        "receiveWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)"
    )
    with pytest.raises(ContractLogicError, match="caller must be the payee"):
        receive(*_args(message, signed_r)).call({"from": payer.address})
    assert _transact(w3, relayer, receive(*_args(message, signed_r)))["status"] == 1


def test_mint_is_reserved_to_the_faucet(w3, payer):
    data = (
        "0x" + keccak(text="devnetMint(address,uint256)")[:4].hex() + "00" * 12 + payer.address[2:] + "%064x" % 10**12
    )
    with pytest.raises(ContractLogicError, match="reserved to the devnet faucet"):
        w3.eth.call({"from": payer.address, "to": TOKEN, "data": data})


def test_no_writes_in_static_context(w3, token, payer):
    # eth_call of a write is fine (simulated), the state does not change
    to = Account.create().address
    assert token.functions.transfer(to, 1).call({"from": payer.address}) is True
    assert token.functions.balanceOf(to).call() == 0
