"""``eth_call`` and ``eth_estimateGas`` on the devnet chain: the way a call is simulated.

``ChainCalls`` is a mixin of :class:`og_tui.devnet.chain.DevChain`. A call runs on a
throw-away state over the immutable trie of its block (a fresh child header: now's
timestamp, base fee 0, as geth simulates calls), so only building that state needs the
node lock; the EVM then runs without it, under the gas cap and the wall-clock deadline
(``limits.py``), while transactions keep being mined.
"""

from __future__ import annotations

import contextlib
import itertools

from eth.exceptions import OutOfGas, VMError
from eth.vm.spoof import SpoofTransaction

from og_tui.devnet.chain_errors import ChainError, execution_error
from og_tui.devnet.gas import TRANSFER_GAS, estimate_gas_fast, is_plain_transfer
from og_tui.devnet.limits import EvmTimeout, evm_deadline


class ChainCalls:
    """Call simulation over ``self.chain`` within ``self.gas_cap``/``self.gas_limit`` and ``self.evm_timeout``."""

    def _spoof(self, state, tx: dict, gas: int):
        sender = tx.get("from") or b"\x00" * 20
        unsigned = self.chain.get_vm().create_unsigned_transaction(
            nonce=state.get_nonce(sender),
            gas_price=0,
            gas=gas,
            to=tx.get("to") or b"",
            value=tx.get("value", 0),
            data=tx.get("data", b""),
        )
        return SpoofTransaction(unsigned, from_=sender)

    # -- calls (eth_call, eth_estimateGas) --------------------------------------------------
    # A call runs on a throw-away state over the immutable trie of its block, so only building
    # that state needs the node lock (``lock``); the EVM then runs without it, under the gas
    # cap and the wall-clock deadline, while transactions keep being mined.
    def call_gas_cap(self) -> int:
        return min(self.gas_cap or self.gas_limit, self.gas_limit)

    def _costless_state(self, tag):
        """A state on a fresh child of block ``tag`` (now's timestamp, base fee 0), as geth simulates calls."""
        vm = self.chain.get_vm(at_header=self.header_for(tag))
        header = vm.get_header()
        child = vm.generate_block_from_parent_header_and_coinbase(header, header.coinbase).header
        previous = itertools.chain((header.hash,), vm.previous_hashes)
        return vm.build_state(self.chain.chaindb.db, child.copy(base_fee_per_gas=0), vm.chain_context, previous)

    def _prepare(self, tx: dict, tag, gas: int, lock):
        with lock if lock is not None else contextlib.nullcontext():
            state = self._costless_state(tag)
            return state, self._spoof(state, tx, gas)

    def _timeout_error(self, exc: EvmTimeout) -> ChainError:
        return ChainError(f"{exc}: the call ran longer than this devnet allows (--rpc-evm-timeout)")

    def call(self, tx: dict, tag="latest", lock=None) -> bytes:
        """Run ``tx`` as ``eth_call``; ``lock`` (the node's) is held only while the state is built."""
        cap = self.call_gas_cap()
        state, spoof = self._prepare(tx, tag, min(tx.get("gas") or cap, cap), lock)
        with evm_deadline(self.evm_timeout):
            try:
                computation = state.apply_transaction(spoof)
            except EvmTimeout as exc:
                raise self._timeout_error(exc) from None
            except Exception as exc:
                raise ChainError(str(exc)) from None
        if computation.is_error:
            raise execution_error(computation.error, computation.output)
        return computation.output

    def estimate_gas(self, tx: dict, tag="latest", lock=None) -> int:
        """``eth_estimateGas`` up to the call gas cap; ``lock`` as in :meth:`call`."""
        cap = self.call_gas_cap()
        state, spoof = self._prepare(tx, tag, cap, lock)
        if is_plain_transfer(state, tx, self.natives, cap):
            return TRANSFER_GAS
        with evm_deadline(self.evm_timeout):
            try:
                return estimate_gas_fast(state, spoof, cap)
            except EvmTimeout as exc:
                raise self._timeout_error(exc) from None
            except OutOfGas:
                raise ChainError(f"gas required exceeds allowance ({cap})") from None
            except VMError as exc:
                raise execution_error(
                    exc, exc.args[0] if exc.args and isinstance(exc.args[0], bytes) else b""
                ) from None
            except Exception as exc:
                raise ChainError(str(exc)) from None
