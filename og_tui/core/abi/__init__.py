"""Contract ABIs shipped with og-tui (JSON files beside this module).

``load_abi("inference_hub")`` returns the parsed list; results are cached and shared, so
treat them as read-only. Only the standard library is imported here; ``selector`` and
``event_topic`` import eth_utils lazily.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "ABI_DIR",
    "abi_names",
    "load_abi",
    "find_entry",
    "canonical_type",
    "signature",
    "selector",
    "event_topic",
]

ABI_DIR = Path(__file__).resolve().parent


def abi_names() -> list[str]:
    """Names of the ABIs available (file stems)."""
    return sorted(p.stem for p in ABI_DIR.glob("*.json"))


@lru_cache(maxsize=None)
def load_abi(name: str) -> list[dict[str, Any]]:
    """The ABI ``name`` (``"inference_hub"`` or ``"inference_hub.json"``) as a list of entries."""
    stem = name[:-5] if name.endswith(".json") else name
    if not stem or "/" in stem or "\\" in stem or stem.startswith("."):
        raise ValueError(f"bad ABI name {name!r}")
    path = ABI_DIR / f"{stem}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"no ABI named {stem!r}; known: {', '.join(abi_names())}") from None
    entries: list[dict[str, Any]] = json.loads(text)
    return entries


def find_entry(abi_name: str, name: str, kind: str = "function") -> dict[str, Any]:
    """The first entry of type ``kind`` ("function", "event", "constructor") called ``name``."""
    for entry in load_abi(abi_name):
        if entry.get("type") == kind and (kind == "constructor" or entry.get("name") == name):
            return entry
    raise KeyError(f"{kind} {name!r} not in ABI {abi_name!r}")


def canonical_type(param: dict[str, Any]) -> str:
    """``tuple`` params expanded to ``(t1,t2,...)`` with their array suffix kept."""
    typ: str = param["type"]
    if typ.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in param.get("components", []))
        return f"({inner}){typ[len('tuple') :]}"
    return typ


def signature(entry: dict[str, Any]) -> str:
    """Canonical signature, e.g. ``registerTask(address,uint256,uint256)``."""
    args = ",".join(canonical_type(p) for p in entry.get("inputs", []))
    return f"{entry.get('name', '')}({args})"


def selector(abi_name: str, function: str) -> bytes:
    """4-byte selector of ``function`` in ``abi_name``."""
    from eth_utils import keccak

    return keccak(text=signature(find_entry(abi_name, function, "function")))[:4]


def event_topic(abi_name: str, event: str) -> bytes:
    """topic0 (32 bytes) of ``event`` in ``abi_name``."""
    from eth_utils import keccak

    return keccak(text=signature(find_entry(abi_name, event, "event")))
