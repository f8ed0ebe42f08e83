"""What both x402 generations (v1 in :mod:`og_tui.core.x402`, v2 in :mod:`og_tui.core.x402_v2`) share.

- signing: the EIP-712 signature of a typed message and the EIP-3009
  ``TransferWithAuthorization`` both generations sign (v1 always, v2 for ``exact`` without
  Permit2), and the base64 JSON their payment headers carry;
- spend policy: the checks a server's requirement must pass before anything is signed
  (network, token, payee, validity window, amount; :func:`check_terms`) and the spend caps
  (:class:`SpendCaps`, atomic token units per request and per run);
- the record of a paid request (:class:`PaymentInfo`) and its row in the payment history;
- the httpx flow: send, and on a 402 not paid yet, pay once and repeat (:class:`PayOnce402`).

    caps = SpendCaps(per_request=500_000, per_run=5_000_000)   # atomic OUSDC units

eth_account is imported lazily (start-up time of the TUI).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, Dict, Generator, Optional, Protocol, TypeVar

import httpx

from og_tui.core.errors import PaymentError, SpendCapExceeded

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from eth_account.datastructures import SignedMessage
    from eth_account.messages import SignableMessage

    from og_tui.core.config import Settings

__all__ = [
    "MAX_PAYMENT_WINDOW_SECONDS",
    "TRANSFER_WITH_AUTHORIZATION_TYPES",
    "MessageSigner",
    "Paid",
    "PayOnce402",
    "PaymentInfo",
    "PaymentRefused",
    "SpendCapReached",
    "SpendCaps",
    "b64_json",
    "check_terms",
    "from_b64_json",
    "record_payment",
    "release_unless_paid",
    "signed_within_caps",
    "sign_transfer_authorization",
    "sign_typed",
]

TRANSFER_WITH_AUTHORIZATION_TYPES = {
    "TransferWithAuthorization": [
        {"name": "from", "type": "address"},
        {"name": "to", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "validAfter", "type": "uint256"},
        {"name": "validBefore", "type": "uint256"},
        {"name": "nonce", "type": "bytes32"},
    ]
}

# The longest authorization og-tui signs: a server asking for a longer validity window gets
# nothing (a signed authorization can be submitted by anyone until it expires).
MAX_PAYMENT_WINDOW_SECONDS = 600


# --- signing ---------------------------------------------------------------------------------------


class MessageSigner(Protocol):
    """What signs a payment: an eth-account ``LocalAccount`` or anything shaped like one."""

    @property
    def address(self) -> str: ...

    def sign_message(self, signable_message: SignableMessage) -> SignedMessage: ...


def sign_typed(signer: MessageSigner, domain: Dict[str, Any], types: Dict[str, Any], message: Dict[str, Any]) -> str:
    """The 0x-hex EIP-712 signature of ``message`` (of ``types``) on ``domain``."""
    from eth_account.messages import encode_typed_data

    signed = signer.sign_message(encode_typed_data(domain, types, message))
    return "0x" + bytes(signed.signature).hex()


def sign_transfer_authorization(
    signer: MessageSigner,
    *,
    name: Any,
    version: str,
    chain_id: int,
    asset: str,
    pay_to: str,
    value: int,
    valid_after: int,
    valid_before: int,
    nonce: bytes,
) -> tuple[str, Dict[str, Any]]:
    """Sign EIP-3009 ``TransferWithAuthorization`` on the token's own domain (``name``,
    ``version``, ``chain_id``, ``verifyingContract`` = ``asset``). Returns the signature and
    the authorization as x402 sends it (numbers as decimal strings, the nonce 0x-hex)."""
    from eth_utils import to_checksum_address

    payer = to_checksum_address(signer.address)
    pay_to = to_checksum_address(pay_to)
    domain = {
        "name": name,
        "version": version,
        "chainId": int(chain_id),
        "verifyingContract": to_checksum_address(asset),
    }
    message = {
        "from": payer,
        "to": pay_to,
        "value": value,
        "validAfter": valid_after,
        "validBefore": valid_before,
        "nonce": nonce,
    }
    signature = sign_typed(signer, domain, TRANSFER_WITH_AUTHORIZATION_TYPES, message)
    authorization = {
        "from": payer,
        "to": pay_to,
        "value": str(value),
        "validAfter": str(valid_after),
        "validBefore": str(valid_before),
        "nonce": "0x" + nonce.hex(),
    }
    return signature, authorization


def b64_json(data: Dict[str, Any]) -> str:
    """A payment header's value: compact JSON, base64."""
    return base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def from_b64_json(value: Optional[str]) -> Optional[Dict[str, Any]]:
    """The JSON object of a base64 header (padding optional), or None when absent or unreadable."""
    if not value:
        return None
    try:
        data = json.loads(base64.b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


# --- spend policy ----------------------------------------------------------------------------------


class PaymentRefused(PaymentError):
    """The server asked for a payment the profile does not allow; nothing was signed."""

    default_hint = (
        "If the server is the one you meant, check the profile's payment settings "
        "(x402_network, payment_token, x402_payees)."
    )


def check_terms(
    requirement: Dict[str, Any],
    asked: str,
    *,
    network: str,
    asset: str,
    payees: Optional[tuple[str, ...]],
    amount_key: str,
    via: str = "",
    token_refusal: Optional[str] = None,
    max_window_seconds: int = MAX_PAYMENT_WINDOW_SECONDS,
) -> None:
    """Raise PaymentRefused ("Payment refused: ``asked``; why. Nothing was signed.") for the first
    rule ``requirement`` breaks: its network, its token (``asset``; then ``token_refusal``, a reason
    the caller found about the token, if any), its payee (when ``payees`` pins them), a validity
    window of at most ``max_window_seconds`` and an amount (``requirement[amount_key]``) that is a
    positive number of token units. ``via`` goes after "this profile pays" in the token's reason."""

    def refuse(reason: str) -> PaymentRefused:
        return PaymentRefused(f"Payment refused: {asked}; {reason}. Nothing was signed.")

    if requirement.get("network") != network:
        raise refuse(f"this profile pays on {network!r}")
    if str(requirement.get("asset", "")).lower() != asset.lower():
        raise refuse(f"this profile pays{via} with the token at {asset}")
    if token_refusal is not None:
        raise refuse(token_refusal)
    if payees is not None and str(requirement.get("payTo", "")).lower() not in {p.lower() for p in payees}:
        raise refuse(f"this profile pays only {', '.join(payees)}")
    window = requirement.get("maxTimeoutSeconds")
    if isinstance(window, bool) or not isinstance(window, int) or not 0 < window <= max_window_seconds:
        raise refuse(f"an authorization may be valid for at most {max_window_seconds} s")
    try:
        units = int(str(requirement.get(amount_key)))
    except ValueError:
        units = -1
    if units <= 0 or units >= 2**256:
        raise refuse("the amount is not a positive number of token units")


def _fmt(units: int, decimals: int, symbol: str) -> str:
    from og_tui.core.amounts import format_amount

    return f"{format_amount(int(units), decimals)} {symbol}"


class SpendCapReached(SpendCapExceeded):
    """A payment over a cap; nothing was signed. ``kind`` is "request" or "run"."""

    def __init__(self, message: str, *, amount: int, cap: int, spent: int, kind: str) -> None:
        super().__init__(message)
        self.amount = amount
        self.cap = cap
        self.spent = spent
        self.kind = kind


class SpendCaps:
    """Per-request and per-run (since this object was made, i.e. the app started) caps.

    Amounts are atomic token units; ``None`` means no cap. Thread-safe. ``check`` is
    called before signing; ``reserve``/``release`` track what is in flight.
    ``approve_once(amount)`` lets the next payment of at most ``amount`` through
    whatever the caps say (for an "are you sure?" dialog).
    """

    def __init__(
        self, per_request: Optional[int] = None, per_run: Optional[int] = None, decimals: int = 6, symbol: str = "OUSDC"
    ) -> None:
        self.per_request = per_request
        self.per_run = per_run
        self.decimals = decimals
        self.symbol = symbol
        self.spent = 0
        self.started = time.time()
        self._approved: Optional[int] = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: Settings, decimals: Optional[int] = None, symbol: Optional[str] = None
    ) -> "SpendCaps":
        """The OUSDC (the profile's payment token) caps of the settings: ``llm_cap_per_request`` / ``llm_cap_per_run``."""
        prof = settings.profile
        decimals = prof.payment_token_decimals if decimals is None else decimals
        symbol = symbol or prof.payment_token_symbol
        return cls.from_texts(settings.llm_cap_per_request, settings.llm_cap_per_run, decimals, symbol)

    @classmethod
    def from_texts(cls, per_request: Any, per_run: Any, decimals: int, symbol: str) -> "SpendCaps":
        """Caps from the settings' texts (token amounts such as "0.5"; None, "", "none" or "off": no cap)."""
        from og_tui.core.amounts import parse_amount

        def units(text: Any) -> Optional[int]:
            if text in (None, "", "none", "off"):
                return None
            return parse_amount(str(text), decimals)

        return cls(units(per_request), units(per_run), decimals, symbol)

    def fmt(self, units: int) -> str:
        return _fmt(units, self.decimals, self.symbol)

    def approve_once(self, amount: int) -> None:
        with self._lock:
            self._approved = int(amount)

    def check(self, amount: int) -> None:
        with self._lock:
            self._check_locked(amount)

    def _check_locked(self, amount: int) -> None:
        if self._approved is not None and amount <= self._approved:
            return
        if self.per_request is not None and amount > self.per_request:
            raise SpendCapReached(
                f"Spend cap reached: this request costs {self.fmt(amount)}, over the per-request cap of "
                f"{self.fmt(self.per_request)}. Nothing was signed.",
                amount=amount,
                cap=self.per_request,
                spent=self.spent,
                kind="request",
            )
        if self.per_run is not None and self.spent + amount > self.per_run:
            raise SpendCapReached(
                f"Spend cap reached: {self.fmt(self.spent)} already paid since the app started; this request "
                f"({self.fmt(amount)}) would pass the per-run cap of {self.fmt(self.per_run)}. Nothing was signed.",
                amount=amount,
                cap=self.per_run,
                spent=self.spent,
                kind="run",
            )

    def reserve(self, amount: int) -> None:
        """Check and count ``amount`` as spent (atomically)."""
        with self._lock:
            self._check_locked(amount)
            if self._approved is not None and amount <= self._approved:
                self._approved = None
            self.spent += int(amount)

    def release(self, amount: int) -> None:
        with self._lock:
            self.spent = max(0, self.spent - int(amount))

    @property
    def remaining(self) -> Optional[int]:
        return None if self.per_run is None else max(0, self.per_run - self.spent)


