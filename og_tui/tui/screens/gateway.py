"""The gateway panel: start / stop the OpenAI-compatible gateway inside the app, its live
state (URL, requests in flight, spend per key against its budgets, the last errors) and
its API keys (new, revoke). A key with OPG budgets (x402 v2) or OPG spending gets a second
line in the table: its OPG spend against its OPG budgets. Opened with ``a`` on Account, from the palette ("gateway: …")
or by clicking the gateway in the status bar; the state is ``app.gateway_state``
(:mod:`og_tui.tui.gateway_control`), redrawn whenever a worker replaces it."""

from __future__ import annotations

import time
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from og_tui.tui.format import fmt_units, short_address
from og_tui.tui.gateway_control import GatewayControl, GatewayState, KeyRow
from og_tui.tui.screens.modals import Dialog, FieldError
from og_tui.tui.widgets.footer import OGFooter
from og_tui.tui.widgets.motions import NavDataTable

__all__ = ["GatewayPanel", "KeySecretDialog", "NewKeyDialog"]

ERROR_WIDTH = 64


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class GatewayPanel(ModalScreen):
    """The gateway's state and keys, over the current screen."""

    DEFAULT_CLASSES = "dialog-screen"
    BINDINGS = [
        Binding("s", "toggle", "Start/stop", id="gateway.toggle", tooltip="Start or stop the gateway"),
        Binding("n", "new_key", "New key", id="gateway.new_key", tooltip="Issue an API key with its budgets"),
        Binding("x", "revoke", "Revoke", id="gateway.revoke", tooltip="Revoke the highlighted API key"),
        Binding("c", "copy_url", "Copy URL", id="gateway.copy", tooltip="Copy the gateway's base URL"),
        Binding("r", "refresh", "Refresh", id="gateway.refresh", show=False),
        Binding("escape", "close", "Close", id="gateway.close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="gw-box"):
            yield Label("Gateway", classes="dialog-title", id="gw-title")
            yield Static("", id="gw-state")
            yield Label("API keys", classes="gw-section", id="gw-keys-title")
            yield NavDataTable(id="gw-keys", cursor_type="row", zebra_stripes=True)
            yield Static("", id="gw-keys-empty", classes="pane-hint")
            yield Label("Last errors", classes="gw-section")
            yield Static("", id="gw-errors")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Start", id="gw-toggle", variant="primary", compact=True)
                yield Button("New key", id="gw-new", compact=True)
                yield Button("Revoke", id="gw-revoke", compact=True)
                yield Button("Close", id="gw-close", compact=True)
        yield OGFooter(compact=True)

    @property
    def control(self) -> GatewayControl:
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        table = self.query_one("#gw-keys", DataTable)
        for label, key in (
            ("#", "id"),
            ("Name", "name"),
            ("Key", "prefix"),
            ("Today / day", "today"),
            ("Total / budget", "total"),
            ("Per req.", "per_request"),
        ):
            table.add_column(label, key=key)
        self.watch(self.app, "gateway_version", lambda _v: self._show(self.control.gateway_state), init=True)
        self.control.gateway_refresh()
        table.focus()

    def on_worker_state_changed(self, event) -> None:
        self.app.report_worker(event)

    # --- drawing ------------------------------------------------------------------------
    def _units(self, units: int | None) -> str:
        return fmt_units(units, self.app.ctx.profile.payment_token_decimals, 6)

    def _spent(self, spent: int, budget: int | None, decimals: int | None = None) -> str:
        units = self._units if decimals is None else (lambda u: fmt_units(u, decimals, 6))
        return f"{units(spent)} / {units(budget)}" if budget is not None else units(spent)

    def _opg_cells(self, k: KeyRow) -> tuple[str, str, str]:
        """The key's OPG line: today / day, total / budget, per request."""
        from og_tui.core import constants

        dec, sym = constants.OPG_DECIMALS, constants.OPG_NAME
        per_request = fmt_units(k.opg_per_request, dec, 6) if k.opg_per_request is not None else "–"
        return (
            f"{self._spent(k.opg_spent_today, k.opg_per_day, dec)} {sym}",
            f"{self._spent(k.opg_spent_total, k.opg_total, dec)} {sym}",
            f"{per_request} {sym}",
        )

    def _show(self, state: GatewayState) -> None:
        symbol = self.app.ctx.profile.payment_token_symbol
        title = self.query_one("#gw-title", Label)
        toggle = self.query_one("#gw-toggle", Button)
        if state.busy:
            title.update(f"Gateway · {state.busy}…")
        elif state.running:
            title.update("Gateway · [b $success]running[/]")
        else:
            title.update("Gateway · [$text-muted]stopped[/]")
        toggle.label = "Stop" if state.running else "Start"
        toggle.variant = "error" if state.running else "primary"
        toggle.disabled = bool(state.busy)
        lines = []
        if state.running:
            wallet = f"{state.wallet_name or 'wallet'} {short_address(state.address or '')}"
            lines.append(f"[b]{state.url}[/b] · profile {state.profile}")
            lines.append(f"paying from {wallet}, unlocked while it runs")
            opg = ""
            if state.opg_spent_run:
                from og_tui.core import constants

                opg = f" + {fmt_units(state.opg_spent_run, constants.OPG_DECIMALS, 6)} {constants.OPG_NAME}"
            lines.append(
                f"{state.in_flight} in flight · {state.served} served · {self._units(state.spent_run)} {symbol}{opg} "
                f"this run · up {GatewayControl.gateway_uptime(state)}"
            )
        else:
            port = state.port or 8746
            lines.append(
                f"s starts an OpenAI-compatible API on http://127.0.0.1:{port}/v1 for local tools, paid with x402 "
                "from the active wallet under each key's budgets and the global caps."
            )
        if state.error:
            lines.append(f"[$error]{state.error}[/]")
        self.query_one("#gw-state", Static).update("\n".join(lines))
        self._show_keys(state.keys)
        self._show_errors(state)

    def _show_keys(self, keys: tuple[KeyRow, ...]) -> None:
        table = self.query_one("#gw-keys", DataTable)
        keep = table.cursor_row
        table.clear()
        active = [k for k in keys if not k.revoked]
        for k in active:
            cells = [
                self._spent(k.spent_today, k.per_day),
                self._spent(k.spent_total, k.total),
                self._units(k.per_request) if k.per_request is not None else "–",
            ]
            if k.shows_opg:  # the OPG line under the payment token's
                cells = [f"{mine}\n{opg}" for mine, opg in zip(cells, self._opg_cells(k))]
            table.add_row(
                str(k.id),
                escape(_clip(k.name, 12)),
                f"{k.prefix}…",
                *cells,
                key=str(k.id),
                height=2 if k.shows_opg else 1,
            )
        revoked = len(keys) - len(active)
        symbol = self.app.ctx.profile.payment_token_symbol
        if any(k.shows_opg for k in active):
            symbol += " and OPG"
        self.query_one("#gw-keys-title", Label).update(
            f"API keys · {len(active)}" + (f" · {revoked} revoked" if revoked else "") + f" · spend in {symbol}"
        )
        table.display = bool(active)
        empty = self.query_one("#gw-keys-empty", Static)
        empty.display = not active
        empty.update("No API key yet: n issues one (or og-tui gateway keys new NAME).")
        if active:
            table.move_cursor(row=min(max(keep, 0), len(active) - 1))

    def _show_errors(self, state: GatewayState) -> None:
        lines = []
        for err in state.errors[:3]:
            when = time.strftime("%H:%M:%S", time.localtime(err.get("time") or 0))
            who = f"key {err['key_id']}" if err.get("key_id") is not None else "no key"
            lines.append(
                f"[$text-muted]{when} {who}[/] [$error]{err.get('status')} {err.get('code') or ''}[/] "
                + escape(_clip(str(err.get("message") or ""), ERROR_WIDTH))
            )
        if not lines:
            lines.append("[$text-muted]none this run[/]" if state.running else "[$text-muted]–[/]")
        self.query_one("#gw-errors", Static).update("\n".join(lines))

    # --- actions --------------------------------------------------------------------------
    def action_toggle(self) -> None:
        self.control.gateway_toggle()

    def action_refresh(self) -> None:
        self.control.gateway_refresh()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_copy_url(self) -> None:
        url = self.control.gateway_state.url
        if not url:
            self.notify("The gateway is not running: s starts it.", title="Gateway", severity="warning")
            return
        self.app.copy_to_clipboard(url)
        self.notify(url, title="URL copied")

    def _current_key(self) -> KeyRow | None:
        table = self.query_one("#gw-keys", DataTable)
        if not table.row_count or not table.display:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return next((k for k in self.control.gateway_state.keys if str(k.id) == str(key.value)), None)

    def action_new_key(self) -> None:
        profile = self.app.ctx.profile

        def made(result: tuple[Any, str]) -> None:
            key, secret = result
            self.app.push_screen(KeySecretDialog(key.id, key.name, secret))

        def create(values: dict[str, Any] | None) -> None:
            if values:
                name = values.pop("name")
                self.control.gateway_key_op(lambda book: book.create(name, **values), made)

        self.app.push_screen(NewKeyDialog(profile.payment_token_decimals, profile.payment_token_symbol), create)

    def action_revoke(self) -> None:
        from og_tui.tui.screens.modals import ConfirmDialog

        row = self._current_key()
        if row is None:
            self.notify("No API key to revoke.", title="Gateway", severity="warning")
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.control.gateway_key_op(
                    lambda book: book.revoke(row.id),
                    lambda key: self.notify(f"Key {key.id} ({key.name}) is revoked.", title="Gateway"),
                )

        self.app.push_screen(
            ConfirmDialog(
                f"Revoke API key {row.id} ({row.name})?",
                [f"{row.prefix}… : its requests are refused from now on, with nothing signed."],
                "Revoke",
                danger=True,
            ),
            confirmed,
        )

    @on(Button.Pressed, "#gw-toggle")
    def _toggle_pressed(self) -> None:
        self.action_toggle()

    @on(Button.Pressed, "#gw-new")
    def _new_pressed(self) -> None:
        self.action_new_key()

    @on(Button.Pressed, "#gw-revoke")
    def _revoke_pressed(self) -> None:
        self.action_revoke()

    @on(Button.Pressed, "#gw-close")
    def _close_pressed(self) -> None:
        self.dismiss(None)


class NewKeyDialog(Dialog):
    """A name and three optional budgets in the payment token, three in OPG (x402 v2)."""

    TITLE_TEXT = "New API key for the gateway"
    OK_LABEL = "Create"

    def __init__(self, decimals: int, symbol: str) -> None:
        super().__init__()
        self.decimals = decimals
        self.symbol = symbol

    def compose_fields(self) -> ComposeResult:
        yield Label("Name (the tool that will use it)")
        yield Input(id="key-name", placeholder="e.g. editor", compact=True)
        yield Label(f"Budgets in {self.symbol}; empty: none (the global caps still apply)")
        with Horizontal(classes="gw-budgets"):
            yield Input(id="per_request", placeholder="per request", compact=True)
            yield Input(id="per_day", placeholder="per day (UTC)", compact=True)
            yield Input(id="total", placeholder="in total", compact=True)
        yield Label("Budgets in OPG (x402 v2); none with budgets above: no OPG payments")
        with Horizontal(classes="gw-budgets"):
            yield Input(id="opg_per_request", placeholder="per request", compact=True)
            yield Input(id="opg_per_day", placeholder="per day (UTC)", compact=True)
            yield Input(id="opg_total", placeholder="in total", compact=True)

    def on_mount(self) -> None:
        self.query_one("#key-name", Input).focus()

    def collect(self) -> dict[str, Any]:
        from og_tui.core import constants
        from og_tui.core.amounts import parse_amount
        from og_tui.core.errors import OGError

        name = self.query_one("#key-name", Input).value.strip()
        if not name or len(name) > 64:
            raise FieldError("Give the key a name of 1 to 64 characters.", "key-name")
        out: dict[str, Any] = {"name": name}
        for field, what in (("per_request", "per request"), ("per_day", "per day"), ("total", "total")):
            text = self.query_one(f"#{field}", Input).value.strip()
            try:
                out[field] = parse_amount(text, self.decimals, allow_zero=True, field=what) if text else None
            except OGError as exc:
                raise FieldError(f"Budget {what}: {exc} Give an amount in {self.symbol}, e.g. 0.5.", field) from None
        opg = constants.OPG_NAME
        for field, what in (("per_request", "per request"), ("per_day", "per day"), ("total", "total")):
            text = self.query_one(f"#opg_{field}", Input).value.strip()
            try:
                out[f"opg_{field}"] = (
                    parse_amount(text, constants.OPG_DECIMALS, allow_zero=True, field=what) if text else None
                )
            except OGError as exc:
                raise FieldError(
                    f"{opg} budget {what}: {exc} Give an amount in {opg}, e.g. 0.5.", f"opg_{field}"
                ) from None
        return out


class KeySecretDialog(Dialog):
    """The new key, shown this once (only its hash is kept)."""

    OK_LABEL = "Copy"

    def __init__(self, key_id: int, name: str, secret: str) -> None:
        super().__init__()
        self.TITLE_TEXT = f"API key {key_id} ({name})"
        self.secret = secret

    def compose_fields(self) -> ComposeResult:
        yield Static(self.secret, id="key-secret", classes="dialog-line")
        yield Static(
            "This is the only time the key is shown: copy it into the tool now (api_key=...).",
            classes="dialog-line",
        )

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).label = "Done"
        self.query_one("#ok", Button).focus()

    def collect(self) -> None:
        self.app.copy_to_clipboard(self.secret)
        self.show_error("")
        self.notify("The key is on the clipboard.", title="Gateway")
        return None
