"""The Hub screen's detail pane: the selected model (author, task, description) and its
versions with their files, CIDs and ONNX signatures.

It shows what it is given (:meth:`HubDetail.show`, :meth:`HubDetail.show_loading`,
:meth:`HubDetail.show_failed`) and answers which version / file is highlighted; the
file list's own OptionList events reach the screen.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from og_tui.tui.screens.file_picker import human_size
from og_tui.tui.screens.hub_transfers import _short_cid
from og_tui.tui.widgets.motions import NavOptionList

__all__ = ["HubDetail", "day"]


def day(iso: Any) -> str:
    return str(iso)[:10] if iso else "–"


class HubDetail(Vertical):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.detail: dict[str, Any] | None = None  # the model shown (None: loading or none)
        self.focus_cid: str | None = None  # highlight this file when the detail next comes in
        self._file_options: dict[str, tuple[str, dict[str, Any] | None]] = {}  # option id -> (version, file)

    def compose(self) -> ComposeResult:
        yield Static("", id="hub-detail-head")
        yield Static("", id="hub-target")
        yield NavOptionList(id="hub-files")

    @property
    def files(self) -> OptionList:
        return self.query_one("#hub-files", OptionList)

    def show_loading(self, name: str, model: dict[str, Any]) -> None:
        head = Text.assemble((name, "bold"), "\n", (str(model.get("description") or ""), "dim"))
        self.query_one("#hub-detail-head", Static).update(head)
        self.files.set_options([Option(Text("loading…", style="dim"), disabled=True)])
        self.detail = None

    def show_failed(self, name: str, text: str) -> None:
        self.query_one("#hub-detail-head", Static).update(
            Text.assemble((f"{name}\n", "bold"), (text, "red"), "\nR to retry")
        )

    def show(self, detail: dict[str, Any] | None) -> None:
        head = self.query_one("#hub-detail-head", Static)
        files = self.files
        self.detail = detail
        self._file_options.clear()
        if detail is None:
            head.update(Text("Select a model to see its versions, files and signatures.", style="dim"))
            files.set_options([])
            self.show_target()
            return
        versions = list(detail.get("versions") or [])
        text = Text()
        text.append(str(detail.get("name")), style="bold")
        text.append(f"  v{detail.get('latestVersion') or '–'}", style="dim")
        meta = [f"by {detail.get('authorUsername') or '–'}"]
        if detail.get("taskName"):
            meta.append(str(detail["taskName"]))
        meta.append(f"created {day(detail.get('createdAt'))}")
        text.append("\n" + " · ".join(meta), style="dim")
        if detail.get("description"):
            text.append("\n" + str(detail["description"]))
        head.update(text)
        wide = self.size.width >= 62
        options: list[Option] = []
        focus_index: int | None = None
        for version in reversed(versions):
            vs = str(version.get("versionString") or "?")
            prompt = Text.assemble((f"v{vs}", "bold"))
            if version.get("isMajor"):
                prompt.append(" major", style="dim")
            notes = str(version.get("notes") or "")
            if notes:
                prompt.append(f"  {notes}", style="italic")
            prompt.append(f"  {day(version.get('createdAt'))}", style="dim")
            vid = f"v:{vs}"
            self._file_options[vid] = (vs, None)
            options.append(Option(prompt, id=vid))
            vfiles = list(version.get("files") or [])
            if not vfiles:
                options.append(Option(Text("   no files yet · u uploads one", style="dim"), disabled=True))
            for index, f in enumerate(vfiles):
                fid = f"f:{vs}:{index}"
                self._file_options[fid] = (vs, f)
                options.append(Option(self._file_prompt(f, wide), id=fid))
                if self.focus_cid and f.get("ipfsCid") == self.focus_cid:
                    focus_index = len(options) - 1
        files.set_options(options)
        if focus_index is not None:
            files.highlighted = focus_index
            self.focus_cid = None
        elif options:
            # the newest version (listed first) is what u / c / r / d act on until the cursor moves
            files.highlighted = 0
        self.show_target()

    def show_target(self) -> None:
        """Say which version and file u / c / r / d act on (the list's highlight is faint when blurred)."""
        line = self.query_one("#hub-target", Static)
        version = self.selected_version() if self.detail is not None else None
        if version is None:
            line.update("")
            return
        chosen = self.selected_file()
        text = Text.assemble(("▸ ", "bold"), ("u", "bold"), f" uploads to v{version}")
        if chosen is not None and chosen[0] == version:
            text.append(" · ")
            text.append("c r d", style="bold")
            text.append(f" use {chosen[1].get('name')}")
        else:
            text.append(" · no file in this version yet", style="dim")
        line.update(text)

    @staticmethod
    def _file_prompt(f: dict[str, Any], wide: bool) -> Text:
        cid = str(f.get("ipfsCid") or "")
        text = Text("  ")
        text.append(str(f.get("name") or "?"), style="bold")
        text.append(f"  {human_size(f.get('size'))}", style="dim")
        text.append(f"\n  {cid if wide else _short_cid(cid)}", style="cyan")
        signature = f.get("signature")
        if signature:
            from og_tui.core.onnx_sig import format_signature

            for line in format_signature(signature):
                text.append(f"\n    {line}")
        elif f.get("isOnnx") is False:
            text.append("\n  ! not ONNX: opaque file, cannot be run", style="bold yellow")
        else:
            reason = f.get("error") or "no signature"
            text.append(f"\n  ! {reason}", style="yellow")
        return text

    def selected_version(self) -> str | None:
        option = self.files.highlighted_option
        if option is not None and option.id in self._file_options:
            return self._file_options[option.id][0]
        if self.detail is not None:
            versions = self.detail.get("versions") or []
            if versions:
                return str(versions[-1].get("versionString"))
            return self.detail.get("latestVersion")
        return None

    def selected_file(self) -> tuple[str, dict[str, Any]] | None:
        """(version, file) of the highlighted file; on a version row, that version's first ONNX
        file (else its first file); None when the selected version has no files."""
        if self.detail is None:
            return None
        version = self.selected_version()
        option = self.files.highlighted_option
        if option is not None and option.id in self._file_options:
            version, f = self._file_options[option.id]
            if f is not None:
                return version, f
        for v in self.detail.get("versions") or []:
            if str(v.get("versionString")) == version:
                files = list(v.get("files") or [])
                runnable = [f for f in files if f.get("isOnnx") is not False]
                return (version, (runnable or files)[0]) if files else None
        return None
