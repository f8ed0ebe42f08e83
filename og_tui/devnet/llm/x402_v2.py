"""x402 version 2 on the devnet gateway, beside v1: OPG paid through Permit2 (``upto``, ``exact``).

What SDK 1.1.4 (og-x402) speaks, on the devnet's own chain:

- a 402 carries the requirements in a base64 ``PAYMENT-REQUIRED`` header (a v1 402 carries
  them too, beside its v1 body): ``{"x402Version": 2, "error", "resource", "accepts"}`` with
  ``network: "eip155:<devnet chain id>"``, the devnet's OPG as ``asset`` and two schemes:

  ``upto``   Permit2 ``PermitWitnessTransferFrom`` for at most ``amount`` (the price of
             ``max_tokens``); the gateway charges what the reply cost (its completion tokens
             at the model's price), through the x402UptoPermit2Proxy, whose witness names the
             x402 v2 registry as facilitator (``extra.facilitatorAddress``);
  ``exact``  EIP-3009 ``transferWithAuthorization`` on OPG for ``amount`` (a Permit2 payload
             through the x402ExactPermit2Proxy is accepted too);

- the client answers with ``PAYMENT-SIGNATURE`` (base64 ``{"x402Version": 2, "payload",
  "accepted", "resource"}``) and ``X-SETTLEMENT-TYPE: private | batch``;
- a paid reply carries ``PAYMENT-RESPONSE`` (base64 ``{success, transaction, network, payer,
  amount, status, processingHash}``), ``x-processing-hash`` and, for ``private`` (payment
  only, settled on chain before the reply leaves, no input/output hashes) the
  ``x-settlement-tx-hash``; for ``batch`` (queued into the next ``settleBatch`` with input and
  output hashes) the ``x-settlement-walrus-blob-id`` of the settlement record, served at
  ``GET /v1/x402/blobs/{blob id}``.

The gateway side (402s, routes) is gateway_v2.py; the header parser and the v2 registry are
x402_v2_wire.py. The guarantees are v1's (payments.py): :class:`PaymentServiceV2` is a
:class:`~og_tui.devnet.llm.payments.PaymentService` with its own registry, store
(``x402v2.sqlite3``) and batch queue, and its checks are the ones the chain runs
(:func:`og_tui.devnet.permit2.check_permit`, :func:`og_tui.devnet.token.check_authorization`)
plus the Permit2 allowance and the balance less what the payer already has reserved.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Optional

from eth_abi import encode as abi_encode
from eth_utils import to_canonical_address

from og_tui.core import constants
from og_tui.devnet.llm import builtin
from og_tui.devnet.llm.payment_header import _NONCE, PaymentInvalid
from og_tui.devnet.llm.payments import PaymentService, Settlement
from og_tui.devnet.llm.payments_accept import Verified
from og_tui.devnet.llm.payments_batch import ZERO_HASH
from og_tui.devnet.llm.registry import AUTH_TYPES, TWA_SELECTOR, SettlementRegistry
from og_tui.devnet.llm.x402_v2_wire import (
    _SIG,
    OPG,
    PERMIT2,
    PROXY_CALL_GAS,
    V2Registry,
    _addr,
    _b64json,
    _field,
    _uint,
    blob_id,
    decode_signature_header,
)
from og_tui.devnet.native import selector
from og_tui.devnet.permit2 import (
    EXACT_WITNESS_TYPE_STRING,
    PERMIT_T,
    SIG_EXACT_SETTLE,
    SIG_UPTO_SETTLE,
    UPTO_WITNESS_TYPE_STRING,
    PermitRejected,
    PermitTransfer,
    check_permit,
    decode_settle_call,
    exact_witness_hash,
    nonce_slot,
    permit2_domain_separator,
    upto_witness_hash,
)
from og_tui.devnet.token import allowance_slot, balance_slot

__all__ = ["PaymentServiceV2", "VerifiedV2", "MODES", "OPG_PER_OUSDC_UNIT", "DB_FILE_V2", "blob_id"]

MODES = {"private": "settle", "batch": "settle-batch"}  # X-SETTLEMENT-TYPE -> the registry call
MODE_NAMES = {v: k for k, v in MODES.items()}
DEFAULT_MODE = "batch"
OPG_PER_OUSDC_UNIT = 10 ** (constants.OPG_DECIMALS - constants.OUSDC_DECIMALS)  # devnet prices: 1 OPG = 1 OUSDC
DB_FILE_V2 = "x402v2.sqlite3"


@dataclass
class VerifiedV2(Verified):
    scheme: str = "exact"
    method: str = "eip3009"  # or "permit2"
    mode_name: str = DEFAULT_MODE
    unit_price: int = 0  # OPG units per completion token (upto)
    permit: tuple = ()
    witness: tuple = ()


class PaymentServiceV2(PaymentService):
    registry_address = constants.X402_V2_REGISTRY_ADDRESS
    registry_name = "x402-v2-registry"
    db_file = DB_FILE_V2
    single_gas = 120_000 + PROXY_CALL_GAS
    item_gas = PROXY_CALL_GAS + 40_000

    def _setup(self) -> None:
        from og_tui.devnet.opg import OPGToken

        self.chain_id = self.node.config.chain_id  # v2 always signs for the devnet's own chain id
        self.network = f"eip155:{self.chain_id}"
        self.token = OPG
        self.token_name = constants.OPG_NAME
        self.domain_separator = OPGToken(OPG, self.chain_id, None).domain_separator
        self.permit2_domain = permit2_domain_separator(self.chain_id, PERMIT2)

    def _make_registry(self) -> SettlementRegistry:
        return V2Registry(self.token, to_canonical_address(self.facilitator))

    # -- requirements ------------------------------------------------------------------------
    def accepts(self, amount: int) -> dict[str, dict]:
        base = {
            "network": self.network,
            "asset": constants.OPG_DEVNET_ADDRESS,
            "amount": str(int(amount)),
            "payTo": self.payee,
            "maxTimeoutSeconds": self.max_timeout_seconds,
        }
        token = {"name": constants.OPG_NAME, "version": constants.OPG_VERSION}
        return {
            "upto": dict(base, scheme="upto", extra=dict(token, facilitatorAddress=self.registry_address)),
            "exact": dict(base, scheme="exact", extra=token),
        }

    def payment_required(
        self, accepts: dict, error: str, resource: Optional[dict] = None, code: Optional[str] = None
    ) -> dict:
        body: dict[str, Any] = {"x402Version": 2, "error": error, "accepts": list(accepts.values())}
        if resource:
            body["resource"] = resource
        if code:
            body["invalidReason"] = code
        return body

    # -- what a reply carries ----------------------------------------------------------------------
    def paid_headers(self, st: Settlement, mode: str) -> dict:
        response = {
            "success": st.status not in ("failed", "owed"),
            "transaction": st.transaction or "",
            "network": self.network,
            "payer": st.payer,
            "amount": str(st.value),
            "status": st.status,
            "processingHash": st.processing_hash,
        }
        headers = {
            "PAYMENT-RESPONSE": _b64json(response),
            "x-processing-hash": st.processing_hash,
            "x-settlement-type": MODE_NAMES.get(mode, mode),
        }
        if mode == MODES["private"] and st.transaction:
            headers["x-settlement-tx-hash"] = st.transaction
        if mode == MODES["batch"]:
            headers["x-settlement-walrus-blob-id"] = blob_id(st.processing_hash)
        return headers

    def refusal(
        self, requirement: Any, message: str, code: Optional[str] = None, st: Optional[Settlement] = None
    ) -> tuple[dict, dict]:
        body = self.payment_required(requirement, message, code=code)
        headers = {"PAYMENT-REQUIRED": _b64json(body)}
        if st is not None:
            headers["PAYMENT-RESPONSE"] = self.paid_headers(st, st.mode)["PAYMENT-RESPONSE"]
        return body, headers

    # -- verification ------------------------------------------------------------------------------
    def _read(self, address: bytes, slot: int) -> int:
        return self.node.chain.get_storage(address, slot)

    def _rejected(self, exc, payer, value, valid_after, valid_before, now, reserved) -> PaymentInvalid:
        inner = super()._rejected(exc, payer, value, valid_after, valid_before, now, reserved)
        return PaymentInvalid(inner.code, inner.message.replace("OUSDC", "OPG"))

    def verify(
        self,
        header: Any,
        requirement: Any,
        request_hash: str,
        *,
        mode: str = "settle-batch",
        stream: bool = False,
        debt_only: bool = False,
    ) -> VerifiedV2:
        data = decode_signature_header(header)
        accepted, payload = data["accepted"], data["payload"]
        scheme, network = accepted.get("scheme"), accepted.get("network")
        if scheme not in requirement or network != self.network:
            raise PaymentInvalid(
                "no_matching_requirements",
                f"No matching payment requirements found: the payment is scheme {str(scheme)[:20]!r} on network "
                f"{str(network)[:40]!r}; this gateway accepts 'upto' or 'exact' on {self.network!r} in OPG "
                f"({constants.OPG_DEVNET_ADDRESS}).",
            )
        req = requirement[scheme]
        required = int(req["amount"])
        if str(accepted.get("asset", "")).lower() != constants.OPG_DEVNET_ADDRESS.lower():
            raise PaymentInvalid(
                "wrong_token",
                f"The payment is in {str(accepted.get('asset'))[:42]}, this gateway takes OPG at {constants.OPG_DEVNET_ADDRESS}.",
            )
        if "permit2Authorization" in payload:
            v = self._permit2(payload, scheme, required)
        elif "authorization" in payload and scheme == "exact":
            v = self._eip3009(payload, required)
        else:
            raise PaymentInvalid(
                "invalid_payload",
                f"Invalid payment payload: scheme {scheme!r} needs 'permit2Authorization'"
                + (" or 'authorization'" if scheme == "exact" else "")
                + ".",
            )
        v.mode_name = MODE_NAMES.get(mode, DEFAULT_MODE)
        return self._accept(v, request_hash, mode, stream)

    def _horizon_check(self, expires: int, now: int) -> None:
        horizon = self.settle_horizon
        if expires < now + horizon:
            raise PaymentInvalid(
                "expires_too_soon",
                f"Payment authorization expires too soon: it ends {expires - now}s from now; this gateway needs at least "
                f"{math.ceil(horizon)}s to settle. Sign with deadline = now + maxTimeoutSeconds ({self.max_timeout_seconds}s).",
            )

    def _permit2(self, payload: dict, scheme: str, required: int) -> VerifiedV2:
        a = payload.get("permit2Authorization")
        owner, token = _addr(a, "from"), _addr(a, "permitted.token")
        amount, nonce, deadline = _uint(a, "permitted.amount"), _uint(a, "nonce"), _uint(a, "deadline")
        spender, to, valid_after = _addr(a, "spender"), _addr(a, "witness.to"), _uint(a, "witness.validAfter")
        sig = payload.get("signature")
        if not isinstance(sig, str) or not _SIG.fullmatch(sig):
            raise PaymentInvalid(
                "invalid_payload", "Invalid payment payload: signature must be 0x and 130 (or 128) hex digits."
            )
        proxy = (
            constants.X402_UPTO_PERMIT2_PROXY_ADDRESS
            if scheme == "upto"
            else constants.X402_EXACT_PERMIT2_PROXY_ADDRESS
        )
        if spender.lower() != proxy.lower():
            raise PaymentInvalid(
                "invalid_permit2_spender",
                f"The Permit2 spender is {spender}; a '{scheme}' payment must name the x402 proxy {proxy}.",
            )
        self._check_payee(to)
        if token.lower() != constants.OPG_DEVNET_ADDRESS.lower():
            raise PaymentInvalid(
                "wrong_token",
                f"The permit is for the token {token}, this gateway takes OPG at {constants.OPG_DEVNET_ADDRESS}.",
            )
        self._check_amount(amount, required, "the permit is for", "OPG", "costs up to")
        now = int(time.time())
        if valid_after > now:
            raise PaymentInvalid("not_yet_valid", f"Payment is not valid yet (validAfter {valid_after}, now {now}).")
        self._horizon_check(deadline, now)
        owner_raw, to_raw = to_canonical_address(owner), to_canonical_address(to)
        if scheme == "upto":
            facilitator = _addr(a, "witness.facilitator")
            if facilitator.lower() != self.registry_address.lower():
                raise PaymentInvalid(
                    "invalid_facilitator",
                    f"The upto witness names the facilitator {facilitator}; this gateway settles as {self.registry_address}.",
                )
            witness: tuple = (to, facilitator, valid_after)
            witness_hash, type_string = (
                upto_witness_hash(to_raw, to_canonical_address(facilitator), valid_after),
                UPTO_WITNESS_TYPE_STRING,
            )
        else:
            witness = (to, valid_after)
            witness_hash, type_string = exact_witness_hash(to_raw, valid_after), EXACT_WITNESS_TYPE_STRING
        signature = bytes.fromhex(sig[2:])
        permit = PermitTransfer(
            owner_raw, OPG, amount, to_canonical_address(proxy), nonce, deadline, signature, witness_hash, type_string
        )
        try:
            with self.node.lock:
                check_permit(permit, amount, self.permit2_domain, now=now, sload=lambda s: self._read(PERMIT2, s))
        except PermitRejected as exc:
            msg = {
                "invalid_signer": f"Invalid payment signature: it was not signed by {owner} for Permit2 {constants.PERMIT2_ADDRESS} on chain {self.chain_id} ({exc.reason}).",
                "invalid_signature": f"Invalid payment signature ({exc.reason}).",
                "nonce_used": "Payment nonce already used: this Permit2 signature was replayed or its nonce invalidated; sign a new one.",
                "expired": f"Payment authorization expired ({exc.reason}); sign a new one.",
            }.get(exc.code, exc.reason)
            raise PaymentInvalid(exc.code, msg) from None
        permit_tuple = ((constants.OPG_DEVNET_ADDRESS, amount), nonce, deadline)
        if scheme == "upto":
            call = self._upto_call(permit_tuple, amount, owner, witness, signature)
        else:
            call = selector(SIG_EXACT_SETTLE) + abi_encode(
                [PERMIT_T, "address", "(address,uint256)", "bytes"], [permit_tuple, owner, witness, signature]
            )
        return VerifiedV2(
            owner,
            to,
            amount,
            valid_after,
            deadline,
            nonce.to_bytes(32, "big"),
            signature,
            required,
            transfer_call=call,
            scheme=scheme,
            method="permit2",
            permit=permit_tuple,
            witness=witness,
        )

    @staticmethod
    def _upto_call(permit: tuple, amount: int, owner: str, witness: tuple, signature: bytes) -> bytes:
        return selector(SIG_UPTO_SETTLE) + abi_encode(
            [PERMIT_T, "uint256", "address", "(address,address,uint256)", "bytes"],
            [permit, amount, owner, witness, signature],
        )

    def _eip3009(self, payload: dict, required: int) -> VerifiedV2:
        a = payload.get("authorization")
        payer, to = _addr(a, "from"), _addr(a, "to")
        value, after, before = _uint(a, "value"), _uint(a, "validAfter"), _uint(a, "validBefore")
        nonce_hex, sig = _field(a, "nonce"), payload.get("signature")
        if not isinstance(nonce_hex, str) or not _NONCE.fullmatch(nonce_hex):
            raise PaymentInvalid(
                "invalid_payload", "Invalid payment payload: authorization.nonce must be 0x and 64 hex digits."
            )
        if not isinstance(sig, str) or not _SIG.fullmatch(sig) or len(sig) != 132:
            raise PaymentInvalid(
                "invalid_payload", "Invalid payment payload: signature must be 0x and 130 hex digits (r, s, v)."
            )
        self._check_payee(to)
        self._check_amount(value, required, "the authorization is for", "OPG", "costs")
        nonce, signature = bytes.fromhex(nonce_hex.removeprefix("0x")), bytes.fromhex(sig[2:])
        call = TWA_SELECTOR + abi_encode(AUTH_TYPES, [payer, to, value, after, before, nonce, signature])
        return VerifiedV2(
            payer,
            to,
            value,
            after,
            before,
            nonce,
            signature,
            required,
            transfer_call=call,
            scheme="exact",
            method="eip3009",
        )

    def _accept(self, v: VerifiedV2, request_hash: str, mode: str, stream: bool) -> VerifiedV2:
        payer_key, payer_raw = v.payer.lower(), to_canonical_address(v.payer)
        now = int(time.time())
        with self._lock:
            reserved = self._reserved_for(payer_key, v.nonce, "this payment was replayed")
            with self.node.lock:
                balance = self._read(OPG, balance_slot(payer_raw))
                allowance = self._read(OPG, allowance_slot(payer_raw, PERMIT2))
                if v.method == "eip3009":
                    self._check_authorization(v, now, reserved)
                    self._horizon_check(v.valid_before, now)
            debts = self.store.owed_by(v.payer)
            owed = sum(d.value for d in debts)
            if owed and (v.scheme != "exact" or v.value < v.required + owed):
                raise PaymentInvalid.owing(
                    v.required + owed,
                    "payment_owed",
                    f"Payment refused: the payer {v.payer} owes {owed} OPG units for served replies whose payment failed at "
                    f"settlement. Pay this request with the 'exact' scheme for {v.required + owed} units (its price plus the debt).",
                )
            if v.method == "permit2":
                if allowance < v.value + reserved:
                    raise PaymentInvalid(
                        "permit2_allowance_required",
                        f"The payer's OPG allowance for Permit2 is {allowance} units"
                        + (f" ({reserved} already reserved for his payments not settled yet)" if reserved else "")
                        + f"; this payment needs {v.value}. Send approve({constants.PERMIT2_ADDRESS}, {v.value + reserved}) "
                        f"on the OPG token {constants.OPG_DEVNET_ADDRESS} first.",
                    )
                if balance < v.value + reserved:
                    raise PaymentInvalid(
                        "insufficient_funds",
                        f"Insufficient OPG: the payer {v.payer} has {balance} units"
                        + (f" ({reserved} already reserved)" if reserved else "")
                        + f", the payment needs {v.value}.",
                    )
            v.debts = debts if owed else []
            self._hold(v, request_hash, mode, stream, reserved)
        return v

    # -- settlement ------------------------------------------------------------------------------------
    def settle(
        self,
        v: Verified,
        mode: str,
        input_hash: str,
        output_hash: str,
        model: str = "",
        input_text: str = "",
        output_text: str = "",
        *,
        served: bool = True,
    ) -> Settlement:
        st = v.record
        if (
            isinstance(v, VerifiedV2)
            and st is not None
            and st.status == "pending"
            and v.scheme == "upto"
            and v.unit_price
        ):
            charged = min(v.value, max(1, builtin.count_tokens(output_text or "")) * v.unit_price)
            with self._lock:
                key = st.payer.lower()
                left = self._reserved.get(key, 0) - (st.value - charged)
                self._reserved[key] = max(0, left)
            st.value = charged
            st.transfer_call = self._upto_call(v.permit, charged, v.payer, v.witness, v.signature)
        if isinstance(v, VerifiedV2) and v.mode_name == "private":
            input_hash = output_hash = ZERO_HASH  # payment only: nothing of the request goes on chain
            model = input_text = output_text = ""
        return super().settle(v, mode, input_hash, output_hash, model, input_text, output_text, served=served)

    def _payer_fault(self, st: Settlement) -> Optional[str]:
        if st.transfer_call[:4] == TWA_SELECTOR:
            return super()._payer_fault(st)
        try:
            _scheme, f = decode_settle_call(st.transfer_call)
            owner = to_canonical_address(f["owner"])
            with self.node.lock:
                if self._read(PERMIT2, nonce_slot(owner, f["nonce"] >> 8)) >> (f["nonce"] & 0xFF) & 1:
                    return "the payer invalidated the Permit2 nonce"
                if self._read(OPG, allowance_slot(owner, PERMIT2)) < f["amount"]:
                    return "the payer lowered the OPG allowance of Permit2"
                if self._read(OPG, balance_slot(owner)) < f["amount"]:
                    return "the payer moved the OPG away"
        except Exception:  # noqa: BLE001
            return None
        return None
