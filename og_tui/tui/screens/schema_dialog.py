"""The JSON Schema editor of a chat's structured output (``response_format: json_schema``).

A name, "strict", and the schema in a JSON editor. On Save the schema is parsed and checked
with :func:`og_tui.core.json_schema.check_schema` (the keyword og-tui and devnet support);
an error names what is wrong and where (the cursor goes to a JSON syntax error), and nothing
is saved until it is fixed. The result is the ``json_schema`` object of the response format:
``{"name": ..., "schema": {...}, "strict": bool}``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static, TextArea

from og_tui.tui.screens.modals import Dialog, FieldError
from og_tui.tui.widgets.marks import MarkedCheckbox

__all__ = ["SchemaDialog", "SCHEMA_EXAMPLE", "NAME_RE", "check_spec"]

NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what OpenAI-compatible gateways accept as a schema name

SCHEMA_EXAMPLE = {
    "type": "object",
    "properties": {
        "answer": {"type": "string", "description": "The answer in one sentence"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "sources": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    },
    "required": ["answer", "confidence", "sources"],
    "additionalProperties": False,
}


def check_spec(name: str, text: str) -> dict[str, Any]:
    """The schema ``text`` parsed and checked (ValueError naming the problem). Returns the schema."""
    from og_tui.core.json_schema import SchemaError, check_schema

    if not NAME_RE.match(name):
        raise FieldError(f"The schema name must be 1-64 letters, digits, '_' or '-', not {name!r}.", "schema-name")
    if not text.strip():
        raise ValueError("Write the JSON Schema the reply must match (ctrl+t inserts an example).")
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"The schema is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.") from None
    if not isinstance(schema, dict):
        raise ValueError(f"The schema must be a JSON object, not {type(schema).__name__}.")
    try:
        check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"The schema cannot be used: {exc}.") from None
    return schema


class SchemaDialog(Dialog):
    """Edit the JSON Schema a structured reply must match; checked before it is saved."""

    TITLE_TEXT = "Structured output: JSON Schema"
    OK_LABEL = "Save"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "save", "Save", id="schema.save", tooltip="Check the schema and save it"),
        Binding("ctrl+t", "example", "Example", id="schema.example", tooltip="Insert an example schema"),
    ]
    DEFAULT_CLASSES = "dialog-screen schema-dialog"
    DEFAULT_CSS = """
    SchemaDialog #schema-json { height: 14; max-height: 40vh; }
    SchemaDialog .schema-row { height: auto; margin-top: 1; }
    SchemaDialog .schema-name-label { width: auto; color: $text-muted; margin-right: 1; }
    SchemaDialog #schema-name { width: 1fr; }
    SchemaDialog #schema-strict { margin-left: 2; }
    """

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        super().__init__()
        spec = spec or {}
        self.name_text = str(spec.get("name") or "reply")
        self.strict = bool(spec.get("strict", True))
        schema = spec.get("schema")
        self.text = json.dumps(schema, indent=2) if isinstance(schema, dict) else ""

    def compose_fields(self) -> ComposeResult:
        yield Static(
            "The reply must be JSON matching this schema (checked before saving). ctrl+s save · ctrl+t example",
            classes="dialog-line",
        )
        with Horizontal(classes="schema-row"):
            yield Static("Name ", classes="schema-name-label")
            yield Input(self.name_text, id="schema-name", compact=True)
            yield MarkedCheckbox("strict", self.strict, id="schema-strict", compact=True)
        yield TextArea(
            self.text, language="json", id="schema-json", show_line_numbers=True, tab_behavior="indent", soft_wrap=False
        )

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        self._submit()

    def action_example(self) -> None:
        self.query_one(TextArea).text = json.dumps(SCHEMA_EXAMPLE, indent=2)

    def collect(self) -> dict[str, Any]:
        area = self.query_one(TextArea)
        name = self.query_one("#schema-name", Input).value.strip()
        try:
            schema = check_spec(name, area.text)
        except FieldError:
            raise
        except ValueError as exc:
            found = re.search(r"line (\d+) column (\d+)", str(exc))
            if found:
                area.move_cursor((int(found.group(1)) - 1, int(found.group(2)) - 1))
            area.focus()
            raise
        return {"name": name, "schema": schema, "strict": bool(self.query_one("#schema-strict", MarkedCheckbox).value)}
