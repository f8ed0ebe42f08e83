"""The rows of the Chat screen's message view that are not message widgets.

:class:`StoredItem` is one stored message as the virtualised
:class:`~og_tui.tui.widgets.chat_log.ChatLog` holds it (text, role, how to make its widget,
its measured or estimated height), whether its widget is mounted or not; :class:`_Spacer`
stands for the rows above and below the mounted window; :class:`LoadEarlier` is the button
at the top of a plain (not virtualised) log that asks for the previous page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from textual.widget import Widget
from textual.widgets import Button

__all__ = ["LoadEarlier", "StoredItem"]


@dataclass(eq=False)
class StoredItem:
    """One stored message as the log shows it: ``make()`` builds its widget when it comes into view."""

    message_id: int | None
    role: str
    text: str
    make: Callable[[], Widget]
    extra_lines: int = 0  # (tool cards and the like: lines the text does not account for)
    height: int | None = None  # measured at ``width`` (with its margin)
    width: int = 0
    row: Any = field(default=None, repr=False)  # the store's row (its meta updated in place)
    raw: tuple[int, int] = (0, 0)  # (width, estimate from the text at that width)


class LoadEarlier(Button):
    """At the top of a long conversation: mounts the previous page when pressed."""

    def __init__(self, remaining: int) -> None:
        super().__init__(self._label(remaining), id="load-earlier", compact=True)
        self.remaining = remaining

    @staticmethod
    def _label(remaining: int) -> str:
        return f"↑ {remaining} earlier message{'s' if remaining != 1 else ''} (enter or scroll up)"

    def set_remaining(self, remaining: int) -> None:
        self.remaining = remaining
        self.label = self._label(remaining)


class _Spacer(Widget):
    """Stands for the rows that are not mounted."""

    DEFAULT_CSS = "_Spacer { height: 0; width: 1fr; margin: 0; padding: 0; }"

    def __init__(self, name: str) -> None:
        super().__init__(classes=f"chat-spacer chat-spacer-{name}")

    def set_height(self, height: int) -> None:
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = max(0, int(height))
