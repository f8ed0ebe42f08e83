"""Scroll keys that add up.

Textual's page and line keys scroll through ``scroll_to`` with its defaults: the scroll
waits for the next frame (``immediate=False``) and animates, each key measured from where
the view was when it came. Keys that arrive within one frame (a held PageUp, a quick hand,
a terminal that sends them in one read) then count once: ten page-ups moved a long chat
one page. :class:`KeyScroll` scrolls at once, each key from where the last one left the
view; mixed into a scrolling widget before its Textual base (the chat log, the Log view,
the inference outputs).
"""

from __future__ import annotations

from typing import Any

from textual.actions import SkipAction

__all__ = ["KeyScroll"]


class KeyScroll:
    """Mixin for a scrollable widget: page and line keys scroll at once and add up."""

    def key_scroll(self, pages: float = 0, lines: int = 0) -> None:
        """Scroll by ``pages`` views and ``lines`` lines now (SkipAction when it cannot scroll vertically)."""
        widget: Any = self
        if not widget.allow_vertical_scroll:
            raise SkipAction()
        dy = round(pages * widget.scrollable_content_region.height) + lines
        widget.scroll_to(y=widget.scroll_target_y + dy, animate=False, immediate=True)

    def action_page_up(self) -> None:
        self.key_scroll(pages=-1)

    def action_page_down(self) -> None:
        self.key_scroll(pages=1)

    def action_scroll_up(self) -> None:
        self.key_scroll(lines=-1)

    def action_scroll_down(self) -> None:
        self.key_scroll(lines=1)
