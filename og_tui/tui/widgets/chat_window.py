"""The part of the Chat screen's message view that moves its window of mounted rows.

:class:`LogWindow` is mixed into :class:`~og_tui.tui.widgets.chat_log.ChatLog` (before
``VerticalScroll``; it uses the log's rows, spacers and window state, see
:meth:`ChatLog._reset_rows`): one worker at a time (:meth:`LogWindow._schedule`) mounts
the rows coming near the viewport, hidden, measures them by the log's own layout and shows
them with the top spacer shorter by as much, unmounts the rows far from it, jumps the
window to where the view went, settles the spacers and asks the screen for older rows;
meanwhile the app's frames are held so that a scroll and the rows it brings are drawn in one
frame. The arithmetic (heights, which rows) is in :mod:`og_tui.tui.widgets.chat_window_math`.
"""

from __future__ import annotations

import logging

from textual.geometry import Size
from textual.widget import Widget

from og_tui.tui.widgets.chat_window_math import (
    estimate_above,
    estimate_below,
    first_above,
    last_below,
    learn_height,
    row_at,
    row_height,
    span_around,
    stacked_heights,
    trim_counts,
)

_log = logging.getLogger("og_tui.tui.widgets.chat_log")  # (the log the view's failures always went to)

__all__ = ["FILL_PAGES", "KEEP_PAGES", "LogWindow", "MARGIN_PAGES", "ROWS_WAIT_S"]

# rows are mounted once fewer than MARGIN_PAGES viewport heights of them are above (or below)
# the viewport, up to FILL_PAGES; those further than KEEP_PAGES are unmounted. The window
# follows right after each scroll's frame, so a key that pages mounts about the page it
# scrolled (the next key's frame waits for that, never for several pages at once)
MARGIN_PAGES = 1.5
FILL_PAGES = 2.0
KEEP_PAGES = 4.0
ROWS_WAIT_S = 0.5  # a jump into rows not read yet holds the frame this long for them, at most


class LogWindow:
    """Mixed into :class:`~og_tui.tui.widgets.chat_log.ChatLog`: moving its window of mounted rows."""

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
        return stacked_heights(self.layout.arrange(self, widgets, self._content_size()))

    def _height_at(self, index: int) -> int:
        """Row ``index``'s height at the log's width (measured, else estimated)."""
        return row_height(self._items[index], self._width, self._ratio)

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
            learn_height(item, height, self._width, self._ratio)
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
            first = first_above(self._start, win_top - (y - fill), self._height_at)
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
            last = last_below(self._end, len(self._items), y + view_h + fill - win_bottom, self._height_at)
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
        heights = [self._items[i].height or 0 for i in range(self._start, self._end)]
        drop_top, drop_bottom = trim_counts(heights, self._top_h, y, view_h, keep)
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
        self._bottom_h = estimate_below(self._items, self._end, self._width, self._ratio)
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
            want = estimate_above(self._items, self._start, self._unloaded, self._width, self._ratio)
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
        count = len(self._items)
        window = (self._start, self._end, win_top, win_bottom)
        index, pos = row_at(y, count, window, self._unloaded, self._height_at)
        first, last = span_around(index, pos, y, count, view_h, margin, self._height_at)
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
