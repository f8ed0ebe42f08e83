"""Screens whose features are being built: navigation works, and they say what is coming."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, VerticalScroll
from textual.widgets import Markdown

from og_tui.tui.screens.base import OGScreen


class ComingScreen(OGScreen):
    TEXT = ""

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(classes="coming"):
            with Center():
                yield Markdown(self.TEXT, classes="coming-text")
