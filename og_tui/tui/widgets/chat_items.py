"""The Chat screen's message widgets other than the streaming reply, and the reply footer's line.

:class:`ChatItem` (one entry of the conversation, selectable), :class:`UserMessage`,
:class:`ToolResultItem`, the :class:`ToolCallCard` of a tool call (with
:func:`tool_call_parts`, what a card shows of a call) and :func:`meta_line`, the line under
a reply (tokens, cost, payment, settlement). The reply itself,
:class:`~og_tui.tui.widgets.chat_view.AssistantMessage`, is in ``chat_view``. Nothing here
does I/O.
"""

from __future__ import annotations

import json
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from og_tui.tui.format import fmt_units, short_hash
from og_tui.tui.payment_text import reply_payment

__all__ = ["ChatItem", "ToolCallCard", "ToolResultItem", "UserMessage", "meta_line", "tool_call_parts"]


def tool_call_parts(call: dict) -> tuple[str, str, str, str | None]:
    """(id, name, arguments shown, error) of an OpenAI-shaped or flat tool call."""
    from og_tui.core.errors import OGError
    from og_tui.core.llm import parse_tool_arguments

    fn = call.get("function") if isinstance(call.get("function"), dict) else call
    name = str(fn.get("name") or "?")
    raw = fn.get("arguments", "")
    try:
        args = parse_tool_arguments(call)
    except OGError as exc:
        return str(call.get("id") or ""), name, str(raw), str(exc)
    return str(call.get("id") or ""), name, json.dumps(args, indent=2, ensure_ascii=False), None


def meta_line(meta: dict[str, Any], decimals: int = 6, symbol: str = "OUSDC") -> Content:
    """The line under a reply: tokens, tokens/s, cost with its token, x402 scheme and settlement
    mode, payment or tx hash, backend, markers. ``meta["payment_token_symbol"]`` /
    ``["payment_token_decimals"]``, ``["x402_version"]`` and ``["x402_scheme"]`` are used when a
    reply names them (otherwise the profile's token and v1 "exact")."""
    parts: list[Content] = []
    tokens = int(meta.get("completion_tokens") or 0)
    parts.append(Content(f"{tokens} tok"))
    tps = meta.get("tokens_per_s")
    if tps:
        parts.append(Content(f"{float(tps):.0f} tok/s"))
    if meta.get("mode") == "VANILLA":
        if meta.get("transaction_hash"):
            parts.append(Content.from_markup("tx $h", h=short_hash(meta["transaction_hash"], 8, 4)))
        if meta.get("gas_fee_wei"):
            parts.append(Content(f"gas {fmt_units(int(meta['gas_fee_wei']), 18, 6)} OG"))
    elif paid := reply_payment(meta):  # x402 v2: token, scheme, settlement mode and where it stands
        parts.append(Content(paid))
    else:
        # the payment: token, x402 scheme and settlement mode (a v2 payment names its own token)
        cost = meta.get("cost")
        paid = cost not in (None, "", "0", 0)
        if paid:
            decimals = int(meta.get("payment_token_decimals") or decimals)
            symbol = str(meta.get("payment_token_symbol") or symbol)
            parts.append(Content(f"{fmt_units(int(cost), decimals, 6)} {symbol}"))
        if paid or meta.get("payment_hash"):
            version = meta.get("x402_version")
            generation = f"x402 v{version}" if version not in (None, "", 1, "1") else "x402"
            parts.append(Content(f"{generation} {meta.get('x402_scheme') or 'exact'}"))
        if meta.get("settlement_mode"):
            status = meta.get("settlement_status")
            parts.append(Content(f"{meta['settlement_mode']}{' ' + status if status else ''}"))
        if meta.get("settlement_tx"):
            parts.append(Content(f"tx {short_hash(meta['settlement_tx'], 8, 4)}"))
        if meta.get("payment_hash"):
            parts.append(Content(f"pay {short_hash(meta['payment_hash'], 8, 4)}"))
    if meta.get("backend"):
        parts.append(Content(str(meta["backend"])))
    line = Content(" · ").join(parts).stylize("$text-muted")
    if meta.get("interrupted"):
        line = Content.assemble(("⚠ interrupted", "bold $warning"), " · ctrl+r retry · ", line)
    elif meta.get("stopped"):
        line = Content.assemble(("■ stopped", "bold $warning"), " · ", line)
    return line


class ChatItem(Vertical):
    """One entry of the conversation. ``message_id`` is its row in the chat store."""

    DEFAULT_CLASSES = "chat-item"

    class Selected(Message):
        def __init__(self, item: "ChatItem") -> None:
            super().__init__()
            self.item = item

    def __init__(self, message_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message_id = message_id

    def copy_text(self) -> str:  # pragma: no cover - overridden
        return ""

    def on_click(self) -> None:
        self.post_message(self.Selected(self))


class UserMessage(ChatItem):
    DEFAULT_CLASSES = "chat-item user-message"

    def __init__(self, text: str, message_id: int | None = None, *, completion: bool = False) -> None:
        super().__init__(message_id)
        self.text = text
        self.completion = completion

    def compose(self) -> ComposeResult:
        yield Static("Prompt" if self.completion else "You", classes="chat-who")
        yield Static(self.text, markup=False, classes="user-text")

    def copy_text(self) -> str:
        return self.text


class ToolResultItem(ChatItem):
    """A tool result the user supplied (when shown apart from its card)."""

    DEFAULT_CLASSES = "chat-item tool-result"

    def __init__(self, text: str, tool_call_id: str | None, message_id: int | None = None) -> None:
        super().__init__(message_id)
        self.text = text
        self.tool_call_id = tool_call_id

    def compose(self) -> ComposeResult:
        yield Static(Content.from_markup("[b]tool result[/] $id", id=self.tool_call_id or ""), classes="chat-who")
        yield Static(self.text, markup=False, classes="tool-result-text")

    def copy_text(self) -> str:
        return self.text


class ToolCallCard(Vertical):
    """A tool call: name, arguments (or why they do not parse) and the user's result."""

    DEFAULT_CLASSES = "tool-card"

    class ResultWanted(Message):
        def __init__(self, card: "ToolCallCard") -> None:
            super().__init__()
            self.card = card

    def __init__(self, call: dict, result: str | None = None) -> None:
        super().__init__()
        self.call = call
        self.call_id, self.tool_name, self.args_text, self.error = tool_call_parts(call)
        self.result = result

    def compose(self) -> ComposeResult:
        yield Static(
            Content.from_markup("[b]⚙ tool call[/] [b $accent]$name[/]", name=self.tool_name), classes="tool-name"
        )
        yield Static(self.args_text or "{}", markup=False, classes="tool-args")
        if self.error:
            yield Static(self.error, markup=False, classes="tool-error")
        with Horizontal(classes="tool-result-row"):
            yield Static("", classes="tool-result")
            yield Button("Result…", id="tool-result-btn", compact=True)

    def on_mount(self) -> None:
        self._show_result()

    def _show_result(self) -> None:
        label = self.query_one(".tool-result", Static)
        button = self.query_one(Button)
        if self.result is None:
            label.update(
                Content.from_markup("[$warning]waiting for your result[/] · type it in the prompt, or press Result…")
            )
            button.display = True
        else:
            label.update(Content.assemble(("result: ", "bold"), self.result))
            button.display = False

    def set_result(self, text: str) -> None:
        self.result = text
        if self.is_mounted:
            self._show_result()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.ResultWanted(self))
