"""TEEs of an OpenGradient network: discovery through the registry, TLS pinning, reply checks.

    tees = discover(chain, constants.TEE_REGISTRY_ADDRESS)       # getActiveTEEs(0) via eth_call
    tee = tees[0]; tee.endpoint, tee.tee_id, tee.heartbeat_age()
    check_pin(tee)                      # TeeCertificateMismatch unless the TLS cert is the registered one
    http = pinned_client(tee)           # an httpx.Client that trusts only that certificate
    verifier = TeeVerifier(chain, registry_address)
    result = verifier.verify("chat", request_body, reply_json)  # TeeVerification (verified / reason)
    client = llm_client_via_registry(profile, signer)  # an LLMClient on a pinned registry TEE

The registry (SDK 1.1.4's ``TEERegistry``) lists each TEE's endpoint, RSA signing key
(DER), TLS certificate (DER), PCR hash, type, heartbeat; the TEE id is keccak256 of the
key. A reply is accepted as verified only when its ``tee_id`` is an active TEE of the
registry and the signature over the recomputed request and output hashes verifies with
that TEE's registered key (:mod:`og_tui.core.tee_proof`).
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlsplit

from og_tui.core.errors import ChainError, LLMError, NetworkUnreachable
from og_tui.core.tee_proof import (
    TeeVerification,
    canonical_request_of,
    chat_output_for_hash,
    verify_fields,
)

__all__ = [
    "TEE_INFO_TYPE",
    "TEE_TYPE_LLM_PROXY",
    "TEE_TYPE_VALIDATOR",
    "TeeEndpoint",
    "TeeCertificateMismatch",
    "discover",
    "decode_tees",
    "pinned_ssl_context",
    "pinned_client",
    "check_pin",
    "TeeVerifier",
    "reply_output",
    "llm_client_via_registry",
]

TEE_TYPE_LLM_PROXY = 0
TEE_TYPE_VALIDATOR = 1
TEE_TYPE_NAMES = {TEE_TYPE_LLM_PROXY: "LLMProxy", TEE_TYPE_VALIDATOR: "Validator"}
OHTTP_CONFIG_TYPE = "(uint8,uint16,uint16,uint16,bytes,bytes,uint256)"
# (owner, paymentAddress, endpoint, publicKey, tlsCertificate, pcrHash, teeType, enabled,
#  registeredAt, lastHeartbeatAt, ohttpConfig)
TEE_INFO_TYPE = f"(address,address,string,bytes,bytes,bytes32,uint8,bool,uint256,uint256,{OHTTP_CONFIG_TYPE})"
SIG_GET_ACTIVE_TEES = "getActiveTEEs(uint8)"


class TeeCertificateMismatch(LLMError):
    """A TEE presented a TLS certificate other than the one the registry records for it."""

    default_hint = "Nothing was sent to it. Pick another TEE, or check the registry address of the profile."


@dataclass(frozen=True)
class TeeEndpoint:
    tee_id: str  # 0x + keccak256(public_key)
    endpoint: str
    public_key_der: bytes
    tls_cert_der: bytes
    pcr_hash: str  # 0x hex
    tee_type: int
    enabled: bool
    owner: str
    payment_address: str
    registered_at: int
    last_heartbeat_at: int

    @property
    def type_name(self) -> str:
        return TEE_TYPE_NAMES.get(self.tee_type, str(self.tee_type))

    def heartbeat_age(self, now: Optional[float] = None) -> float:
        return max(0.0, (time.time() if now is None else now) - self.last_heartbeat_at)

    @property
    def short_id(self) -> str:
        return self.tee_id[:12] + "…"


def _selector(signature: str) -> bytes:
    from eth_utils import keccak

    return keccak(text=signature)[:4]


def decode_tees(raw: bytes) -> list[TeeEndpoint]:
    """``getActiveTEEs`` return data -> TeeEndpoint list (records without endpoint or cert are kept;
    callers decide)."""
    from eth_abi import decode
    from eth_utils import keccak, to_checksum_address

    (items,) = decode([TEE_INFO_TYPE + "[]"], raw)
    out = []
    for it in items:
        owner, pay, endpoint, pub, cert, pcr, ttype, enabled, reg_at, hb_at, _ohttp = it
        out.append(
            TeeEndpoint(
                tee_id="0x" + keccak(bytes(pub)).hex(),
                endpoint=str(endpoint),
                public_key_der=bytes(pub),
                tls_cert_der=bytes(cert),
                pcr_hash="0x" + bytes(pcr).hex(),
                tee_type=int(ttype),
                enabled=bool(enabled),
                owner=to_checksum_address(owner),
                payment_address=to_checksum_address(pay),
                registered_at=int(reg_at),
                last_heartbeat_at=int(hb_at),
            )
        )
    return out


def discover(chain: Any, registry_address: str, tee_type: int = TEE_TYPE_LLM_PROXY) -> list[TeeEndpoint]:
    """The registry's active TEEs of ``tee_type`` (``chain``: a ChainClient or an RPC URL)."""
    from eth_abi import encode

    if isinstance(chain, str):
        from og_tui.core.chain import ChainClient

        with ChainClient(chain) as client:
            return discover(client, registry_address, tee_type)
    data = "0x" + (_selector(SIG_GET_ACTIVE_TEES) + encode(["uint8"], [int(tee_type)])).hex()
    try:
        raw = chain.call({"to": registry_address, "data": data})
    except ChainError as exc:
        raise ChainError(
            f"The TEE registry at {registry_address} could not be read ({exc}).",
            hint="Check the profile's RPC URL and TEE registry address.",
        ) from None
    body = bytes.fromhex(str(raw)[2:] if str(raw).startswith("0x") else str(raw))
    if not body:
        raise ChainError(
            f"There is no TEE registry at {registry_address} on this network (the call returned nothing).",
            hint="Check the profile's TEE registry address.",
        )
    try:
        return decode_tees(body)
    except Exception as exc:  # noqa: BLE001 - a contract that is not a registry
        raise ChainError(f"The contract at {registry_address} did not answer like a TEE registry ({exc}).") from None


