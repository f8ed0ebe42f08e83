"""What a TEE signs for each LLM reply, and how a client checks it (pure functions).

A TEE gateway signs every reply with its RSA key (the key the on-chain TEE registry
records for it):

- ``request_hash = keccak256(json.dumps(canonical_request, sort_keys=True))``, where the
  canonical request keeps only the fields the gateway commits to (:func:`canonical_chat`,
  :func:`canonical_completion`);
- ``output_hash = keccak256(output)``: the assistant text, or for a tool-call reply
  ``json.dumps(tool_calls, sort_keys=True)`` (:func:`chat_output_for_hash`);
- ``message = keccak256(request_hash || output_hash || uint256(timestamp))``;
- ``tee_signature = base64(RSA-PSS(SHA-256, MGF1-SHA-256, salt 32)(message))``;
- ``tee_id = 0x + keccak256(DER SubjectPublicKeyInfo of the signing key)``.

The reply carries ``tee_signature``, ``tee_request_hash``, ``tee_output_hash`` (hex),
``tee_timestamp`` (unix seconds) and ``tee_id``; a stream carries them on its final chunk.
The devnet's gateway signs with :func:`sign_fields`; clients check with :func:`verify_fields`,
which recomputes both hashes from what was sent and received and never trusts the reported
ones. This is the scheme of the OpenGradient SDK 1.1.4 (``tee_verify``).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass
from typing import Any, Optional

from eth_utils import keccak

__all__ = [
    "TEE_FIELDS",
    "TeeVerification",
    "canonical_chat",
    "canonical_completion",
    "canonical_request_of",
    "request_hash",
    "output_hash",
    "message_hash",
    "chat_output_for_hash",
    "tee_id_of",
    "sign_fields",
    "verify_fields",
    "ProofError",
]

TEE_FIELDS = ("tee_signature", "tee_request_hash", "tee_output_hash", "tee_timestamp", "tee_id")
PSS_SALT_LENGTH = 32


class ProofError(ValueError):
    """A request that cannot be put in canonical form, or a reply that fails a check."""


# --- canonical request ------------------------------------------------------------------------


def _user_content(content: Any) -> Any:
    """Text stays as it is; of an attachment only its type (and file name) is committed to."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return str(content)
    out: list[Any] = []
    for part in content:
        if not isinstance(part, dict):
            out.append({"type": "text", "text": str(part)})
        elif part.get("type") == "text":
            out.append({"type": "text", "text": part.get("text", "") or ""})
        else:
            entry: dict[str, Any] = {"type": part.get("type")}
            file_obj = part.get("file")
            name = (file_obj.get("filename") if isinstance(file_obj, dict) else None) or part.get("filename")
            if name:
                entry["filename"] = name
            out.append(entry)
    return out


def _message(msg: Any) -> dict[str, Any]:
    if not isinstance(msg, dict):
        raise ProofError(f"each message must be a JSON object, not {type(msg).__name__}")
    role = msg.get("role")
    if role in ("system", "developer"):
        return {"role": "system", "content": msg.get("content")}
    if role == "user":
        return {"role": "user", "content": _user_content(msg.get("content"))}
    if role == "assistant":
        out: dict[str, Any] = {"role": "assistant", "content": msg.get("content") or ""}
        calls = msg.get("tool_calls")
        if calls:
            out["tool_calls"] = [
                {
                    "id": tc.get("id", ""),
                    "type": tc.get("type", "function"),
                    "function": {
                        "name": (tc.get("function") or {}).get("name", ""),
                        "arguments": (tc.get("function") or {}).get("arguments", ""),
                    },
                }
                for tc in calls
            ]
        return out
    if role == "tool":
        return {"role": "tool", "content": msg.get("content"), "tool_call_id": msg.get("tool_call_id")}
    if role == "function":
        return {"role": "function", "content": msg.get("content"), "name": msg.get("name")}
    raise ProofError(f"unknown message role: {role!r}")


def _common(body: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    temperature = body.get("temperature")
    out["temperature"] = float(temperature) if temperature is not None else 0.0
    if body.get("max_tokens") is not None:
        out["max_tokens"] = body["max_tokens"]
    if body.get("stop"):
        out["stop"] = body["stop"]
    return out


def canonical_chat(body: dict[str, Any]) -> dict[str, Any]:
    """The part of a ``/v1/chat/completions`` body the signature commits to.

    ``tool_choice``, ``stream`` and any other field are left out (the gateway does not
    commit to them either).
    """
    if not isinstance(body, dict):
        raise ProofError("the request body must be a JSON object")
    model = body.get("model")
    messages = body.get("messages")
    if not isinstance(model, str) or not model:
        raise ProofError("the request has no 'model'")
    if not isinstance(messages, list) or not messages:
        raise ProofError("the request has no 'messages'")
    out: dict[str, Any] = {"model": model, "messages": [_message(m) for m in messages]}
    _common(body, out)
    if body.get("tools"):
        if not isinstance(body["tools"], list):
            raise ProofError("'tools' must be a list")
        out["tools"] = body["tools"]
    if body.get("response_format"):
        out["response_format"] = body["response_format"]
    if body.get("web_search"):
        out["web_search"] = True
    return out


def canonical_completion(body: dict[str, Any]) -> dict[str, Any]:
    """The part of a ``/v1/completions`` body the signature commits to (model, prompt,
    temperature, and max_tokens / stop when given)."""
    if not isinstance(body, dict):
        raise ProofError("the request body must be a JSON object")
    model = body.get("model")
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]  # OpenAI's one-prompt batch form
    if not isinstance(model, str) or not model:
        raise ProofError("the request has no 'model'")
    if not isinstance(prompt, str):
        raise ProofError("the request has no text 'prompt'")
    out: dict[str, Any] = {"model": model, "prompt": prompt}
    _common(body, out)
    if body.get("web_search"):
        out["web_search"] = True
    return out


