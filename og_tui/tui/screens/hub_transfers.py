"""The transfer half of the Hub screen: upload and download with a progress bar
(MB/s, ETA), Stop (esc, a ``threading.Event`` the core client checks per chunk) and
Retry (t). ``HubScreen`` (hub.py) builds on this class; the state it reads
(``detail``, ``sessions``, ``selected_file()`` ...) lives there.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable

from textual import on, work
from textual.message import Message
from textual.widgets import ProgressBar, Static

from og_tui.core.errors import user_message
from og_tui.tui.screens.base import OGScreen
from og_tui.tui.screens.file_picker import FilePicker, human_size

PROGRESS_EVERY = 0.1  # seconds between progress messages of a transfer


def fmt_rate(done: int, total: int, elapsed: float) -> str:
    """'12.3 MB/s · 4.1 of 10.0 MB · ETA 0:03' (decimal megabytes, like download tools)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    parts = [f"{rate / 1e6:.1f} MB/s", f"{done / 1e6:.1f} of {total / 1e6:.1f} MB"]
    if rate > 0 and total > done:
        left = int((total - done) / rate + 0.5)
        parts.append(f"ETA {left // 60}:{left % 60:02d}")
    return " · ".join(parts)


def _day(iso: Any) -> str:
    return str(iso)[:10] if iso else "–"


def _short_cid(cid: str) -> str:
    return cid if len(cid) <= 24 else f"{cid[:13]}…{cid[-8:]}"


@dataclass
class _Transfer:
    kind: str  # "upload" | "download"
    label: str
    cancel: threading.Event = field(default_factory=threading.Event)
    retry: Callable[[], None] | None = None


