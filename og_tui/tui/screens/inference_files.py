"""The Inference screen's files: load the input from a file, copy or export the outputs.

Mixed into :class:`~og_tui.tui.screens.inference.InferenceScreen`; its thread workers post
the messages nested here, handled by the naming-convention handlers below.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from textual import work
from textual.message import Message

from og_tui.tui.screens.inference_io import INPUT_EXTENSIONS, export_bytes, load_input_file
from og_tui.tui.widgets.mode_picker import MODES
from og_tui.tui.widgets.tensor_table import input_text, outputs_json

__all__ = ["InferenceFiles", "mode_name"]


def mode_name(mode: Any) -> str:
    if isinstance(mode, str):
        return mode.upper()
    try:
        return MODES[int(mode)]
    except (TypeError, ValueError, IndexError):
        return str(mode)


class InferenceFiles:
    """Load input, copy outputs, export outputs (mixed into InferenceScreen)."""

    class InputLoaded(Message, bubble=False):
        """A model input read from a file, as editor text."""

        def __init__(self, path: str, text: str, summary: str) -> None:
            super().__init__()
            self.path = path
            self.text = text
            self.summary = summary

    class Exported(Message, bubble=False):
        def __init__(self, path: str, size: int) -> None:
            super().__init__()
            self.path = path
            self.size = size

    class FileFailed(Message, bubble=False):
        """Loading an input file or exporting the outputs failed (``kind``: "load" | "export")."""

        def __init__(self, kind: str, text: str) -> None:
            super().__init__()
            self.kind = kind
            self.text = text

    # --- load input ------------------------------------------------------------------------------------
    def action_load_input(self) -> None:
        from og_tui.tui.screens.file_picker import FilePicker

        def picked(path: Path | None) -> None:
            if path is not None:
                self._last_dir = str(Path(path).parent)
                self._load_worker(Path(path), self.signature)

        self.app.push_screen(
            FilePicker(
                "Load the model input (.json, .npy, .npz, .csv)", start=self._last_dir, extensions=INPUT_EXTENSIONS
            ),
            picked,
        )

    @work(thread=True, exclusive=True, group="inference-file", exit_on_error=False, description="load input")
    def _load_worker(self, path: Path, signature: dict[str, Any] | None) -> None:
        try:
            data, summary = load_input_file(path, signature)
            text = input_text(data)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.post_message(self.FileFailed("load", f"Cannot load {path.name}: {reason}"))
            return
        self.post_message(self.InputLoaded(str(path), text, summary))

    def on_inference_files_input_loaded(self, event: "InferenceFiles.InputLoaded") -> None:
        self._set_editor_text(event.text)
        self._check_now()
        self._editor().focus()
        self.notify(f"Loaded {event.summary}. ctrl+z brings the previous input back.", title="Input loaded")

    def on_inference_files_file_failed(self, event: "InferenceFiles.FileFailed") -> None:
        self.notify(event.text, title="Load input" if event.kind == "load" else "Export", severity="error", timeout=8)

    # --- copy and export ---------------------------------------------------------------------------------
    def action_copy_outputs(self) -> None:
        if not self.outputs:
            return
        text = json.dumps(outputs_json(self.outputs), ensure_ascii=False)
        self.app.copy_to_clipboard(text)
        self.notify(
            f"{len(self.outputs)} output tensor{'s' if len(self.outputs) != 1 else ''} as JSON "
            f"({len(text):,} characters)",
            title="Outputs copied",
        )

    def action_export(self) -> None:
        if not self.outputs:
            return
        from og_tui.tui.screens.file_picker import FilePicker

        tx = getattr(self.last_run, "tx_hash", None) or ""
        default = f"og-outputs-{tx[2:10] or 'run'}.npz"

        def picked(path: Path | None) -> None:
            if path is None:
                return
            path = Path(path)
            if path.suffix.lower() not in (".json", ".npz"):
                self.notify(
                    "Name the file .json or .npz (the ending chooses the format).", title="Export", severity="warning"
                )
                return
            self._export_worker(path, dict(self.outputs), self._run_summary())

        self.app.push_screen(
            FilePicker(
                "Export the outputs (.npz or .json; nothing is overwritten)",
                mode="save",
                start=self._last_dir,
                default_name=default,
                extensions=(".json", ".npz"),
            ),
            picked,
        )

    def _run_summary(self) -> dict[str, Any]:
        run = self.last_run
        if run is None:
            return {}
        return {
            "model_cid": getattr(run, "model_cid", None) or getattr(run, "model", None),
            "mode": mode_name(getattr(run, "mode", 0)),
            "transaction_hash": getattr(run, "tx_hash", None),
            "block": getattr(run, "block", None),
            "gas_used": getattr(run, "gas_used", None),
        }

    @work(thread=True, exclusive=True, group="inference-file", exit_on_error=False, description="export outputs")
    def _export_worker(self, path: Path, outputs: dict[str, Any], summary: dict[str, Any]) -> None:
        try:
            data = export_bytes(path, outputs, summary)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)  # never overwrite
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        except FileExistsError:
            self.post_message(self.FileFailed("export", f"{path} exists already: nothing was overwritten."))
            return
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.post_message(self.FileFailed("export", f"Cannot write {path}: {reason}"))
            return
        self.post_message(self.Exported(str(path), len(data)))

    def on_inference_files_exported(self, event: "InferenceFiles.Exported") -> None:
        self._last_dir = str(Path(event.path).parent)
        self.notify(f"{event.path} ({event.size:,} bytes)", title="Outputs exported")
