"""A keyboard-driven file picker: a path field with completion over a filtered folder listing.

Reusable by any screen::

    self.app.push_screen(FilePicker("Upload a model", extensions=(".onnx",)), on_path)

- type a path; ``tab`` (or ``right`` at the end) completes it, the list below shows the
  folder's sub-folders and the files with the wanted extensions, with their sizes;
- ``down`` moves into the list; ``enter`` on a folder opens it, on a file picks it;
- ``ctrl+t`` shows every file, not only the wanted extensions; ``backspace`` in the list
  goes up one folder; ``esc`` cancels.

``mode="open"`` returns an existing, readable file (empty files refused unless
``allow_empty``); ``mode="save"`` returns a path to write: a new file in an existing
folder (or ``default_name`` inside a chosen folder); existing files are not overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from og_tui.tui.widgets.footer import OGFooter
from og_tui.tui.widgets.motions import NavOptionList

MAX_ENTRIES = 2000
UP = "\x00up"  # option id of the ".." entry


def human_size(n: int | None) -> str:
    """1536 -> '1.5 KiB' (binary units, like ls -h)."""
    if n is None:
        return "–"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def split_path(text: str) -> tuple[Path, str]:
    """'~/models/li' -> (~/models expanded, 'li'); '~/models/' -> (~/models, '')."""
    raw = os.path.expanduser(text)
    if not raw:
        return Path.cwd(), ""
    if raw.endswith(os.sep):
        return Path(raw), ""
    folder, _, prefix = raw.rpartition(os.sep)
    if not _:
        return Path.cwd(), raw
    return Path(folder or os.sep), prefix


def list_folder(folder: Path, limit: int = MAX_ENTRIES) -> tuple[list[tuple[str, bool, int | None]], str | None]:
    """([(name, is_dir, size)], error) of ``folder``, folders first, then by name."""
    entries: list[tuple[str, bool, int | None]] = []
    try:
        with os.scandir(folder) as it:
            for entry in it:
                try:
                    is_dir = entry.is_dir()
                    size = None if is_dir else entry.stat().st_size
                except OSError:
                    is_dir, size = False, None
                entries.append((entry.name, is_dir, size))
                if len(entries) >= limit:
                    break
    except FileNotFoundError:
        return [], f"No folder {folder}"
    except NotADirectoryError:
        return [], f"{folder} is not a folder"
    except PermissionError:
        return [], f"Cannot read the folder {folder} (permission denied)"
    except OSError as exc:
        return [], f"Cannot read the folder {folder} ({exc.strerror or exc})"
    entries.sort(key=lambda e: (not e[1], e[0].startswith("."), e[0].casefold()))
    return entries, None


def _matches(name: str, extensions: tuple[str, ...]) -> bool:
    return not extensions or name.lower().endswith(extensions)


class PathSuggester(Suggester):
    """Completes the last path component from the folder's entries (folders get a '/')."""

    def __init__(self, extensions: tuple[str, ...] = (), dirs_only: bool = False) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.extensions = extensions
        self.dirs_only = dirs_only

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value, self.extensions)


def complete_path(value: str, extensions: tuple[str, ...] = ()) -> str | None:
    """The completion of ``value`` (unique match, else the longest common prefix)."""
    if not value:
        return None
    folder, prefix = split_path(value)
    if not prefix:
        return None
    entries, _ = list_folder(folder, limit=MAX_ENTRIES)
    hits = [
        (name, is_dir)
        for name, is_dir, _ in entries
        if name.startswith(prefix)
        and (is_dir or _matches(name, extensions) or not extensions)
        and (prefix.startswith(".") or not name.startswith("."))
    ]
    if not hits:
        return None
    if len(hits) == 1:
        name, is_dir = hits[0]
        completed = name + (os.sep if is_dir else "")
    else:
        completed = os.path.commonprefix([name for name, _ in hits])
    if len(completed) <= len(prefix):
        return None
    return value + completed[len(prefix) :]


