"""The notification history: every toast the app showed, newest last, bounded.

``OGApp.notify`` records each toast here (and in the log) before showing it, so a toast
that vanished can be read again in the Notifications view (``alt+n``, F10 then ``n``, or
the palette's "app: notifications").
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from textual.content import Content

__all__ = ["MAX_NOTICES", "Notice", "NoticeHistory", "notice_content"]

MAX_NOTICES = 200

# severity -> (mark, style): the mark says it without colour
_LOOK = {
    "error": ("✕", "bold $error"),
    "warning": ("!", "bold $warning"),
    "information": ("i", "$accent"),
}


@dataclass(frozen=True)
class Notice:
    at: float  # time.time()
    severity: str
    title: str
    message: str
    markup: bool = True


class NoticeHistory:
    """A thread-safe ring of the last ``limit`` notices."""

    def __init__(self, limit: int = MAX_NOTICES) -> None:
        self._items: deque[Notice] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self.total = 0  # every notice ever recorded (the ring keeps the last ``limit``)

    def add(self, notice: Notice) -> None:
        with self._lock:
            self._items.append(notice)
            self.total += 1

    def newest_first(self) -> list[Notice]:
        with self._lock:
            return list(reversed(self._items))

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def message_text(notice: Notice) -> Content:
    """The message as the toast showed it (markup applied; plain if the markup is bad)."""
    if notice.markup:
        try:
            return Content.from_markup(notice.message)
        except Exception:  # noqa: BLE001 - shown as typed
            pass
    return Content(notice.message)


def notice_content(notice: Notice) -> Content:
    """One notice as the history shows it: ``HH:MM:SS ✕ Title`` and the message below."""
    mark, style = _LOOK.get(notice.severity, _LOOK["information"])
    stamp = time.strftime("%H:%M:%S", time.localtime(notice.at))
    head = Content.from_markup(
        f"[$text-muted]$stamp[/] [{style}]$mark $label[/]",
        stamp=stamp,
        mark=mark,
        label=notice.title or notice.severity.capitalize(),
    )
    return Content("\n").join([head, message_text(notice)])
