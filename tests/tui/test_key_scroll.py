"""Scroll keys add up: keys that arrive within one frame (a held PageUp, a quick hand)
each move the view, in a plain Textual scroller they count once. The Log view's lines and
the inference outputs use KeyScroll; the chat log is tested in test_chat_log.py."""

from __future__ import annotations

import pytest
from textual import events
from textual.app import App
from textual.containers import VerticalScroll
from textual.widgets import Log, Static

from og_tui.tui.screens.log_view import LogLines
from og_tui.tui.widgets.key_scroll import KeyScroll

from .helpers import wait_until


class _Tall(KeyScroll, VerticalScroll):
    pass


class _Host(App):
    def __init__(self, scroller) -> None:
        super().__init__()
        self.scroller = scroller

    def compose(self):
        yield self.scroller


async def _burst(pilot, widget, key: str, times: int) -> None:
    """``times`` presses of ``key`` posted at once, then until the view stops moving."""
    for _ in range(times):
        pilot.app.post_message(events.Key(key, None))
    last = None
    while last != widget.scroll_y:
        last = widget.scroll_y
        await pilot.pause(0.1)


@pytest.mark.parametrize("kind", [_Tall, VerticalScroll], ids=["KeyScroll", "textual"])
async def test_a_burst_of_page_keys_moves_as_many_pages(kind):
    """With KeyScroll each key of a burst counts; Textual's own VerticalScroll (why KeyScroll
    exists) moves less."""
    tall = kind(*[Static(f"line {i}") for i in range(400)])
    app = _Host(tall)
    async with app.run_test(size=(60, 20)) as pilot:
        tall.focus()
        page = tall.scrollable_content_region.height
        await _burst(pilot, tall, "pagedown", 8)
        if kind is VerticalScroll:
            assert tall.scroll_y < 8 * page
            return
        assert tall.scroll_y == 8 * page
        await _burst(pilot, tall, "pageup", 3)
        assert tall.scroll_y == 5 * page
        await _burst(pilot, tall, "down", 4)
        assert tall.scroll_y == 5 * page + 4


async def test_the_log_views_lines_add_up_too():
    lines = LogLines()
    app = _Host(lines)
    async with app.run_test(size=(60, 20)) as pilot:
        lines.write_lines([f"line {i}" for i in range(500)])
        await wait_until(pilot, lambda: lines.max_scroll_y > 0)
        lines.scroll_home(animate=False, immediate=True)
        lines.focus()
        await pilot.pause()
        page = lines.scrollable_content_region.height
        await _burst(pilot, lines, "pagedown", 6)
        assert lines.scroll_y == 6 * page
        await _burst(pilot, lines, "ctrl+u", 2)  # half pages
        assert lines.scroll_y == 6 * page - 2 * (page // 2)
        assert isinstance(lines, Log)
