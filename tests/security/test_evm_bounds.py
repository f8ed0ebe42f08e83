"""EVM calls bounded: the 4-byte infinite loop ends with a clear error, and the devnet keeps
serving transfers, the faucet, inference and paid LLM calls while it runs.

Over HTTP against a real devnet (``--rpc-evm-timeout``); the gas cap on an in-process node.
"""

from __future__ import annotations

import threading
import uuid

import httpx
import numpy as np
import pytest
from eth_account import Account

from tests.security.helpers import assert_alive, post, rpc

pytestmark = pytest.mark.e2e

LOOP = "0x5b600056"  # JUMPDEST PUSH1 0 JUMP: loops until the gas runs out
EVM_TIMEOUT = 12  # long enough for every liveness probe below to finish while the loops run
# runtime code calling itself in a loop: JUMPDEST, CALL(gas, address, 0, 0, 0, 0, 0), POP, JUMP 0
CALL_LOOP_RUNTIME = bytes.fromhex("5b" + "6000" * 5 + "30" + "5a" + "f1" + "50" + "6000" + "56")


def init_code(runtime: bytes) -> str:
    """Init code that returns ``runtime`` (CODECOPY + RETURN)."""
    n = len(runtime)
    head = bytes.fromhex(f"60{n:02x}600c60003960{n:02x}6000f3")
    return "0x" + (head + runtime).hex()


@pytest.fixture(scope="module")
def devnet(devnet_factory):
    proc = devnet_factory(extra_args=["--rpc-evm-timeout", EVM_TIMEOUT, "--rpc-gas-cap", 0])
    yield proc
    proc.stop()


class Background:
    """One JSON-RPC request running in a thread; ``answer`` once it is done."""

    def __init__(self, devnet, method: str, *params) -> None:
        self.answer: dict | None = None
        self.thread = threading.Thread(target=self._run, args=(devnet, method, params), daemon=True)
        self.thread.start()

    def _run(self, devnet, method, params) -> None:
        self.answer = rpc(devnet, method, *params)

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    def result(self) -> dict:
        self.thread.join(EVM_TIMEOUT * 6)
        assert self.answer is not None
        return self.answer


def fund(devnet) -> Account:
    acct = Account.create()
    status, body = devnet.post("/faucet", {"address": acct.address})
    assert status == 200, body
    return acct


def transfer(devnet, sender: Account, to: str, value: int) -> dict:
    nonce = int(rpc(devnet, "eth_getTransactionCount", sender.address, "latest")["result"], 16)
    base = int(rpc(devnet, "eth_gasPrice")["result"], 16)
    signed = sender.sign_transaction(
        {
            "type": 2,
            "chainId": devnet.info["chain_id"],
            "nonce": nonce,
            "to": to,
            "value": value,
            "gas": 21_000,
            "maxFeePerGas": 2 * base,
            "maxPriorityFeePerGas": 10**9,
        }
    )
    sent = rpc(devnet, "eth_sendRawTransaction", "0x" + bytes(signed.raw_transaction).hex())
    assert "result" in sent, sent
    return rpc(devnet, "eth_getTransactionReceipt", sent["result"])["result"]


def deploy(devnet, runtime: bytes) -> str:
    sender = rpc(devnet, "eth_accounts")["result"][0]
    tx = rpc(devnet, "eth_sendTransaction", {"from": sender, "data": init_code(runtime), "gas": "0x100000"})
    address = rpc(devnet, "eth_getTransactionReceipt", tx["result"])["result"]["contractAddress"]
    assert rpc(devnet, "eth_getCode", address, "latest")["result"] == "0x" + runtime.hex()
    return address


def test_infinite_loops_end_with_a_timeout_while_everything_else_answers(devnet):
    payer, receiver = fund(devnet), Account.create()
    _vanilla_inference(devnet, payer)  # warm-up: the model and the client modules are loaded once
    _paid_chat(devnet, payer)
    call_loop = deploy(devnet, CALL_LOOP_RUNTIME)
    dev = rpc(devnet, "eth_accounts")["result"][1]
    dev_nonce = rpc(devnet, "eth_getTransactionCount", dev, "latest")["result"]

    # three loops at once: the devnet runs 4 calls at a time, one slot stays for the inference's estimate
    loops = [
        Background(devnet, "eth_call", {"data": LOOP}, "latest"),  # the 4-byte loop as init code
        Background(devnet, "eth_estimateGas", {"data": LOOP}),
        Background(devnet, "eth_call", {"to": call_loop}, "latest"),  # a loop of nested calls
    ]
    # while the loops run: reads, a transfer, the faucet, a VANILLA inference, a paid and settled LLM call
    assert int(rpc(devnet, "eth_blockNumber")["result"], 16) > 0
    assert httpx.get(devnet.url + "/health", timeout=30).json()["status"] == "ok"
    assert transfer(devnet, payer, receiver.address, 12345)["status"] == "0x1"
    assert int(rpc(devnet, "eth_getBalance", receiver.address, "latest")["result"], 16) == 12345
    assert devnet.post("/faucet", {"address": receiver.address})[0] == 200
    run = _vanilla_inference(devnet, payer)
    assert run.inference_id and run.model_output
    out = _paid_chat(devnet, payer)
    assert out.meta.settlement_status == "settled" and out.meta.settlement_tx
    assert rpc(devnet, "eth_getTransactionReceipt", out.meta.settlement_tx)["result"]["status"] == "0x1"
    assert all(loop.running for loop in loops)  # all of the above was served while the loops ran
    loops.append(Background(devnet, "eth_sendTransaction", {"from": dev, "to": call_loop}))  # estimated first

    for loop in loops:
        error = loop.result()["error"]
        assert error["code"] == -32000
        assert error["message"].startswith(f"execution aborted (timeout = {EVM_TIMEOUT}s)")
        assert "--rpc-evm-timeout" in error["message"]
    # the eth_sendTransaction whose estimate timed out sent nothing
    assert rpc(devnet, "eth_getTransactionCount", dev, "latest")["result"] == dev_nonce
    assert_alive(devnet)


