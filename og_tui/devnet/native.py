"""Native system contracts: Python handlers that run inside the EVM at fixed addresses.

A handler is a callable ``handler(call: NativeCall) -> bytes | None``. It is installed
in the VM's precompile table, so it runs for transactions, ``eth_call`` and
``eth_estimateGas`` alike, at any call depth (a Solidity contract can call it).

Inside the handler, :class:`NativeCall` gives:

- ``call.sender``, ``call.value``, ``call.data``, ``call.selector``, ``call.args``
  (calldata after the selector), ``call.address`` (the handler's own address),
  ``call.timestamp``, ``call.block_number``, ``call.chain_id``, ``call.origin``,
  ``call.is_static``;
- ``call.use_gas(n, reason)`` (raises out-of-gas like the EVM does);
- ``call.sload(slot) -> int`` and ``call.sstore(slot, value)`` on the EVM storage of
  ``call.address`` (so the state is part of the state root, journaled, reverted with
  the call and persisted with the chain);
- ``call.emit(topics, data)`` to add a log entry attributed to ``call.address``;
- ``call.revert(reason)`` to revert with a standard ``Error(string)`` payload.

The return value (bytes) becomes the call's return data. Any non-EVM exception in a
handler is turned into a revert with a readable reason instead of crashing the node.
"""

from __future__ import annotations

import logging
from typing import Callable, Iterable

from eth.exceptions import OutOfGas, Revert, VMError, WriteProtection
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak

from og_tui.devnet.limits import EvmTimeout

log = logging.getLogger(__name__)

ERROR_SELECTOR = keccak(text="Error(string)")[:4]

# rough gas prices so that estimates and receipts look like a Solidity contract's
GAS_BASE = 2_100
GAS_SLOAD = 2_100
GAS_SSTORE_SET = 20_000
GAS_SSTORE_RESET = 2_900
GAS_LOG = 375
GAS_LOG_TOPIC = 375
GAS_LOG_BYTE = 8


def selector(signature: str) -> bytes:
    """4-byte function selector of a canonical signature such as ``transfer(address,uint256)``."""
    return keccak(text=signature)[:4]


def topic(signature: str) -> int:
    """Event topic0 (as an int, the form py-evm log entries use)."""
    return int.from_bytes(keccak(text=signature), "big")


def encode_error(reason: str) -> bytes:
    return ERROR_SELECTOR + abi_encode(["string"], [reason])


class NativeRevert(Exception):
    """Raise inside a handler to revert with ``Error(reason)`` (or raw ``data``)."""

    def __init__(self, reason: str = "", data: bytes | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = encode_error(reason) if data is None else data


class NativeCall:
    """What a native handler sees of the call it is serving."""

    __slots__ = ("computation", "address", "data")

    def __init__(self, computation) -> None:
        self.computation = computation
        self.address: bytes = computation.msg.storage_address
        self.data: bytes = bytes(computation.msg.data)

    # -- message / context -------------------------------------------------------
    @property
    def sender(self) -> bytes:
        return self.computation.msg.sender

    @property
    def origin(self) -> bytes:
        return self.computation.transaction_context.origin

    @property
    def value(self) -> int:
        return self.computation.msg.value

    @property
    def is_static(self) -> bool:
        return bool(self.computation.msg.is_static)

    @property
    def selector(self) -> bytes:
        return self.data[:4]

    @property
    def args(self) -> bytes:
        return self.data[4:]

    @property
    def timestamp(self) -> int:
        return self.computation.state.timestamp

    @property
    def block_number(self) -> int:
        return self.computation.state.block_number

    @property
    def chain_id(self) -> int:
        return self.computation.state.execution_context.chain_id

    @property
    def gas_remaining(self) -> int:
        return self.computation.get_gas_remaining()

    def decode(self, types: list[str]) -> tuple:
        """ABI-decode the arguments; a malformed payload reverts."""
        try:
            return tuple(abi_decode(types, self.args))
        except Exception:
            raise NativeRevert("malformed call data") from None

    # -- effects -------------------------------------------------------------------
    def use_gas(self, amount: int, reason: str = "native call") -> None:
        self.computation.consume_gas(amount, reason=reason)

    def sload(self, slot: int, charge: bool = True) -> int:
        if charge:
            self.use_gas(GAS_SLOAD, "native SLOAD")
        return self.computation.state.get_storage(self.address, slot)

    def sstore(self, slot: int, value: int, charge: bool = True) -> None:
        if self.is_static:
            raise WriteProtection("Cannot modify storage inside a static call")
        if charge:
            current = self.computation.state.get_storage(self.address, slot)
            self.use_gas(GAS_SSTORE_SET if current == 0 and value else GAS_SSTORE_RESET, "native SSTORE")
        self.computation.state.set_storage(self.address, slot, value)

    def emit(self, topics: Iterable[int | bytes], data: bytes = b"") -> None:
        if self.is_static:
            raise WriteProtection("Cannot emit logs inside a static call")
        int_topics = tuple(t if isinstance(t, int) else int.from_bytes(t, "big") for t in topics)
        self.use_gas(GAS_LOG + GAS_LOG_TOPIC * len(int_topics) + GAS_LOG_BYTE * len(data), "native LOG")
        self.computation.add_log_entry(self.address, int_topics, bytes(data))

    def revert(self, reason: str) -> None:
        raise NativeRevert(reason)


NativeHandler = Callable[[NativeCall], "bytes | None"]


def make_precompile(handler: NativeHandler, name: str = "native") -> Callable:
    """Wrap a handler into the ``fn(computation) -> computation`` shape py-evm expects."""

    def run(computation):
        call = NativeCall(computation)
        try:
            call.use_gas(GAS_BASE, f"{name} base cost")
            out = handler(call)
        except NativeRevert as exc:
            computation.output = exc.data
            raise Revert(exc.data) from None
        except (VMError, OutOfGas, EvmTimeout):
            raise
        except Exception as exc:  # a bug in a handler must not take the node down
            log.exception("native contract %s failed", name)
            data = encode_error(f"{name}: internal error: {type(exc).__name__}: {exc}")
            computation.output = data
            raise Revert(data) from None
        computation.output = bytes(out or b"")
        return computation

    run.__name__ = f"native_{name}"
    return run
