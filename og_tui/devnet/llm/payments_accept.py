"""What both x402 versions do on accepting a payment: the checks, the refusals, the reservation.

:class:`Verified` is a payment the gateway accepted. :class:`AcceptChecks` is a mixin of
:class:`~og_tui.devnet.llm.payments.PaymentService` (and so of the v2 service, x402_v2.py):
the checks both versions run (payee, amount, the token's ``transferWithAuthorization``
rules with the payer's reservations taken, a nonce being settled), the refusals they give,
and ``_hold``, which writes an accepted payment's ``pending`` row before anything is served
and reserves its nonce and value. ``hash_hex`` is the 0x keccak that requests and payments
are hashed with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from eth_utils import keccak, to_canonical_address

from og_tui.devnet.llm.payment_header import PaymentInvalid
from og_tui.devnet.llm.payments_batch import _b32
from og_tui.devnet.llm.settlement_store import Settlement
from og_tui.devnet.token import Authorization, AuthorizationRejected, balance_slot, check_authorization, split_signature


@dataclass
class Verified:
    payer: str
    payee: str
    value: int
    valid_after: int
    valid_before: int
    nonce: bytes
    signature: bytes
    required: int
    processing_hash: str = ""
    transfer_call: bytes = b""
    record: Optional[Settlement] = None
    debts: list = field(default_factory=list)  # owed records this payment also pays

    @property
    def debt(self) -> int:
        return sum(d.value for d in self.debts)


def hash_hex(data: bytes | str) -> str:
    return "0x" + keccak(data.encode() if isinstance(data, str) else data).hex()


class AcceptChecks:
    """Uses the service's ``_lock``, ``_inflight``, ``_reserved``, ``store``, ``node``, ``network``,
    ``payee``, ``chain_id``, ``domain_separator`` and ``_sload`` (the token's storage)."""

    def _rejected(
        self,
        exc: AuthorizationRejected,
        payer: str,
        value: int,
        valid_after: int,
        valid_before: int,
        now: int,
        reserved: int,
    ) -> PaymentInvalid:
        code = exc.code
        if code == "expired":
            msg = f"Payment authorization expired: its window closed at {valid_before} (now {now}); sign a new one."
        elif code == "not_yet_valid":
            msg = f"Payment authorization is not valid yet (validAfter {valid_after}, now {now})."
        elif code == "nonce_used":
            msg = "Payment nonce already used: this authorization was replayed or cancelled on chain; sign a new one."
        elif code == "invalid_signature":
            msg = (
                f"Invalid payment signature: it was not signed by the payer {payer} for OUSDC on chain {self.chain_id} "
                f"with a canonical (low-s) signature ({exc.reason})."
            )
        elif code == "insufficient_funds":
            balance = self._sload_balance(payer)
            msg = (
                f"Insufficient OUSDC: the payer {payer} has {balance} units"
                + (f" ({reserved} already reserved for his payments not settled yet)" if reserved else "")
                + f", the payment needs {value}."
            )
        else:
            msg = f"Payment refused by the token's rules: {exc.reason}."
        return PaymentInvalid(code, msg)

    def _sload_balance(self, payer: str) -> int:
        with self.node.lock:
            return self._sload(balance_slot(to_canonical_address(payer)))

    def _check_payee(self, payee: str) -> None:
        if payee.lower() != self.payee.lower():
            raise PaymentInvalid(
                "wrong_payee", f"Payment is addressed to {payee}, but this gateway is paid at {self.payee}."
            )

    @staticmethod
    def _check_amount(value: int, required: int, what: str, unit: str, costs: str) -> None:
        """``what``: "the authorization is for" or "the permit is for"; ``costs``: "costs" or "costs up to"."""
        if value < required:
            raise PaymentInvalid(
                "amount_too_low",
                f"Wrong payment amount: {what} {value} {unit} units, the request {costs} {required}.",
            )

    def _check_authorization(self, v: Verified, now: int, reserved: int) -> None:
        """The token's own checks of a ``transferWithAuthorization`` payment, with ``reserved`` of the
        payer's balance taken (the caller holds the node lock); a refusal says why."""
        v_, r, s = split_signature(v.signature)
        auth = Authorization(
            to_canonical_address(v.payer),
            to_canonical_address(v.payee),
            v.value,
            v.valid_after,
            v.valid_before,
            v.nonce,
            v_,
            r,
            s,
        )
        try:
            check_authorization(auth, self.domain_separator, now=now, sload=self._sload, reserved=reserved)
        except AuthorizationRejected as exc:
            raise self._rejected(exc, v.payer, v.value, v.valid_after, v.valid_before, now, reserved) from None

    def _reserved_for(self, payer_key: str, nonce: bytes, replayed: str) -> int:
        """(Under ``self._lock``) what the payer has reserved already; a nonce being settled is refused."""
        if (payer_key, nonce) in self._inflight:
            raise PaymentInvalid("nonce_used", f"Payment nonce already used: {replayed} (it is being settled).")
        return self._reserved.get(payer_key, 0)

    def _hold(self, v: Verified, request_hash: str, mode: str, stream: bool, reserved: int) -> None:
        """(Under ``self._lock``) an accepted payment's processing hash and ``pending`` row, written
        before anything is served, and its nonce and value held until it is settled or released."""
        payer_key = v.payer.lower()
        v.processing_hash = hash_hex(_b32(request_hash) + v.nonce + to_canonical_address(v.payer))
        v.record = Settlement(
            mode=mode,
            status="pending",
            processing_hash=v.processing_hash,
            payer=v.payer,
            network=self.network,
            payee=v.payee,
            value=v.value,
            valid_before=v.valid_before,
            nonce="0x" + v.nonce.hex(),
            transfer_call=v.transfer_call,
            input_hash=request_hash,
            released=stream,
        )
        self.store.put(v.record)
        self._inflight.add((payer_key, v.nonce))
        self._reserved[payer_key] = reserved + v.value
