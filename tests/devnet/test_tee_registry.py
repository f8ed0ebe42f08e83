"""The devnet TEE registry contract in a real in-process chain: only enabled TEEs with a fresh
heartbeat are active, the views agree with each other, writes are refused."""

from __future__ import annotations

import time

import pytest
from eth_abi import decode, encode
from eth_utils import keccak

from og_tui.core import constants
from og_tui.core.tee import TEE_INFO_TYPE, decode_tees
from og_tui.devnet.native import selector
from og_tui.devnet.node import DevnetNode
from og_tui.devnet.tee.registry import TeeRecord, TeeRegistry

ADDRESS = constants.TEE_REGISTRY_ADDRESS


def _record(name: bytes, heartbeat: int, enabled: bool = True, tee_type: int = 0) -> TeeRecord:
    pub = b"public key " + name
    return TeeRecord(
        tee_id=keccak(pub),
        owner=b"\x01" * 20,
        payment_address=b"\x02" * 20,
        endpoint="https://tee-" + name.decode() + ".example:443",
        public_key=pub,
        tls_certificate=b"cert " + name,
        pcr_hash=keccak(b"pcr"),
        tee_type=tee_type,
        enabled=enabled,
        registered_at=heartbeat - 100,
        last_heartbeat_at=heartbeat,
    )


@pytest.fixture
def node(tmp_path):
    now = int(time.time())
    registry = TeeRegistry(ttl=30)
    for rec in (
        _record(b"fresh", now),
        _record(b"stale", now - 31),
        _record(b"off", now, enabled=False),
        _record(b"validator", now, tee_type=1),
    ):
        registry.register(rec)
    n = DevnetNode(tmp_path / "chain")
    n.register_native(ADDRESS, registry, name="TEERegistry")
    yield n, registry
    n.close()


def call(node, sig: str, types: list, args: list):
    data = "0x" + (selector(sig) + encode(types, args)).hex()
    answer = node.rpc.handle(
        {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"to": ADDRESS, "data": data}, "latest"]}
    )
    if "error" in answer:
        return answer["error"]
    return bytes.fromhex(answer["result"][2:])


def test_only_enabled_tees_with_a_fresh_heartbeat_are_active(node):
    node, registry = node
    active = decode_tees(call(node, "getActiveTEEs(uint8)", ["uint8"], [0]))
    assert [t.endpoint for t in active] == ["https://tee-fresh.example:443"]
    assert [t.endpoint for t in decode_tees(call(node, "getActiveTEEs(uint8)", ["uint8"], [1]))] == [
        "https://tee-validator.example:443"
    ]
    (all_ids,) = decode(["bytes32[]"], call(node, "getTEEsByType(uint8)", ["uint8"], [0]))
    (enabled,) = decode(["bytes32[]"], call(node, "getEnabledTEEs(uint8)", ["uint8"], [0]))
    assert len(all_ids) == 3 and len(enabled) == 2 and keccak(b"public key off") not in enabled
    stale = keccak(b"public key stale")
    assert decode(["bool"], call(node, "isTEEActive(bytes32)", ["bytes32"], [stale])) == (False,)
    assert decode(["bool"], call(node, "isTEEEnabled(bytes32)", ["bytes32"], [stale])) == (True,)
    registry.heartbeat(stale)  # a beat brings it back
    assert decode(["bool"], call(node, "isTEEActive(bytes32)", ["bytes32"], [stale])) == (True,)
    (info,) = decode([TEE_INFO_TYPE], call(node, "getTEE(bytes32)", ["bytes32"], [stale]))
    assert info[2] == "https://tee-stale.example:443" and info[9] >= int(time.time()) - 1
    assert info[10] == (0, 0, 0, 0, b"", b"", 0)  # no OHTTP config


def test_unknown_functions_and_bad_arguments_revert(node):
    node, _ = node
    err = call(node, "registerTEE(bytes)", ["bytes"], [b"x"])
    assert err["code"] == 3 and "only the views" in err["message"]
    data = "0x" + selector("getActiveTEEs(uint8)").hex()  # no argument
    answer = node.rpc.handle(
        {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"to": ADDRESS, "data": data}, "latest"]}
    )
    assert "malformed call data" in answer["error"]["message"]
