import pytest
from textual.widgets import Input, TextArea

from .helpers import app_env  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _steady_cursors(monkeypatch):
    """Cursors stay visible: a blink would make snapshots depend on timing."""

    def keep_visible(self) -> None:
        self._cursor_visible = True

    monkeypatch.setattr(Input, "_toggle_cursor", keep_visible)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)
