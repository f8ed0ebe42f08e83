"""The create-a-workflow dialog of the Workflows screen (:class:`NewWorkflowDialog`):
a hub model and its ONNX file (their signature read in workers), the price-feed query,
the input tensor name and an optional schedule. The query is checked against the
signature on the spot, then with a dry run of the price feed in a worker before the
dialog closes with a spec; the screen deploys it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, Select, SelectionList, Static

from og_tui.core.errors import user_message
from og_tui.tui.screens.workflow_dialogs import _FormDialog, short_input
from og_tui.tui.screens.workflow_fields import (
    CANDLE_TYPES,
    DEFAULT_TYPES,
    FIELD_IDS,
    check_schedule_fields,
    describe_signature,
)
from og_tui.tui.widgets.marks import MarkedCheckbox

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.tui.screens.workflow_ops import WorkflowServices


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
                    yield short_input(v.get("base", "ETH"), "wf-base", "ETH")
                    yield Static(" / ", classes="wf-sep")
                    yield short_input(v.get("quote", "USDT"), "wf-quote", "USDT")
                with Horizontal(classes="wf-row"):
                    yield Label("Candles", classes="wf-label")
                    yield short_input(str(v.get("total_candles", "10")), "wf-candles", "10")
                    yield Static(" × ", classes="wf-sep")
                    yield short_input(str(v.get("candle_duration_in_mins", "60")), "wf-minutes", "60")
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
            yield short_input(sched.get("frequency_text", "60"), "wf-freq", "60")
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
        self.start_check("Checking the query with the network's price feed…", self._preflight, spec)
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
