"""JSON-RPC parameter parsing for the devnet's Ethereum RPC, and its error object.

``RpcError`` is a JSON-RPC error ``{code, message, data?}``; ``invalid`` the -32602 one.
The ``p_*`` functions turn wire values (hex quantities, 0x data, addresses, hashes, block
tags, call objects) into Python values or raise ``invalid``; ``expect_params`` checks a
method's positional params and pads the optional ones with ``None``.
"""

from __future__ import annotations

from typing import Any


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict:
        err = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err


def invalid(message: str) -> RpcError:
    return RpcError(-32602, message)


# --- parameter parsing ---------------------------------------------------------------------


def p_quantity(value: Any, name: str = "quantity") -> int:
    if isinstance(value, bool):
        raise invalid(f"invalid {name}: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.startswith(("0x", "0X")):
        try:
            return int(value, 16) if len(value) > 2 else 0
        except ValueError:
            pass
    raise invalid(f"invalid {name}: expected a hex quantity, got {value!r}")


def p_data(value: Any, name: str = "data") -> bytes:
    if value is None:
        return b""
    if isinstance(value, str) and value.startswith(("0x", "0X")):
        hexpart = value[2:]
        if len(hexpart) % 2:
            hexpart = "0" + hexpart
        try:
            return bytes.fromhex(hexpart)
        except ValueError:
            pass
    raise invalid(f"invalid {name}: expected 0x-prefixed hex bytes, got {value!r}")


def p_address(value: Any, name: str = "address") -> bytes:
    raw = p_data(value, name)
    if len(raw) != 20:
        raise invalid(f"invalid {name}: expected 20 bytes, got {value!r}")
    return raw


def p_hash(value: Any, name: str = "hash") -> bytes:
    raw = p_data(value, name)
    if len(raw) != 32:
        raise invalid(f"invalid {name}: expected 32 bytes, got {value!r}")
    return raw


def p_block(value: Any, chain) -> Any:
    """A block tag: 'latest' & co., a hex number, or an EIP-1898 object."""
    if value is None:
        return "latest"
    if isinstance(value, dict):
        if "blockHash" in value:
            blk = chain.block_by_hash(p_hash(value["blockHash"], "blockHash"))
            if blk is None:
                raise RpcError(-32001, f"block {value['blockHash']} not found")
            return blk.number
        if "blockNumber" in value:
            return p_block(value["blockNumber"], chain)
        raise invalid(f"invalid block parameter: {value!r}")
    if value in ("latest", "pending", "earliest", "safe", "finalized"):
        return value
    return p_quantity(value, "block number")


def p_call(obj: Any) -> dict:
    if not isinstance(obj, dict):
        raise invalid("transaction call object expected")
    tx: dict = {}
    if obj.get("from"):
        tx["from"] = p_address(obj["from"], "from")
    if obj.get("to"):
        tx["to"] = p_address(obj["to"], "to")
    if obj.get("gas") is not None:
        tx["gas"] = p_quantity(obj["gas"], "gas")
    if obj.get("value") is not None:
        tx["value"] = p_quantity(obj["value"], "value")
    payload = obj.get("input", obj.get("data"))
    if payload is not None:
        tx["data"] = p_data(payload, "input")
    for key in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "nonce"):
        if obj.get(key) is not None:
            tx[key] = p_quantity(obj[key], key)
    return tx


def expect_params(params: Any, minimum: int, maximum: int) -> list:
    if params is None:
        params = []
    if not isinstance(params, list):
        raise invalid("params must be an array")
    if not minimum <= len(params) <= maximum:
        raise invalid(f"expected {minimum}..{maximum} params, got {len(params)}")
    return params + [None] * (maximum - len(params))
