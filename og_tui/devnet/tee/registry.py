"""The devnet's TEE registry: a native system contract at the SDK's registry address.

Answers the views the OpenGradient SDK (1.1.4) and og-tui call, with the same ABI:

- ``getActiveTEEs(uint8 teeType) -> TEEInfo[]``: enabled TEEs of that type whose last
  heartbeat is fresh (at most ``ttl`` seconds old);
- ``getTEE(bytes32 teeId) -> TEEInfo`` (reverts for an unknown id);
- ``getTEEsByType(uint8) -> bytes32[]``, ``getEnabledTEEs(uint8) -> bytes32[]``,
  ``isTEEActive(bytes32) -> bool``, ``isTEEEnabled(bytes32) -> bool``.

``TEEInfo = (owner, paymentAddress, endpoint, publicKey, tlsCertificate, pcrHash, teeType,
enabled, registeredAt, lastHeartbeatAt, ohttpConfig(keyId, kemId, kdfId, aeadId, publicKey,
keyConfig, registeredAt))``; ``teeId = keccak256(publicKey)``.

The records are the devnet's own TEEs (its LLM gateway, registered at every start with
the endpoint it listens on); their heartbeat is the running gateway's, so they live in the
node's memory rather than in contract storage: a stopped devnet has no fresh heartbeat.
Every other function reverts: TEEs cannot be registered from outside.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Optional

from eth_abi import encode as abi_encode

from og_tui.core.tee import TEE_INFO_TYPE, TEE_TYPE_LLM_PROXY
from og_tui.devnet.native import NativeCall, selector

SEL_ACTIVE = selector("getActiveTEEs(uint8)")
SEL_ENABLED = selector("getEnabledTEEs(uint8)")
SEL_BY_TYPE = selector("getTEEsByType(uint8)")
SEL_GET = selector("getTEE(bytes32)")
SEL_IS_ACTIVE = selector("isTEEActive(bytes32)")
SEL_IS_ENABLED = selector("isTEEEnabled(bytes32)")

GAS_PER_WORD = 200  # reading a record costs like SLOADs of its words (roughly)
EMPTY_OHTTP = (0, 0, 0, 0, b"", b"", 0)


@dataclass(frozen=True)
class TeeRecord:
    tee_id: bytes  # 32 bytes: keccak256(public_key)
    owner: bytes  # 20 bytes
    payment_address: bytes
    endpoint: str
    public_key: bytes  # DER SubjectPublicKeyInfo
    tls_certificate: bytes  # DER
    pcr_hash: bytes  # 32 bytes
    tee_type: int = TEE_TYPE_LLM_PROXY
    enabled: bool = True
    registered_at: int = 0
    last_heartbeat_at: int = 0

    def abi_tuple(self) -> tuple:
        return (
            self.owner,
            self.payment_address,
            self.endpoint,
            self.public_key,
            self.tls_certificate,
            self.pcr_hash,
            self.tee_type,
            self.enabled,
            self.registered_at,
            self.last_heartbeat_at,
            EMPTY_OHTTP,
        )


class TeeRegistry:
    """The records and the contract handler (``registry(call)``)."""

    def __init__(self, ttl: float) -> None:
        self.ttl = float(ttl)
        self._records: dict[bytes, TeeRecord] = {}
        self._lock = threading.Lock()

    # -- the devnet's side ------------------------------------------------------------------
    def register(self, record: TeeRecord) -> None:
        with self._lock:
            self._records[record.tee_id] = record

    def heartbeat(self, tee_id: bytes, when: Optional[int] = None) -> int:
        now = int(time.time()) if when is None else int(when)
        with self._lock:
            rec = self._records[tee_id]
            self._records[tee_id] = replace(rec, last_heartbeat_at=max(now, rec.last_heartbeat_at))
            return self._records[tee_id].last_heartbeat_at

    def record(self, tee_id: bytes) -> Optional[TeeRecord]:
        with self._lock:
            return self._records.get(tee_id)

    def records(self) -> list[TeeRecord]:
        with self._lock:
            return sorted(self._records.values(), key=lambda r: r.registered_at)

    def is_active(self, rec: TeeRecord, now: Optional[float] = None) -> bool:
        now = time.time() if now is None else now
        return rec.enabled and now - rec.last_heartbeat_at <= self.ttl

    # -- the contract ------------------------------------------------------------------------
    def __call__(self, call: NativeCall) -> bytes:
        sel = call.selector
        if sel in (SEL_ACTIVE, SEL_ENABLED, SEL_BY_TYPE):
            (tee_type,) = call.decode(["uint8"])
            recs = [r for r in self.records() if r.tee_type == tee_type]
            if sel == SEL_ACTIVE:
                recs = [r for r in recs if self.is_active(r)]
                out = abi_encode([TEE_INFO_TYPE + "[]"], [[r.abi_tuple() for r in recs]])
            else:
                if sel == SEL_ENABLED:
                    recs = [r for r in recs if r.enabled]
                out = abi_encode(["bytes32[]"], [[r.tee_id for r in recs]])
            call.use_gas(GAS_PER_WORD * (len(out) // 32 + 1), "TEE registry read")
            return out
        if sel in (SEL_GET, SEL_IS_ACTIVE, SEL_IS_ENABLED):
            (tee_id,) = call.decode(["bytes32"])
            rec = self.record(bytes(tee_id))
            call.use_gas(GAS_PER_WORD * 4, "TEE registry read")
            if sel == SEL_IS_ACTIVE:
                return abi_encode(["bool"], [rec is not None and self.is_active(rec)])
            if sel == SEL_IS_ENABLED:
                return abi_encode(["bool"], [rec is not None and rec.enabled])
            if rec is None:
                call.revert("TEERegistry: unknown TEE")
            assert rec is not None
            out = abi_encode([TEE_INFO_TYPE], [rec.abi_tuple()])
            call.use_gas(GAS_PER_WORD * (len(out) // 32), "TEE registry read")
            return out
        call.revert(
            "TEERegistry (devnet): only the views getActiveTEEs, getTEE, getTEEsByType, getEnabledTEEs, "
            "isTEEActive and isTEEEnabled are served; the devnet registers its own TEEs"
        )
        return b""
