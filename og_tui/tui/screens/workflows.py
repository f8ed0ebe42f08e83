"""Workflows screen: live forecasts of the public workflow models and your own workflows.

Left: the hard-coded workflow models plus the workflows this wallet deployed (or added
by address), kept in ``<data dir>/workflows.json`` by core's :class:`WorkflowBook`, so
the CLI and the TUI share them. Right: the selected workflow's model, query, schedule,
next run, latest result and a history chart that grows as scheduled runs land.

While the screen is visible the selected workflow is polled every few seconds and the
list values less often; both stop when the screen is hidden. Deploy, run now and
schedule are transactions from the active wallet in thread workers that post
``Workflow*`` messages; the handlers own every widget. Escape stops an operation
that has not been sent yet.

This module holds the screen (layout, visibility, the list, the detail pane, the actions)
and its palette entries; the polling reads are in ``workflow_polling.py``, the
transactions in ``workflow_ops.py``, what the list holds in ``workflow_entries.py`` and
the dialogs in ``workflow_dialogs.py`` and ``workflow_create.py``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Label, Static

from og_tui.core.errors import user_message
from og_tui.tui import messages as m
from og_tui.tui.commands import ScreenCommands
from og_tui.tui.screens.base import OGScreen
from og_tui.tui.screens.workflow_entries import Entry, book_entries_of, fmt_list_value
from og_tui.tui.screens.workflow_ops import WorkflowOps, WorkflowServices
from og_tui.tui.screens.workflow_polling import WorkflowPolling
from og_tui.tui.widgets.list_filter import ListFilter, matches
from og_tui.tui.widgets.sortable import SortableTable, SortColumn
from og_tui.tui.widgets.workflow_detail import (  # noqa: F401 - re-exported
    FOREVER,
    WorkflowDetail,
    fmt_ago,
    fmt_clock,
    fmt_number,
    fmt_outputs,
    fmt_span,
)

_log = logging.getLogger(__name__)

DETAIL_POLL = 3.0  # seconds between polls of the selected workflow
LIST_POLL = 15.0  # seconds between refreshes of the list's latest values
_clock = time.time  # snapshot tests pin it


# --- palette -------------------------------------------------------------------------------------------


class WorkflowCommands(ScreenCommands):
    """Palette entries ("workflows: verb") for the Workflows screen."""

    def commands(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        if not isinstance(screen, WorkflowsScreen):
            return []
        entry = screen.selected_entry()
        items = [
            ("workflows: new workflow", "new", "Deploy a workflow on a hub model (checked against its signature)"),
            ("workflows: add by address", "add", "Watch a workflow contract someone deployed"),
            ("workflows: refresh", "refresh", "Read the list and the selected workflow now"),
        ]
        if entry is not None:
            items += [
                ("workflows: run now", "run", f"Run {entry.title} now (a transaction)"),
                ("workflows: schedule", "schedule", f"Run {entry.title} every N seconds"),
                ("workflows: copy address", "copy", entry.address),
            ]
        return items


class WorkflowsScreen(WorkflowPolling, WorkflowOps, OGScreen):
    MODE = "workflows"
    MAIN_PANE = "#wf-list"
    CSS_PATH = "workflows.tcss"
    COMMANDS = {WorkflowCommands}
    AUTO_FOCUS = "#wf-list"

    autoload = True  # snapshot tests turn this off and post fixed messages instead

    BINDINGS = [
        Binding("n", "new", "New", id="workflows.new", tooltip="Create and deploy a workflow on a hub model"),
        Binding("r", "run", "Run now", id="workflows.run", tooltip="Run the selected workflow now (a transaction)"),
        Binding(
            "s",
            "schedule",
            "Schedule",
            id="workflows.schedule",
            tooltip="Have the scheduler run the selected workflow every N seconds",
        ),
        Binding("a", "add", "Add", id="workflows.add", tooltip="Add a workflow contract by its address"),
        Binding(
            "x",
            "remove",
            "Remove",
            id="workflows.remove",
            show=False,
            tooltip="Remove the selected workflow from your list (the contract stays on chain)",
        ),
        Binding("c", "copy", "Copy", id="workflows.copy", show=False, tooltip="Copy the workflow's address (OSC 52)"),
        Binding("R", "refresh", "Refresh", id="workflows.refresh", show=False, tooltip="Read everything again now"),
        Binding(
            "slash", "filter", "Filter", id="workflows.filter", show=False, tooltip="Narrow the list to what you type"
        ),
        Binding("escape", "stop", "Stop", id="workflows.stop", tooltip="Stop the operation before it is sent"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.services: WorkflowServices | None = None
        self.entries: list[Entry] = []
        self.selected: str | None = None
        self._infos: dict[str, Any] = {}
        self._history: dict[str, list[tuple[int | None, dict[str, list[float]]]]] = {}
        self._counts: dict[str, int | None] = {}  # result count the history above reflects
        self._latest: dict[str, dict[str, list[float]]] = {}
        self._errors: dict[str, str] = {}
        self._status: dict[str, tuple[str, str]] = {}  # address -> (text, kind: busy/ok/error)
        self._ops: dict[str, Any] = {}  # group -> worker in flight
        self._detail_timer: Timer | None = None
        self._list_timer: Timer | None = None
        self._owner: str | None = None
        self._profile: str | None = None
        self._list_gen = 0
        self._list_worker: Any = None
        self._detail_worker: Any = None
        self._detail_address: str | None = None
        self._visible = False
        self.filter_text = ""

    # --- layout -------------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Horizontal(id="wf-body"):
            with Vertical(id="wf-list-pane"):
                yield Label("Workflows", classes="pane-title")
                yield ListFilter("wf-list", id="wf-filter")
                yield SortableTable(id="wf-list", cursor_type="row", zebra_stripes=True)
                yield Static("", id="wf-list-hint", classes="pane-hint")
            yield WorkflowDetail(id="wf-detail-pane")

    def on_mount(self) -> None:
        self.services = WorkflowServices(self.app.ctx)
        self.query_one("#wf-list", SortableTable).set_columns(
            [
                # public models first, then yours; by title within each
                SortColumn("title", "Workflow", lambda e: (e.kind != "public", e.title.casefold())),
                SortColumn("latest", "Latest", self._latest_number, descending=True),
            ],
            sort="title",
        )
        self._layout_for(self.app.size.width)
        self._profile = self.app.ctx.profile.name
        self._owner = self.app.net.address
        self.rebuild()
        self.watch(self.app, "net", self._net_changed, init=False)
        self._detail_timer = self.set_interval(DETAIL_POLL, self.poll_detail, pause=True, name="wf-detail")
        self._list_timer = self.set_interval(LIST_POLL, self.poll_list, pause=True, name="wf-list")

    def on_resize(self, event) -> None:
        self._layout_for(event.size.width)

    def _layout_for(self, width: int) -> None:
        self.query_one(Footer).compact = width < 100

    # --- visibility: poll only while shown ---------------------------------------------------
    def on_screen_resume(self) -> None:
        self._visible = True
        if not self.autoload:
            return
        self.rebuild()
        self.poll_list()
        self.poll_detail()
        if self._detail_timer is not None:
            self._detail_timer.resume()
        if self._list_timer is not None:
            self._list_timer.resume()

    def on_screen_suspend(self) -> None:
        self._visible = False
        for timer in (self._detail_timer, self._list_timer):
            if timer is not None:
                timer.pause()
        self.workers.cancel_group(self, "wf-detail")
        self.workers.cancel_group(self, "wf-list")

    def _net_changed(self, state: m.NetState) -> None:
        if state.profile != self._profile or state.address != self._owner:
            if state.profile != self._profile:
                # reads of the other profile still in flight (a slow network) neither block
                # the new reads nor land in this profile's list
                self.workers.cancel_group(self, "wf-list")
                self.workers.cancel_group(self, "wf-detail")
                self._list_worker = self._detail_worker = None
                self._list_gen += 1
                self._infos.clear()
                self._history.clear()
                self._counts.clear()
                self._latest.clear()
                self._errors.clear()
            self._profile = state.profile
            self._owner = state.address
            self.rebuild()
            if self._visible and self.autoload:
                self.poll_list()
                self.poll_detail()

    # --- the list -----------------------------------------------------------------------------------
    def book_entries(self) -> list[Entry]:
        """This wallet's workflows (deployed or added) in the current profile, newest first."""
        try:
            rows = self.services.book().list(self.app.ctx.profile.name) if self.services else []
        except Exception:  # noqa: BLE001 - a damaged file only hides the list
            rows = []
        return book_entries_of(rows, (self.app.net.address or "").lower())

    def rebuild(self) -> None:
        """(Re)fill the list from the hard-coded models and the workflow book; keeps the selection."""
        from og_tui.core.workflow_models import workflow_models

        public = [Entry(wm.address, wm.title, "public", wm.output_key) for wm in workflow_models(self.app.ctx.profile)]
        mine = self.book_entries()
        seen: set[str] = set()
        entries = []
        for entry in public + mine:  # public models first, then yours (a public one added by hand stays public)
            key = entry.address.lower()
            if key not in seen:
                seen.add(key)
                entries.append(entry)
        self.entries = entries
        table = self.query_one("#wf-list", SortableTable)
        keep = self.selected
        table.clear()
        shown = [e for e in entries if matches(self.filter_text, e.title, e.address, e.kind)]
        shown = table.ordered(shown, lambda e: e.address)
        for entry in shown:
            table.add_row(entry.title, self._list_value(entry), key=entry.address)
        index = next((i for i, e in enumerate(shown) if keep and e.address.lower() == keep.lower()), 0)
        if shown:
            table.move_cursor(row=index)
            self._select(shown[index].address)
        n_mine = sum(1 for e in entries if e.kind != "public")
        hint = (
            f"{len(entries) - n_mine} public · {n_mine} yours · n new · a add"
            if n_mine
            else f"{len(entries)} public · n creates your own"
        )
        if self.filter_text:
            hint = f"{len(shown)} of {len(entries)} match “{self.filter_text}” · esc in the filter clears"
        self.query_one("#wf-list-hint", Static).update(hint)

    def _list_value(self, entry: Entry) -> str:
        outputs = self._latest.get(entry.address)
        if outputs is None:
            return "…" if entry.address not in self._errors else "error"
        return fmt_list_value(entry, outputs)

    def _latest_number(self, entry: Entry) -> float | None:
        """The number the "Latest" column sorts by (None: not read yet or never ran)."""
        outputs = self._latest.get(entry.address)
        if not outputs:
            return None
        values = outputs.get(entry.output_key) if entry.output_key else None
        values = values or next(iter(outputs.values()))
        return float(values[0]) if values else None

    def _update_latest_cell(self, address: str) -> None:
        entry = self.entry(address)
        if entry is None:
            return
        try:
            self.query_one("#wf-list", DataTable).update_cell(
                address, "latest", self._list_value(entry), update_width=True
            )
        except Exception:  # noqa: BLE001 - the row went away meanwhile
            _log.debug("the row went away meanwhile", exc_info=True)

    def entry(self, address: str | None) -> Entry | None:
        if not address:
            return None
        return next((e for e in self.entries if e.address.lower() == address.lower()), None)

    def selected_entry(self) -> Entry | None:
        return self.entry(self.selected)

    @on(DataTable.RowHighlighted, "#wf-list")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None or event.row_key.value is None:
            return
        address = str(event.row_key.value)
        if address != self.selected:
            self._select(address)
            if self._visible and self.autoload:
                self.poll_detail()

    def _select(self, address: str) -> None:
        self.selected = address
        self.show_detail()
        self.refresh_bindings()

    # --- the detail pane ----------------------------------------------------------------------------------
    def show_detail(self) -> None:
        entry = self.selected_entry()
        pane = self.query_one(WorkflowDetail)
        if entry is None:
            pane.show_empty()
        else:
            address = entry.address
            pane.show(
                title=entry.title,
                address=address,
                output_key=entry.output_key,
                info=self._infos.get(address),
                error=self._errors.get(address),
                outputs=self._latest.get(address),
                history=self._history.get(address, []),
                history_read=address in self._history,
                now=_clock(),
            )
        self._show_status()

    def _show_status(self) -> None:
        self.query_one(WorkflowDetail).show_status(self._status.get("") or self._status.get(self.selected or ""))

    # --- actions -------------------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return True if self._ops else False
        if action in ("run", "schedule", "copy") and self.selected_entry() is None:
            return None
        if action == "remove":
            entry = self.selected_entry()
            return True if entry is not None and entry.kind != "public" else None
        return True

    def action_new(self, spec: dict[str, Any] | None = None, error: str | None = None) -> None:
        from og_tui.tui.screens.workflow_create import NewWorkflowDialog

        def opened(_address: str) -> None:
            dialog = NewWorkflowDialog(self.services, initial=spec, error=error)
            self.app.push_screen(dialog, lambda result: result and self._deploy_begin(result))

        self._with_signer(opened)

    def action_run(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        if "wf-run" in self._ops:
            self.notify("A run is in flight already; Escape stops it before it is sent.", title="Workflows")
            return
        self._with_signer(
            lambda owner: self._begin("wf-run", entry.address, self._run_worker(entry.address, owner, entry.title))
        )

    def action_schedule(self) -> None:
        from og_tui.tui.screens.workflow_dialogs import ScheduleDialog

        entry = self.selected_entry()
        if entry is None:
            return

        def opened(owner: str) -> None:
            sched = self._infos.get(entry.address).schedule if self._infos.get(entry.address) else None
            freq = str(sched.frequency) if sched else "60"
            dialog = ScheduleDialog(entry.address, entry.title, frequency=freq)
            self.app.push_screen(
                dialog,
                lambda data: (
                    data
                    and self._begin("wf-schedule", entry.address, self._schedule_worker(entry.address, owner, data))
                ),
            )

        self._with_signer(opened)

    def action_add(self) -> None:
        from og_tui.tui.screens.workflow_dialogs import AddWorkflowDialog

        self.app.push_screen(AddWorkflowDialog(self.services), lambda address: address and self._added(address))

    def _added(self, address: str) -> None:
        try:
            self.services.book().add(self.app.ctx.profile.name, address, source="added", owner=self.app.net.address)
        except Exception as exc:  # noqa: BLE001
            self.notify(user_message(exc)[0], title="Workflows", severity="error")
            return
        self.selected = address
        self.rebuild()
        self.poll_detail()
        self.poll_list()
        self.notify(f"Watching {address}", title="Workflow added")

    def action_remove(self) -> None:
        from og_tui.tui.screens.modals import ConfirmDialog

        entry = self.selected_entry()
        if entry is None or entry.kind == "public":
            return
        dialog = ConfirmDialog(
            "Remove from your list?",
            [
                entry.address,
                "The contract stays on chain (and keeps running if it is scheduled);",
                "add it back any time with a (add by address).",
            ],
            ok_label="Remove",
        )
        self.app.push_screen(dialog, lambda ok: ok and self._remove(entry))

    def _remove(self, entry: Entry) -> None:
        try:
            self.services.book().remove(self.app.ctx.profile.name, entry.address)
        except Exception as exc:  # noqa: BLE001
            self.notify(user_message(exc)[0], title="Workflows", severity="error")
            return
        self.selected = None
        self.rebuild()

    def action_copy(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            self.app.copy_to_clipboard(entry.address)
            self.notify(f"Copied {entry.address}", title="Address copied")

    def action_filter(self) -> None:
        self.query_one(ListFilter).open()

    @on(Input.Changed, "#wf-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if event.value.strip() == self.filter_text:
            return  # (the field's first Changed, on mount)
        self.filter_text = event.value.strip()
        self.rebuild()

    def action_refresh(self) -> None:
        self.rebuild()
        self.poll_list()
        self.poll_detail()

    def action_stop(self) -> None:
        if not self._ops:
            return
        for worker in list(self._ops.values()):
            worker.cancel()
        self.notify(
            "Stopping: anything not sent yet is dropped; a sent transaction still gets mined.", title="Workflows"
        )
