"""A one-line filter above a list: ``/`` shows it, typing narrows the list, ``enter`` goes
back to the list (the filter stays), ``esc`` clears it and goes back."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.binding import Binding
from textual.widgets import Input

__all__ = ["ListFilter", "matches"]


def matches(query: str, *fields: Any) -> bool:
    """Every word of ``query`` appears in one of ``fields`` (case-insensitive)."""
    words = query.lower().split()
    if not words:
        return True
    text = " ".join(str(f) for f in fields if f is not None).lower()
    return all(word in text for word in words)


class ListFilter(Input):
    BINDINGS = [Binding("escape", "clear", "Clear filter", id="filter.clear")]

    def __init__(self, target: str, **kwargs: Any) -> None:
        kwargs.setdefault("placeholder", "/ filter · enter back to the list · esc clears")
        super().__init__(compact=True, **kwargs)
        self.target = target  # the id of the list it filters
        self._hide()

    def _hide(self) -> None:
        self.display = False
        self.can_focus = False  # (a hidden filter never takes the screen's first focus)

    def open(self) -> None:
        self.display = True
        self.can_focus = True
        self.focus()

    def _back(self) -> None:
        targets = self.screen.query(f"#{self.target}")
        if targets:
            targets.first().focus()

    def action_clear(self) -> None:
        self.value = ""
        self._hide()
        self._back()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.value:
            self._hide()
        self._back()