def canonical_request_of(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return canonical_completion(body) if kind == "completion" else canonical_chat(body)


# --- hashes -------------------------------------------------------------------------------------


def request_hash(canonical: dict[str, Any]) -> bytes:
    return keccak(json.dumps(canonical, sort_keys=True).encode("utf-8"))


def output_hash(output: str) -> bytes:
    return keccak(output.encode("utf-8"))


def message_hash(req_hash: bytes, out_hash: bytes, timestamp: int) -> bytes:
    return keccak(bytes(req_hash) + bytes(out_hash) + int(timestamp).to_bytes(32, "big"))


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return ""


def chat_output_for_hash(content: Any, tool_calls: Any, finish_reason: Optional[str]) -> str:
    """The exact string a chat reply's output hash covers."""
    if finish_reason == "tool_calls" and isinstance(tool_calls, list) and tool_calls:
        return json.dumps(tool_calls, sort_keys=True)
    return _text(content)


def tee_id_of(public_key_der: bytes) -> str:
    return "0x" + keccak(bytes(public_key_der)).hex()


def _short(tee_id: str) -> str:
    """A TEE id cut short for messages (a full 32-byte hex would be redacted as a possible key)."""
    return tee_id[:12] + "…" if len(tee_id) > 12 else tee_id


def _strip0x(value: str) -> str:
    return value[2:] if value[:2].lower() == "0x" else value


# --- signing (the gateway) and checking (clients) -------------------------------------------------


def sign_fields(
    private_key: Any, tee_id: str, canonical: dict[str, Any], output: str, timestamp: int
) -> dict[str, Any]:
    """The ``tee_*`` fields of a reply, signed with ``private_key`` (a cryptography RSA key)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    rh = request_hash(canonical)
    oh = output_hash(output)
    signature = private_key.sign(
        message_hash(rh, oh, timestamp),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH),
        hashes.SHA256(),
    )
    return {
        "tee_signature": base64.b64encode(signature).decode("ascii"),
        "tee_request_hash": rh.hex(),
        "tee_output_hash": oh.hex(),
        "tee_timestamp": int(timestamp),
        "tee_id": tee_id,
    }


@dataclass
class TeeVerification:
    """The outcome of checking one reply: ``verified`` and, when not, ``reason``."""

    verified: bool
    reason: str = ""
    tee_id: str = ""
    endpoint: str = ""
    timestamp: int = 0
    request_hash: str = ""
    output_hash: str = ""
    signature: str = ""

    @property
    def summary(self) -> str:
        who = f"TEE {self.tee_id[:10]}…" if self.tee_id else "TEE"
        if self.verified:
            return f"{who} signature verified"
        return f"{who} NOT verified: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Optional["TeeVerification"]:
        if not isinstance(data, dict) or "verified" not in data:
            return None
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def verify_fields(
    fields: dict[str, Any], canonical: dict[str, Any], output: str, public_key_der: bytes, endpoint: str = ""
) -> TeeVerification:
    """Check a reply's ``tee_*`` ``fields`` against the request sent (``canonical``), the
    output received and the registry's key for the TEE. Never raises for a bad reply:
    the result says what failed."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

    reported_id = fields.get("tee_id")
    result = TeeVerification(False, tee_id=reported_id if isinstance(reported_id, str) else "", endpoint=endpoint)
    missing = [k for k in TEE_FIELDS if fields.get(k) in (None, "")]
    if missing:
        result.reason = "the reply carries no TEE proof (missing " + ", ".join(missing) + ")"
        return result
    signature = fields["tee_signature"]
    result.signature = str(signature)
    try:
        timestamp = int(fields["tee_timestamp"])
    except (TypeError, ValueError):
        result.reason = f"tee_timestamp is not a whole number: {fields['tee_timestamp']!r}"
        return result
    result.timestamp = timestamp
    key_id = tee_id_of(public_key_der)
    if _strip0x(str(reported_id)).lower() != _strip0x(key_id).lower():
        result.reason = (
            f"tee_id mismatch: the reply names {_short(str(reported_id))}, the registry key is {_short(key_id)}"
        )
        return result
    rh = request_hash(canonical)
    oh = output_hash(output)
    result.request_hash, result.output_hash = rh.hex(), oh.hex()
    if _strip0x(str(fields["tee_request_hash"])).lower() != rh.hex():
        result.reason = (
            f"request hash mismatch: the TEE signed another request (computed {rh.hex()[:16]}…, "
            f"signed {_strip0x(str(fields['tee_request_hash']))[:16]}…)"
        )
        return result
    if _strip0x(str(fields["tee_output_hash"])).lower() != oh.hex():
        result.reason = (
            f"output hash mismatch: the reply's content is not what the TEE signed (computed {oh.hex()[:16]}…, "
            f"signed {_strip0x(str(fields['tee_output_hash']))[:16]}…)"
        )
        return result
    try:
        key = serialization.load_der_public_key(bytes(public_key_der))
    except ValueError as exc:
        result.reason = f"the registry's public key for this TEE cannot be read ({exc})"
        return result
    if not isinstance(key, RSAPublicKey):
        result.reason = "the registry's public key for this TEE is not an RSA key"
        return result
    try:
        raw = base64.b64decode(str(signature), validate=True)
    except (binascii.Error, ValueError):
        result.reason = "tee_signature is not base64"
        return result
    try:
        key.verify(
            raw,
            message_hash(rh, oh, timestamp),
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH),
            hashes.SHA256(),
        )
    except InvalidSignature:
        result.reason = "the RSA-PSS signature does not verify with the registry's key for this TEE"
        return result
    result.verified = True
    return result
