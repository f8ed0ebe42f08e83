"""Widgets of a chat reply that used OpenGradient tools: each tool call as a card that
follows it through confirm -> transaction -> result, live and when the conversation is
opened again. Nothing here does I/O.

A card's state is one plain dict (``info``), the same live and stored (it is kept in the
assistant message's ``meta["agent_calls"][call_id]``)::

    {"name", "label", "tool_kind": "model" | "workflow" | None, "mode",
     "state": "pending" | "confirm" | "running" | "sent" | "done" | "error",
     "estimate": {...} | None, "approved": bool | None,
     "tx", "block", "gas_used", "fee_wei", "result", "error", "elapsed_s"}
"""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from og_tui.tui.format import fmt_units
from og_tui.tui.widgets.chat_items import tool_call_parts
from og_tui.tui.widgets.chat_view import AssistantMessage

__all__ = ["AgentToolCard", "AgentReplyMessage", "apply_event", "status_lines"]

RESULT_LINES = 12  # a long tool result is cut to this many lines on screen (stored whole)


def apply_event(info: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """``info`` updated by one agent event about its call (``tool_call``, ``confirm``,
    ``tx_sent``, ``tx``, ``tool_result``, ``tool_error``)."""
    kind = event.get("kind")
    if kind == "tool_call":
        info.update(name=event.get("name"), tool_kind=event.get("tool_kind"), state="running")
    elif kind == "confirm_wait":
        info.update(state="confirm", estimate=event.get("estimate"))
    elif kind == "confirm":
        info.update(
            estimate=event.get("estimate"),
            approved=bool(event.get("approved")),
            state="running" if event.get("approved") else info.get("state", "running"),
        )
    elif kind == "tx_sent":
        info.update(state="sent", tx=event.get("hash"))
    elif kind == "tx":
        info.update(
            tx=event.get("hash"), block=event.get("block"), gas_used=event.get("gas_used"), fee_wei=event.get("fee_wei")
        )
    elif kind == "tool_result":
        info.update(state="done", result=event.get("content"), elapsed_s=event.get("elapsed_s"))
    elif kind == "tool_error":
        info.update(state="error", error=event.get("error"), result=event.get("content"))
    return info


def _estimate_text(estimate: dict[str, Any] | None) -> str:
    if not estimate:
        return ""
    return str(estimate.get("text") or estimate.get("error") or "")


def status_lines(info: dict[str, Any], symbol: str = "OG") -> list[Content]:
    """What a card says about its call, one Content per line."""
    lines: list[Content] = []
    state = info.get("state") or "pending"
    approved = info.get("approved")
    estimate = _estimate_text(info.get("estimate"))
    if state == "confirm":
        lines.append(Content.from_markup("[b $warning]waiting for your confirmation[/] · $e", e=estimate))
    elif approved is True:
        lines.append(Content.from_markup("[$success]✓ confirmed[/] · $e", e=estimate))
    elif approved is False:
        lines.append(Content.from_markup("[$warning]✗ declined[/] · not run"))
    tx = info.get("tx")
    if tx:
        lines.append(Content.from_markup("tx [b]$tx[/]", tx=str(tx)))
        if info.get("block") is not None:
            parts = [f"block {int(info['block']):,}"]
            if info.get("gas_used") is not None:
                parts.append(f"gas {int(info['gas_used']):,}")
            if info.get("fee_wei") not in (None, ""):
                parts.append(f"fee {fmt_units(int(info['fee_wei']), 18, 6)} {symbol}")
            lines.append(Content.from_markup("[$success]mined[/] · $p", p=" · ".join(parts)))
        elif state == "sent":
            lines.append(Content.styled("sent · waiting for its block…", "italic $text-muted"))
    elif state == "running":
        what = "reading the workflow…" if info.get("tool_kind") == "workflow" else "running…"
        lines.append(Content.styled(what, "italic $text-muted"))
    elif state == "pending":
        lines.append(Content.styled("waiting…", "italic $text-muted"))
    return lines


def _cut(text: str, limit: int = RESULT_LINES) -> str:
    rows = text.splitlines()
    if len(rows) <= limit:
        return text
    return "\n".join(rows[:limit] + [f"… {len(rows) - limit} more lines (f8 copies the whole reply)"])


class AgentToolCard(Vertical):
    """One tool call the app ran for the model: arguments, confirm, transaction, result."""

    DEFAULT_CLASSES = "tool-card agent-card"

    def __init__(self, call: dict, info: dict[str, Any] | None = None, symbol: str = "OG") -> None:
        super().__init__()
        self.call = call
        self.call_id, self.tool_name, self.args_text, self.parse_error = tool_call_parts(call)
        if self.parse_error is None:
            # one wrapped line, not one line per number
            self.args_text = json.dumps(json.loads(self.args_text), ensure_ascii=False)
        # shared with the reply's ``calls`` (what gets stored), not a copy
        self.info: dict[str, Any] = info if info is not None else {}
        self.info.setdefault("state", "pending")
        self.symbol = symbol

    def compose(self) -> ComposeResult:
        yield Static("", classes="tool-name")
        yield Static(self.args_text or "{}", markup=False, classes="tool-args")
        yield Static("", classes="agent-status")
        yield Static("", classes="tool-result")

    def on_mount(self) -> None:
        self.refresh_info()

    def update_info(self, event: dict[str, Any]) -> None:
        apply_event(self.info, event)
        if self.is_mounted:
            self.refresh_info()

    def refresh_info(self) -> None:
        info = self.info
        what = {"model": "OpenGradient model", "workflow": "OpenGradient workflow"}.get(
            str(info.get("tool_kind")), "tool"
        )
        label = info.get("label") or ""
        mode = f" · {info['mode']}" if info.get("tool_kind") == "model" and info.get("mode") else ""
        self.query_one(".tool-name", Static).update(
            Content.from_markup(
                "[b]⚙ $what[/] [b $accent]$name[/] [dim]$label$mode[/]",
                what=what,
                name=self.tool_name,
                label=label,
                mode=mode,
            )
        )
        status = self.query_one(".agent-status", Static)
        lines = status_lines(info, self.symbol)
        status.update(Content("\n").join(lines))
        status.display = bool(lines)
        result = self.query_one(".tool-result", Static)
        self.set_class(info.get("state") == "error", "-error")
        if info.get("state") == "error":
            result.update(
                Content.assemble(
                    ("⚠ ", "bold $error"),
                    (str(info.get("error") or "failed"), "$error"),
                    ("\n(sent back to the model as the tool result)", "italic $text-muted"),
                )
            )
        elif info.get("result") is not None:
            elapsed = info.get("elapsed_s")
            took = f" ({float(elapsed):.2f} s)" if elapsed else ""
            result.update(Content.assemble(("result" + took + ": ", "bold"), _cut(str(info["result"]))))
        else:
            result.update("")
        result.display = bool(result.visual)

    def copy_text(self) -> str:
        return f"{self.tool_name}({self.args_text}) -> {self.info.get('result') or self.info.get('error') or ''}"


class AgentReplyMessage(AssistantMessage):
    """One round of a reply that may call OpenGradient tools (the app runs them)."""

    DEFAULT_CLASSES = "chat-item assistant-message agent-message"

    def __init__(
        self, *args: Any, calls: dict[str, dict[str, Any]] | None = None, native_symbol: str = "OG", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.calls: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (calls or {}).items()}
        self.native_symbol = native_symbol

    def on_mount(self) -> None:
        # (AssistantMessage.on_mount runs too)
        agent = self.meta.get("agent") or {}
        if agent.get("stopped"):
            self.show_stopped(str(agent.get("error") or "Stopped."))

    def make_card(self, call: dict) -> AgentToolCard:
        call_id = str(call.get("id") or "")
        info = self.calls.setdefault(call_id, {})
        return AgentToolCard(call, info, symbol=self.native_symbol)

    def agent_cards(self) -> list[AgentToolCard]:
        return list(self.query(AgentToolCard))

    def card_for(self, call_id: str) -> AgentToolCard | None:
        for card in self.agent_cards():
            if card.call_id == call_id:
                return card
        return None

    def show_stopped(self, text: str) -> None:
        """The loop stopped early (limit, spend cap, Stop, error): say so under this round."""
        line = Content.assemble(("■ ", "bold $warning"), (text, "$warning"))
        self.when_ready(lambda: self.error_line(line))

    def copy_text(self) -> str:
        parts = [super().copy_text()]
        parts += [card.copy_text() for card in self.agent_cards()]
        return "\n".join(p for p in parts if p)
