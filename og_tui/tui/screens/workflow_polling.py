"""The polling half of the Workflows screen: every listed workflow's latest result and,
more often, the selected workflow's info and history (only the runs that landed since the
last read), each in a thread worker that posts a message nested here (``ListLoaded``,
``DetailLoaded``). The handlers below (naming convention, ``on_workflow_polling_*``) keep
the screen's caches and refresh the list cell and the detail pane.

Mixed into :class:`~og_tui.tui.screens.workflows.WorkflowsScreen`, which owns the timers
(polls run only while it is shown) and the caches these fill.
"""

from __future__ import annotations

from typing import Any

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from og_tui.core.errors import user_message
from og_tui.tui.screens.workflow_entries import Entry
from og_tui.tui.screens.workflow_ops import flat_outputs

HISTORY_MAX = 120  # runs kept for the chart (new ones are read incrementally)


class WorkflowPolling:
    """The list and detail reads of the Workflows screen (mixed into WorkflowsScreen)."""

    class ListLoaded(Message, bubble=False):
        """Latest result of every listed workflow: ``{address: (outputs or None, error or None)}``,
        outputs as ``{name: flat list of floats}`` (empty when the workflow never ran)."""

        def __init__(self, values: dict[str, tuple[dict[str, list[float]] | None, str | None]], gen: int = 0) -> None:
            super().__init__()
            self.values = values
            self.gen = gen

    class DetailLoaded(Message, bubble=False):
        """One poll of the selected workflow.

        ``info`` is a core ``WorkflowInfo`` (None on error); ``history`` is ``[(time, outputs)]``
        oldest first (all of it, or the new runs after ``base_count``), or None when the
        result count did not change since the last poll;
        ``error`` is a sentence for the user (the network is down, not a workflow, ...).
        """

        def __init__(
            self,
            address: str,
            info: Any = None,
            history: list[tuple[int | None, dict[str, list[float]]]] | None = None,
            error: str | None = None,
            hint: str | None = None,
            base_count: int | None = None,
        ) -> None:
            super().__init__()
            self.address = address
            self.info = info
            self.history = history
            self.error = error
            self.hint = hint
            self.base_count = base_count  # not None: ``history`` holds only the runs after this many

    # --- the list's latest values ---------------------------------------------------------------------
    def poll_list(self) -> None:
        """Read every listed workflow's latest result (skipped while a read is in flight)."""
        if not self.entries or self.services is None:
            return
        if self._list_worker is not None and self._list_worker.is_running:
            return
        self._list_gen += 1
        self._list_worker = self._read_list([(e.address, e) for e in self.entries], self._list_gen)

    @work(thread=True, exclusive=True, group="wf-list", exit_on_error=False, description="workflow list")
    def _read_list(self, items: list[tuple[str, Entry]], gen: int) -> None:
        worker = get_current_worker()
        alpha = self.services.alpha()
        values: dict[str, tuple[dict[str, list[float]] | None, str | None]] = {}
        for address, _entry in items:
            if worker.is_cancelled:
                return
            try:
                values[address] = (flat_outputs(alpha.read_workflow_result(address)), None)
            except Exception as exc:  # noqa: BLE001 - one broken entry must not hide the others
                values[address] = (None, user_message(exc)[0])
        self.post_message(self.ListLoaded(values, gen))

    def on_workflow_polling_list_loaded(self, event: "WorkflowPolling.ListLoaded") -> None:
        if event.gen != self._list_gen:
            return  # a read started before the profile changed
        for address, (outputs, error) in event.values.items():
            if error:
                self._errors[address] = error
            else:
                self._errors.pop(address, None)
                if outputs is not None:
                    self._latest[address] = outputs
            self._update_latest_cell(address)

    # --- the selected workflow --------------------------------------------------------------------------
    def poll_detail(self) -> None:
        """Read the selected workflow (skipped while a read of the same one is in flight)."""
        address = self.selected
        if not address or self.services is None:
            return
        busy = self._detail_worker
        if busy is not None and busy.is_running and self._detail_address == address:
            return
        known = self._counts.get(address, -1) if address in self._history else -1
        if known is None:
            known = -1
        self._detail_address = address
        self._detail_worker = self._read_detail(address, known)

    @work(thread=True, exclusive=True, group="wf-detail", exit_on_error=False, description="workflow detail")
    def _read_detail(self, address: str, known_count: int) -> None:
        """Info every time; of the history only the runs that landed since ``known_count``."""
        alpha = self.services.alpha()
        try:
            info = alpha.workflow_info(address)
            count, history, base = info.result_count, None, None
            if count is None or count != known_count:
                if count is not None and 0 <= known_count < count:
                    want, base = min(count - known_count, HISTORY_MAX), known_count
                else:
                    want = HISTORY_MAX if count is None else min(count, HISTORY_MAX)
                runs = alpha.read_history_with_times(address, want) if want > 0 else []
                history = [(run.time, flat_outputs(run.output)) for run in reversed(runs)]
        except Exception as exc:  # noqa: BLE001 - shown in the pane, the last data stays
            text, hint = user_message(exc)
            self.post_message(self.DetailLoaded(address, error=text, hint=hint))
            return
        self.post_message(self.DetailLoaded(address, info, history, base_count=base))

    def on_workflow_polling_detail_loaded(self, event: "WorkflowPolling.DetailLoaded") -> None:
        address = event.address
        if event.error:
            self._errors[address] = event.error
        else:
            self._errors.pop(address, None)
            self._infos[address] = event.info
            history = event.history
            if history is not None and event.base_count is not None:
                if self._counts.get(address) == event.base_count and address in self._history:
                    history = (self._history[address] + history)[-HISTORY_MAX:]
                else:  # runs added to a history that changed meanwhile: read it all next time
                    history = None
                    self._counts.pop(address, None)
            if history is not None:
                self._history[address] = history
                self._counts[address] = event.info.result_count
                if history:
                    self._latest[address] = history[-1][1]
                self._update_latest_cell(address)
        if address == self.selected:
            self.show_detail()