class FilePicker(ModalScreen):
    """Returns a ``Path`` (or None when cancelled)."""

    CSS_PATH = "file_picker.tcss"
    DEFAULT_CLASSES = "dialog-screen"
    AUTO_FOCUS = "#fp-path"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel", tooltip="Close without choosing"),
        Binding(
            "tab",
            "complete",
            "Complete",
            id="picker.complete",
            show=False,
            tooltip="Complete the path (or move to the list)",
        ),
        Binding("down", "to_list", "List", id="picker.to_list", show=False, tooltip="Move into the file list"),
        Binding(
            "ctrl+t", "toggle_all", "All files", id="picker.all", tooltip="Show every file, not only the wanted types"
        ),
        Binding("backspace", "parent", "Up", id="picker.parent", show=False, tooltip="Go up one folder (in the list)"),
    ]

    def __init__(
        self,
        title: str,
        *,
        start: str | os.PathLike[str] | None = None,
        extensions: Iterable[str] = (),
        mode: str = "open",
        allow_empty: bool = False,
        default_name: str | None = None,
        ok_label: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.extensions = tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in extensions)
        self.mode = mode
        self.allow_empty = allow_empty
        self.default_name = default_name
        self.ok_label = ok_label or ("Choose" if mode == "open" else "Save here")
        self.show_all = not self.extensions
        self._folder: Path | None = None
        self._entries: list[tuple[str, bool, int | None]] = []
        self._folder_error: str | None = None
        start_path = Path(start).expanduser() if start else Path.cwd()
        if start_path.is_dir():
            text = str(start_path).rstrip(os.sep) + os.sep
            if mode == "save" and default_name:
                text += default_name
        else:
            text = str(start_path)
        self.start_text = text

    # --- layout -----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog file-picker"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(
                value=self.start_text,
                id="fp-path",
                compact=True,
                suggester=PathSuggester(self.extensions),
                placeholder="type a path · tab completes",
            )
            yield Static("", id="fp-filter", classes="fp-hint")
            yield NavOptionList(id="fp-list")
            yield Static("", id="fp-info")
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.ok_label, variant="primary", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield OGFooter(compact=True)

    def on_mount(self) -> None:
        field = self.query_one("#fp-path", Input)
        field.cursor_position = len(field.value)
        self._refresh_list(field.value)

    def on_worker_state_changed(self, event) -> None:
        report = getattr(self.app, "report_worker", None)
        if report:
            report(event)

    # --- listing ----------------------------------------------------------------------
    def _refresh_list(self, value: str) -> None:
        folder, prefix = split_path(value)
        if folder != self._folder:
            self._folder = folder
            self._entries, self._folder_error = list_folder(folder)
        options: list[Option] = []
        if folder.parent != folder:
            options.append(Option(Text("../", style="bold"), id=UP))
        shown_files = hidden = 0
        width = min(48, max((len(n) for n, d, _ in self._entries if not d), default=0))
        if self.mode == "save":
            prefix = ""  # the last component is the new file's name, not a filter
        for name, is_dir, size in self._entries:
            if prefix and not name.startswith(prefix):
                continue
            if name.startswith(".") and not prefix.startswith("."):
                continue
            if is_dir:
                options.append(Option(Text(name + os.sep, style="bold"), id=name + os.sep))
                continue
            if not self.show_all and not _matches(name, self.extensions):
                hidden += 1
                continue
            shown_files += 1
            options.append(Option(self._file_prompt(name, size, width), id=name))
        listing = self.query_one("#fp-list", OptionList)
        listing.set_options(options)
        if listing.option_count:
            listing.highlighted = 1 if options[0].id == UP and listing.option_count > 1 else 0
        wanted = " ".join(f"*{e}" for e in self.extensions) or "all files"
        filt = self.query_one("#fp-filter", Static)
        if self._folder_error:
            filt.update(Text(self._folder_error, style="bold"))
        elif self.extensions:
            extra = f" · {hidden} other file{'s' if hidden != 1 else ''} hidden" if hidden else ""
            if not shown_files and not self.show_all:
                extra = f" · no {wanted} files here" + extra
            filt.update(
                f"{folder} · {'all files' if self.show_all else wanted}{extra} · ctrl+t {'filter' if self.show_all else 'all'}"
            )
        else:
            filt.update(str(folder))
        self._show_highlighted()

    @staticmethod
    def _file_prompt(name: str, size: int | None, width: int) -> Text:
        shown = name if len(name) <= width else name[: width - 1] + "…"
        text = Text(shown.ljust(width), no_wrap=True, overflow="ellipsis")
        text.append(f"  {human_size(size):>10}", style="dim")
        return text

    def _info(self, text: str) -> None:
        self.query_one("#fp-info", Static).update(text)

    def _show_highlighted(self) -> None:
        option = self.query_one("#fp-list", OptionList).highlighted_option
        if option is None or option.id is None or self._folder is None:
            self._info("")
            return
        if option.id == UP:
            self._info(f"up to {self._folder.parent}")
            return
        path = self._folder / option.id
        if option.id.endswith(os.sep):
            self._info(f"folder {path}")
            return
        size = next((s for n, d, s in self._entries if n == option.id), None)
        self._info(f"{path} · {human_size(size)}" + (f" ({size:,} bytes)" if size and size >= 1024 else ""))

    @on(Input.Changed, "#fp-path")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one(".dialog-error", Static).update("")
        self._refresh_list(event.value)

    @on(OptionList.OptionHighlighted, "#fp-list")
    def _highlighted(self) -> None:
        self._show_highlighted()

    # --- keys -------------------------------------------------------------------------
    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_complete(self) -> None:
        field = self.query_one("#fp-path", Input)
        if self.focused is not field:
            self.focus_next()
            return
        completed = complete_path(field.value, () if self.show_all else self.extensions)
        if completed:
            field.value = completed
            field.cursor_position = len(completed)
        else:
            self.action_to_list()

    def action_to_list(self) -> None:
        listing = self.query_one("#fp-list", OptionList)
        if listing.option_count:
            listing.focus()

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self._refresh_list(self.query_one("#fp-path", Input).value)

    def action_parent(self) -> None:
        field = self.query_one("#fp-path", Input)
        if self.focused is field:
            field.action_delete_left()
            return
        if self._folder is not None:
            self._open_folder(self._folder.parent)

    def _open_folder(self, folder: Path) -> None:
        field = self.query_one("#fp-path", Input)
        text = str(folder).rstrip(os.sep) + os.sep
        if self.mode == "save" and self.default_name:
            text += self.default_name
        field.value = text
        field.cursor_position = len(text)

    @on(OptionList.OptionSelected, "#fp-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if self._folder is None or event.option.id is None:
            return
        if event.option.id == UP:
            self._open_folder(self._folder.parent)
            return
        path = self._folder / event.option.id
        if event.option.id.endswith(os.sep):
            self._open_folder(path)
            return
        if self.mode == "save":
            field = self.query_one("#fp-path", Input)
            field.value = str(path)
            field.focus()
            self._error(f"{path.name} exists already: type another name (nothing is overwritten).")
            return
        self._choose(str(path))

    @on(Input.Submitted, "#fp-path")
    def _submitted(self, event: Input.Submitted) -> None:
        raw = os.path.expanduser(event.value.strip())
        if raw and Path(raw).is_dir() and not (self.mode == "save" and self.default_name):
            if not raw.endswith(os.sep):
                self._open_folder(Path(raw))
                return
        self._choose(event.value)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self._choose(self.query_one("#fp-path", Input).value)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    # --- validation -------------------------------------------------------------------
    def _error(self, text: str) -> None:
        self.query_one(".dialog-error", Static).update(text)

    def _choose(self, value: str) -> None:
        try:
            path = self.check(value)
        except ValueError as exc:
            self._error(str(exc))
            field = self.query_one("#fp-path", Input)
            field.focus()
            return
        self.dismiss(path)

    def check(self, value: str) -> Path:
        """The chosen path, or ValueError saying what is wrong with it."""
        raw = value.strip()
        if not raw:
            raise ValueError("Type a path, or pick a file from the list.")
        path = Path(os.path.expanduser(raw))
        if self.mode == "save":
            return self._check_save(path)
        if not path.exists():
            raise ValueError(f"No file at {path}: check the path.")
        if path.is_dir():
            raise ValueError(f"{path} is a folder: choose a file in it (enter opens it).")
        if not path.is_file():
            raise ValueError(f"{path} is not a regular file.")
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise ValueError(f"Cannot read {path}: {exc.strerror or exc}. Check its permissions.") from None
        if not self.allow_empty and path.stat().st_size == 0:
            raise ValueError(f"{path.name} is empty: there is nothing to upload.")
        return path

    def _check_save(self, path: Path) -> Path:
        if path.is_dir():
            if not self.default_name:
                return path
            path = path / self.default_name
        if path.exists():
            raise ValueError(f"{path} exists already: choose another name (nothing is overwritten).")
        parent = path.parent
        if not parent.is_dir():
            raise ValueError(f"No folder {parent}: create it first or choose another place.")
        if not os.access(parent, os.W_OK):
            raise ValueError(f"Cannot write in {parent} (permission denied).")
        return path
