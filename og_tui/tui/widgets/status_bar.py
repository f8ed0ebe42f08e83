"""The always-visible strip: network badge, wallet, balances, block, work in flight."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from og_tui.tui.format import fmt_units
from og_tui.tui.messages import NetState


class StatusBar(Horizontal):
    """Reads ``app.net`` (a :class:`NetState`) and redraws whenever it is replaced."""

    DEFAULT_CLASSES = "status-bar"

    def compose(self) -> ComposeResult:
        yield Static(id="net-badge")
        yield Static(id="net-conn")
        yield Static(id="net-wallet")
        yield Static(id="net-balances")
        yield Static(id="net-ops")

    def on_mount(self) -> None:
        self.watch(self.app, "net", self._render_state, init=True)

    def _render_state(self, state: NetState) -> None:
        badge = self.query_one("#net-badge", Static)
        if state.is_devnet:
            badge.update(" LOCAL DEVNET ")
            badge.set_class(True, "-devnet")
        else:
            badge.update(f" {state.profile.upper()} ")
            badge.set_class(False, "-devnet")
        badge.tooltip = f"profile: {state.profile}"

        conn = self.query_one("#net-conn", Static)
        conn.set_class(state.connected is False, "-down")
        conn.set_class(bool(state.connected), "-up")
        if state.starting:
            conn.update(f"◌ {state.starting}")
        elif state.connected is None:
            conn.update("◌ connecting")
        elif state.connected:
            conn.update(f"● #{state.block:,}" if state.block is not None else "● connected")
        else:
            conn.update("✕ disconnected")

        wallet = self.query_one("#net-wallet", Static)
        if state.address:
            short = f"{state.address[:6]}…{state.address[-4:]}"
            wallet.update(f"{state.wallet_name or 'wallet'} {short}")
            wallet.tooltip = f"{state.address} (click to copy)"
        else:
            wallet.update("no wallet")
            wallet.tooltip = None

        balances = self.query_one("#net-balances", Static)
        if state.address and state.native_wei is not None:
            balances.update(
                f"{fmt_units(state.native_wei, 18, 4)} OG · {fmt_units(state.token_units, 6, 2)} OUSDC"
            )
        else:
            balances.update("")

        ops = self.query_one("#net-ops", Static)
        ops.update(f"⟳ {' · '.join(state.ops)}" if state.ops else "")

    def on_click(self, event) -> None:
        widget = getattr(event, "widget", None)
        if widget is not None and widget.id == "net-wallet":
            self.app.action_copy_address()
