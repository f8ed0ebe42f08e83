"""Permit2 and the x402 Permit2 proxies: native system contracts of the devnet (x402 v2).

**Permit2** (at its canonical address) implements Uniswap Permit2's signature transfers:

- ``permitTransferFrom(((token,amount),nonce,deadline), (to,requestedAmount), owner, signature)``
- ``permitWitnessTransferFrom(permit, transferDetails, owner, bytes32 witness,
  string witnessTypeString, signature)``
- ``nonceBitmap(owner, wordPos)``, ``invalidateUnorderedNonces(wordPos, mask)``,
  ``DOMAIN_SEPARATOR()``

with its rules: EIP-712 domain ``{name: "Permit2", chainId, verifyingContract}`` (no
version), the spender in the signed struct is ``msg.sender``, ``requestedAmount`` at most the
permitted amount, ``block.timestamp <= deadline``, unordered nonces (bit ``nonce & 255`` of
word ``nonce >> 8`` in the owner's bitmap, set on use), then the token's
``transferFrom(owner, to, requestedAmount)`` (the owner must have approved Permit2).

**x402ExactPermit2Proxy** / **x402UptoPermit2Proxy** (at the addresses og-x402 signs as
spender) check the x402 witness and call Permit2 with it:

- exact ``settle(permit, owner, (to, validAfter), signature)``: moves the permitted amount to
  ``witness.to``;
- upto ``settle(permit, amount, owner, (to, facilitator, validAfter), signature)``: only
  ``witness.facilitator`` may call it; moves ``amount`` (at most the permitted amount).

:func:`check_permit` is the one set of signature/nonce/deadline/amount rules: Permit2 runs it
on chain and the x402 gateway runs it before serving, so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_canonical_address, to_checksum_address

from og_tui.devnet.native import NativeCall, NativeRevert, selector
from og_tui.devnet.token import GAS_ECRECOVER, SECP256K1_HALF_N, AuthorizationRejected, recover_signer

__all__ = [
    "PERMIT2_DOMAIN_TYPEHASH",
    "EXACT_WITNESS_TYPE_STRING",
    "UPTO_WITNESS_TYPE_STRING",
    "PermitTransfer",
    "PermitRejected",
    "Permit2",
    "ExactPermit2Proxy",
    "UptoPermit2Proxy",
    "permit2_domain_separator",
    "check_permit",
    "nonce_slot",
    "exact_witness_hash",
    "upto_witness_hash",
    "subcall",
    "install",
]

PERMIT2_DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,uint256 chainId,address verifyingContract)")
TOKEN_PERMISSIONS_TYPE = "TokenPermissions(address token,uint256 amount)"
TOKEN_PERMISSIONS_TYPEHASH = keccak(text=TOKEN_PERMISSIONS_TYPE)
PERMIT_TRANSFER_FROM_TYPEHASH = keccak(
    text="PermitTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256 deadline)"
    + TOKEN_PERMISSIONS_TYPE
)
PERMIT_WITNESS_STUB = (
    "PermitWitnessTransferFrom(TokenPermissions permitted,address spender,uint256 nonce,uint256 deadline,"
)
EXACT_WITNESS_TYPE = "Witness(address to,uint256 validAfter)"
UPTO_WITNESS_TYPE = "Witness(address to,address facilitator,uint256 validAfter)"
# the witnessTypeString the proxies pass to Permit2 (types after the primary type, sorted)
EXACT_WITNESS_TYPE_STRING = "Witness witness)" + TOKEN_PERMISSIONS_TYPE + EXACT_WITNESS_TYPE
UPTO_WITNESS_TYPE_STRING = "Witness witness)" + TOKEN_PERMISSIONS_TYPE + UPTO_WITNESS_TYPE
EXACT_WITNESS_TYPEHASH = keccak(text=EXACT_WITNESS_TYPE)
UPTO_WITNESS_TYPEHASH = keccak(text=UPTO_WITNESS_TYPE)

PERMIT_T = "((address,uint256),uint256,uint256)"
DETAILS_T = "(address,uint256)"
SIG_PERMIT_TRANSFER = f"permitTransferFrom({PERMIT_T},{DETAILS_T},address,bytes)"
SIG_PERMIT_WITNESS_TRANSFER = f"permitWitnessTransferFrom({PERMIT_T},{DETAILS_T},address,bytes32,string,bytes)"
SIG_EXACT_SETTLE = f"settle({PERMIT_T},address,(address,uint256),bytes)"
SIG_UPTO_SETTLE = f"settle({PERMIT_T},uint256,address,(address,address,uint256),bytes)"
TRANSFER_FROM = selector("transferFrom(address,address,uint256)")

TOKEN_SUBCALL_GAS = 80_000
PERMIT2_SUBCALL_GAS = 160_000
ZERO = b"\x00" * 20


def _pad(value: bytes | int) -> bytes:
    if isinstance(value, int):
        return value.to_bytes(32, "big")
    return value.rjust(32, b"\x00")


def permit2_domain_separator(chain_id: int, permit2: bytes) -> bytes:
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "uint256", "address"],
            [PERMIT2_DOMAIN_TYPEHASH, keccak(text="Permit2"), chain_id, permit2],
        )
    )


def nonce_slot(owner: bytes, word_pos: int) -> int:
    """Storage slot of ``nonceBitmap[owner][word_pos]`` (mapping at slot 0)."""
    inner = keccak(_pad(owner) + _pad(0))
    return int.from_bytes(keccak(_pad(word_pos) + inner), "big")


def exact_witness_hash(to: bytes, valid_after: int) -> bytes:
    return keccak(abi_encode(["bytes32", "address", "uint256"], [EXACT_WITNESS_TYPEHASH, to, valid_after]))


def upto_witness_hash(to: bytes, facilitator: bytes, valid_after: int) -> bytes:
    return keccak(
        abi_encode(["bytes32", "address", "address", "uint256"], [UPTO_WITNESS_TYPEHASH, to, facilitator, valid_after])
    )


class PermitRejected(Exception):
    """A permit Permit2 would refuse: ``code`` (machine) and ``reason`` (the revert string)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class PermitTransfer:
    """One signed Permit2 transfer; addresses are 20 raw bytes."""

    owner: bytes
    token: bytes
    amount: int  # permitted
    spender: bytes
    nonce: int
    deadline: int
    signature: bytes
    witness: Optional[bytes] = None  # the witness struct hash (permitWitnessTransferFrom)
    witness_type_string: str = ""

    def struct_hash(self) -> bytes:
        permitted = keccak(
            abi_encode(["bytes32", "address", "uint256"], [TOKEN_PERMISSIONS_TYPEHASH, self.token, self.amount])
        )
        if self.witness is None:
            return keccak(
                abi_encode(
                    ["bytes32", "bytes32", "address", "uint256", "uint256"],
                    [PERMIT_TRANSFER_FROM_TYPEHASH, permitted, self.spender, self.nonce, self.deadline],
                )
            )
        typehash = keccak(text=PERMIT_WITNESS_STUB + self.witness_type_string)
        return keccak(
            abi_encode(
                ["bytes32", "bytes32", "address", "uint256", "uint256", "bytes32"],
                [typehash, permitted, self.spender, self.nonce, self.deadline, self.witness],
            )
        )

    def digest(self, domain_separator: bytes) -> bytes:
        return keccak(b"\x19\x01" + domain_separator + self.struct_hash())


