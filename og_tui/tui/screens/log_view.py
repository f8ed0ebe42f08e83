"""The Log view: og-tui's own log and the devnet's, followed as ``tail -f`` does.

The file is read in a worker thread by :class:`og_tui.core.logtail.LogTail` (incremental,
at most a window of bytes per read, truncation and rotation noticed); the view keeps the
last :data:`MAX_LINES` lines and shows those that match the ``/`` filter.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Log, Static

from og_tui.core.logtail import LogTail, TailUpdate
from og_tui.tui.widgets.footer import OGFooter
from og_tui.tui.widgets.key_scroll import KeyScroll
from og_tui.tui.widgets.motions import motion_bindings

__all__ = ["MAX_LINES", "POLL_SECONDS", "SOURCES", "LogScreen", "log_sources"]

MAX_LINES = 5000
POLL_SECONDS = 0.5
SOURCES = ("app", "devnet")
_TITLES = {"app": "og-tui", "devnet": "devnet"}
# og-tui's log lines start "2026-01-02 03:04:05,678 ": the view shows the time only
_STAMP = re.compile(r"^\d{4}-\d\d-\d\d (\d\d:\d\d:\d\d),\d{3} ")


def shown_line(line: str) -> str:
    return _STAMP.sub(r"\1 ", line, count=1)


def log_sources(app) -> dict[str, Path]:
    """The file behind each source: the app's log in its data dir; the devnet's output
    where the app's own devnet writes it (the running one's, when the app started it)."""
    from og_tui.core.devnet_proc import devnet_log_path
    from og_tui.core.log import log_path

    handle = app.ctx.devnet
    devnet = getattr(handle, "log_path", None) if handle is not None else None
    return {"app": log_path(app.ctx.settings.data_dir), "devnet": Path(devnet) if devnet else devnet_log_path()}


def _home_short(path: Path | None) -> str:
    """``~/...`` for a path in the home folder (shorter at 80 columns; still one to paste)."""
    if path is None:
        return ""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except (ValueError, RuntimeError):
        return str(path)


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


class LogLines(KeyScroll, Log):
    """The lines, with the motions of every list (j/k/g/G, ctrl+d/ctrl+u); held keys add up."""

    BINDINGS = motion_bindings("scroll_down", "scroll_up", "scroll_home", "scroll_end", "half(1)", "half(-1)")

    def action_half(self, direction: int) -> None:
        self.key_scroll(lines=direction * max(1, self.scrollable_content_region.height // 2))


class LogScreen(ModalScreen):
    """Full-screen over the current screen; esc returns to it."""

    HELP = """\
