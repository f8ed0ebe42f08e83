"""The Notifications view: every toast of this session, newest first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.widgets.option_list import Option

from og_tui.tui.notices import MAX_NOTICES, Notice, message_text, notice_content
from og_tui.tui.widgets.footer import OGFooter
from og_tui.tui.widgets.motions import NavOptionList

__all__ = ["NotificationsScreen"]


class NotificationsScreen(ModalScreen):
    """Full-screen over the current screen; esc returns to it."""

    HELP = f"""\
Every toast of this session, newest first (the last {MAX_NOTICES}; also in og-tui's log).
**✕** error · **!** warning · **i** information.
**c** copies the highlighted message · **l** opens the log.
"""

    DEFAULT_CSS = """
    NotificationsScreen { background: $background; }
    NotificationsScreen #notices-head { height: 1; padding: 0 1; background: $boost; }
    NotificationsScreen #notices { height: 1fr; border: none; padding: 0 1; background: $surface; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="notices.close", tooltip="Back to the screen"),
        Binding("c", "copy", "Copy", id="notices.copy", tooltip="Copy the highlighted message"),
        Binding("l", "log", "Log", id="notices.log", tooltip="og-tui's log and the devnet's"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._shown: list[Notice] = []

    def compose(self) -> ComposeResult:
        yield Static(id="notices-head")
        yield NavOptionList(id="notices")
        yield OGFooter(compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "notices_version", self._refresh, init=True)
        self.query_one("#notices", NavOptionList).focus()

    def _refresh(self, _version: int = 0) -> None:
        notices = self.app.notices.newest_first()
        listing = self.query_one("#notices", NavOptionList)
        keep = listing.highlighted
        current = self._shown[keep] if keep is not None and keep < len(self._shown) else None
        self._shown = notices
        options: list[Option | None] = []
        for notice in notices:
            if options:
                options.append(None)  # a rule between two notices
            options.append(Option(notice_content(notice)))
        listing.clear_options()
        if options:
            listing.add_options(options)
            listing.highlighted = notices.index(current) if current in notices else 0
        else:
            listing.add_option(Option("No notifications yet: toasts shown from now on are listed here.", disabled=True))
        total = self.app.notices.total
        more = f" · the last {len(notices)} of {total} are kept" if total > len(notices) else ""
        self.query_one("#notices-head", Static).update(
            Content.from_markup("[bold]Notifications[/] $n, newest first$more", n=str(len(notices)), more=more)
        )

    def highlighted_notice(self) -> Notice | None:
        index = self.query_one("#notices", NavOptionList).highlighted
        return self._shown[index] if index is not None and index < len(self._shown) else None

    def action_copy(self) -> None:
        notice = self.highlighted_notice()
        if notice is None:
            return
        text = message_text(notice).plain
        self.app.copy_to_clipboard(f"{notice.title}: {text}" if notice.title else text)
        self.notify("Copied the message.", title="Notifications", timeout=3)

    def action_log(self) -> None:
        from og_tui.tui.screens.log_view import LogScreen

        self.app.switch_screen(LogScreen())

    def action_close(self) -> None:
        self.dismiss()
