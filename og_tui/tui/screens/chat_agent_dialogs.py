"""Dialogs of the Chat screen's OpenGradient tools: the list of tools attached to a
conversation, adding a workflow, and the confirm step before a tool runs on chain.

A tool entry (kept in the conversation's ``params["og_tools"]``) is a plain dict::

    {"kind": "model", "cid", "title", "version", "file", "signature", "mode": "VANILLA", "confirm": True}
    {"kind": "workflow", "address", "title", "confirm": False}
"""

from __future__ import annotations

import json
import logging
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from og_tui.tui.screens.modals import Dialog
from og_tui.tui.widgets.marks import MarkedCheckbox

_log = logging.getLogger(__name__)

__all__ = ["OGToolsDialog", "WorkflowToolDialog", "ToolConfirmDialog", "tool_display_name", "MODES"]

MODES = ("VANILLA", "TEE", "ZKML")


def tool_display_name(entry: dict[str, Any]) -> str:
    """The function name the model sees for ``entry`` (as og_tui.core.agent names it)."""
    from og_tui.core.agent import tool_name_for

    if entry.get("kind") == "workflow":
        return tool_name_for(f"read_workflow_{str(entry.get('address', ''))[2:10]}")
    title = str(entry.get("title") or entry.get("cid") or "model")[:40]
    return tool_name_for(title.replace("-", "_"), "run_")


def _entry_line(entry: dict[str, Any]) -> Content:
    ask = "[b $warning]ask [/]" if entry.get("confirm") else "[dim]auto[/]"
    if entry.get("kind") == "workflow":
        address = str(entry.get("address") or "")
        what = Content.from_markup(
            "workflow [b]$t[/] [dim]$a[/]",
            t=entry.get("title") or address,
            a=f"{address[:8]}…{address[-4:]}" if len(address) > 14 else address,
        )
    else:
        version = f" v{entry['version']}" if entry.get("version") else ""
        what = Content.from_markup(
            "model [b]$t[/]$v · [b]$m[/]",
            t=entry.get("title") or entry.get("cid"),
            v=version,
            m=entry.get("mode") or "VANILLA",
        )
    return Content.assemble(
        Content.from_markup(ask), " ", Content.styled(tool_display_name(entry), "$accent"), "  ", what
    )


