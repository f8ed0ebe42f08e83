"""The devnet chain: py-evm (Prague), auto-mined, persisted.

``DevChain`` owns the py-evm ``MiningChain`` (our own chain class, chain id and database;
blocks are sealed the way eth-tester's PyEVMBackend mines post-merge, whose genesis
parameters and HD dev keys it uses when a chain is created), the native system-contract
table, and the SQLite-backed key/value store. Opening an existing chain replays nothing
and imports no eth-tester: py-evm reads the head and the state trie on demand. It speaks
Python values (bytes, ints, py-evm objects); ``rpc.py`` turns them into the JSON-RPC wire
format. It is not thread-safe: the node serializes every access with one lock (calls hold
it only to build their state).

Design notes
- One block per transaction: ``send_raw`` applies the transaction to the pending block,
  mines it at once and flushes the database, so a receipt exists as soon as the hash is
  returned. Block timestamps follow the wall clock and may repeat under a burst (the
  header validation is relaxed from ``>`` to ``>=``), so a burst never pushes chain time
  ahead of real time, which matters for EIP-3009 validity windows.
- ``eth_call``/``eth_estimateGas`` run on a fresh child header of the requested block
  (current timestamp, base fee 0), the way geth simulates calls, under a gas cap and a
  wall-clock deadline checked in the opcode loop; the trie of a mined block never
  changes, so the EVM runs outside the node lock while blocks keep being mined.
- Native handlers live in the computation class's precompile table, so they run at any
  call depth for transactions, calls and gas estimation alike.

This module holds ``DevChain``: start-up and genesis, native contracts, blocks, state,
transactions and mining, log queries. Call simulation is in chain_calls.py, the py-evm
classes in chain_vm.py, the errors (``ChainError``, ``ExecutionReverted``) in chain_errors.py.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.exceptions import HeaderNotFound, TransactionNotFound, VMError
from eth.vm.forks.cancun.state import get_total_blob_gas
from eth.vm.forks.prague.computation import PragueComputation
from eth_keys import KeyAPI
from eth_utils import keccak, to_canonical_address

from og_tui.core import constants
from og_tui.devnet import keccak_choice  # noqa: F401 - first: selects the C keccak before anything hashes
from og_tui.devnet.chain_calls import ChainCalls
from og_tui.devnet.chain_errors import ChainError
from og_tui.devnet.chain_vm import build_chain_class
from og_tui.devnet.db import SqliteKV
from og_tui.devnet.limits import (
    DEFAULT_EVM_TIMEOUT,
    DEFAULT_GAS_CAP,
    DEFAULT_TX_TIMEOUT,
    EvmTimeout,
    evm_deadline,
)
from og_tui.devnet.native import NativeHandler, make_precompile

# The well-known public development mnemonic (Hardhat/Anvil): its keys are published
# everywhere, which is exactly what devnet-only keys should be.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_HD_PATH = "m/44'/60'/0'/0"
DEV_ACCOUNT_COUNT = 10
DEV_ACCOUNT_BALANCE = 10_000 * 10**18
FAUCET_BALANCE = 10**9 * 10**18
NATIVE_CODE = b"\xfe"  # one INVALID byte: non-empty code so extcodesize checks pass

DB_FILE = "chain.sqlite3"
ZERO_ADDRESS = b"\x00" * 20
RECENT_BLOCKS = 64  # mined blocks (with receipts) kept in memory


@dataclass
class DevAccount:
    address: str  # checksummed
    private_key: str  # 0x hex; devnet-only, public


# --- the chain ----------------------------------------------------------------------------------


class DevChain(ChainCalls):
    def __init__(
        self,
        data_dir: str | Path,
        chain_id: int = constants.DEVNET_CHAIN_ID,
        gas_limit: int = constants.DEVNET_BLOCK_GAS_LIMIT,
    ) -> None:
        self.data_dir = Path(data_dir)
        from og_tui.devnet.datadir import prepare_data_dir

        prepare_data_dir(self.data_dir)  # mode 0700; files an older version left 0644 made 0600
        self.chain_id = chain_id
        self.gas_limit = gas_limit
        self.gas_cap = DEFAULT_GAS_CAP  # eth_call / eth_estimateGas (0: the block gas limit)
        self.evm_timeout = DEFAULT_EVM_TIMEOUT  # seconds of EVM per eth_call / eth_estimateGas (0: none)
        self.tx_timeout = DEFAULT_TX_TIMEOUT  # seconds of EVM per mined transaction (0: none)
        self.natives: dict = dict(PragueComputation.get_precompiles())
        self.native_names: dict[bytes, str] = {}
        self._pending_native_code: set[bytes] = set()
        self.chain_class = build_chain_class(chain_id, self.natives)
        self.db = SqliteKV(self.data_dir / DB_FILE)
        self.dev_accounts: list[DevAccount] = []
        self.faucet_key: bytes = b""
        self._chain: MiningChain | None = None
        self.created = False
        # the last mined blocks and their receipts (blocks never change once mined: no reorgs),
        # so a receipt or "latest" block asked for right after mining is not read back from the tries
        self._recent: dict[bytes, tuple] = {}

    # -- start-up ---------------------------------------------------------------------------
    def open(self, extra_genesis: Callable[[dict], None] | None = None) -> None:
        """Open the chain in ``data_dir``, creating genesis on first use.

        ``extra_genesis(alloc)`` may add accounts/code/storage to the genesis allocation
        (canonical address -> {"balance", "nonce", "code", "storage"}) when a new chain is made.
        """
        keys_json = self.db.get_meta("dev_keys")
        if keys_json is None:
            # eth-tester (and the HD wallet code it brings) only for a new chain: an existing
            # one reads its keys from the database
            from eth_tester.backends.pyevm.main import get_account_keys_from_mnemonic

            keys = get_account_keys_from_mnemonic(DEV_MNEMONIC, DEV_ACCOUNT_COUNT, DEV_HD_PATH)
            self.dev_accounts = [
                DevAccount(k.public_key.to_checksum_address(), "0x" + k.to_bytes().hex()) for k in keys
            ]
            self.faucet_key = os.urandom(32)
        else:
            data = json.loads(keys_json)
            self.dev_accounts = [DevAccount(a["address"], a["private_key"]) for a in data["accounts"]]
            self.faucet_key = bytes.fromhex(data["faucet_key"])
        self.faucet_address = KeyAPI().PrivateKey(self.faucet_key).public_key.to_canonical_address()

        base_db = AtomicDB(self.db)
        if self.db.get_meta("genesis") is None:
            alloc: dict = {}
            for acct in self.dev_accounts:
                alloc[to_canonical_address(acct.address)] = _account(balance=DEV_ACCOUNT_BALANCE)
            alloc[self.faucet_address] = _account(balance=FAUCET_BALANCE)
            for address in self.natives_to_deploy():
                alloc.setdefault(address, _account())["code"] = NATIVE_CODE
            if extra_genesis is not None:
                extra_genesis(alloc)
            from eth_tester.backends.pyevm.main import get_default_genesis_params

            params = get_default_genesis_params({"gas_limit": self.gas_limit})
            self._chain = self.chain_class.from_genesis(base_db, params, alloc)
            self.created = True
            self.db.flush(
                {
                    "genesis": "1",
                    "dev_keys": json.dumps(
                        {
                            "accounts": [a.__dict__ for a in self.dev_accounts],
                            "faucet_key": self.faucet_key.hex(),
                        }
                    ),
                }
            )
        else:
            # no replay: the head pointer, headers and the state trie are read on demand
            self._chain = self.chain_class(base_db)
        for address in self.natives_to_deploy():
            self.ensure_code(address)
        self._pending_native_code.clear()

    @property
    def chain(self):
        return self._chain

    def close(self) -> None:
        self.db.flush()
        self.db.close()

    # -- native system contracts ----------------------------------------------------------------
    def register_native(self, address: bytes, handler: NativeHandler, name: str | None = None) -> None:
        label = name or getattr(handler, "__name__", None) or type(handler).__name__
        self.natives[address] = make_precompile(handler, label)
        self.native_names[address] = label
        if self._chain is None:
            self._pending_native_code.add(address)
        else:
            self.ensure_code(address)

    def natives_to_deploy(self) -> Iterable[bytes]:
        return sorted(self._pending_native_code)

    def ensure_code(self, address: bytes) -> None:
        """Give a native address its one-byte code if the chain does not have it yet."""
        if self.get_code(address):
            return
        self.system_edit(lambda state: state.set_code(address, NATIVE_CODE))

    def system_edit(self, edit: Callable) -> None:
        """Apply ``edit(state)`` outside any transaction and seal it in a new block."""
        vm = self.chain.get_vm()
        state = vm.state
        edit(state)
        state.persist()
        self.chain.header = self.chain.header.copy(state_root=state.state_root)
        self._mine()

    # -- blocks -------------------------------------------------------------------------------
    @property
    def head(self):
        return self.chain.get_canonical_head()

    @property
    def block_number(self) -> int:
        return self.head.block_number

    def header_for(self, tag) -> "object":
        """Resolve a block tag (int, 'latest', 'pending', 'earliest', ...) to a mined header."""
        if tag is None or tag in ("latest", "pending", "safe", "finalized"):
            return self.head
        if tag == "earliest":
            return self.chain.get_canonical_block_header_by_number(0)
        if isinstance(tag, int):
            if tag > self.block_number or tag < 0:
                raise ChainError(f"block {tag} not found (head is {self.block_number})", code=-32001)
            return self.chain.get_canonical_block_header_by_number(tag)
        raise ChainError(f"invalid block tag {tag!r}", code=-32602)

    def _block(self, header):
        recent = self._recent.get(header.hash)
        return recent[0] if recent is not None else self.chain.get_block_by_header(header)

    def _remember(self, block, receipts: tuple | None) -> None:
        self._recent[block.hash] = (block, receipts)
        while len(self._recent) > RECENT_BLOCKS:
            del self._recent[next(iter(self._recent))]

    def block_by_number(self, tag):
        try:
            header = self.header_for(tag)
        except ChainError:
            return None
        return self._block(header)

    def block_by_hash(self, block_hash: bytes):
        try:
            header = self.chain.get_block_header_by_hash(block_hash)
        except HeaderNotFound:
            return None
        canonical = self.chain.get_canonical_block_header_by_number(header.block_number)
        if canonical.hash != header.hash:
            return None
        return self._block(header)

    def receipts(self, block) -> tuple:
        recent = self._recent.get(block.hash)
        if recent is not None and recent[1] is not None:
            return recent[1]
        return block.get_receipts(self.chain.chaindb)

    def find_transaction(self, tx_hash: bytes):
        """(block, transaction, index) for a mined transaction, or None."""
        try:
            number, index = self.chain.get_canonical_transaction_index(tx_hash)
        except (TransactionNotFound, KeyError):
            return None
        block = self._block(self.chain.get_canonical_block_header_by_number(number))
        tx = block.transactions[index]
        if tx.hash != tx_hash:
            return None
        return block, tx, index

    # -- state --------------------------------------------------------------------------------
    def _state_at(self, tag):
        return self.chain.get_vm(at_header=self.header_for(tag)).state

    def get_balance(self, address: bytes, tag="latest") -> int:
        return self._state_at(tag).get_balance(address)

    def get_nonce(self, address: bytes, tag="latest") -> int:
        return self._state_at(tag).get_nonce(address)

    def get_code(self, address: bytes, tag="latest") -> bytes:
        return self._state_at(tag).get_code(address)

    def get_storage(self, address: bytes, slot: int, tag="latest") -> int:
        return self._state_at(tag).get_storage(address, slot)

    def next_base_fee(self) -> int:
        return self.chain.header.base_fee_per_gas

    # -- transactions ---------------------------------------------------------------------
    def decode_raw(self, raw: bytes):
        try:
            return self.chain.get_vm().get_transaction_builder().decode(raw)
        except Exception as exc:
            raise ChainError(f"invalid raw transaction: {exc}", code=-32602) from None

    def send_raw(self, raw: bytes) -> bytes:
        tx = self.decode_raw(raw)
        if self.find_transaction(tx.hash) is not None:
            return tx.hash  # already mined: sending it again is a no-op, like "already known"
        try:
            sender = tx.sender
        except Exception as exc:
            raise ChainError(f"invalid transaction signature: {exc}") from None
        tx_chain_id = tx.chain_id
        if tx_chain_id is not None and tx_chain_id != self.chain_id:
            raise ChainError(f"invalid chain id: expected {self.chain_id}, got {tx_chain_id}")
        state = self.chain.get_vm().state
        expected = state.get_nonce(sender)
        if tx.nonce < expected:
            raise ChainError(f"nonce too low: next nonce {expected}, tx nonce {tx.nonce}")
        if tx.nonce > expected:
            raise ChainError(
                f"nonce too high: next nonce {expected}, tx nonce {tx.nonce} "
                "(the devnet mines every transaction at once and keeps no queue)"
            )
        if tx.gas > self.gas_limit:
            raise ChainError(f"exceeds block gas limit: gas {tx.gas} > limit {self.gas_limit}")
        if tx.gas < tx.intrinsic_gas:
            raise ChainError(f"intrinsic gas too low: have {tx.gas}, want {tx.intrinsic_gas}")
        base_fee = self.chain.header.base_fee_per_gas
        max_fee = tx.max_fee_per_gas
        if max_fee < base_fee:
            raise ChainError(f"max fee per gas less than block base fee: maxFeePerGas {max_fee}, baseFee {base_fee}")
        balance = state.get_balance(sender)
        cost = tx.gas * max_fee + tx.value
        if balance < cost:
            raise ChainError(f"insufficient funds for gas * price + value: balance {balance}, tx cost {cost}")
        parent = self.head
        self.chain.header = self.chain.header.copy(timestamp=max(int(time.time()), parent.timestamp))
        try:
            with evm_deadline(self.tx_timeout):  # a runaway transaction must not hold the node lock for minutes
                pending, receipt, _computation = self.chain.apply_transaction(tx)
        except VMError as exc:
            raise ChainError(f"transaction failed: {exc}") from None
        except EvmTimeout as exc:  # nothing was persisted: the pending block is as before
            self.chain.header = self.chain.create_header_from_parent(parent)
            raise ChainError(
                f"transaction not mined: {exc}: the devnet does not run one transaction "
                "longer than that (--tx-evm-timeout)"
            ) from None
        except Exception as exc:  # py-evm ValidationError and friends
            self.chain.header = self.chain.create_header_from_parent(parent)
            raise ChainError(f"invalid transaction: {exc}") from None
        self._mine(pending.transactions, (receipt,) if len(pending.transactions) == 1 else None)
        return tx.hash

    def _mine(self, pending: tuple | None = None, receipts: tuple | None = None) -> None:
        """Seal the pending block (as eth-tester mines post-merge: a random prevrandao) and flush it.

        ``pending``/``receipts``: the pending block's transactions and their receipts, when the
        caller has them (else the transactions are read back from the pending block).
        """
        if pending is None:
            pending = self.chain.get_block().transactions
        block = self.chain.mine_block(
            coinbase=ZERO_ADDRESS,
            mix_hash=os.urandom(32),
            blob_gas_used=sum(get_total_blob_gas(tx) for tx in pending),
        )
        self.db.flush()
        self._remember(block, receipts if receipts is not None and len(receipts) == len(block.transactions) else None)

    # -- logs -----------------------------------------------------------------------------------
    def logs(
        self,
        from_block: int,
        to_block: int,
        addresses: list[bytes] | None = None,
        topics: list | None = None,
        block_hash: bytes | None = None,
    ) -> list[tuple]:
        """Matching logs as (block, tx, tx_index, log, log_index_in_block) tuples."""
        out = []
        if block_hash is not None:
            block = self.block_by_hash(block_hash)
            blocks = [block.header] if block is not None else []
        else:
            to_block = min(to_block, self.block_number)
            blocks = (self.chain.get_canonical_block_header_by_number(n) for n in range(from_block, to_block + 1))
        addr_set = set(addresses) if addresses else None
        for header in blocks:
            if not header.bloom:
                continue
            block = self.chain.get_block_by_header(header)
            log_index = 0
            for tx_index, receipt in enumerate(self.receipts(block)):
                for entry in receipt.logs:
                    if _log_matches(entry, addr_set, topics):
                        out.append((block, block.transactions[tx_index], tx_index, entry, log_index))
                    log_index += 1
        return out


def _log_matches(entry, addr_set, topics) -> bool:
    if addr_set is not None and entry.address not in addr_set:
        return False
    if topics:
        entry_topics = entry.topics
        for i, wanted in enumerate(topics):
            if wanted is None:
                continue
            if i >= len(entry_topics):
                return False
            if entry_topics[i] not in wanted:
                return False
    return True


def _account(balance: int = 0) -> dict:
    return {"balance": balance, "nonce": 0, "code": b"", "storage": {}}


def contract_address(sender: bytes, nonce: int) -> bytes:
    import rlp

    return keccak(rlp.encode([sender, nonce]))[12:]
