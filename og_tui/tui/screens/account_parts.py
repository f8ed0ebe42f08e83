"""The two parts the Account screen shows, one at a time: :class:`Onboarding` (first run,
no wallet yet: what this is and the ways to get a wallet) and :class:`AccountBody` (the
wallets table, the active wallet's balances and buttons). The screen fills them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Center, Horizontal, Vertical
from textual.widgets import Button, Label, Static

from og_tui.tui.keymap import key_for

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.tui.widgets.sortable import SortableTable

# DataTable is imported where the wallet view is built: a first run shows the
# onboarding only, and its first frame does not pay for the table's module.


class Onboarding(Vertical):
    """First run: what this is and the ways to get a wallet."""

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(classes="onboard-box"):
                yield Static("Welcome to og-tui", classes="onboard-title")
                yield Static("", id="onboard-intro")
                app = self.app
                yield Button(
                    f"{key_for(app, 'account.fund', 'f')}  Create a wallet and fund it",
                    id="ob-fund",
                    variant="primary",
                    compact=True,
                )
                yield Button(f"{key_for(app, 'account.new', 'n')}  Create a wallet", id="ob-new", compact=True)
                yield Button(
                    f"{key_for(app, 'account.import_key', 'i')}  Import a private key", id="ob-key", compact=True
                )
                yield Button(
                    f"{key_for(app, 'account.import_keystore', 'K')}  Import a keystore file",
                    id="ob-keystore",
                    compact=True,
                )


class AccountBody(Horizontal):
    """Wallets on the left, the active wallet's balances and actions on the right."""

    def compose(self) -> ComposeResult:
        from og_tui.tui.widgets.list_filter import ListFilter
        from og_tui.tui.widgets.sortable import SortableTable

        with Vertical(id="wallets-pane"):
            yield Label("Wallets", classes="pane-title")
            yield ListFilter("wallets", id="wallet-filter")
            yield SortableTable(id="wallets", cursor_type="row", zebra_stripes=True)
            yield Static("enter use · u unlock · e export · d delete · n new · i/K import", classes="pane-hint")
        with Vertical(id="balance-pane"):
            yield Label("Balances", classes="pane-title")
            yield Static("", id="acct-name")
            yield Static("", id="acct-address")
            yield Static("", id="bal-native", classes="balance")
            yield Static("", id="bal-token", classes="balance")
            yield Static("", id="acct-lock")
            with Horizontal(classes="acct-buttons"):
                yield Button("Send", id="btn-send", variant="primary", compact=True)
                yield Button("Faucet", id="btn-fund", compact=True)
                yield Button("Copy", id="btn-copy", compact=True)
            yield Static("", id="acct-profile", classes="pane-hint")
            yield Static("", id="acct-hub", classes="pane-hint")

    def on_mount(self) -> None:
        from og_tui.tui.widgets.sortable import SortColumn

        self.table.set_columns(
            [
                SortColumn("active", " "),
                SortColumn("name", "Name", lambda w: w.name),
                SortColumn("address", "Address", lambda w: w.address.lower()),
                SortColumn("key", "Key", lambda w: w.storage),
                SortColumn("lock", "Lock", lambda w: self.app.ctx.signer(w.address) is None),
            ],
            sort="name",
        )

    @property
    def table(self) -> "SortableTable":
        """The wallets table."""
        from og_tui.tui.widgets.sortable import SortableTable

        return self.query_one("#wallets", SortableTable)