class OGToolsDialog(Dialog):
    """Hub models and workflows the model may call in this conversation.

    Returns the edited list of tool entries (Save) or None (escape)."""

    TITLE_TEXT = "OpenGradient tools"
    CSS_PATH = "chat.tcss"
    OK_LABEL = "Save"
    DEFAULT_CLASSES = "dialog-screen og-tools-dialog"
    AUTO_FOCUS = "#ogt-list"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        # (a and w are on the dialog's buttons and hint line: the footer keeps room for ctrl+s at 80 columns)
        Binding(
            "a", "add_model", "Add model", id="ogtools.add_model", show=False, tooltip="Attach a Hub model as a tool"
        ),
        Binding(
            "w",
            "add_workflow",
            "Add workflow",
            id="ogtools.add_workflow",
            show=False,
            tooltip="Attach a workflow (its latest result) as a tool",
        ),
        Binding(
            "space",
            "toggle_confirm",
            "Ask/auto",
            id="ogtools.confirm",
            tooltip="Ask before running this tool (shows the gas), or run it without asking",
        ),
        Binding(
            "m", "cycle_mode", "Mode", id="ogtools.mode", tooltip="Inference mode of a model tool: VANILLA, TEE, ZKML"
        ),
        Binding("delete,d", "remove", "Remove", id="ogtools.remove", tooltip="Detach the highlighted tool"),
        Binding("ctrl+s", "save", "Save", id="ogtools.save", tooltip="Save the tools of this conversation"),
    ]

    def __init__(self, entries: list[dict[str, Any]], json_tools: int = 0) -> None:
        super().__init__()
        self.entries = [dict(e) for e in entries]
        self.json_tools = json_tools

    def compose_fields(self) -> ComposeResult:
        yield Static(
            "When the model calls one of these, og-tui runs it for you: a model tool is an inference "
            "transaction from your wallet, a workflow tool reads its latest result (free). The result goes "
            "back to the model and the reply continues.",
            classes="dialog-line",
        )
        if self.json_tools:
            yield Static(
                f"While OpenGradient tools are attached, the {self.json_tools} JSON tool(s) of ctrl+t are not offered.",
                classes="dialog-line ogt-note",
            )
        yield OptionList(id="ogt-list")
        yield Static(
            "a add model · w add workflow · space ask/auto · m mode · d remove · ctrl+s save", classes="dialog-hint"
        )
        with Horizontal(classes="ogt-buttons"):
            yield Button("Add model…", id="ogt-add-model", compact=True)
            yield Button("Add workflow…", id="ogt-add-workflow", compact=True)

    def on_mount(self) -> None:
        self._refill()

    def _refill(self, highlight: int | None = None) -> None:
        listing = self.query_one("#ogt-list", OptionList)
        current = listing.highlighted if highlight is None else highlight
        listing.clear_options()
        if not self.entries:
            listing.add_option(
                Option(
                    Content.styled("No tools yet: a adds a Hub model, w a workflow.", "italic $text-muted"),
                    id="none",
                    disabled=True,
                )
            )
            return
        listing.add_options([Option(_entry_line(e), id=f"t{i}") for i, e in enumerate(self.entries)])
        if current is not None:
            listing.highlighted = max(0, min(current, len(self.entries) - 1))
        else:
            listing.highlighted = 0

    def _current(self) -> int | None:
        listing = self.query_one("#ogt-list", OptionList)
        index = listing.highlighted
        if index is None or not self.entries or index >= len(self.entries):
            return None
        return index

    # --- actions ------------------------------------------------------------------------------
    @on(Button.Pressed, "#ogt-add-model")
    def action_add_model(self) -> None:
        from og_tui.tui.screens.inference_dialogs import ModelPickerDialog

        self.app.push_screen(ModelPickerDialog(), self._model_picked)

    def _model_picked(self, picked: dict[str, Any] | None) -> None:
        if not picked:
            return
        from og_tui.core.agent import schema_from_signature

        signature = picked.get("signature")
        name = picked.get("name") or picked.get("cid")
        if not isinstance(signature, dict) or not signature.get("inputs"):
            self.show_error(
                f"{name}: this file has no input signature, so the model cannot be a tool. "
                "Pick an ONNX file whose signature the Hub shows."
            )
            return
        try:
            schema_from_signature(signature)
        except Exception as exc:  # noqa: BLE001 - a signature we cannot describe
            self.show_error(f"{name}: its signature cannot be turned into tool arguments ({exc}).")
            return
        cid = str(picked.get("cid") or "")
        if any(e.get("kind") == "model" and e.get("cid") == cid for e in self.entries):
            self.show_error(f"{name} is already attached.")
            return
        self.entries.append(
            {
                "kind": "model",
                "cid": cid,
                "title": name,
                "version": picked.get("version"),
                "file": picked.get("file"),
                "signature": signature,
                "mode": "VANILLA",
                "confirm": True,
            }
        )
        self.show_error("")
        self._refill(len(self.entries) - 1)

    @on(Button.Pressed, "#ogt-add-workflow")
    def action_add_workflow(self) -> None:
        self.app.push_screen(WorkflowToolDialog(), self._workflow_picked)

    def _workflow_picked(self, picked: dict[str, Any] | None) -> None:
        if not picked:
            return
        address = str(picked.get("address") or "")
        if any(
            e.get("kind") == "workflow" and str(e.get("address", "")).lower() == address.lower() for e in self.entries
        ):
            self.show_error(f"Workflow {address} is already attached.")
            return
        self.entries.append(
            {"kind": "workflow", "address": address, "title": picked.get("title") or address, "confirm": False}
        )
        self.show_error("")
        self._refill(len(self.entries) - 1)

    def action_toggle_confirm(self) -> None:
        index = self._current()
        if index is None:
            return
        entry = self.entries[index]
        entry["confirm"] = not entry.get("confirm")
        self._refill(index)

    def action_cycle_mode(self) -> None:
        index = self._current()
        if index is None or self.entries[index].get("kind") != "model":
            return
        entry = self.entries[index]
        mode = entry.get("mode") if entry.get("mode") in MODES else "VANILLA"
        entry["mode"] = MODES[(MODES.index(mode) + 1) % len(MODES)]
        self._refill(index)

    def action_remove(self) -> None:
        index = self._current()
        if index is None:
            return
        del self.entries[index]
        self._refill(index)

    def action_save(self) -> None:
        self._submit()

    @on(OptionList.OptionSelected, "#ogt-list")
    def _selected(self) -> None:
        self.action_toggle_confirm()

    def collect(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self.entries]


