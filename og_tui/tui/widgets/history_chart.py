"""HistoryChart: a column chart of a workflow's results, oldest on the left.

Each column is one run; its height uses eighth blocks (``▁▂▃▄▅▆▇█``) so a chart a few
rows tall still shows small moves. The y axis shows the top and bottom values; when
there are more runs than columns, the most recent ones are shown; a few runs get wider
bars. With run times, the last row is a time axis. No plotting library.
"""

from __future__ import annotations

import math
import time
from typing import ClassVar, Sequence

from rich.segment import Segment
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

BLOCKS = " ▁▂▃▄▅▆▇█"


def axis_decimals(lo: float, hi: float) -> int | None:
    """Decimals that tell the top, middle and bottom labels apart (None: use 3 significant digits)."""
    span = hi - lo
    mag = max(abs(lo), abs(hi))
    if not math.isfinite(span) or mag >= 1e6 or (mag < 1e-4 and mag != 0):
        return None
    if span <= 0:
        return max(0, min(8, 3 - int(math.floor(math.log10(mag))))) if mag else 0
    return max(0, min(8, 1 - int(math.floor(math.log10(span / 2)))))


def fmt_value(value: float, decimals: int | None = None) -> str:
    """An axis label: fixed ``decimals`` when given, else 3-4 significant digits."""
    if not math.isfinite(value):
        return str(value)
    if decimals is not None:
        return f"{value:.{decimals}f}"
    if value == 0:
        return "0"
    mag = abs(value)
    if mag >= 1e6 or mag < 1e-4:
        return f"{value:.3g}"
    return f"{value:.4g}" if mag >= 1 else f"{value:.4f}"


def column_levels(values: Sequence[float], height: int, lo: float, hi: float) -> list[int]:
    """Each value's bar height in eighths of a row (1 .. height*8)."""
    cells = max(1, height) * 8
    span = hi - lo
    out = []
    for v in values:
        if not math.isfinite(v):
            out.append(0)
            continue
        frac = 0.5 if span <= 0 else (v - lo) / span
        out.append(max(1, min(cells, int(round(1 + frac * (cells - 1))))))
    return out


def bar_char(level: int, row_from_bottom: int) -> str:
    """The character of a bar of ``level`` eighths in the row ``row_from_bottom`` (0 = bottom)."""
    fill = level - row_from_bottom * 8
    if fill >= 8:
        return BLOCKS[8]
    if fill <= 0:
        return " "
    return BLOCKS[fill]


class HistoryChart(Widget):
    """Values over runs, oldest first, with optional run times for an x axis.

    ``set_values(values, times)``: when ``times`` (unix seconds, one per value) are given
    and the widget is at least 4 rows tall, the last row shows the first and last shown
    run's time under the bars. Empty: says ``empty_text`` instead of drawing.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "history-chart--bar",
        "history-chart--last",
        "history-chart--axis",
        "history-chart--empty",
    }

    DEFAULT_CSS = """
    HistoryChart {
        height: 6;
        min-height: 3;
    }
    HistoryChart > .history-chart--bar { color: $primary; }
    HistoryChart > .history-chart--last { color: $accent; }
    HistoryChart > .history-chart--axis { color: $text-muted; }
    HistoryChart > .history-chart--empty { color: $text-muted; }
    """

    values: reactive[tuple[float, ...]] = reactive(tuple)
    times: reactive[tuple[float | None, ...]] = reactive(tuple)
    empty_text: reactive[str] = reactive("No runs yet.")

    def __init__(self, values: Sequence[float] = (), *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.set_reactive(HistoryChart.values, tuple(float(v) for v in values))

    def set_values(self, values: Sequence[float], times: Sequence[float | None] | None = None) -> None:
        self.set_reactive(HistoryChart.times, tuple(times) if times is not None and len(times) == len(values) else ())
        self.values = tuple(float(v) for v in values)

    # --- layout of one frame -------------------------------------------------------------
    def _plot_height(self, height: int) -> int:
        return height - 1 if self.times and height >= 4 else height

    def _frame(self, width: int, height: int) -> tuple[list[str], list[int], int, int, int]:
        """(axis labels per row, levels of the shown runs, label width, first bar x, bar width)."""
        values = [v for v in self.values if math.isfinite(v)]
        if not values or height <= 0:
            return [], [], 0, 0, 1
        lo, hi = min(values), max(values)
        decimals = axis_decimals(lo, hi)
        top, bottom = fmt_value(hi, decimals), fmt_value(lo, decimals)
        labels = [""] * height
        if hi == lo:  # a flat line: one label, beside the bars' tops
            level = column_levels([lo], height, lo, hi)[0]
            labels[max(0, height - 1 - (level - 1) // 8)] = top
        else:
            labels[0] = top
            if height > 1:
                labels[-1] = bottom
            if height >= 5:
                labels[height // 2] = fmt_value((hi + lo) / 2, decimals)
        label_w = max(len(text) for text in labels)
        labels = [text.rjust(label_w) if text else "" for text in labels]
        x0 = label_w + 2
        plot_w = max(1, width - x0)
        shown = values[-plot_w:]
        bar_w = max(1, min(3, plot_w // len(shown)))
        return labels, column_levels(shown, height, lo, hi), label_w, x0, bar_w

    def visible_count(self) -> int:
        """How many of the most recent values fit (the rest scroll off on the left)."""
        height = self._plot_height(self.size.height or 6)
        return max(1, len(self._frame(self.size.width or 80, height)[1]))

    def _axis_line(self, width: int, x0: int, span: int, shown: int) -> str:
        times = [t for t in self.times[-shown:] if t] if shown else []
        if len(times) < 2:
            return ""
        first = time.strftime("%H:%M:%S", time.localtime(times[0]))
        last = time.strftime("%H:%M:%S", time.localtime(times[-1]))
        gap = span - len(first) - len(last)
        text = first + " " * gap + last if gap >= 3 else f"{first} … {last}"
        return (" " * x0 + text)[:width]

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        base = self.rich_style
        if width <= 0:
            return Strip.blank(0)
        plot_h = self._plot_height(height)
        labels, levels, label_w, x0, bar_w = self._frame(width, plot_h)
        if not levels:
            if y == height // 2:
                style = base + self.get_component_rich_style("history-chart--empty", partial=True)
                return Strip([Segment(self.empty_text[:width].center(width), style)], width)
            return Strip.blank(width, base)
        axis = base + self.get_component_rich_style("history-chart--axis", partial=True)
        if y >= plot_h:  # the time axis row
            text = self._axis_line(width, x0, len(levels) * bar_w, len(levels))
            return Strip([Segment(text.ljust(width), axis)], width)
        bar = base + self.get_component_rich_style("history-chart--bar", partial=True)
        last = base + self.get_component_rich_style("history-chart--last", partial=True)
        row_from_bottom = plot_h - 1 - y
        label = labels[y]
        segments = [Segment(label + " ┤" if label else " " * label_w + " │", axis)]
        chars = "".join(bar_char(level, row_from_bottom) * bar_w for level in levels)
        segments.append(Segment(chars[:-bar_w], bar))
        segments.append(Segment(chars[-bar_w:], last))
        used = x0 + len(chars)
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        return Strip(segments, width).crop(0, width)
