"""The Inference screen's model row: a CID typed (or picked from the Hub) and its signature.

Typing a CID fetches its ``{inputs, outputs}`` signature in a thread worker (debounced);
the line under the CID shows it, or why there is none. The selector posts
:class:`ModelSelector.Chosen` when a model with a signature is ready,
:class:`ModelSelector.Cleared` when the CID changed and the old signature no longer
applies, :class:`ModelSelector.Submitted` on enter and :class:`ModelSelector.PickWanted`
for the Pick… button.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Static

from og_tui.core.errors import user_message

__all__ = ["ModelSelector"]

FETCH_DELAY_S = 0.6  # a typed CID is looked up once typing pauses this long


class ModelSelector(Vertical):
    DEFAULT_CSS = "ModelSelector { height: auto; }"

    class Chosen(Message):
        """A model with a known signature: ``cid`` (the ONNX file), ``name`` (hub model, if known)."""

        def __init__(self, cid: str, name: str | None, signature: dict[str, Any]) -> None:
            super().__init__()
            self.cid = cid
            self.name = name
            self.signature = signature

    class Cleared(Message):
        """The CID changed: no signature (yet)."""

    class Submitted(Message):
        """Enter in the CID field."""

    class PickWanted(Message):
        """The Pick… button: choose from the Hub."""

    # (posted by the signature worker to this widget)
    class SignatureLoaded(Message, bubble=False):
        def __init__(self, cid: str, signature: dict[str, Any]) -> None:
            super().__init__()
            self.cid = cid
            self.signature = signature

    class SignatureFailed(Message, bubble=False):
        def __init__(self, cid: str, text: str, hint: str | None = None) -> None:
            super().__init__()
            self.cid = cid
            self.text = text
            self.hint = hint

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.signature: dict[str, Any] | None = None
        self.model_name: str | None = None
        self._sig_cid: str | None = None  # the CID the signature (or its error) belongs to
        self._sig_state = "none"  # none | loading | ok | failed
        self._cid_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="inf-model-row"):
            yield Label("Model", classes="inf-label")
            yield Input(placeholder="type a model CID, or ctrl+o to pick from the Hub", id="inf-cid", compact=True)
            yield Button("Pick…", id="inf-pick", compact=True)
        yield Static("", id="inf-sig")

    def on_mount(self) -> None:
        self._show_sig()

    @property
    def cid(self) -> str:
        return self.query_one("#inf-cid", Input).value.strip()

    def set_model(self, cid: str, name: str | None = None, signature: dict[str, Any] | None = None) -> None:
        """Use the ONNX file ``cid`` (its signature fetched unless given)."""
        cid = cid.strip()
        field = self.query_one("#inf-cid", Input)
        with field.prevent(Input.Changed):
            field.value = cid
        self.model_name = name
        if signature:
            self._ready(cid, signature, name)
        else:
            self.fetch(cid)

    def show_model(self, cid: str, name: str | None) -> bool:
        """Show ``cid`` (a stored run's model); True when it is another model (its signature
        is fetched)."""
        field = self.query_one("#inf-cid", Input)
        same = field.value.strip() == cid
        with field.prevent(Input.Changed):
            field.value = cid
        if not same:
            self._clear()
            self.model_name = name
            self.fetch(cid)
        return not same

    def fetch(self, cid: str) -> None:
        if self._cid_timer is not None:
            self._cid_timer.stop()
        if not cid or (cid == self._sig_cid and self._sig_state in ("loading", "ok")):
            return
        self._sig_cid = cid
        self._sig_state = "loading"
        self._show_sig()
        self._signature_worker(cid)

    def _clear(self) -> None:
        self.model_name = None
        self.signature = None
        self._sig_cid = None
        self._sig_state = "none"
        self.post_message(self.Cleared())

    @on(Input.Changed, "#inf-cid")
    def _cid_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._cid_timer is not None:
            self._cid_timer.stop()
        cid = event.value.strip()
        if cid == self._sig_cid:
            return
        self._clear()
        self._show_sig()
        if len(cid) >= 8 and " " not in cid:
            self._cid_timer = self.set_timer(FETCH_DELAY_S, lambda: self.fetch(cid))

    @on(Input.Submitted, "#inf-cid")
    def _cid_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        cid = event.value.strip()
        if cid and cid != self._sig_cid:
            self.fetch(cid)
        self.post_message(self.Submitted())

    @on(Button.Pressed, "#inf-pick")
    def _pick_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.PickWanted())

    @work(thread=True, exclusive=True, group="inference-signature", exit_on_error=False, description="model signature")
    def _signature_worker(self, cid: str) -> None:
        from og_tui.tui.hub_session import hub_sessions

        try:
            signature = hub_sessions(self.app.ctx).client().model_signature(cid)
        except Exception as exc:  # noqa: BLE001 - shown under the CID
            text, hint = user_message(exc)
            self.post_message(self.SignatureFailed(cid, text, hint))
            return
        self.post_message(self.SignatureLoaded(cid, signature))

    @on(SignatureLoaded)
    def _signature_loaded(self, event: SignatureLoaded) -> None:
        if event.cid == self.cid:
            self._ready(event.cid, event.signature, self.model_name)

    def _ready(self, cid: str, signature: dict[str, Any], name: str | None) -> None:
        self.signature = signature
        self.model_name = name
        self._sig_cid = cid
        self._sig_state = "ok"
        self._show_sig()
        self.post_message(self.Chosen(cid, name, signature))

    @on(SignatureFailed)
    def _signature_failed(self, event: SignatureFailed) -> None:
        if event.cid != self.cid:
            return
        self.signature = None
        self._sig_state = "failed"
        self._show_sig(error=event.text if not event.hint else f"{event.text} {event.hint}")

    def _show_sig(self, error: str | None = None) -> None:
        from og_tui.tui.screens.inference_dialogs import signature_text

        sig = self.query_one("#inf-sig", Static)
        sig.set_class(bool(error), "-error")
        if error:
            sig.update(Text(f"✕ {error}"))
            return
        if self._sig_state == "loading":
            sig.update(Text("loading the model's signature…", style="italic"))
            return
        if self.signature:
            text = Text()
            if self.model_name:
                text.append(self.model_name + "  ", style="bold")
            text.append_text(signature_text(self.signature))
            sig.update(text)
            return
        sig.update(Text("No model yet: type a CID above or press ctrl+o to pick one from the Hub.", style="dim"))
