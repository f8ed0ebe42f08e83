"""x402 v2 over httpx: the Auth that pays a v2 402 with OPG, and the one that picks v1 or v2.

:class:`X402V2PaymentAuth` reads the ``PAYMENT-REQUIRED`` header, checks the profile's policy,
the Permit2 allowance (when it has a chain client) and the spend caps before anything is
signed, signs (:mod:`og_tui.core.x402_v2_sign`) and repeats the request once with
``PAYMENT-SIGNATURE``; a paid 2xx is recorded. :class:`AutoPaymentAuth` serves
``x402_version = "auto"``; :func:`auth_for` builds the auth an LLMClient's profile asks for.

    auth = X402V2PaymentAuth(signer, chain_id=107401, caps=caps, chain=chain_client)
    httpx.post(url, json=body, auth=auth)
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Callable, Dict, Optional

import httpx

from og_tui.core import constants
from og_tui.core.errors import PaymentError
from og_tui.core.opg_allowance import ensure_allowance
from og_tui.core.x402_common import (
    Paid,
    PaymentInfo,
    PayOnce402,
    SpendCaps,
    record_payment,
    release_unless_paid,
    signed_within_caps,
)
from og_tui.core.x402_v2 import (
    PAYMENT_REQUIRED_HEADER,
    PAYMENT_RESPONSE_HEADER,
    PAYMENT_SIGNATURE_HEADER,
    SCHEME_PREFERENCE,
    SETTLEMENT_BLOB_HEADER,
    SETTLEMENT_TX_HEADER,
    PaymentUnsatisfiable,
    caip2,
    check_policy,
    decode_payment_required,
    payment_header,
    profile_chain_id,
    profile_version,
    select_requirement,
    v1_mode,
    v2_mode,
)
from og_tui.core.x402_v2_sign import sign_requirement

__all__ = ["X402V2PaymentAuth", "AutoPaymentAuth", "auth_for"]

_log = logging.getLogger(__name__)


class X402V2PaymentAuth(PayOnce402):
    """httpx Auth paying v2 402 responses (one instance per request if you read ``.payment``).

    The request's ``X-SETTLEMENT-TYPE`` is turned into its v2 name (settle -> private,
    settle-batch -> batch) when the payment is signed.

    ``chain`` (a ChainClient) lets it check the Permit2 allowance before signing, so a too-small
    allowance is explained instead of being refused by the server."""

    paid_headers = (PAYMENT_SIGNATURE_HEADER,)

    def __init__(
        self,
        signer: Any,
        chain_id: int,
        *,
        asset: str = constants.OPG_DEVNET_ADDRESS,
        caps: Optional[SpendCaps] = None,
        chain: Any = None,
        settlement: Optional[str] = None,
        model: Optional[str] = None,
        payees: Optional[tuple[str, ...]] = None,
        schemes: tuple[str, ...] = SCHEME_PREFERENCE,
        on_payment: Optional[Callable[[PaymentInfo], None]] = None,
        store: Any = None,
        profile_name: Optional[str] = None,
    ) -> None:
        self.x402_version = 2
        self.store = store
        self.profile_name = profile_name
        self.signer = signer
        self.chain_id = int(chain_id)
        self.network = caip2(chain_id)
        self.asset = asset
        self.caps = caps
        self.chain = chain
        self.settlement = settlement
        self.model = model
        self.payees = payees
        self.schemes = schemes
        self.on_payment = on_payment
        self.payment: Optional[PaymentInfo] = None
        self.requirement: Optional[Dict[str, Any]] = None
        self.settlement_tx: Optional[str] = None
        self.blob_id: Optional[str] = None

    def _pay(self, request: httpx.Request, response: httpx.Response) -> Optional[Paid]:
        required = decode_payment_required(response.headers.get(PAYMENT_REQUIRED_HEADER))
        if required is None or required.get("x402Version") != 2:
            raise PaymentUnsatisfiable(
                f"The server answered 402 without an x402 v2 PAYMENT-REQUIRED header; this profile pays x402 v2 "
                f"({'/'.join(self.schemes)} on {self.network})."
            )
        if self.signer is None:
            raise PaymentError("This request must be paid (x402 v2, OPG) and no wallet is unlocked.")
        req = select_requirement(required, self.network, self.schemes, self.asset)
        check_policy(req, self.network, self.asset, self.payees)
        amount = int(req["amount"])
        if self.chain is not None and (
            req["scheme"] == "upto" or (req.get("extra") or {}).get("assetTransferMethod") == "permit2"
        ):
            ensure_allowance(self.chain, self.signer.address, amount, req["asset"], self.chain_id)
        signer = self.signer
        # SpendCapReached before anything is signed
        payload = signed_within_caps(self.caps, amount, lambda: sign_requirement(signer, req, self.chain_id))
        self.requirement = req
        request.headers[PAYMENT_SIGNATURE_HEADER] = payment_header(payload, req, required.get("resource"))
        request.headers["X-SETTLEMENT-TYPE"] = v2_mode(request.headers.get("X-SETTLEMENT-TYPE") or self.settlement)
        return req, payload, amount

    def _after(self, response: httpx.Response, paid: Paid) -> None:
        req, payload, amount = paid
        if not release_unless_paid(self.caps, response, amount):
            return
        pr = decode_payment_required(response.headers.get(PAYMENT_RESPONSE_HEADER)) or {}
        said = str(pr.get("amount") or "0")
        charged = int(said) if said.isdigit() and int(said) > 0 else amount
        # a stream's headers come before the reply: what an upto reply cost comes with its last
        # chunk (stream_settled); until then the whole authorized amount counts
        self.provisional = charged == amount and pr.get("status") == "pending"
        if self.caps is not None and charged < amount:
            self.caps.release(amount - charged)  # upto: only what the reply cost counts as spent
        self.settlement_tx = response.headers.get(SETTLEMENT_TX_HEADER)
        self.blob_id = response.headers.get(SETTLEMENT_BLOB_HEADER)
        auth = payload.get("permit2Authorization") or payload.get("authorization") or {}
        self.payment = PaymentInfo(
            amount=charged,
            payee=req["payTo"],
            payer=auth.get("from", ""),
            asset=req["asset"],
            network=req["network"],
            mode=self.settlement,
            nonce=str(auth.get("nonce", "")),
            processing_hash=response.headers.get("x-processing-hash") or pr.get("processingHash"),
            transaction=pr.get("transaction") or self.settlement_tx or None,
            status=pr.get("status") or ("settled" if pr.get("success") else None),
            model=self.model,
            resource=str(response.request.url) if response.request is not None else None,
        )
        self._record(self.payment, req, auth)
        if self.on_payment is not None:
            self.on_payment(self.payment)

    def _record(self, info: PaymentInfo, req: Dict[str, Any], auth: Dict[str, Any]) -> None:
        if self.store is None:
            return
        detail = {
            "x402_version": 2,
            "scheme": req.get("scheme"),
            "payer": info.payer,
            "nonce": info.nonce,
            "processing_hash": info.processing_hash,
            "transaction": info.transaction,
            "blob_id": self.blob_id,
            "status": info.status,
            "resource": info.resource,
            "valid_before": int(auth.get("deadline") or auth.get("validBefore") or 0),
        }
        row = record_payment(
            self.store, info, mode=v2_mode(self.settlement), profile_name=self.profile_name, detail=detail
        )
        if row is not None:
            self.record_id = row.id

    provisional = False  # a streamed reply: the charge is known at its end (stream_settled)
    record_id: Optional[int] = None

    def stream_settled(self, x402: Dict[str, Any]) -> Optional[int]:
        """A streamed reply's last chunk says what it cost (``upto`` charges the reply, not the
        maximum): the spend caps and the payment history keep only that. Returns the charge."""
        info = self.payment
        if not self.provisional or info is None:
            return None
        said = str((x402 or {}).get("amount") or "")
        if not said.isdigit() or not 0 < int(said) <= info.amount:
            return None
        self.provisional = False
        charged = int(said)
        if self.caps is not None and charged < info.amount:
            self.caps.release(info.amount - charged)
        self.payment = dataclasses.replace(info, amount=charged)
        if self.store is not None and self.record_id is not None:
            try:
                self.store.set_payment_amount(self.record_id, charged)
            except Exception:  # noqa: BLE001 - history must not break a paid request
                _log.debug("history must not break a paid request", exc_info=True)
        return charged


class AutoPaymentAuth(PayOnce402):
    """``x402_version = "auto"``: pays a 402 with v2 when it carries a v2 requirement for the
    profile's v2 network, else with v1 (each auth keeps its own caps, policy and history)."""

    paid_headers = ("x-payment", PAYMENT_SIGNATURE_HEADER)

    def __init__(self, v1: Any, v2: X402V2PaymentAuth) -> None:
        self.v1, self.v2 = v1, v2
        self.chosen: Any = None

    @property
    def x402_version(self) -> int:
        return 2 if self.chosen is self.v2 else 1

    @property
    def payment(self) -> Optional[PaymentInfo]:
        return getattr(self.chosen, "payment", None)

    @property
    def requirement(self) -> Optional[Dict[str, Any]]:
        return getattr(self.chosen, "requirement", None)

    def stream_settled(self, x402: Dict[str, Any]) -> Optional[int]:
        return self.v2.stream_settled(x402) if self.chosen is self.v2 else None

    def __getattr__(self, name: str) -> Any:  # settlement_tx, blob_id of the v2 side
        if name in ("settlement_tx", "blob_id"):
            return getattr(self.v2, name)
        raise AttributeError(name)

    def _choose(self, request: httpx.Request, response: httpx.Response) -> Any:
        required = decode_payment_required(response.headers.get(PAYMENT_REQUIRED_HEADER)) or {}
        accepts = required.get("accepts") if required.get("x402Version") == 2 else None
        if isinstance(accepts, list) and any(
            isinstance(r, dict) and r.get("network") == self.v2.network for r in accepts
        ):
            return self.v2
        request.headers["X-SETTLEMENT-TYPE"] = v1_mode(request.headers.get("X-SETTLEMENT-TYPE"))
        return self.v1

    def _pay(self, request: httpx.Request, response: httpx.Response) -> Optional[Paid]:
        self.chosen = self._choose(request, response)
        paid: Optional[Paid] = self.chosen._pay(request, response)
        return paid

    def _after(self, response: httpx.Response, paid: Paid) -> None:
        self.chosen._after(response, paid)


def auth_for(client: Any, settlement: str, model: str, on_payment: Callable[[PaymentInfo], None], v1: Any) -> Any:
    """The payment auth of an LLMClient whose profile says ``x402_version`` 2 or auto."""
    profile = client.profile
    v2 = X402V2PaymentAuth(
        client.signer,
        profile_chain_id(profile),
        asset=getattr(profile, "opg_token", constants.OPG_DEVNET_ADDRESS),
        caps=getattr(client, "opg_caps", None),
        chain=client.chain if client.signer is not None else None,
        settlement=settlement,
        model=model,
        payees=v1.policy.payees if getattr(v1, "policy", None) is not None else None,
        on_payment=on_payment,
        store=client.store,
        profile_name=getattr(profile, "name", None),
    )
    return v2 if profile_version(profile) == "2" else AutoPaymentAuth(v1, v2)
