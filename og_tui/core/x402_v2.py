"""x402 version 2 (SDK 1.1.4 / og-x402): OPG paid through Permit2 (``upto``, ``exact``) or EIP-3009.

A v2 server's 402 carries its requirements in a base64 ``PAYMENT-REQUIRED`` header
(``{"x402Version": 2, "error", "resource", "accepts": [...]}``), each requirement with a
CAIP-2 ``network`` (``eip155:<chain id>``), ``scheme``, ``asset``, ``amount``, ``payTo``,
``maxTimeoutSeconds`` and ``extra``. The client repeats the request once with a base64
``PAYMENT-SIGNATURE`` header (``{"x402Version": 2, "payload", "accepted", "resource"}``) and
reads ``PAYMENT-RESPONSE``, ``x-settlement-tx-hash`` and ``x-settlement-walrus-blob-id``.

Payloads, signed exactly as og-x402 signs them:

- ``upto``: Permit2 ``PermitWitnessTransferFrom`` (domain ``{name: "Permit2", chainId,
  verifyingContract: Permit2}``), spender the x402UptoPermit2Proxy, witness ``{to, facilitator,
  validAfter}``; the server charges what the reply cost, at most ``amount``;
- ``exact`` with ``extra.assetTransferMethod == "permit2"``: the same with the exact proxy and
  witness ``{to, validAfter}``;
- ``exact`` otherwise: EIP-3009 ``TransferWithAuthorization`` on the token's own domain.

Permit2 moves tokens with ``transferFrom``: the wallet must first ``approve`` Permit2 on the
token. That is a transaction of its own, never sent behind the user's back (opg_allowance.py):
:func:`plan_approval` says what would be approved and :func:`approve` sends it.

    auth = X402V2PaymentAuth(signer, chain_id=107401, caps=caps, rpc=chain_client)
    httpx.post(url, json=body, auth=auth)
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import time
from typing import Any, AsyncGenerator, Callable, Dict, Generator, Optional

import httpx

from og_tui.core import constants
from og_tui.core.errors import PaymentError
from og_tui.core.opg_allowance import (  # noqa: F401 - part of this module's API
    AllowanceTooSmall,
    ApprovalPlan,
    _fmt_units,
    approve,
    ensure_allowance,
    plan_approval,
    read_allowance,
)
from og_tui.core.x402 import (
    MAX_PAYMENT_WINDOW_SECONDS,
    TRANSFER_WITH_AUTHORIZATION_TYPES,
    PaymentInfo,
    PaymentRefused,
    SpendCaps,
)

__all__ = [
    "PAYMENT_REQUIRED_HEADER",
    "PAYMENT_SIGNATURE_HEADER",
    "PAYMENT_RESPONSE_HEADER",
    "SETTLEMENT_TX_HEADER",
    "SETTLEMENT_BLOB_HEADER",
    "SETTLEMENT_MODES",
    "X402_VERSIONS",
    "caip2",
    "decode_payment_required",
    "detect_version",
    "select_requirement",
    "sign_requirement",
    "payment_header",
    "PaymentUnsatisfiable",
    "AllowanceTooSmall",
    "ApprovalPlan",
    "plan_approval",
    "approve",
    "X402V2PaymentAuth",
    "AutoPaymentAuth",
    "auth_for",
    "payment_meta",
    "describe_payment",
    "opg_caps",
    "v1_mode",
    "v2_mode",
]

PAYMENT_REQUIRED_HEADER = "payment-required"
PAYMENT_SIGNATURE_HEADER = "PAYMENT-SIGNATURE"
PAYMENT_RESPONSE_HEADER = "payment-response"
SETTLEMENT_TX_HEADER = "x-settlement-tx-hash"
SETTLEMENT_BLOB_HEADER = "x-settlement-walrus-blob-id"
SETTLEMENT_MODES = ("private", "batch")  # X-SETTLEMENT-TYPE of SDK 1.1.4
X402_VERSIONS = ("1", "2", "auto")  # the profile's x402_version
SCHEME_PREFERENCE = ("upto", "exact")


TOKEN_PERMISSIONS = [{"name": "token", "type": "address"}, {"name": "amount", "type": "uint256"}]
PERMIT_WITNESS = [
    {"name": "permitted", "type": "TokenPermissions"},
    {"name": "spender", "type": "address"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
    {"name": "witness", "type": "Witness"},
]
EXACT_WITNESS = [{"name": "to", "type": "address"}, {"name": "validAfter", "type": "uint256"}]
UPTO_WITNESS = [
    {"name": "to", "type": "address"},
    {"name": "facilitator", "type": "address"},
    {"name": "validAfter", "type": "uint256"},
]


_TO_V2 = {
    "settle": "private",
    "settle-metadata": "batch",
    "settle-batch": "batch",
    "private": "private",
    "batch": "batch",
}
_TO_V1 = {"private": "settle", "batch": "settle-batch"}


def v2_mode(settlement: Optional[str]) -> str:
    """The v2 X-SETTLEMENT-TYPE for a v1 or v2 mode name (settle -> private, settle-batch -> batch)."""
    return _TO_V2.get(str(settlement or "batch").strip().lower(), "batch")


def v1_mode(settlement: Optional[str]) -> str:
    text = str(settlement or "settle-batch").strip().lower()
    return _TO_V1.get(text, text)


def profile_version(profile: Any) -> str:
    return str(getattr(profile, "x402_version", "1") or "1").lower()


def profile_chain_id(profile: Any) -> int:
    return int(getattr(profile, "x402_v2_chain_id", 0) or profile.chain_id)


def opg_caps(settings: Any) -> SpendCaps:
    """Spend caps in OPG from the settings (``llm_cap_opg_per_request`` / ``llm_cap_opg_per_run``)."""
    from og_tui.core.amounts import parse_amount

    def units(text: Any) -> Optional[int]:
        if text in (None, "", "none", "off"):
            return None
        return parse_amount(str(text), constants.OPG_DECIMALS)

    return SpendCaps(
        units(getattr(settings, "llm_cap_opg_per_request", None)),
        units(getattr(settings, "llm_cap_opg_per_run", None)),
        constants.OPG_DECIMALS,
        constants.OPG_NAME,
    )


def caip2(chain_id: int) -> str:
    return f"eip155:{int(chain_id)}"


class PaymentUnsatisfiable(PaymentError):
    """A 402 this client cannot pay: the message names the schemes and networks it asked for."""

    default_hint = "Switch to the profile of the network this server belongs to, or pick another x402 version."


def decode_payment_required(value: Optional[str]) -> Optional[Dict[str, Any]]:
    """The JSON of a ``PAYMENT-REQUIRED`` header, or None when absent or unreadable."""
    if not value:
        return None
    try:
        data = json.loads(base64.b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def detect_version(response: httpx.Response) -> Optional[int]:
    """2 when a 402 carries a v2 ``PAYMENT-REQUIRED`` header, 1 when only a v1 body, else None."""
    required = decode_payment_required(response.headers.get(PAYMENT_REQUIRED_HEADER))
    if required is not None and required.get("x402Version") == 2:
        return 2
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("x402Version") == 1 and "accepts" in body:
        return 1
    return None


def select_requirement(
    required: Dict[str, Any], network: str, schemes: tuple[str, ...] = SCHEME_PREFERENCE, asset: Optional[str] = None
) -> Dict[str, Any]:
    """The requirement to pay: the first of ``schemes`` (in that order) offered on ``network``
    (and for ``asset`` when given). Raises :class:`PaymentUnsatisfiable` naming what was asked."""
    accepts = required.get("accepts")
    if not isinstance(accepts, list) or not accepts:
        raise PaymentUnsatisfiable("The server asked for an x402 v2 payment but offered no payment requirements.")
    offered = [r for r in accepts if isinstance(r, dict)]
    for scheme in schemes:
        for req in offered:
            if req.get("scheme") != scheme or req.get("network") != network:
                continue
            if asset is not None and str(req.get("asset", "")).lower() != asset.lower():
                continue
            for key in ("amount", "payTo", "asset", "maxTimeoutSeconds"):
                if key not in req:
                    raise PaymentUnsatisfiable(f"The server's '{scheme}' requirement on {network} lacks {key!r}.")
            if scheme == "upto" and not (req.get("extra") or {}).get("facilitatorAddress"):
                raise PaymentUnsatisfiable("The server's 'upto' requirement lacks extra.facilitatorAddress.")
            return req
    asked = ", ".join(f"{r.get('scheme')!s} on {r.get('network')!s} ({r.get('asset')!s})" for r in offered) or "nothing"
    token = f" with the token {asset}" if asset else ""
    raise PaymentUnsatisfiable(
        f"This 402 cannot be paid: the server asks for {asked}; this profile pays "
        f"{' or '.join(repr(s) for s in schemes)} on {network}{token}."
    )


def check_policy(req: Dict[str, Any], network: str, asset: str, payees: Optional[tuple[str, ...]] = None) -> None:
    """What the profile allows (before anything is signed): network, token, payee, window, amount."""
    asked = (
        f"the server asked for {req.get('amount')} units of {req.get('asset')} ({req.get('scheme')}) on "
        f"{req.get('network')!r}, paid to {req.get('payTo')}, valid for {req.get('maxTimeoutSeconds')} s"
    )

    def refuse(reason: str) -> PaymentRefused:
        return PaymentRefused(f"Payment refused: {asked}; {reason}. Nothing was signed.")

    if req.get("network") != network:
        raise refuse(f"this profile pays on {network!r}")
    if str(req.get("asset", "")).lower() != asset.lower():
        raise refuse(f"this profile pays x402 v2 with the token at {asset}")
    if payees and str(req.get("payTo", "")).lower() not in {p.lower() for p in payees}:
        raise refuse(f"this profile pays only {', '.join(payees)}")
    window = req.get("maxTimeoutSeconds")
    if isinstance(window, bool) or not isinstance(window, int) or not 0 < window <= MAX_PAYMENT_WINDOW_SECONDS:
        raise refuse(f"an authorization may be valid for at most {MAX_PAYMENT_WINDOW_SECONDS} s")
    try:
        units = int(str(req.get("amount")))
    except ValueError:
        units = -1
    if units <= 0 or units >= 2**256:
        raise refuse("the amount is not a positive number of token units")


def _typed(signer: Any, domain: Dict[str, Any], types: Dict[str, Any], message: Dict[str, Any]) -> str:
    from eth_account.messages import encode_typed_data

    signed = signer.sign_message(encode_typed_data(domain, types, message))
    return "0x" + bytes(signed.signature).hex()


def sign_requirement(
    signer: Any, req: Dict[str, Any], chain_id: int, *, now: Optional[int] = None, nonce: Optional[int] = None
) -> Dict[str, Any]:
    """The signed inner payload for ``req`` (og-x402's shape for its scheme and transfer method)."""
    from eth_utils import to_checksum_address

    now = int(time.time()) if now is None else int(now)
    payer = to_checksum_address(signer.address)
    pay_to = to_checksum_address(req["payTo"])
    token = to_checksum_address(req["asset"])
    amount = int(req["amount"])
    deadline = now + int(req.get("maxTimeoutSeconds") or 3600)
    extra = req.get("extra") or {}
    scheme = req.get("scheme")
    if scheme == "exact" and extra.get("assetTransferMethod") != "permit2":
        name, version = extra.get("name"), str(extra.get("version", "1"))
        if not name:
            raise PaymentUnsatisfiable("The server's 'exact' requirement lacks the token's EIP-712 name (extra.name).")
        raw_nonce = os.urandom(32) if nonce is None else int(nonce).to_bytes(32, "big")
        message = {
            "from": payer,
            "to": pay_to,
            "value": amount,
            "validAfter": 0,
            "validBefore": deadline,
            "nonce": raw_nonce,
        }
        domain = {"name": name, "version": version, "chainId": int(chain_id), "verifyingContract": token}
        signature = _typed(signer, domain, TRANSFER_WITH_AUTHORIZATION_TYPES, message)
        auth = dict(message, value=str(amount), validAfter="0", validBefore=str(deadline), nonce="0x" + raw_nonce.hex())
        return {"authorization": auth, "signature": signature}
    if scheme not in ("exact", "upto"):
        raise PaymentUnsatisfiable(f"Unsupported x402 v2 scheme {scheme!r}: og-tui pays 'upto' and 'exact'.")
    permit_nonce = int.from_bytes(os.urandom(32), "big") if nonce is None else int(nonce)
    witness: Dict[str, Any] = {"to": pay_to, "validAfter": 0}
    witness_type = EXACT_WITNESS
    spender = constants.X402_EXACT_PERMIT2_PROXY_ADDRESS
    if scheme == "upto":
        witness = {"to": pay_to, "facilitator": to_checksum_address(extra["facilitatorAddress"]), "validAfter": 0}
        witness_type = UPTO_WITNESS
        spender = constants.X402_UPTO_PERMIT2_PROXY_ADDRESS
    message = {
        "permitted": {"token": token, "amount": amount},
        "spender": spender,
        "nonce": permit_nonce,
        "deadline": deadline,
        "witness": witness,
    }
    domain = {"name": "Permit2", "chainId": int(chain_id), "verifyingContract": constants.PERMIT2_ADDRESS}
    types = {
        "PermitWitnessTransferFrom": PERMIT_WITNESS,
        "TokenPermissions": TOKEN_PERMISSIONS,
        "Witness": witness_type,
    }
    signature = _typed(signer, domain, types, message)
    auth = {
        "from": payer,
        "permitted": {"token": token, "amount": str(amount)},
        "spender": spender,
        "nonce": str(permit_nonce),
        "deadline": str(deadline),
        "witness": dict(witness, validAfter="0"),
    }
    return {"permit2Authorization": auth, "signature": signature}


def payment_header(payload: Dict[str, Any], accepted: Dict[str, Any], resource: Optional[Dict[str, Any]] = None) -> str:
    """The ``PAYMENT-SIGNATURE`` header value: base64 JSON of the v2 payment payload."""
    body: Dict[str, Any] = {"x402Version": 2, "payload": payload, "accepted": accepted}
    if resource:
        body["resource"] = resource
    return base64.b64encode(json.dumps(body, separators=(",", ":")).encode()).decode()


# --- httpx ---------------------------------------------------------------------------------------


class X402V2PaymentAuth(httpx.Auth):
    """httpx Auth paying v2 402 responses (one instance per request if you read ``.payment``).

    The request's ``X-SETTLEMENT-TYPE`` is turned into its v2 name (settle -> private,
    settle-batch -> batch) when the payment is signed.

    ``chain`` (a ChainClient) lets it check the Permit2 allowance before signing, so a too-small
    allowance is explained instead of being refused by the server."""

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

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        if response.status_code != 402 or PAYMENT_SIGNATURE_HEADER in request.headers:
            return
        response.read()
        paid = self._pay(request, response)
        if paid is None:
            return
        response = yield request
        self._after(response, paid)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        response = yield request
        if response.status_code != 402 or PAYMENT_SIGNATURE_HEADER in request.headers:
            return
        await response.aread()
        paid = self._pay(request, response)
        if paid is None:
            return
        response = yield request
        self._after(response, paid)

    def _pay(
        self, request: httpx.Request, response: httpx.Response
    ) -> Optional[tuple[Dict[str, Any], Dict[str, Any], int]]:
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
        if self.caps is not None:
            self.caps.reserve(amount)  # SpendCapReached before anything is signed
        try:
            payload = sign_requirement(self.signer, req, self.chain_id)
        except BaseException:
            if self.caps is not None:
                self.caps.release(amount)
            raise
        self.requirement = req
        request.headers[PAYMENT_SIGNATURE_HEADER] = payment_header(payload, req, required.get("resource"))
        request.headers["X-SETTLEMENT-TYPE"] = v2_mode(request.headers.get("X-SETTLEMENT-TYPE") or self.settlement)
        return req, payload, amount

    def _after(self, response: httpx.Response, paid: tuple[Dict[str, Any], Dict[str, Any], int]) -> None:
        req, payload, amount = paid
        if not 200 <= response.status_code < 300:
            if self.caps is not None:
                self.caps.release(amount)
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
        try:
            status = info.status if info.status in ("queued", "settled", "failed") else "pending"
            self.record_id = self.store.add_payment(
                info.amount,
                payee=info.payee,
                mode=v2_mode(self.settlement),
                hash=info.hash,
                model=info.model,
                profile=self.profile_name,
                token=info.asset,
                network=info.network,
                detail={
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
                },
                status=status,
                settlement_tx=info.transaction if status == "settled" else None,
            ).id
        except Exception:  # noqa: BLE001 - history must not break a paid request
            import logging

            logging.getLogger(__name__).debug("history must not break a paid request", exc_info=True)

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
                import logging

                logging.getLogger(__name__).debug("history must not break a paid request", exc_info=True)
        return charged


class AutoPaymentAuth(httpx.Auth):
    """``x402_version = "auto"``: pays a 402 with v2 when it carries a v2 requirement for the
    profile's v2 network, else with v1 (each auth keeps its own caps, policy and history)."""

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

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        if response.status_code != 402 or "x-payment" in request.headers or PAYMENT_SIGNATURE_HEADER in request.headers:
            return
        response.read()
        self.chosen = self._choose(request, response)
        paid = self.chosen._pay(request, response)
        if paid is None:
            return
        response = yield request
        self.chosen._after(response, paid)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        response = yield request
        if response.status_code != 402 or "x-payment" in request.headers or PAYMENT_SIGNATURE_HEADER in request.headers:
            return
        await response.aread()
        self.chosen = self._choose(request, response)
        paid = self.chosen._pay(request, response)
        if paid is None:
            return
        response = yield request
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


def payment_meta(meta: Any, resp: httpx.Response, auth: Any) -> None:
    """Fill a ReplyMeta from a v2 paid response: settlement tx/blob/mode, cost in OPG, scheme."""
    pr = decode_payment_required(resp.headers.get(PAYMENT_RESPONSE_HEADER)) or {}
    meta.backend = resp.headers.get("x-og-backend") or meta.backend
    meta.payment_hash = resp.headers.get("x-processing-hash") or pr.get("processingHash")
    meta.settlement_tx = resp.headers.get(SETTLEMENT_TX_HEADER) or pr.get("transaction") or None
    meta.settlement_status = pr.get("status") or ("settled" if pr.get("success") else None)
    meta.settlement_mode = resp.headers.get("x-settlement-type") or meta.settlement_mode
    meta.settlement_blob = resp.headers.get(SETTLEMENT_BLOB_HEADER)
    meta.x402_version = 2
    meta.payment_token = constants.OPG_NAME
    req = getattr(auth, "requirement", None) or {}
    meta.payment_scheme = req.get("scheme")
    info = getattr(auth, "payment", None)
    if info is not None:
        meta.cost = info.amount
        meta.payer = info.payer
        meta.payee = info.payee
        meta.cost_text = _fmt_units(info.amount)


def stream_cost(meta: Any, auth: Any, x402: Optional[Dict[str, Any]]) -> None:
    """A streamed v2 reply ended: its cost (ReplyMeta) is what its last chunk says was charged."""
    settled = getattr(auth, "stream_settled", None)
    charged = settled(x402 or {}) if settled is not None and x402 else None
    if charged:
        meta.cost = charged
        meta.cost_text = _fmt_units(charged)


def describe_payment(meta: Any) -> str:
    """The payment line of a reply (ReplyMeta): amount and token, x402 version and scheme, settlement
    mode and where it stands, e.g. ``0.00003 OPG · x402 v2 upto · private · settled 0x12ab…``."""
    if not getattr(meta, "x402_version", 0):
        return ""
    parts = [meta.cost_text or f"{meta.cost} units"]
    parts.append(f"x402 v{meta.x402_version} {meta.payment_scheme or ''}".rstrip())
    if meta.settlement_mode:
        parts.append(str(meta.settlement_mode))
    status = meta.settlement_status or "pending"
    where = meta.settlement_tx or (f"blob {meta.settlement_blob}" if getattr(meta, "settlement_blob", None) else "")
    if where.startswith("0x") and len(where) > 14:
        where = where[:8] + "…" + where[-4:]
    parts.append(f"{status} {where}".rstrip())
    return " · ".join(parts)
