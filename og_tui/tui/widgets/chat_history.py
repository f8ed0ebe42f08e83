"""Widgets for a conversation's stored messages (what the Chat screen's message view mounts as they come into view)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from og_tui.tui.widgets.agent_view import AgentReplyMessage
from og_tui.tui.widgets.chat_items import ToolResultItem, UserMessage
from og_tui.tui.widgets.chat_rows import StoredItem
from og_tui.tui.widgets.chat_view import AssistantMessage

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.chat_store import ChatMessage
    from og_tui.core.profiles import Profile

__all__ = ["reply_label", "stored_items"]


def reply_label(meta: dict) -> str:
    """The name over a reply: model, mode, completion."""
    model = meta.get("model") or "Assistant"
    mode = meta.get("mode")
    kind = " · completion" if meta.get("kind") == "completion" else ""
    return f"{model}{' · ' + mode if mode else ''}{kind}"


def stored_items(rows: list["ChatMessage"], profile: "Profile") -> list[StoredItem]:
    """The rows the message view shows (each makes its widget when it comes into view);
    tool results are shown inside their call's card."""
    results = {r.tool_call_id: r.content or "" for r in rows if r.role == "tool" and r.tool_call_id}
    card_ids = {str(tc.get("id") or "") for r in rows if r.role == "assistant" for tc in r.tool_calls}
    out: list[StoredItem] = []
    for r in rows:
        if r.role in ("user", "system"):
            completion = r.role == "user" and r.meta.get("kind") == "completion"
            make = partial(UserMessage, r.content or "", r.id, completion=completion)
            out.append(StoredItem(r.id, r.role, r.content or "", make, row=r))
        elif r.role == "assistant":
            extra = sum(4 + str(tc).count("\n") for tc in r.tool_calls) + 2 * len(r.meta.get("agent_calls") or {})
            out.append(
                StoredItem(r.id, "assistant", r.content or "", partial(_reply, r, results, profile), extra, row=r)
            )
        elif r.role == "tool" and r.tool_call_id not in card_ids:
            make = partial(ToolResultItem, r.content or "", r.tool_call_id, r.id)
            out.append(StoredItem(r.id, "tool", r.content or "", make, row=r))
    return out


def _reply(r: "ChatMessage", results: dict, profile: "Profile") -> Any:
    """A stored reply's widget (with its meta as it is now: a settlement may have changed it)."""
    # a round of a reply with OpenGradient tools gets their cards
    agent = r.meta.get("kind") == "agent" or "agent_calls" in r.meta
    kind, extra = (
        (AgentReplyMessage, {"calls": r.meta.get("agent_calls") or {}, "native_symbol": profile.native_symbol})
        if agent
        else (AssistantMessage, {})
    )
    return kind(
        r.content or "",
        r.id,
        meta=r.meta,
        tool_calls=r.tool_calls,
        results=results,
        label=reply_label(r.meta) + (" · tools" if agent else ""),
        decimals=profile.payment_token_decimals,
        symbol=profile.payment_token_symbol,
        **extra,
    )
