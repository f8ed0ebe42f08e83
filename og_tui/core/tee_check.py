"""The LLM client's check of each TEE reply (kept in ``ReplyMeta.tee``, saved with the message).

Every TEE-mode reply gets a :class:`~og_tui.core.tee_proof.TeeVerification`: verified only
when its ``tee_id`` is an active TEE of the profile's registry (``tee_registry_address``,
default the SDK's), both hashes recomputed from the request sent and the output received
match, and the RSA-PSS signature verifies with the registry's key. A reply without a proof,
or one the registry cannot confirm, is *not verified* with the reason; the check never
raises (a reply is never lost because its proof could not be checked).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from og_tui.core import constants
from og_tui.core.tee_proof import TEE_FIELDS, TeeVerification

_log = logging.getLogger(__name__)

__all__ = ["registry_address", "verifier_of", "verify_reply", "verify_stream"]


def registry_address(profile: Any) -> str:
    return getattr(profile, "tee_registry_address", None) or constants.TEE_REGISTRY_ADDRESS


REGISTRY_TIMEOUT = 10.0  # seconds for one registry read (a reply waits for it)


def verifier_of(client: Any) -> Any:
    verifier = getattr(client, "_tee_verifier", None)
    if verifier is None:
        from og_tui.core.tee import TeeVerifier

        verifier = TeeVerifier(client.profile.rpc_url, registry_address(client.profile), timeout=REGISTRY_TIMEOUT)
        client._tee_verifier = verifier
    return verifier


def _no_proof(fields: Any) -> Optional[TeeVerification]:
    """A reply that carries no proof at all is not verified, and the registry is not asked."""
    if isinstance(fields, dict) and any(fields.get(k) not in (None, "") for k in TEE_FIELDS):
        return None
    return TeeVerification(False, "the reply carries no TEE proof (no tee_signature, tee_id, ... fields)")


def _pinned(client: Any, result: TeeVerification) -> TeeVerification:
    """A reply over a pinned connection must come from that TEE."""
    tee = getattr(client, "tee", None)
    if tee is not None and result.verified and result.tee_id.lower() != tee.tee_id.lower():
        result.verified = False
        result.reason = f"signed by TEE {result.tee_id[:12]}…, not by {tee.short_id} this reply was sent to"
    return result


def _carry(result: TeeVerification, fields: Any) -> TeeVerification:
    """Keep the reply's signature and timestamp on the result even when the check stopped before reading them."""
    if isinstance(fields, dict):
        if not result.signature and isinstance(fields.get("tee_signature"), str):
            result.signature = fields["tee_signature"]
        if not result.timestamp:
            try:
                result.timestamp = int(fields.get("tee_timestamp") or 0)
            except (TypeError, ValueError):
                pass
        if not result.tee_id and isinstance(fields.get("tee_id"), str):
            result.tee_id = fields["tee_id"]
    return result


def _safely(fn: Callable[[], TeeVerification]) -> TeeVerification:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - the check must not cost the reply
        _log.debug("TEE proof check failed", exc_info=True)
        return TeeVerification(False, f"the proof could not be checked ({type(exc).__name__}: {exc})")


def verify_reply(client: Any, kind: str, body: dict[str, Any], data: Any) -> Optional[TeeVerification]:
    """The check of a whole (non-streamed) reply ``data`` to ``body``."""
    if not isinstance(data, dict):
        return TeeVerification(False, "the reply is not a JSON object")
    missing = _no_proof(data)
    if missing is not None:
        return missing
    result = _safely(lambda: verifier_of(client).verify(kind, body, data))
    return _pinned(client, _carry(result, data))


def verify_stream(client: Any, body: dict[str, Any], stream: Any) -> Optional[TeeVerification]:
    """The check of a finished stream: its proof chunk against the text and tool calls received."""
    missing = _no_proof(stream.tee_frame)
    if missing is not None:
        return missing
    result = _safely(
        lambda: verifier_of(client).verify_stream(
            body, stream.tee_frame, stream.text, stream.tool_calls, stream.meta.finish_reason
        )
    )
    return _pinned(client, _carry(result, stream.tee_frame))