# --- TLS pinned to the registered certificate ---------------------------------------------------


def pinned_ssl_context(cert_der: bytes) -> ssl.SSLContext:
    """A client context that trusts exactly ``cert_der`` (host names are not checked: a TEE is
    often addressed by IP while its certificate names a host)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=ssl.DER_cert_to_PEM_cert(bytes(cert_der)))
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _host_port(endpoint: str) -> tuple[str, int]:
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.hostname:
        raise TeeCertificateMismatch(
            f"The TEE endpoint {endpoint!r} is not an https:// URL, so its certificate cannot be pinned."
        )
    return parts.hostname, parts.port or 443


def presented_certificate(endpoint: str, timeout: float = 10.0) -> bytes:
    """The DER certificate the server at ``endpoint`` presents (read without trusting it)."""
    host, port = _host_port(endpoint)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise NetworkUnreachable(f"Cannot reach the TEE at {endpoint} ({exc}).") from None
    if not der:
        raise TeeCertificateMismatch(f"The TEE at {endpoint} presented no certificate.")
    return der


def check_pin(tee: TeeEndpoint, timeout: float = 10.0) -> None:
    """Raise TeeCertificateMismatch unless ``tee.endpoint`` presents the registered certificate."""
    import hashlib

    if not tee.tls_cert_der:
        raise TeeCertificateMismatch(f"The registry records no TLS certificate for TEE {tee.short_id}.")
    der = presented_certificate(tee.endpoint, timeout)
    if der != tee.tls_cert_der:
        seen = hashlib.sha256(der).hexdigest()[:16]
        want = hashlib.sha256(tee.tls_cert_der).hexdigest()[:16]
        raise TeeCertificateMismatch(
            f"The TEE at {tee.endpoint} presented a TLS certificate (sha256 {seen}…) that is not the one "
            f"the registry records for TEE {tee.short_id} (sha256 {want}…); refusing to talk to it."
        )


def pinned_client(tee: TeeEndpoint, timeout: float = 60.0) -> Any:
    """An httpx.Client for ``tee`` that accepts only its registered certificate (checked first)."""
    import httpx

    check_pin(tee)
    return httpx.Client(
        verify=pinned_ssl_context(tee.tls_cert_der),
        timeout=httpx.Timeout(timeout, connect=15.0, write=30.0, pool=10.0),
        follow_redirects=False,
    )


# --- reply verification ---------------------------------------------------------------------------


def reply_output(kind: str, reply: dict[str, Any]) -> str:
    """The output string a non-streamed reply's hash covers."""
    choices = reply.get("choices") if isinstance(reply, dict) else None
    first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
    if kind == "completion":
        text = reply.get("completion")
        if text is None:
            text = first.get("text", "")
        return text if isinstance(text, str) else ""
    raw_message = first.get("message")
    message: dict[str, Any] = raw_message if isinstance(raw_message, dict) else {}
    return chat_output_for_hash(message.get("content"), message.get("tool_calls"), first.get("finish_reason"))


