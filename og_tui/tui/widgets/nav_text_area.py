"""A TextArea that leaves F6/F7 to screen navigation (TextArea binds them to select line / all)."""

from __future__ import annotations

from textual.widgets import TextArea

__all__ = ["NavTextArea"]


class NavTextArea(TextArea):
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # a disabled binding lets the key go on to the app's bindings (F6 Workflows, F7 Activity)
        if action in ("select_line", "select_all"):
            return False
        return super().check_action(action, parameters)
