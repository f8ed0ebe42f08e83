"""Activity screen: every transaction the app sent, kept across restarts."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, Static

from og_tui.tui.format import fmt_time, short_hash
from og_tui.tui.screens.base import OGScreen

PAGE = 500


class ActivityScreen(OGScreen):
    MODE = "activity"

    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="activity.refresh"),
        Binding("c", "copy_hash", "Copy hash", id="activity.copy", tooltip="Copy the transaction hash (OSC 52)"),
        Binding("a", "toggle_all", "All profiles", id="activity.all", tooltip="Show every profile's transactions"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.all_profiles = False
        self._rows: dict[str, Any] = {}

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="activity-body"):
            with Vertical(id="tx-pane"):
                yield Label("Transactions", classes="pane-title", id="tx-title")
                yield DataTable(id="txs", cursor_type="row", zebra_stripes=True)
                yield Static("No transactions yet. Send one from the Account screen (F2).", id="tx-empty")
            with Vertical(id="tx-detail-pane"):
                yield Label("Details", classes="pane-title")
                yield Static("", id="tx-detail")

    def on_mount(self) -> None:
        table = self.query_one("#txs", DataTable)
        table.add_column("Time", key="time")
        table.add_column("Kind", key="kind")
        table.add_column("Status", key="status")
        table.add_column("Hash", key="hash")
        table.add_column("Gas", key="gas")
        table.add_column("Block", key="block")
        self.watch(self.app, "tx_version", lambda _v: self.load(), init=True)

    def action_refresh(self) -> None:
        self.load()

    def action_toggle_all(self) -> None:
        self.all_profiles = not self.all_profiles
        self.load()

    @work(thread=True, exclusive=True, group="activity", exit_on_error=False, description="load activity")
    def load(self) -> None:
        ctx = self.app.ctx
        profile = None if self.all_profiles else ctx.profile.name
        rows = self.app.run_op("Loading activity", lambda: ctx.store.list_txs(profile=profile, limit=PAGE), "Activity")
        if rows is not None:
            self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[Any]) -> None:
        table = self.query_one("#txs", DataTable)
        keep = table.cursor_row
        table.clear()
        self._rows = {}
        for row in rows:
            self._rows[row.hash] = row
            status = row.status
            style = {"confirmed": "green", "failed": "red", "pending": "yellow"}.get(status, "")
            table.add_row(
                fmt_time(row.created_at, short=True),
                row.kind,
                f"[{style}]{status}[/]" if style else status,
                short_hash(row.hash, 8, 4),
                f"{row.gas_used:,}" if row.gas_used else "–",
                str(row.block) if row.block is not None else "–",
                key=row.hash,
            )
        self.query_one("#tx-empty").display = not rows
        table.display = bool(rows)
        scope = "all profiles" if self.all_profiles else f"profile {self.app.ctx.profile.name}"
        self.query_one("#tx-title", Label).update(f"Transactions · {scope} · {len(rows)}")
        if rows:
            table.move_cursor(row=min(max(keep, 0), len(rows) - 1))
            self._detail(self._current())

    def _current(self) -> Any | None:
        table = self.query_one("#txs", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self._rows.get(str(key.value))

    @on(DataTable.RowHighlighted, "#txs")
    def _highlighted(self) -> None:
        self._detail(self._current())

    def _detail(self, row: Any | None) -> None:
        if row is None:
            self.query_one("#tx-detail", Static).update("")
            return
        lines = [
            f"[b]{row.kind}[/b] · {row.status}",
            f"hash   {row.hash}",
            f"time   {fmt_time(row.created_at)}",
            f"block  {row.block if row.block is not None else '–'}",
            f"gas    {row.gas_used if row.gas_used else '–'}",
            f"from   {row.from_addr or '–'}",
            f"to     {row.to_addr or '–'}",
            f"value  {row.value or '–'} {row.token or ''}".rstrip(),
            f"profile {row.profile}",
        ]
        if row.error:
            lines.append(f"[red]error  {row.error}[/red]")
        link = self.app.ctx.profile.explorer_tx_url(row.hash)
        if link and row.profile == self.app.ctx.profile.name:
            lines.append(f"[link={link}]open in the explorer[/link]")
        self.query_one("#tx-detail", Static).update("\n".join(lines))

    def action_copy_hash(self) -> None:
        row = self._current()
        if row is not None:
            self.app.copy_to_clipboard(row.hash)
            self.notify(row.hash, title="Hash copied")