def _split(signature: bytes) -> tuple[int, bytes, bytes]:
    if len(signature) == 65:
        return signature[64], signature[:32], signature[32:64]
    if len(signature) == 64:  # EIP-2098 compact form
        vs = int.from_bytes(signature[32:], "big")
        return 27 + (vs >> 255), signature[:32], (vs & ((1 << 255) - 1)).to_bytes(32, "big")
    raise PermitRejected("invalid_signature", "Permit2: invalid signature length")


def check_permit(
    permit: PermitTransfer,
    requested: int,
    domain_separator: bytes,
    *,
    now: int,
    sload: Callable[[int], int],
    use_gas: Optional[Callable[[int, str], None]] = None,
) -> None:
    """Every rule Permit2 applies before moving tokens, in its order; raises
    :class:`PermitRejected` for the first that fails. ``sload`` reads Permit2's storage."""
    if now > permit.deadline:
        raise PermitRejected("expired", f"Permit2: signature expired (deadline {permit.deadline})")
    if requested > permit.amount:
        raise PermitRejected(
            "amount_exceeds_permit", f"Permit2: requested amount exceeds the permitted {permit.amount}"
        )
    if sload(nonce_slot(permit.owner, permit.nonce >> 8)) >> (permit.nonce & 0xFF) & 1:
        raise PermitRejected("nonce_used", "Permit2: invalid nonce (already used or invalidated)")
    v, r, s = _split(permit.signature)
    if use_gas is not None:
        use_gas(GAS_ECRECOVER, "ecrecover")
    if int.from_bytes(s, "big") > SECP256K1_HALF_N:
        raise PermitRejected("invalid_signature", "Permit2: invalid signature (high s)")
    try:
        signer = recover_signer(permit.digest(domain_separator), v, r, s)
    except AuthorizationRejected:
        raise PermitRejected("invalid_signature", "Permit2: invalid signature") from None
    if signer != permit.owner:
        raise PermitRejected("invalid_signer", "Permit2: invalid signer")


