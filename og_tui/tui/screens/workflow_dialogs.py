"""Dialogs of the Workflows screen: create a workflow, schedule one, add one by address.

Each dialog checks what it can on the spot (the query against the model's input
signature, the schedule) and then asks the network in a worker (a dry run of the price
feed, "is this a workflow contract?") before it closes, so a mistake is shown beside
the field that caused it and nothing typed is lost. Deploying, running and scheduling
(the transactions) are done by the screen.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static

from og_tui.core.errors import user_message
from og_tui.tui.screens.modals import Dialog, FieldError
from og_tui.tui.widgets.marks import MarkedCheckbox

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.tui.screens.workflows import WorkflowServices

CANDLE_TYPES = ("OPEN", "HIGH", "LOW", "CLOSE", "VOLUME")
DEFAULT_TYPES = ("OPEN", "HIGH", "LOW", "CLOSE")

# core ValidationError.field -> the widget to fix
FIELD_IDS = {
    "base": "wf-base",
    "quote": "wf-quote",
    "pair": "wf-base",
    "query": "wf-base",
    "total_candles": "wf-candles",
    "candle_duration_in_mins": "wf-minutes",
    "order": "wf-order",
    "candle_types": "wf-types",
    "input_name": "wf-input",
    "model": "wf-model",
    "frequency": "wf-freq",
    "duration_hours": "wf-until",
    "end_time": "wf-until",
}

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_frequency(text: str) -> Any:
    """'60', '60s', '5m', '1h' -> seconds (int); anything else is returned for core to refuse."""
    raw = text.strip().lower().replace(" ", "")
    match = re.fullmatch(r"(-?\d+)(s|sec|m|min|h|d)?", raw)
    if not match:
        return raw or None
    return int(match.group(1)) * _UNITS[match.group(2) or "s"]


def parse_until(text: str, now: float | None = None) -> int:
    """How long to keep running: '2' (hours), '30m', '1.5h', '2d', or an end time
    'YYYY-MM-DD HH:MM' / 'HH:MM' (today, local time). Returns the end as unix seconds;
    a ValueError says what is wrong (core refuses an end in the past)."""
    now = time.time() if now is None else now
    raw = text.strip().lower()
    if not raw:
        raise ValueError("Say for how long: hours (e.g. 2), 30m, 1d, or an end time YYYY-MM-DD HH:MM.")
    match = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*(m|min|h|d)?", raw)
    if match:
        amount = float(match.group(1)) * _UNITS[match.group(2) or "h"]
        return int(now + amount)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"):
        try:
            return int(time.mktime(time.strptime(raw, fmt)))
        except ValueError:
            pass
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
    if match:
        day = time.localtime(now)
        end = time.mktime((day.tm_year, day.tm_mon, day.tm_mday, int(match.group(1)), int(match.group(2)), 0, 0, 0, -1))
        return int(end)
    raise ValueError(f"{text.strip()!r} is neither a duration (2, 30m, 1.5h, 1d) nor an end time (YYYY-MM-DD HH:MM).")


def check_schedule_fields(freq_text: str, until_text: str) -> tuple[int, int]:
    """(frequency s, end time) or FieldError naming the field."""
    from og_tui.core.alpha import check_schedule
    from og_tui.core.errors import ValidationError

    frequency = parse_frequency(freq_text)
    try:
        end_time = parse_until(until_text)
    except ValueError as exc:
        raise FieldError(str(exc), "wf-until") from None
    try:
        end_time, frequency = check_schedule(frequency=frequency, end_time=end_time)
    except ValidationError as exc:
        raise FieldError(str(exc), FIELD_IDS.get(getattr(exc, "field", "") or "", "wf-freq")) from None
    return frequency, end_time


def describe_signature(signature: dict[str, Any] | None) -> str:
    """'in open_high_low_close float32 [1, 10, 4] → out regression_output [1, 1]'."""
    if not signature:
        return "no signature"

    def part(items: list[dict[str, Any]], with_dtype: bool) -> str:
        shown = []
        for item in items:
            shape = item.get("shape")
            dims = "?" if shape is None else "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"
            dtype = f" {item.get('dtype')}" if with_dtype and item.get("dtype") else ""
            shown.append(f"{item.get('name')}{dtype} {dims}")
        return ", ".join(shown) or "–"

    return f"in {part(signature.get('inputs') or [], True)} → out {part(signature.get('outputs') or [], False)}"


class _FormDialog(Dialog):
    """A Dialog whose errors may point at a Select / SelectionList as well as an Input."""

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


class NewWorkflowDialog(_FormDialog):
    """Model (from the hub, with its signature), pair, candles, order, candle types,
    input tensor name and an optional schedule. Dismisses with a spec dict."""

    class HubModels(Message, bubble=False):
        """Models of the hub for the create form: ``[{"name", "version", "description"}]`` or an error."""

        def __init__(self, models: list[dict[str, Any]], error: str | None = None) -> None:
            super().__init__()
            self.models = models
            self.error = error

    class ModelFiles(Message, bubble=False):
        """ONNX files (with their signatures) of one model version, for the create form."""

        def __init__(self, name: str, version: str, files: list[dict[str, Any]], error: str | None = None) -> None:
            super().__init__()
            self.name = name
            self.version = version
            self.files = files
            self.error = error

    TITLE_TEXT = "New workflow"
    OK_LABEL = "Deploy"
    DEFAULT_CLASSES = "dialog-screen wf-dialog-screen"
    CSS_PATH = "workflows.tcss"

    autoload = True  # snapshot tests post fixed WorkflowHubModels / WorkflowModelFiles instead

    def __init__(
        self, services: "WorkflowServices | None", initial: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        super().__init__()
        self.services = services
        self.initial = dict(initial or {})
        self.initial_error = error
        self.files: list[dict[str, Any]] = []
        # values the form filled in itself (replaced when another model is picked)
        self._auto: dict[str, str] = {} if initial else {"wf-candles": "10"}
        self._pending_model: str | None = self.initial.get("model_key")
        self._pending_file: str | None = self.initial.get("cid")
        self._checking = False

    def compose_fields(self) -> ComposeResult:
        v = self.initial
        with Horizontal(classes="wf-row"):
            yield Label("Model", classes="wf-label")
            yield Select([], prompt="loading models from the hub…", id="wf-model", compact=True)
        with Horizontal(classes="wf-row", id="wf-file-row"):
            yield Label("File", classes="wf-label")
            yield Select([], prompt="ONNX file", id="wf-file", compact=True)
        yield Static("", id="wf-sig", classes="wf-sig")
        with Horizontal(id="wf-form-grid"):
            with Vertical(id="wf-form-left"):
                with Horizontal(classes="wf-row"):
                    yield Label("Pair", classes="wf-label")
                    yield Input(v.get("base", "ETH"), id="wf-base", placeholder="ETH", compact=True, classes="wf-short")
                    yield Static(" / ", classes="wf-sep")
                    yield Input(
                        v.get("quote", "USDT"), id="wf-quote", placeholder="USDT", compact=True, classes="wf-short"
                    )
                with Horizontal(classes="wf-row"):
                    yield Label("Candles", classes="wf-label")
                    yield Input(
                        str(v.get("total_candles", "10")),
                        id="wf-candles",
                        placeholder="10",
                        compact=True,
                        classes="wf-short",
                    )
                    yield Static(" × ", classes="wf-sep")
                    yield Input(
                        str(v.get("candle_duration_in_mins", "60")),
                        id="wf-minutes",
                        placeholder="60",
                        compact=True,
                        classes="wf-short",
                    )
                    yield Static(" min", classes="wf-sep")
                with Horizontal(classes="wf-row"):
                    yield Label("Order", classes="wf-label")
                    yield Select(
                        [("ascending (oldest first)", "ASCENDING"), ("descending (newest first)", "DESCENDING")],
                        value=v.get("order", "ASCENDING"),
                        allow_blank=False,
                        id="wf-order",
                        compact=True,
                    )
                with Horizontal(classes="wf-row", id="wf-input-row"):
                    yield Label("Input", classes="wf-label")
                    yield Input(
                        v.get("input_name", ""),
                        id="wf-input",
                        placeholder="the model's input tensor name",
                        compact=True,
                    )
            with Vertical(id="wf-types-box"):
                yield Label("Candle types", classes="wf-types-title")
                chosen = set(v.get("candle_types") or DEFAULT_TYPES)
                yield SelectionList(
                    *[(name.lower(), name, name in chosen) for name in CANDLE_TYPES], id="wf-types", compact=True
                )
        sched = v.get("schedule") or {}
        with Horizontal(classes="wf-row", id="wf-sched-row"):
            yield MarkedCheckbox("Schedule: every", bool(sched), id="wf-schedule", compact=True)
            yield Input(
                sched.get("frequency_text", "60"), id="wf-freq", placeholder="60", compact=True, classes="wf-short"
            )
            yield Static(" s for ", classes="wf-sep")
            yield Input(
                sched.get("until_text", "2"), id="wf-until", placeholder="2 (h), 30m or an end time", compact=True
            )
        yield Static("space toggles a candle type · tensor columns follow the list order", classes="wf-help")

    def on_mount(self) -> None:
        self.query_one("#wf-file-row").display = False
        self._mark_types()
        self._sync_schedule()
        if self.initial_error:
            self.show_error(self.initial_error)
        self.query_one("#wf-model", Select).focus()
        if self.autoload and self.services is not None:
            self._load_models()

    @on(SelectionList.SelectedChanged, "#wf-types")
    def _mark_types(self) -> None:
        """A ✓ beside each chosen candle type (not only its colour)."""
        types = self.query_one("#wf-types", SelectionList)
        chosen = set(types.selected)
        for index, name in enumerate(CANDLE_TYPES):
            types.replace_option_prompt_at_index(index, f"{'✓' if name in chosen else '·'} {name.lower()}")

    # --- loading models and files -------------------------------------------------------
    @work(thread=True, exclusive=True, group="wf-hub", exit_on_error=False, description="hub models")
    def _load_models(self) -> None:
        try:
            data = self.services.hub().list_models(limit=200)
            models = [
                {
                    "name": row.get("name"),
                    "version": row.get("latestVersion"),
                    "description": row.get("description", ""),
                }
                for row in data.get("models") or []
                if row.get("name") and row.get("latestVersion")
            ]
        except Exception as exc:  # noqa: BLE001 - shown in the form
            self.post_message(self.HubModels([], error=user_message(exc).joined()))
            return
        self.post_message(self.HubModels(models))

    @work(thread=True, exclusive=True, group="wf-files", exit_on_error=False, description="model files")
    def _load_files(self, name: str, version: str) -> None:
        try:
            files = [
                f for f in self.services.hub().list_files(name, version) if f.get("isOnnx", True) and f.get("ipfsCid")
            ]
            for f in files:
                if not f.get("signature"):
                    try:
                        f["signature"] = self.services.hub().model_signature(f["ipfsCid"])
                    except Exception:  # noqa: BLE001 - shown as "no signature"
                        f["signature"] = None
        except Exception as exc:  # noqa: BLE001
            self.post_message(self.ModelFiles(name, version, [], error=user_message(exc).joined()))
            return
        self.post_message(self.ModelFiles(name, version, files))

    @on(HubModels)
    def _models_loaded(self, event: HubModels) -> None:
        select = self.query_one("#wf-model", Select)
        if event.error:
            select.prompt = "the hub did not answer"
            self.show_error(f"Could not list the hub's models: {event.error}")
            return

        # workflow-shaped models first: their names or descriptions speak of prices
        def rank(model: dict[str, Any]) -> tuple[int, str]:
            text = f"{model['name']} {model.get('description', '')}".lower()
            return (0 if any(w in text for w in ("price", "forecast", "volatil", "candle")) else 1, model["name"])

        models = sorted(event.models, key=rank)
        select.set_options([(f"{x['name']} v{x['version']}", f"{x['name']}@{x['version']}") for x in models])
        select.prompt = "pick a model" if models else "the hub has no models"
        if self._pending_model and any(f"{x['name']}@{x['version']}" == self._pending_model for x in models):
            select.value = self._pending_model

    @on(Select.Changed, "#wf-model")
    def _model_changed(self, event: Select.Changed) -> None:
        self.files = []
        self._show_files()
        if event.value == Select.NULL:
            return
        name, _, version = str(event.value).rpartition("@")
        self.query_one("#wf-sig", Static).update("reading the model's signature…")
        if self.services is not None:
            self._load_files(name, version)

    @on(ModelFiles)
    def _files_loaded(self, event: ModelFiles) -> None:
        if self._model_key() != f"{event.name}@{event.version}":
            return  # an older answer
        if event.error:
            self.query_one("#wf-sig", Static).update(f"[$error]{event.error}[/]")
            return
        self.files = event.files
        self._show_files()

    def _show_files(self) -> None:
        row = self.query_one("#wf-file-row")
        select = self.query_one("#wf-file", Select)
        sig = self.query_one("#wf-sig", Static)
        if not self.files:
            row.display = False
            sig.update("" if self._model_key() is None else "this version has no ONNX file")
            return
        row.display = len(self.files) > 1
        select.set_options([(f.get("name") or f["ipfsCid"], f["ipfsCid"]) for f in self.files])
        wanted = self._pending_file if any(f["ipfsCid"] == self._pending_file for f in self.files) else None
        select.value = wanted or self.files[0]["ipfsCid"]
        self._pending_file = None
        self._show_signature()

    @on(Select.Changed, "#wf-file")
    def _file_changed(self) -> None:
        self._show_signature()

    def selected_file(self) -> dict[str, Any] | None:
        value = self.query_one("#wf-file", Select).value
        return next((f for f in self.files if f["ipfsCid"] == value), None)

    def _model_key(self) -> str | None:
        value = self.query_one("#wf-model", Select).value
        return None if value == Select.NULL else str(value)

    def _show_signature(self) -> None:
        chosen = self.selected_file()
        if chosen is None:
            return
        signature = chosen.get("signature")
        self.query_one("#wf-sig", Static).update(describe_signature(signature))
        self._autofill(signature)

    def _autofill(self, signature: dict[str, Any] | None) -> None:
        """Fill the input name and candle count from a one-input [1, N, K] signature,
        unless the user typed something of their own."""
        inputs = list((signature or {}).get("inputs") or [])
        if len(inputs) != 1:
            return
        entry = inputs[0]
        self._set_auto("wf-input", str(entry.get("name") or ""))
        shape = entry.get("shape") or []
        if len(shape) == 3 and isinstance(shape[1], int) and shape[1] > 0:
            self._set_auto("wf-candles", str(shape[1]))

    def _set_auto(self, field_id: str, value: str) -> None:
        field = self.query_one(f"#{field_id}", Input)
        if not value:
            return
        if not field.value.strip() or field.value == self._auto.get(field_id):
            field.value = value
            self._auto[field_id] = value

    # --- schedule row -------------------------------------------------------------------
    @on(Checkbox.Changed, "#wf-schedule")
    def _sync_schedule(self) -> None:
        on_ = self.query_one("#wf-schedule", Checkbox).value
        for field_id in ("wf-freq", "wf-until"):
            self.query_one(f"#{field_id}", Input).disabled = not on_

    # --- validation -------------------------------------------------------------------------
    def spec(self) -> dict[str, Any]:
        """Everything typed, as plain values (kept if the deploy fails)."""
        sched_on = self.query_one("#wf-schedule", Checkbox).value
        chosen = self.selected_file()
        order = self.query_one("#wf-order", Select).value
        return {
            "model_key": self._model_key(),
            "cid": chosen["ipfsCid"] if chosen else None,
            "file": chosen.get("name") if chosen else None,
            "signature": chosen.get("signature") if chosen else None,
            "base": self.query_one("#wf-base", Input).value.strip(),
            "quote": self.query_one("#wf-quote", Input).value.strip(),
            "total_candles": self.query_one("#wf-candles", Input).value.strip(),
            "candle_duration_in_mins": self.query_one("#wf-minutes", Input).value.strip(),
            "order": "ASCENDING" if order == Select.NULL else str(order),
            "candle_types": [t for t in CANDLE_TYPES if t in self.query_one("#wf-types", SelectionList).selected],
            "input_name": self.query_one("#wf-input", Input).value.strip(),
            "schedule": {
                "frequency_text": self.query_one("#wf-freq", Input).value,
                "until_text": self.query_one("#wf-until", Input).value,
            }
            if sched_on
            else None,
        }

    def collect(self) -> Any:
        from og_tui.core.alpha import check_query, check_query_fits
        from og_tui.core.errors import ValidationError
        from og_tui.core.types import HistoricalInputQuery

        if self._checking:
            return None
        spec = self.spec()
        if spec["model_key"] is None:
            self.fail("Pick a model from the hub.", "wf-model")
        if spec["cid"] is None:
            self.fail("Wait for the model's files to load (or pick a model with an ONNX file).", "wf-model")

        def number(text: str, field_id: str, what: str) -> Any:
            try:
                return int(text)
            except ValueError:
                self.fail(f"{what} must be a whole number, not {text!r}.", field_id)

        total = number(spec["total_candles"], "wf-candles", "The number of candles")
        minutes = number(spec["candle_duration_in_mins"], "wf-minutes", "The candle duration (minutes)")
        try:
            query = check_query(
                HistoricalInputQuery(
                    spec["base"], spec["quote"], total, minutes, spec["order"], list(spec["candle_types"])
                )
            )
            if not spec["input_name"]:
                raise ValidationError("Give the model's input tensor name.", field="input_name")
            if spec["signature"]:
                check_query_fits(spec["signature"], spec["input_name"], query)
        except ValidationError as exc:
            self.fail(str(exc), FIELD_IDS.get(getattr(exc, "field", "") or "", "wf-base"))
        if spec["schedule"] is not None:
            frequency, end_time = check_schedule_fields(
                spec["schedule"]["frequency_text"], spec["schedule"]["until_text"]
            )
            spec["schedule"].update(frequency=frequency, end_time=end_time)
        spec["query"] = query
        if self.services is None:
            return spec
        self._checking = True
        self.busy("Checking the query with the network's price feed…")
        self._preflight(spec)
        return None

    @work(thread=True, exclusive=True, group="wf-check", exit_on_error=False, description="check workflow")
    def _preflight(self, spec: dict[str, Any]) -> None:
        from og_tui.core.errors import OGError

        try:
            self.services.alpha().preflight(spec["cid"], spec["input_name"], spec["query"])
        except OGError as exc:
            field = FIELD_IDS.get(getattr(exc, "field", "") or "", None)
            self.post_message(self.Checked(user_message(exc).joined(), field))
            return
        except Exception as exc:  # noqa: BLE001
            self.post_message(self.Checked(user_message(exc).joined(), None))
            return
        self.post_message(self.Checked(None, None, spec))


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
            yield Input(self.frequency, id="wf-freq", placeholder="60", compact=True, classes="wf-short")
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
        self._checking = False

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
        self._checking = True
        self.busy("Checking that this is a workflow contract…")
        self._check(address)
        return None

    @work(thread=True, exclusive=True, group="wf-check", exit_on_error=False, description="check address")
    def _check(self, address: str) -> None:
        try:
            self.services.alpha().require_workflow(address)
        except Exception as exc:  # noqa: BLE001 - NotAWorkflow, network down...
            self.post_message(self.Checked(user_message(exc).joined(), "wf-address"))
            return
        self.post_message(self.Checked(None, None, address))