_T = TypeVar("_T")


def signed_within_caps(caps: Optional[SpendCaps], amount: int, sign: Callable[[], _T]) -> _T:
    """``sign()`` with ``amount`` reserved on ``caps`` first (SpendCapReached before anything is
    signed), and released again when signing fails."""
    if caps is not None:
        caps.reserve(amount)
    try:
        return sign()
    except BaseException:
        if caps is not None:
            caps.release(amount)
        raise


def release_unless_paid(caps: Optional[SpendCaps], response: httpx.Response, amount: int) -> bool:
    """Whether the paid request came back 2xx; when it did not, ``amount`` is released from ``caps``."""
    if 200 <= response.status_code < 300:
        return True
    if caps is not None:
        caps.release(amount)
    return False


# --- the paid request ------------------------------------------------------------------------------


@dataclass
class PaymentInfo:
    amount: int
    payee: str
    payer: str
    asset: str
    network: str
    mode: Optional[str]
    nonce: str
    processing_hash: Optional[str] = None
    transaction: Optional[str] = None
    status: Optional[str] = None
    model: Optional[str] = None
    resource: Optional[str] = None
    time: float = field(default_factory=time.time)

    @property
    def hash(self) -> Optional[str]:
        return self.transaction or self.processing_hash

    def as_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        d["amount"] = str(self.amount)
        return d


