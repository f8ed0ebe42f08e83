"""The frame every top-level screen shares: status bar, navigation strip, footer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Static

from og_tui.tui.widgets.status_bar import StatusBar

NAV = (
    ("account", "F2", "Account"),
    ("hub", "F3", "Hub"),
    ("inference", "F4", "Inference"),
    ("chat", "F5", "Chat"),
    ("workflows", "F6", "Workflows"),
    ("activity", "F7", "Activity"),
)


class NavBar(Horizontal):
    """Shows every screen with its key; the current one highlighted. Click to switch."""

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        for name, key, title in NAV:
            tab = Static(f"{key} {title}", classes="nav-tab", name=name)
            tab.set_class(name == self.current, "-current")
            yield tab
        yield Static("F1 help", classes="nav-hint")

    async def on_click(self, event) -> None:
        widget = getattr(event, "widget", None)
        if widget is not None and widget.name:
            await self.app.run_action(f"goto('{widget.name}')")


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
