"""x402 (protocol v1, scheme ``exact``) on the devnet: requirements, verification, settlement.

- :meth:`PaymentService.requirements` builds the PaymentRequirements of a request
  (price = model price per token x max_tokens, payTo = the devnet payee, asset = OUSDC).
- :meth:`PaymentService.verify` decodes an ``X-Payment`` header and checks it: version,
  scheme, network, payee, amount, time window, EIP-712 signature, nonce unused (on chain
  and among in-flight payments) and payer balance. Each failure raises
  :class:`PaymentInvalid` with its own code and sentence.
- :meth:`PaymentService.settle` settles through the token's ``transferWithAuthorization``
  inside a real transaction sent by the devnet's facilitator account to the native
  **settlement registry** (:data:`REGISTRY_ADDRESS`), which calls the token and records:

  ===================  ==============================================================
  ``settle``           one tx per payment; event ``X402Settled`` with input/output hashes
  ``settle-metadata``  one tx per payment; event ``X402SettledWithMetadata`` with the
                       model, the full input and the full output
  ``settle-batch``     payments are queued and settled together in one
                       ``settleBatch`` tx at most every ``batch_seconds``; events
                       ``X402BatchItem`` (one per payment) and ``X402BatchSettled``
  ===================  ==============================================================

The facilitator and payee keys are derived from the node's faucet key (so they are
stable per data dir and never printed).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_keys import KeyAPI
from eth_utils import keccak, to_canonical_address, to_checksum_address

from og_tui.core import constants
from og_tui.devnet.native import NativeCall, NativeRevert, selector, topic
from og_tui.devnet.token import (
    TRANSFER_WITH_AUTHORIZATION_TYPEHASH,
    OUSDCToken,
    authorization_slot,
    balance_slot,
)

log = logging.getLogger(__name__)

REGISTRY_ADDRESS = "0x0000000000000000000000000000000000000402"
X402_VERSION = 1
SETTLEMENT_MODES = ("settle", "settle-metadata", "settle-batch")
DEFAULT_SETTLEMENT = "settle-batch"

TWA_SELECTOR = selector("transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)")
_AUTH_TYPES = ["address", "address", "uint256", "uint256", "uint256", "bytes32", "bytes"]

SIG_SETTLE = "settle(bytes,bytes32,bytes32,bytes32)"
SIG_SETTLE_METADATA = "settleWithMetadata(bytes,bytes32,string,string,string)"
SIG_SETTLE_BATCH = "settleBatch(bytes[],bytes32[],bytes32[],bytes32[])"
EV_SETTLED = "X402Settled(address,address,bytes32,uint256,bytes32,bytes32,bytes32)"
EV_SETTLED_METADATA = "X402SettledWithMetadata(address,address,bytes32,uint256,bytes32,string,string,string)"
EV_BATCH_ITEM = "X402BatchItem(bytes32,bytes32,address,uint256,bool)"
EV_BATCH_SETTLED = "X402BatchSettled(bytes32,uint256,uint256,uint256)"
TOPIC_SETTLED = topic(EV_SETTLED)
TOPIC_SETTLED_METADATA = topic(EV_SETTLED_METADATA)
TOPIC_BATCH_ITEM = topic(EV_BATCH_ITEM)
TOPIC_BATCH_SETTLED = topic(EV_BATCH_SETTLED)

_SUBCALL_GAS = 150_000
_MIN_FACILITATOR_WEI = 5 * 10**18
_FACILITATOR_TOPUP_WEI = 50 * 10**18


class PaymentInvalid(Exception):
    """A payment that cannot be accepted: ``code`` (machine) and a sentence (``str``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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


@dataclass
class Settlement:
    mode: str
    status: str  # "settled" | "queued" | "failed"
    processing_hash: str
    transaction: str = ""
    payer: str = ""
    network: str = ""
    error: str = ""
    block: Optional[int] = None
    created: float = field(default_factory=time.time)

    def public(self) -> dict:
        out = {"success": self.status != "failed", "transaction": self.transaction, "network": self.network,
               "payer": self.payer, "mode": self.mode, "status": self.status, "processingHash": self.processing_hash}
        if self.error:
            out["errorReason"] = self.error
        if self.block is not None:
            out["block"] = self.block
        return out

    def header(self) -> str:
        return base64.b64encode(json.dumps(self.public(), separators=(",", ":")).encode()).decode()


def hash_hex(data: bytes | str) -> str:
    return "0x" + keccak(data.encode() if isinstance(data, str) else data).hex()


def _b32(hexstr: str) -> bytes:
    return bytes.fromhex(hexstr[2:] if hexstr.startswith("0x") else hexstr).rjust(32, b"\0")


# --- the settlement registry (native contract) ----------------------------------------------


class SettlementRegistry:
    """Native contract: calls the token's transferWithAuthorization and records the settlement."""

    def __init__(self, token: bytes, facilitator: bytes) -> None:
        self.token = token
        self.facilitator = facilitator
        self._dispatch = {
            selector(SIG_SETTLE): self._settle,
            selector(SIG_SETTLE_METADATA): self._settle_metadata,
            selector(SIG_SETTLE_BATCH): self._settle_batch,
            selector("facilitator()"): lambda c: abi_encode(["address"], [to_checksum_address(self.facilitator)]),
            selector("token()"): lambda c: abi_encode(["address"], [to_checksum_address(self.token)]),
        }

    def __call__(self, call: NativeCall) -> bytes:
        fn = self._dispatch.get(call.selector)
        if fn is None:
            raise NativeRevert(f"x402 registry: unknown function selector 0x{call.selector.hex()}")
        return fn(call)

    def _check_caller(self, call: NativeCall) -> None:
        if call.sender != self.facilitator:
            raise NativeRevert("x402 registry: only the devnet facilitator settles payments")

    def _transfer(self, call: NativeCall, transfer_call: bytes) -> tuple[bool, str, tuple]:
        if transfer_call[:4] != TWA_SELECTOR:
            raise NativeRevert("x402 registry: not a transferWithAuthorization call")
        try:
            args = abi_decode(_AUTH_TYPES, transfer_call[4:])
        except Exception:
            raise NativeRevert("x402 registry: malformed transferWithAuthorization call") from None
        comp = call.computation
        gas = min(_SUBCALL_GAS, comp.get_gas_remaining() - 20_000)
        if gas <= 0:
            raise NativeRevert("x402 registry: out of gas")
        comp.consume_gas(gas, "x402 registry subcall")
        msg = comp.prepare_child_message(gas=gas, to=self.token, value=0, data=transfer_call, code=comp.state.get_code(self.token))
        child = comp.apply_child_computation(msg)
        comp.return_gas(child.get_gas_remaining())
        if child.is_error:
            from og_tui.devnet.chain import decode_revert_reason

            return False, decode_revert_reason(bytes(child.output)) or "transfer failed", args
        return True, "", args

    def _settle(self, call: NativeCall) -> bytes:
        self._check_caller(call)
        transfer_call, processing, input_hash, output_hash = call.decode(["bytes", "bytes32", "bytes32", "bytes32"])
        ok, reason, args = self._transfer(call, transfer_call)
        if not ok:
            raise NativeRevert(f"x402 registry: {reason}")
        payer, payee, value, _, _, nonce, _ = args
        call.emit(
            [TOPIC_SETTLED, int(payer, 16), int(payee, 16), processing],
            abi_encode(["uint256", "bytes32", "bytes32", "bytes32"], [value, nonce, input_hash, output_hash]),
        )
        return b""

    def _settle_metadata(self, call: NativeCall) -> bytes:
        self._check_caller(call)
        transfer_call, processing, model, inp, out = call.decode(["bytes", "bytes32", "string", "string", "string"])
        ok, reason, args = self._transfer(call, transfer_call)
        if not ok:
            raise NativeRevert(f"x402 registry: {reason}")
        payer, payee, value, _, _, nonce, _ = args
        call.emit(
            [TOPIC_SETTLED_METADATA, int(payer, 16), int(payee, 16), processing],
            abi_encode(["uint256", "bytes32", "string", "string", "string"], [value, nonce, model, inp, out]),
        )
        return b""

    def _settle_batch(self, call: NativeCall) -> bytes:
        self._check_caller(call)
        calls, processing, inputs, outputs = call.decode(["bytes[]", "bytes32[]", "bytes32[]", "bytes32[]"])
        if not (len(calls) == len(processing) == len(inputs) == len(outputs)):
            raise NativeRevert("x402 registry: batch arrays differ in length")
        root = keccak(b"".join(p + i + o for p, i, o in zip(processing, inputs, outputs)))
        settled = total = 0
        for i, tc in enumerate(calls):
            ok, _reason, args = self._transfer(call, tc)
            payer, value = (args[0], args[2]) if args else ("0x" + "00" * 20, 0)
            if ok:
                settled += 1
                total += value
            call.emit(
                [TOPIC_BATCH_ITEM, root, processing[i]],
                abi_encode(["address", "uint256", "bool"], [payer, value, ok]),
            )
        call.emit([TOPIC_BATCH_SETTLED, root], abi_encode(["uint256", "uint256", "uint256"], [len(calls), settled, total]))
        return abi_encode(["uint256"], [settled])


# --- the service -----------------------------------------------------------------------------


@dataclass
class _Queued:
    verified: Verified
    input_hash: str
    output_hash: str
    settlement: Settlement


class PaymentService:
    def __init__(self, node: Any, batch_seconds: float = 5.0, timeout_seconds: int = 300) -> None:
        self.node = node
        self.network = node.config.x402_network
        self.chain_id = node.config.x402_domain_chain_id
        self.token_name = node.config.payment_token_name
        self.token = to_canonical_address(constants.OUSDC_ADDRESS)
        self.batch_seconds = batch_seconds
        self.timeout_seconds = timeout_seconds
        base = node.chain.faucet_key
        self._facilitator_key = keccak(base + b"og-devnet x402 facilitator")
        self._payee_key = keccak(base + b"og-devnet x402 payee")
        pk = KeyAPI.PrivateKey
        self.facilitator = pk(self._facilitator_key).public_key.to_checksum_address()
        self.payee = pk(self._payee_key).public_key.to_checksum_address()
        self.domain_separator = OUSDCToken(self.token, self.chain_id, None, name=self.token_name,
                                           version=constants.OUSDC_VERSION).domain_separator
        self._lock = threading.Lock()
        self._inflight: set[tuple[str, bytes]] = set()
        self._pending_by_payer: dict[str, int] = {}
        self._queue: list[_Queued] = []
        self._settlements: dict[str, Settlement] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.registry = SettlementRegistry(self.token, to_canonical_address(self.facilitator))
        node.register_native(REGISTRY_ADDRESS, self.registry, name="x402-registry")
        self._ensure_gas()
        self._thread = threading.Thread(target=self._batch_loop, name="x402-batch", daemon=True)
        self._thread.start()

    # -- setup ------------------------------------------------------------------------------
    def _ensure_gas(self) -> None:
        node = self.node
        with node.lock:
            have = node.chain.get_balance(to_canonical_address(self.facilitator))
            if have < _MIN_FACILITATOR_WEI:
                raw = node.sign_transaction(node.chain.faucet_key, {"to": self.facilitator, "value": _FACILITATOR_TOPUP_WEI, "gas": 21_000})
                node.send_raw(raw)

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
            "maxTimeoutSeconds": int(self.timeout_seconds),
            "asset": constants.OUSDC_ADDRESS,
            "extra": {"name": self.token_name, "version": constants.OUSDC_VERSION},
        }

    def required_body(self, requirement: dict, error: str, code: Optional[str] = None) -> dict:
        body = {"x402Version": X402_VERSION, "error": error, "accepts": [requirement]}
        if code:
            body["invalidReason"] = code
        return body

    # -- verification ------------------------------------------------------------------------------
    def verify(self, header: str, requirement: dict, request_hash: str) -> Verified:
        try:
            raw = base64.b64decode(header.strip() + "=" * (-len(header.strip()) % 4), validate=False)
            payment = json.loads(raw.decode("utf-8"))
            if not isinstance(payment, dict):
                raise ValueError("not an object")
        except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
            raise PaymentInvalid("invalid_header", f"Invalid payment header format: X-Payment must be base64 JSON ({exc}).") from None
        if payment.get("x402Version") != X402_VERSION:
            raise PaymentInvalid("invalid_version", f"Unsupported x402 version {payment.get('x402Version')!r}; this gateway speaks version 1.")
        if payment.get("scheme") != "exact" or payment.get("network") != self.network:
            raise PaymentInvalid(
                "no_matching_requirements",
                f"No matching payment requirements found: payment is scheme {payment.get('scheme')!r} on network "
                f"{payment.get('network')!r}, this gateway accepts scheme 'exact' on {self.network!r}.",
            )
        try:
            payload = payment["payload"]
            auth = payload["authorization"]
            sig_hex = payload["signature"]
            payer = to_checksum_address(auth["from"])
            payee = to_checksum_address(auth["to"])
            value = int(auth["value"])
            valid_after = int(auth["validAfter"])
            valid_before = int(auth["validBefore"])
            nonce = _b32(auth["nonce"])
            signature = bytes.fromhex(sig_hex[2:] if sig_hex.startswith("0x") else sig_hex)
            if len(nonce) != 32:
                raise ValueError("nonce must be 32 bytes")
        except (KeyError, TypeError, ValueError) as exc:
            raise PaymentInvalid("invalid_payload", f"Invalid payment payload: missing or malformed field ({exc}).") from None
        required = int(requirement["maxAmountRequired"])
        if payee.lower() != self.payee.lower():
            raise PaymentInvalid("wrong_payee", f"Payment is addressed to {payee}, but this gateway is paid at {self.payee}.")
        if value < required:
            raise PaymentInvalid(
                "amount_too_low",
                f"Wrong payment amount: the authorization is for {value} OUSDC units, the request costs {required}.",
            )
        now = int(time.time())
        if valid_before <= now + 2:
            raise PaymentInvalid(
                "expired",
                f"Payment authorization expired: its window closed at {valid_before} (now {now}); sign a new one.",
            )
        if valid_after >= now:
            raise PaymentInvalid("not_yet_valid", f"Payment authorization is not valid yet (validAfter {valid_after}, now {now}).")
        if len(signature) != 65:
            raise PaymentInvalid("invalid_signature", "Invalid payment signature: expected 65 bytes (r, s, v).")
        struct_hash = keccak(
            abi_encode(
                ["bytes32", "address", "address", "uint256", "uint256", "uint256", "bytes32"],
                [TRANSFER_WITH_AUTHORIZATION_TYPEHASH, payer, payee, value, valid_after, valid_before, nonce],
            )
        )
        digest = keccak(b"\x19\x01" + self.domain_separator + struct_hash)
        v = signature[64]
        if v >= 27:
            v -= 27
        try:
            recovered = KeyAPI.Signature(vrs=(v, int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"))) \
                .recover_public_key_from_msg_hash(digest).to_checksum_address()
        except Exception:
            recovered = None
        if recovered is None or recovered.lower() != payer.lower():
            raise PaymentInvalid(
                "invalid_signature",
                f"Invalid payment signature: it was not signed by the payer {payer} for OUSDC on chain {self.chain_id}"
                + (f" (it recovers to {recovered})." if recovered else "."),
            )
        key = (payer.lower(), nonce)
        payer_raw = to_canonical_address(payer)
        with self._lock:
            if key in self._inflight:
                raise PaymentInvalid("nonce_used", "Payment nonce already used: this authorization was replayed (it is being settled).")
            with self.node.lock:
                used = self.node.chain.get_storage(self.token, authorization_slot(payer_raw, nonce))
                balance = self.node.chain.get_storage(self.token, balance_slot(payer_raw))
            if used:
                raise PaymentInvalid("nonce_used", "Payment nonce already used: this authorization was already settled (replayed).")
            pending = self._pending_by_payer.get(payer.lower(), 0)
            if balance < value + pending:
                raise PaymentInvalid(
                    "insufficient_funds",
                    f"Insufficient OUSDC: the payer {payer} has {balance} units"
                    + (f" ({pending} already committed to pending payments)" if pending else "")
                    + f", the payment needs {value}.",
                )
            self._inflight.add(key)
            self._pending_by_payer[payer.lower()] = pending + value
        transfer_call = TWA_SELECTOR + abi_encode(
            _AUTH_TYPES, [payer, payee, value, valid_after, valid_before, nonce, signature]
        )
        processing = hash_hex(_b32(request_hash) + nonce + payer_raw)
        return Verified(payer, payee, value, valid_after, valid_before, nonce, signature, required, processing, transfer_call)

    def release(self, v: Verified) -> None:
        """Forget an accepted-but-unsettled payment (the request failed before it was served)."""
        with self._lock:
            self._inflight.discard((v.payer.lower(), v.nonce))
            left = self._pending_by_payer.get(v.payer.lower(), 0) - v.value
            if left > 0:
                self._pending_by_payer[v.payer.lower()] = left
            else:
                self._pending_by_payer.pop(v.payer.lower(), None)

    # -- settlement --------------------------------------------------------------------------------
    def _send(self, data: bytes, gas: int) -> tuple[str, int, dict]:
        node = self.node
        with node.lock:
            raw = node.sign_transaction(self._facilitator_key, {"to": REGISTRY_ADDRESS, "data": data, "gas": gas})
            tx_hash = "0x" + node.send_raw(raw).hex()
            receipt = node.rpc.handle({"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionReceipt", "params": [tx_hash]})["result"]
        return tx_hash, int(receipt["status"], 16), receipt

    def settle(self, v: Verified, mode: str, input_hash: str, output_hash: str,
               model: str = "", input_text: str = "", output_text: str = "") -> Settlement:
        st = Settlement(mode=mode, status="queued", processing_hash=v.processing_hash, payer=v.payer, network=self.network)
        with self._lock:
            self._settlements[v.processing_hash] = st
        if mode == "settle-batch":
            with self._lock:
                self._queue.append(_Queued(v, input_hash, output_hash, st))
            self._wake.set()
            return st
        try:
            if mode == "settle-metadata":
                data = selector(SIG_SETTLE_METADATA) + abi_encode(
                    ["bytes", "bytes32", "string", "string", "string"],
                    [v.transfer_call, _b32(v.processing_hash), model, input_text, output_text],
                )
                gas = 250_000 + 50 * len(data)
            else:
                data = selector(SIG_SETTLE) + abi_encode(
                    ["bytes", "bytes32", "bytes32", "bytes32"],
                    [v.transfer_call, _b32(v.processing_hash), _b32(input_hash), _b32(output_hash)],
                )
                gas = 250_000
            tx_hash, status, receipt = self._send(data, gas)
            st.transaction = tx_hash
            st.block = int(receipt["blockNumber"], 16)
            if status == 1:
                st.status = "settled"
            else:
                st.status = "failed"
                st.error = self._revert_reason(data) or "settlement transaction reverted"
        except Exception as exc:  # noqa: BLE001 - reported to the client
            st.status = "failed"
            st.error = f"settlement failed: {exc}"
        finally:
            self.release(v)
        return st

    def _revert_reason(self, data: bytes) -> str:
        from og_tui.devnet.chain import ChainError

        node = self.node
        try:
            with node.lock:
                node.chain.call({"from": to_canonical_address(self.facilitator), "to": to_canonical_address(REGISTRY_ADDRESS), "data": data})
        except ChainError as exc:
            return str(exc)
        except Exception:  # noqa: BLE001
            return ""
        return ""

    def status(self, processing_hash: str) -> Optional[Settlement]:
        with self._lock:
            return self._settlements.get(processing_hash.lower()) or self._settlements.get(processing_hash)

    def flush(self) -> Optional[str]:
        """Settle everything queued now in one transaction; returns its hash (None if nothing queued)."""
        with self._lock:
            batch, self._queue = self._queue, []
        if not batch:
            return None
        data = selector(SIG_SETTLE_BATCH) + abi_encode(
            ["bytes[]", "bytes32[]", "bytes32[]", "bytes32[]"],
            [[q.verified.transfer_call for q in batch], [_b32(q.verified.processing_hash) for q in batch],
             [_b32(q.input_hash) for q in batch], [_b32(q.output_hash) for q in batch]],
        )
        gas = 120_000 + len(batch) * (_SUBCALL_GAS + 30_000) + 20 * len(data)
        try:
            tx_hash, status, receipt = self._send(data, gas)
            ok_items = set()
            for entry in receipt.get("logs", []):
                topics = entry.get("topics") or []
                if topics and int(topics[0], 16) == TOPIC_BATCH_ITEM:
                    _payer, _value, ok = abi_decode(["address", "uint256", "bool"], bytes.fromhex(entry["data"][2:]))
                    if ok:
                        ok_items.add(topics[2].lower())
            for q in batch:
                q.settlement.transaction = tx_hash
                q.settlement.block = int(receipt["blockNumber"], 16)
                if status == 1 and q.verified.processing_hash.lower() in ok_items:
                    q.settlement.status = "settled"
                else:
                    q.settlement.status = "failed"
                    q.settlement.error = "the authorization could not be settled in the batch"
        except Exception as exc:  # noqa: BLE001
            tx_hash = None
            for q in batch:
                q.settlement.status = "failed"
                q.settlement.error = f"batch settlement failed: {exc}"
            log.exception("x402 batch settlement failed")
        finally:
            for q in batch:
                self.release(q.verified)
        return tx_hash

    def _batch_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                break
            # at most one batch every batch_seconds: wait out the interval, then settle all queued
            self._stop.wait(self.batch_seconds)
            try:
                self.flush()
            except Exception:  # noqa: BLE001
                log.exception("x402 batch loop")

    def close(self, flush: bool = True) -> Optional[str]:
        """Stop the batch loop; with ``flush``, settle what is still queued now (so a devnet
        stopped inside a batch interval does not drop payments it already accepted).
        Returns the batch transaction's hash, if one was sent."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        if not flush:
            return None
        try:
            return self.flush()
        except Exception:  # noqa: BLE001 - shutting down: log and go on
            log.exception("x402 batch settlement at shutdown failed")
            return None