og-tui's log and the devnet's output, newest at the bottom.
**s** switches source · **f** follows new lines or pauses · **/** filters (esc clears) · **n** notifications.
The last 5,000 lines are kept here; the file has them all.
"""

    DEFAULT_CSS = """
    LogScreen { background: $background; }
    LogScreen #log-head { height: 1; padding: 0 1; background: $boost; }
    LogScreen #log-note { height: auto; max-height: 4; padding: 0 1; color: $text-muted; }
    LogScreen #log-filter { margin: 0 1; }
    LogScreen #log-filter.-hidden { display: none; }
    LogScreen LogLines { height: 1fr; border: none; padding: 0 1; background: $surface; }
    LogScreen LogLines:focus { background: $surface; background-tint: $primary 6%; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="log.close", tooltip="Clear the filter, or close the log"),
        Binding("slash", "filter", "Filter", id="log.filter", tooltip="Show only the lines containing a text"),
        Binding("f", "toggle_follow", "Follow", id="log.follow", tooltip="Follow new lines, or pause"),
        Binding("s", "switch_source", "Source", id="log.source", tooltip="og-tui's log or the devnet's"),
        Binding("n", "notifications", "Notices", id="log.notifications", tooltip="The notification history"),
    ]

    class Read(Message, bubble=False):
        def __init__(self, token: int, update: TailUpdate) -> None:
            super().__init__()
            self.token = token
            self.update = update

    def __init__(self, source: str = "app") -> None:
        super().__init__()
        self.source = source if source in SOURCES else "app"
        self.follow = True
        self.query_text = ""
        self._lines: deque[str] = deque(maxlen=MAX_LINES)
        self._tail: LogTail | None = None
        self._token = 0
        self._reading = False
        self._missing = False
        self._skipped = 0
        self._paths: dict[str, Path] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="log-head")
        yield Static(id="log-note")
        yield Input(
            placeholder="filter: any part of a line · enter keeps it · esc clears",
            id="log-filter",
            compact=True,
            classes="-hidden",
        )
        yield LogLines(max_lines=MAX_LINES, id="log-lines")
        yield OGFooter(compact=True)

    def on_mount(self) -> None:
        self._paths = log_sources(self.app)
        self._open(self.source)
        self.set_interval(POLL_SECONDS, self._poll, name="log-poll")
        self.query_one(LogLines).focus()

    def on_worker_state_changed(self, event) -> None:
        self.app.report_worker(event)

    # --- reading ------------------------------------------------------------------------------
    def _open(self, source: str) -> None:
        self.source = source
        self._token += 1
        self._tail = LogTail(self._paths[source])
        self._lines.clear()
        self._missing = False
        self._skipped = 0
        self.query_one(LogLines).clear()
        self._reading = False
        self._show_head()
        self._read_now()

    def _poll(self) -> None:
        if self.follow:
            self._read_now()

    def _read_now(self) -> None:
        if self._reading or self._tail is None:
            return
        self._reading = True
        self._read(self._tail, self._token)

    @work(thread=True, group="log-read", exit_on_error=False, description="read log")
    def _read(self, tail: LogTail, token: int) -> None:
        try:
            update = tail.read()
        except OSError as exc:
            update = TailUpdate(missing=True)
            self.app.call_from_thread(self.notify, f"Cannot read {tail.path}: {exc}", severity="warning")
        if len(update.lines) > MAX_LINES:  # only what the view keeps reaches the event loop
            dropped = update.lines[:-MAX_LINES]
            update.skipped += sum(len(line.encode("utf-8", "replace")) + 1 for line in dropped)
            update.lines = update.lines[-MAX_LINES:]
        self.post_message(self.Read(token, update))

    @on(Read)
    def _got(self, event: Read) -> None:
        if event.token != self._token:
            return  # a read of the source shown before
        self._reading = False
        update = event.update
        log = self.query_one(LogLines)
        if update.reset:
            self._lines.clear()
            log.clear()
            if not update.missing:  # (rotated or truncated: the earlier lines are in the old file)
                update.lines.insert(0, "── the file was replaced or truncated: reading it from its start ──")
        self._missing = update.missing
        self._skipped += update.skipped
        if update.lines:
            self._lines.extend(update.lines)
            shown = [shown_line(line) for line in update.lines if self._matches(line)]
            if shown:
                log.write_lines(shown, scroll_end=self.follow)
        self._show_head()

    # --- filter ---------------------------------------------------------------------------------
    def _matches(self, line: str) -> bool:
        return not self.query_text or self.query_text in line.lower()

    def _refill(self) -> None:
        log = self.query_one(LogLines)
        log.clear()
        log.write_lines([shown_line(line) for line in self._lines if self._matches(line)], scroll_end=True)
        self._show_head()

    @on(Input.Changed, "#log-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value.strip().lower()
        self._refill()

    @on(Input.Submitted, "#log-filter")
    def _filter_kept(self) -> None:
        self.query_one(LogLines).focus()

    def action_filter(self) -> None:
        field = self.query_one("#log-filter", Input)
        field.remove_class("-hidden")
        self.set_focus(field)

    def action_close(self) -> None:
        field = self.query_one("#log-filter", Input)
        if field.value or not field.has_class("-hidden"):
            field.value = ""
            field.add_class("-hidden")
            self.query_text = ""
            self._refill()
            self.query_one(LogLines).focus()
            return
        self.dismiss()

    # --- follow, source -------------------------------------------------------------------------
    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        self.query_one(LogLines).auto_scroll = self.follow
        if self.follow:
            self.query_one(LogLines).scroll_end(animate=False)
            self._read_now()
        self._show_head()

    def action_switch_source(self) -> None:
        self._open(SOURCES[(SOURCES.index(self.source) + 1) % len(SOURCES)])

    def action_notifications(self) -> None:
        from og_tui.tui.screens.notices_view import NotificationsScreen

        self.app.switch_screen(NotificationsScreen())

    # --- header -----------------------------------------------------------------------------------
    def _show_head(self) -> None:
        tabs = [
            Content.from_markup(
                "[bold $text on $primary 40%] $t [/]" if name == self.source else "[$text-muted] $t [/]",
                t=_TITLES[name],
            )
            for name in SOURCES
        ]
        state = (
            Content.from_markup("[$success]● following[/]")
            if self.follow
            else Content.from_markup("[$warning]‖ paused (f follows)[/]")
        )
        count = len(self._lines)
        shown = self.query_one(LogLines).line_count
        lines = f"{count:,} lines" if not self.query_text else f"{shown:,} of {count:,} lines match"
        head = Content.assemble(Content.from_markup("[bold]Log[/] "), *tabs, "  ", state, f"  {lines}")
        self.query_one("#log-head", Static).update(head)
        self.query_one("#log-note", Static).update(self._note())

    def _note(self) -> Content:
        path = _home_short(self._paths.get(self.source))
        parts = [Content(path)]
        if self._missing:
            parts = [Content(f"no log yet at {path}")]
            if self.source == "app":
                parts.append(Content("(og-tui writes it when started from the command line)"))
        elif self._skipped:
            parts.append(Content(f"(the {_size(self._skipped)} before these lines are in the file)"))
        if self.source == "devnet":
            app = self.app
            handle = app.ctx.devnet
            if handle is not None and not handle.started:
                parts.append(
                    Content(f"· the devnet at {handle.url} was started by another program: its output is there")
                )
            down = getattr(app.net, "down", None)
            if down:
                parts.append(
                    Content.from_markup("\n[bold $error]✕ $why[/]", why=getattr(app, "devnet_detail", "") or down)
                )
        return Content(" ").join(parts)
