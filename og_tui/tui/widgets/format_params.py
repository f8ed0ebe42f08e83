"""The structured-output part of the Chat parameters: the response format (text /
json_object / json_schema) and the JSON Schema (edited in
:class:`~og_tui.tui.screens.schema_dialog.SchemaDialog`).

Kept in the conversation's params as ``"response_format"`` (the type) and ``"json_schema"``
(``{"name", "schema", "strict"}``); :meth:`FormatParams.response_format` is what the request
sends (None for plain text).
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Label, Select

__all__ = ["FormatParams", "FORMATS", "response_format_of", "with_response_format"]

FORMATS = ("text", "json_object", "json_schema")


def response_format_of(kind: str, spec: dict[str, Any] | None) -> dict[str, Any] | None:
    """The request's ``response_format`` (None for plain text)."""
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema" and spec:
        return {"type": "json_schema", "json_schema": dict(spec)}
    return None


def with_response_format(extra_body: dict[str, Any] | None, fmt: dict[str, Any] | None) -> dict[str, Any] | None:
    """``extra_body`` (fields added to the request) with the response format in it."""
    if not fmt:
        return extra_body
    return {**(extra_body or {}), "response_format": fmt}


class FormatParams(Vertical):
    """Response format select and the schema button (inside the parameters pane)."""

    DEFAULT_CSS = """
    FormatParams { height: auto; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Label("Response format", classes="p-label")
        yield Select([(f, f) for f in FORMATS], value="text", allow_blank=False, id="p-format", compact=True)
        yield Button("Schema… (none)", id="p-schema", compact=True)

    @property
    def kind(self) -> str:
        return str(self.query_one("#p-format", Select).value)

    def fill(self, params: dict[str, Any]) -> None:
        kind = params.get("response_format")
        spec = params.get("json_schema")
        self.spec = spec if isinstance(spec, dict) and isinstance(spec.get("schema"), dict) else None
        self.query_one("#p-format", Select).value = kind if kind in FORMATS else "text"
        self._show()

    def _show(self) -> None:
        button = self.query_one("#p-schema", Button)
        button.label = f"Schema… ({self.spec['name']})" if self.spec else "Schema… (none)"
        button.display = self.kind == "json_schema"

    def read(self) -> dict[str, Any] | None:
        """The response format to send; ValueError when json_schema has no schema yet."""
        if self.kind == "json_schema" and not self.spec:
            raise ValueError("Response format json_schema needs a schema: press Schema… to write one.")
        return response_format_of(self.kind, self.spec)

    def params_json(self) -> dict[str, Any]:
        """What the conversation keeps."""
        out: dict[str, Any] = {"response_format": self.kind}
        if self.spec:
            out["json_schema"] = self.spec
        return out

    @on(Select.Changed, "#p-format")
    def _format_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._show()

    @on(Button.Pressed, "#p-schema")
    def edit_schema(self, event: Button.Pressed | None = None) -> None:
        from og_tui.tui.screens.schema_dialog import SchemaDialog

        if event is not None:
            event.stop()

        def done(spec: dict[str, Any] | None) -> None:
            if spec is not None:
                self.spec = spec
                self._show()
                self.notify(f"The reply must match the schema {spec['name']}.", title="Structured output")

        self.app.push_screen(SchemaDialog(self.spec), done)