class WorkflowToolDialog(Dialog):
    """Pick a known workflow or type any address; it is checked on chain before it is added.

    Returns ``{"address", "title"}`` or None."""

    TITLE_TEXT = "Attach a workflow"
    CSS_PATH = "chat.tcss"
    OK_LABEL = "Attach"
    DEFAULT_CLASSES = "dialog-screen og-tools-dialog"
    AUTO_FOCUS = "#wf-known"

    def compose_fields(self) -> ComposeResult:
        yield Label("Known workflows (enter picks)")
        yield OptionList(id="wf-known")
        yield Label("Or a workflow contract address")
        yield Input(placeholder="0x…", id="wf-address", compact=True)

    def on_mount(self) -> None:
        from og_tui.core.alpha import WorkflowBook
        from og_tui.core.workflow_models import workflow_models

        ctx = self.app.ctx
        self.known: list[tuple[str, str]] = []
        try:
            for row in WorkflowBook(ctx.settings.data_dir).list(ctx.profile.name):
                self.known.append((str(row.get("address")), str(row.get("title") or row.get("name") or "my workflow")))
        except Exception:  # noqa: BLE001 - an unreadable book just lists the public ones
            _log.debug("an unreadable book just lists the public ones", exc_info=True)
        for model in workflow_models(ctx.profile):
            self.known.append((model.address, model.title))
        listing = self.query_one("#wf-known", OptionList)
        listing.add_options(
            [
                Option(Content.from_markup("$t [dim]$a[/]", t=title, a=address), id=f"w{i}")
                for i, (address, title) in enumerate(self.known)
            ]
        )
        if self.known:
            listing.highlighted = 0

    @on(OptionList.OptionSelected, "#wf-known")
    def _known_selected(self, event: OptionList.OptionSelected) -> None:
        address, _title = self.known[event.option_index]
        self.query_one("#wf-address", Input).value = address
        self._submit()

    def collect(self) -> None:
        from og_tui.core.alpha_abi import _addr
        from og_tui.core.errors import ValidationError

        text = self.query_one("#wf-address", Input).value.strip()
        if not text:
            raise ValueError(
                "Pick a workflow from the list or type its contract address (0x followed by 40 hex digits)."
            )
        try:
            address = _addr(text)
        except ValidationError as exc:
            field = self.query_one("#wf-address", Input)
            field.focus()
            raise ValueError(str(exc)) from None
        self.show_error("Checking the address on chain…")
        self.query_one("#ok", Button).disabled = True
        self._check(address)
        return None

    @work(thread=True, exclusive=True, group="wf-check", exit_on_error=False, description="check workflow")
    def _check(self, address: str) -> None:
        from og_tui.core.alpha import AlphaClient
        from og_tui.core.errors import OGError, user_message

        try:
            address = AlphaClient(self.app.ctx.chain).require_workflow(address)
        except OGError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self._failed, f"Could not check {address}: {user_message(exc).text}")
            return
        title = next((t for a, t in self.known if a.lower() == address.lower()), address)
        self.app.call_from_thread(self.dismiss, {"address": address, "title": title})

    def _failed(self, text: str) -> None:
        self.show_error(text)
        self.query_one("#ok", Button).disabled = False
        field = self.query_one("#wf-address", Input)
        field.focus()
        field.select_all()


class ToolConfirmDialog(Dialog):
    """Before a tool runs on chain: what, with which arguments, for about how much gas.

    Returns ``{"run": True, "always": bool}`` (Run) or None (Skip: the model is told so)."""

    OK_LABEL = "Run"
    CSS_PATH = "chat.tcss"
    DEFAULT_CLASSES = "dialog-screen og-tools-dialog"
    BINDINGS = [
        Binding(
            "escape", "cancel", "Skip", id="dialog.cancel", tooltip="Do not run it; the model is told you declined"
        ),
        Binding("ctrl+s", "save", "Run", id="toolconfirm.run", tooltip="Run the tool"),
    ]

    def __init__(
        self, tool: dict[str, Any], args: dict[str, Any], estimate: dict[str, Any], wallet: str | None
    ) -> None:
        super().__init__()
        self.tool = tool
        self.args = args
        self.estimate = estimate
        self.wallet = wallet
        what = "Run" if tool.get("kind") == "model" else "Read"
        self.TITLE_TEXT = f"{what} {tool.get('label') or tool.get('name')}?"

    def compose_fields(self) -> ComposeResult:
        tool = self.tool
        if tool.get("kind") == "model":
            yield Static(
                Content.from_markup(
                    "The model asked to run [b]$name[/]: an inference transaction ([b]$mode[/]) on model $cid.",
                    name=tool.get("name"),
                    mode=tool.get("mode_name") or "VANILLA",
                    cid=tool.get("model_cid") or "",
                ),
                classes="dialog-line",
            )
        else:
            yield Static(
                Content.from_markup("The model asked to call [b]$name[/].", name=tool.get("name")),
                classes="dialog-line",
            )
        yield Label("Arguments")
        text = json.dumps(self.args, ensure_ascii=False)
        if len(text) > 600:
            text = text[:600] + f"… ({len(text):,} characters)"
        yield Static(text, markup=False, classes="dialog-line tool-args")
        estimate = self.estimate or {}
        if estimate.get("error"):
            cost = Content.from_markup("[$error]$e[/]", e=str(estimate["error"]))
        else:
            cost = Content.from_markup("Cost: [b]$t[/]", t=str(estimate.get("text") or "unknown"))
        yield Static(cost, classes="dialog-line")
        if self.wallet:
            yield Static(Content.from_markup("Paid by [dim]$w[/]", w=self.wallet), classes="dialog-line")
        yield MarkedCheckbox("Don't ask again for this tool in this conversation", id="always", compact=True)

    def on_mount(self) -> None:
        self.query_one("#ok", Button).label = "Run"
        self.query_one("#cancel", Button).label = "Skip"
        self.query_one("#ok", Button).focus()

    def action_save(self) -> None:
        self._submit()

    def collect(self) -> dict[str, Any]:
        return {"run": True, "always": bool(self.query_one("#always", Checkbox).value)}
