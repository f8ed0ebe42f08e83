"""Vim-style motions for every table and list: ``j``/``k`` down/up, ``g``/``G`` first/last,
``ctrl+d``/``ctrl+u`` half a page down/up (as lazygit and k9s users expect).

:class:`NavDataTable` and :class:`NavOptionList` are Textual's widgets with these keys;
the Hub's model table binds the same ids itself.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable, OptionList

__all__ = ["NavDataTable", "NavOptionList", "motion_bindings"]


def motion_bindings(down: str, up: str, first: str, last: str, half_down: str, half_up: str) -> list[Binding]:
    """The motion keys bound to the given actions (hidden from the footer; listed by F1)."""
    return [
        Binding("j", down, "Down", id="motion.down", show=False),
        Binding("k", up, "Up", id="motion.up", show=False),
        Binding("g", first, "First", id="motion.first", show=False),
        Binding("G", last, "Last", id="motion.last", show=False),
        Binding("ctrl+d", half_down, "Half page down", id="motion.half_down", show=False),
        Binding("ctrl+u", half_up, "Half page up", id="motion.half_up", show=False),
    ]


class NavDataTable(DataTable):
    BINDINGS = motion_bindings(
        "cursor_down", "cursor_up", "scroll_top", "scroll_bottom", "half_page(1)", "half_page(-1)"
    )

    def action_half_page(self, direction: int) -> None:
        if not self.row_count:
            return
        step = max(1, self.scrollable_content_region.height // 2)
        row = min(max(self.cursor_row + direction * step, 0), self.row_count - 1)
        self.move_cursor(row=row)


class NavOptionList(OptionList):
    BINDINGS = motion_bindings("cursor_down", "cursor_up", "first", "last", "half_page(1)", "half_page(-1)")

    def action_half_page(self, direction: int) -> None:
        if not self.option_count:
            return
        step = max(1, self.scrollable_content_region.height // 2)
        start = self.highlighted if self.highlighted is not None else 0
        target = min(max(start + direction * step, 0), self.option_count - 1)
        # land on an option that can be chosen (headers and notes are disabled)
        order = range(target, self.option_count) if direction > 0 else range(target, -1, -1)
        for index in order:
            if not self.get_option_at_index(index).disabled:
                self.highlighted = index
                return
