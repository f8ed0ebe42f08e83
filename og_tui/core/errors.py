"""One exception family for everything og-tui can report to a user.

Every error carries a readable sentence (``str(err)``) and, where there is one, a
``hint``: what the user can do about it. Messages pass through :func:`redact`, so an
error can never leak something that looks like a private key, whatever a lower layer
put into its text.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Optional

__all__ = [
    "OGError",
    "ConfigError",
    "SecretsError",
    "WrongPassphrase",
    "WalletNotFound",
    "NoSuchWallet",
    "KeyringUnavailable",
    "ValidationError",
    "ChainError",
    "NetworkUnreachable",
    "TxReverted",
    "InsufficientFunds",
    "NonceError",
    "HubError",
    "AuthError",
    "PaymentError",
    "SpendCapExceeded",
    "LLMError",
    "UnknownModel",
    "UpstreamUnavailable",
    "StreamInterrupted",
    "ToolCallError",
    "redact",
    "REDACTED",
    "UserMessage",
    "user_message",
]

REDACTED = "[redacted]"

# 64 hex digits (optionally 0x-prefixed) not embedded in a longer hex run. A 32-byte
# transaction hash looks the same as a private key; redacting those too is the price
# of never leaking a key, so callers that need to show a tx hash keep it in a field
# (``TxReverted.tx_hash``) rather than in the message.
_KEY_RE = re.compile(r"(?<![0-9A-Za-z])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9A-Za-z])")


def redact(text: object) -> str:
    """Return ``text`` as a string with every 32-byte hex secret replaced by ``[redacted]``."""
    if text is None:
        return ""
    return _KEY_RE.sub(REDACTED, str(text))


class OGError(Exception):
    """Base of every og-tui error. ``str(err)`` is a user-readable sentence."""

    default_hint: Optional[str] = None

    def __init__(self, message: str = "", *, hint: Optional[str] = None) -> None:
        self.message = redact(message)
        self.hint = redact(hint) if hint is not None else self.default_hint
        super().__init__(self.message)

    def __str__(self) -> str:
        return redact(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def user_text(self) -> str:
        """Message plus hint, for a notification or a CLI error line."""
        if self.hint:
            return f"{self} {self.hint}" if str(self).endswith((".", "!", "?")) else f"{self}. {self.hint}"
        return str(self)


# --- configuration and secrets --------------------------------------------------


class ConfigError(OGError):
    default_hint = "Check config.toml and the OG_TUI_* environment variables."


class SecretsError(OGError):
    pass


class WrongPassphrase(SecretsError):
    default_hint = "Check the passphrase and try again; nothing was changed."

    def __init__(self, message: str = "Wrong passphrase.", *, hint: Optional[str] = None) -> None:
        super().__init__(message, hint=hint)


class WalletNotFound(SecretsError):
    default_hint = "List the wallets to see which ones exist, or import the key again."


NoSuchWallet = WalletNotFound  # name used in the team notes


class KeyringUnavailable(SecretsError):
    default_hint = "The OS keyring is not usable here; keys are kept in passphrase-encrypted keystore files."


class ValidationError(OGError):
    """Bad user input (address, amount, key, field of a form)."""

    def __init__(self, message: str = "", *, field: Optional[str] = None, hint: Optional[str] = None) -> None:
        self.field = field
        super().__init__(message, hint=hint)


# --- chain ---------------------------------------------------------------------


class ChainError(OGError):
    pass


class NetworkUnreachable(ChainError):
    default_hint = "Check the RPC URL of the active profile, or start the devnet (og-tui devnet)."


class TxReverted(ChainError):
    def __init__(
        self,
        message: str = "The transaction was reverted.",
        *,
        reason: Optional[str] = None,
        tx_hash: Optional[str] = None,
        hint: Optional[str] = None,
    ) -> None:
        self.reason = reason
        self.tx_hash = tx_hash
        super().__init__(message, hint=hint)


class InsufficientFunds(ChainError):
    default_hint = "Top the wallet up (on devnet: the faucet) and retry."


class NonceError(ChainError):
    default_hint = "Another transaction from this wallet may be pending; wait and retry."


# --- services --------------------------------------------------------------------


class HubError(OGError):
    def __init__(self, message: str = "", *, status: Optional[int] = None, hint: Optional[str] = None) -> None:
        self.status = status
        super().__init__(message, hint=hint)


class AuthError(HubError):
    default_hint = "Sign in again with your Model Hub email and password."


class PaymentError(OGError):
    pass


class SpendCapExceeded(PaymentError):
    default_hint = "Raise the spend cap in the settings if you meant to pay this much."


# --- LLM -------------------------------------------------------------------------


class LLMError(OGError):
    """The LLM server or the on-chain LLM call failed; ``status``/``code``/``backend`` say where."""

    def __init__(
        self,
        message: str = "",
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        backend: Optional[str] = None,
        hint: Optional[str] = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code
        self.backend = backend


class UnknownModel(LLMError):
    default_hint = "Pick a model the server lists (GET /v1/models; on devnet e.g. og-devnet/mini)."


class UpstreamUnavailable(LLMError):
    default_hint = "Start the upstream model server, or use the devnet's builtin model."


class StreamInterrupted(LLMError):
    """The stream broke off. ``partial_text`` / ``tool_calls`` / ``meta`` (a ReplyMeta) hold what arrived."""

    default_hint = "The partial reply was kept; retry to get a full one."

    def __init__(
        self,
        message: str,
        *,
        partial_text: str = "",
        tool_calls: Optional[list[dict[str, Any]]] = None,
        meta: Any = None,
        hint: Optional[str] = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.partial_text = partial_text
        self.tool_calls = tool_calls or []
        self.meta = meta


class ToolCallError(ValidationError):
    """A tool call whose arguments do not parse as a JSON object."""


# --- what the user sees ------------------------------------------------------------


class UserMessage(NamedTuple):
    """A sentence for the user and, where there is one, what to do about it."""

    text: str
    hint: Optional[str] = None

    def joined(self, sep: str = "\n") -> str:
        """Text and hint in one string (the hint on its own line by default)."""
        return f"{self.text}{sep}{self.hint}" if self.hint else self.text


def user_message(exc: BaseException) -> UserMessage:
    """What to show for ``exc``: never a traceback, never a key.

    An :class:`OGError` speaks for itself (its sentence and hint). Anything else is an
    unexpected failure, shown with its type so it can be reported: ``"OSError: disk full"``,
    or just the type name when the exception carries no text.
    """
    if isinstance(exc, OGError):
        return UserMessage(str(exc), exc.hint)
    detail = redact(exc)
    name = type(exc).__name__
    return UserMessage(redact(f"{name}: {detail}") if detail else name, None)
