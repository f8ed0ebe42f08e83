"""The one rule for passphrases a user chooses (wallet keystores, the saved hub sign-in,
exported keystores), shared by the CLI and the app so the two cannot disagree."""

from __future__ import annotations

from typing import Optional

from og_tui.core.errors import ValidationError

MIN_PASSPHRASE_CHARS = 8


def check_new_passphrase(
    value: Optional[str], confirm: Optional[str] = None, *, allow_empty: bool = False
) -> Optional[str]:
    """Return ``value`` when it is acceptable as a new passphrase, else raise ValidationError.

    ``allow_empty`` accepts an empty value (returned as None) where the caller can keep the
    secret without one (the OS keyring). ``confirm``, when given, must repeat ``value``.
    """
    if not value:
        if allow_empty:
            return None
        raise ValidationError(f"Use a passphrase of at least {MIN_PASSPHRASE_CHARS} characters.", field="passphrase")
    if len(value) < MIN_PASSPHRASE_CHARS:
        raise ValidationError(
            f"Use a passphrase of at least {MIN_PASSPHRASE_CHARS} characters"
            + (", or leave it empty." if allow_empty else "."),
            field="passphrase",
        )
    if confirm is not None and value != confirm:
        raise ValidationError("The two passphrases differ: type the same passphrase twice.", field="passphrase")
    return value
