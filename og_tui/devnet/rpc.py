"""Ethereum JSON-RPC 2.0 over the devnet chain, in the wire format any client expects.

``RpcDispatcher.handle(payload)`` takes the decoded JSON body (one request or a batch)
and returns the JSON-able response (or ``None`` for a batch of notifications);
``respond(payload)`` returns it serialized, within the response size limit. Every
method runs under the node's chain lock, except ``eth_call``/``eth_estimateGas`` (and
the estimate of ``eth_sendTransaction``), whose EVM runs outside it, under the gas cap
and the wall-clock limit (``limits.py``). Batches are capped in length, filters in
number and lifetime, ids must be what JSON-RPC allows. Errors are JSON-RPC error objects
``{code, message, data?}``; a revert is ``{code: 3, message: "execution reverted:
<reason>", data: "0x<revert data>"}`` like geth, so web3 raises ``ContractLogicError``.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import time
from typing import TYPE_CHECKING, Any, Callable

from og_tui.devnet import wire
from og_tui.devnet.chain import ChainError
from og_tui.devnet.limits import DevnetLimits

if TYPE_CHECKING:
    from og_tui.devnet.node import DevnetNode

log = logging.getLogger(__name__)

PRIORITY_FEE = 10**9  # 1 gwei tip suggested to clients
CLIENT_VERSION = "og-tui-devnet/0.1.0/py-evm"
MAX_LOG_RANGE = 100_000


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


def _params(params: Any, minimum: int, maximum: int) -> list:
    if params is None:
        params = []
    if not isinstance(params, list):
        raise invalid("params must be an array")
    if not minimum <= len(params) <= maximum:
        raise invalid(f"expected {minimum}..{maximum} params, got {len(params)}")
    return params + [None] * (maximum - len(params))


# --- dispatcher ---------------------------------------------------------------------------------


# methods that take the node lock themselves, only for the parts that touch the chain
UNLOCKED_METHODS = frozenset({"eth_call", "eth_estimateGas", "eth_sendTransaction"})
# exceptions that mean "this input cannot be handled" rather than "the node is broken"
INPUT_FAULTS = (ValueError, TypeError, OverflowError, RecursionError)


def valid_id(value: Any) -> bool:
    """What JSON-RPC 2.0 allows as an id: a string, a (finite) number or null."""
    if value is None or isinstance(value, str):
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")


class RpcDispatcher:
    def __init__(self, node: "DevnetNode") -> None:
        self.node = node
        self.limits: DevnetLimits = getattr(node, "limits", None) or DevnetLimits()
        self._filters: dict[int, dict] = {}
        self._filter_ids = itertools.count(1)
        self.methods: dict[str, Callable[[list], Any]] = {
            name[4:]: getattr(self, name) for name in dir(self) if name.startswith("rpc_")
        }

    @property
    def chain(self):
        return self.node.chain

    # -- entry point --------------------------------------------------------------------
    def handle(self, payload: Any) -> Any:
        if isinstance(payload, list):
            refused = self._refuse_batch(payload)
            if refused is not None:
                return refused
            answers = [self._one(item) for item in payload]
            answers = [a for a in answers if a is not None]
            return answers or None
        return self._one(payload)

    def respond(self, payload: Any) -> bytes | None:
        """``handle`` serialized as JSON, its results within ``limits.response_limit`` bytes.

        A single answer over the limit becomes error -32003; in a batch, the answer that
        crosses the limit and every later one are that error (the later requests are not run).
        """
        limit = self.limits.response_limit
        if not isinstance(payload, list):
            answer = self._one(payload)
            if answer is None:
                return None
            raw = _dumps(answer)
            return raw if len(raw) <= limit else _dumps(_too_large(answer.get("id"), limit))
        refused = self._refuse_batch(payload)
        if refused is not None:
            return _dumps(refused)
        parts: list[bytes] = []
        size = 2
        full = False
        for item in payload:
            if full:  # the rest is not run: each request gets the error (notifications nothing)
                if isinstance(item, dict) and "id" not in item:
                    continue
                req_id = item.get("id") if isinstance(item, dict) and valid_id(item.get("id")) else None
                parts.append(_dumps(_too_large(req_id, limit)))
                continue
            answer = self._one(item)
            if answer is None:
                continue
            raw = _dumps(answer)
            if size + len(raw) + 1 > limit:
                raw = _dumps(_too_large(answer.get("id"), limit))
                full = True
            size += len(raw) + 1
            parts.append(raw)
        return b"[" + b",".join(parts) + b"]" if parts else None

    def _refuse_batch(self, payload: list) -> dict | None:
        if not payload:
            return _error(None, RpcError(-32600, "empty batch"))
        if len(payload) > self.limits.batch_limit:
            return _error(
                None,
                RpcError(
                    -32600, f"batch too large: {len(payload)} requests, at most {self.limits.batch_limit} per batch"
                ),
            )
        return None

    def _one(self, req: Any) -> dict | None:
        if not isinstance(req, dict):
            return _error(None, RpcError(-32600, "invalid request: expected a JSON object"))
        req_id = req.get("id")
        if not valid_id(req_id):
            return _error(None, RpcError(-32600, "invalid request: the id must be a string, a finite number or null"))
        if req.get("jsonrpc") != "2.0" or not isinstance(req.get("method"), str):
            return _error(
                req_id, RpcError(-32600, 'invalid request: expected {"jsonrpc": "2.0", "method": "...", ...}')
            )
        name = req["method"]
        method = self.methods.get(name)
        try:
            if method is None:
                raise RpcError(-32601, f"the method {name[:100]} does not exist/is not available")
            if name in UNLOCKED_METHODS:
                result = method(req.get("params"))
            else:
                with self.node.lock:
                    result = method(req.get("params"))
        except RpcError as exc:
            return _error(req_id, exc)
        except ChainError as exc:
            return _error(req_id, RpcError(exc.code, exc.message, exc.data))
        except INPUT_FAULTS as exc:
            log.warning("rpc method %s refused its params: %s: %s", name, type(exc).__name__, exc)
            return _error(req_id, invalid(f"invalid params: {type(exc).__name__}: {str(exc)[:200]}"))
        except Exception as exc:  # never leak a traceback to the client; log it here
            log.exception("rpc method %s failed", name)
            return _error(req_id, RpcError(-32603, f"internal error: {type(exc).__name__}: {exc}"))
        if "id" not in req:
            return None  # notification
        return {"jsonrpc": "2.0", "id": req_id, "result": result}

    # -- node info ------------------------------------------------------------------------
    def rpc_web3_clientVersion(self, params):
        return CLIENT_VERSION

    def rpc_web3_sha3(self, params):
        from eth_utils import keccak

        (value,) = _params(params, 1, 1)
        return wire.data(keccak(p_data(value)))

    def rpc_net_version(self, params):
        return str(self.chain.chain_id)

    def rpc_net_listening(self, params):
        return True

    def rpc_net_peerCount(self, params):
        return "0x0"

    def rpc_eth_chainId(self, params):
        return wire.q(self.chain.chain_id)

    def rpc_eth_syncing(self, params):
        return False

    def rpc_eth_mining(self, params):
        return False

    def rpc_eth_hashrate(self, params):
        return "0x0"

    def rpc_eth_coinbase(self, params):
        return "0x" + "00" * 20

    def rpc_eth_protocolVersion(self, params):
        return "0x44"

    def rpc_eth_accounts(self, params):
        return [a.address.lower() for a in self.chain.dev_accounts]

    def rpc_eth_blockNumber(self, params):
        return wire.q(self.chain.block_number)

    # -- fees -------------------------------------------------------------------------------
    def rpc_eth_gasPrice(self, params):
        return wire.q(self.chain.next_base_fee() + PRIORITY_FEE)

    def rpc_eth_maxPriorityFeePerGas(self, params):
        return wire.q(PRIORITY_FEE)

    def rpc_eth_blobBaseFee(self, params):
        return "0x1"

    def rpc_eth_feeHistory(self, params):
        count, newest, percentiles = _params(params, 2, 3)
        count = p_quantity(count, "blockCount")
        if not 1 <= count <= 1024:
            raise invalid("blockCount must be between 1 and 1024")
        newest_header = self.chain.header_for(p_block(newest, self.chain))
        newest_n = newest_header.block_number
        oldest = max(0, newest_n - count + 1)
        base_fees, ratios, rewards = [], [], []
        for n in range(oldest, newest_n + 1):
            blk = self.chain.block_by_number(n)
            h = blk.header
            base_fees.append(wire.q(h.base_fee_per_gas))
            ratios.append(h.gas_used / h.gas_limit if h.gas_limit else 0.0)
            if percentiles:
                tips = sorted(
                    wire.effective_gas_price(tx, h.base_fee_per_gas) - h.base_fee_per_gas for tx in blk.transactions
                )
                row = []
                for p in percentiles:
                    if not tips:
                        row.append("0x0")
                    else:
                        idx = min(len(tips) - 1, int(len(tips) * float(p) / 100))
                        row.append(wire.q(max(0, tips[idx])))
                rewards.append(row)
        if newest_n == self.chain.block_number:
            base_fees.append(wire.q(self.chain.next_base_fee()))
        else:
            base_fees.append(wire.q(self.chain.block_by_number(newest_n + 1).header.base_fee_per_gas))
        out = {"oldestBlock": wire.q(oldest), "baseFeePerGas": base_fees, "gasUsedRatio": ratios}
        if percentiles:
            out["reward"] = rewards
        return out

    # -- state --------------------------------------------------------------------------------
    def rpc_eth_getBalance(self, params):
        address, tag = _params(params, 1, 2)
        return wire.q(self.chain.get_balance(p_address(address), p_block(tag, self.chain)))

    def rpc_eth_getTransactionCount(self, params):
        address, tag = _params(params, 1, 2)
        return wire.q(self.chain.get_nonce(p_address(address), p_block(tag, self.chain)))

    def rpc_eth_getCode(self, params):
        address, tag = _params(params, 1, 2)
        return wire.data(self.chain.get_code(p_address(address), p_block(tag, self.chain)))

    def rpc_eth_getStorageAt(self, params):
        address, slot, tag = _params(params, 2, 3)
        value = self.chain.get_storage(p_address(address), p_quantity(slot, "slot"), p_block(tag, self.chain))
        return wire.word(value)

    # -- execution ----------------------------------------------------------------------------
    # eth_call / eth_estimateGas / eth_sendTransaction run without the node lock (UNLOCKED_METHODS):
    # the chain takes it only to build the call's state
    def _call_args(self, params) -> tuple[dict, Any]:
        obj, tag = _params(params, 1, 3)[:2]
        tx = p_call(obj)
        with self.node.lock:
            return tx, p_block(tag, self.chain)

    def rpc_eth_call(self, params):
        tx, block = self._call_args(params)
        return wire.data(self.chain.call(tx, block, lock=self.node.lock))

    def rpc_eth_estimateGas(self, params):
        tx, block = self._call_args(params)
        return wire.q(self.chain.estimate_gas(tx, block, lock=self.node.lock))

    def rpc_eth_sendRawTransaction(self, params):
        (raw,) = _params(params, 1, 1)
        return wire.data(self.chain.send_raw(p_data(raw, "raw transaction")))

    def rpc_eth_sendTransaction(self, params):
        """Sign and send for one of the devnet's own (public) dev accounts."""
        (obj,) = _params(params, 1, 1)
        tx = p_call(obj)
        sender = tx.get("from")
        keys = {a.address.lower(): a.private_key for a in self.chain.dev_accounts}
        key = keys.get("0x" + sender.hex()) if sender else None
        if key is None:
            raise RpcError(-32000, "unknown account: eth_sendTransaction only signs for the devnet dev accounts")
        if tx.get("gas") is None:
            tx["gas"] = self.chain.estimate_gas(tx, lock=self.node.lock)
        with self.node.lock:
            raw = self.node.sign_transaction(key, tx)
            return wire.data(self.chain.send_raw(raw))

    # -- blocks & transactions -----------------------------------------------------------------
    def rpc_eth_getBlockByNumber(self, params):
        tag, full = _params(params, 1, 2)
        blk = self.chain.block_by_number(p_block(tag, self.chain))
        return None if blk is None else wire.block(blk, bool(full))

    def rpc_eth_getBlockByHash(self, params):
        block_hash, full = _params(params, 1, 2)
        blk = self.chain.block_by_hash(p_hash(block_hash, "block hash"))
        return None if blk is None else wire.block(blk, bool(full))

    def rpc_eth_getBlockTransactionCountByNumber(self, params):
        (tag,) = _params(params, 1, 1)
        blk = self.chain.block_by_number(p_block(tag, self.chain))
        return None if blk is None else wire.q(len(blk.transactions))

    def rpc_eth_getBlockTransactionCountByHash(self, params):
        (block_hash,) = _params(params, 1, 1)
        blk = self.chain.block_by_hash(p_hash(block_hash, "block hash"))
        return None if blk is None else wire.q(len(blk.transactions))

    def rpc_eth_getUncleCountByBlockNumber(self, params):
        return "0x0"

    def rpc_eth_getUncleCountByBlockHash(self, params):
        return "0x0"

    def rpc_eth_getTransactionByHash(self, params):
        (tx_hash,) = _params(params, 1, 1)
        found = self.chain.find_transaction(p_hash(tx_hash, "transaction hash"))
        if found is None:
            return None
        blk, tx, index = found
        return wire.transaction(tx, blk, index)

    def rpc_eth_getTransactionByBlockNumberAndIndex(self, params):
        tag, index = _params(params, 2, 2)
        blk = self.chain.block_by_number(p_block(tag, self.chain))
        i = p_quantity(index, "index")
        if blk is None or i >= len(blk.transactions):
            return None
        return wire.transaction(blk.transactions[i], blk, i)

    def rpc_eth_getTransactionByBlockHashAndIndex(self, params):
        block_hash, index = _params(params, 2, 2)
        blk = self.chain.block_by_hash(p_hash(block_hash, "block hash"))
        i = p_quantity(index, "index")
        if blk is None or i >= len(blk.transactions):
            return None
        return wire.transaction(blk.transactions[i], blk, i)

    def rpc_eth_getTransactionReceipt(self, params):
        (tx_hash,) = _params(params, 1, 1)
        found = self.chain.find_transaction(p_hash(tx_hash, "transaction hash"))
        if found is None:
            return None
        blk, tx, index = found
        return wire.receipt(blk, tx, index, self.chain.receipts(blk))

    def rpc_eth_getBlockReceipts(self, params):
        (tag,) = _params(params, 1, 1)
        blk = self.chain.block_by_number(p_block(tag, self.chain))
        if blk is None:
            return None
        receipts = self.chain.receipts(blk)
        return [wire.receipt(blk, tx, i, receipts) for i, tx in enumerate(blk.transactions)]

    # -- logs & filters ---------------------------------------------------------------------------
    def _log_criteria(self, obj: Any) -> dict:
        if obj is None:
            obj = {}
        if not isinstance(obj, dict):
            raise invalid("filter object expected")
        crit: dict = {}
        address = obj.get("address")
        if address:
            crit["addresses"] = [p_address(a) for a in (address if isinstance(address, list) else [address])]
        topics = obj.get("topics")
        if topics:
            parsed = []
            for t in topics:
                if t is None:
                    parsed.append(None)
                elif isinstance(t, list):
                    parsed.append({int.from_bytes(p_hash(x, "topic"), "big") for x in t if x is not None} or None)
                else:
                    parsed.append({int.from_bytes(p_hash(t, "topic"), "big")})
            crit["topics"] = parsed
        if obj.get("blockHash"):
            crit["block_hash"] = p_hash(obj["blockHash"], "blockHash")
        crit["from"] = obj.get("fromBlock", "latest")
        crit["to"] = obj.get("toBlock", "latest")
        return crit

    def _resolve(self, tag: Any) -> int:
        parsed = p_block(tag, self.chain)
        if parsed == "earliest":
            return 0
        if isinstance(parsed, int):
            return parsed
        return self.chain.block_number

    def _logs(self, crit: dict, from_n: int | None = None) -> list:
        start = self._resolve(crit["from"]) if from_n is None else from_n
        end = self._resolve(crit["to"])
        if crit.get("block_hash") is None and end - start > MAX_LOG_RANGE:
            raise RpcError(-32005, f"block range too large: {end - start} > {MAX_LOG_RANGE} blocks")
        found = self.chain.logs(start, end, crit.get("addresses"), crit.get("topics"), crit.get("block_hash"))
        return [wire.log(entry, blk, tx, ti, li) for blk, tx, ti, entry, li in found]

    def rpc_eth_getLogs(self, params):
        (obj,) = _params(params, 1, 1)
        return self._logs(self._log_criteria(obj))

    # filters live until uninstalled or unused for limits.filter_timeout seconds (geth: 5 min),
    # at most limits.max_filters at once
    def _expire_filters(self) -> None:
        oldest = time.monotonic() - self.limits.filter_timeout
        for fid in [fid for fid, flt in self._filters.items() if flt["used"] < oldest]:
            del self._filters[fid]

    def _add_filter(self, flt: dict) -> str:
        self._expire_filters()
        if len(self._filters) >= self.limits.max_filters:
            raise RpcError(
                -32000,
                (
                    f"too many filters: {len(self._filters)} are installed (limit {self.limits.max_filters}); "
                    f"uninstall some with eth_uninstallFilter, unused ones expire after {self.limits.filter_timeout:g}s"
                ),
            )
        fid = next(self._filter_ids)
        flt["used"] = time.monotonic()
        self._filters[fid] = flt
        return wire.q(fid)

    def rpc_eth_newFilter(self, params):
        (obj,) = _params(params, 1, 1)
        crit = self._log_criteria(obj)
        return self._add_filter({"kind": "logs", "crit": crit, "next": self._resolve(crit["from"])})

    def rpc_eth_newBlockFilter(self, params):
        return self._add_filter({"kind": "blocks", "next": self.chain.block_number + 1})

    def rpc_eth_newPendingTransactionFilter(self, params):
        return self._add_filter({"kind": "pending"})

    def _filter(self, params) -> tuple[int, dict]:
        (fid,) = _params(params, 1, 1)
        fid = p_quantity(fid, "filter id")
        self._expire_filters()
        flt = self._filters.get(fid)
        if flt is None:
            raise RpcError(-32000, "filter not found")
        flt["used"] = time.monotonic()
        return fid, flt

    def rpc_eth_getFilterChanges(self, params):
        _, flt = self._filter(params)
        head = self.chain.block_number
        if flt["kind"] == "blocks":
            hashes = [wire.data(self.chain.block_by_number(n).hash) for n in range(flt["next"], head + 1)]
            flt["next"] = head + 1
            return hashes
        if flt["kind"] == "logs":
            start = flt["next"]
            if start > head:
                return []
            crit = dict(flt["crit"], to=min(self._resolve(flt["crit"]["to"]), head))
            flt["next"] = head + 1
            return self._logs(crit, from_n=start)
        return []

    def rpc_eth_getFilterLogs(self, params):
        _, flt = self._filter(params)
        if flt["kind"] != "logs":
            raise RpcError(-32000, "filter is not a log filter")
        return self._logs(flt["crit"])

    def rpc_eth_uninstallFilter(self, params):
        (fid,) = _params(params, 1, 1)
        return self._filters.pop(p_quantity(fid, "filter id"), None) is not None


def _error(req_id: Any, exc: RpcError) -> dict:
    return {"jsonrpc": "2.0", "id": req_id, "error": exc.to_json()}


def _too_large(req_id: Any, limit: int) -> dict:
    return _error(req_id, RpcError(-32003, f"response too large (limit {limit} bytes)"))
