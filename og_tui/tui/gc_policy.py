"""When Python's full garbage collections run in the app: while the user is idle.

With Textual, Rich, web3 and a conversation loaded, a full collection walks a few hundred
thousand objects: 150-300 ms on a small machine, during which no key is answered and no
frame is drawn. Left to the interpreter, one comes every few seconds while widgets are
mounted and unmounted (paging through a long conversation, a reply streaming), so one key
in twenty waited that long. Here the interpreter's young generations are collected as
usual, and the full collection waits for a pause in the input:

- :class:`IdleCollector` raises the third threshold out of reach and checks every
  ``TICK_S``: a full collection that is due (as many young collections as the interpreter
  would have waited for) runs once no key or mouse event came for ``IDLE_S`` and nothing
  holds it (a reply streaming: :func:`hold_full_gc`). Memory stays bounded: it runs anyway
  ``MAX_DEFER_S`` after the last one, or once ``MAX_DEFER_TIMES`` times as many young
  collections piled up (while keys keep coming: one slow key every few seconds at most,
  rather than one in twenty).
- At the first pause in the input the objects tracked then (modules, classes, the screens
  built at start, and the little garbage start-up left) are frozen (``gc.freeze``): later
  full collections skip them, so each walks only what came since.
- While a reply streams (:func:`hold_full_gc`) the bound is ``MAX_HOLD_S``: a stream makes
  little garbage (its reply keeps few widgets), and a collection would stall it.

Uninstalling (the app's exit) unfreezes the frozen objects and puts the interpreter's
thresholds back.
"""

from __future__ import annotations

import gc
import time
from typing import Any, Callable

__all__ = ["IdleCollector", "full_collection_due", "hold_full_gc", "release_full_gc"]

TICK_S = 0.5
IDLE_S = 1.0
MAX_DEFER_S = 8.0
MAX_DEFER_TIMES = 3
MAX_HOLD_S = 60.0
OUT_OF_REACH = 1 << 30

_holds = 0
_saved: tuple[int, int, int] | None = None  # the interpreter's thresholds while held or installed
_installed = 0


def hold_full_gc() -> None:
    """No full collection until :func:`release_full_gc` (a reply streams): young ones still run."""
    global _holds
    if _holds == 0 and not _installed:
        _raise_threshold()
    _holds += 1


def release_full_gc() -> None:
    global _holds
    _holds = max(0, _holds - 1)
    if _holds == 0 and not _installed:
        _restore_threshold()


def _raise_threshold() -> None:
    global _saved
    if _saved is None:
        _saved = gc.get_threshold()
        gc.set_threshold(_saved[0], _saved[1], OUT_OF_REACH)


def _restore_threshold() -> None:
    global _saved
    if _saved is not None:
        gc.set_threshold(*_saved)
        _saved = None


def full_collection_due(young: int, every: int, idle_s: float, held: bool, since_full_s: float) -> bool:
    """Whether to run a full collection now: ``young`` collections of the middle generation
    happened since the last full one and the interpreter would run one every ``every``; it
    runs once the input has been idle ``idle_s``, or when it has waited ``MAX_DEFER_S`` or
    ``MAX_DEFER_TIMES`` times as many young collections came; while ``held`` (a reply
    streams) only after ``MAX_HOLD_S``."""
    if young < max(1, every):
        return False
    if held:
        return since_full_s >= MAX_HOLD_S
    if since_full_s >= MAX_DEFER_S or young >= MAX_DEFER_TIMES * max(1, every):
        return True
    return idle_s >= IDLE_S


class IdleCollector:
    """Full collections at pauses in the input (see the module's docstring). ``clock`` is
    injectable for tests; :meth:`touch` is called for every input event."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last_input = clock()
        self.last_full = clock()
        self.collections = 0  # full collections it ran
        self.frozen = False
        self._every = 10
        self._active = False

    def install(self) -> None:
        global _installed
        if self._active:
            return
        self._active = True
        self._every = (_saved or gc.get_threshold())[2]
        _raise_threshold()
        _installed += 1

    def uninstall(self) -> None:
        global _installed
        if not self._active:
            return
        self._active = False
        _installed = max(0, _installed - 1)
        if self.frozen:
            gc.unfreeze()
            self.frozen = False
        if _installed == 0 and _holds == 0:
            _restore_threshold()

    def touch(self) -> None:
        self.last_input = self.clock()

    def tick(self, collect: Callable[[], Any] = gc.collect) -> bool:
        """Run a full collection if one is due now. True: it ran."""
        if not self._active:
            return False
        now = self.clock()
        idle = now - self.last_input
        if not self.frozen and idle >= IDLE_S and not _holds:
            # the start-up is over: what is alive now is left out of every later collection
            # (a move of lists, no walk of the heap)
            gc.freeze()
            self.frozen = True
        young = gc.get_count()[2]
        if not full_collection_due(young, self._every, idle, _holds > 0, now - self.last_full):
            return False
        collect()
        self.collections += 1
        self.last_full = self.clock()
        return True
