"""The Inference screen's input: a JSON editor checked against the model's signature as you
type (before any gas is spent), and the problems under it.

The editor's text is never replaced without a way back: every replacement is one edit
(``ctrl+z`` undoes it). After each check the widget posts :class:`InputEditor.Checked`.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static, TextArea

from og_tui.tui.screens.inference_io import check_input_text
from og_tui.tui.widgets.nav_text_area import NavTextArea
from og_tui.tui.widgets.tensor_table import input_text

__all__ = ["InputEditor", "JsonEditor", "LIVE_CHECK_LIMIT"]

LIVE_CHECK_LIMIT = 200_000  # characters; longer inputs are checked when Run is pressed
CHECK_DELAY_S = 0.35  # typing is checked once it pauses this long


class JsonEditor(NavTextArea):
    """The JSON input editor (F6/F7 stay screen keys)."""


class InputEditor(Vertical):
    class Checked(Message):
        """The input was checked: ``problems`` (empty: it matches the signature)."""

        def __init__(self, problems: list[str], final: bool) -> None:
            super().__init__()
            self.problems = problems
            self.final = final

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.signature: dict[str, Any] | None = None  # the model's, set by the screen
        self._template_text: str | None = None
        self._check_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield JsonEditor(
            "",
            language="json",
            id="inf-editor",
            soft_wrap=False,
            tab_behavior="focus",
            show_line_numbers=False,
            placeholder='{ "input name": [[values]] }',
        )
        yield Static("", id="inf-problems")

    def on_mount(self) -> None:
        self.editor.border_title = "Input · JSON"

    @property
    def editor(self) -> JsonEditor:
        return self.query_one("#inf-editor", JsonEditor)

    @property
    def text(self) -> str:
        return self.editor.text

    @property
    def untouched(self) -> bool:
        """Empty, or the template as it was put in."""
        current = self.editor.text
        return not current.strip() or current == self._template_text

    def set_text(self, text: str) -> None:
        """Replace the whole text as one edit (ctrl+z brings the old text back)."""
        editor = self.editor
        editor.replace(text, (0, 0), editor.document.end)
        editor.move_cursor((0, 0))
        editor.scroll_home(animate=False)

    def put_template(self) -> bool:
        """A zero input built from the signature (False without a signature)."""
        from og_tui.core.inference import input_template

        if not self.signature:
            return False
        text = input_text(input_template(self.signature))
        self._template_text = text
        self.set_text(text)
        self.check()
        return True

    def check(self, final: bool = False) -> tuple[dict | None, list[str]]:
        """Check the text now: (the input, or None) and the problems shown under the editor."""
        if self._check_timer is not None:
            self._check_timer.stop()
        data, problems = check_input_text(self.editor.text, self.signature)
        self.show_problems(problems, final=final)
        self.post_message(self.Checked(problems, final))
        return data, problems

    def show_problems(self, problems: list[str], final: bool) -> None:
        widget = self.query_one("#inf-problems", Static)
        widget.set_class(bool(problems) and final, "-final")
        widget.set_class(not problems, "-ok")
        if not problems:
            ok = "input matches the signature" if self.signature else ""
            widget.update(Text(f"✓ {ok}" if ok else ""))
            return
        shown = problems[:4]
        more = len(problems) - len(shown)
        text = Text("\n".join(f"✕ {p}" for p in shown))
        if more:
            text.append(f"\n… and {more} more")
        widget.update(text)

    @on(TextArea.Changed, "#inf-editor")
    def _edited(self) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        if len(self.editor.text) <= LIVE_CHECK_LIMIT:
            self._check_timer = self.set_timer(CHECK_DELAY_S, self.check)
