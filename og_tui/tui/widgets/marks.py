"""Checkboxes and radio buttons whose state is readable without colour: the button shows
a mark (✓ / ● when on, nothing / ○ when off), not only a different colour."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton

__all__ = ["CHECK_ON", "RADIO_OFF", "RADIO_ON", "MarkedCheckbox", "MarkedRadioButton"]

CHECK_ON, CHECK_OFF = "✓", " "
RADIO_ON, RADIO_OFF = "●", "○"


class MarkedCheckbox(Checkbox):
    def render(self) -> Content:
        self.BUTTON_INNER = CHECK_ON if self.value else CHECK_OFF
        return super().render()


class MarkedRadioButton(RadioButton):
    def render(self) -> Content:
        self.BUTTON_INNER = RADIO_ON if self.value else RADIO_OFF
        return super().render()
