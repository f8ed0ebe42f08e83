"""The app's views over every screen: the key reference (``?``), the Log view (F10) and
the notification history (``alt+n``), and the recording of every toast.

A mixin for :class:`og_tui.tui.app.OGApp`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from textual.binding import Binding

from og_tui.tui.notices import Notice, NoticeHistory

__all__ = ["VIEW_BINDINGS", "AppViews"]

_log = logging.getLogger("og_tui.tui.notices")
_LEVELS = {"error": logging.ERROR, "warning": logging.WARNING}

VIEW_BINDINGS = [
    Binding(
        "question_mark",
        "key_reference",
        "Keys",
        id="app.keys",
        key_display="?",
        tooltip="Every key of this screen, grouped, with what it does",
    ),
    Binding(
        "f10",
        "show_log",
        "Log",
        id="app.log",
        priority=True,  # from dialogs too
        tooltip="og-tui's log and the devnet's (follow, filter)",
    ),
    Binding(
        "alt+n",
        "show_notifications",
        "Notices",
        id="app.notifications",
        show=False,
        priority=True,
        tooltip="Every notification of this session, newest first",
    ),
]


class AppViews:
    """Mixed into OGApp (which provides ``notify``'s base, ``push_screen``, ``net``)."""

    notices: NoticeHistory

    def _init_views(self) -> None:
        self.notices = NoticeHistory()

    def notify(self, message: str, *, title: str = "", severity: Any = "information", **kwargs: Any) -> None:
        """Show a toast, and keep it in the notification history and the log."""
        self.notices.add(Notice(time.time(), str(severity), title, str(message), bool(kwargs.get("markup", True))))
        _log.log(_LEVELS.get(str(severity), logging.INFO), "notice: %s%s", f"{title}: " if title else "", message)
        super().notify(message, title=title, severity=severity, **kwargs)  # type: ignore[misc]
        if getattr(self, "is_running", False):
            self.notices_version += 1  # type: ignore[attr-defined]

    def action_key_reference(self) -> None:
        from og_tui.tui.screens import SCREENS
        from og_tui.tui.screens.key_reference import KeyReference, reference_sections

        screen = self.screen  # type: ignore[attr-defined]
        spec = SCREENS.get(getattr(screen, "MODE", ""))
        title = f"{spec.title} screen" if spec else type(screen).__name__
        self.push_screen(KeyReference(reference_sections(self, screen), title))  # type: ignore[attr-defined]

    def action_show_log(self, source: str = "") -> None:
        """The Log view; on the devnet's log while the devnet is down (its reason is there)."""
        from og_tui.tui.screens.log_view import LogScreen

        if not source:
            net = self.net  # type: ignore[attr-defined]
            source = "devnet" if net.is_devnet and (net.down or net.connected is False) else "app"
        self._open_view(LogScreen, lambda: LogScreen(source))

    def action_show_notifications(self) -> None:
        from og_tui.tui.screens.notices_view import NotificationsScreen

        self._open_view(NotificationsScreen, NotificationsScreen)

    def _open_view(self, kind: type, make: Any) -> None:
        """Open a view; its own key again closes it; it replaces another of these views."""
        from og_tui.tui.screens.key_reference import KeyReference
        from og_tui.tui.screens.log_view import LogScreen
        from og_tui.tui.screens.notices_view import NotificationsScreen

        screen = self.screen  # type: ignore[attr-defined]
        if isinstance(screen, kind):
            screen.dismiss()
        elif isinstance(screen, (KeyReference, LogScreen, NotificationsScreen)):
            self.switch_screen(make())  # type: ignore[attr-defined]
        else:
            self.push_screen(make())  # type: ignore[attr-defined]