def test_calls_still_work_normally(devnet):
    # a call that returns: 0x2a stored and returned by init code (PUSH1 42, PUSH1 0, MSTORE, PUSH1 32, PUSH1 0, RETURN)
    answer = rpc(devnet, "eth_call", {"data": "0x602a60005260206000f3"}, "latest")
    assert int(answer["result"], 16) == 42
    assert int(rpc(devnet, "eth_estimateGas", {"data": "0x602a60005260206000f3"})["result"], 16) > 21_000
    reverted = rpc(devnet, "eth_call", {"data": "0x60006000fd"}, "latest")["error"]
    assert reverted["code"] == 3


def _vanilla_inference(devnet, signer):
    from og_tui.core.chain import ChainClient
    from og_tui.core.inference import InferenceClient

    with ChainClient(devnet.rpc_url) as chain:
        client = InferenceClient(chain, devnet.info["contracts"]["inference_hub"], devnet.info["api_url"])
        try:
            cid = _sample_cid("linear-regression")
            x = np.random.default_rng(uuid.uuid4().int % 2**32).random((1, 3, 4)).astype(np.float32)
            return client.infer(signer, cid, 0, {"input": x})
        finally:
            client.close()


def _sample_cid(name: str) -> str:
    from og_tui.core.cid import cid_for_bytes
    from og_tui.devnet.hub.samples import build_samples

    return next(cid_for_bytes(s.data) for s in build_samples() if s.name == name)


def _paid_chat(devnet, signer):
    from og_tui.core.llm import DEVNET_MODEL, LLMClient
    from og_tui.core.profiles import builtin_profiles

    base = devnet.url
    profile = builtin_profiles()["local"].replace(
        rpc_url=base + "/rpc",
        api_url=base,
        hub_url=base + "/api/v0",
        auth_url=base + "/auth",
        llm_url=base,
        devnet_port=devnet.port,
    )
    client = LLMClient(profile, signer)
    try:
        return client.chat(DEVNET_MODEL, [{"role": "user", "content": "hello"}], max_tokens=8, settlement="settle")
    finally:
        client.close()


# --- the gas cap, on an in-process node ----------------------------------------------------------------


@pytest.fixture(scope="module")
def capped_node(tmp_path_factory):
    from og_tui.devnet.limits import DevnetLimits
    from og_tui.devnet.node import DevnetNode

    limits = DevnetLimits(gas_cap=1_000_000, evm_timeout=60, tx_timeout=1)
    node = DevnetNode(tmp_path_factory.mktemp("capped") / "data", limits=limits)
    yield node
    node.close()


def _call(node, method, *params) -> dict:
    return node.rpc.handle({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})


def test_gas_cap_bounds_calls_and_estimates(capped_node):
    error = _call(capped_node, "eth_call", {"data": LOOP}, "latest")["error"]
    assert "OutOfGas" in error["message"]  # ran out of the capped gas, long before the 60 s deadline
    # a gas above the cap is lowered to it
    error = _call(capped_node, "eth_call", {"data": LOOP, "gas": hex(10**30)}, "latest")["error"]
    assert "OutOfGas" in error["message"]
    error = _call(capped_node, "eth_estimateGas", {"data": LOOP})["error"]
    assert error["message"] == "gas required exceeds allowance (1000000)"
    assert _call(capped_node, "eth_call", {"data": "0x602a60005260206000f3"}, "latest")["result"].endswith("2a")


def test_a_runaway_transaction_is_not_mined(capped_node):
    sender = capped_node.dev_accounts[2].address
    nonce = _call(capped_node, "eth_getTransactionCount", sender, "latest")["result"]
    block = _call(capped_node, "eth_blockNumber")["result"]
    # the loop as a contract creation with the whole block's gas: ~150 M gas of looping
    error = _call(
        capped_node,
        "eth_sendTransaction",
        {"from": sender, "data": LOOP, "gas": hex(capped_node.config.block_gas_limit)},
    )["error"]
    assert error["message"].startswith("transaction not mined: execution aborted (timeout = 1s)")
    assert _call(capped_node, "eth_getTransactionCount", sender, "latest")["result"] == nonce
    assert _call(capped_node, "eth_blockNumber")["result"] == block
    sent = _call(capped_node, "eth_sendTransaction", {"from": sender, "to": "0x" + "33" * 20, "value": "0x5"})
    assert _call(capped_node, "eth_getTransactionReceipt", sent["result"])["result"]["status"] == "0x1"


def test_gas_cap_zero_means_the_block_gas_limit(tmp_path):
    from og_tui.devnet.limits import DevnetLimits
    from og_tui.devnet.node import DevnetNode

    node = DevnetNode(tmp_path / "data", limits=DevnetLimits(gas_cap=0))
    try:
        assert node.chain.call_gas_cap() == node.config.block_gas_limit
    finally:
        node.close()


def test_the_body_of_a_json_route_needs_json(devnet):
    # eth_call with a text/plain body (what any web page can send) is refused before the EVM runs
    resp = post(
        devnet,
        "/rpc",
        '{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"data":"' + LOOP + '"}]}',
        headers={"Content-Type": "text/plain"},
    )
    assert resp.status_code == 415
