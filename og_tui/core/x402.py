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

What v1 shares with v2 (the spend caps, the policy's checks, the EIP-3009 signature, the
payment record and the httpx flow) lives in :mod:`og_tui.core.x402_common`.
eth_account is imported lazily (start-up time of the TUI).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

import httpx

from og_tui.core.errors import PaymentError
from og_tui.core.x402_common import (
    MAX_PAYMENT_WINDOW_SECONDS,
    MessageSigner,
    Paid,
    PaymentInfo,
    PayOnce402,
    SpendCaps,
    b64_json,
    check_terms,
    from_b64_json,
    record_payment,
    release_unless_paid,
    sign_transfer_authorization,
    signed_within_caps,
)

if TYPE_CHECKING:
    from og_tui.core.store import Store

__all__ = [
    "PaymentRejected",
    "PaymentPolicy",
    "InsufficientTokens",
    "X402PaymentAuth",
    "select_requirements",
    "sign_payment",
    "decode_payment_response",
    "rejection_from",
]


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

        token_refusal = None
        if extra.get("name") != self.token_name or str(extra.get("version")) != self.token_version:
            token_refusal = f"that token is {self.token_name!r} version {self.token_version!r}"
        check_terms(
            requirement,
            asked,
            network=self.network,
            asset=self.asset,
            payees=self.payees,
            amount_key="maxAmountRequired",
            token_refusal=token_refusal,
            max_window_seconds=self.max_window_seconds,
        )


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
    now = int(time.time()) if now is None else int(now)
    nonce = os.urandom(32) if nonce is None else nonce
    value = int(requirement["maxAmountRequired"]) if value is None else int(value)
    valid_after = now - 60
    valid_before = now + int(requirement.get("maxTimeoutSeconds") or 60)
    signature, authorization = sign_transfer_authorization(
        signer,
        name=requirement["extra"]["name"],
        version=str(requirement["extra"]["version"]),
        chain_id=chain_id,
        asset=requirement["asset"],
        pay_to=requirement["payTo"],
        value=value,
        valid_after=valid_after,
        valid_before=valid_before,
        nonce=nonce,
    )
    payment = {
        "x402Version": 1,
        "scheme": requirement.get("scheme", "exact"),
        "network": requirement.get("network"),
        "payload": {"signature": signature, "authorization": authorization},
    }
    return b64_json(payment), payment


def decode_payment_response(value: Optional[str]) -> Dict[str, Any]:
    """The JSON of an ``X-Payment-Response`` header ({} when absent or unreadable)."""
    return from_b64_json(value) or {}


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


class X402PaymentAuth(PayOnce402):
    """httpx Auth paying 402 responses. One instance per request if you read ``.payment``."""

    paid_headers = ("x-payment",)

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

    def _select(self, accepts: Any) -> Dict[str, Any]:
        return select_requirements(accepts, self.network)

    def _pay(self, request: httpx.Request, response: httpx.Response) -> Optional[Paid]:
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
        signer = self.signer
        # raises SpendCapReached before anything is signed
        header, payment = signed_within_caps(
            self.caps, amount, lambda: sign_payment(signer, requirement, self.chain_id)
        )
        if self.on_sign is not None:
            self.on_sign(payment)
        self.requirement = requirement
        request.headers["X-Payment"] = header
        request.headers["Access-Control-Expose-Headers"] = "X-Payment-Response"
        return requirement, payment, amount

    def _after(self, response: httpx.Response, paid: Paid) -> None:
        requirement, payment, amount = paid
        if not release_unless_paid(self.caps, response, amount):
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
            detail = {
                "payer": info.payer,
                "nonce": info.nonce,
                "processing_hash": info.processing_hash,
                "transaction": info.transaction,
                "status": info.status,
                "resource": info.resource,
                "valid_before": int(auth["validBefore"]),
            }
            record_payment(self.store, info, mode=info.mode, profile_name=self.profile_name, detail=detail)
        if self.on_payment is not None:
            self.on_payment(info)
