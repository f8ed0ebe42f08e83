"""Dialogs of the Workflows screen: the base they share (:class:`_FormDialog`: an error
may point at any field, a network check ends in ``Checked``), schedule a workflow, add
one by address. The create form is in ``workflow_create.py``, the field parsing in
``workflow_fields.py``.

Each dialog checks what it can on the spot (the query against the model's input
signature, the schedule) and then asks the network in a worker (a dry run of the price
feed, "is this a workflow contract?") before it closes, so a mistake is shown beside
the field that caused it and nothing typed is lost. Deploying, running and scheduling
(the transactions) are done by the screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static

from og_tui.core.errors import user_message
from og_tui.tui.screens.modals import Dialog, FieldError
from og_tui.tui.screens.workflow_fields import check_schedule_fields

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.tui.screens.workflow_ops import WorkflowServices


def short_input(value: str, field_id: str, placeholder: str) -> Input:
    """A narrow field of the workflow forms (a symbol, a count, a number of seconds)."""
    return Input(value, id=field_id, placeholder=placeholder, compact=True, classes="wf-short")


class _FormDialog(Dialog):
    """A Dialog whose errors may point at a Select / SelectionList as well as an Input."""

    _checking = False  # a network check is under way (``Checked`` ends it)

    class Checked(Message, bubble=False):
        """A dialog's network check finished: ``error`` None means it passed; ``field`` to fix."""

        def __init__(self, error: str | None = None, field: str | None = None, value: Any = None) -> None:
            super().__init__()
            self.error = error
            self.field = field
            self.value = value

    @on(Checked)
    def _checked(self, event: Checked) -> None:
        """A network check finished: the dialog closes with the value, or the field says why not."""
        self._checking = False
        self.busy(None)
        if event.error:
            self.show_field_error(event.error, event.field)
            return
        self.dismiss(event.value)

    def start_check(self, text: str, check: Callable[[Any], object], value: Any) -> None:
        """Say ``text`` and run the network ``check`` (a worker that posts ``Checked``) on ``value``."""
        self._checking = True
        self.busy(text)
        check(value)

    def fail(self, text: str, field_id: str | None) -> None:
        """Raise the error for ``field_id`` (the base dialog focuses Inputs; others here)."""
        if field_id:
            widgets = self.query(f"#{field_id}")
            widget = widgets.first() if widgets else None
            if isinstance(widget, Input):
                raise FieldError(text, field_id)
            if isinstance(widget, Widget) and widget.focusable:
                widget.focus()
        raise ValueError(text)

    def show_field_error(self, text: str, field_id: str | None) -> None:
        """The same, after a worker answered (no exception to raise)."""
        self.show_error(text)
        if field_id:
            widgets = self.query(f"#{field_id}")
            widget = widgets.first() if widgets else None
            if isinstance(widget, Widget) and widget.focusable:
                widget.focus()
                if isinstance(widget, Input):
                    widget.select_all()

    def busy(self, text: str | None) -> None:
        self.query_one("#ok", Button).disabled = text is not None
        self.show_error(text or "")


class ScheduleDialog(_FormDialog):
    """Frequency and how long (or until when) the scheduler runs a workflow."""

    TITLE_TEXT = "Schedule workflow"
    OK_LABEL = "Schedule"
    CSS_PATH = "workflows.tcss"

    def __init__(self, address: str, title: str, frequency: str = "60", until: str = "2") -> None:
        super().__init__()
        self.address = address
        self.title_line = title
        self.frequency = frequency
        self.until = until

    def compose_fields(self) -> ComposeResult:
        yield Static(f"{self.title_line}\n{self.address}", classes="dialog-line")
        with Horizontal(classes="wf-row wf-gap"):
            yield Label("Every", classes="wf-label")
            yield short_input(self.frequency, "wf-freq", "60")
            yield Static(" seconds (or 5m, 1h)", classes="wf-sep")
        with Horizontal(classes="wf-row"):
            yield Label("For", classes="wf-label")
            yield Input(self.until, id="wf-until", placeholder="2", compact=True)
        yield Static("hours (2), 30m, 1d, or an end time: YYYY-MM-DD HH:MM", classes="wf-help")

    def on_mount(self) -> None:
        self.query_one("#wf-freq", Input).focus()

    def collect(self) -> dict[str, Any]:
        freq_text = self.query_one("#wf-freq", Input).value
        until_text = self.query_one("#wf-until", Input).value
        frequency, end_time = check_schedule_fields(freq_text, until_text)
        return {"frequency": frequency, "end_time": end_time, "frequency_text": freq_text, "until_text": until_text}


class AddWorkflowDialog(_FormDialog):
    """Watch a workflow contract by address; refused unless it answers like one."""

    TITLE_TEXT = "Add a workflow by address"
    OK_LABEL = "Add"
    CSS_PATH = "workflows.tcss"

    def __init__(self, services: "WorkflowServices | None") -> None:
        super().__init__()
        self.services = services

    def compose_fields(self) -> ComposeResult:
        yield Label("Workflow contract address")
        yield Input(id="wf-address", placeholder="0x… (40 hex characters)", compact=True)

    def on_mount(self) -> None:
        self.query_one("#wf-address", Input).focus()

    def collect(self) -> Any:
        from og_tui.core.amounts import parse_address
        from og_tui.core.errors import OGError

        if self._checking:
            return None
        try:
            address = parse_address(self.query_one("#wf-address", Input).value)
        except OGError as exc:
            raise FieldError(str(exc), "wf-address") from None
        if self.services is None:
            return address
        self.start_check("Checking that this is a workflow contract…", self._check, address)
        return None

    @work(thread=True, exclusive=True, group="wf-check", exit_on_error=False, description="check address")
    def _check(self, address: str) -> None:
        try:
            self.services.alpha().require_workflow(address)
        except Exception as exc:  # noqa: BLE001 - NotAWorkflow, network down...
            self.post_message(self.Checked(user_message(exc).joined(), "wf-address"))
            return
        self.post_message(self.Checked(None, None, address))
