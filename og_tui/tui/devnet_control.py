"""The app's control of its local devnet: why it is not there, start / stop / restart, and
retries with back-off after a failed start or when the devnet went away.

A mixin for :class:`og_tui.tui.app.OGApp`; its handlers follow Textual's naming
convention (``on_devnet_failed``, ...) so that they run beside the app's own ``@on``
handlers. The start itself is ``OGApp.connect`` (``ensure_devnet`` in a worker).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.worker import WorkerState

from og_tui.tui import messages as m

if TYPE_CHECKING:  # pragma: no cover
    from textual.timer import Timer

__all__ = ["RETRY_DELAYS", "DevnetControl", "log_tail"]

RETRY_DELAYS: tuple[float, ...] = (2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


def log_tail(path: Path | None, lines: int = 3) -> str:
    """The last non-empty lines of a log file ("" when there is none)."""
    if path is None:
        return ""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 4096))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join([line for line in text.splitlines() if line.strip()][-lines:])


class DevnetControl:
    """Mixed into OGApp (which provides ``ctx``, ``net``, ``connect``, ``notify``, timers)."""

    retry_delays: tuple[float, ...] = RETRY_DELAYS
    _devnet_attempts: int = 0
    _devnet_retry_timer: Timer | None = None
    _devnet_user_stopped: bool = False
    _retry_delay: float = 0.0
    _poll_timer: Timer | None = None
    devnet_detail: str = ""  # the full reason (log lines, hint): the status bar's tooltip

    # --- state --------------------------------------------------------------------------
    @property
    def devnet_managed(self) -> bool:
        """True when this app may start a devnet for the active profile."""
        ctx: Any = self.ctx  # type: ignore[attr-defined]
        return bool(ctx.is_devnet and ctx.autostart_devnet)

    def _connecting(self) -> bool:
        return any(
            w.group == "connect" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for w in self.workers  # type: ignore[attr-defined]
        )

    def _set_down(self, reason: str | None, detail: str = "") -> None:
        self.devnet_detail = detail or (reason or "")
        self.net = replace(
            self.net,
            connected=False if reason else self.net.connected,  # type: ignore[attr-defined]
            starting=None,
            down=reason,
        )

    def _cancel_retry(self) -> None:
        if self._devnet_retry_timer is not None:
            self._devnet_retry_timer.stop()
            self._devnet_retry_timer = None

    def _unavailable(self, reason: str, detail: str = "") -> None:
        """Show why, and try again later (longer each time) unless the user stopped it."""
        if self._devnet_user_stopped or not self.devnet_managed:
            self._set_down(reason, detail)
            return
        if self._devnet_retry_timer is None:
            delay = self.retry_delays[min(self._devnet_attempts, len(self.retry_delays) - 1)]
            self._devnet_attempts += 1
            self._devnet_retry_timer = self.set_timer(delay, self._retry_now)  # type: ignore[attr-defined]
            self._retry_delay = delay
        self._set_down(f"{reason} · retry in {self._retry_delay:g}s, f12 now", detail)

    def _retry_now(self) -> None:
        self._devnet_retry_timer = None
        if not self._connecting():
            self.connect()  # type: ignore[attr-defined]

    # --- messages -------------------------------------------------------------------------
    def on_devnet_failed(self, event: m.DevnetFailed) -> None:
        text = event.text if not event.hint else f"{event.text}\n{event.hint}"
        self.notify(text, title="Local devnet did not start", severity="error", timeout=8)  # type: ignore[attr-defined]
        first = event.text.splitlines()[0] if event.text else "the devnet did not start"
        reason = first.split(" (pid ")[0].split("; set ")[0].rstrip(".")
        self._unavailable(reason, text)

    def on_devnet_ready(self, event: m.DevnetReady) -> None:
        self._devnet_attempts = 0
        self._cancel_retry()
        self._set_down(None)

    def on_chain_status(self, event: m.ChainStatus) -> None:
        if event.connected:
            self._devnet_attempts = 0
            self._cancel_retry()
            if self.net.down is not None:  # type: ignore[attr-defined]
                self._set_down(None)
            return
        if self._connecting():
            return  # a start is under way; its own messages say how it goes
        ctx: Any = self.ctx  # type: ignore[attr-defined]
        handle = ctx.devnet
        if handle is not None and handle.started and handle.process is not None and handle.process.poll() is not None:
            code = handle.process.returncode
            ctx.devnet = None
            tail = log_tail(handle.log_path)
            last = tail.splitlines()[-1] if tail else ""
            reason = f"devnet exited (code {code})" + (f": {last[:60]}" if last else "")
            detail = f"The devnet og-tui started exited with code {code}."
            if tail:
                detail += f" Last lines of {handle.log_path}:\n{tail}"
            self.notify(
                detail + "\nf12 starts it again; f10 shows the devnet's log.",
                title="Devnet exited",
                severity="error",  # type: ignore[attr-defined]
                timeout=12,
            )
            self._unavailable(reason, detail)
        elif self._devnet_user_stopped:
            return
        elif self.devnet_managed and handle is not None and not handle.started:
            # a devnet another program started went away: poll until it is back; start ours on a key
            self._set_down("disconnected · f12 starts a devnet", event.error or "")
        else:
            self._set_down((event.error or "not reachable").splitlines()[0][:80], event.error or "")

    def on_devnet_stopped(self, event: m.DevnetStopped) -> None:
        self.ctx.devnet = None  # type: ignore[attr-defined]
        if self._devnet_user_stopped:
            self._set_down("devnet stopped · f12 starts it")
            self.notify(
                "The local devnet is stopped. f12 or the palette (devnet: start) starts it.",  # type: ignore[attr-defined]
                title="Devnet",
            )
        else:  # a restart
            self.action_devnet_start()

    # --- actions ----------------------------------------------------------------------------
    def action_devnet_start(self) -> None:
        if not self.ctx.is_devnet:  # type: ignore[attr-defined]
            self.notify(
                "The active profile is not the local devnet: switch profile (p on Account).",  # type: ignore[attr-defined]
                severity="warning",
            )
            return
        if self._connecting():
            self.notify("The devnet is already starting.", title="Devnet")  # type: ignore[attr-defined]
            return
        self._devnet_user_stopped = False
        self._cancel_retry()
        self._devnet_attempts = 0
        self.ctx.autostart_devnet = True  # type: ignore[attr-defined]
        self.net = replace(self.net, down=None, starting="starting devnet")  # type: ignore[attr-defined]
        self.connect()  # type: ignore[attr-defined]

    def action_devnet_stop(self) -> None:
        self._stop_own(restart=False)

    def action_devnet_restart(self) -> None:
        handle = self.ctx.devnet  # type: ignore[attr-defined]
        if handle is None or not handle.started:
            self.action_devnet_start()
            return
        self._stop_own(restart=True)

    def _stop_own(self, restart: bool) -> None:
        handle = self.ctx.devnet  # type: ignore[attr-defined]
        if handle is None or not handle.started:
            where = handle.url if handle is not None else "this port"
            self.notify(  # type: ignore[attr-defined]
                f"og-tui did not start the devnet at {where}; stop it where it runs.",
                title="Devnet",
                severity="warning",
            )
            return
        self._devnet_user_stopped = not restart
        self._cancel_retry()
        self.net = replace(self.net, starting="stopping devnet")  # type: ignore[attr-defined]
        self._stop_devnet(handle)

    @work(thread=True, exclusive=True, group="devnet-stop", exit_on_error=False, description="stop devnet")
    def _stop_devnet(self, handle: Any) -> None:
        code = handle.stop()
        self.post_message(m.DevnetStopped(code))  # type: ignore[attr-defined]
