"""The scrolling message view of the Chat screen, virtualised as a pager is.

A conversation's stored messages are given to :meth:`ChatLog.show` as :class:`StoredItem`
rows (the message's id and text and how to make its widget); only a *window* of them around
the viewport is mounted, between two spacers that stand for the rows above and below it.
The rows' heights are measured as they are mounted (by the log's own layout, at its width,
before the frame is drawn) and estimated where they never were. Scrolling, paging and
jumping move the window: rows coming near the viewport are mounted, rows far from it are
unmounted, and the top spacer changes by exactly the measured height of what is mounted or
unmounted above the viewport, so what is on screen does not move (where estimates were off,
the error stays in the spacer; at the very top it is taken out and the view scrolled by as
much). So the number of mounted widgets stays bounded and each key costs about a screenful
of widgets whatever the conversation's length.

Older rows not read from the store yet are counted (``unloaded``) and stood for in the top
spacer; when the window comes near them the log posts :class:`ChatLog.ReachedTop` with how
many it wants, and the screen reads them (:meth:`ChatLog.add_earlier`).

Widgets mounted with :meth:`mount` (the message being sent, the streaming reply) go after
the bottom spacer and stay mounted: the live tail. :meth:`show` mounts the last exchange
(from the last user message on) there too, so the reply being regenerated, the tool cards
waiting for a result and the reply to copy are always widgets.

Without :meth:`show` (a plain list of children, as tests build it) the log scrolls as any
``VerticalScroll``; reaching the top with a ``#load-earlier`` button asks for more.

This module holds the widget: its rows' state, what the screen calls, keys and the wheel.
Moving the window (mounting, measuring, unmounting) is mixed in from
:mod:`og_tui.tui.widgets.chat_window`, its arithmetic is in
:mod:`og_tui.tui.widgets.chat_window_math`; the rows
(:class:`~og_tui.tui.widgets.chat_rows.StoredItem`) and the spacers are in
:mod:`og_tui.tui.widgets.chat_rows`.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget

from og_tui.tui.widgets.chat_rows import LoadEarlier, StoredItem, _Spacer
from og_tui.tui.widgets.chat_window import KEEP_PAGES, LogWindow
from og_tui.tui.widgets.chat_window_math import estimate_above
from og_tui.tui.widgets.key_scroll import KeyScroll

__all__ = ["ChatLog", "KEEP_PAGES", "LoadEarlier", "StoredItem", "TAIL_MAX"]

TAIL_MAX = 6  # at most this many of the newest items are mounted as the live tail by show()


class ChatLog(LogWindow, KeyScroll, VerticalScroll):
    """The scrolling message view (virtualised once :meth:`show` gave it stored rows)."""

    class ReachedTop(Message):
        """The view came near the oldest row read: ``wanted`` more are wanted (0: a page)."""

        def __init__(self, wanted: int = 0) -> None:
            super().__init__()
            self.wanted = wanted

    def __init__(self, *children: Widget, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        self._reset_rows()
        self._gen = 0
        self._win_running = False
        self._win_again = False
        self._batch: Any = None
        self._rows_batch: Any = None
        self.selected_id: int | None = None  # the selected message (kept when its widget is unmounted)

    def _reset_rows(self) -> None:
        self._virtual = False
        self._items: list[StoredItem] = []
        self._shown: list[Widget] = []  # widgets of items[_start:_end]
        self._start = self._end = 0
        self._unloaded = 0
        self._asked = 0  # rows asked for with ReachedTop and not given yet
        self._top_h = self._bottom_h = 0
        self._top: _Spacer | None = None
        self._bottom: _Spacer | None = None
        self._pin_end = False  # the next update keeps the view at the end (a conversation just shown)
        self._width = 0
        self._ratio: dict[str, list[float]] = {}

    # --- what the screen calls --------------------------------------------------------------
    def show(self, items: list[StoredItem], unloaded: int = 0) -> None:
        """Show a conversation: ``items`` (oldest first) are its newest stored messages and
        ``unloaded`` more are older. The view ends at the newest."""
        self.remove_children()
        self._virtual = True
        tail_at = len(items)
        while tail_at > 0 and len(items) - tail_at < TAIL_MAX:
            tail_at -= 1
            if items[tail_at].role == "user":
                break
        self._items, tail = list(items[:tail_at]), items[tail_at:]
        self._start = self._end = len(self._items)
        self._unloaded = max(0, int(unloaded))
        self._width = self._content_width()
        self._top, self._bottom = _Spacer("top"), _Spacer("bottom")
        self._top_h = estimate_above(self._items, self._start, self._unloaded, self._width, self._ratio)
        self._top.set_height(self._top_h)
        self._pin_end = True
        self._hold()
        super().mount_all([self._top, self._bottom, *(item.make() for item in tail)])
        self._schedule()

    def add_earlier(self, items: list[StoredItem], unloaded: int) -> None:
        """Older rows read from the store (``unloaded``: how many are still older)."""
        if not self._virtual:
            return
        self._asked = 0
        self._gen += 1  # (a window update under way starts again)
        self._items[:0] = items
        self._start += len(items)
        self._end += len(items)
        self._unloaded = max(0, int(unloaded))
        self._schedule()
        self._release_rows()  # (the window's own update holds the frame now)

    def forget(self, message_ids: Any) -> None:
        """Rows that were deleted: they are not shown again (their widgets go now)."""
        ids = {int(i) for i in message_ids if i is not None}
        if not self._virtual or not ids:
            return
        keep_items, keep_shown = [], []
        start = self._start
        for index, item in enumerate(self._items):
            shown = self._start <= index < self._end
            if item.message_id in ids:
                if shown:
                    self._shown[index - self._start].remove()
                elif index < self._start:
                    start -= 1
                continue
            keep_items.append(item)
            if shown:
                keep_shown.append(self._shown[index - self._start])
        self._gen += 1  # (a window update under way starts again)
        self._items, self._shown = keep_items, keep_shown
        self._start = start
        self._end = start + len(keep_shown)
        self._schedule()

    def item_of(self, message_id: int | None) -> StoredItem | None:
        """The stored row of a message (mounted or not)."""
        if message_id is None:
            return None
        return next((item for item in self._items if item.message_id == message_id), None)

    def last_reply_text(self) -> str | None:
        """The text of the newest stored reply among the rows (the tail is asked first by the screen)."""
        for item in reversed(self._items):
            if item.role == "assistant":
                return item.text
        return None

    def update_row_meta(self, message_id: int, meta: dict) -> None:
        """A stored message's meta changed: its widget, when mounted again, shows it."""
        item = self.item_of(message_id)
        if item is not None and item.row is not None:
            item.row.meta = dict(meta)

    @property
    def is_virtual(self) -> bool:
        return self._virtual

    @property
    def mounted_rows(self) -> range:
        """Indices (into the rows read) of the mounted window."""
        return range(self._start, self._end)

    @property
    def row_count(self) -> int:
        """Rows read from the store (not counting the tail)."""
        return len(self._items)

    @property
    def unloaded(self) -> int:
        return self._unloaded

    @property
    def at_first(self) -> bool:
        """The conversation's first message is mounted (nothing older is left to read)."""
        return self._virtual and self._unloaded == 0 and self._start == 0

    def remove_children(self, selector: Any = "*") -> Any:
        if selector == "*":
            self._gen += 1
            self._release_rows()
            self._reset_rows()
        return super().remove_children(selector)

    # --- keys and the wheel -----------------------------------------------------------------
    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._virtual:
            if new_value != old_value:
                if self._covered(int(new_value)):
                    # the view is drawn now; the window follows after that frame (when it
                    # has to: a scroll within the margins changes nothing)
                    if self._wants_update(int(new_value)):
                        self.call_after_refresh(self._schedule)
                else:
                    self._hold()  # (no frame with a blank view: it waits for the rows)
                    self._schedule()
        elif new_value <= 0 < old_value and self.query("#load-earlier"):
            self.post_message(self.ReachedTop())

    def on_resize(self, event: events.Resize) -> None:
        if self._virtual:
            self._schedule()

    def _at_top(self) -> bool:
        if self._virtual:
            return False
        if self.scroll_y <= 0 and self.query("#load-earlier"):
            self.post_message(self.ReachedTop())
            return True
        return False

    def action_page_up(self) -> None:
        if self._virtual:
            self.key_scroll(pages=-1)
        elif not self._at_top():
            super().action_page_up()

    def action_page_down(self) -> None:
        if self._virtual:
            self.key_scroll(pages=1)
        else:
            super().action_page_down()

    def action_scroll_up(self) -> None:
        if self._virtual:
            self.key_scroll(lines=-1)
        elif not self._at_top():
            super().action_scroll_up()

    def action_scroll_down(self) -> None:
        if self._virtual:
            self.key_scroll(lines=1)
        else:
            super().action_scroll_down()

    def action_scroll_home(self) -> None:
        if self._virtual:
            self.scroll_home(animate=False)
        elif not self._at_top():
            super().action_scroll_home()

    def action_scroll_end(self) -> None:
        if self._virtual:
            self.scroll_end(animate=False)
        else:
            super().action_scroll_end()

    def scroll_end(self, *args: Any, **kwargs: Any) -> None:
        # (an anchored view is kept at the end by the layout itself, which does not tell
        # watch_scroll_y: the window is moved to the end here)
        if self._virtual:
            self._pin_end = True
            if self._end < len(self._items):
                self._hold()  # (no frame with a blank view: it waits for the rows)
            self._schedule()
        super().scroll_end(*args, **kwargs)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        # at the top, the wheel asks for the previous page instead of scrolling (this
        # handler runs before the base class's, which prevent_default() skips)
        if self._at_top():
            event.prevent_default()
