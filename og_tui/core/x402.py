"""x402 (v1, scheme ``exact``) for httpx: pay a 402 with an EIP-3009 authorization.

:class:`X402PaymentAuth` is an ``httpx.Auth``: it sends the request; on a 402 it picks
the requirements for its network, checks the spend caps (**before** anything is
signed), signs ``TransferWithAuthorization`` (EIP-712, domain from the requirements'
``extra`` name/version, the profile's chain id, ``verifyingContract`` = ``asset``) with
the wallet and repeats the request once with ``X-Payment``. A paid 2xx is recorded
(``on_payment`` callback and/or the Store). Core never prints.

    caps = SpendCaps(per_request=500_000, per_run=5_000_000)   # atomic OUSDC units
    auth = X402PaymentAuth(signer, network="og-devnet", chain_id=107401, caps=caps)
    httpx.post(url, json=body, auth=auth)

eth_account is imported lazily (start-up time of the TUI).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, AsyncGenerator, Callable, Dict, Generator, Optional, Protocol

import httpx

from og_tui.core.errors import PaymentError, SpendCapExceeded

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from eth_account.datastructures import SignedMessage
    from eth_account.messages import SignableMessage

    from og_tui.core.config import Settings
    from og_tui.core.store import Store

__all__ = [
    "SpendCaps",
    "SpendCapReached",
    "PaymentRejected",
    "PaymentRefused",
    "PaymentPolicy",
    "MAX_PAYMENT_WINDOW_SECONDS",
    "InsufficientTokens",
    "PaymentInfo",
    "X402PaymentAuth",
    "select_requirements",
    "sign_payment",
    "decode_payment_response",
    "TRANSFER_WITH_AUTHORIZATION_TYPES",
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


class MessageSigner(Protocol):
    """What signs a payment: an eth-account ``LocalAccount`` or anything shaped like one."""

    @property
    def address(self) -> str: ...

    def sign_message(self, signable_message: SignableMessage) -> SignedMessage: ...


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


class PaymentRejected(PaymentError):
    """The server refused a signed payment. ``code`` is its machine reason
    (``nonce_used``, ``expired``, ``amount_too_low``, ``invalid_signature``,
    ``insufficient_funds``, ``wrong_payee``, ``no_matching_requirements``, ...)."""

    def __init__(
        self, message: str, *, code: Optional[str] = None, status: int = 402, hint: Optional[str] = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        self.status = status


class PaymentRefused(PaymentError):
    """The server asked for a payment the profile does not allow; nothing was signed."""

    default_hint = (
        "If the server is the one you meant, check the profile's payment settings "
        "(x402_network, payment_token, x402_payees)."
    )


# The longest authorization og-tui signs: a server asking for a longer validity window gets
# nothing (a signed authorization can be submitted by anyone until it expires).
MAX_PAYMENT_WINDOW_SECONDS = 600


@dataclass(frozen=True)
class PaymentPolicy:
    """What the profile allows a server's 402 to ask for, checked before anything is signed:
    the network, the token (address, EIP-712 name and version), the payee (when the profile
    knows its payees) and a bounded validity window. The amount is the spend caps' job."""

    network: str
    asset: str
    token_name: str
    token_version: str
    payees: Optional[tuple[str, ...]] = None
    max_window_seconds: int = MAX_PAYMENT_WINDOW_SECONDS

    @classmethod
    def from_profile(cls, profile: Any, payees: Optional[Any] = None) -> "PaymentPolicy":
        """The profile's network and token; ``payees`` (addresses) overrides the profile's
        ``x402_payees`` (comma-separated), None meaning "not pinned"."""
        if payees is None:
            configured = getattr(profile, "x402_payees", None)
            payees = [p for p in str(configured).replace(" ", "").split(",") if p] if configured else None
        return cls(
            network=str(profile.x402_network),
            asset=str(profile.payment_token),
            token_name=str(profile.payment_token_name),
            token_version=str(profile.payment_token_version),
            payees=tuple(str(p) for p in payees) if payees else None,
        )

    def check(self, requirement: Dict[str, Any]) -> None:
        """Raise PaymentRefused naming what the server asked and why it is refused."""
        extra = requirement.get("extra") or {}
        asked = (
            f"the server asked for {requirement.get('maxAmountRequired')} units of {requirement.get('asset')} "
            f"({extra.get('name')!r} version {extra.get('version')!r}) on {requirement.get('network')!r}, "
            f"paid to {requirement.get('payTo')}, valid for {requirement.get('maxTimeoutSeconds')} s"
        )

        def refuse(reason: str) -> PaymentRefused:
            return PaymentRefused(f"Payment refused: {asked}; {reason}. Nothing was signed.")

        if requirement.get("network") != self.network:
            raise refuse(f"this profile pays on {self.network!r}")
        if str(requirement.get("asset", "")).lower() != self.asset.lower():
            raise refuse(f"this profile pays with the token at {self.asset}")
        if extra.get("name") != self.token_name or str(extra.get("version")) != self.token_version:
            raise refuse(f"that token is {self.token_name!r} version {self.token_version!r}")
        if self.payees is not None and str(requirement.get("payTo", "")).lower() not in {
            p.lower() for p in self.payees
        }:
            raise refuse(f"this profile pays only {', '.join(self.payees)}")
        window = requirement.get("maxTimeoutSeconds")
        if isinstance(window, bool) or not isinstance(window, int) or not 0 < window <= self.max_window_seconds:
            raise refuse(f"an authorization may be valid for at most {self.max_window_seconds} s")
        amount = requirement.get("maxAmountRequired")
        try:
            units = int(str(amount))
        except ValueError:
            units = -1
        if units <= 0 or units >= 2**256:
            raise refuse("the amount is not a positive number of token units")


