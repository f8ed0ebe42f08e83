"""Small helpers for the devnet tests: hand-assembled contracts and signing."""

from __future__ import annotations

import json
from pathlib import Path

from eth_account import Account
from eth_utils import keccak

OUSDC_ABI = json.loads((Path(__file__).resolve().parents[2] / "og_tui" / "core" / "abi" / "ousdc.json").read_text())

# Storage contract, runtime (hand-assembled):
#   no calldata  -> return sload(0)
#   calldata w   -> sstore(0, w); log1(w, topic=STORED_TOPIC); stop
STORED_TOPIC = keccak(text="Stored(uint256)")
RUNTIME = bytes.fromhex(
    "36600f57"  # CALLDATASIZE PUSH1 0x0f JUMPI
    "600054600052"  # PUSH1 0 SLOAD PUSH1 0 MSTORE
    "60206000f3"  # PUSH1 32 PUSH1 0 RETURN
    "5b"  # JUMPDEST (0x0f)
    "60003580600055600052"  # PUSH1 0 CALLDATALOAD DUP1 PUSH1 0 SSTORE PUSH1 0 MSTORE
    "7f"
    + STORED_TOPIC.hex()  # PUSH32 topic
    + "60206000a100"  # PUSH1 32 PUSH1 0 LOG1 STOP
)


def deploy_code(runtime: bytes) -> bytes:
    """Init code that returns ``runtime`` (12-byte CODECOPY/RETURN prologue)."""
    n = len(runtime)
    assert n < 256
    return bytes([0x60, n, 0x60, 12, 0x60, 0, 0x39, 0x60, n, 0x60, 0, 0xF3]) + runtime


def forwarder_runtime(target: bytes) -> bytes:
    """STATICCALLs ``target`` with the incoming calldata and returns its first 32 bytes."""
    return (
        bytes.fromhex("366000600037")  # CALLDATACOPY(0, 0, CALLDATASIZE)
        + bytes.fromhex("6020600036600073")  # retSize retOffset argsSize argsOffset PUSH20
        + target
        + bytes.fromhex("5afa50")  # GAS STATICCALL POP
        + bytes.fromhex("60206000f3")  # RETURN(0, 32)
    )


def sign_authorization(key: str, token: str, chain_id: int, message: dict, primary="TransferWithAuthorization"):
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            primary: [
                {"name": "from", "type": "address"},
                {"name": "to", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "validAfter", "type": "uint256"},
                {"name": "validBefore", "type": "uint256"},
                {"name": "nonce", "type": "bytes32"},
            ],
        },
        "primaryType": primary,
        "domain": {"name": "OUSDC", "version": "2", "chainId": chain_id, "verifyingContract": token},
        "message": message,
    }
    return Account.sign_typed_data(key, full_message=typed)
