"""OUSDC: the devnet payment token, an ERC-20 + EIP-3009 native system contract.

Same interface as the OUSDC/USDC (FiatToken v2) contract the x402 clients sign for:
6 decimals, EIP-712 domain ``{name: "OUSDC", version: "2", chainId, verifyingContract}``,
``transferWithAuthorization`` / ``receiveWithAuthorization`` / ``cancelAuthorization``
(v,r,s and packed-``bytes`` signature variants) and ``authorizationState``.

All state lives in the EVM storage of the token address, laid out like a Solidity
contract would lay it out, so it is part of the state root, reverted with failed calls
and persisted with the chain:

- slot 0: total supply
- ``balances[a]``          at ``keccak(pad32(a) . pad32(1))``
- ``allowances[o][s]``     at ``keccak(pad32(s) . keccak(pad32(o) . pad32(2)))``
- ``authorizations[a][n]`` at ``keccak(n . keccak(pad32(a) . pad32(3)))``

``devnetMint(address,uint256)`` exists only for the devnet faucet: it reverts unless
the caller is the faucet account the node configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from eth_abi import encode as abi_encode
from eth_keys import KeyAPI
from eth_keys.exceptions import BadSignature
from eth_keys.exceptions import ValidationError as KeysValidationError
from eth_utils import keccak

from og_tui.devnet.native import NativeCall, NativeRevert, selector, topic

SECP256K1_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
UINT256_MAX = 2**256 - 1
ZERO_ADDRESS = b"\x00" * 20
GAS_ECRECOVER = 3_000

EIP712_DOMAIN_TYPEHASH = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
TRANSFER_WITH_AUTHORIZATION_TYPEHASH = keccak(
    text="TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,"
    "uint256 validBefore,bytes32 nonce)"
)
RECEIVE_WITH_AUTHORIZATION_TYPEHASH = keccak(
    text="ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,"
    "uint256 validBefore,bytes32 nonce)"
)
CANCEL_AUTHORIZATION_TYPEHASH = keccak(text="CancelAuthorization(address authorizer,bytes32 nonce)")

TOPIC_TRANSFER = topic("Transfer(address,address,uint256)")
TOPIC_APPROVAL = topic("Approval(address,address,uint256)")
TOPIC_AUTH_USED = topic("AuthorizationUsed(address,bytes32)")
TOPIC_AUTH_CANCELED = topic("AuthorizationCanceled(address,bytes32)")

_AUTH_ARGS = ["address", "address", "uint256", "uint256", "uint256", "bytes32"]


def _pad(value: bytes | int) -> bytes:
    if isinstance(value, int):
        return value.to_bytes(32, "big")
    return value.rjust(32, b"\x00")


def _slot(*parts: bytes | int) -> int:
    return int.from_bytes(keccak(b"".join(_pad(p) for p in parts)), "big")


def balance_slot(account: bytes) -> int:
    return _slot(account, 1)


def allowance_slot(owner: bytes, spender: bytes) -> int:
    inner = keccak(_pad(owner) + _pad(2))
    return _slot(spender, inner)


def authorization_slot(authorizer: bytes, nonce: bytes) -> int:
    inner = keccak(_pad(authorizer) + _pad(3))
    return _slot(nonce, inner)


def _addr_topic(address: bytes) -> int:
    return int.from_bytes(address, "big")


# --- EIP-3009 authorization rules (shared with the x402 gateway) ------------------------------


class AuthorizationRejected(Exception):
    """An authorization the token would refuse: ``code`` (machine) and ``reason`` (the
    token's revert string)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Authorization:
    """One EIP-3009 authorization; addresses are 20 raw bytes, ``r``/``s`` 32 bytes."""

    authorizer: bytes
    to: bytes
    value: int
    valid_after: int
    valid_before: int
    nonce: bytes
    v: int
    r: bytes
    s: bytes

    def struct_hash(self, typehash: bytes = TRANSFER_WITH_AUTHORIZATION_TYPEHASH) -> bytes:
        return keccak(
            abi_encode(
                ["bytes32"] + _AUTH_ARGS,
                [typehash, self.authorizer, self.to, self.value, self.valid_after, self.valid_before, self.nonce],
            )
        )


def split_signature(signature: bytes) -> tuple[int, bytes, bytes]:
    """(v, r, s) of a packed 65-byte signature ``r . s . v``."""
    if len(signature) != 65:
        raise AuthorizationRejected("invalid_signature", "OUSDC: invalid signature length")
    return signature[64], signature[:32], signature[32:64]


def authorization_digest(domain_separator: bytes, struct_hash: bytes) -> bytes:
    return keccak(b"\x19\x01" + domain_separator + struct_hash)


def recover_signer(digest: bytes, v: int, r: bytes, s: bytes) -> bytes:
    """The signer of ``digest`` under the token's rules: ``v`` of 0/1 is read as 27/28,
    then ``v`` must be 27 or 28, ``r`` and ``s`` non-zero and ``s`` in the lower half of
    the curve order (no malleated signatures), as OpenZeppelin's ECDSA does."""
    if v < 27:
        v += 27
    r_int = int.from_bytes(r, "big")
    s_int = int.from_bytes(s, "big")
    if v not in (27, 28) or s_int > SECP256K1_HALF_N or not r_int or not s_int:
        raise AuthorizationRejected("invalid_signature", "OUSDC: invalid signature")
    try:
        sig = KeyAPI.Signature(vrs=(v - 27, r_int, s_int))
        return sig.recover_public_key_from_msg_hash(digest).to_canonical_address()
    except (BadSignature, KeysValidationError, ValueError):
        raise AuthorizationRejected("invalid_signature", "OUSDC: invalid signature") from None


def check_authorization(
    auth: Authorization,
    domain_separator: bytes,
    *,
    now: int,
    sload: Callable[[int], int],
    typehash: bytes = TRANSFER_WITH_AUTHORIZATION_TYPEHASH,
    reserved: int = 0,
    use_gas: Optional[Callable[[int, str], None]] = None,
) -> None:
    """Every rule ``transferWithAuthorization`` applies, in the token's order; raises
    :class:`AuthorizationRejected` for the first one that fails.

    The token calls it with the block's timestamp and its own storage; the x402 gateway
    calls it with the wall clock, the chain's storage of the token and ``reserved`` (what
    the payer already owes to queued payments), so the two cannot disagree.
    """
    if now <= auth.valid_after:
        raise AuthorizationRejected("not_yet_valid", "OUSDC: authorization is not yet valid")
    if now >= auth.valid_before:
        raise AuthorizationRejected("expired", "OUSDC: authorization is expired")
    if sload(authorization_slot(auth.authorizer, auth.nonce)):
        raise AuthorizationRejected("nonce_used", "OUSDC: authorization is used or canceled")
    if use_gas is not None:
        use_gas(GAS_ECRECOVER, "ecrecover")
    digest = authorization_digest(domain_separator, auth.struct_hash(typehash))
    if recover_signer(digest, auth.v, auth.r, auth.s) != auth.authorizer:
        raise AuthorizationRejected("invalid_signature", "OUSDC: invalid signature")
    if auth.to == ZERO_ADDRESS:
        raise AuthorizationRejected("invalid_payee", "OUSDC: transfer to the zero address")
    if sload(balance_slot(auth.authorizer)) < auth.value + reserved:
        raise AuthorizationRejected("insufficient_funds", "OUSDC: transfer amount exceeds balance")


class OUSDCToken:
    """The native handler for the payment token (one instance per node)."""

    def __init__(
        self,
        address: bytes,
        chain_id: int,
        minter: bytes | None,
        name: str = "OUSDC",
        symbol: str = "OUSDC",
        version: str = "2",
        decimals: int = 6,
    ) -> None:
        self.address = address
        self.chain_id = chain_id
        self.minter = minter
        self.name = name
        self.symbol = symbol
        self.version = version
        self.decimals = decimals
        self.domain_separator = keccak(
            abi_encode(
                ["bytes32", "bytes32", "bytes32", "uint256", "address"],
                [EIP712_DOMAIN_TYPEHASH, keccak(text=name), keccak(text=version), chain_id, address],
            )
        )
        self._dispatch = {
            selector("name()"): self._name,
            selector("symbol()"): self._symbol,
            selector("decimals()"): self._decimals,
            selector("version()"): self._version,
            selector("totalSupply()"): self._total_supply,
            selector("balanceOf(address)"): self._balance_of,
            selector("allowance(address,address)"): self._allowance,
            selector("transfer(address,uint256)"): self._transfer,
            selector("approve(address,uint256)"): self._approve,
            selector("transferFrom(address,address,uint256)"): self._transfer_from,
            selector("DOMAIN_SEPARATOR()"): self._domain_separator,
            selector("TRANSFER_WITH_AUTHORIZATION_TYPEHASH()"): lambda c: TRANSFER_WITH_AUTHORIZATION_TYPEHASH,
            selector("RECEIVE_WITH_AUTHORIZATION_TYPEHASH()"): lambda c: RECEIVE_WITH_AUTHORIZATION_TYPEHASH,
            selector("CANCEL_AUTHORIZATION_TYPEHASH()"): lambda c: CANCEL_AUTHORIZATION_TYPEHASH,
            selector("eip712Domain()"): self._eip712_domain,
            selector("authorizationState(address,bytes32)"): self._authorization_state,
            selector(
                "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)"
            ): lambda c: self._with_authorization(c, receive=False, packed=False),
            selector("transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"): lambda c: (
                self._with_authorization(c, receive=False, packed=True)
            ),
            selector(
                "receiveWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)"
            ): lambda c: self._with_authorization(c, receive=True, packed=False),
            selector("receiveWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"): lambda c: (
                self._with_authorization(c, receive=True, packed=True)
            ),
            selector("cancelAuthorization(address,bytes32,uint8,bytes32,bytes32)"): lambda c: self._cancel(
                c, packed=False
            ),
            selector("cancelAuthorization(address,bytes32,bytes)"): lambda c: self._cancel(c, packed=True),
            selector("devnetMint(address,uint256)"): self._mint,
        }

    # -- entry point -------------------------------------------------------------
    def __call__(self, call: NativeCall) -> bytes:
        if call.value:
            raise NativeRevert("OUSDC: does not accept native tokens")
        fn = self._dispatch.get(call.selector)
        if fn is None:
            if not call.data:
                raise NativeRevert("OUSDC: no function selector (plain transfers are not accepted)")
            raise NativeRevert(f"OUSDC: unknown function selector 0x{call.selector.hex()}")
        return fn(call)

    # -- genesis -------------------------------------------------------------------
    def genesis_storage(self, balances: dict[bytes, int]) -> dict[int, int]:
        storage = {balance_slot(a): v for a, v in balances.items() if v}
        storage[0] = sum(balances.values())
        return storage

    # -- helpers ---------------------------------------------------------------------
    def _move(self, call: NativeCall, sender: bytes, to: bytes, value: int) -> None:
        if to == ZERO_ADDRESS:
            raise NativeRevert("OUSDC: transfer to the zero address")
        if sender == ZERO_ADDRESS:
            raise NativeRevert("OUSDC: transfer from the zero address")
        from_slot = balance_slot(sender)
        have = call.sload(from_slot)
        if have < value:
            raise NativeRevert("OUSDC: transfer amount exceeds balance")
        call.sstore(from_slot, have - value)
        to_slot = balance_slot(to)
        call.sstore(to_slot, call.sload(to_slot) + value)
        call.emit([TOPIC_TRANSFER, _addr_topic(sender), _addr_topic(to)], _pad(value))

    def _recover(self, call: NativeCall, struct_hash: bytes, v: int, r: bytes, s: bytes) -> bytes:
        call.use_gas(GAS_ECRECOVER, "ecrecover")
        try:
            return recover_signer(authorization_digest(self.domain_separator, struct_hash), v, r, s)
        except AuthorizationRejected as exc:
            raise NativeRevert(exc.reason) from None

    @staticmethod
    def _split_signature(signature: bytes) -> tuple[int, bytes, bytes]:
        try:
            return split_signature(signature)
        except AuthorizationRejected as exc:
            raise NativeRevert(exc.reason) from None

    # -- views ---------------------------------------------------------------------------
    def _name(self, call):
        return abi_encode(["string"], [self.name])

    def _symbol(self, call):
        return abi_encode(["string"], [self.symbol])

    def _version(self, call):
        return abi_encode(["string"], [self.version])

    def _decimals(self, call):
        return abi_encode(["uint8"], [self.decimals])

    def _domain_separator(self, call):
        return self.domain_separator

    def _eip712_domain(self, call):
        return abi_encode(
            ["bytes1", "string", "string", "uint256", "address", "bytes32", "uint256[]"],
            [b"\x0f", self.name, self.version, self.chain_id, self.address, b"\x00" * 32, []],
        )

    def _total_supply(self, call):
        return _pad(call.sload(0))

    def _balance_of(self, call):
        (owner,) = call.decode(["address"])
        return _pad(call.sload(balance_slot(_b(owner))))

    def _allowance(self, call):
        owner, spender = call.decode(["address", "address"])
        return _pad(call.sload(allowance_slot(_b(owner), _b(spender))))

    def _authorization_state(self, call):
        authorizer, nonce = call.decode(["address", "bytes32"])
        return _pad(1 if call.sload(authorization_slot(_b(authorizer), nonce)) else 0)

    # -- ERC-20 writes ------------------------------------------------------------------------
    def _transfer(self, call):
        to, value = call.decode(["address", "uint256"])
        self._move(call, call.sender, _b(to), value)
        return _pad(1)

    def _approve(self, call):
        spender, value = call.decode(["address", "uint256"])
        spender = _b(spender)
        if spender == ZERO_ADDRESS:
            raise NativeRevert("OUSDC: approve to the zero address")
        call.sstore(allowance_slot(call.sender, spender), value)
        call.emit([TOPIC_APPROVAL, _addr_topic(call.sender), _addr_topic(spender)], _pad(value))
        return _pad(1)

    def _transfer_from(self, call):
        owner, to, value = call.decode(["address", "address", "uint256"])
        owner = _b(owner)
        slot = allowance_slot(owner, call.sender)
        allowed = call.sload(slot)
        if allowed < value:
            raise NativeRevert("OUSDC: transfer amount exceeds allowance")
        if allowed != UINT256_MAX:
            call.sstore(slot, allowed - value)
        self._move(call, owner, _b(to), value)
        return _pad(1)

    # -- EIP-3009 ------------------------------------------------------------------------------
    def _with_authorization(self, call, *, receive: bool, packed: bool):
        if packed:
            frm, to, value, valid_after, valid_before, nonce, signature = call.decode(_AUTH_ARGS + ["bytes"])
            v, r, s = self._split_signature(signature)
        else:
            frm, to, value, valid_after, valid_before, nonce, v, r, s = call.decode(
                _AUTH_ARGS + ["uint8", "bytes32", "bytes32"]
            )
        frm, to = _b(frm), _b(to)
        if receive and call.sender != to:
            raise NativeRevert("OUSDC: caller must be the payee")
        auth = Authorization(frm, to, value, valid_after, valid_before, nonce, v, r, s)
        typehash = RECEIVE_WITH_AUTHORIZATION_TYPEHASH if receive else TRANSFER_WITH_AUTHORIZATION_TYPEHASH
        try:
            check_authorization(
                auth,
                self.domain_separator,
                now=call.timestamp,
                sload=call.sload,
                typehash=typehash,
                use_gas=call.use_gas,
            )
        except AuthorizationRejected as exc:
            raise NativeRevert(exc.reason) from None
        call.sstore(authorization_slot(frm, nonce), 1)
        call.emit([TOPIC_AUTH_USED, _addr_topic(frm), nonce])
        self._move(call, frm, to, value)
        return b""

    def _cancel(self, call, *, packed: bool):
        if packed:
            authorizer, nonce, signature = call.decode(["address", "bytes32", "bytes"])
            v, r, s = self._split_signature(signature)
        else:
            authorizer, nonce, v, r, s = call.decode(["address", "bytes32", "uint8", "bytes32", "bytes32"])
        authorizer = _b(authorizer)
        state_slot = authorization_slot(authorizer, nonce)
        if call.sload(state_slot):
            raise NativeRevert("OUSDC: authorization is used or canceled")
        struct_hash = keccak(
            abi_encode(["bytes32", "address", "bytes32"], [CANCEL_AUTHORIZATION_TYPEHASH, authorizer, nonce])
        )
        if self._recover(call, struct_hash, v, r, s) != authorizer:
            raise NativeRevert("OUSDC: invalid signature")
        call.sstore(state_slot, 1)
        call.emit([TOPIC_AUTH_CANCELED, _addr_topic(authorizer), nonce])
        return b""

    # -- devnet faucet ---------------------------------------------------------------------------
    def _mint(self, call):
        if self.minter is None or call.sender != self.minter:
            raise NativeRevert("OUSDC: minting is reserved to the devnet faucet")
        to, value = call.decode(["address", "uint256"])
        to = _b(to)
        if to == ZERO_ADDRESS:
            raise NativeRevert("OUSDC: mint to the zero address")
        call.sstore(0, call.sload(0) + value)
        slot = balance_slot(to)
        call.sstore(slot, call.sload(slot) + value)
        call.emit([TOPIC_TRANSFER, 0, _addr_topic(to)], _pad(value))
        return _pad(1)


def _b(address: str | bytes) -> bytes:
    """eth_abi decodes addresses as checksummed strings; storage keys use 20 raw bytes."""
    if isinstance(address, bytes):
        return address
    return bytes.fromhex(address[2:])


# --- ABI (written to og_tui/core/abi/ousdc.json) ---------------------------------------------


def _fn(name, inputs, outputs=(), mutability="nonpayable"):
    return {
        "type": "function",
        "name": name,
        "inputs": [{"name": n, "type": t} for n, t in inputs],
        "outputs": [{"name": n, "type": t} for n, t in outputs],
        "stateMutability": mutability,
    }


def _event(name, inputs):
    return {
        "type": "event",
        "name": name,
        "anonymous": False,
        "inputs": [{"name": n, "type": t, "indexed": i} for n, t, i in inputs],
    }


_AUTH_INPUTS = [
    ("from", "address"),
    ("to", "address"),
    ("value", "uint256"),
    ("validAfter", "uint256"),
    ("validBefore", "uint256"),
    ("nonce", "bytes32"),
]
_VRS = [("v", "uint8"), ("r", "bytes32"), ("s", "bytes32")]


def ousdc_abi() -> list[dict]:
    """The public ABI of the token (the faucet-only mint is deliberately left out)."""
    return [
        _fn("name", [], [("", "string")], "view"),
        _fn("symbol", [], [("", "string")], "view"),
        _fn("decimals", [], [("", "uint8")], "view"),
        _fn("version", [], [("", "string")], "view"),
        _fn("totalSupply", [], [("", "uint256")], "view"),
        _fn("balanceOf", [("account", "address")], [("", "uint256")], "view"),
        _fn("allowance", [("owner", "address"), ("spender", "address")], [("", "uint256")], "view"),
        _fn("transfer", [("to", "address"), ("value", "uint256")], [("", "bool")]),
        _fn("approve", [("spender", "address"), ("value", "uint256")], [("", "bool")]),
        _fn(
            "transferFrom",
            [("from", "address"), ("to", "address"), ("value", "uint256")],
            [("", "bool")],
        ),
        _fn("DOMAIN_SEPARATOR", [], [("", "bytes32")], "view"),
        _fn("TRANSFER_WITH_AUTHORIZATION_TYPEHASH", [], [("", "bytes32")], "view"),
        _fn("RECEIVE_WITH_AUTHORIZATION_TYPEHASH", [], [("", "bytes32")], "view"),
        _fn("CANCEL_AUTHORIZATION_TYPEHASH", [], [("", "bytes32")], "view"),
        _fn(
            "eip712Domain",
            [],
            [
                ("fields", "bytes1"),
                ("name", "string"),
                ("version", "string"),
                ("chainId", "uint256"),
                ("verifyingContract", "address"),
                ("salt", "bytes32"),
                ("extensions", "uint256[]"),
            ],
            "view",
        ),
        _fn(
            "authorizationState",
            [("authorizer", "address"), ("nonce", "bytes32")],
            [("", "bool")],
            "view",
        ),
        _fn("transferWithAuthorization", _AUTH_INPUTS + _VRS),
        _fn("transferWithAuthorization", _AUTH_INPUTS + [("signature", "bytes")]),
        _fn("receiveWithAuthorization", _AUTH_INPUTS + _VRS),
        _fn("receiveWithAuthorization", _AUTH_INPUTS + [("signature", "bytes")]),
        _fn("cancelAuthorization", [("authorizer", "address"), ("nonce", "bytes32")] + _VRS),
        _fn(
            "cancelAuthorization",
            [("authorizer", "address"), ("nonce", "bytes32"), ("signature", "bytes")],
        ),
        _event("Transfer", [("from", "address", True), ("to", "address", True), ("value", "uint256", False)]),
        _event(
            "Approval",
            [("owner", "address", True), ("spender", "address", True), ("value", "uint256", False)],
        ),
        _event("AuthorizationUsed", [("authorizer", "address", True), ("nonce", "bytes32", True)]),
        _event("AuthorizationCanceled", [("authorizer", "address", True), ("nonce", "bytes32", True)]),
    ]
