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
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from textual import events
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button

_log = logging.getLogger(__name__)

__all__ = ["ChatLog", "KEEP_PAGES", "LoadEarlier", "StoredItem", "TAIL_MAX"]

TAIL_MAX = 6  # at most this many of the newest items are mounted as the live tail by show()
# rows are mounted once fewer than MARGIN_PAGES viewport heights of them are above (or below)
# the viewport, up to FILL_PAGES; those further than KEEP_PAGES are unmounted. The window
# follows right after each scroll's frame, so a key that pages mounts about the page it
# scrolled (the next key's frame waits for that, never for several pages at once)
MARGIN_PAGES = 1.5
FILL_PAGES = 2.0
KEEP_PAGES = 4.0
ROWS_WAIT_S = 0.5  # a jump into rows not read yet holds the frame this long for them, at most


@dataclass(eq=False)
class StoredItem:
    """One stored message as the log shows it: ``make()`` builds its widget when it comes into view."""

    message_id: int | None
    role: str
    text: str
    make: Callable[[], Widget]
    extra_lines: int = 0  # (tool cards and the like: lines the text does not account for)
    height: int | None = None  # measured at ``width`` (with its margin)
    width: int = 0
    row: Any = field(default=None, repr=False)  # the store's row (its meta updated in place)
    raw: tuple[int, int] = (0, 0)  # (width, estimate from the text at that width)


class LoadEarlier(Button):
    """At the top of a long conversation: mounts the previous page when pressed."""

    def __init__(self, remaining: int) -> None:
        super().__init__(self._label(remaining), id="load-earlier", compact=True)
        self.remaining = remaining

    @staticmethod
    def _label(remaining: int) -> str:
        return f"↑ {remaining} earlier message{'s' if remaining != 1 else ''} (enter or scroll up)"

    def set_remaining(self, remaining: int) -> None:
        self.remaining = remaining
        self.label = self._label(remaining)


class _Spacer(Widget):
    """Stands for the rows that are not mounted."""

    DEFAULT_CSS = "_Spacer { height: 0; width: 1fr; margin: 0; padding: 0; }"

    def __init__(self, name: str) -> None:
        super().__init__(classes=f"chat-spacer chat-spacer-{name}")

    def set_height(self, height: int) -> None:
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = max(0, int(height))


