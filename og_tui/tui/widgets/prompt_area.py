"""The chat prompt: enter sends, shift+enter / ctrl+j insert a newline, up/down recall history."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.events import Key
from textual.message import Message

from og_tui.tui.widgets.nav_text_area import NavTextArea

__all__ = ["PromptArea"]


class PromptArea(NavTextArea):
    """The prompt: enter sends, shift+enter / ctrl+j insert a newline, up/down recall history."""

    BINDINGS = [
        Binding("enter", "submit", "Send", id="prompt.send", tooltip="Send the prompt", show=False),
        Binding(
            "ctrl+j",
            "newline",
            "Newline",
            id="prompt.newline",
            tooltip="Insert a newline (also shift+enter)",
            show=False,
        ),
        # (a prompt is a few lines: its page keys scroll the conversation above it)
        Binding(
            "pageup", "page(-1)", "Scroll up", id="prompt.page_up", show=False, tooltip="Scroll the chat up a page"
        ),
        Binding(
            "pagedown",
            "page(1)",
            "Scroll down",
            id="prompt.page_down",
            show=False,
            tooltip="Scroll the chat down a page",
        ),
    ]

    class PageWanted(Message):
        """PageUp (``direction`` -1) or PageDown (1) in the prompt: the conversation is to scroll."""

        def __init__(self, direction: int) -> None:
            super().__init__()
            self.direction = direction

    class Submitted(Message):
        def __init__(self, prompt: "PromptArea", text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(soft_wrap=True, compact=True, highlight_cursor_line=False, **kwargs)
        self.sent: list[str] = []
        self._recall: int | None = None  # index into history while recalling
        self._draft = ""

    def on_key(self, event: Key) -> None:
        # runs before TextArea's own key handling, which prevent_default() skips
        key = event.key
        if key == "enter":
            self._take(event)
            self.action_submit()
        elif key in ("shift+enter", "ctrl+j"):
            self._take(event)
            self.action_newline()
        elif key == "up" and (not self.text or self.cursor_location[0] == 0) and self._recall_step(-1):
            self._take(event)
        elif (
            key == "down"
            and self._recall is not None
            and self.cursor_location[0] == self.document.line_count - 1
            and self._recall_step(1)
        ):
            self._take(event)

    @staticmethod
    def _take(event: Key) -> None:
        event.stop()
        event.prevent_default()

    def action_page(self, direction: int) -> None:
        self.post_message(self.PageWanted(direction))

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self, self.text))

    def action_newline(self) -> None:
        start, end = self.selection
        self.replace("\n", start, end, maintain_selection_offset=False)

    def _recall_step(self, step: int) -> bool:
        if not self.sent:
            return False
        if self._recall is None:
            if step > 0:
                return False
            self._draft = self.text
            index = len(self.sent) - 1
        else:
            index = self._recall + step
        if index < 0:
            return True  # oldest already shown: swallow the key
        if index >= len(self.sent):
            self._recall = None
            self._set(self._draft)
            return True
        self._recall = index
        self._set(self.sent[index])
        return True

    def _set(self, text: str) -> None:
        self.text = text
        last = self.document.line_count - 1
        self.move_cursor((last, len(self.document.get_line(last))))

    def remember(self, text: str) -> None:
        if text.strip() and (not self.sent or self.sent[-1] != text):
            self.sent.append(text)
        self._recall = None
        self._draft = ""
