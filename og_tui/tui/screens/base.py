"""The frame every top-level screen shares: status bar, navigation strip, footer."""

from __future__ import annotations

import re
from typing import Callable, Mapping

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from og_tui.tui import messages as m
from og_tui.tui.screens import SCREENS
from og_tui.tui.widgets.footer import OGFooter
from og_tui.tui.widgets.status_bar import StatusBar


def nav_keys(keymap: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each screen's keys (``"f2,1"``): the registry's, or the ``nav.NAME`` entry of ``keymap``."""
    keymap = keymap or {}
    return {
        name: keymap.get(f"nav.{name}") or (f"{spec.fkey},{spec.digit}" if spec.digit else spec.fkey)
        for name, spec in SCREENS.items()
    }


def key_label(app: App, keys: str) -> str:
    """How the strip shows a binding's keys: the first one as the app shows keys, F-keys
    upper-case (``F2``, ``^h``)."""
    first = keys.split(",")[0].strip()
    shown = app.get_key_display(Binding(first, ""))
    return shown.upper() if re.fullmatch(r"f\d{1,2}", shown) else shown


class NavBar(Static):
    """Every screen with its key (the active keymap's), the current one highlighted; click to switch."""

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current
        self._shown: dict[str, str] | None = None

    def on_mount(self) -> None:
        self.show_keys(getattr(self.app, "keymap", None))

    def show_keys(self, keymap: Mapping[str, str] | None) -> None:
        keys = nav_keys(keymap)
        if keys == self._shown:
            return
        self._shown = keys
        parts = []
        for name, spec in SCREENS.items():
            style = "bold $text on $primary 40%" if name == self.current else "$text-muted"
            parts.append(
                Content.from_markup(
                    f"[@click=app.goto('{name}')][{style}] $key $title [/][/]",
                    key=key_label(self.app, keys[name]),
                    title=spec.title,
                )
            )
        self.update(Content(" ").join(parts))


class OGScreen(Screen):
    """Base class: subclasses implement ``compose_body`` and set ``MODE``."""

    MODE = ""
    MAIN_PANE = ""  # selector of the pane the screen's own key focuses when pressed again
    HELP = """\
**?** lists every key of this screen · **F10** the log (og-tui's and the devnet's) ·
**alt+n** the notifications · **ctrl+p** every action by name
"""

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield NavBar(self.MODE)
        yield from self.compose_body()
        yield OGFooter()

    def compose_body(self) -> ComposeResult:  # pragma: no cover - overridden
        yield from ()

    def on_screen_resume(self) -> None:
        for bar in self.query(NavBar):  # (the keymap may have changed while another screen was shown)
            bar.show_keys(getattr(self.app, "keymap", None))

    def on_worker_state_changed(self, event) -> None:
        self.app.report_worker(event)

    def action_tee_registry(self) -> None:
        """The TEE view: the TEEs of the profile's registry (palette "tee: registry")."""
        from og_tui.tui.screens.tee_view import TeeRegistryView

        self.app.push_screen(TeeRegistryView(self.app.ctx.profile))

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

        The wallet index and the OS keyring are read in a worker (a Secret Service unlock
        prompt can take as long as the user does); a key in the keyring unlocks there, a
        keystore file asks for its passphrase; with no wallet at all the user is sent to F2.
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
        if self.app.ctx.signer(address) is not None:
            then(address)
            return
        self._open_wallet(address, then, on_cancel)

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False, description="open wallet")
    def _open_wallet(self, address: str, then: Callable[[str], None], on_cancel: Callable[[], None] | None) -> None:
        app = self.app
        ctx = app.ctx

        def look() -> tuple[bool, str | None]:
            if not ctx.wallets.needs_passphrase(address):
                return False, None
            name = next((w.name for w in ctx.wallets.list_wallets() if w.address.lower() == address.lower()), None)
            return True, name

        found = app.run_op("Opening the wallet", look, what="Wallet")
        if found is None:
            return
        needs, name = found
        if needs:
            app.call_from_thread(self._ask_passphrase, address, name, then, on_cancel)
            return
        account = app.run_op("Unlocking", lambda: ctx.unlock(address, None), what="Unlock")
        if account is not None:
            app.call_from_thread(then, address)

    def _ask_passphrase(
        self, address: str, name: str | None, then: Callable[[str], None], on_cancel: Callable[[], None] | None
    ) -> None:
        from og_tui.tui.screens.modals import UnlockDialog

        def done(ok: bool | None) -> None:
            if ok:
                self.app.post_message(m.WalletUnlocked(address))
                self.app.post_message(m.WalletsChanged())
                then(address)
            elif on_cancel is not None:
                on_cancel()

        self.app.push_screen(UnlockDialog(address, name or self.app.net.wallet_name or "wallet"), done)
