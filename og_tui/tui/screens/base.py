"""The frame every top-level screen shares: status bar, navigation strip, footer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.content import Content
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
