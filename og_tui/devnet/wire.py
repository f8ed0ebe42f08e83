"""Serialize py-evm objects to the Ethereum JSON-RPC wire format.

Quantities are minimal hex (``0x0``, ``0x1a``), byte strings are ``0x``-prefixed hex,
addresses are lower-case hex, and field names are camelCase as geth sends them.
"""

from __future__ import annotations

import rlp

from og_tui.devnet.chain import contract_address

ZERO32 = "0x" + "00" * 32


def q(value: int) -> str:
    return hex(value)


def data(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def addr(value: bytes | None) -> str | None:
    if not value:
        return None
    return "0x" + bytes(value).hex()


def word(value: int | bytes) -> str:
    if isinstance(value, int):
        return "0x" + value.to_bytes(32, "big").hex()
    return "0x" + bytes(value).rjust(32, b"\x00").hex()


def bloom(value: int) -> str:
    return "0x" + value.to_bytes(256, "big").hex()


def tx_type(tx) -> int:
    return getattr(tx, "type_id", None) or 0


def effective_gas_price(tx, base_fee: int) -> int:
    if tx_type(tx) >= 2:
        return min(tx.max_fee_per_gas, tx.max_priority_fee_per_gas + base_fee)
    return tx.gas_price


def transaction(tx, block, index: int) -> dict:
    kind = tx_type(tx)
    out = {
        "type": q(kind),
        "hash": data(tx.hash),
        "nonce": q(tx.nonce),
        "blockHash": data(block.hash),
        "blockNumber": q(block.number),
        "transactionIndex": q(index),
        "from": addr(tx.sender),
        "to": addr(tx.to),
        "value": q(tx.value),
        "gas": q(tx.gas),
        "input": data(tx.data),
    }
    base_fee = block.header.base_fee_per_gas
    if kind >= 2:
        out["maxFeePerGas"] = q(tx.max_fee_per_gas)
        out["maxPriorityFeePerGas"] = q(tx.max_priority_fee_per_gas)
        out["gasPrice"] = q(effective_gas_price(tx, base_fee))
    else:
        out["gasPrice"] = q(tx.gas_price)
    if kind >= 1:
        out["chainId"] = q(tx.chain_id)
        out["accessList"] = [
            {"address": addr(a), "storageKeys": [word(k) for k in keys]} for a, keys in (tx.access_list or ())
        ]
        out["v"] = q(tx.y_parity)
        out["yParity"] = q(tx.y_parity)
    else:
        out["v"] = q(tx.v)
        if tx.chain_id is not None:
            out["chainId"] = q(tx.chain_id)
    out["r"] = q(tx.r)
    out["s"] = q(tx.s)
    return out


def block(blk, full: bool) -> dict:
    h = blk.header
    if full:
        txs = [transaction(tx, blk, i) for i, tx in enumerate(blk.transactions)]
    else:
        txs = [data(tx.hash) for tx in blk.transactions]
    out = {
        "number": q(h.block_number),
        "hash": data(h.hash),
        "parentHash": data(h.parent_hash),
        "nonce": data(h.nonce),
        "sha3Uncles": data(h.uncles_hash),
        "logsBloom": bloom(h.bloom),
        "transactionsRoot": data(h.transaction_root),
        "stateRoot": data(h.state_root),
        "receiptsRoot": data(h.receipt_root),
        "miner": "0x" + bytes(h.coinbase).hex(),
        "difficulty": q(h.difficulty),
        "totalDifficulty": q(h.difficulty),
        "extraData": data(h.extra_data),
        "size": q(len(rlp.encode(blk))),
        "gasLimit": q(h.gas_limit),
        "gasUsed": q(h.gas_used),
        "timestamp": q(h.timestamp),
        "mixHash": data(h.mix_hash),
        "transactions": txs,
        "uncles": [],
    }
    for field, key, conv in (
        ("base_fee_per_gas", "baseFeePerGas", q),
        ("withdrawals_root", "withdrawalsRoot", data),
        ("blob_gas_used", "blobGasUsed", q),
        ("excess_blob_gas", "excessBlobGas", q),
        ("parent_beacon_block_root", "parentBeaconBlockRoot", data),
        ("requests_hash", "requestsHash", data),
    ):
        value = getattr(h, field, None)
        if value is not None:
            out[key] = conv(value)
    if hasattr(h, "withdrawals_root"):
        out["withdrawals"] = []
    return out


def log(entry, blk, tx, tx_index: int, log_index: int) -> dict:
    return {
        "address": addr(entry.address),
        "topics": [word(t) for t in entry.topics],
        "data": data(entry.data),
        "blockNumber": q(blk.number),
        "blockHash": data(blk.hash),
        "blockTimestamp": q(blk.header.timestamp),
        "transactionHash": data(tx.hash),
        "transactionIndex": q(tx_index),
        "logIndex": q(log_index),
        "removed": False,
    }


def receipt(blk, tx, index: int, receipts: tuple) -> dict:
    rec = receipts[index]
    previous = receipts[index - 1].gas_used if index else 0
    first_log = sum(len(r.logs) for r in receipts[:index])
    created = contract_address(tx.sender, tx.nonce) if not tx.to else None
    status = 1 if rec.state_root == b"\x01" else 0
    return {
        "type": q(tx_type(tx)),
        "transactionHash": data(tx.hash),
        "transactionIndex": q(index),
        "blockHash": data(blk.hash),
        "blockNumber": q(blk.number),
        "from": addr(tx.sender),
        "to": addr(tx.to),
        "cumulativeGasUsed": q(rec.gas_used),
        "gasUsed": q(rec.gas_used - previous),
        "effectiveGasPrice": q(effective_gas_price(tx, blk.header.base_fee_per_gas)),
        "contractAddress": addr(created),
        "logs": [log(entry, blk, tx, index, first_log + i) for i, entry in enumerate(rec.logs)],
        "logsBloom": bloom(rec.bloom),
        "status": q(status),
    }