class HubTransferScreen(OGScreen):
    """Uploads and downloads of the Hub screen (see ``HubScreen`` for the rest)."""

    class UploadProgress(Message, bubble=False):
        def __init__(self, name: str, version: str, filename: str, sent: int, total: int, elapsed: float) -> None:
            super().__init__()
            self.name = name
            self.version = version
            self.filename = filename
            self.sent = sent
            self.total = total
            self.elapsed = elapsed

    class UploadFinished(Message, bubble=False):
        def __init__(self, name: str, version: str, filename: str, cid: str, size: int, elapsed: float) -> None:
            super().__init__()
            self.name = name
            self.version = version
            self.filename = filename
            self.cid = cid
            self.size = size
            self.elapsed = elapsed

    class DownloadProgress(Message, bubble=False):
        def __init__(self, cid: str, filename: str, received: int, total: int, elapsed: float) -> None:
            super().__init__()
            self.cid = cid
            self.filename = filename
            self.received = received
            self.total = total
            self.elapsed = elapsed

    class DownloadFinished(Message, bubble=False):
        def __init__(self, cid: str, path: str, size: int, elapsed: float) -> None:
            super().__init__()
            self.cid = cid
            self.path = path
            self.size = size
            self.elapsed = elapsed

    class TransferFailed(Message, bubble=False):
        """An upload or download ended without a result: stopped by the user or an error."""

        def __init__(self, kind: str, text: str, hint: str | None = None, cancelled: bool = False) -> None:
            super().__init__()
            self.kind = kind  # "upload" | "download"
            self.text = text
            self.hint = hint
            self.cancelled = cancelled

    detail: dict[str, Any] | None
    _transfer: _Transfer | None
    _retry: Callable[[], None] | None
    _focus_cid: str | None
    _details: dict[str, dict[str, Any]]
    _last_upload_path: Path | None
    _last_download_dir: Path | None

    # provided by HubScreen
    sessions: Any

    def selected_version(self) -> str | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def selected_file(self) -> tuple[str, dict[str, Any]] | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _with_auth(self, then: Callable[[], None], reason: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _refresh_model(self, name: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _sync_bindings(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    # --- upload ---------------------------------------------------------------------------------
    def action_upload(self) -> None:
        if self.detail is None or self._transfer is not None:
            return
        self._with_auth(self._pick_upload, "Sign in to upload files.")

    def _pick_upload(self) -> None:
        name = str(self.detail.get("name")) if self.detail else None
        version = self.selected_version()
        if not name or not version:
            self.app.notify("This model has no version to upload to: v creates one.", severity="warning")
            return
        start = self._last_upload_path or Path.cwd()
        picker = FilePicker(f"Upload to {name} v{version}", start=start, extensions=(".onnx",), ok_label="Upload")

        def picked(path: Path | None) -> None:
            if path is not None:
                self.start_upload(name, version, path)

        self.app.push_screen(picker, picked)

    def start_upload(self, name: str, version: str, path: Path) -> None:
        """Upload ``path`` to ``name`` v``version`` with a progress bar and Stop (esc)."""
        self._last_upload_path = path
        transfer = _Transfer("upload", f"Uploading {path.name} → {name} v{version}")
        transfer.retry = partial(self.start_upload, name, version, path)
        self._begin_transfer(transfer)
        self._upload(name, version, path, transfer.cancel)

    @work(thread=True, exclusive=True, group="hub-transfer", exit_on_error=False, description="upload")
    def _upload(self, name: str, version: str, path: Path, cancel: threading.Event) -> None:
        from og_tui.core.hub import TransferCancelled

        app = self.app
        start = time.monotonic()
        last = [0.0]

        def progress(sent: int, total: int) -> None:
            now = time.monotonic()
            if sent in (0, total) or now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                self.post_message(self.UploadProgress(name, version, path.name, sent, total, now - start))

        op = app.begin_op(f"Uploading {path.name}")
        try:
            result = self.sessions.client().upload(path, name, version, progress=progress, cancel=cancel)
        except TransferCancelled:
            self.post_message(self.TransferFailed("upload", "Upload stopped: nothing was stored.", cancelled=True))
            return
        except Exception as exc:  # noqa: BLE001
            text, hint = user_message(exc)
            self.post_message(self.TransferFailed("upload", text, hint, cancelled=cancel.is_set()))
            return
        finally:
            app.end_op(op)
        self.post_message(
            self.UploadFinished(name, version, path.name, result.modelCid, result.size, time.monotonic() - start)
        )

    @on(UploadProgress)
    def _upload_progress(self, event: UploadProgress) -> None:
        self._progress(event.sent, event.total, event.elapsed)

    @on(UploadFinished)
    def _upload_finished(self, event: UploadFinished) -> None:
        self._end_transfer(
            f"Uploaded {event.filename} → {event.name} v{event.version}",
            f"{human_size(event.size)} · CID {_short_cid(event.cid)} · c copies it",
        )
        self._retry = None
        self.app.notify(f"{event.filename} · {event.cid}", title="Upload finished")
        self._focus_cid = event.cid
        if self.detail is not None and self.detail.get("name") == event.name:
            self._refresh_model(event.name)
        else:
            self._details.pop(event.name, None)

    # --- download ---------------------------------------------------------------------------------
    def action_download(self) -> None:
        chosen = self.selected_file()
        if chosen is None or self._transfer is not None:
            return
        _, f = chosen
        start = self._last_download_dir
        if start is None:
            downloads = Path.home() / "Downloads"
            start = downloads if downloads.is_dir() else Path.cwd()
        filename = str(f.get("name") or f.get("ipfsCid"))
        picker = FilePicker(
            f"Download {filename}", start=start, mode="save", default_name=filename, ok_label="Download"
        )

        def picked(path: Path | None) -> None:
            if path is not None:
                self.start_download(str(f.get("ipfsCid")), path, int(f.get("size") or 0))

        self.app.push_screen(picker, picked)

    def start_download(self, cid: str, dest: Path, size: int = 0) -> None:
        self._last_download_dir = dest.parent if not dest.is_dir() else dest
        transfer = _Transfer("download", f"Downloading {dest.name}")
        transfer.retry = partial(self.start_download, cid, dest, size)
        self._begin_transfer(transfer)
        self._download(cid, dest, transfer.cancel)

    @work(thread=True, exclusive=True, group="hub-transfer", exit_on_error=False, description="download")
    def _download(self, cid: str, dest: Path, cancel: threading.Event) -> None:
        from og_tui.core.hub import TransferCancelled

        app = self.app
        start = time.monotonic()
        last = [0.0]

        def progress(received: int, total: int) -> None:
            now = time.monotonic()
            if received in (0, total) or now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                self.post_message(self.DownloadProgress(cid, dest.name, received, total, now - start))

        op = app.begin_op(f"Downloading {dest.name}")
        try:
            path = self.sessions.client().download(cid, dest, progress=progress, cancel=cancel)
        except TransferCancelled:
            self.post_message(
                self.TransferFailed("download", "Download stopped: the partial file was removed.", cancelled=True)
            )
            return
        except Exception as exc:  # noqa: BLE001
            text, hint = user_message(exc)
            self.post_message(self.TransferFailed("download", text, hint, cancelled=cancel.is_set()))
            return
        finally:
            app.end_op(op)
        size = path.stat().st_size if path.exists() else 0
        self.post_message(self.DownloadFinished(cid, str(path), size, time.monotonic() - start))

    @on(DownloadProgress)
    def _download_progress(self, event: DownloadProgress) -> None:
        self._progress(event.received, event.total, event.elapsed)

    @on(DownloadFinished)
    def _download_finished(self, event: DownloadFinished) -> None:
        self._end_transfer(f"Downloaded to {event.path}", f"{human_size(event.size)} · CID checked")
        self._retry = None
        self.app.notify(event.path, title="Download finished")

    # --- transfer area ------------------------------------------------------------------------------
    def _begin_transfer(self, transfer: _Transfer) -> None:
        self._transfer = transfer
        self._retry = None
        area = self.query_one("#hub-transfer")
        area.display = True
        area.remove_class("-failed", "-done")
        self.query_one("#hub-transfer-label", Static).update(f"{transfer.label} · esc stops")
        bar = self.query_one("#hub-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one("#hub-transfer-rate", Static).update("starting…")
        self._sync_bindings()

    def _progress(self, done: int, total: int, elapsed: float) -> None:
        if self._transfer is None:
            return
        self.query_one("#hub-progress", ProgressBar).update(total=max(total, 1), progress=done)
        self.query_one("#hub-transfer-rate", Static).update(fmt_rate(done, total, elapsed))

    def _end_transfer(self, label: str, detail: str) -> None:
        self._transfer = None
        area = self.query_one("#hub-transfer")
        area.add_class("-done")
        self.query_one("#hub-transfer-label", Static).update(label)
        self.query_one("#hub-progress", ProgressBar).display = False
        self.query_one("#hub-transfer-rate", Static).update(detail)
        self._sync_bindings()

    @on(TransferFailed)
    def _transfer_failed(self, event: TransferFailed) -> None:
        transfer = self._transfer
        self._transfer = None
        self._retry = transfer.retry if transfer is not None else None
        area = self.query_one("#hub-transfer")
        area.add_class("-failed")
        self.query_one("#hub-progress", ProgressBar).display = False
        self.query_one("#hub-transfer-label", Static).update(event.text)
        more = f"{event.hint} · " if event.hint else ""
        self.query_one("#hub-transfer-rate", Static).update(f"{more}t retries")
        if not event.cancelled:
            self.app.notify(
                event.text if not event.hint else f"{event.text}\n{event.hint}",
                title=f"{event.kind.capitalize()} failed",
                severity="error",
                timeout=10,
            )
        self._sync_bindings()

    def action_stop(self) -> None:
        transfer = self._transfer
        if transfer is None:
            return
        transfer.cancel.set()
        self.query_one("#hub-transfer-rate", Static).update("stopping…")

    def action_retry(self) -> None:
        retry, self._retry = self._retry, None
        if retry is not None and self._transfer is None:
            if self.query_one("#hub-transfer").has_class("-failed") and retry.func == self.start_upload:
                self._with_auth(retry, "Sign in to upload files.")
            else:
                retry()
