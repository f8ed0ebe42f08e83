"""The Chat screen's OpenGradient tools: Hub models and workflows the LLM may call.

The tools of a conversation live in its ``params["og_tools"]`` (the entry format is in
:mod:`og_tui.tui.screens.chat_agent_dialogs`). When a conversation has some, a reply is made by
:func:`og_tui.core.agent.run_agent` in a thread worker instead of one LLM call:

- every agent event is posted as ``ChatScreen.AgentStep`` (stream deltas
  as ``ChatScreen.Chunk``, bursts coalesced); the handlers below grow the reply on screen: one
  :class:`~og_tui.tui.widgets.agent_view.AgentReplyMessage` per LLM round, one card per
  tool call following it through confirm -> transaction -> result;
- a tool whose "ask" switch is on waits for :class:`ToolConfirmDialog` (the worker
  blocks on an Event; Stop dismisses it);
- ``ChatScreen.AgentDone`` stores the new messages (assistant tool
  calls, tool results, the answer) with each round's cards in ``meta["agent_calls"]``
  and the whole trace in the last one's ``meta["agent"]``, so a reopened conversation
  shows the same thing and later turns send valid history.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import work

from og_tui.tui import messages as m
from og_tui.tui.widgets.agent_view import AgentReplyMessage, apply_event

_log = logging.getLogger(__name__)

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.tui.screens.chat import ChatScreen
    from og_tui.tui.screens.chat_reply import _Reply

__all__ = ["ChatAgent", "AGENT_FLUSH_S"]

AGENT_FLUSH_S = 0.012  # coalesce stream deltas closer together than this


class ChatAgent:
    """Mixed into :class:`~og_tui.tui.screens.chat.ChatScreen` (naming-convention handlers)."""

    _draft_og_tools: list[dict[str, Any]] = []

    # --- the tools of the conversation ---------------------------------------------------------
    def og_tools(self) -> list[dict[str, Any]]:
        conv = self.conv
        if conv is not None:
            return [dict(e) for e in (conv.params or {}).get("og_tools") or []]
        return [dict(e) for e in self._draft_og_tools]

    def save_og_tools(self, entries: list[dict[str, Any]]) -> None:
        """The OpenGradient tools the model may call in this conversation (or the next one)."""
        if self.conv is not None:
            params = dict(self.conv.params or {})
            params["og_tools"] = entries
            self.conv = replace(self.conv, params=params)
            self.save_conversation(params=params, touch=False)
        else:
            self._draft_og_tools = entries
        self._show_og_tools()
        self._show_status()

    def _show_og_tools(self) -> None:
        entries = self.og_tools()
        label = f"OpenGradient tools… ({len(entries)})" if entries else "OpenGradient tools… (none)"
        self.params_pane.show_og_tools(label)

    def action_og_tools(self) -> None:
        from og_tui.tui.screens.chat_agent_dialogs import OGToolsDialog, tool_display_name

        json_tools = len(self.conv.tools or []) if self.conv is not None else len(getattr(self, "_draft_tools", []))

        def done(entries: list[dict[str, Any]] | None) -> None:
            self.prompt.focus()
            if entries is None:
                return
            self.save_og_tools(entries)
            if entries:
                names = ", ".join(tool_display_name(e) for e in entries)
                self.notify(f"The model may call: {names}", title="OpenGradient tools")
            else:
                self.notify("No OpenGradient tools attached", title="OpenGradient tools")

        self.app.push_screen(OGToolsDialog(self.og_tools(), json_tools=json_tools), done)

    def _set_tool_auto(self, conversation_id: int, tool: dict[str, Any]) -> None:
        """ "Don't ask again" in the confirm dialog: switch the tool's ask off in its conversation."""
        current = self.conv if self.conv is not None and self.conv.id == conversation_id else None

        def save(store: Any) -> Any:
            conv = current or store.get_conversation(conversation_id)
            if conv is None:
                return None
            params = dict(conv.params or {})
            entries = [dict(e) for e in params.get("og_tools") or []]
            for e in entries:
                same = (e.get("kind") == "model" and e.get("cid") == tool.get("model_cid")) or (
                    e.get("kind") == "workflow"
                    and str(e.get("address", "")).lower() == str(tool.get("workflow_address") or "").lower()
                )
                if same:
                    e["confirm"] = False
            params["og_tools"] = entries
            return store.update_conversation(conversation_id, params=params, touch=False)

        def saved(updated: Any) -> None:
            if self.conv is not None and self.conv.id == conversation_id and updated is not None:
                self.conv = updated
                self._show_og_tools()

        self.in_store(save, saved)

    # --- starting a reply ---------------------------------------------------------------------
    def _new_round_widget(self, reply: "_Reply") -> AgentReplyMessage:
        profile = self.app.ctx.profile
        meta = {"model": reply.request["model"], "mode": reply.request["mode"], "kind": "agent"}
        return AgentReplyMessage(
            "",
            None,
            meta=meta,
            label=self._label(meta) + " · tools",
            streaming=True,
            decimals=profile.payment_token_decimals,
            symbol=profile.payment_token_symbol,
            native_symbol=profile.native_symbol,
        )

    def _start_agent(self, reply: "_Reply") -> None:
        reply.agent = {"widgets": [reply.widget], "calls": {}, "tools": {}, "dialog": None}
        self._agent_worker(reply)

    @work(thread=True, exclusive=True, group="chat-reply", exit_on_error=False, description="chat reply with tools")
    def _agent_worker(self, reply: "_Reply") -> None:
        from og_tui.core.agent import DEFAULT_MAX_ROUNDS, AgentTools, run_agent
        from og_tui.tui.screens.chat_reply import _classify

        app = self.app
        req = reply.request
        post = self.post_message
        op_id = app.begin_op("LLM reply with tools")
        buf: list[str] = []
        state = {"last": 0.0, "call": None}
        pending: dict[str, str] = {}  # call id -> hash of its inference transaction, sent not mined

        def flush() -> None:
            if buf:
                post(self.Chunk(reply.id, "".join(buf)))
                buf.clear()

        def on_event(event: Any) -> None:
            if event.kind == "llm_delta":
                buf.append(event.data.get("content") or "")
                now = time.monotonic()
                if now - state["last"] >= AGENT_FLUSH_S:
                    flush()
                    state["last"] = now
                return
            flush()
            if event.kind == "tool_call":
                state["call"] = event.data.get("id")
            elif event.kind in ("tx_sent", "tx", "tool_error"):
                self._record_tx(event, pending, req.get("signer_address"))
            post(self.AgentStep(reply.id, event.as_dict()))

        def confirm(tool: Any, args: dict, estimate: dict) -> bool:
            if estimate.get("error"):
                return True  # the arguments do not fit: the run fails before any transaction, the model is told why
            return self._confirm_from_worker(reply, tool, args, estimate, state["call"])

        try:
            signer = app.ctx.signer(req["signer_address"]) if req.get("signer_address") else None
            session = self.session
            client = session.client(signer)
            session.caps_for(app.ctx.profile).per_request = req["cap"]
            rows = session.store.messages(req["conversation_id"])
            history = [r.api() for r in rows if r.role in ("user", "assistant", "tool", "system")]
            tools = AgentTools(app.ctx.chain, signer, profile=app.ctx.profile)
            described: dict[str, dict[str, Any]] = {}
            for entry in req["og_tools"]:
                if entry.get("kind") == "workflow":
                    tool = tools.add_workflow(
                        entry["address"], title=entry.get("title"), confirm=bool(entry.get("confirm")), validate=False
                    )
                else:
                    tool = tools.add_model(
                        entry["cid"],
                        entry.get("signature"),
                        title=entry.get("title"),
                        mode=entry.get("mode") or "VANILLA",
                        confirm=bool(entry.get("confirm", True)),
                    )
                described[tool.name] = {
                    "label": tool.label,
                    "tool_kind": tool.kind,
                    "mode": (entry.get("mode") or "VANILLA") if tool.kind == "model" else None,
                }
            post(self.AgentStep(reply.id, {"kind": "tools", "round": 0, "tools": described}))
            result = run_agent(
                client,
                req["model"],
                history,
                tools,
                mode=req["mode"],
                max_rounds=DEFAULT_MAX_ROUNDS,
                confirm=confirm,
                on_event=on_event,
                max_tokens=req["max_tokens"],
                temperature=req["temperature"],
                stream=True,
                cancel=reply.cancel,
                settlement=req["settlement"],
                stop=req["stop"] or None,
                extra_body=req.get("extra_body"),
            )
            flush()
            info = {
                "stopped": result.stopped,
                "error": result.error,
                "rounds": result.rounds,
                "tool_rounds": result.tool_rounds,
                "tx_hashes": result.tx_hashes,
                "llm_tx_hashes": result.llm_tx_hashes,
                "timings": {k: round(v, 4) for k, v in result.timings.items()},
                "trace": result.trace_dicts(),
            }
            post(self.AgentDone(reply.id, result.messages[len(history) :], info))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            flush()
            kind, text, hint, extra = _classify(exc)
            post(self.Failed(reply.id, kind, text, hint, **extra))
        finally:
            app.end_op(op_id)

    def _record_tx(self, event: Any, pending: dict[str, str], address: str | None) -> None:
        """A tool's inference transaction goes to the Activity list (from the worker)."""
        app = self.app
        store = app.ctx.store
        profile = app.ctx.profile
        data = event.data
        call_id = str(data.get("id") or "")
        try:
            if event.kind == "tx_sent" and data.get("hash"):
                pending[call_id] = data["hash"]
                store.add_tx(
                    hash=data["hash"],
                    kind="inference",
                    status="pending",
                    from_addr=address,
                    to_addr=profile.inference_contract,
                    profile=profile.name,
                    created_at=time.time(),
                    detail={"tool": data.get("name"), "via": "chat"},
                )
                app.post_message(m.TxSubmitted(data["hash"], "inference", f"Chat tool {data.get('name')}"))
            elif event.kind == "tx" and data.get("hash"):
                pending.pop(call_id, None)
                store.update_tx(
                    data["hash"], status="confirmed", gas_used=data.get("gas_used"), block=data.get("block")
                )
                app.post_message(
                    m.TxConfirmed(data["hash"], "inference", "confirmed", data.get("gas_used"), data.get("block"))
                )
            elif event.kind == "tool_error" and call_id in pending:
                tx_hash = pending.pop(call_id)
                store.update_tx(tx_hash, status="failed", error=str(data.get("error") or "failed"))
                app.post_message(m.TxConfirmed(tx_hash, "inference", "failed", None, None))
        except Exception:  # noqa: BLE001 - the activity list is a bonus, the reply goes on
            _log.debug("the activity list is a bonus, the reply goes on", exc_info=True)

    def _confirm_from_worker(self, reply: "_Reply", tool: Any, args: dict, estimate: dict, call_id: str | None) -> bool:
        """Ask the user (a dialog on the UI thread) and wait; Stop answers "no"."""
        from og_tui.tui.screens.chat_agent_dialogs import ToolConfirmDialog

        app = self.app
        done = threading.Event()
        answer: dict[str, Any] = {}
        from og_tui.core.types import InferenceMode

        described = {
            "name": tool.name,
            "label": tool.label,
            "kind": tool.kind,
            "model_cid": tool.model_cid,
            "workflow_address": tool.workflow_address,
            "mode_name": InferenceMode(tool.mode).name,
        }
        if call_id:
            self.post_message(self.AgentStep(reply.id, {"kind": "confirm_wait", "id": call_id, "estimate": estimate}))

        def ask() -> None:
            def answered(result: dict[str, Any] | None) -> None:
                reply.agent["dialog"] = None
                answer["result"] = result
                done.set()
                if self.is_attached:
                    self._show_status()

            dialog = ToolConfirmDialog(described, args, estimate, req_address)
            reply.agent["dialog"] = dialog
            app.push_screen(dialog, answered)
            self._show_status()

        req_address = reply.request.get("signer_address")
        try:
            app.call_from_thread(ask)
        except Exception:  # noqa: BLE001 - the app is closing
            return False
        while not done.wait(0.1):
            if reply.cancel.is_set():
                try:
                    app.call_from_thread(self._dismiss_confirm, reply)
                except Exception:  # noqa: BLE001
                    return False
                done.wait(2.0)
                return False
        result = answer.get("result")
        if result and result.get("always"):
            tool.confirm = False  # this run: later calls of the tool go ahead
            try:
                app.call_from_thread(self._set_tool_auto, reply.conversation_id, described)
            except Exception:  # noqa: BLE001
                _log.debug("could not save the tool as auto for this conversation", exc_info=True)
        return bool(result and result.get("run"))

    def _dismiss_confirm(self, reply: "_Reply") -> None:
        dialog = (reply.agent or {}).get("dialog")
        if dialog is not None and dialog.is_attached:
            dialog.dismiss(None)

    # --- events ---------------------------------------------------------------------------------
    def on_chat_screen_agent_step(self, event: "ChatScreen.AgentStep") -> None:
        reply = self._replies.get(event.reply_id)
        if reply is None or reply.agent is None:
            return
        agent = reply.agent
        data = event.event
        kind = event.kind
        if kind == "tools":
            agent["tools"] = dict(data.get("tools") or {})
        elif kind == "llm_call":
            if int(data.get("round") or 1) > 1:
                widget = self._new_round_widget(reply)
                agent["widgets"].append(widget)
                reply.widget = widget
                self.log_view.mount(widget)
                self.log_view.anchor()
        elif kind == "llm_reply":
            widget = reply.widget
            calls = list(data.get("tool_calls") or [])
            meta = dict(data.get("meta") or {})
            meta.update(model=reply.request["model"], mode=reply.request["mode"], kind="agent")
            if not calls:
                if isinstance(widget, AgentReplyMessage):
                    widget.meta = meta
                return
            if isinstance(widget, AgentReplyMessage):
                for call in calls:
                    call_id = str(call.get("id") or "")
                    name = str((call.get("function") or {}).get("name") or "")
                    info = widget.calls.setdefault(call_id, {})
                    info.update({"name": name, "state": "pending", **agent["tools"].get(name, {})})
                    agent["calls"][call_id] = widget
                widget.finish(str(data.get("content") or ""), meta, calls, None)
        elif kind in ("tool_call", "confirm_wait", "confirm", "tx_sent", "tx", "tool_result", "tool_error"):
            call_id = str(data.get("id") or "")
            widget = agent["calls"].get(call_id)
            if widget is None:
                return
            apply_event(widget.calls.setdefault(call_id, {}), data)
            card = widget.card_for(call_id)
            if card is not None and card.is_mounted:
                card.refresh_info()
        self._show_status()

    def on_chat_screen_agent_done(self, event: "ChatScreen.AgentDone") -> None:
        reply = self._replies.pop(event.reply_id, None)
        if reply is None or reply.agent is None:
            return
        if self._reply is reply:
            self._reply = None
        agent = reply.agent
        info = dict(event.info)
        widgets: list[AgentReplyMessage] = [w for w in agent["widgets"] if isinstance(w, AgentReplyMessage)]
        # what to store, worked out here (the widgets' metadata); written by a store job
        plan: list[tuple[AgentReplyMessage | None, dict[str, Any]]] = []
        assistant_index = 0
        for msg in event.messages:
            role = msg.get("role")
            if role == "assistant":
                widget = widgets[assistant_index] if assistant_index < len(widgets) else None
                assistant_index += 1
                meta = dict(widget.meta if widget is not None else {})
                if msg.get("tool_calls") and widget is not None:
                    meta["agent_calls"] = widget.calls
                plan.append(
                    (
                        widget,
                        {
                            "role": "assistant",
                            "content": msg.get("content") or "",
                            "tool_calls": msg.get("tool_calls") or None,
                            "meta": meta,
                        },
                    )
                )
            elif role == "tool":
                plan.append(
                    (
                        None,
                        {"role": "tool", "content": msg.get("content") or "", "tool_call_id": msg.get("tool_call_id")},
                    )
                )
        # a round cut short (Stop while it streamed, an LLM error): keep what it said
        for widget in widgets[assistant_index:]:
            if widget.streamed_text:
                plan.append(
                    (
                        widget,
                        {"role": "assistant", "content": widget.streamed_text, "meta": dict(widget.meta, stopped=True)},
                    )
                )
        conversation_id = reply.conversation_id

        def save(store: Any) -> list[tuple[AgentReplyMessage, Any, dict]]:
            stored: list[tuple[AgentReplyMessage, Any, dict]] = []
            for widget, fields in plan:
                fields = dict(fields)
                row = store.add_message(conversation_id, fields.pop("role"), fields.pop("content"), **fields)
                if widget is not None:
                    stored.append((widget, row, fields["meta"]))
            if stored:
                widget, row, meta = stored[-1]
                meta["agent"] = info
                store.update_message(row.id, meta=meta)
            return stored

        self.in_store(
            save,
            lambda stored: self._agent_saved(reply, widgets, info, stored),
            what="Could not save the reply",
            failed=lambda: self._agent_saved(reply, widgets, info, []),
        )

    def _agent_saved(
        self,
        reply: "_Reply",
        widgets: list[AgentReplyMessage],
        info: dict[str, Any],
        stored: list[tuple[AgentReplyMessage, Any, dict]],
    ) -> None:
        # the widgets: finish the ones still streaming, give each its row
        rows_by_widget = {id(w): (row, meta) for w, row, meta in stored}
        for widget in list(widgets):
            row, meta = rows_by_widget.get(id(widget), (None, widget.meta))
            if row is None and not widget.is_finished and not widget.streamed_text and len(widgets) > 1:
                widgets.remove(widget)  # a round that never said anything (stopped before it began)
                widget.remove()
                continue
            if not widget.is_finished:
                widget.finish(
                    row.content if row is not None else widget.streamed_text,
                    meta,
                    [],
                    row.id if row is not None else None,
                )
            if row is not None:
                widget.message_id = row.id
            widget.meta = meta
        last = widgets[-1] if widgets else reply.widget
        if info.get("stopped"):
            text = str(info.get("error") or "Stopped.")
            if not stored and isinstance(last, AgentReplyMessage):
                hint = None
                if info["stopped"] == "spend_cap":
                    hint = "Raise the spend cap in the parameters (ctrl+o), then ctrl+r."
                elif info["stopped"] == "error":
                    hint = "ctrl+r retries; your message is kept."
                last.fail(text, hint)
            elif isinstance(last, AgentReplyMessage):
                last.show_stopped(text)
            if info["stopped"] != "cancelled":
                self.notify(text, title="Reply stopped", severity="warning", timeout=10)

        self.log_view.anchor()
        self._show_status()
        self._show_spent()

    # --- how the status line and placeholder describe a reply with tools -----------------------
    def _agent_status(self) -> str:
        entries = self.og_tools()
        return f" · {len(entries)} OG tool{'s' if len(entries) != 1 else ''}" if entries else ""

    def _agent_busy(self) -> str | None:
        """Markup for the status line while a reply with tools is in flight."""
        reply = self._reply
        if reply is None or reply.agent is None:
            return None
        if reply.agent.get("dialog") is not None:
            return " · [b $warning]confirm the tool call[/]"
        return " · [b $warning]working with tools[/] (esc stop)"
