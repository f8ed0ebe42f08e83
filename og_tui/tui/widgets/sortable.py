"""Tables that sort by a column: ``o`` moves the sort to the next column, ``O`` reverses it,
and the sorted column's header carries ▲ (ascending) or ▼ (descending).

The screen keeps its data and fills the table as before, passing its rows through
:meth:`SortableTable.ordered` first: the order then survives every refresh. A key press
re-orders the rows in place (the cursor stays on the same row) and posts
:class:`SortableTable.Sorted`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from textual.binding import Binding
from textual.message import Message

from og_tui.tui.widgets.motions import NavDataTable

__all__ = ["ASCENDING", "DESCENDING", "SortColumn", "SortableTable", "sort_bindings", "sorted_items"]

ASCENDING = "▲"
DESCENDING = "▼"

_SORT_GROUP = Binding.Group("Sort")


def sort_bindings(
    cycle: str, reverse: str, *, prefix: str = "table", tooltip: str = "Sort by the next column"
) -> list[Binding]:
    """``o`` / ``O`` bound to the given actions (ids ``PREFIX.sort`` and ``PREFIX.sort_reverse``),
    shown together in the footer as ``o O Sort``."""
    return [
        Binding("o", cycle, "Sort", id=f"{prefix}.sort", group=_SORT_GROUP, tooltip=tooltip),
        Binding("O", reverse, "Reverse", id=f"{prefix}.sort_reverse", group=_SORT_GROUP, tooltip="Reverse the order"),
    ]


@dataclass(frozen=True)
class SortColumn:
    """One column: its key, header label and, for a sortable column, the value an item sorts
    by (``None`` values go last). ``descending`` is the first direction (newest, biggest)."""

    key: str
    label: str
    value: Callable[[Any], Any] | None = None
    descending: bool = False


def _rank(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def sorted_items(items: Iterable[Any], value: Callable[[Any], Any], descending: bool) -> list[Any]:
    """``items`` by ``value(item)``, ties in their given order; items without a value last."""
    items = list(items)
    known = [(v, i, item) for i, item in enumerate(items) if (v := _rank(value(item))) is not None]
    missing = [item for item in items if _rank(value(item)) is None]
    known.sort(key=lambda t: t[0], reverse=descending)  # (stable: ties keep their order)
    return [item for _, _, item in known] + missing


class SortableTable(NavDataTable):
    """A :class:`NavDataTable` whose rows come in the chosen column's order."""

    BINDINGS = sort_bindings("cycle_sort", "reverse_sort")

    class Sorted(Message):
        """The user changed the sort (column or direction)."""

        def __init__(self, table: "SortableTable") -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> "SortableTable":
            return self.table

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._specs: list[SortColumn] = []
        self.sort_key: str | None = None
        self.sort_descending = False
        self._items: dict[str, Any] = {}

    # --- set-up ----------------------------------------------------------------------------
    def set_columns(
        self, columns: Sequence[SortColumn], sort: str | None = None, descending: bool | None = None
    ) -> None:
        """Add the columns; sort by ``sort`` (a sortable column's key) in its first direction."""
        self._specs = list(columns)
        spec = self._spec(sort) if sort else None
        self.sort_key = spec.key if spec else None
        self.sort_descending = (spec.descending if descending is None else descending) if spec else False
        self._add_columns()

    def _spec(self, key: str | None) -> SortColumn | None:
        return next((s for s in self._specs if s.key == key and s.value is not None), None)

    def header(self, spec: SortColumn) -> str:
        """The header of a column, with the arrow when the table is sorted by it."""
        if spec.key != self.sort_key:
            return spec.label
        return f"{spec.label} {DESCENDING if self.sort_descending else ASCENDING}"

    def _add_columns(self) -> None:
        for spec in self._specs:
            self.add_column(self.header(spec), key=spec.key)

    @property
    def sort_label(self) -> str:
        """``"Time ▼"``: what the rows are sorted by (empty when not sorted)."""
        spec = self._spec(self.sort_key)
        return self.header(spec) if spec else ""

    # --- data ------------------------------------------------------------------------------
    def ordered(self, items: Iterable[Any], row_key: Callable[[Any], str]) -> list[Any]:
        """``items`` in the table's order; remembered so that a key press can re-order the rows."""
        items = list(items)
        self._items = {str(row_key(item)): item for item in items}
        spec = self._spec(self.sort_key)
        if spec is None or spec.value is None:
            return items
        return sorted_items(items, spec.value, self.sort_descending)

    # --- keys ------------------------------------------------------------------------------
    def action_cycle_sort(self) -> None:
        sortable = [s for s in self._specs if s.value is not None]
        if not sortable:
            return
        keys = [s.key for s in sortable]
        index = keys.index(self.sort_key) + 1 if self.sort_key in keys else 0
        spec = sortable[index % len(sortable)]
        self.sort_key = spec.key
        self.sort_descending = spec.descending
        self._resort()

    def action_reverse_sort(self) -> None:
        if self._spec(self.sort_key) is None:
            self.action_cycle_sort()
            return
        self.sort_descending = not self.sort_descending
        self._resort()

    def sort_by(self, key: str, descending: bool | None = None) -> None:
        """Sort by column ``key`` (its first direction unless ``descending`` is given)."""
        spec = self._spec(key)
        if spec is None:
            raise ValueError(f"column {key!r} cannot be sorted")
        self.sort_key = key
        self.sort_descending = spec.descending if descending is None else descending
        self._resort()

    def _resort(self) -> None:
        """Rebuild the rows in the new order (the same cells), the cursor on the same row."""
        current = None
        if self.row_count:
            current = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        rows = []
        for row_key in list(self.rows):
            rows.append((row_key.value, self.get_row(row_key), self.rows[row_key].height))
        by_key = {key: (cells, height) for key, cells, height in rows}
        known = [self._items[key] for key, _, _ in rows if key in self._items]
        spec = self._spec(self.sort_key)
        order = [key for key, _, _ in rows]
        if spec is not None and spec.value is not None and len(known) == len(rows):
            keys_of = {id(item): key for key, item in self._items.items()}
            order = [keys_of[id(item)] for item in sorted_items(known, spec.value, self.sort_descending)]
        self.clear(columns=True)
        self._add_columns()
        for key in order:
            cells, height = by_key[key]
            self.add_row(*cells, key=key, height=height)
        if current is not None and current in by_key:
            self.move_cursor(row=self.get_row_index(current), animate=False)
        self.post_message(self.Sorted(self))
