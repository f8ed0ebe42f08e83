"""ModelTable: a virtual, keyboard-driven list of hub models (one line per model).

Only the visible lines are rendered and nothing is measured per row, so appending
200 rows, re-sorting 10,000 or clearing costs a few milliseconds. Columns adapt to the
width: Name (flexible), Ver, and Author / Updated when there is room.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from og_tui.tui.widgets.motions import motion_bindings


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if len(text) > width:
        return text[: max(width - 1, 0)] + "…"
    return text.ljust(width)


def _day(iso: Any) -> str:
    return str(iso)[:10] if iso else "–"


class ModelTable(ScrollView, can_focus=True):
    """Rows are model dicts keyed by name; the cursor row is the selected model."""

    DEFAULT_CSS = """
    ModelTable { background: $surface; overflow-x: hidden; }
    ModelTable > .model-table--header { text-style: bold; color: $text-accent; background: $panel; }
    ModelTable > .model-table--odd { background: $foreground 4%; }
    ModelTable > .model-table--cursor { background: $block-cursor-blurred-background; }
    ModelTable:focus > .model-table--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold;
    }
    ModelTable > .model-table--dim { color: $text-muted; }
    """
    COMPONENT_CLASSES = {"model-table--header", "model-table--odd", "model-table--cursor", "model-table--dim"}

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        *motion_bindings("cursor(1)", "cursor(-1)", "jump(0)", "jump(-1)", "page(1)", "page(-1)"),
        Binding("enter", "select", "Open", show=False, tooltip="Move to the model's files"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class Highlighted(Message):
        """The model under the cursor changed (``name`` is None when the table is empty)."""

        def __init__(self, table: "ModelTable", name: str | None) -> None:
            super().__init__()
            self.table = table
            self.name = name

        @property
        def control(self) -> "ModelTable":
            return self.table

    class Selected(Message):
        def __init__(self, table: "ModelTable", name: str) -> None:
            super().__init__()
            self.table = table
            self.name = name

        @property
        def control(self) -> "ModelTable":
            return self.table

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._names: list[str] = []
        self._index: dict[str, int] = {}
        self._models: dict[str, dict[str, Any]] = {}
        self._announced: str | None = None
        self.empty_text = ""
        self.sort_column = "name"  # the header of this column carries ▲ or ▼
        self.sort_descending = False

    # --- data -------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._names)

    @property
    def names(self) -> list[str]:
        return list(self._names)

    @property
    def current(self) -> str | None:
        if 0 <= self.cursor < len(self._names):
            return self._names[self.cursor]
        return None

    def index_of(self, name: str) -> int:
        return self._index[name]

    def clear(self) -> None:
        self._names.clear()
        self._index.clear()
        self._models.clear()
        self.set_reactive(ModelTable.cursor, 0)
        self.scroll_to(y=0, animate=False, immediate=True)
        self._changed()

    def append(self, models: Iterable[dict[str, Any]]) -> int:
        """Add models at the end (duplicates by name are skipped); returns how many."""
        added = 0
        for model in models:
            name = str(model.get("name") or "")
            if not name or name in self._index:
                continue
            self._index[name] = len(self._names)
            self._names.append(name)
            self._models[name] = model
            added += 1
        if added:
            self._changed()
        return added

    def sort(self, key: Callable[[str], Any], reverse: bool = False) -> None:
        """Reorder the rows (the cursor stays on the same model)."""
        current = self.current
        self._names.sort(key=key, reverse=reverse)
        self._index = {name: i for i, name in enumerate(self._names)}
        if current is not None:
            self.set_reactive(ModelTable.cursor, self._index[current])
            self._scroll_to_cursor()
        self._changed()

    def move_to(self, row: int) -> None:
        if self._names:
            self.cursor = max(0, min(row, len(self._names) - 1))

    def _changed(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._names) + 1)
        self.refresh()
        self._announce()

    def _announce(self) -> None:
        name = self.current
        if name != self._announced:
            self._announced = name
            self.post_message(self.Highlighted(self, name))

    # --- cursor ---------------------------------------------------------------------------
    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._names) - 1)) if self._names else 0

    def watch_cursor(self) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self._announce()

    def _rows_visible(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top = int(self.scroll_y)
        visible = self._rows_visible()
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * self._rows_visible())

    def action_jump(self, row: int) -> None:
        self.move_to(row if row >= 0 else len(self._names) - 1)

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self, self.current))

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            row = int(self.scroll_y) + event.y - 1
            if row < len(self._names):
                self.move_to(row)
                if event.chain >= 2:
                    self.action_select()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._names) + 1)

    # --- rendering -----------------------------------------------------------------------------
    def _columns(self, width: int) -> list[tuple[str, str, int]]:
        """(key, title, width) for this width: the name column takes what is left."""
        cols: list[tuple[str, str, int]] = [("ver", "Ver", 5)]
        if width >= 46:
            cols.append(("author", "Author", 10))
        if width >= 57:
            cols.append(("updated", "Updated", 10))
        rest = width - sum(w + 1 for _, _, w in cols) - 1
        return [("name", "Name", max(rest, 8))] + cols

    @staticmethod
    def _cell(model: dict[str, Any], key: str) -> str:
        if key == "name":
            return str(model.get("name") or "")
        if key == "ver":
            return str(model.get("latestVersion") or "–")
        if key == "author":
            return str(model.get("authorUsername") or "–")
        return _day(model.get("updatedAt") or model.get("createdAt"))

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        columns = self._columns(width)
        if y == 0:
            arrow = "▼" if self.sort_descending else "▲"
            text = " " + " ".join(
                _fit(f"{title} {arrow}" if key == self.sort_column else title, w) for key, title, w in columns
            )
            style = self.get_component_rich_style("model-table--header")
            return Strip([Segment(_fit(text, width), style)], width)
        row = int(self.scroll_y) + y - 1
        base = self.rich_style
        if row >= len(self._names):
            if row == 0 and self.empty_text:
                dim = self.get_component_rich_style("model-table--dim")
                return Strip([Segment(_fit(" " + self.empty_text, width), base + dim)], width)
            return Strip([Segment(" " * width, base)], width)
        model = self._models[self._names[row]]
        text = " " + " ".join(_fit(self._cell(model, key), w) for key, _, w in columns)
        style: Style = base
        if row % 2:
            style = style + self.get_component_rich_style("model-table--odd")
        if row == self.cursor:
            style = style + self.get_component_rich_style("model-table--cursor")
        return Strip([Segment(_fit(text, width), style)], width)