class InsufficientTokens(PaymentRejected):
    default_hint = "Top the wallet up with OUSDC (on devnet: og-tui account fund) and retry."


_CODE_HINTS = {
    "nonce_used": "That authorization was already used; a new request signs a fresh one.",
    "expired": "Check the computer's clock, then retry (a new authorization is signed).",
    "not_yet_valid": "Check the computer's clock, then retry.",
    "amount_too_low": "The price changed or the payment was tampered with; retry to sign the current price.",
    "invalid_signature": "The wallet signed for another chain or token; check the profile's chain id and payment token.",
    "no_matching_requirements": "The server does not accept payments on this profile's network.",
    "expires_too_soon": "The server needs a longer authorization window than it advertised; retry, or check the clock.",
    "payment_owed": "An earlier payment of this wallet failed at settlement; the server asks for it with the next one.",
    "settlement_failed": "The payment could not be settled on chain; nothing was served. Check the wallet's OUSDC.",
}


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
        from og_tui.core.amounts import parse_amount

        prof = settings.profile
        decimals = prof.payment_token_decimals if decimals is None else decimals
        symbol = symbol or prof.payment_token_symbol

        def units(text: Any) -> Optional[int]:
            if text in (None, "", "none", "off"):
                return None
            return parse_amount(str(text), decimals)

        return cls(units(settings.llm_cap_per_request), units(settings.llm_cap_per_run), decimals, symbol)

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


def select_requirements(accepts: Any, network: Optional[str], scheme: str = "exact") -> Dict[str, Any]:
    """The first requirement with ``scheme`` on ``network`` (any network when None)."""
    if not isinstance(accepts, list) or not accepts:
        raise PaymentError("The server asked for payment but offered no payment requirements.")
    offered = []
    for req in accepts:
        if not isinstance(req, dict):
            continue
        offered.append(f"{req.get('scheme')}@{req.get('network')}")
        if req.get("scheme") == scheme and (network is None or req.get("network") == network):
            for key in ("maxAmountRequired", "payTo", "asset"):
                if key not in req:
                    raise PaymentError(f"The server's payment requirements lack {key!r}.")
            extra = req.get("extra") or {}
            if "name" not in extra or "version" not in extra:
                raise PaymentError("The server's payment requirements lack the token's EIP-712 name/version (extra).")
            return req
    raise PaymentError(
        f"The server accepts no '{scheme}' payment on network {network!r} (it offers {', '.join(offered) or 'nothing'}).",
        hint="Switch to the profile of the network this server belongs to.",
    )


