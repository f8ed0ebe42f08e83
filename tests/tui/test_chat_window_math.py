"""The message view's arithmetic (og_tui.tui.widgets.chat_window_math): row heights and the window."""

from __future__ import annotations

from types import SimpleNamespace

from og_tui.tui.widgets.chat_rows import StoredItem
from og_tui.tui.widgets.chat_window_math import (
    estimate_above,
    estimate_below,
    first_above,
    last_below,
    learn_height,
    raw_estimate,
    row_at,
    row_height,
    span_around,
    stacked_heights,
    trim_counts,
)


def _item(text: str, role: str = "user", extra: int = 0) -> StoredItem:
    return StoredItem(None, role, text, make=lambda: None, extra_lines=extra)  # type: ignore[arg-type, return-value]


def test_raw_estimate_wraps_lines_and_adds_the_frame():
    # width 24: lines wrap at 20; "x" * 45 takes 3 lines, "" one; a user message adds 2
    item = _item("x" * 45 + "\n\nshort")
    assert raw_estimate(item, 24) == 3 + 1 + 1 + 2
    assert item.raw == (24, 7)
    # a reply adds 5, and the lines its cards take
    assert raw_estimate(_item("one line", "assistant", extra=4), 80) == 1 + 5 + 4
    # an empty text is one line; a narrow view wraps at 10 at least
    assert raw_estimate(_item(""), 80) == 3
    assert raw_estimate(_item("x" * 20), 5) == 2 + 2


def test_raw_estimate_is_kept_for_its_width():
    item = _item("text")
    item.raw = (50, 99)
    assert raw_estimate(item, 50) == 99
    assert raw_estimate(item, 60) == 3


def test_row_height_is_the_measure_at_its_width_else_the_scaled_estimate():
    item = _item("a\nb\nc")  # 3 lines + 2
    ratio: dict[str, list[float]] = {}
    assert row_height(item, 40, ratio) == 5
    learn_height(item, 10, 40, ratio)
    assert (item.height, item.width) == (10, 40)
    assert ratio == {"user": [10.0, 5.0]}
    assert row_height(item, 40, ratio) == 10
    # at another width: the estimate there, scaled by what user rows measured (twice theirs)
    assert row_height(item, 80, ratio) == 10
    other = _item("one")  # 1 + 2 = 3, user rows measured twice their estimate
    assert row_height(other, 40, ratio) == 6
    assert row_height(_item("one", "assistant"), 40, ratio) == 6  # (no ratio for replies yet)


def test_learn_height_counts_a_row_once_per_width():
    item = _item("x")
    ratio: dict[str, list[float]] = {}
    learn_height(item, 4, 30, ratio)
    learn_height(item, 5, 30, ratio)  # measured again at that width: kept, not counted again
    assert ratio == {"user": [4.0, 3.0]}
    assert item.height == 5
    learn_height(item, 6, 31, ratio)
    assert ratio == {"user": [10.0, 6.0]}


def test_estimate_above_counts_the_rows_not_read_as_the_average_row():
    items = [_item("x"), _item("x"), _item("x")]
    for item, height in zip(items, (4, 6, 8)):
        learn_height(item, height, 40, {})
    assert estimate_above(items, 2, 0, 40, {}) == 10
    assert estimate_above(items, 2, 3, 40, {}) == 10 + 15
    assert estimate_above(items, 0, 2, 40, {}) == 16  # (8 a row when none is known)
    assert estimate_below(items, 1, 40, {}) == 14
    assert estimate_below(items, 3, 40, {}) == 0


def test_stacked_heights_include_the_gaps_and_the_last_margin():
    def place(y: int, height: int, bottom: int = 0) -> SimpleNamespace:
        return SimpleNamespace(region=SimpleNamespace(y=y, height=height), margin=SimpleNamespace(bottom=bottom))

    assert stacked_heights([place(0, 3), place(4, 5), place(10, 2, bottom=1)]) == [4, 6, 3]
    assert stacked_heights([]) == []


def test_first_above_and_last_below_cover_what_is_needed():
    heights = [5, 5, 5, 5, 5, 5]

    def height(i: int) -> int:
        return heights[i]

    assert first_above(4, 7, height) == 2
    assert first_above(4, 0, height) == 4
    assert first_above(2, 100, height) == 0
    assert last_below(2, 6, 7, height) == 4
    assert last_below(2, 6, 0, height) == 2
    assert last_below(4, 6, 100, height) == 6


def test_trim_counts_drop_rows_far_from_the_view_and_keep_one():
    heights = [10] * 10  # rows at 100..200
    # the view at 150 (10 high), keep 20: the rows that end before 130 or start after 180 go
    assert trim_counts(heights, 100, 150, 10, 20) == (2, 1)
    # all far above the view: one row stays
    assert trim_counts(heights, 100, 1000, 10, 20) == (9, 0)
    assert trim_counts(heights, 100, 0, 10, 20) == (0, 9)
    assert trim_counts([], 100, 0, 10, 20) == (0, 0)


def test_row_at_walks_out_from_the_window():
    heights = [10] * 20

    def height(i: int) -> int:
        return heights[i]

    window = (8, 12, 80, 120)  # rows 8:12 mounted at 80..120
    assert row_at(35, 20, window, 0, height) == (3, 30)  # above the window
    assert row_at(155, 20, window, 0, height) == (15, 150)  # below it
    assert row_at(1000, 20, window, 0, height) == (19, 190)  # (the last row at most)
    assert row_at(0, 20, window, 0, height) == (0, 0)  # the very top
    assert row_at(0, 20, window, 5, height) == (0, 0)  # (older rows not read: walked to row 0)
    assert row_at(-50, 20, window, 5, height) == (0, 0)


def test_span_around_covers_the_view_and_its_margins():
    heights = [10] * 20

    def height(i: int) -> int:
        return heights[i]

    # row 10 starts at 100, the view at 100 (30 high), margin 20
    assert span_around(10, 100, 100, 20, 30, 20, height) == (8, 15)
    # the row starts below the view's top: more above
    assert span_around(10, 105, 100, 20, 30, 20, height) == (7, 15)
    # at the ends
    assert span_around(0, 0, 0, 20, 30, 20, height) == (0, 5)
    assert span_around(19, 190, 190, 20, 30, 20, height) == (17, 20)
    # row index is always mounted, even with no room
    assert span_around(3, 30, 30, 20, 0, 0, height) == (3, 4)