def record_payment(
    store: Any, info: PaymentInfo, *, mode: Optional[str], profile_name: Optional[str], detail: Dict[str, Any]
) -> Any:
    """Add ``info`` to the payment history (``store.add_payment``) and return its row; None when
    that fails (the history must not break a paid request)."""
    try:
        status = info.status if info.status in ("queued", "settled", "failed") else "pending"
        return store.add_payment(
            info.amount,
            payee=info.payee,
            mode=mode,
            hash=info.hash,
            model=info.model,
            profile=profile_name,
            token=info.asset,
            network=info.network,
            detail=detail,
            status=status,
            settlement_tx=info.transaction if status == "settled" else None,
        )
    except Exception:  # noqa: BLE001 - history must not break a paid request
        _log.debug("history must not break a paid request", exc_info=True)
        return None


# (requirement, signed payment, amount reserved) of a request being paid
Paid = tuple[Dict[str, Any], Dict[str, Any], int]


class PayOnce402(httpx.Auth):
    """httpx Auth that sends the request and, when it comes back 402 without one of
    ``paid_headers`` on it, reads the 402 body, pays (:meth:`_pay`, which sets the payment
    header; None: not a 402 it pays) and repeats the request once (:meth:`_after` sees the answer).
    The flow never reads a streamed 2xx body."""

    paid_headers: tuple[str, ...] = ()

    def _pay(self, request: httpx.Request, response: httpx.Response) -> Optional[Paid]:
        raise NotImplementedError

    def _after(self, response: httpx.Response, paid: Paid) -> None:
        raise NotImplementedError

    def _unpaid_402(self, request: httpx.Request, response: httpx.Response) -> bool:
        return response.status_code == 402 and not any(h in request.headers for h in self.paid_headers)

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        if not self._unpaid_402(request, response):
            return
        response.read()
        paid = self._pay(request, response)
        if paid is None:
            return
        response = yield request
        self._after(response, paid)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        response = yield request
        if not self._unpaid_402(request, response):
            return
        await response.aread()
        paid = self._pay(request, response)
        if paid is None:
            return
        response = yield request
        self._after(response, paid)
