"""The TEE view: the TEEs of the profile's on-chain registry (palette "tee: registry", or
ctrl+l on the Chat screen).

A table of the registry's active TEEs (LLM proxies and validators): short id, type,
endpoint, heartbeat age, enabled; below it the highlighted TEE's full
details (endpoint, PCR hash, payment address, owner, registration). The registry is read
in a thread worker (never on the event loop); r reads it again; a registry that cannot be
read (none at that address, the RPC down) is said in red with what to do.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from og_tui.tui.format import fmt_time, short_hash
from og_tui.tui.widgets.footer import OGFooter

__all__ = ["TeeRegistryView", "read_registry", "heartbeat_age_text"]


def read_registry(profile: Any, registry: Optional[str] = None) -> tuple[str, list[Any]]:
    """(registry address, its active TEEs of every type) for ``profile`` (blocking: a worker's job)."""
    from og_tui.core.chain import ChainClient
    from og_tui.core.tee import TEE_TYPE_LLM_PROXY, TEE_TYPE_VALIDATOR, discover
    from og_tui.core.tee_check import registry_address

    address = registry or registry_address(profile)
    with ChainClient(profile.rpc_url, timeout=10.0) as chain:
        tees = discover(chain, address, TEE_TYPE_LLM_PROXY) + discover(chain, address, TEE_TYPE_VALIDATOR)
    return address, tees


def heartbeat_age_text(age: float) -> str:
    if age < 90:
        return f"{int(age)} s ago"
    if age < 90 * 60:
        return f"{int(age // 60)} min ago"
    if age < 48 * 3600:
        return f"{int(age // 3600)} h ago"
    return f"{int(age // 86400)} d ago"


class TeeRegistryView(ModalScreen):
    """The registry's TEEs; see the module docstring."""

    DEFAULT_CLASSES = "dialog-screen tee-view"
    BINDINGS = [
        Binding("escape", "close", "Close", id="tee.close"),
        Binding("r", "refresh", "Refresh", id="tee.refresh", tooltip="Read the TEE registry again"),
    ]
    DEFAULT_CSS = """
    TeeRegistryView .tee-box {
        width: 110; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary 60%; background: $surface; padding: 0 1;
    }
    TeeRegistryView #tee-title { text-style: bold; color: $accent; width: 1fr; margin: 0 0 1 0; }
    TeeRegistryView #tee-table { height: auto; max-height: 10; min-height: 3; background: $surface; }
    TeeRegistryView #tee-status { height: auto; color: $text-muted; }
    TeeRegistryView #tee-status.-error { color: $error; }
    TeeRegistryView #tee-detail { height: auto; margin-top: 1; }
    """

    #: reads the registry (a worker thread calls it); tests of the layout put fixed TEEs here
    reader: Callable[..., tuple[str, list[Any]]] = staticmethod(read_registry)
    #: the time heartbeat ages are measured against
    clock: Callable[[], float] = staticmethod(time.time)

    class Loaded(Message):
        def __init__(self, registry: str, tees: list[Any], error: str | None = None, hint: str | None = None) -> None:
            super().__init__()
            self.registry = registry
            self.tees = tees
            self.error = error
            self.hint = hint

    def __init__(self, profile: Any, registry: Optional[str] = None) -> None:
        super().__init__()
        self.profile = profile
        self.registry = registry
        self.tees: list[Any] = []
        self.error: str | None = None
        self.loading = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="tee-box"):
            yield Label(f"TEE registry · {self.profile.name}", id="tee-title")
            yield Static("reading the registry…", id="tee-status")
            table: DataTable = DataTable(id="tee-table", cursor_type="row", zebra_stripes=True)
            table.add_columns("TEE", "type", "endpoint", "heartbeat", "enabled")
            yield table
            yield Static("", id="tee-detail")
        yield OGFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.action_refresh()
        self.set_interval(1.0, self._tick)

    def on_worker_state_changed(self, event: Any) -> None:
        self.app.report_worker(event)

    # --- reading -------------------------------------------------------------------------------
    def action_refresh(self) -> None:
        if self.loading:
            return
        self.loading = True
        self.query_one("#tee-status", Static).update(Content.styled("reading the registry…", "italic"))
        self._read()

    @work(thread=True, exclusive=True, group="tee-registry", exit_on_error=False, description="read TEE registry")
    def _read(self) -> None:
        from og_tui.core.errors import user_message
        from og_tui.core.tee_check import registry_address

        try:
            address, tees = type(self).reader(self.profile, self.registry)
        except Exception as exc:  # noqa: BLE001 - every failure is shown in the view
            text, hint = user_message(exc)
            address = self.registry or registry_address(self.profile)
            self.post_message(self.Loaded(address, [], error=text, hint=hint))
            return
        self.post_message(self.Loaded(address, tees))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self.loading = False
        self.tees = list(event.tees)
        self.error = event.error
        self.query_one("#tee-title", Label).update(
            f"TEE registry {short_hash(event.registry, 6, 4)} · {self.profile.name}"
        )
        status = self.query_one("#tee-status", Static)
        status.set_class(bool(event.error), "-error")
        if event.error:
            lines = [("✗ The TEE registry could not be read: ", "bold"), event.error]
            if event.hint:
                lines += ["\n", (event.hint, "italic")]
            lines += ["\n", ("r reads it again.", "italic")]
            status.update(Content.assemble(*lines))
        elif not self.tees:
            status.update(f"The registry {event.registry} lists no active TEE. r reads it again.")
        else:
            status.update(self._summary())
        self._fill()

    def _summary(self) -> str:
        return (
            f"{len(self.tees)} active TEE{'s' if len(self.tees) != 1 else ''} · read {fmt_time(self.clock())}"
            " · r refresh · esc close"
        )

    # --- showing -------------------------------------------------------------------------------
    def _state(self, tee: Any) -> str:
        return "active · " + ("enabled" if tee.enabled else "disabled")

    @staticmethod
    def _host(endpoint: str) -> str:
        """The endpoint without its https:// (the details show it whole)."""
        return endpoint.split("://", 1)[-1] if endpoint else "–"

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        now = self.clock()
        for tee in self.tees:
            table.add_row(
                short_hash(tee.tee_id, 6, 4),
                tee.type_name,
                self._host(tee.endpoint),
                heartbeat_age_text(tee.heartbeat_age(now)),
                "yes" if tee.enabled else "no",
                key=tee.tee_id,
            )
        if self.tees:
            table.move_cursor(row=min(max(row, 0), len(self.tees) - 1))
        self._show_detail()

    def _tick(self) -> None:
        """Heartbeat ages move on between reads."""
        if not self.tees:
            return
        table = self.query_one(DataTable)
        now = self.clock()
        column = list(table.columns)[3]
        for tee in self.tees:
            table.update_cell(tee.tee_id, column, heartbeat_age_text(tee.heartbeat_age(now)))
        self._show_detail()

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        detail = self.query_one("#tee-detail", Static)
        table = self.query_one(DataTable)
        if not self.tees or not 0 <= table.cursor_row < len(self.tees):
            detail.update("")
            return
        tee = self.tees[table.cursor_row]
        now = self.clock()
        rows = [
            ("TEE id", f"{short_hash(tee.tee_id, 10, 8)} ({tee.type_name})"),
            ("endpoint", tee.endpoint or "– (none registered)"),
            ("PCR hash", tee.pcr_hash),
            ("pay to", tee.payment_address),
            ("owner", tee.owner),
            ("since", f"{fmt_time(tee.registered_at)} · heartbeat {heartbeat_age_text(tee.heartbeat_age(now))}"),
            ("state", self._state(tee) + ("" if tee.tls_cert_der else " · no TLS certificate registered")),
        ]
        parts: list[Any] = []
        for i, (label, value) in enumerate(rows):
            parts += ["\n" if i else "", (f"{label:<9}", "bold"), value]
        detail.update(Content.assemble(*parts))

    def action_close(self) -> None:
        self.dismiss(None)
