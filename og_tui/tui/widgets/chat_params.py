"""The Chat screen's parameters pane: model, mode, completion, temperature, max tokens, stop
sequences, settlement, spend cap, and the buttons for the tools.

It fills itself from a conversation (:meth:`ChatParams.fill`), checks its fields
(:meth:`ChatParams.read`) and posts :class:`ChatParams.Changed` when the model, the mode or
completion mode changes. The screen owns the store and the tools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from og_tui.tui.widgets.format_params import FormatParams
from og_tui.tui.widgets.marks import MarkedCheckbox

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.chat_store import Conversation

__all__ = ["ChatParams", "SETTLEMENTS", "DEFAULT_PARAMS"]

SETTLEMENTS = ("settle-batch", "settle", "settle-metadata")
DEFAULT_PARAMS = {"temperature": "0", "max_tokens": "256", "stop": "", "settlement": "settle-batch", "cap": ""}


class ChatParams(VerticalScroll):
    class Changed(Message):
        """The model, the mode or completion mode was changed (by the user or by fill())."""

        def __init__(self, params: "ChatParams") -> None:
            super().__init__()
            self.params = params

        @property
        def control(self) -> "ChatParams":
            return self.params

    def __init__(self, model: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._first_model = model
        self.models: list[str] = []
        self.generation = "1"  # x402 generation of the settlement choices and the cap's token
        self.settlements: tuple[str, ...] = SETTLEMENTS

    def compose(self) -> ComposeResult:
        yield Label("Parameters", classes="pane-title")
        yield Label("Model", classes="p-label")
        model = self._first_model
        yield Select([(model, model)], value=model, id="p-model", allow_blank=False, compact=True)
        yield Label("Mode", classes="p-label")
        yield Select(
            [("TEE · x402 over HTTP", "TEE"), ("VANILLA · on chain", "VANILLA")],
            value="TEE",
            allow_blank=False,
            id="p-mode",
            compact=True,
        )
        yield MarkedCheckbox("Completion (raw prompt)", id="p-completion", compact=True)
        yield Label("Temperature (0–2)", classes="p-label")
        yield Input(id="p-temperature", compact=True)
        yield Label("Max tokens", classes="p-label")
        yield Input(id="p-max_tokens", compact=True)
        yield Label("Stop sequences (comma separated)", classes="p-label")
        yield Input(id="p-stop", compact=True, placeholder="none")
        yield Label("Settlement", classes="p-label")
        yield Select(
            [(s, s) for s in SETTLEMENTS], value="settle-batch", allow_blank=False, id="p-settlement", compact=True
        )
        yield Label("Spend cap per request (OUSDC)", classes="p-label", id="p-cap-label")
        yield Input(id="p-cap", compact=True)
        yield Static("", id="p-spent", classes="pane-hint")
        yield FormatParams(id="p-format-params")
        yield Button("OpenGradient tools… (none)", id="p-og-tools", compact=True)
        yield Button("Tools… (none)", id="p-tools", compact=True)
        yield Static("", id="p-error")

    # --- values ------------------------------------------------------------------------------
    @property
    def model(self) -> str | None:
        value = self.query_one("#p-model", Select).value
        return None if value is Select.NULL else str(value)

    @property
    def mode(self) -> str:
        return str(self.query_one("#p-mode", Select).value)

    @property
    def completion(self) -> bool:
        return bool(self.query_one("#p-completion", Checkbox).value)

    @completion.setter
    def completion(self, value: bool) -> None:
        self.query_one("#p-completion", Checkbox).value = value

    def fill(self, conv: "Conversation | None", cap: str, model: str) -> None:
        """The values of ``conv`` (defaults without one; ``cap`` is the settings' cap, ``model``
        the model when the conversation names none)."""
        params = dict(DEFAULT_PARAMS)
        params["cap"] = cap
        if conv is not None:
            params.update({k: str(v) for k, v in (conv.params or {}).items() if k in params})
        for key in ("temperature", "max_tokens", "stop", "cap"):
            self.query_one(f"#p-{key}", Input).value = params[key]
        from og_tui.tui.payment_text import settlement_in

        self.query_one("#p-settlement", Select).value = settlement_in(self.generation, params["settlement"])
        mode = (conv.mode if conv else None) or "TEE"
        self.query_one("#p-mode", Select).value = mode if mode in ("TEE", "VANILLA") else "TEE"
        self.completion = bool(conv and (conv.params or {}).get("completion"))
        self.set_models(self.models, (conv.model if conv else None) or self.model or model)
        self.show_tools(conv.tools if conv else [])
        self.query_one(FormatParams).fill(dict(conv.params or {}) if conv else {})
        self.show_error("")

    def set_models(self, models: list[str], wanted: str | None) -> None:
        """The models offered (``wanted`` selected, added when it is not among them)."""
        self.models = list(models)
        select = self.query_one("#p-model", Select)
        options = list(models)
        if wanted and wanted not in options:
            options.insert(0, wanted)
        with self.prevent(Select.Changed):
            select.set_options([(name, name) for name in options])
            if wanted:
                select.value = wanted

    def set_generation(self, generation: str, settlements: tuple[str, ...], cap_symbol: str) -> None:
        """x402 v1 (settle-batch / settle / settle-metadata, a cap in OUSDC) or v2 (batch /
        private, a cap in OPG); the chosen settlement keeps its meaning across the switch."""
        from og_tui.tui.payment_text import settlement_in

        self.query_one("#p-cap-label", Label).update(f"Spend cap per request ({cap_symbol})")
        if generation == self.generation and settlements == self.settlements:
            return
        select = self.query_one("#p-settlement", Select)
        current = None if select.value is Select.NULL else str(select.value)
        self.generation, self.settlements = generation, settlements
        with self.prevent(Select.Changed):
            select.set_options([(s, s) for s in settlements])
            select.value = settlement_in(generation, current)

    def set_cap(self, text: str) -> None:
        self.query_one("#p-cap", Input).value = text

    def show_tools(self, tools: list) -> None:
        names = [t.get("function", {}).get("name", "?") for t in tools or []]
        label = f"Tools… ({', '.join(names)})" if names else "Tools… (none)"
        self.query_one("#p-tools", Button).label = label if len(label) < 28 else f"Tools… ({len(names)})"

    def show_og_tools(self, label: str) -> None:
        self.query_one("#p-og-tools", Button).label = label

    def show_spent(self, text: str) -> None:
        self.query_one("#p-spent", Static).update(text)

    def show_error(self, text: str) -> None:
        self.query_one("#p-error", Static).update(text)

    def pick_model(self) -> None:
        self.display = True
        select = self.query_one("#p-model", Select)
        select.focus()
        select.action_show_overlay()

    def read(self, decimals: int) -> dict[str, Any]:
        """The values checked; raises ValueError naming the field (and shows the pane with the
        field focused). ``decimals``: of the payment token, for the spend cap."""
        from og_tui.core.amounts import parse_amount
        from og_tui.core.errors import OGError

        def fail(field_id: str, text: str) -> None:
            self.display = True
            self.show_error(text)
            self.query_one(f"#{field_id}").focus()
            raise ValueError(text)

        raw_t = self.query_one("#p-temperature", Input).value.strip() or "0"
        try:
            temperature = float(raw_t)
        except ValueError:
            temperature = -1.0
        if not 0 <= temperature <= 2:
            fail("p-temperature", f"Temperature must be a number from 0 to 2, not {raw_t!r}.")
        raw_m = self.query_one("#p-max_tokens", Input).value.strip() or "256"
        if not raw_m.isdigit() or not 1 <= int(raw_m) <= 100_000:
            fail("p-max_tokens", f"Max tokens must be a whole number from 1 to 100000, not {raw_m!r}.")
        stop_raw = self.query_one("#p-stop", Input).value
        stop = [s.strip() for s in stop_raw.split(",") if s.strip()]
        if len(stop) > 4:
            fail("p-stop", "At most 4 stop sequences.")
        model = self.model
        if not model:
            fail("p-model", "Pick a model first.")
        raw_cap = self.query_one("#p-cap", Input).value.strip()
        cap: int | None = None
        if raw_cap and raw_cap.lower() not in ("none", "off"):
            try:
                cap = parse_amount(raw_cap, decimals)
            except OGError as exc:
                fail("p-cap", f"Spend cap: {exc}")
        formats = self.query_one(FormatParams)
        try:
            response_format = formats.read()
        except ValueError as exc:
            fail("p-format", str(exc))
        self.show_error("")
        return {
            "model": model,
            "mode": self.mode,
            "completion": self.completion,
            "temperature": temperature,
            "max_tokens": int(raw_m),
            "stop": stop,
            "stop_text": stop_raw,
            "settlement": str(self.query_one("#p-settlement", Select).value),
            "cap": cap,
            "cap_text": raw_cap,
            "response_format": response_format,
            "format_params": formats.params_json(),
        }

    @on(Select.Changed, "#p-model")
    @on(Select.Changed, "#p-mode")
    @on(Checkbox.Changed, "#p-completion")
    def _changed(self, event: Message) -> None:
        event.stop()
        self.post_message(self.Changed(self))
