"""The x402 settlement registry: a native contract at :data:`REGISTRY_ADDRESS`.

Only the devnet facilitator may call it. Each method calls the token's
``transferWithAuthorization`` (a real sub-call in the EVM) and records the settlement:

===================  ==============================================================
``settle``           one payment; event ``X402Settled`` with input/output hashes
``settleWithMetadata`` one payment; event ``X402SettledWithMetadata`` with the model,
                     the full input and the full output
``settleBatch``      many payments in one transaction; events ``X402BatchItem`` (one
                     per payment, with its outcome) and ``X402BatchSettled``
===================  ==============================================================
"""

from __future__ import annotations

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from og_tui.devnet.native import NativeCall, NativeRevert, selector, topic

REGISTRY_ADDRESS = "0x0000000000000000000000000000000000000402"

TWA_SELECTOR = selector("transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)")
AUTH_TYPES = ["address", "address", "uint256", "uint256", "uint256", "bytes32", "bytes"]

SIG_SETTLE = "settle(bytes,bytes32,bytes32,bytes32)"
SIG_SETTLE_METADATA = "settleWithMetadata(bytes,bytes32,string,string,string)"
SIG_SETTLE_BATCH = "settleBatch(bytes[],bytes32[],bytes32[],bytes32[])"
EV_SETTLED = "X402Settled(address,address,bytes32,uint256,bytes32,bytes32,bytes32)"
EV_SETTLED_METADATA = "X402SettledWithMetadata(address,address,bytes32,uint256,bytes32,string,string,string)"
EV_BATCH_ITEM = "X402BatchItem(bytes32,bytes32,address,uint256,bool)"
EV_BATCH_SETTLED = "X402BatchSettled(bytes32,uint256,uint256,uint256)"
TOPIC_SETTLED = topic(EV_SETTLED)
TOPIC_SETTLED_METADATA = topic(EV_SETTLED_METADATA)
TOPIC_BATCH_ITEM = topic(EV_BATCH_ITEM)
TOPIC_BATCH_SETTLED = topic(EV_BATCH_SETTLED)

SUBCALL_GAS = 150_000


class SettlementRegistry:
    """Native contract: calls the token's transferWithAuthorization and records the settlement."""

    def __init__(self, token: bytes, facilitator: bytes) -> None:
        self.token = token
        self.facilitator = facilitator
        self._dispatch = {
            selector(SIG_SETTLE): self._settle,
            selector(SIG_SETTLE_METADATA): self._settle_metadata,
            selector(SIG_SETTLE_BATCH): self._settle_batch,
            selector("facilitator()"): lambda c: abi_encode(["address"], [to_checksum_address(self.facilitator)]),
            selector("token()"): lambda c: abi_encode(["address"], [to_checksum_address(self.token)]),
        }

    def __call__(self, call: NativeCall) -> bytes:
        fn = self._dispatch.get(call.selector)
        if fn is None:
            raise NativeRevert(f"x402 registry: unknown function selector 0x{call.selector.hex()}")
        return fn(call)

    def _check_caller(self, call: NativeCall) -> None:
        if call.sender != self.facilitator:
            raise NativeRevert("x402 registry: only the devnet facilitator settles payments")

    def _transfer(self, call: NativeCall, transfer_call: bytes) -> tuple[bool, str, tuple]:
        if transfer_call[:4] != TWA_SELECTOR:
            raise NativeRevert("x402 registry: not a transferWithAuthorization call")
        try:
            args = abi_decode(AUTH_TYPES, transfer_call[4:])
        except Exception:
            raise NativeRevert("x402 registry: malformed transferWithAuthorization call") from None
        comp = call.computation
        gas = min(SUBCALL_GAS, comp.get_gas_remaining() - 20_000)
        if gas <= 0:
            raise NativeRevert("x402 registry: out of gas")
        comp.consume_gas(gas, "x402 registry subcall")
        msg = comp.prepare_child_message(
            gas=gas, to=self.token, value=0, data=transfer_call, code=comp.state.get_code(self.token)
        )
        child = comp.apply_child_computation(msg)
        comp.return_gas(child.get_gas_remaining())
        if child.is_error:
            from og_tui.devnet.chain_errors import decode_revert_reason

            return False, decode_revert_reason(bytes(child.output)) or "transfer failed", args
        return True, "", args

    def _settle(self, call: NativeCall) -> bytes:
        self._check_caller(call)
        transfer_call, processing, input_hash, output_hash = call.decode(["bytes", "bytes32", "bytes32", "bytes32"])
        ok, reason, args = self._transfer(call, transfer_call)
        if not ok:
            raise NativeRevert(f"x402 registry: {reason}")
        payer, payee, value, _, _, nonce, _ = args
        call.emit(
            [TOPIC_SETTLED, int(payer, 16), int(payee, 16), processing],
            abi_encode(["uint256", "bytes32", "bytes32", "bytes32"], [value, nonce, input_hash, output_hash]),
        )
        return b""

    def _settle_metadata(self, call: NativeCall) -> bytes:
        self._check_caller(call)
        transfer_call, processing, model, inp, out = call.decode(["bytes", "bytes32", "string", "string", "string"])
        ok, reason, args = self._transfer(call, transfer_call)
        if not ok:
            raise NativeRevert(f"x402 registry: {reason}")
        payer, payee, value, _, _, nonce, _ = args
        call.emit(
            [TOPIC_SETTLED_METADATA, int(payer, 16), int(payee, 16), processing],
            abi_encode(["uint256", "bytes32", "string", "string", "string"], [value, nonce, model, inp, out]),
        )
        return b""

    def _settle_batch(self, call: NativeCall) -> bytes:
        self._check_caller(call)
        calls, processing, inputs, outputs = call.decode(["bytes[]", "bytes32[]", "bytes32[]", "bytes32[]"])
        if not (len(calls) == len(processing) == len(inputs) == len(outputs)):
            raise NativeRevert("x402 registry: batch arrays differ in length")
        root = keccak(b"".join(p + i + o for p, i, o in zip(processing, inputs, outputs)))
        settled = total = 0
        for i, tc in enumerate(calls):
            ok, _reason, args = self._transfer(call, tc)
            payer, value = (args[0], args[2]) if args else ("0x" + "00" * 20, 0)
            if ok:
                settled += 1
                total += value
            call.emit(
                [TOPIC_BATCH_ITEM, root, processing[i]],
                abi_encode(["address", "uint256", "bool"], [payer, value, ok]),
            )
        call.emit(
            [TOPIC_BATCH_SETTLED, root], abi_encode(["uint256", "uint256", "uint256"], [len(calls), settled, total])
        )
        return abi_encode(["uint256"], [settled])
