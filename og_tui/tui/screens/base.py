"""The frame every top-level screen shares: status bar, navigation strip, footer."""

from __future__ import annotations

from typing import Callable

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.content import Content
from textual.widgets import Footer, Static

from og_tui.tui import messages as m
from og_tui.tui.widgets.status_bar import StatusBar

NAV = (
    ("account", "F2", "Account"),
    ("hub", "F3", "Hub"),
    ("inference", "F4", "Inference"),
    ("chat", "F5", "Chat"),
    ("workflows", "F6", "Workflows"),
    ("activity", "F7", "Activity"),
)


class NavBar(Static):
    """Every screen with its key, the current one highlighted; click to switch."""

    def __init__(self, current: str) -> None:
        parts = []
        for name, key, title in NAV:
            style = "bold $text on $primary 40%" if name == current else "$text-muted"
            parts.append(
                Content.from_markup(f"[@click=app.goto('{name}')][{style}] $key $title [/][/]", key=key, title=title)
            )
        super().__init__(Content(" ").join(parts))


class OGScreen(Screen):
    """Base class: subclasses implement ``compose_body`` and set ``MODE``."""

    MODE = ""

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield NavBar(self.MODE)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:  # pragma: no cover - overridden
        yield from ()

    def on_worker_state_changed(self, event) -> None:
        self.app.report_worker(event)

    # --- the wallet every paying action needs ---------------------------------------------
    def with_wallet(
        self,
        then: Callable[[str], None],
        *,
        address: str | None = None,
        why: str = "it signs the transaction",
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        """Run ``then(address)`` once ``address`` (default: the active wallet) is unlocked.

        Asks for the passphrase when the key is in a keystore file; keys in the OS
        keyring unlock in a worker; with no wallet at all the user is sent to F2.
        """
        address = address or self.app.net.address
        if not address:
            self.notify(
                f"Create or import a wallet on the Account screen (F2) first: {why}.",
                title="No wallet",
                severity="warning",
                timeout=8,
            )
            return
        ctx = self.app.ctx
        if ctx.signer(address) is not None:
            then(address)
            return
        try:
            needs = ctx.wallets.needs_passphrase(address)
        except Exception as exc:  # noqa: BLE001 - the wallet index could not be read
            self.notify(str(exc), title="Wallet", severity="error")
            return
        if not needs:
            self._unlock_in_worker(address, then)
            return
        from og_tui.tui.screens.modals import UnlockDialog

        name = next(
            (w.name for w in ctx.wallets.list_wallets() if w.address.lower() == address.lower()),
            self.app.net.wallet_name or "wallet",
        )

        def done(ok: bool | None) -> None:
            if ok:
                self.app.post_message(m.WalletUnlocked(address))
                self.app.post_message(m.WalletsChanged())
                then(address)
            elif on_cancel is not None:
                on_cancel()

        self.app.push_screen(UnlockDialog(address, name), done)

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def _unlock_in_worker(self, address: str, then: Callable[[str], None]) -> None:
        account = self.app.run_op("Unlocking", lambda: self.app.ctx.unlock(address, None), what="Unlock")
        if account is not None:
            self.app.call_from_thread(then, address)