class ChatLog(VerticalScroll):
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
        self._top_h = self._estimate_above(self._start)
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
            self.scroll_page_up(animate=False)
        elif not self._at_top():
            super().action_page_up()

    def action_page_down(self) -> None:
        if self._virtual:
            self.scroll_page_down(animate=False)
        else:
            super().action_page_down()

    def action_scroll_up(self) -> None:
        if self._virtual:
            self.scroll_up(animate=False)
        elif not self._at_top():
            super().action_scroll_up()

    def action_scroll_down(self) -> None:
        if self._virtual:
            self.scroll_down(animate=False)
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

    # --- the window ---------------------------------------------------------------------------
    def _hold(self) -> None:
        """No frame until the window is updated (the scroll and the rows it brings in one frame)."""
        if self._batch is None and self.is_attached:
            self._batch = self.app.batch_update()
            self._batch.__enter__()

    def _release(self) -> None:
        batch, self._batch = self._batch, None
        if batch is not None:
            batch.__exit__(None, None, None)

    def _hold_rows(self) -> None:
        """A jump into rows not read yet: the frame waits for them (at most ROWS_WAIT_S)."""
        if self._rows_batch is None and self.is_attached:
            self._rows_batch = self.app.batch_update()
            self._rows_batch.__enter__()
            self.set_timer(ROWS_WAIT_S, self._release_rows)

    def _release_rows(self) -> None:
        batch, self._rows_batch = self._rows_batch, None
        if batch is not None:
            batch.__exit__(None, None, None)

    def _schedule(self) -> None:
        if not self._virtual or not self.is_attached:
            return
        if self._win_running:
            self._win_again = True
            return
        self._win_running = True
        self.run_worker(self._run(), group="chat-log-window", exit_on_error=False, description="chat log window")

    async def _run(self) -> None:
        # one frame for all the update does (each layout of the screen makes its next scroll
        # repaint all of it: few, larger updates)
        self._hold()
        try:
            while True:
                self._win_again = False
                gen = self._gen
                try:
                    await self._update()
                except Exception:  # noqa: BLE001 - the view stays as it is; logged for the bug report
                    if gen == self._gen:
                        _log.exception("chat log window update failed")
                if not self._win_again:
                    break
        finally:
            self._win_running = False
            self._release()

    def _content_width(self) -> int:
        width = self.scrollable_content_region.width
        if width <= 0:
            width = max(20, self.app.size.width - 40)
        return width

    def _content_size(self) -> Size:
        region = self.scrollable_content_region
        return Size(self._content_width(), max(1, region.height or self.app.size.height))

    def _measure(self, widgets: list[Widget]) -> list[int]:
        """Heights (with margins) the layout gives ``widgets`` stacked at the log's width."""
        if not widgets:
            return []
        placements = self.layout.arrange(self, widgets, self._content_size())
        out = []
        for placement, following in zip(placements, [*placements[1:], None]):
            if following is not None:
                out.append(following.region.y - placement.region.y)
            else:
                out.append(placement.region.height + placement.margin.bottom)
        return out

    def _raw_estimate(self, item: StoredItem) -> int:
        if item.raw[0] == self._width:
            return item.raw[1]
        width = max(10, self._width - 4)
        lines = sum(max(1, math.ceil(len(line) / width)) for line in item.text.splitlines() or [""])
        overhead = 5 if item.role == "assistant" else 2
        item.raw = (self._width, lines + overhead + item.extra_lines)
        return item.raw[1]

    def _height(self, item: StoredItem) -> int:
        if item.height is not None and item.width == self._width:
            return item.height
        raw = self._raw_estimate(item)
        seen = self._ratio.get(item.role)
        return max(1, round(raw * seen[0] / seen[1])) if seen and seen[1] else raw

    def _learn(self, item: StoredItem, height: int) -> None:
        if item.height is None or item.width != self._width:
            seen = self._ratio.setdefault(item.role, [0.0, 0.0])
            seen[0] += height
            seen[1] += self._raw_estimate(item)
        item.height, item.width = height, self._width

    def _estimate_above(self, index: int) -> int:
        """The height of rows before ``index`` and of the rows not read yet."""
        known = sum(self._height(item) for item in self._items[:index])
        per_row = known / index if index else 8
        return known + round(self._unloaded * per_row)

    async def _drop(self, widgets: list[Widget]) -> None:
        """Unmount ``widgets``."""
        for widget in widgets:
            widget.display = False
        if widgets:
            await self.remove_children(widgets)

    async def _mount_hidden(self, start: int, end: int, before: Widget) -> list[Widget] | None:
        """Mount the widgets of rows ``start:end`` hidden before ``before`` and measure them
        (frames may be drawn meanwhile: hidden, they change nothing on screen). None: the rows
        changed meanwhile (the widgets are gone again)."""
        gen = self._gen
        items = self._items[start:end]
        widgets = [item.make() for item in items]
        for widget in widgets:
            widget.display = False
            if self.selected_id is not None and getattr(widget, "message_id", None) == self.selected_id:
                widget.add_class("-selected")
        await super().mount_all(widgets, before=before)
        if gen != self._gen:
            await self._drop([widget for widget in widgets if widget.parent is self])
            return None
        for item, height in zip(items, self._measure(widgets)):
            self._learn(item, height)
        return widgets

    def _window(self) -> tuple[int, int]:
        """(top, bottom) of the mounted rows, from their measured heights."""
        top = self._top_h
        return top, top + sum(self._items[i].height or 0 for i in range(self._start, self._end))

    def _wants_update(self, y: int) -> bool:
        """The window is short of rows near the view at ``y``, holds rows far from it, or
        older rows are to be read (from the heights known now)."""
        view_h = max(1, self._content_size().height)
        margin, keep = int(view_h * MARGIN_PAGES), int(view_h * KEEP_PAGES)
        top, bottom = self._window()
        if self._start > 0 and top > y - margin or self._end < len(self._items) and bottom < y + view_h + margin:
            return True
        if self._shown and (top + (self._items[self._start].height or 0) < y - keep):
            return True
        if self._shown and (bottom - (self._items[self._end - 1].height or 0) > y + view_h + keep):
            return True
        return self._start == 0 and self._unloaded > 0 and not self._asked and y <= self._top_h + view_h + margin * 2

    def _covered(self, y: int) -> bool:
        """The view at ``y`` shows only mounted rows (or the tail, or the empty top)."""
        if not self._shown:
            return not self._items
        view_h = max(1, self._content_size().height)
        top, bottom = self._window()
        above = y >= top or (self._start == 0 and self._unloaded == 0)
        below = y + view_h <= bottom or self._end == len(self._items)
        return above and below

    async def _update(self) -> None:
        """Move the window over the viewport (mount near it, unmount far from it)."""
        top, bottom = self._top, self._bottom
        if top is None or bottom is None or not top.is_attached:
            return
        self._width = self._content_width()
        view_h = max(1, self._content_size().height)
        margin = int(view_h * MARGIN_PAGES)
        fill = int(view_h * FILL_PAGES)
        keep = int(view_h * KEEP_PAGES)
        # the window's heights as laid out now (they may have changed since they were mounted)
        for item, height in zip(self._items[self._start : self._end], self._measure(self._shown)):
            item.height, item.width = height, self._width
        win_top, win_bottom = self._window()
        # (anchored, the view is at the end, whatever scroll_y says before the next layout)
        pinned = self._pin_end or (self.is_anchored and not self._anchor_released)
        self._pin_end = False
        if pinned:
            fill = margin  # (a conversation just shown, or end: the rest once keys pause)
            children = list(self.children)
            tail_h = sum(self._measure(children[children.index(bottom) + 1 :]))
            y = max(0, win_bottom + self._bottom_h + tail_h - view_h)
        else:
            y = int(self.scroll_y)
        far_up = y + view_h <= win_top - margin and self._start > 0
        far_down = y >= win_bottom + margin and self._end < len(self._items)
        if far_up or far_down or (not self._shown and self._start < len(self._items)):
            # a jump far from the window: mount the rows where the view is instead
            if not await self._jump(y, view_h, margin, win_top, win_bottom):
                return
        else:
            if not await self._grow(y, view_h, margin, fill, win_top, win_bottom):
                return
            await self._trim(y, view_h, keep)
        self._finish(y, pinned)
        self._ask_rows(y, view_h, margin)

    async def _grow(self, y: int, view_h: int, margin: int, fill: int, win_top: int, win_bottom: int) -> bool:
        """Less than ``margin`` of rows mounted above (below) the view: mount rows up to ``fill``.
        False: the rows changed meanwhile."""
        bottom = self._bottom
        assert bottom is not None
        if win_top > y - margin and self._start > 0:
            need, first = win_top - (y - fill), self._start
            while first > 0 and need > 0:
                first -= 1
                need -= self._height(self._items[first])
            start = self._start
            widgets = await self._mount_hidden(first, start, self._shown[0] if self._shown else bottom)
            if widgets is None:
                return False
            # shown, and the spacer above shorter by as much, in one go: nothing on screen moves
            for widget in widgets:
                widget.display = True
            self._top_h -= sum(self._items[i].height or 0 for i in range(first, start))
            self._shown[:0] = widgets
            self._start = first
            self._top.set_height(self._top_h)  # type: ignore[union-attr]
        win_top, win_bottom = self._window()
        if win_bottom < y + view_h + margin and self._end < len(self._items):
            need, last = y + view_h + fill - win_bottom, self._end
            while last < len(self._items) and need > 0:
                need -= self._height(self._items[last])
                last += 1
            end = self._end
            widgets = await self._mount_hidden(end, last, bottom)
            if widgets is None:
                return False
            for widget in widgets:
                widget.display = True
            self._shown.extend(widgets)
            self._end = last
        return True

    async def _trim(self, y: int, view_h: int, keep: int) -> None:
        """Unmount rows further than ``keep`` from the view."""
        drop_top, edge = 0, self._top_h
        while drop_top < len(self._shown) - 1:
            height = self._items[self._start + drop_top].height or 0
            if edge + height >= y - keep:
                break
            edge += height
            drop_top += 1
        _, edge = self._window()
        drop_bottom = 0
        while drop_bottom < len(self._shown) - drop_top - 1:
            height = self._items[self._end - 1 - drop_bottom].height or 0
            if edge - height <= y + view_h + keep:
                break
            edge -= height
            drop_bottom += 1
        gone: list[Widget] = []
        if drop_top:
            gone += self._shown[:drop_top]
            self._top_h += sum(self._items[i].height or 0 for i in range(self._start, self._start + drop_top))
            del self._shown[:drop_top]
            self._start += drop_top
        if drop_bottom:
            gone += self._shown[len(self._shown) - drop_bottom :]
            del self._shown[len(self._shown) - drop_bottom :]
            self._end -= drop_bottom
        await self._drop(gone)

    def _finish(self, y: int, pinned: bool) -> None:
        """The spacers; what the estimates got wrong is taken out at the very top."""
        shift = self._settle_top()
        self._bottom_h = sum(self._height(item) for item in self._items[self._end :])
        self._top.set_height(self._top_h)  # type: ignore[union-attr]
        self._bottom.set_height(self._bottom_h)  # type: ignore[union-attr]
        if shift and not pinned:
            self.scroll_to(y=max(0, int(self.scroll_y) + shift), animate=False, immediate=True)

    def _settle_top(self) -> int:
        """The top spacer exact where it must be: 0 above the first row, never below 0.
        Returns how far the view has to scroll for what is on screen to stay."""
        if self._start == 0 and self._unloaded == 0:
            want = 0
        elif self._top_h < 0:
            want = self._estimate_above(self._start)
        else:
            return 0
        shift, self._top_h = want - self._top_h, want
        return shift

    def _ask_rows(self, y: int, view_h: int, margin: int) -> None:
        """Near the rows read first (or past them): ask the screen for older ones."""
        if self._start > 0 or self._unloaded <= 0:
            return
        if self._asked:
            if y < self._top_h:
                self._hold_rows()  # (the view is past the rows read: it waits for those asked)
            return
        if y > self._top_h + view_h + margin * 2:
            return
        if y + view_h < self._top_h:
            # the view is in rows not read yet: read down to it, and hold the frame for them
            wanted = self._unloaded
            self._hold_rows()
        else:
            wanted = 0
        self._asked = wanted or 1
        self.post_message(self.ReachedTop(wanted))

    async def _jump(self, y: int, view_h: int, margin: int, win_top: int, win_bottom: int) -> bool:
        """The view is far from the window: mount the rows where it is now instead.
        False: the rows changed meanwhile."""
        # where each row starts, estimated from the window outward
        total_rows = win_bottom + self._bottom_h
        index, pos = self._start, win_top
        if y <= 0 and self._unloaded == 0:
            index, pos = 0, 0  # (the top is the first row, whatever the estimates said)
        elif y < win_top:
            while index > 0 and pos > y:
                index -= 1
                pos -= self._height(self._items[index])
        else:
            index, pos = self._end, win_bottom
            while index < len(self._items) - 1 and pos + self._height(self._items[index]) <= y:
                pos += self._height(self._items[index])
                index += 1
        first, above = index, 0
        while first > 0 and above < margin + max(0, pos - y):
            first -= 1
            above += self._height(self._items[first])
        last, below = index, max(0, pos - y)
        while last < len(self._items) and (below < view_h + margin or last == index):
            below += self._height(self._items[last])
            last += 1
        assert self._bottom is not None
        widgets = await self._mount_hidden(first, last, self._bottom)
        if widgets is None:
            return False
        # the old window out and the new one in, in one go
        await self._drop(self._shown)
        for widget in widgets:
            widget.display = True
        self._shown, self._start, self._end = widgets, first, last
        heights = [self._items[i].height or 0 for i in range(first, last)]
        if last == len(self._items) and y + view_h >= total_rows:
            # at the end: the end stays where it was (so does a view at the end)
            self._top_h = total_rows - sum(heights)
        else:
            # the row under the view's top stays where it was estimated to be
            self._top_h = pos - sum(heights[: index - first])
        return True
