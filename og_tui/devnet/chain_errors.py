"""What the devnet chain refuses, as the errors ``rpc.py`` turns into JSON-RPC error objects.

``ChainError`` carries a JSON-RPC code (default -32000), a message and optional data;
``ExecutionReverted`` (code 3) is a revert with its raw data and decoded ``Error(string)``
reason, as geth reports it; ``execution_error`` makes one of them from a py-evm error.
"""

from __future__ import annotations

from eth.exceptions import Revert
from eth_abi import decode as abi_decode

from og_tui.devnet import keccak_choice  # noqa: F401 - first: selects the C keccak before anything hashes
from og_tui.devnet.native import ERROR_SELECTOR


class ChainError(Exception):
    """A request the chain refuses (bad transaction, unknown block...)."""

    code = -32000

    def __init__(self, message: str, data: str | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data
        if code is not None:
            self.code = code


class ExecutionReverted(ChainError):
    """The EVM reverted: carries the raw revert data (hex) and the decoded reason."""

    code = 3

    def __init__(self, revert_data: bytes) -> None:
        reason = decode_revert_reason(revert_data)
        message = f"execution reverted: {reason}" if reason else "execution reverted"
        super().__init__(message, data="0x" + revert_data.hex())
        self.reason = reason
        self.revert_data = revert_data


def decode_revert_reason(data: bytes) -> str | None:
    if data[:4] == ERROR_SELECTOR:
        try:
            return abi_decode(["string"], data[4:])[0]
        except Exception:
            return None
    return None


def execution_error(error, output: bytes) -> ChainError:
    if isinstance(error, Revert):
        data = output if output else (error.args[0] if error.args and isinstance(error.args[0], bytes) else b"")
        return ExecutionReverted(data)
    return ChainError(f"execution failed: {type(error).__name__}: {error}")