def subcall(call: NativeCall, target: bytes, data: bytes, max_gas: int) -> tuple[bool, bytes]:
    """A real EVM message call from this native contract to ``target``: (succeeded, output)."""
    comp = call.computation
    gas = min(max_gas, comp.get_gas_remaining() - 5_000)
    if gas <= 0:
        raise NativeRevert("out of gas for a sub-call")
    comp.consume_gas(gas, "native sub-call")
    msg = comp.prepare_child_message(gas=gas, to=target, value=0, data=data, code=comp.state.get_code(target))
    child = comp.apply_child_computation(msg)
    comp.return_gas(child.get_gas_remaining())
    return not child.is_error, bytes(child.output)


def _reason(output: bytes) -> str:
    from og_tui.devnet.chain_errors import decode_revert_reason

    return decode_revert_reason(output) or "reverted"


def _b(address: str | bytes) -> bytes:
    return address if isinstance(address, bytes) else to_canonical_address(address)


class Permit2:
    """The native Permit2 (signature transfers)."""

    def __init__(self, address: bytes, chain_id: int) -> None:
        self.address = address
        self.domain_separator = permit2_domain_separator(chain_id, address)
        self._dispatch = {
            selector("DOMAIN_SEPARATOR()"): lambda c: self.domain_separator,
            selector("nonceBitmap(address,uint256)"): self._nonce_bitmap,
            selector("invalidateUnorderedNonces(uint256,uint256)"): self._invalidate,
            selector(SIG_PERMIT_TRANSFER): lambda c: self._transfer(c, witnessed=False),
            selector(SIG_PERMIT_WITNESS_TRANSFER): lambda c: self._transfer(c, witnessed=True),
        }

    def __call__(self, call: NativeCall) -> bytes:
        if call.value:
            raise NativeRevert("Permit2: does not accept native tokens")
        fn = self._dispatch.get(call.selector)
        if fn is None:
            raise NativeRevert(
                f"Permit2: function 0x{call.selector.hex()} is not served by the devnet's Permit2 (signature transfers only)"
            )
        return fn(call)

    def _nonce_bitmap(self, call: NativeCall) -> bytes:
        owner, word = call.decode(["address", "uint256"])
        return _pad(call.sload(nonce_slot(_b(owner), word)))

    def _invalidate(self, call: NativeCall) -> bytes:
        word, mask = call.decode(["uint256", "uint256"])
        slot = nonce_slot(call.sender, word)
        call.sstore(slot, call.sload(slot) | mask)
        return b""

    def _transfer(self, call: NativeCall, *, witnessed: bool) -> bytes:
        if witnessed:
            permit, details, owner, witness, type_string, signature = call.decode(
                [PERMIT_T, DETAILS_T, "address", "bytes32", "string", "bytes"]
            )
        else:
            permit, details, owner, signature = call.decode([PERMIT_T, DETAILS_T, "address", "bytes"])
            witness, type_string = None, ""
        (token, amount), nonce, deadline = permit
        to, requested = details
        p = PermitTransfer(
            _b(owner), _b(token), amount, call.sender, nonce, deadline, bytes(signature), witness, type_string
        )
        try:
            check_permit(
                p, requested, self.domain_separator, now=call.timestamp, sload=call.sload, use_gas=call.use_gas
            )
        except PermitRejected as exc:
            raise NativeRevert(exc.reason) from None
        slot = nonce_slot(p.owner, nonce >> 8)
        call.sstore(slot, call.sload(slot) | (1 << (nonce & 0xFF)))
        data = TRANSFER_FROM + abi_encode(["address", "address", "uint256"], [owner, to, requested])
        ok, out = subcall(call, p.token, data, TOKEN_SUBCALL_GAS)
        if not ok:
            raise NativeRevert(f"Permit2: transferFrom failed: {_reason(out)}")
        return b""


