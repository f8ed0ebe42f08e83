"""Hub screen: browse and search the Model Hub, create models and versions, upload and
download files with progress and Stop, copy CIDs, hand a model to the Inference screen.

Browsing needs no account; creating and uploading open the sign-in dialog when needed.
Every hub call runs in a thread worker that posts a message nested where it is posted;
the handlers own every widget. This module holds the screen itself (layout, search,
scope and sort, the selected model and file, the file actions) and its palette entries;
the reads are in ``hub_reads.py``, sign-in and create in ``hub_account.py``, uploads and
downloads in ``hub_transfers.py``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Footer, Input, OptionList, ProgressBar, Static

from og_tui.tui import messages as m
from og_tui.tui.commands import ScreenCommands
from og_tui.tui.hub_session import HubSessions, hub_sessions
from og_tui.tui.screens.hub_account import HubAccount
from og_tui.tui.screens.hub_reads import HubReads
from og_tui.tui.screens.hub_table import ModelTable
from og_tui.tui.screens.hub_transfers import (  # noqa: F401 - fmt_rate, _Transfer re-exported
    HubTransferScreen,
    _Transfer,
    fmt_rate,
)
from og_tui.tui.widgets.hub_detail import HubDetail
from og_tui.tui.widgets.sortable import ASCENDING, DESCENDING, sort_bindings

SORTS = ("name", "updated", "author")
DESCENDING_FIRST = {"updated"}  # the newest first; names and authors A to Z
SEARCH_DEBOUNCE = 0.3
DETAIL_DEBOUNCE = 0.12


class HubCommands(ScreenCommands):
    """Palette entries ("hub: verb") for what can be done on the Hub screen right now."""

    def commands(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        if not isinstance(screen, HubScreen):
            return []
        items = [
            ("hub: search models", "focus_search", "Type to filter by name, description or author"),
            ("hub: show mine / all models", "toggle_mine", "Your models or everyone's"),
            ("hub: sort models", "cycle_sort", "By name, last update or author"),
            ("hub: reverse the sort", "reverse_sort", "A to Z or Z to A, newest or oldest first"),
            ("hub: refresh", "refresh", "Reload the list and the selected model"),
            ("hub: new model", "new_model", "Create a model with its first version"),
            ("hub: sign in", "sign_in", screen.sessions.status_line()),
        ]
        if screen.detail is not None:
            items += [
                ("hub: new version", "new_version", f"A new version of {screen.detail.get('name')}"),
                ("hub: upload file", "upload", "Upload an ONNX file to the selected version"),
            ]
        chosen = screen.selected_file()
        if chosen is not None:
            cid = chosen[1].get("ipfsCid", "")
            items += [
                ("hub: copy CID", "copy_cid", cid),
                ("hub: download file", "download", chosen[1].get("name", "")),
                ("hub: run inference with this model", "run_inference", cid),
            ]
        return items


class HubScreen(HubReads, HubAccount, HubTransferScreen):
    MODE = "hub"
    MAIN_PANE = "#hub-models"
    CSS_PATH = "hub.tcss"
    COMMANDS = {HubCommands}
    AUTO_FOCUS = "#hub-models"

    autoload = True  # snapshot tests turn this off and post fixed messages instead

    BINDINGS = [
        Binding("slash", "focus_search", "Search", id="hub.search", tooltip="Search models as you type"),
        Binding("m", "toggle_mine", "Mine", id="hub.mine", tooltip="Show your models or everyone's"),
        *sort_bindings("cycle_sort", "reverse_sort", prefix="hub", tooltip="Sort by name, last update or author"),
        Binding("n", "new_model", "New", id="hub.new_model", tooltip="Create a model (name + description)"),
        Binding(
            "v",
            "new_version",
            "Version",
            id="hub.new_version",
            show=False,
            tooltip="Create a new version of the selected model",
        ),
        Binding("u", "upload", "Upload", id="hub.upload", tooltip="Upload a file to the selected version"),
        Binding("d", "download", "Download", id="hub.download", tooltip="Download the selected file"),
        Binding("c", "copy_cid", "Copy CID", id="hub.copy_cid", tooltip="Copy the selected file's CID (OSC 52)"),
        Binding("r", "run_inference", "Run", id="hub.run", tooltip="Open Inference with this model's CID"),
        Binding("t", "retry", "Retry", id="hub.retry", tooltip="Retry the transfer that failed"),
        Binding("escape", "stop", "Stop", id="hub.stop", tooltip="Stop the upload or download"),
        Binding("escape", "leave_search", "Back", id="hub.leave_search", show=False),
        Binding("s", "sign_in", "Sign in", id="hub.sign_in", show=False, tooltip="Sign in to the Model Hub"),
        Binding("R", "refresh", "Refresh", id="hub.refresh", show=False, tooltip="Reload the list and the model"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.mine = False
        self.sort = "name"
        self.sort_descending = False
        self.search = ""
        self._gen = 0
        self._models: dict[str, dict[str, Any]] = {}
        self._total: int | None = None
        self._loading = False
        self._keep: str | None = None
        self._details: dict[str, dict[str, Any]] = {}
        self._search_timer: Timer | None = None
        self._detail_timer: Timer | None = None
        self._transfer: _Transfer | None = None
        self._retry: Callable[[], None] | None = None
        self._after_auth: Callable[[], None] | None = None
        self._last_upload_path: Path | None = None
        self._last_download_dir: Path | None = None
        self._profile: str | None = None

    @property
    def detail_pane(self) -> HubDetail:
        return self.query_one(HubDetail)

    @property
    def detail(self) -> dict[str, Any] | None:
        """The model shown on the right (None: loading or none)."""
        return self.detail_pane.detail

    @property
    def _focus_cid(self) -> str | None:
        return self.detail_pane.focus_cid

    @_focus_cid.setter
    def _focus_cid(self, cid: str | None) -> None:
        self.detail_pane.focus_cid = cid

    @property
    def sessions(self) -> HubSessions:
        return hub_sessions(self.app.ctx)

    # --- layout -------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Horizontal(id="hub-toolbar"):
            yield Input(placeholder="/ search models", id="hub-search", compact=True)
            yield Static("", id="hub-scope")
            yield Static("", id="hub-who")
        with Horizontal(id="hub-body"):
            with Vertical(id="hub-list-pane"):
                yield ModelTable(id="hub-models")
                yield Static("", id="hub-list-status", classes="pane-hint")
            yield HubDetail(id="hub-detail-pane")
        with Vertical(id="hub-transfer"):
            yield Static("", id="hub-transfer-label")
            with Horizontal(id="hub-transfer-row"):
                yield ProgressBar(id="hub-progress", show_eta=False)
                yield Static("", id="hub-transfer-rate")

    def on_mount(self) -> None:
        self._bindings_key: tuple = ()
        self._layout_for(self.app.size.width)
        self.query_one("#hub-transfer").display = False
        self._profile = self.app.ctx.profile.name
        self._show_scope()
        self._show_who()
        self._show_detail(None)
        self.watch(self.app, "net", self._net_changed, init=False)
        if self.autoload:
            self.reload()

    def on_screen_resume(self) -> None:
        self._show_who()

    def on_resize(self, event) -> None:
        self._layout_for(event.size.width)

    def _layout_for(self, width: int) -> None:
        """A compact footer on narrow terminals (the table adapts its columns itself)."""
        self.query_one(Footer).compact = width < 100

    def _net_changed(self, state: m.NetState) -> None:
        if state.profile != self._profile:
            self._profile = state.profile
            self.mine = False
            self._details.clear()
            self._show_who()
            if self.autoload:
                self.reload()

    # --- small views ------------------------------------------------------------------------
    def _show_scope(self) -> None:
        arrow = DESCENDING if self.sort_descending else ASCENDING
        self.query_one("#hub-scope", Static).update(f"[b]{'mine' if self.mine else 'all'}[/b] · by {self.sort} {arrow}")

    def _show_who(self) -> None:
        sessions = self.sessions
        who = self.query_one("#hub-who", Static)
        if sessions.signed_in:
            who.update(f"hub: {sessions.email}")
        else:
            who.update("hub: not signed in · s")
        who.set_class(sessions.signed_in, "-in")

    # --- search, scope, sort ---------------------------------------------------------------
    @on(Input.Changed, "#hub-search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE, partial(self._search_now, event.value))

    def _search_now(self, value: str) -> None:
        value = value.strip()
        if value != self.search:
            self.search = value
            self.reload()

    @on(Input.Submitted, "#hub-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_now(event.value)
        self.query_one("#hub-models", ModelTable).focus()

    def action_focus_search(self) -> None:
        self.query_one("#hub-search", Input).focus()

    def action_leave_search(self) -> None:
        """esc in the search box clears it (the whole list again) and goes back to the list."""
        box = self.query_one("#hub-search", Input)
        if self.focused is box:
            if self._search_timer is not None:
                self._search_timer.stop()
            if box.value:
                box.value = ""
            self._search_now("")
            self.query_one("#hub-models", ModelTable).focus()

    def action_toggle_mine(self) -> None:
        def flip() -> None:
            self.mine = not self.mine
            self._show_scope()
            self.reload()

        if self.mine:
            flip()
        else:
            self._with_auth(flip, "Sign in to list your own models.")

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.sort_descending = self.sort in DESCENDING_FIRST
        self._sorted()

    def action_reverse_sort(self) -> None:
        self.sort_descending = not self.sort_descending
        self._sorted()

    def _sorted(self) -> None:
        self._show_scope()
        table = self.query_one("#hub-models", ModelTable)
        table.sort_column, table.sort_descending = self.sort, self.sort_descending
        table.refresh()
        if table.row_count:
            self._apply_sort()  # the cursor stays on the same model

    def action_refresh(self) -> None:
        self._details.clear()
        self.reload()
        name = self.current_name()
        if name:
            self._load_detail(name)

    # --- detail ---------------------------------------------------------------------------
    def current_name(self) -> str | None:
        return self.query_one("#hub-models", ModelTable).current

    @on(ModelTable.Highlighted, "#hub-models")
    def _row_highlighted(self, event: ModelTable.Highlighted) -> None:
        name = event.name
        if name is None:
            return
        if self._detail_timer is not None:
            self._detail_timer.stop()
        cached = self._details.get(name)
        if cached is not None:
            self._show_detail(cached)
            return
        if not self.autoload:
            return
        if self.detail is None or self.detail.get("name") != name:
            self._show_loading(name)
        self._detail_timer = self.set_timer(DETAIL_DEBOUNCE, partial(self._load_detail, name))

    @on(ModelTable.Selected, "#hub-models")
    def _row_selected(self) -> None:
        files = self.query_one("#hub-files", OptionList)
        if files.option_count:
            files.focus()

    def _show_loading(self, name: str) -> None:
        self.detail_pane.show_loading(name, self._models.get(name, {}))
        self._sync_bindings()

    def _show_detail(self, detail: dict[str, Any] | None) -> None:
        self.detail_pane.show(detail)
        self._sync_bindings()

    def selected_version(self) -> str | None:
        return self.detail_pane.selected_version()

    def selected_file(self) -> tuple[str, dict[str, Any]] | None:
        """(version, file) of the highlighted file, else the first file of the highlighted version."""
        return self.detail_pane.selected_file()

    # --- bindings: what applies now -------------------------------------------------------------
    def _sync_bindings(self) -> None:
        """Refresh the footer only when what it would show changes (it is rebuilt each time)."""
        key = (
            self.detail is not None,
            self.selected_file() is not None,
            self._transfer is not None,
            self._retry is not None,
        )
        if key != self._bindings_key:
            self._bindings_key = key
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self._transfer is not None
        if action == "retry":
            return self._transfer is None and self._retry is not None
        if action == "new_version":
            return self.detail is not None
        if action == "upload":
            return self.detail is not None and self._transfer is None
        if action in {"download", "copy_cid", "run_inference"}:
            if self.detail is None:
                return False
            return (self.selected_file() is not None) and (action != "download" or self._transfer is None)
        return True

    @on(OptionList.OptionHighlighted, "#hub-files")
    def _file_highlighted(self) -> None:
        self.detail_pane.show_target()
        self._sync_bindings()

    @on(OptionList.OptionSelected, "#hub-files")
    def _file_selected(self) -> None:
        self.action_copy_cid()

    # --- file actions ---------------------------------------------------------------------------
    def action_copy_cid(self) -> None:
        chosen = self.selected_file()
        if chosen is None:
            return
        cid = str(chosen[1].get("ipfsCid") or "")
        self.app.copy_to_clipboard(cid)
        self.app.notify(cid, title="CID copied")

    async def action_run_inference(self) -> None:
        chosen = self.selected_file()
        if chosen is None:
            return
        version, f = chosen
        cid = str(f.get("ipfsCid") or "")
        if f.get("isOnnx") is False:
            self.app.notify(f"{f.get('name')} is not an ONNX model; it cannot be run.", severity="warning")
            return
        name = str(self.detail.get("name")) if self.detail else None
        await self.app.action_goto("inference")
        screen = self.app.screen
        set_model = getattr(screen, "set_model", None)
        if callable(set_model):
            import inspect

            try:
                params = inspect.signature(set_model).parameters
            except (TypeError, ValueError):
                params = {}
            extra: dict[str, Any] = {}
            if "name" in params:
                extra["name"] = name
            if "signature" in params and f.get("signature"):
                extra["signature"] = f["signature"]
            set_model(cid, **extra)
        else:
            self.app.copy_to_clipboard(cid)
            self.app.notify(
                f"The Inference screen cannot take a model yet; the CID is on your clipboard:\n{cid}",
                title="Run inference",
                severity="warning",
            )
