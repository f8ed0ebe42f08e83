"""The status line keeps the keys that say what to do within the terminal's width."""

from __future__ import annotations

import pytest

from og_tui.tui.messages import NetState
from og_tui.tui.widgets.status_bar import status_content

LONG = "devnet exited (code -9): Traceback (most recent call last): a long last log line · retry in 8s, f12 now"


@pytest.mark.parametrize("width", [80, 120])
def test_reason_is_shortened_around_the_keys(width):
    state = NetState(profile="local", is_devnet=True, connected=False, down=LONG)
    line = status_content(state, "f10", width).plain
    end = line.index("f10 log") + len("f10 log")
    assert end <= width
    assert "devnet exited (code -9)" in line and "retry in 8s, f12 now" in line
    if width == 80:
        assert "…" in line  # (the reason was cut, not the keys)


def test_no_log_key_while_connected_or_starting():
    assert (
        "f10 log"
        not in status_content(NetState(profile="local", is_devnet=True, connected=True, block=5), "f10", 80).plain
    )
    starting = NetState(profile="local", is_devnet=True, connected=False, starting="starting devnet 1.0s")
    assert "f10 log" not in status_content(starting, "f10", 80).plain
    plain = NetState(profile="opengradient", is_devnet=False, connected=False)
    assert "✕ disconnected" in status_content(plain, "f10", 80).plain
    assert "f10 log" in status_content(plain, "f10", 80).plain
