"""When the app runs Python's full garbage collections (og_tui.tui.gc_policy): only at a
pause in the input, never while a reply streams unless deferred too long, and the
interpreter's own settings back after the app. Real collections, a driven clock."""

from __future__ import annotations

import gc

import pytest

from og_tui.tui import gc_policy
from og_tui.tui.gc_policy import (
    IDLE_S,
    MAX_DEFER_S,
    MAX_DEFER_TIMES,
    MAX_HOLD_S,
    IdleCollector,
    full_collection_due,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def collector():
    before = gc.get_threshold()
    clock = Clock()
    c = IdleCollector(clock=clock)
    c.install()
    yield c, clock
    c.uninstall()
    assert gc.get_threshold() == before  # the interpreter's thresholds are back
    assert gc.get_freeze_count() == 0


def _make_due() -> None:
    """Enough young collections that the interpreter would run a full one (not so many that
    the collector must run it whatever the input does)."""
    gc.collect()  # (counts from zero, whatever ran before)
    for _ in range(12):
        gc.collect(1)


def test_due_rules():
    assert not full_collection_due(3, 10, 99.0, False, 1.0)  # not due yet
    assert full_collection_due(10, 10, IDLE_S, False, 1.0)  # due and idle
    assert not full_collection_due(10, 10, IDLE_S / 2, False, 1.0)  # the user is typing
    assert full_collection_due(10, 10, 0.0, False, MAX_DEFER_S)  # deferred long enough: runs anyway
    assert full_collection_due(10 * MAX_DEFER_TIMES, 10, 0.0, False, 1.0)  # or too much piled up
    # a reply streams: held, however idle, for up to MAX_HOLD_S
    assert not full_collection_due(10, 10, 99.0, True, 1.0)
    assert not full_collection_due(100 * MAX_DEFER_TIMES, 10, 99.0, True, MAX_DEFER_S)
    assert full_collection_due(10, 10, 0.0, True, MAX_HOLD_S)


def test_full_collection_waits_for_idle_then_freezes(collector):
    c, clock = collector
    assert gc.get_threshold()[2] >= gc_policy.OUT_OF_REACH  # the interpreter never starts one itself
    clock.now += IDLE_S
    c.tick()  # (the first pause: the start-up frozen)
    _make_due()
    assert gc.get_count()[2] >= 10  # (it would have, by now)
    full: list[int] = []

    def seen(phase, info):
        if phase == "stop" and info["generation"] == 2:
            full.append(1)

    gc.callbacks.append(seen)
    try:
        clock.now += 0.2
        c.touch()  # a key
        clock.now += IDLE_S / 2
        assert not c.tick() and not full  # typing: it waits
        clock.now += IDLE_S
        assert c.tick() and len(full) == 1  # a pause: it runs
        assert gc.get_count()[2] == 0
        assert c.frozen and gc.get_freeze_count() > 0  # what was alive at the first pause stays left out
        assert not c.tick()  # nothing due any more
    finally:
        gc.callbacks.remove(seen)


def test_the_first_pause_freezes_the_start_up_without_a_collection(collector):
    c, clock = collector
    gc.collect()
    assert not c.tick() and not c.frozen  # (no pause yet)
    clock.now += IDLE_S
    assert not c.tick()  # nothing due: no collection (a freeze moves lists, it walks nothing)
    assert c.frozen and gc.get_freeze_count() > 0


def test_a_streaming_reply_holds_it_until_deferred_too_long(collector):
    c, clock = collector
    gc_policy.hold_full_gc()
    try:
        _make_due()
        clock.now += MAX_DEFER_S
        assert not c.tick()  # idle, but a reply streams
        clock.now += MAX_HOLD_S
        assert c.tick()  # memory stays bounded
    finally:
        gc_policy.release_full_gc()


def test_hold_without_the_app_restores_the_threshold():
    before = gc.get_threshold()
    gc_policy.hold_full_gc()
    gc_policy.hold_full_gc()
    assert gc.get_threshold()[2] >= gc_policy.OUT_OF_REACH
    gc_policy.release_full_gc()
    assert gc.get_threshold()[2] >= gc_policy.OUT_OF_REACH  # (still one hold)
    gc_policy.release_full_gc()
    assert gc.get_threshold() == before
