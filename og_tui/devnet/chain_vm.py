"""The py-evm classes the devnet chain runs on (Prague).

``build_chain_class(chain_id, natives)`` makes the ``MiningChain`` subclass: its VM runs the
live ``natives`` dict as precompiles, checks the thread's EVM deadline (``limits.py``) before
every JUMP/JUMPI and every message, accepts a block in its parent's second, keeps the gas
limit and estimates gas with ``gas.estimate_gas_fast``.
"""

from __future__ import annotations

from eth.chains.base import MiningChain
from eth.consensus import ConsensusApplier, NoProofConsensus
from eth.vm.forks.prague import PragueVM
from eth.vm.forks.prague.computation import PragueComputation
from eth.vm.forks.prague.state import PragueState

from og_tui.devnet.gas import estimate_gas_fast
from og_tui.devnet.limits import check_deadline

JUMP, JUMPI = 0x56, 0x57


def _deadline_checked(opcode_fn):
    """``opcode_fn`` preceded by the thread's EVM deadline check (every loop needs a jump)."""

    def checked(computation) -> None:
        check_deadline()
        opcode_fn(computation=computation)

    checked.mnemonic = opcode_fn.mnemonic
    checked.__wrapped__ = opcode_fn
    return checked


def _build_computation_class(natives: dict):
    """Prague's computation with ``natives`` as precompiles and the EVM deadline in its loop.

    The deadline (``limits.evm_deadline``) is checked before every JUMP/JUMPI and every
    message (CALL, CREATE, ... at any depth): no loop and no call tree runs past it. With
    no deadline set (mined transactions), the check is one thread-local lookup.
    """
    opcodes = dict(PragueComputation.opcodes)
    for code in (JUMP, JUMPI):
        opcodes[code] = _deadline_checked(opcodes[code])

    class DevnetComputation(PragueComputation):
        _precompiles = natives

        @classmethod
        def apply_computation(cls, state, message, transaction_context, parent_computation=None):
            check_deadline()
            return super().apply_computation(state, message, transaction_context, parent_computation=parent_computation)

    DevnetComputation.opcodes = opcodes
    return DevnetComputation


def build_chain_class(chain_id: int, natives: dict):
    """A MiningChain subclass whose VM runs ``natives`` (a live dict) as precompiles."""
    computation_class = _build_computation_class(natives)
    state_class = type("DevnetState", (PragueState,), {"computation_class": computation_class})

    class DevnetVM(PragueVM):
        _state_class = state_class

        @classmethod
        def validate_header(cls, header, parent_header):
            # a devnet block may share its parent's second (one block per transaction)
            if parent_header is not None and header.timestamp == parent_header.timestamp:
                parent_header = parent_header.copy(timestamp=parent_header.timestamp - 1)
            super().validate_header(header, parent_header)

    vm_config = ConsensusApplier(NoProofConsensus).amend_vm_configuration(((0, DevnetVM),))

    class DevnetChain(MiningChain):
        vm_configuration = vm_config
        gas_estimator = staticmethod(estimate_gas_fast)

        def create_header_from_parent(self, parent_header, **header_params):
            header_params["gas_limit"] = parent_header.gas_limit
            return super().create_header_from_parent(parent_header, **header_params)

    DevnetChain.chain_id = chain_id
    return DevnetChain
