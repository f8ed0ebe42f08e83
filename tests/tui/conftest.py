import pytest

from og_tui.tui.app import OGApp

from .helpers import app_env  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _steady_cursors(monkeypatch):
    """Cursors stay lit: a blink would make snapshots depend on timing."""
    monkeypatch.setattr(OGApp, "cursor_blink", False)
