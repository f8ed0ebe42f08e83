"""Activity screen: every transaction the app and the CLI sent, and every x402 payment with
the status of its settlement (pending, queued, settled with its transaction, failed, not
charged), kept across restarts."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, Static

from og_tui.tui.format import fmt_time, fmt_units, short_hash
from og_tui.tui.payment_text import is_opg, payment_kind, payment_token
from og_tui.tui.screens.base import OGScreen
from og_tui.tui.widgets.list_filter import ListFilter, matches
from og_tui.tui.widgets.sortable import SortableTable, SortColumn

PAGE = 500
PAYMENT_STYLES = {"settled": "green", "failed": "red", "not charged": "cyan", "pending": "yellow", "queued": "yellow"}


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class ActivityScreen(OGScreen):
    MODE = "activity"
    MAIN_PANE = "#txs"

    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="activity.refresh"),
        Binding("c", "copy_hash", "Copy hash", id="activity.copy", tooltip="Copy the transaction hash (OSC 52)"),
        Binding("a", "toggle_all", "All profiles", id="activity.all", tooltip="Show every profile's transactions"),
        Binding("slash", "filter", "Filter", id="activity.filter", tooltip="Narrow the lists to what you type"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.all_profiles = False
        self._rows: dict[str, Any] = {}
        self._payments: dict[str, Any] = {}
        self._all_txs: list[Any] = []
        self._all_payments: list[Any] = []
        self._via: dict[str, str] = {}  # processing hash -> the gateway key a payment was made for
        self.filter_text = ""

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="activity-body"):
            with Vertical(id="tx-pane"):
                yield ListFilter("txs", id="tx-filter")
                yield Label("Transactions", classes="pane-title", id="tx-title")
                yield SortableTable(id="txs", cursor_type="row", zebra_stripes=True)
                yield Static("No transactions yet. Send one from the Account screen (F2).", id="tx-empty")
                yield Label("Payments", classes="pane-title", id="pay-title")
                yield SortableTable(id="payments", cursor_type="row", zebra_stripes=True)
            with Vertical(id="tx-detail-pane"):
                yield Label("Details", classes="pane-title")
                yield Static("", id="tx-detail")

    def on_mount(self) -> None:
        self.query_one("#txs", SortableTable).set_columns(
            [
                SortColumn("time", "Time", lambda r: r.created_at, descending=True),
                SortColumn("kind", "Kind", lambda r: r.kind),
                SortColumn("status", "Status", lambda r: r.status),
                SortColumn("hash", "Hash", lambda r: r.hash),
                SortColumn("gas", "Gas", lambda r: r.gas_used, descending=True),
                SortColumn("block", "Block", lambda r: r.block, descending=True),
            ],
            sort="time",
        )
        profile = self.app.ctx.profile
        # (a profile that may pay x402 v2 has payments in OPG too: each amount names its token)
        symbol = profile.payment_token_symbol if str(profile.x402_version) == "1" else ""
        self.query_one("#payments", SortableTable).set_columns(
            [
                SortColumn("time", "Time", lambda r: r.created_at, descending=True),
                SortColumn("model", "Model", lambda r: r.model),
                SortColumn("amount", f"Paid {symbol}".rstrip(), lambda r: _int_or_none(r.amount), descending=True),
                SortColumn("status", "Status", lambda r: r.status or "pending"),
                SortColumn("settlement", "Settlement", lambda r: r.settlement_tx),
            ],
            sort="time",
        )
        self.watch(self.app, "tx_version", lambda _v: self.load(), init=True)

    def action_refresh(self) -> None:
        self.load()

    def action_filter(self) -> None:
        self.query_one(ListFilter).open()

    @on(Input.Changed, "#tx-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if event.value.strip() == self.filter_text:
            return  # (the field's first Changed, on mount)
        self.filter_text = event.value.strip()
        self._show(self._all_txs)
        self._show_payments(self._all_payments)

    def action_toggle_all(self) -> None:
        self.all_profiles = not self.all_profiles
        self.load()

    @work(thread=True, exclusive=True, group="activity", exit_on_error=False, description="load activity")
    def load(self) -> None:
        ctx = self.app.ctx
        profile = None if self.all_profiles else ctx.profile.name
        rows = self.app.run_op("Loading activity", lambda: ctx.store.list_txs(profile=profile, limit=PAGE), "Activity")
        payments = self.app.run_op(
            "Loading payments", lambda: ctx.store.list_payments(profile=profile, limit=PAGE), "Activity"
        )
        via = None
        if payments:
            from og_tui.tui.gateway_control import gateway_keys_by_payment

            hashes = [p.processing_hash for p in payments if p.processing_hash]
            via = self.app.run_op("Loading payments", lambda: gateway_keys_by_payment(ctx.store, hashes), "Activity")
        if rows is not None:
            self.app.call_from_thread(self._show, rows)
        if payments is not None:
            self.app.call_from_thread(self._show_payments, payments, via or {})

    def _show(self, rows: list[Any]) -> None:
        self._all_txs = rows
        if self.filter_text:
            rows = [
                r
                for r in rows
                if matches(self.filter_text, r.kind, r.status, r.hash, r.from_addr, r.to_addr, r.block, r.profile)
            ]
        table = self.query_one("#txs", SortableTable)
        keep = table.cursor_row
        table.clear()
        self._rows = {}
        rows = table.ordered(rows, lambda r: r.hash)
        for row in rows:
            self._rows[row.hash] = row
            status = row.status
            style = {"confirmed": "green", "failed": "red", "pending": "yellow"}.get(status, "")
            table.add_row(
                fmt_time(row.created_at, short=True),
                row.kind,
                f"[{style}]{status}[/]" if style else status,
                short_hash(row.hash, 6, 4),
                f"{row.gas_used:,}" if row.gas_used else "–",
                str(row.block) if row.block is not None else "–",
                key=row.hash,
            )
        empty = self.query_one("#tx-empty", Static)
        empty.display = not rows
        if not rows:
            empty.update(
                f"No transaction matches “{self.filter_text}”: esc in the filter clears it."
                if self.filter_text
                else "No transactions yet. Send one from the Account screen (F2)."
            )
        table.display = bool(rows)
        scope = "all profiles" if self.all_profiles else f"profile {self.app.ctx.profile.name}"
        shown = f"{len(rows)} of {len(self._all_txs)} match “{self.filter_text}”" if self.filter_text else len(rows)
        self.query_one("#tx-title", Label).update(f"Transactions · {scope} · {shown}")
        if rows:
            table.move_cursor(row=min(max(keep, 0), len(rows) - 1))
            self._detail(self._current())

    def _show_payments(self, rows: list[Any], via: dict[str, str] | None = None) -> None:
        self._all_payments = rows
        if via is not None:
            self._via = via
        if self.filter_text:
            rows = [
                r
                for r in rows
                if matches(
                    self.filter_text,
                    "payment",
                    r.model,
                    r.mode,
                    r.status,
                    r.settlement_tx,
                    r.payee,
                    self._via.get(r.processing_hash or ""),
                )
            ]
        table = self.query_one("#payments", SortableTable)
        keep = table.cursor_row
        table.clear()
        self._payments = {}
        rows = table.ordered(rows, lambda r: f"pay-{r.id}")
        for row in rows:
            key = f"pay-{row.id}"
            self._payments[key] = row
            status = row.status or "pending"
            style = PAYMENT_STYLES.get(status, "")
            table.add_row(
                fmt_time(row.created_at, short=True),
                _clip(row.model or "–", 18),
                self._paid(row),
                f"[{style}]{status}[/]" if style else status,
                short_hash(row.settlement_tx, 6, 4) if row.settlement_tx else "–",
                key=key,
            )
        table.display = bool(rows)
        self.query_one("#pay-title", Label).display = bool(rows)
        self.query_one("#pay-title", Label).update(f"Payments · {len(rows)}")
        if rows:
            table.move_cursor(row=min(max(keep, 0), len(rows) - 1))

    def _paid(self, row: Any) -> str:
        """The amount column: in the profile's token, or naming its token (OPG, x402 v2)."""
        profile = self.app.ctx.profile
        symbol, decimals = payment_token(row, profile)
        amount = fmt_units(row.amount, decimals, 6)
        return (
            amount
            if str(profile.x402_version) == "1" and symbol == profile.payment_token_symbol
            else f"{amount} {symbol}"
        )

    @on(DataTable.RowHighlighted, "#payments")
    def _payment_highlighted(self) -> None:
        table = self.query_one("#payments", DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        row = self._payments.get(str(key.value))
        if row is not None:
            self._payment_detail(row)

    def _payment_detail(self, row: Any) -> None:
        profile = self.app.ctx.profile
        detail = row.detail or {}
        status = row.status or "pending"
        token = payment_token(row, profile)
        lines = [
            f"[b]payment[/b] · {status}",
            f"amount {fmt_units(row.amount, token[1], 6)} {token[0]}",
            f"model  {row.model or '–'}",
            f"mode   {payment_kind(row, profile) if token[0] == 'OPG' else row.mode or '–'}",
            *([f"blob   {detail['blob_id']}"] if detail.get("blob_id") else []),
            f"time   {fmt_time(row.created_at)}",
            f"payee  {row.payee or '–'}",
            f"payer  {detail.get('payer') or '–'}",
            *([f"via    {self._via[row.processing_hash]}"] if row.processing_hash in self._via else []),
            f"ref    {detail.get('processing_hash') or row.hash or '–'}",
            f"settlement {row.settlement_tx or '–'}",
            f"profile {row.profile}",
        ]
        if row.status_reason:
            lines.append(f"[yellow]{row.status_reason}[/yellow]")
        link = profile.explorer_tx_url(row.settlement_tx) if row.settlement_tx else None
        if link and row.profile == profile.name:
            lines.append(f"[link={link}]open the settlement in the explorer[/link]")
        self.query_one("#tx-detail", Static).update("\n".join(lines))

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
            f"value  {self._amount(row.value, row.token)}",
            f"profile {row.profile}",
        ]
        if row.error:
            lines.append(f"[red]error  {row.error}[/red]")
        link = self.app.ctx.profile.explorer_tx_url(row.hash)
        if link and row.profile == self.app.ctx.profile.name:
            lines.append(f"[link={link}]open in the explorer[/link]")
        self.query_one("#tx-detail", Static).update("\n".join(lines))

    def _amount(self, value: str | None, token: str | None) -> str:
        """A stored amount (wei / atomic units) in OG or the token's units."""
        if not value:
            return "–"
        try:
            units = int(value)
        except ValueError:
            return f"{value} {token or ''}".rstrip()
        profile = self.app.ctx.profile
        if not token or token == "OG":
            return f"{fmt_units(units, 18, 6)} OG"
        if token in (profile.payment_token_symbol, "OUSDC"):
            return f"{fmt_units(units, profile.payment_token_decimals, 6)} {token}"
        if is_opg(token, profile):  # (e.g. the approve of x402 v2: what Permit2 may move)
            return f"{fmt_units(units, 18, 6)} OPG"
        return f"{units} {token} (atomic units)"

    def action_copy_hash(self) -> None:
        if self.focused is self.query_one("#payments", DataTable):
            key = None
            table = self.query_one("#payments", DataTable)
            if table.row_count:
                key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            payment = self._payments.get(str(key.value)) if key is not None else None
            ref = payment and (payment.settlement_tx or (payment.detail or {}).get("processing_hash"))
            if ref:
                self.app.copy_to_clipboard(ref)
                self.notify(ref, title="Hash copied")
            return
        row = self._current()
        if row is not None:
            self.app.copy_to_clipboard(row.hash)
            self.notify(row.hash, title="Hash copied")
