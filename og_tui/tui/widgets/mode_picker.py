"""The Inference screen's mode row: VANILLA, ZKML or TEE, with a note on what each gives."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, RadioButton, RadioSet, Static

from og_tui.tui.widgets.marks import MarkedRadioButton

__all__ = ["ModePicker", "MODES", "MODE_NOTES"]

MODES = ("VANILLA", "ZKML", "TEE")
MODE_NOTES = {
    "VANILLA": "plain run, outputs on chain",
    "ZKML": "with a zero-knowledge proof",
    "TEE": "outputs signed by a TEE node",
}


class ModePicker(Horizontal):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mode = MODES[0]
        self.devnet = False  # the notes say what the local devnet does instead

    def compose(self) -> ComposeResult:
        yield Label("Mode", classes="inf-label")
        with RadioSet(id="inf-mode", compact=True):
            for i, name in enumerate(MODES):
                yield MarkedRadioButton(name, value=i == 0, id=f"mode-{name.lower()}", compact=True)
        yield Static("", id="inf-mode-note")

    def set_mode(self, name: str) -> None:
        name = name.upper()
        if name in MODES:
            self.mode = name
            self.query_one(f"#mode-{name.lower()}", RadioButton).value = True
            self.show_note()

    def cycle(self) -> None:
        self.set_mode(MODES[(MODES.index(self.mode) + 1) % len(MODES)])

    @on(RadioSet.Changed, "#inf-mode")
    def _changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        if 0 <= event.index < len(MODES):
            self.mode = MODES[event.index]
        self.show_note()

    def show_note(self) -> None:
        note = MODE_NOTES[self.mode]
        if self.devnet:
            if self.mode == "ZKML":
                note = "devnet refuses ZKML: it makes no proofs"
            elif self.mode == "TEE":
                note = "signed by a devnet key, not hardware"
        self.query_one("#inf-mode-note", Static).update(note)