def sign_payment(
    signer: MessageSigner,
    requirement: Dict[str, Any],
    chain_id: int,
    *,
    now: Optional[int] = None,
    nonce: Optional[bytes] = None,
    value: Optional[int] = None,
) -> tuple[str, Dict[str, Any]]:
    """Sign the EIP-3009 authorization for ``requirement``; returns (X-Payment header, payment dict)."""
    from eth_account.messages import encode_typed_data
    from eth_utils import to_checksum_address

    now = int(time.time()) if now is None else int(now)
    nonce = os.urandom(32) if nonce is None else nonce
    value = int(requirement["maxAmountRequired"]) if value is None else int(value)
    payer = to_checksum_address(signer.address)
    pay_to = to_checksum_address(requirement["payTo"])
    valid_after = now - 60
    valid_before = now + int(requirement.get("maxTimeoutSeconds") or 60)
    domain = {
        "name": requirement["extra"]["name"],
        "version": str(requirement["extra"]["version"]),
        "chainId": int(chain_id),
        "verifyingContract": to_checksum_address(requirement["asset"]),
    }
    message = {
        "from": payer,
        "to": pay_to,
        "value": value,
        "validAfter": valid_after,
        "validBefore": valid_before,
        "nonce": nonce,
    }
    signable = encode_typed_data(domain, TRANSFER_WITH_AUTHORIZATION_TYPES, message)
    signed = signer.sign_message(signable)
    signature = "0x" + bytes(signed.signature).hex()
    payment = {
        "x402Version": 1,
        "scheme": requirement.get("scheme", "exact"),
        "network": requirement.get("network"),
        "payload": {
            "signature": signature,
            "authorization": {
                "from": payer,
                "to": pay_to,
                "value": str(value),
                "validAfter": str(valid_after),
                "validBefore": str(valid_before),
                "nonce": "0x" + nonce.hex(),
            },
        },
    }
    header = base64.b64encode(json.dumps(payment, separators=(",", ":")).encode()).decode()
    return header, payment


def decode_payment_response(value: Optional[str]) -> Dict[str, Any]:
    if not value:
        return {}
    try:
        data = json.loads(base64.b64decode(value + "=" * (-len(value) % 4)))
        return data if isinstance(data, dict) else {}
    except (ValueError, TypeError):
        return {}


