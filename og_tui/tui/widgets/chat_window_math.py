"""The arithmetic of the Chat screen's virtualised message view: row heights and the window.

Plain functions over :class:`~og_tui.tui.widgets.chat_rows.StoredItem` rows and numbers
(no widgets), used by :class:`~og_tui.tui.widgets.chat_log.ChatLog`:

- heights: a row's height estimated from its text at the view's width
  (:func:`raw_estimate`), scaled by how the rows of its role measured so far
  (:func:`row_height`, :func:`learn_height`), summed above or below an index
  (:func:`estimate_above`, :func:`estimate_below`); :func:`stacked_heights` reads the
  measured heights off the layout's placements.
- the window: the rows to mount to cover so much above or below it (:func:`first_above`,
  :func:`last_below`), the rows far enough from the view to unmount (:func:`trim_counts`),
  and, for a jump, the row under the view (:func:`row_at`) and the rows around it to mount
  (:func:`span_around`).

``height(i)`` arguments give row ``i``'s height (measured or estimated).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.tui.widgets.chat_rows import StoredItem

__all__ = [
    "Ratio",
    "estimate_above",
    "estimate_below",
    "first_above",
    "last_below",
    "learn_height",
    "raw_estimate",
    "row_at",
    "row_height",
    "span_around",
    "stacked_heights",
    "trim_counts",
]

Ratio = dict[str, list[float]]  # role -> [heights measured, their estimates from the text] (at the view's width)


# --- heights ------------------------------------------------------------------------------------
def raw_estimate(item: StoredItem, width: int) -> int:
    """Lines ``item`` takes at ``width``, from its text (kept on the item for that width)."""
    if item.raw[0] == width:
        return item.raw[1]
    wrap = max(10, width - 4)
    lines = sum(max(1, math.ceil(len(line) / wrap)) for line in item.text.splitlines() or [""])
    overhead = 5 if item.role == "assistant" else 2
    item.raw = (width, lines + overhead + item.extra_lines)
    return item.raw[1]


def row_height(item: StoredItem, width: int, ratio: Ratio) -> int:
    """``item``'s height at ``width``: as measured there, else its estimate scaled by how the
    rows of its role measured against theirs."""
    if item.height is not None and item.width == width:
        return item.height
    raw = raw_estimate(item, width)
    seen = ratio.get(item.role)
    return max(1, round(raw * seen[0] / seen[1])) if seen and seen[1] else raw


def learn_height(item: StoredItem, height: int, width: int, ratio: Ratio) -> None:
    """``item`` measured ``height`` at ``width`` (a first measure there also teaches ``ratio``)."""
    if item.height is None or item.width != width:
        seen = ratio.setdefault(item.role, [0.0, 0.0])
        seen[0] += height
        seen[1] += raw_estimate(item, width)
    item.height, item.width = height, width


def estimate_above(items: Sequence[StoredItem], index: int, unloaded: int, width: int, ratio: Ratio) -> int:
    """The height of the rows before ``index`` and of the ``unloaded`` rows not read yet
    (as high as those rows are on average; 8 each without any)."""
    known = sum(row_height(item, width, ratio) for item in items[:index])
    per_row = known / index if index else 8
    return known + round(unloaded * per_row)


def estimate_below(items: Sequence[StoredItem], index: int, width: int, ratio: Ratio) -> int:
    """The height of the rows from ``index`` on."""
    return sum(row_height(item, width, ratio) for item in items[index:])


def stacked_heights(placements: Sequence[Any]) -> list[int]:
    """Heights (with margins) of widgets stacked as the layout placed them: from each one's
    top to the next one's; the last one's with its bottom margin."""
    out = []
    for placement, following in zip(placements, [*placements[1:], None]):
        if following is not None:
            out.append(following.region.y - placement.region.y)
        else:
            out.append(placement.region.height + placement.margin.bottom)
    return out


# --- the window ---------------------------------------------------------------------------------
def first_above(start: int, need: int, height: Callable[[int], int]) -> int:
    """The first row to mount above row ``start`` for the rows mounted to cover ``need``
    (from row 0 at most)."""
    first = start
    while first > 0 and need > 0:
        first -= 1
        need -= height(first)
    return first


def last_below(end: int, count: int, need: int, height: Callable[[int], int]) -> int:
    """The end of the rows to mount from row ``end`` on for them to cover ``need`` (of
    ``count`` rows at most)."""
    last = end
    while last < count and need > 0:
        need -= height(last)
        last += 1
    return last


def trim_counts(heights: Sequence[int], top: int, y: int, view_h: int, keep: int) -> tuple[int, int]:
    """(rows to unmount at the top, at the bottom) of a window of rows of ``heights`` starting
    at ``top``: those further than ``keep`` from the view at ``y`` (one row always stays)."""
    drop_top, edge = 0, top
    while drop_top < len(heights) - 1:
        height = heights[drop_top]
        if edge + height >= y - keep:
            break
        edge += height
        drop_top += 1
    edge = top + sum(heights)
    drop_bottom = 0
    while drop_bottom < len(heights) - drop_top - 1:
        height = heights[len(heights) - 1 - drop_bottom]
        if edge - height <= y + view_h + keep:
            break
        edge -= height
        drop_bottom += 1
    return drop_top, drop_bottom


def row_at(
    y: int,
    count: int,
    window: tuple[int, int, int, int],
    unloaded: int,
    height: Callable[[int], int],
) -> tuple[int, int]:
    """(index, where it starts) of the row at ``y``, estimated from the ``window`` (start, end,
    top, bottom) outward; at the very top (nothing older to read), the first row at 0."""
    start, end, win_top, win_bottom = window
    index, pos = start, win_top
    if y <= 0 and unloaded == 0:
        index, pos = 0, 0  # (the top is the first row, whatever the estimates said)
    elif y < win_top:
        while index > 0 and pos > y:
            index -= 1
            pos -= height(index)
    else:
        index, pos = end, win_bottom
        while index < count - 1 and pos + height(index) <= y:
            pos += height(index)
            index += 1
    return index, pos


def span_around(
    index: int, pos: int, y: int, count: int, view_h: int, margin: int, height: Callable[[int], int]
) -> tuple[int, int]:
    """(first, end) of the rows to mount for a view at ``y`` when row ``index`` starts at
    ``pos``: ``margin`` above the view, the view and ``margin`` below it (row ``index`` always)."""
    first, above = index, 0
    while first > 0 and above < margin + max(0, pos - y):
        first -= 1
        above += height(first)
    last, below = index, max(0, pos - y)
    while last < count and (below < view_h + margin or last == index):
        below += height(last)
        last += 1
    return first, last
