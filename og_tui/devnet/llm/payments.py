"""x402 (protocol v1, scheme ``exact``) on the devnet: requirements, verification, settlement.

The gateway never serves a paid reply for nothing:

- **One set of rules.** :meth:`PaymentService.verify` parses ``X-Payment`` strictly
  (payment_header.py) and checks the authorization with
  :func:`og_tui.devnet.token.check_authorization`, the very function the OUSDC token runs
  in ``transferWithAuthorization`` (window, unused/uncancelled nonce, EIP-712 signature
  with low ``s`` and ``v`` in 27/28 or 0/1, balance), so the gateway cannot accept what
  the token would refuse at settlement.
- **Time to settle.** ``validBefore`` must leave :attr:`settle_horizon` seconds (batch
  interval + the longest reply the gateway serves + a margin), else 402
  ``expires_too_soon``; the requirements advertise a ``maxTimeoutSeconds`` above that.
- **Settle before release.** ``settle`` and ``settle-metadata`` replies (not streamed)
  are settled on chain before their content leaves; a failed settlement is a 402.
- **Reservation.** A payer's balance less everything he has queued or in flight must
  cover a new authorization.
- **Debts.** A served payment whose authorization then fails because of the payer
  (cancelled, funds moved) makes its record ``owed``; the payer gets 402 ``payment_owed``
  until a payment of his covering the debt settles (a request paid for its price plus
  the debt, or ``POST /v1/x402/debts/{payer}``); that settlement marks the owed records
  ``settled`` (``paidAsDebtBy``).
- **Persistence.** Every accepted payment is a row of ``x402.sqlite3`` (settlement_store.py)
  written before the reply is released; at start-up unfinished rows are settled (or, if
  their reply was never released, dropped), so ``kill -9`` loses no payment whose
  authorization is still valid.

Settlement goes through the native registry (registry.py) in a transaction sent by the
devnet's facilitator account. The facilitator and payee keys derive from the node's faucet
key (stable per data dir, never printed).

The checks and bookkeeping of accepting a payment that x402 v1 and v2 share (and the
accepted payment, :class:`~og_tui.devnet.llm.payments_accept.Verified`) are in
payments_accept.py; the batch queue in payments_batch.py.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from pathlib import Path
from typing import Any, Optional

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_keys import KeyAPI
from eth_utils import keccak, to_canonical_address

from og_tui.core import constants
from og_tui.devnet.llm.payment_header import X402_VERSION, PaymentInvalid, parse_payment
from og_tui.devnet.llm.payments_accept import AcceptChecks, Verified
from og_tui.devnet.llm.payments_batch import ZERO_HASH, BatchQueue, _b32
from og_tui.devnet.llm.registry import (  # noqa: F401 - re-exported
    AUTH_TYPES,
    REGISTRY_ADDRESS,
    SIG_SETTLE,
    SIG_SETTLE_BATCH,
    SIG_SETTLE_METADATA,
    SUBCALL_GAS,
    TOPIC_BATCH_ITEM,
    TOPIC_BATCH_SETTLED,
    TOPIC_SETTLED,
    TOPIC_SETTLED_METADATA,
    TWA_SELECTOR,
    SettlementRegistry,
)
from og_tui.devnet.llm.settlement_store import DB_FILE, Settlement, SettlementStore
from og_tui.devnet.native import selector
from og_tui.devnet.token import (
    Authorization,
    AuthorizationRejected,
    OUSDCToken,
    check_authorization,
    split_signature,
)

__all__ = [
    "PaymentService",
    "PaymentInvalid",
    "Settlement",
    "REGISTRY_ADDRESS",
    "SETTLEMENT_MODES",
    "DEFAULT_SETTLEMENT",
    "X402_VERSION",
]

log = logging.getLogger(__name__)

SETTLEMENT_MODES = ("settle", "settle-metadata", "settle-batch")
DEFAULT_SETTLEMENT = "settle-batch"
# what honest clients get on top of the settle horizon in maxTimeoutSeconds (signing, clock skew)
CLIENT_SLACK_SECONDS = 60

_MIN_FACILITATOR_WEI = 5 * 10**18
_FACILITATOR_TOPUP_WEI = 50 * 10**18


def _authorization(transfer_call: bytes) -> Authorization:
    frm, to, value, after, before, nonce, sig = abi_decode(AUTH_TYPES, transfer_call[4:])
    v, r, s = split_signature(sig)
    return Authorization(to_canonical_address(frm), to_canonical_address(to), value, after, before, nonce, v, r, s)


class PaymentService(AcceptChecks, BatchQueue):
    # what a subclass for another token or protocol version changes (x402_v2.py)
    registry_address = REGISTRY_ADDRESS
    registry_name = "x402-registry"
    db_file = DB_FILE
    single_gas = 250_000  # gas of one settle transaction
    item_gas = SUBCALL_GAS + 30_000  # gas per payment of a settleBatch transaction

    def __init__(
        self,
        node: Any,
        batch_seconds: float = 5.0,
        timeout_seconds: int = 300,
        max_reply_seconds: float = 120.0,
        margin_seconds: float = 10.0,
    ) -> None:
        self.node = node
        self.network = node.config.x402_network
        self.chain_id = node.config.x402_domain_chain_id
        self.token_name = node.config.payment_token_name
        self.token = to_canonical_address(constants.OUSDC_ADDRESS)
        self.batch_seconds = batch_seconds
        self.timeout_seconds = timeout_seconds
        self.max_reply_seconds = max_reply_seconds
        self.margin_seconds = margin_seconds
        base = node.chain.faucet_key
        self._facilitator_key = keccak(base + b"og-devnet x402 facilitator")
        self._payee_key = keccak(base + b"og-devnet x402 payee")
        pk = KeyAPI.PrivateKey
        self.facilitator = pk(self._facilitator_key).public_key.to_checksum_address()
        self.payee = pk(self._payee_key).public_key.to_checksum_address()
        self.domain_separator = OUSDCToken(
            self.token, self.chain_id, None, name=self.token_name, version=constants.OUSDC_VERSION
        ).domain_separator
        self.store = SettlementStore(Path(node.data_dir) / self.db_file)
        self._lock = threading.Lock()
        self._inflight: set[tuple[str, bytes]] = set()
        self._reserved: dict[str, int] = {}
        self._queue: list[Settlement] = []
        self._due: Optional[float] = None  # when the queued batch must be sent
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._setup()
        self.registry = self._make_registry()
        node.register_native(self.registry_address, self.registry, name=self.registry_name)
        self._ensure_gas()
        self._recover()
        self._thread = threading.Thread(target=self._batch_loop, name="x402-batch", daemon=True)
        self._thread.start()

    # -- setup ------------------------------------------------------------------------------
    def _setup(self) -> None:
        """Hook for subclasses: their token and domains (set before the registry is made)."""

    def _make_registry(self) -> SettlementRegistry:
        return SettlementRegistry(self.token, to_canonical_address(self.facilitator))

    def _ensure_gas(self) -> None:
        node = self.node
        with node.lock:
            have = node.chain.get_balance(to_canonical_address(self.facilitator))
            if have < _MIN_FACILITATOR_WEI:
                raw = node.sign_transaction(
                    node.chain.faucet_key, {"to": self.facilitator, "value": _FACILITATOR_TOPUP_WEI, "gas": 21_000}
                )
                node.send_raw(raw)

    @property
    def settle_horizon(self) -> float:
        """Seconds an authorization must stay valid after verification: the longest reply,
        then at most one batch interval, plus a margin."""
        return self.batch_seconds + self.max_reply_seconds + self.margin_seconds

    @property
    def max_timeout_seconds(self) -> int:
        return max(int(self.timeout_seconds), math.ceil(self.settle_horizon) + CLIENT_SLACK_SECONDS)

    # -- requirements ------------------------------------------------------------------------------
    def requirements(self, amount: int, resource: str, description: str) -> dict:
        return {
            "scheme": "exact",
            "network": self.network,
            "maxAmountRequired": str(int(amount)),
            "resource": resource,
            "description": description,
            "mimeType": "application/json",
            "payTo": self.payee,
            "maxTimeoutSeconds": self.max_timeout_seconds,
            "asset": constants.OUSDC_ADDRESS,
            "extra": {"name": self.token_name, "version": constants.OUSDC_VERSION},
        }

    def required_body(self, requirement: dict, error: str, code: Optional[str] = None) -> dict:
        body = {"x402Version": X402_VERSION, "error": error, "accepts": [requirement]}
        if code:
            body["invalidReason"] = code
        return body

    # -- what a reply carries (x402 v1; the v2 service answers in its own headers) --------------------
    def paid_headers(self, st: Settlement, mode: str) -> dict:
        return {"X-PAYMENT-RESPONSE": st.header(), "x-processing-hash": st.processing_hash, "x-settlement-type": mode}

    def refusal(
        self, requirement: dict, message: str, code: Optional[str] = None, st: Optional[Settlement] = None
    ) -> tuple[dict, dict]:
        """(402 body, headers) refusing a payment."""
        return self.required_body(requirement, message, code), ({"X-PAYMENT-RESPONSE": st.header()} if st else {})

    # -- verification ------------------------------------------------------------------------------
    def _sload(self, slot: int) -> int:
        return self.node.chain.get_storage(self.token, slot)

    def owed(self, payer: str) -> list[Settlement]:
        return self.store.owed_by(payer)

    def verify(
        self,
        header: Any,
        requirement: dict,
        request_hash: str,
        *,
        mode: str = DEFAULT_SETTLEMENT,
        stream: bool = False,
        debt_only: bool = False,
    ) -> Verified:
        """Accept a payment for a request (or raise :class:`PaymentInvalid`): the checks, the
        reservation and the ``pending`` row, written before anything is served. ``debt_only``:
        the payment pays the payer's debt and nothing else."""
        p = parse_payment(header, self.network)
        required = int(requirement["maxAmountRequired"])
        self._check_payee(p.payee)
        self._check_amount(p.value, required, "the authorization is for", "OUSDC", "costs")
        verified = Verified(
            p.payer,
            p.payee,
            p.value,
            p.valid_after,
            p.valid_before,
            p.nonce,
            p.signature,
            required,
            transfer_call=TWA_SELECTOR
            + abi_encode(AUTH_TYPES, [p.payer, p.payee, p.value, p.valid_after, p.valid_before, p.nonce, p.signature]),
        )
        payer_key = p.payer.lower()
        now = int(time.time())
        with self._lock:
            reserved = self._reserved_for(payer_key, p.nonce, "this authorization was replayed")
            with self.node.lock:
                self._check_authorization(verified, now, reserved)
            horizon = self.settle_horizon
            if p.valid_before < now + horizon:
                raise PaymentInvalid(
                    "expires_too_soon",
                    f"Payment authorization expires too soon: validBefore {p.valid_before} is {p.valid_before - now}s from now; "
                    f"this gateway needs at least {math.ceil(horizon)}s to settle (longest reply {self.max_reply_seconds:g}s + "
                    f"batch interval {self.batch_seconds:g}s + margin {self.margin_seconds:g}s). Sign with validBefore = now + "
                    f"maxTimeoutSeconds ({self.max_timeout_seconds}s).",
                )
            debts = self.store.owed_by(p.payer)
            owed = sum(d.value for d in debts)
            if owed and p.value < (owed if debt_only else required + owed):
                need = owed if debt_only else required + owed
                raise PaymentInvalid.owing(
                    need,
                    "payment_owed",
                    f"Payment refused: the payer {p.payer} owes {owed} OUSDC units for {len(debts)} served "
                    f"{'reply' if len(debts) == 1 else 'replies'} whose payment failed at settlement "
                    f"({debts[0].error or 'authorization cancelled or funds moved'}). Pay the debt with "
                    f"POST /v1/x402/debts/{p.payer}, or sign this request for {need} units (its price plus the debt).",
                )
            verified.debts = debts if owed else []
            self._hold(verified, request_hash, mode, stream, reserved)
        return verified

    def _unreserve(self, st: Settlement) -> None:
        payer = st.payer.lower()
        with self._lock:
            self._inflight.discard((payer, _b32(st.nonce)))
            left = self._reserved.get(payer, 0) - st.value
            if left > 0:
                self._reserved[payer] = left
            else:
                self._reserved.pop(payer, None)

    def release(self, v: Verified) -> None:
        """Forget an accepted-but-unsettled payment (the request failed before it was served)."""
        st = v.record
        if st is None or st.status != "pending":
            return
        st.status = "failed"
        st.error = "the request failed before a reply was served; nothing was charged"
        self.store.put(st)
        self._unreserve(st)

    # -- settlement --------------------------------------------------------------------------------
    def _send(self, data: bytes, gas: int, before_send) -> tuple[str, int, dict]:
        """Sign and send a facilitator transaction; ``before_send(tx_hash)`` runs (and records
        the hash) before the transaction exists, so a crash after it is recognized at start-up."""
        node = self.node
        with node.lock:
            raw = node.sign_transaction(self._facilitator_key, {"to": self.registry_address, "data": data, "gas": gas})
            tx_hash = "0x" + keccak(raw).hex()
            before_send(tx_hash)
            sent = "0x" + node.send_raw(raw).hex()
            receipt = self._receipt(sent)
        return sent, int(receipt["status"], 16), receipt

    def _receipt(self, tx_hash: str) -> Optional[dict]:
        return self.node.rpc.handle(
            {"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionReceipt", "params": [tx_hash]}
        ).get("result")

    def _single_call(self, st: Settlement) -> tuple[bytes, int]:
        if st.mode == "settle-metadata":
            data = selector(SIG_SETTLE_METADATA) + abi_encode(
                ["bytes", "bytes32", "string", "string", "string"],
                [st.transfer_call, _b32(st.processing_hash), st.model, st.input_text, st.output_text],
            )
            return data, self.single_gas + 50 * len(data)
        data = selector(SIG_SETTLE) + abi_encode(
            ["bytes", "bytes32", "bytes32", "bytes32"],
            [
                st.transfer_call,
                _b32(st.processing_hash),
                _b32(st.input_hash or ZERO_HASH),
                _b32(st.output_hash or ZERO_HASH),
            ],
        )
        return data, self.single_gas

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
        """Settle (or queue) an accepted payment. ``served``: the reply has been (or will be,
        whatever happens) released, so a failure caused by the payer is recorded as owed."""
        st = v.record
        assert st is not None
        st.mode, st.input_hash, st.output_hash = mode, input_hash, output_hash
        if mode == "settle-metadata":
            st.model, st.input_text, st.output_text = model, input_text, output_text
        if st.status != "pending":  # already settled (a debt payment is settled before serving)
            return st
        if mode == "settle-batch":
            st.status, st.released = "queued", True
            self.store.put(st)
            self._enqueue(st)
            return st
        data, gas = self._single_call(st)

        def record_tx(tx_hash: str) -> None:
            st.transaction = tx_hash
            st.released = served
            self.store.put(st)

        requeued = False
        try:
            tx_hash, status, receipt = self._send(data, gas, record_tx)
            st.transaction = tx_hash
            st.block = int(receipt["blockNumber"], 16)
            if status == 1:
                st.status, st.error = "settled", ""
                self._pay_debts(v.debts, tx_hash)
            else:
                self._failed(st, self._revert_reason(data) or "settlement transaction reverted", served)
        except Exception as exc:  # the transaction could not be sent
            log.exception("x402 settlement could not be sent")
            if served and st.valid_before > time.time() + 2:
                st.status, st.transaction, st.mode = "queued", "", "settle-batch"
                requeued = True
            else:
                st.status, st.error = "failed", f"settlement failed: {exc}"
        self.store.put(st)
        if requeued:
            self._enqueue(st)
        else:
            self._unreserve(st)
        return st

    def _pay_debts(self, debts: list, tx_hash: str) -> None:
        for d in debts:
            d.status, d.paid_by = "settled", tx_hash
        self.store.put_many(debts)

    def _payer_fault(self, st: Settlement) -> Optional[str]:
        """Why the payer made this authorization fail (cancelled, funds moved), or None when it
        would still pass the token's checks before it expires (the gateway was late)."""
        try:
            auth = _authorization(st.transfer_call)
            with self.node.lock:
                check_authorization(auth, self.domain_separator, now=auth.valid_before - 1, sload=self._sload)
        except AuthorizationRejected as exc:
            return exc.reason
        except Exception:  # noqa: BLE001
            return None
        return None

    def _failed(self, st: Settlement, reason: str, served: bool) -> None:
        fault = self._payer_fault(st) if served else None
        if fault:
            st.status = "owed"
            st.error = f"the authorization failed at settlement ({fault}) after the reply was served; the payer owes {st.value} units"
        else:
            st.status, st.error = "failed", reason

    def _revert_reason(self, data: bytes) -> str:
        from og_tui.devnet.chain_errors import ChainError

        node = self.node
        try:
            with node.lock:
                node.chain.call(
                    {
                        "from": to_canonical_address(self.facilitator),
                        "to": to_canonical_address(self.registry_address),
                        "data": data,
                    }
                )
        except ChainError as exc:
            return str(exc)
        except Exception:  # noqa: BLE001
            return ""
        return ""

    def status(self, processing_hash: str) -> Optional[Settlement]:
        if not isinstance(processing_hash, str) or len(processing_hash) > 80:
            return None
        return self.store.get(processing_hash)

    def close(self, flush: bool = True) -> Optional[str]:
        """Stop the batch loop; with ``flush``, settle what is still queued now (so a devnet
        stopped inside a batch interval does not drop payments it already accepted).
        Returns the batch transaction's hash, if one was sent."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        tx = None
        if flush:
            try:
                while True:
                    sent = self.flush()
                    tx = sent or tx
                    with self._lock:
                        more = bool(self._queue)
                    if sent is None or not more:
                        break
            except Exception:  # noqa: BLE001 - shutting down: log and go on
                log.exception("x402 batch settlement at shutdown failed")
        return tx
