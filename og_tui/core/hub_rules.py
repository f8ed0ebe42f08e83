"""Model Hub naming and versioning rules.

Shared by the client (early, friendly errors) and the devnet hub (enforcement): model
names, their case-insensitive key, versions (``0.01`` steps, ``1.00`` majors) and
upload filenames. Pure functions; every refusal is a ValidationError naming the field.
"""

from __future__ import annotations

import re
import unicodedata
from typing import List, Tuple

from og_tui.core.errors import ValidationError

__all__ = [
    "MODEL_NAME_MAX",
    "FILENAME_MAX",
    "validate_model_name",
    "model_name_key",
    "parse_version",
    "format_version",
    "next_version",
    "safe_filename",
]

MODEL_NAME_MAX = 100
FILENAME_MAX = 255

_NAME_PUNCT = set("-_.")


def validate_model_name(name: object) -> str:
    """Return the NFC-normalized model name or raise ValidationError saying what is wrong.

    Allowed: letters and digits of any script (unicode), ``-``, ``_`` and ``.``; it must
    start with a letter or digit, be at most 100 characters, and contain no ``..``.
    Rejected: slashes and backslashes (names are URL path segments), whitespace,
    control characters and other symbols. Uniqueness is case-insensitive.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("A model name is required.", field="name")
    name = unicodedata.normalize("NFC", name)
    if len(name) > MODEL_NAME_MAX:
        raise ValidationError(
            f"A model name is at most {MODEL_NAME_MAX} characters (this one has {len(name)}).", field="name"
        )
    for ch in name:
        if ch in "/\\":
            raise ValidationError(
                "A model name cannot contain '/' or '\\'.", field="name", hint="Use '-' or '_' instead."
            )
        if unicodedata.category(ch).startswith("C"):
            raise ValidationError("A model name cannot contain control or invisible characters.", field="name")
        if ch.isspace():
            raise ValidationError("A model name cannot contain spaces.", field="name", hint="Use '-' or '_' instead.")
        if not (ch.isalnum() or ch in _NAME_PUNCT):
            raise ValidationError(
                f"A model name cannot contain {ch!r}; use letters, digits, '-', '_' and '.'.", field="name"
            )
    if ".." in name:
        raise ValidationError("A model name cannot contain '..'.", field="name")
    if not name[0].isalnum():
        raise ValidationError("A model name must start with a letter or a digit.", field="name")
    return name


def model_name_key(name: str) -> str:
    """Key for uniqueness: names differing only in case are the same model."""
    return unicodedata.normalize("NFC", name).casefold()


_VERSION_RE = re.compile(r"^\s*v?(\d{1,6})(?:\.(\d{1,2}))?\s*$")


def parse_version(text: object) -> Tuple[int, int]:
    """``"1.05"`` -> (1, 5). Accepts ``"1"``, ``"1.0"``, ``"1.00"`` (= 1.00) and ``"1.5"`` (= 1.50)."""
    m = _VERSION_RE.match(str(text)) if isinstance(text, (str, int)) else None
    if not m:
        raise ValidationError(f"{text!r} is not a version; versions look like 0.01, 0.02 or 1.00.", field="version")
    minor = m.group(2) or "0"
    return int(m.group(1)), int(minor.ljust(2, "0"))


def format_version(major: int, minor: int) -> str:
    return f"{major}.{minor:02d}"


def next_version(existing: "List[Tuple[int, int]]", is_major: bool) -> Tuple[int, int]:
    """The version the hub assigns next: minor steps of 0.01 (0.99 -> 1.00), major to the next whole number."""
    if not existing:
        return (1, 0) if is_major else (0, 1)
    major, minor = max(existing)
    if is_major:
        return major + 1, 0
    minor += 1
    return (major + 1, 0) if minor >= 100 else (major, minor)


def safe_filename(name: object) -> str:
    """Neutralize an upload filename: keep only its last path component, drop control
    characters, refuse ``.``/``..``/empty. Raises ValidationError."""
    if not isinstance(name, str):
        raise ValidationError("The upload has no filename.", field="file")
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C")).strip()
    if name in ("", ".", ".."):
        raise ValidationError("The upload filename is empty or not a file name.", field="file")
    while len(name.encode("utf-8")) > FILENAME_MAX:
        name = name[:-1]
    return name
