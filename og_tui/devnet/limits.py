"""The devnet's limits: request sizes, JSON nesting, JSON-RPC batches and filters, EVM calls.

- :class:`DevnetLimits` holds every limit with its default (the ``og-tui devnet`` flags
  set them); geth's RPC defaults are the model (``--rpc.gascap`` 50M, ``--rpc.evmtimeout``
  5 s, 5 MiB HTTP bodies, 1,000 batch items, 25 MB batch responses, filters expiring
  after 5 minutes unused).
- :func:`loads` is the one JSON parser for untrusted text in the devnet: it checks the
  nesting depth with a flat scan (no recursion) before ``json.loads`` sees the text, so
  a body of 100,000 ``[`` is a clear error instead of a stack overflow.
- :func:`evm_deadline` / :func:`check_deadline`: a wall-clock deadline for the EVM
  running in the current thread; the chain's computation checks it on every jump and
  every message (call/create), so a runaway ``eth_call`` stops promptly.
"""

from __future__ import annotations

import json
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

MIB = 1024 * 1024

DEFAULT_MAX_BODY = 5 * MIB
DEFAULT_MAX_JSON_DEPTH = 64
DEFAULT_BATCH_LIMIT = 1_000
DEFAULT_RESPONSE_LIMIT = 25 * MIB
DEFAULT_MAX_FILTERS = 1_000
DEFAULT_FILTER_TIMEOUT = 300.0
DEFAULT_GAS_CAP = 50_000_000
DEFAULT_EVM_TIMEOUT = 5.0
DEFAULT_EVM_CONCURRENCY = 4
DEFAULT_TX_TIMEOUT = 30.0


@dataclass
class DevnetLimits:
    """What one devnet accepts; every field has a flag of ``og-tui devnet`` (see devnet_cmd.py)."""

    max_body: int = DEFAULT_MAX_BODY  # bytes of a JSON request body (hub uploads have their own limit)
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH  # nesting of arrays/objects in a JSON body
    batch_limit: int = DEFAULT_BATCH_LIMIT  # items in one JSON-RPC batch
    response_limit: int = DEFAULT_RESPONSE_LIMIT  # bytes of one JSON-RPC response (single or batch)
    max_filters: int = DEFAULT_MAX_FILTERS  # live eth_newFilter/eth_newBlockFilter/... filters
    filter_timeout: float = DEFAULT_FILTER_TIMEOUT  # seconds an unused filter lives
    gas_cap: int = DEFAULT_GAS_CAP  # gas of one eth_call / eth_estimateGas
    evm_timeout: float = DEFAULT_EVM_TIMEOUT  # wall-clock seconds of one eth_call / eth_estimateGas
    evm_concurrency: int = DEFAULT_EVM_CONCURRENCY  # eth_call/eth_estimateGas requests run at once
    tx_timeout: float = DEFAULT_TX_TIMEOUT  # wall-clock seconds of one mined transaction (not mined past it)
    cors_origins: list[str] = field(default_factory=list)  # browser origins allowed (--cors); "*" = any


# --- JSON ------------------------------------------------------------------------------------------


class JsonTooDeep(ValueError):
    """A JSON text nested deeper than the limit (a ``ValueError``, like every JSON syntax error)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels of arrays/objects")
        self.limit = limit


# a JSON string (escapes included), so brackets inside strings are not counted; an unterminated
# string runs to the end of the text (one linear pass whatever the quotes and backslashes)
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_OPEN = frozenset(b"[{")


def json_depth(raw: bytes, stop_above: int | None = None) -> int:
    """Deepest nesting of arrays/objects in the JSON text ``raw`` (UTF-8), found without recursion.

    Strings are skipped (escapes respected). With ``stop_above``, the scan stops as soon
    as the depth exceeds it (a 100,000-deep body costs a few bytes of scanning).
    Malformed text gets some number; the parser reports the syntax error afterwards.
    """
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and depth > stop_above:
                    return depth
        elif depth:
            depth -= 1
    return deepest


def check_depth(raw: bytes, limit: int = DEFAULT_MAX_JSON_DEPTH) -> None:
    """Raise :class:`JsonTooDeep` when ``raw`` nests deeper than ``limit``."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return  # cannot be deeper than the number of openers
    if json_depth(raw, stop_above=limit) > limit:
        raise JsonTooDeep(limit)


def loads(raw: bytes | bytearray | str, max_depth: int = DEFAULT_MAX_JSON_DEPTH) -> Any:
    """``json.loads`` for untrusted input: UTF-8 only, nesting checked first.

    Raises ``ValueError`` (``json.JSONDecodeError``, ``UnicodeDecodeError`` or
    :class:`JsonTooDeep`) for anything that is not acceptable JSON.
    """
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    check_depth(data, max_depth)
    return json.loads(data.decode("utf-8"))


# --- EVM deadline -----------------------------------------------------------------------------------


class EvmTimeout(Exception):
    """The EVM ran past its wall-clock deadline (raised from inside the opcode loop)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"execution aborted (timeout = {seconds:g}s)")
        self.seconds = seconds


_deadline = threading.local()


@contextmanager
def evm_deadline(seconds: float | None) -> Iterator[None]:
    """Run the EVM in this thread for at most ``seconds`` (None or <= 0: no limit)."""
    if seconds is None or seconds <= 0:
        yield
        return
    previous = getattr(_deadline, "at", None), getattr(_deadline, "seconds", None)
    _deadline.at = time.monotonic() + seconds
    _deadline.seconds = seconds
    try:
        yield
    finally:
        _deadline.at, _deadline.seconds = previous


def check_deadline() -> None:
    """Raise :class:`EvmTimeout` if this thread's EVM deadline has passed (cheap when none is set)."""
    at = getattr(_deadline, "at", None)
    if at is not None and time.monotonic() > at:
        raise EvmTimeout(_deadline.seconds)


__all__ = [
    "MIB",
    "DevnetLimits",
    "EvmTimeout",
    "JsonTooDeep",
    "check_deadline",
    "check_depth",
    "evm_deadline",
    "json_depth",
    "loads",
]