class ExactPermit2Proxy:
    """x402ExactPermit2Proxy: pays ``permit.permitted.amount`` to ``witness.to``."""

    def __init__(self, permit2: bytes) -> None:
        self.permit2 = permit2

    def __call__(self, call: NativeCall) -> bytes:
        if call.selector == selector("PERMIT2()"):
            return abi_encode(["address"], [to_checksum_address(self.permit2)])
        if call.selector != selector(SIG_EXACT_SETTLE):
            raise NativeRevert(f"x402ExactPermit2Proxy: unknown function selector 0x{call.selector.hex()}")
        permit, owner, witness, signature = call.decode([PERMIT_T, "address", "(address,uint256)", "bytes"])
        to, valid_after = witness
        if call.timestamp < valid_after:
            raise NativeRevert("x402ExactPermit2Proxy: payment not yet valid")
        if _b(to) == ZERO:
            raise NativeRevert("x402ExactPermit2Proxy: invalid destination")
        data = selector(SIG_PERMIT_WITNESS_TRANSFER) + abi_encode(
            [PERMIT_T, DETAILS_T, "address", "bytes32", "string", "bytes"],
            [
                permit,
                (to, permit[0][1]),
                owner,
                exact_witness_hash(_b(to), valid_after),
                EXACT_WITNESS_TYPE_STRING,
                signature,
            ],
        )
        ok, out = subcall(call, self.permit2, data, PERMIT2_SUBCALL_GAS)
        if not ok:
            raise NativeRevert(_reason(out))
        return b""


class UptoPermit2Proxy:
    """x402UptoPermit2Proxy: the witness's facilitator pays ``amount`` (≤ permitted) to ``witness.to``."""

    def __init__(self, permit2: bytes) -> None:
        self.permit2 = permit2

    def __call__(self, call: NativeCall) -> bytes:
        if call.selector == selector("PERMIT2()"):
            return abi_encode(["address"], [to_checksum_address(self.permit2)])
        if call.selector != selector(SIG_UPTO_SETTLE):
            raise NativeRevert(f"x402UptoPermit2Proxy: unknown function selector 0x{call.selector.hex()}")
        permit, amount, owner, witness, signature = call.decode(
            [PERMIT_T, "uint256", "address", "(address,address,uint256)", "bytes"]
        )
        to, facilitator, valid_after = witness
        if call.sender != _b(facilitator):
            raise NativeRevert("x402UptoPermit2Proxy: caller is not the authorized facilitator")
        if call.timestamp < valid_after:
            raise NativeRevert("x402UptoPermit2Proxy: payment not yet valid")
        if _b(to) == ZERO:
            raise NativeRevert("x402UptoPermit2Proxy: invalid destination")
        if amount > permit[0][1]:
            raise NativeRevert("x402UptoPermit2Proxy: amount exceeds the permitted amount")
        data = selector(SIG_PERMIT_WITNESS_TRANSFER) + abi_encode(
            [PERMIT_T, DETAILS_T, "address", "bytes32", "string", "bytes"],
            [
                permit,
                (to, amount),
                owner,
                upto_witness_hash(_b(to), _b(facilitator), valid_after),
                UPTO_WITNESS_TYPE_STRING,
                signature,
            ],
        )
        ok, out = subcall(call, self.permit2, data, PERMIT2_SUBCALL_GAS)
        if not ok:
            raise NativeRevert(_reason(out))
        return b""


def decode_settle_call(data: bytes) -> tuple[str, dict]:
    """(scheme, fields) of a proxy ``settle`` calldata (for the x402 registry's records)."""
    if data[:4] == selector(SIG_EXACT_SETTLE):
        permit, owner, witness, sig = abi_decode([PERMIT_T, "address", "(address,uint256)", "bytes"], data[4:])
        return "exact", {"owner": owner, "to": witness[0], "amount": permit[0][1], "nonce": permit[1], "permit": permit}
    if data[:4] == selector(SIG_UPTO_SETTLE):
        permit, amount, owner, witness, sig = abi_decode(
            [PERMIT_T, "uint256", "address", "(address,address,uint256)", "bytes"], data[4:]
        )
        return "upto", {"owner": owner, "to": witness[0], "amount": amount, "nonce": permit[1], "permit": permit}
    raise ValueError("not an x402 Permit2 proxy settle call")


def install(node) -> None:
    """Register Permit2 and both proxies on ``node`` (called by DevnetNode before the chain opens)."""
    from og_tui.core import constants

    permit2 = _b(constants.PERMIT2_ADDRESS)
    node.chain.register_native(permit2, Permit2(permit2, node.config.chain_id), name="Permit2")
    node.chain.register_native(
        _b(constants.X402_EXACT_PERMIT2_PROXY_ADDRESS), ExactPermit2Proxy(permit2), name="x402ExactPermit2Proxy"
    )
    node.chain.register_native(
        _b(constants.X402_UPTO_PERMIT2_PROXY_ADDRESS), UptoPermit2Proxy(permit2), name="x402UptoPermit2Proxy"
    )
