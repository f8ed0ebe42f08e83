"""Inference screen dialogs: pick a model from the Hub (with its signature) and the
history of runs (reopen or re-run).

Workers read the hub or the store and post typed messages; handlers own the widgets.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from og_tui.core.errors import user_message
from og_tui.tui.format import fmt_time, short_hash
from og_tui.tui.widgets.footer import OGFooter
from og_tui.tui.widgets.motions import NavOptionList
from og_tui.tui.widgets.sortable import SortableTable, SortColumn
from og_tui.tui.widgets.tensor_table import describe_shape


def tensor_spec(spec: dict[str, Any]) -> str:
    shape = spec.get("shape")
    return f"{spec.get('name')} {spec.get('dtype') or '?'} {describe_shape(shape) if shape is not None else '[?]'}"


def signature_text(signature: dict[str, Any] | None) -> Text:
    """Two lines: inputs and outputs (name dtype shape), for the picker and the screen."""
    text = Text()
    if not signature:
        return text
    ins = signature.get("inputs") or []
    outs = signature.get("outputs") or []
    text.append("in  ", style="bold")
    text.append(" · ".join(tensor_spec(s) for s in ins) or "–")
    text.append("\nout ", style="bold")
    text.append(" · ".join(tensor_spec(s) for s in outs) or "–")
    return text


def onnx_files(detail: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """[(version, file)] of the ONNX files, latest version first."""
    versions = list(detail.get("versions") or [])
    latest = detail.get("latestVersion")

    def key(v: dict[str, Any]) -> tuple:
        text = str(v.get("versionString") or "")
        try:
            major, _, minor = text.partition(".")
            return (text == latest, int(major), int(minor or 0))
        except ValueError:
            return (text == latest, -1, -1)

    out = []
    for version in sorted(versions, key=key, reverse=True):
        for f in version.get("files") or []:
            is_onnx = f.get("isOnnx")
            if is_onnx or (is_onnx is None and str(f.get("name", "")).lower().endswith(".onnx")):
                out.append((str(version.get("versionString") or ""), f))
    return out


class ModelPickerDialog(ModalScreen):
    """Hub models (search as you type); the highlighted one's files and signatures.

    Returns ``{"cid", "name", "version", "file", "signature"}`` or None.
    """

    CSS_PATH = "inference.tcss"
    DEFAULT_CLASSES = "dialog-screen"
    AUTO_FOCUS = "#pk-models"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="inference.picker.cancel", tooltip="Close without choosing"),
        Binding("slash", "search", "Search", id="inference.picker.search", tooltip="Search hub models"),
    ]

    class ModelsListed(Message, bubble=False):
        """The model picker's hub listing (``gen`` ties it to the search that asked)."""

        def __init__(self, models: list[dict[str, Any]], total: int | None, gen: int) -> None:
            super().__init__()
            self.models = models
            self.total = total
            self.gen = gen

    class ModelDetail(Message, bubble=False):
        """The model picker's detail of one hub model (versions, files, signatures)."""

        def __init__(self, name: str, detail: dict[str, Any] | None, error: str | None = None) -> None:
            super().__init__()
            self.name = name
            self.detail = detail
            self.error = error

    def __init__(self, current_cid: str | None = None) -> None:
        super().__init__()
        self.current_cid = current_cid
        self._gen = 0
        self._details: dict[str, dict[str, Any]] = {}
        self._failed: dict[str, str] = {}
        self._models: list[dict[str, Any]] = []
        self._timer: Timer | None = None
        self._search_timer: Timer | None = None
        self._pick_when_loaded: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog inf-picker"):
            yield Label("Pick a model from the Hub", classes="dialog-title")
            yield Input(placeholder="/ search models", id="pk-search", compact=True)
            with Horizontal(id="pk-body"):
                yield NavOptionList(id="pk-models")
                with Vertical(id="pk-right"):
                    yield Static("", id="pk-detail")
                    yield NavOptionList(id="pk-files")
            yield Static("", classes="dialog-error")
            yield Static("enter: latest ONNX file · tab: choose a file · / search · esc: cancel", classes="dialog-hint")
        yield OGFooter(compact=True)

    def on_mount(self) -> None:
        self._status("Loading models…")
        self._request("")

    def on_worker_state_changed(self, event) -> None:
        self.app.report_worker(event)

    # --- workers ------------------------------------------------------------------------
    def _request(self, search: str) -> None:
        self._gen += 1
        self._list(search, self._gen)

    @work(thread=True, exclusive=True, group="picker-list", exit_on_error=False, description="hub models")
    def _list(self, search: str, gen: int) -> None:
        from og_tui.tui.hub_session import hub_sessions

        try:
            data = hub_sessions(self.app.ctx).client().list_models(page=1, limit=100, search=search or None)
        except Exception as exc:  # noqa: BLE001 - shown in the dialog
            self.post_message(self.ModelsListed([], None, gen=-gen))
            self.post_message(self.ModelDetail("", None, error=user_message(exc).joined(" ")))
            return
        self.post_message(self.ModelsListed(list(data.get("models") or []), data.get("total"), gen))

    @work(thread=True, exclusive=False, group="picker-detail", exit_on_error=False, description="hub model")
    def _detail(self, name: str) -> None:
        from og_tui.tui.hub_session import hub_sessions

        try:
            detail = hub_sessions(self.app.ctx).client().model_detail(name)
        except Exception as exc:  # noqa: BLE001
            self.post_message(self.ModelDetail(name, None, error=user_message(exc).joined(" ")))
            return
        self.post_message(self.ModelDetail(name, detail))

    # --- handlers -----------------------------------------------------------------------
    def _status(self, text: str) -> None:
        self.query_one(".dialog-error", Static).update(text)

    @on(ModelsListed)
    def _listed(self, event: ModelsListed) -> None:
        if event.gen < 0:
            return
        if event.gen != self._gen:
            return
        self._models = event.models
        listing = self.query_one("#pk-models", OptionList)
        listing.set_options(
            Option(Text(str(model.get("name")), no_wrap=True, overflow="ellipsis"), id=str(model.get("name")))
            for model in event.models
        )
        if event.models:
            self._status("")
            listing.highlighted = 0
        else:
            self._status(
                "No models match." if self.query_one("#pk-search", Input).value else "The Hub has no models yet."
            )
            self._show(None)

    @on(OptionList.OptionHighlighted, "#pk-models")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        name = event.option.id
        if name is None:
            return
        if name in self._details:
            self._show(name)
            return
        self._show(None, loading=name)
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.12, lambda: self._detail(name))

    @on(ModelDetail)
    def _detail_loaded(self, event: ModelDetail) -> None:
        if event.detail is None:
            if event.name:
                self._failed[event.name] = event.error or "unavailable"
            self._status(event.error or "")
            return
        self._details[event.name] = event.detail
        if self._current_name() == event.name:
            self._show(event.name)
        if self._pick_when_loaded == event.name:
            self._pick_when_loaded = None
            self._pick_latest(event.name)

    def _current_name(self) -> str | None:
        option = self.query_one("#pk-models", OptionList).highlighted_option
        return option.id if option is not None else None

    def _show(self, name: str | None, loading: str | None = None) -> None:
        detail_w = self.query_one("#pk-detail", Static)
        files_w = self.query_one("#pk-files", OptionList)
        files_w.clear_options()
        if name is None:
            detail_w.update(f"Loading {loading}…" if loading else "")
            return
        detail = self._details[name]
        text = Text()
        text.append(name, style="bold")
        author = detail.get("authorUsername")
        if author:
            text.append(f"  by {author}", style="dim")
        desc = str(detail.get("description") or "").strip()
        if desc:
            text.append("\n" + desc)
        files = onnx_files(detail)
        if not files:
            text.append("\nNo ONNX file in this model yet.", style="italic")
        detail_w.update(text)
        options = []
        for version, f in files:
            prompt = Text()
            prompt.append(f"v{version} {f.get('name')}", style="bold")
            prompt.append(f"  {short_hash(str(f.get('ipfsCid') or ''), 12, 6)}", style="dim")
            sig = f.get("signature")
            if sig:
                prompt.append("\n")
                prompt.append_text(signature_text(sig))
            else:
                prompt.append("\n(no signature: the hub could not read this file as ONNX)", style="italic")
            options.append(Option(prompt, id=str(f.get("ipfsCid"))))
        files_w.add_options(options)
        if options:
            files_w.highlighted = 0

    def _pick_latest(self, name: str) -> None:
        detail = self._details.get(name)
        if detail is None:
            return
        files = onnx_files(detail)
        if not files:
            self._status(f"{name} has no ONNX file to run.")
            return
        version, f = files[0]
        self._dismiss_with(name, version, f)

    def _dismiss_with(self, name: str, version: str, f: dict[str, Any]) -> None:
        self.dismiss(
            {
                "cid": str(f.get("ipfsCid") or ""),
                "name": name,
                "version": version,
                "file": f.get("name"),
                "signature": f.get("signature"),
            }
        )

    @on(OptionList.OptionSelected, "#pk-models")
    def _model_selected(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id
        if name is None:
            return
        if name in self._details:
            self._pick_latest(name)
        else:
            self._pick_when_loaded = name
            self._status(f"Loading {name}…")

    @on(OptionList.OptionSelected, "#pk-files")
    def _file_selected(self, event: OptionList.OptionSelected) -> None:
        name = self._current_name()
        if name is None or name not in self._details:
            return
        for version, f in onnx_files(self._details[name]):
            if str(f.get("ipfsCid")) == event.option.id:
                self._dismiss_with(name, version, f)
                return

    @on(Input.Changed, "#pk-search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        value = event.value.strip()
        self._search_timer = self.set_timer(0.25, lambda: self._request(value))

    @on(Input.Submitted, "#pk-search")
    def _search_submitted(self) -> None:
        self.query_one("#pk-models", OptionList).focus()

    def action_search(self) -> None:
        self.query_one("#pk-search", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)


class HistoryDialog(ModalScreen):
    """Past runs of this profile, newest first. Returns ``(action, record)`` or None."""

    CSS_PATH = "inference.tcss"
    DEFAULT_CLASSES = "dialog-screen"
    AUTO_FOCUS = "#hist-runs"
    BINDINGS = [
        Binding("escape", "cancel", "Close", id="inference.history.close", tooltip="Close the history"),
        Binding(
            "enter",
            "open",
            "Open",
            id="inference.history.open",
            tooltip="Show this run: model, mode, input and outputs",
        ),
        Binding(
            "r", "rerun", "Re-run", id="inference.history.rerun", tooltip="Run the same model, mode and input again"
        ),
    ]

    class RunsListed(Message, bubble=False):
        """The history dialog's rows (store records, newest first)."""

        def __init__(self, runs: list[Any], error: str | None = None) -> None:
            super().__init__()
            self.runs = runs
            self.error = error

    def __init__(self, profile: str) -> None:
        super().__init__()
        self.profile = profile
        self._runs: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog inf-history"):
            yield Label(f"Inference history · {self.profile}", classes="dialog-title")
            yield SortableTable(id="hist-runs", cursor_type="row", zebra_stripes=True)
            yield Static("Loading…", classes="dialog-error")
            yield Static("enter opens the run · r runs it again · esc closes", classes="dialog-hint")
        yield OGFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#hist-runs", SortableTable).set_columns(
            [
                SortColumn("when", "When", lambda r: r.created_at, descending=True),
                SortColumn("model", "Model", lambda r: r.model_name or r.model),
                SortColumn("mode", "Mode", lambda r: r.mode),
                SortColumn("block", "Block", lambda r: r.block, descending=True),
                SortColumn("gas", "Gas", lambda r: r.gas_used, descending=True),
                SortColumn("ms", "ms", lambda r: r.latency_s, descending=True),
                SortColumn("tx", "Tx", lambda r: r.tx_hash),
            ],
            sort="when",
        )
        self._load()

    def on_worker_state_changed(self, event) -> None:
        self.app.report_worker(event)

    @work(thread=True, exclusive=True, group="history", exit_on_error=False, description="history")
    def _load(self) -> None:
        try:
            runs = self.app.ctx.store.list_runs(self.profile, limit=500)
        except Exception as exc:  # noqa: BLE001
            self.post_message(self.RunsListed([], error=user_message(exc).joined(" ")))
            return
        self.post_message(self.RunsListed(runs))

    @on(RunsListed)
    def _listed(self, event: RunsListed) -> None:
        status = self.query_one(".dialog-error", Static)
        if event.error:
            status.update(event.error)
            return
        table = self.query_one("#hist-runs", SortableTable)
        table.clear()
        self._runs.clear()
        for run in table.ordered(event.runs, lambda r: str(r.id)):
            key = str(run.id)
            self._runs[key] = run
            model = run.model_name or short_hash(run.model, 10, 4)
            table.add_row(
                fmt_time(run.created_at, short=True),
                model,
                run.mode,
                f"{run.block:,}" if run.block is not None else "–",
                f"{run.gas_used:,}" if run.gas_used is not None else "–",
                f"{(run.latency_s or 0) * 1000:.0f}",
                short_hash(run.tx_hash, 8, 4),
                key=key,
            )
        status.update("" if event.runs else "No runs yet: run a model (ctrl+r) and it appears here.")

    def _selected(self) -> Any | None:
        table = self.query_one("#hist-runs", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self._runs.get(str(key.value))

    @on(DataTable.RowSelected, "#hist-runs")
    def _row_selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        run = self._selected()
        if run is not None:
            self.dismiss(("open", run))

    def action_rerun(self) -> None:
        run = self._selected()
        if run is not None:
            self.dismiss(("rerun", run))

    def action_cancel(self) -> None:
        self.dismiss(None)
