"""Chat dialogs: rename a conversation, edit tool definitions (JSON), enter a tool result."""

from __future__ import annotations

import json
import re
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label, Static, TextArea

from og_tui.tui.screens.modals import Dialog, FieldError

TOOLS_EXAMPLE = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City name"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["city"],
            },
        },
    }
]


class RenameDialog(Dialog):
    TITLE_TEXT = "Rename conversation"
    OK_LABEL = "Rename"

    def __init__(self, title: str) -> None:
        super().__init__()
        self.current = title

    def compose_fields(self) -> ComposeResult:
        yield Label("Title")
        yield Input(value=self.current, id="title", compact=True)

    def on_mount(self) -> None:
        field = self.query_one("#title", Input)
        field.focus()
        field.select_all()

    def collect(self) -> str:
        title = " ".join(self.query_one("#title", Input).value.split())
        if not title:
            raise FieldError("Give the conversation a title.", "title")
        if len(title) > 120:
            raise FieldError("Keep the title under 120 characters.", "title")
        return title


_POS = re.compile(r"line (\d+) column (\d+)")


class ToolsDialog(Dialog):
    """A JSON editor for the conversation's tools (OpenAI function format); checked on Save."""

    TITLE_TEXT = "Tools offered to the model"
    OK_LABEL = "Save"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "save", "Save", id="tools.save", tooltip="Check the JSON and save the tools"),
        # (priority: the JSON editor's own ctrl+e, end of line, would take it first)
        Binding("ctrl+e", "example", "Example", id="tools.example", tooltip="Insert an example tool", priority=True),
    ]
    DEFAULT_CLASSES = "dialog-screen tools-dialog"

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose_fields(self) -> ComposeResult:
        yield Static(
            'A JSON array of {"type": "function", "function": {"name", "description", "parameters"}}. '
            "Empty: no tools. ctrl+s save · ctrl+e example",
            classes="dialog-line",
        )
        yield TextArea(
            self.text, language="json", id="tools-json", show_line_numbers=True, tab_behavior="indent", soft_wrap=False
        )

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        self._submit()

    def action_example(self) -> None:
        self.query_one(TextArea).text = json.dumps(TOOLS_EXAMPLE, indent=2)

    def collect(self) -> list[dict[str, Any]]:
        from og_tui.core.errors import OGError
        from og_tui.core.llm import parse_tools

        area = self.query_one(TextArea)
        text = area.text.strip()
        if not text:
            return []
        try:
            return parse_tools(text)
        except OGError as exc:
            found = _POS.search(str(exc))
            if found:
                row, col = int(found.group(1)) - 1, int(found.group(2)) - 1
                area.move_cursor((max(row, 0), max(col, 0)))
            area.focus()
            raise ValueError(str(exc)) from None


class ToolResultDialog(Dialog):
    """What the tool returned, in the user's words (any text; JSON is passed through as is)."""

    OK_LABEL = "Send result"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "save", "Send", id="tool_result.send", tooltip="Send the result to the model"),
    ]

    def __init__(self, name: str, args_text: str, error: str | None = None, text: str = "") -> None:
        super().__init__()
        self.TITLE_TEXT = f"Result of tool {name}"
        self.args_text = args_text
        self.error = error
        self.text = text

    def compose_fields(self) -> ComposeResult:
        yield Label("Arguments")
        yield Static(self.args_text or "{}", markup=False, classes="dialog-line tool-args")
        if self.error:
            yield Static(self.error, markup=False, classes="dialog-line tool-error")
        yield Label("Result (ctrl+s sends)")
        yield TextArea(self.text, id="tool-result-text", soft_wrap=True)

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        self._submit()

    def collect(self) -> str:
        text = self.query_one(TextArea).text
        if not text.strip():
            self.query_one(TextArea).focus()
            raise ValueError("Type what the tool returned (any text; JSON is fine).")
        return text
