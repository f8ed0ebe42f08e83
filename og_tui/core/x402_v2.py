"""x402 version 2 (SDK 1.1.4 / og-x402), the protocol: the 402's requirements, the policy, the headers.

A v2 server's 402 carries its requirements in a base64 ``PAYMENT-REQUIRED`` header
(``{"x402Version": 2, "error", "resource", "accepts": [...]}``), each requirement with a
CAIP-2 ``network`` (``eip155:<chain id>``), ``scheme``, ``asset``, ``amount``, ``payTo``,
``maxTimeoutSeconds`` and ``extra``. The client repeats the request once with a base64
``PAYMENT-SIGNATURE`` header (``{"x402Version": 2, "payload", "accepted", "resource"}``) and
reads ``PAYMENT-RESPONSE``, ``x-settlement-tx-hash`` and ``x-settlement-walrus-blob-id``.

This module holds that protocol: the header names, reading the 402 (:func:`decode_payment_required`,
:func:`detect_version`, :func:`select_requirement`), what the profile allows
(:func:`check_policy`, :func:`opg_caps`), settlement mode names, the ``PAYMENT-SIGNATURE``
value (:func:`payment_header`) and what a paid reply says (:func:`payment_meta`,
:func:`describe_payment`). Elsewhere:

- :mod:`og_tui.core.x402_v2_sign`: the signed payloads (Permit2 ``upto`` / ``exact``, EIP-3009);
- :mod:`og_tui.core.x402_v2_auth`: the httpx Auth that pays (:class:`X402V2PaymentAuth`, auto);
- :mod:`og_tui.core.opg_allowance`: the Permit2 approval, a transaction of its own that is never
  sent behind the user's back (Permit2 moves tokens with ``transferFrom``);
- :mod:`og_tui.core.x402_common`: what v1 and v2 share (spend caps, policy checks, the record).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import httpx

from og_tui.core import constants
from og_tui.core.errors import PaymentError
from og_tui.core.opg_allowance import _fmt_units
from og_tui.core.x402_common import SpendCaps, b64_json, check_terms, from_b64_json

__all__ = [
    "PAYMENT_REQUIRED_HEADER",
    "PAYMENT_SIGNATURE_HEADER",
    "PAYMENT_RESPONSE_HEADER",
    "SETTLEMENT_TX_HEADER",
    "SETTLEMENT_BLOB_HEADER",
    "SETTLEMENT_MODES",
    "SCHEME_PREFERENCE",
    "caip2",
    "check_policy",
    "decode_payment_required",
    "detect_version",
    "select_requirement",
    "payment_header",
    "PaymentUnsatisfiable",
    "payment_meta",
    "stream_cost",
    "describe_payment",
    "opg_caps",
    "profile_chain_id",
    "profile_version",
    "v1_mode",
    "v2_mode",
]

PAYMENT_REQUIRED_HEADER = "payment-required"
PAYMENT_SIGNATURE_HEADER = "PAYMENT-SIGNATURE"
PAYMENT_RESPONSE_HEADER = "payment-response"
SETTLEMENT_TX_HEADER = "x-settlement-tx-hash"
SETTLEMENT_BLOB_HEADER = "x-settlement-walrus-blob-id"
SETTLEMENT_MODES = ("private", "batch")  # X-SETTLEMENT-TYPE of SDK 1.1.4
SCHEME_PREFERENCE = ("upto", "exact")

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
    return SpendCaps.from_texts(
        getattr(settings, "llm_cap_opg_per_request", None),
        getattr(settings, "llm_cap_opg_per_run", None),
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
    return from_b64_json(value)


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

    check_terms(req, asked, network=network, asset=asset, payees=payees or None, amount_key="amount", via=" x402 v2")


def payment_header(payload: Dict[str, Any], accepted: Dict[str, Any], resource: Optional[Dict[str, Any]] = None) -> str:
    """The ``PAYMENT-SIGNATURE`` header value: base64 JSON of the v2 payment payload."""
    body: Dict[str, Any] = {"x402Version": 2, "payload": payload, "accepted": accepted}
    if resource:
        body["resource"] = resource
    return b64_json(body)


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
