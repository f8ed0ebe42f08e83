"""ChainClient against a real devnet: balances, signed transfers, reverts, funds, nonces.

The first tests need no devnet (pure helpers, error mapping, import cost).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from og_tui.core import chain as chain_mod
from og_tui.core import chain_read
from og_tui.core.chain import ChainClient, decode_revert_reason, encode_transfer
from og_tui.core.constants import OUSDC_ADDRESS
from og_tui.core.errors import ChainError, InsufficientFunds, NetworkUnreachable, NonceError, TxReverted

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- pure parts ------------------------------------------------------------------------


def test_selectors_are_keccak_of_signatures():
    from eth_utils import keccak

    for sig, sel in [
        ("transfer(address,uint256)", chain_mod.TRANSFER_SELECTOR),
        ("balanceOf(address)", chain_read.BALANCE_OF_SELECTOR),
        ("decimals()", chain_read.DECIMALS_SELECTOR),
        ("symbol()", chain_read.SYMBOL_SELECTOR),
        ("name()", chain_read.NAME_SELECTOR),
        ("Error(string)", chain_mod.ERROR_SELECTOR),
        ("Panic(uint256)", chain_mod.PANIC_SELECTOR),
    ]:
        assert keccak(text=sig)[:4].hex() == sel, sig


def test_ousdc_abi_has_transfer():
    path = ROOT / "og_tui" / "core" / "abi" / "ousdc.json"
    assert path.is_file(), f"{path} is missing: the OUSDC ABI ships inside the package"
    abi = json.loads(path.read_text())
    abi = abi.get("abi", abi) if isinstance(abi, dict) else abi
    fn = next(e for e in abi if e.get("type") == "function" and e.get("name") == "transfer")
    assert [i["type"] for i in fn["inputs"]] == ["address", "uint256"]


def test_encode_transfer_matches_eth_abi():
    from eth_abi import decode

    to = "0x" + "ab" * 20
    data = encode_transfer(to, 123)
    assert data.startswith("0xa9059cbb")
    addr, units = decode(["address", "uint256"], bytes.fromhex(data[10:]))
    assert addr.lower() == to and units == 123


def test_decode_revert_reason():
    from eth_abi import encode

    err = "0x08c379a0" + encode(["string"], ["OUSDC: transfer amount exceeds balance"]).hex()
    assert decode_revert_reason(err) == "OUSDC: transfer amount exceeds balance"
    panic = "0x4e487b71" + encode(["uint256"], [0x11]).hex()
    assert decode_revert_reason(panic) == "panic 0x11: arithmetic overflow or underflow"
    assert decode_revert_reason("0x12345678") == "custom error 0x12345678"
    assert decode_revert_reason("0x") == "no reason given"
    assert decode_revert_reason(None) == "no reason given"


@pytest.mark.parametrize(
    "error, cls",
    [
        ({"code": -32000, "message": "insufficient funds for gas * price + value"}, InsufficientFunds),
        ({"code": -32000, "message": "nonce too low: next nonce 5, tx nonce 4"}, NonceError),
        ({"code": -32000, "message": "invalid nonce"}, NonceError),
        ({"code": 3, "message": "execution reverted: nope", "data": "0x"}, TxReverted),
        ({"code": -32601, "message": "the method foo does not exist"}, ChainError),
    ],
)
def test_error_mapping(error, cls):
    client = ChainClient("http://127.0.0.1:1/rpc")
    exc = client._map_error("eth_sendRawTransaction", error)
    assert type(exc) is cls
    if cls is TxReverted:
        assert exc.reason == "nope"
    client.close()


def test_import_is_light():
    """The TUI imports core.chain at start: no web3 / eth_account / eth_abi then."""
    code = (
        "import sys, og_tui.core.chain;"
        "bad = [m for m in ('web3', 'eth_account', 'eth_abi', 'numpy') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == ""


def test_unreachable_names_url():
    url = f"http://127.0.0.1:{_free_port()}/rpc"
    with ChainClient(url, timeout=2) as client:
        with pytest.raises(NetworkUnreachable) as info:
            client.block_number()
    assert url in str(info.value)
    assert info.value.hint


# --- against the devnet ----------------------------------------------------------------


class CountingSigner:
    """A LocalAccount wrapper that counts signatures (to prove nothing was signed)."""

    def __init__(self, account=None):
        from eth_account import Account

        self.account = account or Account.create()
        self.signed = 0

    @property
    def address(self):
        return self.account.address

    def sign_transaction(self, tx):
        self.signed += 1
        return self.account.sign_transaction(tx)


def _funded(devnet) -> CountingSigner:
    from og_tui.core.devnet_client import DevnetClient

    signer = CountingSigner()
    DevnetClient(devnet.url).fund(signer.address)
    return signer


@pytest.fixture
def client(devnet):
    with ChainClient(devnet.rpc_url) as c:
        yield c


@pytest.mark.e2e
def test_reads_and_fund(devnet, client):
    from og_tui.core.devnet_client import DevnetClient

    assert client.chain_id() == devnet.info["chain_id"] == 107401
    assert client.block_number() >= 0
    assert client.gas_price() > 0
    dc = DevnetClient(devnet.url)
    assert dc.health()["status"] == "ok"
    signer = CountingSigner()
    assert client.balance(signer.address) == 0
    result = dc.fund(signer.address)
    assert result["address"] == signer.address
    assert client.balance(signer.address) == result["native_wei"] == devnet.info["faucet"]["native_wei"]
    assert client.token_balance(OUSDC_ADDRESS, signer.address) == result["token_units"]
    info = client.token_info(OUSDC_ADDRESS)
    assert (info.symbol, info.decimals) == ("OUSDC", 6)
    assert client.nonce(signer.address) == 0


@pytest.mark.e2e
def test_native_transfer_exact_accounting(devnet, client):
    sender, receiver = _funded(devnet), CountingSigner()
    before = client.balance(sender.address)
    stages = []
    value = 123_456_789_000
    out = client.transfer_native(sender, receiver.address, value, on_status=lambda s, i: stages.append(s))
    assert stages == ["estimating", "signed", "sent", "mined"]
    assert out.ok and out.status == 1 and out.hash.startswith("0x") and len(out.hash) == 66
    assert out.gas_used == 21000 and out.block >= 1 and out.nonce == 0 and out.attempts == 1
    assert out.from_addr == sender.address and out.to_addr == receiver.address
    assert client.balance(receiver.address) == value
    assert client.balance(sender.address) == before - value - out.gas_used * out.gas_price
    assert out.fee_wei == out.gas_used * out.gas_price
    assert client.nonce(sender.address) == 1
    assert out.latency_s < 5


@pytest.mark.e2e
def test_token_transfer_exact_accounting(devnet, client):
    sender, receiver = _funded(devnet), CountingSigner()
    native_before = client.balance(sender.address)
    tokens_before = client.token_balance(OUSDC_ADDRESS, sender.address)
    out = client.transfer_token(sender, OUSDC_ADDRESS, receiver.address, 2_500_000)
    assert out.ok and out.to_addr == OUSDC_ADDRESS and out.gas_used > 21000
    assert client.token_balance(OUSDC_ADDRESS, receiver.address) == 2_500_000
    assert client.token_balance(OUSDC_ADDRESS, sender.address) == tokens_before - 2_500_000
    assert client.balance(sender.address) == native_before - out.gas_used * out.gas_price


@pytest.mark.e2e
def test_estimate_transfer_cost(devnet, client):
    sender = _funded(devnet)
    fee = client.estimate_transfer_cost(sender.address, "0x" + "11" * 20, wei=1)
    gas, price, fee_wei = fee[:3]
    assert gas == 21000 and price > 0 and fee_wei == gas * price
    assert fee.gas_limit >= gas and fee.max_fee_wei == fee.gas_limit * price
    tfee = client.estimate_transfer_cost(sender.address, "0x" + "11" * 20, token=OUSDC_ADDRESS, units=1)
    assert tfee.gas > 21000
    with pytest.raises(InsufficientFunds, match="You have 1,000 OUSDC; this transfer needs"):
        client.estimate_transfer_cost(sender.address, "0x" + "11" * 20, token=OUSDC_ADDRESS, units=10**30)
    with pytest.raises(InsufficientFunds, match="You have 10 OG; this transfer needs 11 OG plus about"):
        client.estimate_transfer_cost(sender.address, "0x" + "11" * 20, wei=11 * 10**18)


@pytest.mark.e2e
def test_revert_reason_before_signing(devnet, client):
    sender = _funded(devnet)
    data = encode_transfer("0x" + "22" * 20, 10**30)
    with pytest.raises(TxReverted) as info:
        client.send(sender, {"to": OUSDC_ADDRESS, "data": data})
    assert "exceeds balance" in info.value.reason
    assert "exceeds balance" in str(info.value)
    assert sender.signed == 0


@pytest.mark.e2e
def test_mined_revert_replays_reason(devnet, client):
    """With a fixed gas limit nothing is estimated; the receipt says status 0."""
    sender = _funded(devnet)
    before = client.balance(sender.address)
    data = encode_transfer("0x" + "22" * 20, 10**30)
    with pytest.raises(TxReverted) as info:
        client.send(sender, {"to": OUSDC_ADDRESS, "data": data, "gas": 200_000})
    assert sender.signed == 1
    assert info.value.tx_hash and info.value.tx_hash.startswith("0x")
    assert "exceeds balance" in info.value.reason
    receipt = client.get_receipt(info.value.tx_hash)
    assert int(receipt["status"], 16) == 0
    assert client.balance(sender.address) < before  # gas was paid


@pytest.mark.e2e
def test_insufficient_funds_said_before_signing(devnet, client):
    poor = CountingSigner()
    with pytest.raises(InsufficientFunds) as info:
        client.transfer_native(poor, "0x" + "33" * 20, 10**18)
    text = str(info.value)
    assert text.startswith("You have 0 OG; this transfer needs 1 OG plus about")
    assert "for gas" in text and info.value.hint
    assert poor.signed == 0

    rich = _funded(devnet)
    have = client.balance(rich.address)
    with pytest.raises(InsufficientFunds, match="You have 10 OG; this transfer needs 10 OG plus about"):
        client.transfer_native(rich, "0x" + "33" * 20, have)  # value ok, gas missing
    with pytest.raises(InsufficientFunds, match="You have 1,000 OUSDC; this transfer needs 5,000 OUSDC"):
        client.transfer_token(rich, OUSDC_ADDRESS, "0x" + "33" * 20, 5_000 * 10**6)
    assert rich.signed == 0


@pytest.mark.e2e
def test_nonce_error_is_retried(devnet, client):
    sender = _funded(devnet)
    client.transfer_native(sender, "0x" + "44" * 20, 1)
    client.retry_delay = 0.01
    real_batch = client.rpc_batch
    calls = {"n": 0}

    def stale_batch(batch):
        results = real_batch(batch)
        calls["n"] += 1
        if calls["n"] == 1:  # first attempt sees a stale pending nonce
            results[0] = hex(int(results[0], 16) - 1)
        return results

    client.rpc_batch = stale_batch
    stages = []
    out = client.transfer_native(sender, "0x" + "44" * 20, 2, on_status=lambda s, i: stages.append(s))
    assert out.ok and out.attempts == 2 and out.nonce == 1
    assert "retry" in stages and stages[-1] == "mined"

    def always_stale(batch):
        results = real_batch(batch)
        results[0] = "0x0"
        return results

    client.rpc_batch = always_stale
    with pytest.raises(NonceError, match="gave up after 3 attempts"):
        client.transfer_native(sender, "0x" + "44" * 20, 3, max_retries=3)


@pytest.mark.e2e
def test_concurrent_senders_same_wallet(devnet):
    """Threads sharing a client serialize; two clients (two 'apps') race and retry."""
    sender = _funded(devnet)
    errors = []
    outcomes = []
    clients = [ChainClient(devnet.rpc_url), ChainClient(devnet.rpc_url)]
    for c in clients:
        c.retry_delay = 0.01

    def work(c, k):
        try:
            for j in range(4):
                # distinct values: identical txs with one nonce would share one hash
                outcomes.append(c.transfer_native(sender, "0x" + "55" * 20, 1 + 4 * k + j, max_retries=10))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(clients[i % 2], i)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(o.nonce for o in outcomes) == list(range(16))
    assert clients[0].balance("0x" + "55" * 20) == sum(range(1, 17))
    for c in clients:
        c.close()


@pytest.mark.e2e
def test_devnet_killed_gives_network_unreachable(fresh_devnet):
    sender = _funded(fresh_devnet)
    with ChainClient(fresh_devnet.rpc_url, timeout=3) as client:
        assert client.block_number() >= 1  # the faucet mined
        fresh_devnet.stop()
        with pytest.raises(NetworkUnreachable) as info:
            client.block_number()
        assert fresh_devnet.rpc_url in str(info.value)
        with pytest.raises(NetworkUnreachable):
            client.transfer_native(sender, "0x" + "66" * 20, 1)
        assert sender.signed == 0
        # and it recovers once the devnet is back (same chain, kept on disk)
        fresh_devnet.start()
        assert client.balance(sender.address) > 0
