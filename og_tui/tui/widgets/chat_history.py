"""Widgets for a conversation's stored messages (what the Chat screen mounts, page by page)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from og_tui.tui.widgets.agent_view import AgentReplyMessage
from og_tui.tui.widgets.chat_view import AssistantMessage, ToolResultItem, UserMessage

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.chat_store import ChatMessage
    from og_tui.core.config import Profile

__all__ = ["reply_label", "stored_widgets"]


def reply_label(meta: dict) -> str:
    """The name over a reply: model, mode, completion."""
    model = meta.get("model") or "Assistant"
    mode = meta.get("mode")
    kind = " · completion" if meta.get("kind") == "completion" else ""
    return f"{model}{' · ' + mode if mode else ''}{kind}"


def stored_widgets(rows: list["ChatMessage"], profile: "Profile") -> list[Any]:
    """Widgets for stored messages; tool results are shown inside their call's card."""
    results = {r.tool_call_id: r.content or "" for r in rows if r.role == "tool" and r.tool_call_id}
    card_ids = {str(tc.get("id") or "") for r in rows if r.role == "assistant" for tc in r.tool_calls}
    out: list[Any] = []
    for r in rows:
        if r.role == "user":
            out.append(UserMessage(r.content or "", r.id, completion=r.meta.get("kind") == "completion"))
        elif r.role == "assistant":
            # a round of a reply with OpenGradient tools gets their cards
            agent = r.meta.get("kind") == "agent" or "agent_calls" in r.meta
            kind, extra = (
                (AgentReplyMessage, {"calls": r.meta.get("agent_calls") or {}, "native_symbol": profile.native_symbol})
                if agent
                else (AssistantMessage, {})
            )
            out.append(
                kind(
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
            )
        elif r.role == "tool" and r.tool_call_id not in card_ids:
            out.append(ToolResultItem(r.content or "", r.tool_call_id, r.id))
        elif r.role == "system":
            out.append(UserMessage(r.content or "", r.id))
    return out