class TeeVerifier:
    """Checks replies against one registry (its active TEEs are read again after ``ttl`` seconds
    or when a reply names a TEE not seen yet)."""

    def __init__(self, chain: Any, registry_address: str, ttl: float = 60.0, timeout: float = 10.0) -> None:
        if isinstance(chain, str):
            from og_tui.core.chain import ChainClient

            chain = ChainClient(chain, timeout=timeout)
            self._owned: Any = chain
        else:
            self._owned = None
        self.chain = chain
        self.registry_address = registry_address
        self.ttl = ttl
        self._tees: dict[str, TeeEndpoint] = {}
        self._read_at = 0.0
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()

    def tees(self, refresh: bool = False) -> dict[str, TeeEndpoint]:
        with self._lock:
            if refresh or not self._read_at or time.monotonic() - self._read_at > self.ttl:
                found = discover(self.chain, self.registry_address)
                self._tees = {t.tee_id.lower(): t for t in found}
                self._read_at = time.monotonic()
            return dict(self._tees)

    def tee_for(self, tee_id: str) -> Optional[TeeEndpoint]:
        key = (tee_id or "").lower()
        if not key.startswith("0x"):
            key = "0x" + key
        tee = self.tees().get(key)
        if tee is None:
            tee = self.tees(refresh=True).get(key)
        return tee

    def verify_output(
        self, kind: str, request_body: dict[str, Any], fields: dict[str, Any], output: str
    ) -> TeeVerification:
        tee_id = fields.get("tee_id") if isinstance(fields, dict) else None
        if not isinstance(tee_id, str) or not tee_id:
            return TeeVerification(False, "the reply carries no TEE proof (no tee_id)")
        try:
            canonical = canonical_request_of(kind, request_body)
        except ValueError as exc:
            return TeeVerification(False, f"the request cannot be put in canonical form ({exc})", tee_id=tee_id)
        try:
            tee = self.tee_for(tee_id)
        except ChainError as exc:
            return TeeVerification(False, f"the TEE registry could not be read: {exc}", tee_id=tee_id)
        if tee is None:
            return TeeVerification(
                False, f"TEE {tee_id[:12]}… is not an active TEE of the registry {self.registry_address}", tee_id=tee_id
            )
        return verify_fields(fields, canonical, output, tee.public_key_der, tee.endpoint)

    def verify(self, kind: str, request_body: dict[str, Any], reply: dict[str, Any]) -> TeeVerification:
        """Check a non-streamed reply (the JSON body) to ``request_body``."""
        return self.verify_output(kind, request_body, reply, reply_output(kind, reply))

    def verify_stream(
        self,
        request_body: dict[str, Any],
        final_chunk: Optional[dict[str, Any]],
        text: str,
        tool_calls: list[Any],
        finish: Optional[str],
    ) -> TeeVerification:
        """Check a streamed chat reply: its final chunk's proof against the text and tool calls received."""
        if not final_chunk:
            return TeeVerification(False, "the stream ended without a signed final chunk")
        return self.verify_output("chat", request_body, final_chunk, chat_output_for_hash(text, tool_calls, finish))


def llm_client_via_registry(profile: Any, signer: Any = None, **kwargs: Any) -> Any:
    """An LLMClient talking to an active LLMProxy TEE of the profile's registry, over TLS pinned
    to its registered certificate. The freshest heartbeat is tried first; a TEE that cannot be
    reached or presents another certificate is skipped (the error names each one when none is left)."""
    from og_tui.core.llm import LLMClient
    from og_tui.core.tee_check import registry_address

    address = registry_address(profile)
    tees = [t for t in discover(profile.rpc_url, address) if t.endpoint and t.tls_cert_der]
    if not tees:
        raise LLMError(
            f"The TEE registry {address} lists no active LLM TEE with an endpoint and a certificate.",
            hint="Check the profile's RPC URL and TEE registry address, or try again later.",
        )
    problems = []
    for tee in sorted(tees, key=lambda t: -t.last_heartbeat_at):
        try:
            return LLMClient(profile, signer, tee=tee, **kwargs)
        except (TeeCertificateMismatch, NetworkUnreachable) as exc:
            problems.append(f"{tee.endpoint}: {exc}")
    raise TeeCertificateMismatch("No TEE of the registry could be used: " + " | ".join(problems))
