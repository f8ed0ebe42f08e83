"""Uploads and downloads of Model Hub files: :class:`HubTransfers`, the part of
:class:`og_tui.core.hub.HubClient` that streams files (progress callbacks, a cancel event,
a partial download removed when stopped, files that exist already never overwritten).
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Union
from urllib.parse import quote

import httpx

from og_tui.core.errors import HubError, ValidationError
from og_tui.core.hub_rules import safe_filename
from og_tui.core.types import FileUploadResult

__all__ = ["HubTransfers", "TransferCancelled", "download_filename", "Progress", "CHUNK"]

Progress = Callable[[int, int], None]
CHUNK = 1 << 20


class TransferCancelled(HubError):
    """An upload or download was stopped by the user; nothing was kept."""


# ---------------------------------------------------------------------------------------
# Downloads: names from the server, files that exist already
# ---------------------------------------------------------------------------------------


def _refuse_existing(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise ValidationError(
            f"{target} exists already; nothing was downloaded.",
            field="dest",
            hint="Choose another name, or pass --force to replace it.",
        )


def download_filename(name: object) -> Optional[str]:
    """A server-chosen file name made safe to create in the user's folder: its last path
    component without leading dots (a hub file called ``.bashrc`` is saved as
    ``bashrc``); None when nothing usable is left."""
    try:
        cleaned = safe_filename(name).lstrip(".").strip()
    except ValidationError:
        return None
    return cleaned or None


class HubTransfers:
    """Upload and download over the hub client's requests (mixed into HubClient)."""

    hub_url: str
    timeout: float
    upload_timeout: float

    if TYPE_CHECKING:  # provided by HubClient

        def _model_url(self, name: str, *rest: str) -> str: ...

        def _unreachable(self, exc: Exception, url: str) -> HubError: ...

        def _request(
            self,
            method: str,
            url: str,
            *,
            auth: str = "optional",
            stream: bool = False,
            body_factory: Optional[Callable[[], Iterator[bytes]]] = None,
            what: str = "",
            **kwargs: Any,
        ) -> httpx.Response: ...

    def upload(
        self,
        path: Union[str, os.PathLike[str]],
        name: str,
        version: str,
        *,
        progress: Optional[Progress] = None,
        cancel: Optional[threading.Event] = None,
        filename: Optional[str] = None,
    ) -> FileUploadResult:
        """Stream ``path`` to ``name``/``version``; ``progress(sent, total)``; set ``cancel`` to stop."""
        p = Path(path).expanduser()
        if not p.exists():
            raise HubError(f"{p} does not exist.")
        if p.is_dir():
            raise HubError(f"{p} is a directory; upload a model file (e.g. model.onnx).")
        if not p.is_file():
            raise HubError(f"{p} is not a regular file.")
        try:
            with open(p, "rb"):
                pass
        except OSError as exc:
            raise HubError(f"Cannot read {p}: {exc.strerror or exc}.", hint="Check the file's permissions.") from None
        total = p.stat().st_size
        if total == 0:
            raise HubError(f"{p} is empty; there is nothing to upload.")
        fname = safe_filename(filename or p.name)
        boundary = "og-tui-" + os.urandom(12).hex()
        disp_name = fname.replace("\\", "\\\\").replace('"', '\\"')
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{disp_name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode("utf-8")
        tail = f"\r\n--{boundary}--\r\n".encode("ascii")

        def body() -> Iterator[bytes]:
            sent = 0
            if progress:
                progress(0, total)
            yield head
            with open(p, "rb") as fh:
                while True:
                    if cancel is not None and cancel.is_set():
                        raise TransferCancelled("Upload stopped; nothing was stored.")
                    block = fh.read(CHUNK)
                    if not block:
                        break
                    sent += len(block)
                    yield block
                    if progress:
                        progress(sent, total)
            if sent != total:
                raise HubError(f"{p} changed while it was being uploaded; try again.")
            yield tail

        timeout = httpx.Timeout(self.timeout, read=self.upload_timeout, write=self.upload_timeout)
        resp = self._request(
            "POST",
            self._model_url(name, "versions", version, "files"),
            auth="required",
            body_factory=body,
            timeout=timeout,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head) + total + len(tail)),
            },
            what=f"Uploading {fname} to {name!r} version {version}",
        )
        if resp.status_code != 201:
            raise HubError(f"Uploading {fname}: unexpected answer HTTP {resp.status_code}.", status=resp.status_code)
        try:
            data = resp.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or not data.get("ipfsCid"):
            raise HubError(f"Uploading {fname}: the hub answered without a CID.")
        return FileUploadResult(str(data["ipfsCid"]), int(data.get("size", total)))

    def download(
        self,
        cid: str,
        dest: Union[str, os.PathLike[str]],
        *,
        progress: Optional[Progress] = None,
        cancel: Optional[threading.Event] = None,
        verify: bool = True,
        overwrite: bool = False,
    ) -> Path:
        """Stream file ``cid`` to ``dest`` (a file path, or an existing directory: the hub's
        filename, without path parts or leading dots, or else the CID is used). Written to
        ``<dest>.part`` and renamed when complete; the bytes are checked against the CID.
        An existing file is never replaced unless ``overwrite`` (ValidationError before
        anything is fetched, and again at the end if one appeared meanwhile). Returns the
        final path."""
        from og_tui.core.cid import CidHasher, is_cid

        if not overwrite:
            _refuse_existing(Path(dest).expanduser())
        resp = self._request(
            "GET", f"{self.hub_url}/files/{quote(cid, safe='')}", stream=True, what=f"Downloading {cid}"
        )
        part: Optional[Path] = None
        try:
            target = Path(dest).expanduser()
            if target.is_dir():
                fname = None
                cd = resp.headers.get("content-disposition", "")
                m = re.search(r"filename\*=UTF-8''([^;]+)", cd) or re.search(r'filename="([^"]+)"', cd)
                if m:
                    from urllib.parse import unquote

                    fname = download_filename(unquote(m.group(1)))
                target = target / (fname or download_filename(cid) or "download")
                if not overwrite:
                    _refuse_existing(target)
            total = int(resp.headers.get("content-length") or 0)
            part = target.with_name(target.name + ".part")
            hasher = CidHasher()
            if progress:
                progress(0, total)
            with open(part, "wb", buffering=CHUNK) as out:
                for block in resp.iter_bytes():  # network-sized blocks; no re-chunking copies
                    if cancel is not None and cancel.is_set():
                        raise TransferCancelled("Download stopped; the partial file was removed.")
                    out.write(block)
                    hasher.update(block)
                    if progress:
                        progress(hasher.size, total)
            if total and hasher.size != total:
                raise HubError(f"Download of {cid} ended early ({hasher.size} of {total} bytes); try again.")
            if verify and is_cid(cid) and hasher.cid() != cid:
                raise HubError(f"The bytes received for {cid} do not match their CID; the file was discarded.")
            if overwrite:
                os.replace(part, target)
            else:
                try:
                    os.link(part, target)  # fails if the name was taken meanwhile: never clobbers
                except FileExistsError:
                    _refuse_existing(target)
                    raise
                except OSError:  # no hard links on this filesystem: check, then rename
                    _refuse_existing(target)
                    os.replace(part, target)
                else:
                    part.unlink()
            part = None
            return target
        except httpx.HTTPError as exc:
            raise self._unreachable(exc, self.hub_url) from None
        except OSError as exc:
            raise HubError(f"Cannot write {dest}: {exc.strerror or exc}.") from None
        finally:
            resp.close()
            if part is not None:
                part.unlink(missing_ok=True)
