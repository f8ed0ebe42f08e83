"""The devnet as a TEE network: its LLM gateway registered in a TEE registry, every reply signed.

:func:`service_for` (called by the gateway) loads or creates the TEE keys
(:mod:`.identity`), installs the registry contract (:mod:`.registry`) at
``constants.TEE_REGISTRY_ADDRESS``, registers the gateway as an LLMProxy TEE (type 0)
with the HTTPS endpoint :mod:`.tls` serves, and keeps its heartbeat fresh while the devnet
runs. :meth:`TeeService.sign` gives the ``tee_*`` fields of a reply
(see :mod:`og_tui.core.tee_proof`).

Settings (environment of the devnet process):

- ``OG_TUI_DEVNET_TEE_HEARTBEAT_SECONDS`` (default 10): how often the heartbeat is renewed;
- ``OG_TUI_DEVNET_TEE_HEARTBEAT_TTL`` (default 3 heartbeats, at least 30 s): how old a
  heartbeat may be for ``getActiveTEEs`` to list the TEE;
- ``OG_TUI_DEVNET_TEE_TLS_PORT`` (default 0: any free port): the gateway's TLS port.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Optional

from eth_utils import keccak, to_canonical_address

from og_tui.core import constants
from og_tui.core.tee_proof import canonical_request_of, chat_output_for_hash, sign_fields

log = logging.getLogger(__name__)

ENV_HEARTBEAT = "OG_TUI_DEVNET_TEE_HEARTBEAT_SECONDS"
ENV_TTL = "OG_TUI_DEVNET_TEE_HEARTBEAT_TTL"
ENV_TLS_PORT = "OG_TUI_DEVNET_TEE_TLS_PORT"
DEFAULT_HEARTBEAT = 10.0
# no enclave measures this process: the PCR hash says so rather than imitating one
DEVNET_PCR_HASH = keccak(text="og-tui devnet TEE: no enclave, no PCR measurement")

__all__ = ["TeeService", "service_for", "heartbeat_settings"]


def _positive(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be more than 0 seconds, not {raw!r}")
    return value


def heartbeat_settings() -> tuple[float, float]:
    interval = _positive(ENV_HEARTBEAT, DEFAULT_HEARTBEAT)
    ttl = _positive(ENV_TTL, max(30.0, 3 * interval))
    return interval, ttl


class TeeService:
    def __init__(self, node: Any, payee: str, endpoint: str = "") -> None:
        from og_tui.devnet.tee.identity import TeeIdentity
        from og_tui.devnet.tee.registry import TeeRecord, TeeRegistry

        self.node = node
        self.identity = getattr(node, "tee_identity", None) or TeeIdentity(node.data_dir)
        self.interval, ttl = heartbeat_settings()
        self.registry = TeeRegistry(ttl)
        self.endpoint = endpoint
        self.tee_id = self.identity.tee_id
        self._id_bytes = bytes.fromhex(self.tee_id[2:])
        now = int(time.time())
        self.registry.register(
            TeeRecord(
                tee_id=self._id_bytes,
                owner=to_canonical_address(node.faucet_address),
                payment_address=to_canonical_address(payee),
                endpoint=endpoint,
                public_key=self.identity.public_key_der,
                tls_certificate=self.identity.tls_cert_der,
                pcr_hash=DEVNET_PCR_HASH,
                registered_at=self.identity.registered_at,
                last_heartbeat_at=now,
            )
        )
        node.register_native(constants.TEE_REGISTRY_ADDRESS, self.registry, name="TEERegistry")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="devnet-tee-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.registry.heartbeat(self._id_bytes)
            except Exception:  # noqa: BLE001 - a missed beat shows as a stale heartbeat
                log.exception("TEE heartbeat failed")

    def close(self) -> None:
        self._stop.set()

    def sign(self, kind: str, body: dict, output: str, timestamp: Optional[int] = None) -> dict:
        """The ``tee_*`` fields for a reply to ``body`` (the request as received) whose output is ``output``."""
        canonical = canonical_request_of(kind, body)
        when = int(time.time()) if timestamp is None else int(timestamp)
        return sign_fields(self.identity.signing_key, self.tee_id, canonical, output, when)

    def _sign_safely(self, kind: str, body: dict, output: str) -> dict:
        # the reply is paid for and generated: a request the proof cannot cover goes out unsigned
        # (clients show it as not verified) rather than failing
        try:
            return self.sign(kind, body, output)
        except Exception:  # noqa: BLE001
            log.exception("could not sign a TEE reply")
            return {}

    def sign_result(self, kind: str, body: dict, res: Any) -> dict:
        """The proof of a whole reply (a builtin/upstream GenResult)."""
        if kind == "completion":
            return self._sign_safely(kind, body, res.text or "")
        return self._sign_safely(kind, body, chat_output_for_hash(res.text, res.tool_calls, res.finish_reason))

    def sign_stream(self, body: dict, state: dict) -> dict:
        """The proof for a stream's final chunk: the text and tool calls it streamed."""
        output = chat_output_for_hash("".join(state["text"]), state["tool_calls"], state.get("finish") or "stop")
        return self._sign_safely("chat", body, output)


def service_for(node: Any, payee: str) -> TeeService:
    """The node's TEE service (created once; the endpoint is the TLS listener's, if one runs)."""
    svc = getattr(node, "_og_tee_service", None)
    if svc is None:
        svc = TeeService(node, payee, getattr(node, "tee_endpoint", "") or "")
        node._og_tee_service = svc
    return svc
