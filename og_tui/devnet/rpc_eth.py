"""The devnet's Ethereum JSON-RPC method handlers, but for logs and filters (rpc_logs.py).

``EthMethods`` is a mixin of :class:`og_tui.devnet.rpc.RpcDispatcher`: each ``rpc_<name>``
method answers the JSON-RPC method ``<name>`` (node info, fees, state, execution, blocks and
transactions) from ``self.chain`` and ``self.node``, under the lock the dispatcher holds for
it (``eth_call``/``eth_estimateGas``/``eth_sendTransaction`` take it themselves, see
``UNLOCKED_METHODS``).
"""

from __future__ import annotations

from typing import Any

from og_tui.devnet import wire
from og_tui.devnet.rpc_params import (
    RpcError,
    expect_params,
    invalid,
    p_address,
    p_block,
    p_call,
    p_data,
    p_hash,
    p_quantity,
)

PRIORITY_FEE = 10**9  # 1 gwei tip suggested to clients
CLIENT_VERSION = "og-tui-devnet/0.1.0/py-evm"


class EthMethods:
    """The ``rpc_*`` handlers of node info, fees, state, execution, blocks and transactions."""

    # -- node info ------------------------------------------------------------------------
    def rpc_web3_clientVersion(self, params):
        return CLIENT_VERSION

    def rpc_web3_sha3(self, params):
        from eth_utils import keccak

        (value,) = expect_params(params, 1, 1)
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
        count, newest, percentiles = expect_params(params, 2, 3)
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
        address, tag = expect_params(params, 1, 2)
        return wire.q(self.chain.get_balance(p_address(address), p_block(tag, self.chain)))

    def rpc_eth_getTransactionCount(self, params):
        address, tag = expect_params(params, 1, 2)
        return wire.q(self.chain.get_nonce(p_address(address), p_block(tag, self.chain)))

    def rpc_eth_getCode(self, params):
        address, tag = expect_params(params, 1, 2)
        return wire.data(self.chain.get_code(p_address(address), p_block(tag, self.chain)))

    def rpc_eth_getStorageAt(self, params):
        address, slot, tag = expect_params(params, 2, 3)
        value = self.chain.get_storage(p_address(address), p_quantity(slot, "slot"), p_block(tag, self.chain))
        return wire.word(value)

    # -- execution ----------------------------------------------------------------------------
    # eth_call / eth_estimateGas / eth_sendTransaction run without the node lock (UNLOCKED_METHODS):
    # the chain takes it only to build the call's state
    def _call_args(self, params) -> tuple[dict, Any]:
        obj, tag = expect_params(params, 1, 3)[:2]
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
        (raw,) = expect_params(params, 1, 1)
        return wire.data(self.chain.send_raw(p_data(raw, "raw transaction")))

    def rpc_eth_sendTransaction(self, params):
        """Sign and send for one of the devnet's own (public) dev accounts."""
        (obj,) = expect_params(params, 1, 1)
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
        tag, full = expect_params(params, 1, 2)
        blk = self.chain.block_by_number(p_block(tag, self.chain))
        return None if blk is None else wire.block(blk, bool(full))

    def rpc_eth_getBlockByHash(self, params):
        block_hash, full = expect_params(params, 1, 2)
        blk = self.chain.block_by_hash(p_hash(block_hash, "block hash"))
        return None if blk is None else wire.block(blk, bool(full))

    def rpc_eth_getBlockTransactionCountByNumber(self, params):
        (tag,) = expect_params(params, 1, 1)
        blk = self.chain.block_by_number(p_block(tag, self.chain))
        return None if blk is None else wire.q(len(blk.transactions))

    def rpc_eth_getBlockTransactionCountByHash(self, params):
        (block_hash,) = expect_params(params, 1, 1)
        blk = self.chain.block_by_hash(p_hash(block_hash, "block hash"))
        return None if blk is None else wire.q(len(blk.transactions))

    def rpc_eth_getUncleCountByBlockNumber(self, params):
        return "0x0"

    def rpc_eth_getUncleCountByBlockHash(self, params):
        return "0x0"

    def rpc_eth_getTransactionByHash(self, params):
        (tx_hash,) = expect_params(params, 1, 1)
        found = self.chain.find_transaction(p_hash(tx_hash, "transaction hash"))
        if found is None:
            return None
        blk, tx, index = found
        return wire.transaction(tx, blk, index)

    def rpc_eth_getTransactionByBlockNumberAndIndex(self, params):
        tag, index = expect_params(params, 2, 2)
        blk = self.chain.block_by_number(p_block(tag, self.chain))
        i = p_quantity(index, "index")
        if blk is None or i >= len(blk.transactions):
            return None
        return wire.transaction(blk.transactions[i], blk, i)

    def rpc_eth_getTransactionByBlockHashAndIndex(self, params):
        block_hash, index = expect_params(params, 2, 2)
        blk = self.chain.block_by_hash(p_hash(block_hash, "block hash"))
        i = p_quantity(index, "index")
        if blk is None or i >= len(blk.transactions):
            return None
        return wire.transaction(blk.transactions[i], blk, i)

    def rpc_eth_getTransactionReceipt(self, params):
        (tx_hash,) = expect_params(params, 1, 1)
        found = self.chain.find_transaction(p_hash(tx_hash, "transaction hash"))
        if found is None:
            return None
        blk, tx, index = found
        return wire.receipt(blk, tx, index, self.chain.receipts(blk))

    def rpc_eth_getBlockReceipts(self, params):
        (tag,) = expect_params(params, 1, 1)
        blk = self.chain.block_by_number(p_block(tag, self.chain))
        if blk is None:
            return None
        receipts = self.chain.receipts(blk)
        return [wire.receipt(blk, tx, i, receipts) for i, tx in enumerate(blk.transactions)]