def rejection_from(response: httpx.Response) -> PaymentRejected:
    """The error for a 402 that came back after paying (reads the JSON body)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    text = (body.get("error") if isinstance(body, dict) else None) or "The server rejected the payment."
    code = body.get("invalidReason") if isinstance(body, dict) else None
    cls = InsufficientTokens if code == "insufficient_funds" else PaymentRejected
    return cls(str(text), code=code, hint=_CODE_HINTS.get(code or ""))


class X402PaymentAuth(httpx.Auth):
    """httpx Auth paying 402 responses. One instance per request if you read ``.payment``."""

    def __init__(
        self,
        signer: Optional[MessageSigner],
        network: Optional[str],
        chain_id: int,
        *,
        caps: Optional[SpendCaps] = None,
        settlement: Optional[str] = None,
        model: Optional[str] = None,
        store: Optional[Store] = None,
        profile_name: Optional[str] = None,
        on_payment: Optional[Callable[[PaymentInfo], None]] = None,
        on_sign: Optional[Callable[[Dict[str, Any]], None]] = None,
        policy: Optional[PaymentPolicy] = None,
    ) -> None:
        self.signer = signer
        self.policy = policy
        self.network = network
        self.chain_id = chain_id
        self.caps = caps
        self.settlement = settlement
        self.model = model
        self.store = store
        self.profile_name = profile_name
        self.on_payment = on_payment
        self.on_sign = on_sign
        self.payment: Optional[PaymentInfo] = None
        self.requirement: Optional[Dict[str, Any]] = None

    # the flow reads the 402 body itself (and never reads a streamed 2xx body)
    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        if response.status_code != 402 or "x-payment" in request.headers:
            return
        response.read()
        paid = self._pay(request, response)
        if paid is None:
            return
        response = yield request
        self._after(response, paid)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        response = yield request
        if response.status_code != 402 or "x-payment" in request.headers:
            return
        await response.aread()
        paid = self._pay(request, response)
        if paid is None:
            return
        response = yield request
        self._after(response, paid)

    def _select(self, accepts: Any) -> Dict[str, Any]:
        return select_requirements(accepts, self.network)

    def _pay(
        self, request: httpx.Request, response: httpx.Response
    ) -> Optional[tuple[Dict[str, Any], Dict[str, Any], int]]:
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, dict) or "accepts" not in body:
            return None
        if self.signer is None:
            raise PaymentError(
                "This request must be paid (x402) and no wallet is unlocked.",
                hint="Unlock a wallet with OUSDC, then retry.",
            )
        requirement = self._select(body.get("accepts"))
        if self.policy is not None:
            self.policy.check(requirement)  # raises PaymentRefused before anything is signed
        amount = int(requirement["maxAmountRequired"])
        if self.caps is not None:
            self.caps.reserve(amount)  # raises SpendCapReached before anything is signed
        try:
            header, payment = sign_payment(self.signer, requirement, self.chain_id)
        except BaseException:
            if self.caps is not None:
                self.caps.release(amount)
            raise
        if self.on_sign is not None:
            self.on_sign(payment)
        self.requirement = requirement
        request.headers["X-Payment"] = header
        request.headers["Access-Control-Expose-Headers"] = "X-Payment-Response"
        return requirement, payment, amount

    def _after(self, response: httpx.Response, paid: tuple[Dict[str, Any], Dict[str, Any], int]) -> None:
        requirement, payment, amount = paid
        if not 200 <= response.status_code < 300:
            if self.caps is not None:
                self.caps.release(amount)
            return
        pr = decode_payment_response(response.headers.get("x-payment-response"))
        auth = payment["payload"]["authorization"]
        info = PaymentInfo(
            amount=amount,
            payee=requirement["payTo"],
            payer=auth["from"],
            asset=requirement["asset"],
            network=requirement.get("network") or "",
            mode=self.settlement,
            nonce=auth["nonce"],
            processing_hash=response.headers.get("x-processing-hash") or pr.get("processingHash"),
            transaction=pr.get("transaction") or None,
            status=pr.get("status") or ("settled" if pr.get("success") else None),
            model=self.model,
            resource=requirement.get("resource"),
        )
        self.payment = info
        if self.store is not None:
            try:
                status = info.status if info.status in ("queued", "settled", "failed") else "pending"
                self.store.add_payment(
                    amount,
                    payee=info.payee,
                    mode=info.mode,
                    hash=info.hash,
                    model=info.model,
                    profile=self.profile_name,
                    token=info.asset,
                    network=info.network,
                    detail={
                        "payer": info.payer,
                        "nonce": info.nonce,
                        "processing_hash": info.processing_hash,
                        "transaction": info.transaction,
                        "status": info.status,
                        "resource": info.resource,
                        "valid_before": int(auth["validBefore"]),
                    },
                    status=status,
                    settlement_tx=info.transaction if status == "settled" else None,
                )
            except Exception:  # noqa: BLE001 - history must not break a paid request
                _log.debug("history must not break a paid request", exc_info=True)
        if self.on_payment is not None:
            self.on_payment(info)
