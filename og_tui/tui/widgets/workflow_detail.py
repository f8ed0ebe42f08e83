"""The Workflows screen's detail pane: the selected workflow's model, query, schedule, next
run, latest result and a history chart that grows as scheduled runs land.

It shows what it is given (:meth:`WorkflowDetail.show`); the screen reads the contract.
"""

from __future__ import annotations

import time
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from og_tui.tui.format import short_address, short_hash
from og_tui.tui.widgets.history_chart import HistoryChart

__all__ = ["WorkflowDetail", "fmt_number", "fmt_outputs", "fmt_clock", "fmt_ago", "fmt_span", "FOREVER"]

FOREVER = 2**39  # an end time this far out means "no end" (the seeded workflows)

History = list[tuple[int | None, dict[str, list[float]]]]


def fmt_number(value: float) -> str:
    if value == 0:
        return "0"
    mag = abs(value)
    return f"{value:.6g}" if mag >= 1e-3 and mag < 1e6 else f"{value:.3e}"


def fmt_outputs(outputs: dict[str, list[float]], percent_key: str | None = None, limit: int = 3) -> str:
    if not outputs:
        return "no result yet"
    parts = []
    for name, values in list(outputs.items())[:limit]:
        if len(values) == 1:
            shown = fmt_number(values[0])
            if name == percent_key:
                shown += f" ({values[0]:+.4%})"
        else:
            shown = "[" + ", ".join(fmt_number(v) for v in values[:4]) + (", …" if len(values) > 4 else "") + "]"
        parts.append(f"{name} = {shown}")
    return " · ".join(parts)


def fmt_clock(ts: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts)) if ts else "–"


def fmt_ago(seconds: float) -> str:
    """``now - then``: '12 s ago', or 'in 3 s' for a time to come."""
    if seconds < 0:
        ahead = int(-seconds + 0.999)
        return f"in {fmt_span(ahead)}" if ahead > 0 else "now"
    return f"{fmt_span(int(seconds))} ago"


def fmt_span(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


class WorkflowDetail(Vertical):
    def compose(self) -> ComposeResult:
        yield Label("", id="wf-title", classes="pane-title")
        yield Static("", id="wf-info")
        yield Static("", id="wf-latest")
        yield Static("", id="wf-status")
        yield Label("History", id="wf-chart-title")
        yield HistoryChart(id="wf-chart")

    @staticmethod
    def chart_key(output_key: str | None, history: History) -> str | None:
        """The output the chart follows: the public model's forecast, else the first one."""
        if output_key:
            return output_key
        for _t, outputs in reversed(history):
            if outputs:
                return next(iter(outputs))
        return None

    def show_empty(self) -> None:
        self.query_one("#wf-title", Label).update("No workflow selected")
        self.query_one("#wf-info", Static).update("")
        self.query_one("#wf-latest", Static).update("")
        self._show_chart(None, None, [], False)

    def show(
        self,
        *,
        title: str,
        address: str,
        output_key: str | None,
        info: Any,
        error: str | None,
        outputs: dict[str, list[float]] | None,
        history: History,
        history_read: bool,
        now: float,
    ) -> None:
        """``info``: core's WorkflowInfo (None while it is read); ``error``: the last read's;
        ``history_read``: the history has been read (empty means no runs yet)."""
        self.query_one("#wf-title", Label).update(title)
        lines = [f"Address  {short_address(address)}"]
        if info is None:
            lines.append("[$error]" + error.replace("[", r"\[") + "[/]" if error else "[dim]reading the contract…[/]")
        else:
            q = info.query
            types = " ".join(t.name.lower() for t in q.candle_types) if q.candle_types else "?"
            order = {"ASCENDING": "asc", "DESCENDING": "desc"}.get(getattr(q.order, "name", ""), str(q.order))
            lines.append(f"Model    {short_hash(info.model_id, 12, 6)}")
            lines.append(f"Input    {info.input_name}")
            lines.append(f"Query    {q.base}/{q.quote} · {q.total_candles} × {q.candle_duration_in_mins} min · {order}")
            lines.append(f"Candles  {types}")
            sched = info.schedule
            if sched is None:
                lines.append("Schedule not scheduled · s to schedule")
            elif not sched.active(now):
                lines.append(f"Schedule every {sched.frequency} s · ended {fmt_clock(sched.end_time)}")
            else:
                until = (
                    "no end"
                    if sched.end_time >= FOREVER
                    else f"until {time.strftime('%m-%d %H:%M', time.localtime(sched.end_time))}"
                )
                nxt = sched.next_run(now)
                lines.append(f"Schedule every {sched.frequency} s · {until}")
                lines.append(f"Next run {fmt_clock(nxt)} ({fmt_ago(now - nxt)})" if nxt else "Next run –")
            runs = info.result_count
            last = (
                f" · last {fmt_clock(info.last_run_time)} ({fmt_ago(now - info.last_run_time)})"
                if info.last_run_time
                else ""
            )
            lines.append(f"Runs     {runs if runs is not None else '?'}{last}")
            if error:
                lines.append("[$warning]" + error.replace("[", r"\[") + "[/]")
        self.query_one("#wf-info", Static).update("\n".join(lines))
        if outputs is None and history_read and history == []:
            outputs = {}
        self.query_one("#wf-latest", Static).update(
            "Latest   " + (fmt_outputs(outputs, output_key) if outputs is not None else "–")
        )
        self._show_chart(address, output_key, history, history_read)

    def show_status(self, status: tuple[str, str] | None) -> None:
        """The last operation's line: (text, kind: busy/ok/error), or none."""
        widget = self.query_one("#wf-status", Static)
        if not status:
            widget.update("")
            widget.display = False
            return
        text, kind = status
        widget.display = True
        widget.update(text)
        widget.set_class(kind == "error", "-error")
        widget.set_class(kind == "ok", "-ok")
        widget.set_class(kind == "busy", "-busy")

    def _show_chart(self, address: str | None, output_key: str | None, history: History, history_read: bool) -> None:
        chart = self.query_one("#wf-chart", HistoryChart)
        key = self.chart_key(output_key, history)
        points = [(t, outputs[key][0]) for t, outputs in history if key and outputs.get(key)]
        chart.set_values([v for _t, v in points], [t for t, _v in points])
        if address is None:
            chart.empty_text = ""
        elif history_read:
            chart.empty_text = "No runs yet · r runs it now"
        else:
            chart.empty_text = "reading the history…"
        title = f"History · {len(points)} run{'s' if len(points) != 1 else ''}"
        if key:
            title += f" · {key}"
        self.query_one("#wf-chart-title", Label).update(title)
