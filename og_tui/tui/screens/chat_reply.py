"""The Chat screen's replies: sending a prompt, the reply worker, what its messages do.

Mixed into :class:`~og_tui.tui.screens.chat.ChatScreen` (naming-convention handlers; the
messages are nested on the screen). The user sends -> the user message is stored and shown
-> a thread worker (:meth:`ChatReplies._reply_worker`) calls ``LLMClient.chat(stream=True)``
and posts ``ChatScreen.Chunk`` (bursts coalesced) and one ``ChatScreen.Finished`` or
``ChatScreen.Failed``. The handlers own every widget: chunks go to the reply's Markdown
stream (an async worker on :class:`~og_tui.tui.widgets.chat_view.AssistantMessage`), the
finished reply is stored with its metadata. Stop (esc) closes the HTTP stream; the partial
reply is kept.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual import work
from textual.widgets import Static
from textual.worker import get_current_worker

from og_tui.core.errors import user_message
from og_tui.tui.widgets.chat_items import ChatItem, ToolCallCard, UserMessage
from og_tui.tui.widgets.chat_view import AssistantMessage
from og_tui.tui.widgets.prompt_area import PromptArea

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.tui.screens.chat import ChatScreen

__all__ = ["ChatReplies", "FLUSH_S"]

REGENERATE_ROWS = 160  # the newest stored messages regenerate looks through for the last prompt
FLUSH_S = 0.012  # coalesce stream chunks that arrive closer together than this
FOOTER_DELAY_S = 0.25  # when a reply ends, its last words are drawn before the footer's keys change


def _title_of(text: str) -> str:
    line = " ".join(text.strip().split())
    return (line[:46] + "…") if len(line) > 47 else (line or "New chat")


def _classify(exc: BaseException) -> tuple[str, str, str | None, dict[str, Any]]:
    """(kind, text, hint, extra) for an error that stopped a reply before it started."""
    from og_tui.core.errors import NetworkUnreachable, PaymentError, ValidationError
    from og_tui.core.llm import UnknownModel, UpstreamUnavailable
    from og_tui.core.opg_allowance import AllowanceTooSmall
    from og_tui.core.x402 import InsufficientTokens, PaymentRejected
    from og_tui.core.x402_common import SpendCapReached

    hint = getattr(exc, "hint", None)
    if isinstance(exc, AllowanceTooSmall):  # x402 v2: Permit2 may not move enough OPG yet
        return "allowance", str(exc), "The app asks before it sends the approve.", {"plan": exc.plan}
    if isinstance(exc, SpendCapReached):
        return (
            "spend_cap",
            str(exc),
            hint,
            {"amount": exc.amount, "cap": exc.cap, "spent": exc.spent, "cap_kind": exc.kind},
        )
    if isinstance(exc, InsufficientTokens):
        return "funds", str(exc), hint, {}
    if isinstance(exc, PaymentRejected):
        return "payment", str(exc), hint, {}
    if isinstance(exc, UnknownModel):
        return "unknown_model", str(exc), hint, {}
    if isinstance(exc, UpstreamUnavailable):
        return "upstream", str(exc), hint, {}
    if isinstance(exc, NetworkUnreachable):
        return "network", str(exc), hint, {}
    if isinstance(exc, PaymentError):
        return "payment", str(exc), hint, {}
    if isinstance(exc, ValidationError):
        return "invalid", str(exc), hint, {}
    text, hint = user_message(exc)
    return "other", text, hint, {}


@dataclass
class _Reply:
    """A reply in flight."""

    id: int
    conversation_id: int
    widget: AssistantMessage | None
    request: dict[str, Any]
    cancel: threading.Event = field(default_factory=threading.Event)
    stream: Any = None
    started: float = field(default_factory=time.monotonic)
    last_chunk: float = 0.0
    agent: dict[str, Any] | None = None  # a reply with OpenGradient tools: its widgets, calls, dialog


class ChatReplies:
    """Sending, streaming, stopping and regenerating replies (mixed into ChatScreen)."""

    # --- sending ------------------------------------------------------------------------------------------
    def on_prompt_area_submitted(self, event: PromptArea.Submitted) -> None:
        text = event.text
        if not text.strip():
            return
        if self._reply is not None or self._saving_prompt:
            self.notify("A reply is still streaming: esc stops it.", severity="warning")
            return
        cards = self._pending_cards()
        if cards:
            self._supply_result(cards[0], text)
            self.prompt.text = ""
            return
        try:
            params = self.read_params()
        except ValueError:
            return
        self._ensure_wallet(params, lambda: self._send(text, params))

    def _ensure_wallet(self, params: dict[str, Any], then: Any) -> None:
        """A paying, unlocked wallet (TEE pays with x402; VANILLA sends a transaction)."""
        why = "replies are paid from it" if params.get("mode") == "TEE" else "on-chain replies are transactions"
        self.with_wallet(lambda _address: then(), why=why, on_cancel=self.prompt.focus)

    _saving_prompt = False  # the user's message is on its way to the store: no second send yet

    def _send(self, text: str, params: dict[str, Any]) -> None:
        """Store the user's message (a store job), then show it and start the reply."""
        conv, new = self.conv, self.conv is None
        fields = {"model": params["model"], "mode": params["mode"], "params": self._params_json(params)}
        tools, profile = list(getattr(self, "_draft_tools", [])), self.app.ctx.profile.name
        meta = {"kind": "completion"} if params["completion"] else None

        def save(store: Any) -> tuple[Any, Any]:
            if conv is None:
                saved = store.create_conversation(_title_of(text), tools=tools, profile=profile, **fields)
            else:
                saved = store.update_conversation(conv.id, **fields) or conv
            return saved, store.add_message(saved.id, "user", text, meta=meta)

        def sent(result: tuple[Any, Any]) -> None:
            self._saving_prompt = False
            saved, row = result
            self.conv = saved
            if new:
                self._draft_tools = []
                self._draft_og_tools = []
                self.log_view.remove_children()
            self.log_view.mount(UserMessage(text, row.id, completion=params["completion"]))
            self._start_reply(params)
            self._reload_list()

        self._saving_prompt = True
        self.prompt.remember(text)
        if not self.session.history or self.session.history[-1] != text:
            self.session.history.append(text)
        self.prompt.text = ""
        self.in_store(
            save, sent, what="Chat: the message was not sent", failed=lambda: setattr(self, "_saving_prompt", False)
        )

    def _start_reply(self, params: dict[str, Any]) -> None:
        assert self.conv is not None
        profile = self.app.ctx.profile
        reply_id = next(self._reply_ids)
        og_tools = [] if params["completion"] else self.og_tools()
        meta = {
            "model": params["model"],
            "mode": params["mode"],
            "kind": "completion" if params["completion"] else "chat",
        }
        request = dict(
            params,
            conversation_id=self.conv.id,
            tools=list(self.conv.tools or []),
            signer_address=self.app.net.address,
            extra_body=self.extra_body,
            og_tools=og_tools,
        )
        structured = None if (og_tools or params["completion"]) else params.get("response_format")
        if structured:  # structured output: sent with the request, kept with the reply
            from og_tui.tui.widgets.format_params import with_response_format

            request["extra_body"] = with_response_format(self.extra_body, structured)
        request["response_format"] = structured
        reply = _Reply(reply_id, self.conv.id, None, request)
        if og_tools:
            widget: AssistantMessage = self._new_round_widget(reply)
        else:
            widget = AssistantMessage(
                "",
                None,
                meta=meta,
                label=self._label(meta),
                streaming=True,
                decimals=profile.payment_token_decimals,
                symbol=profile.payment_token_symbol,
            )
        reply.widget = widget
        self._reply = reply
        self._replies[reply_id] = reply
        log = self.log_view
        log.query("#chat-empty").remove()
        log.mount(widget)
        log.anchor()
        self._show_status()
        if og_tools:
            self._start_agent(reply)
        else:
            self._reply_worker(reply)

    @work(thread=True, exclusive=True, group="chat-reply", exit_on_error=False, description="chat reply")
    def _reply_worker(self, reply: _Reply) -> None:
        from og_tui.core.llm import StreamInterrupted

        app = self.app
        req = reply.request
        post = self.post_message
        op_id = app.begin_op("LLM reply")
        buf: list[str] = []
        last = 0.0
        stream = None
        try:
            signer = app.ctx.signer(req["signer_address"]) if req.get("signer_address") else None
            session = self.session
            client = session.client(signer)
            caps = session.caps_for(app.ctx.profile)  # (OPG on a profile paying x402 v2)
            caps.per_request = req["cap"]
            rows = session.store.messages(req["conversation_id"])
            if req["completion"]:
                prompt = next((r.content for r in reversed(rows) if r.role == "user"), "") or ""
                result = client.completion(
                    req["model"],
                    prompt,
                    mode=req["mode"],
                    max_tokens=req["max_tokens"],
                    temperature=req["temperature"],
                    stop=req["stop"] or None,
                    settlement=req["settlement"],
                )
                text = result.completion_output or ""
                post(self.Chunk(reply.id, text))
                post(self.Finished(reply.id, text, [], result.meta.as_dict() if result.meta else {}))
                return
            messages = [r.api() for r in rows if r.role in ("user", "assistant", "tool", "system")]
            stream = client.chat(
                req["model"],
                messages,
                mode=req["mode"],
                max_tokens=req["max_tokens"],
                temperature=req["temperature"],
                stop=req["stop"] or None,
                tools=req["tools"] or None,
                settlement=req["settlement"],
                stream=True,
                cancel=reply.cancel,
                extra_body=req.get("extra_body"),
            )
            reply.stream = stream
            if reply.cancel.is_set():
                stream.close()
            for chunk in stream:
                if chunk.content:
                    buf.append(chunk.content)
                    now = time.monotonic()
                    if now - last >= FLUSH_S:
                        post(self.Chunk(reply.id, "".join(buf)))
                        buf.clear()
                        last = now
            if buf:
                post(self.Chunk(reply.id, "".join(buf)))
            post(
                self.Finished(
                    reply.id, stream.text, stream.tool_calls, stream.meta.as_dict(), stopped=bool(stream.meta.cancelled)
                )
            )
        except StreamInterrupted as exc:
            if buf:
                post(self.Chunk(reply.id, "".join(buf)))
            meta = exc.meta.as_dict() if exc.meta is not None else (stream.meta.as_dict() if stream else {})
            post(self.Finished(reply.id, exc.partial_text, exc.tool_calls, meta, interrupted=True, error=str(exc)))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            if stream is not None and (buf or stream.text):
                if buf:
                    post(self.Chunk(reply.id, "".join(buf)))
                post(
                    self.Finished(
                        reply.id,
                        stream.text,
                        stream.tool_calls,
                        stream.meta.as_dict(),
                        interrupted=True,
                        error=_classify(exc)[1],
                    )
                )
            else:
                kind, text, hint, extra = _classify(exc)
                post(self.Failed(reply.id, kind, text, hint, **extra))
        finally:
            app.end_op(op_id)
            if get_current_worker().is_cancelled and stream is not None:
                stream.close()

    def on_text_area_changed(self, event: Any) -> None:
        """A key typed into the prompt while a reply streams: the reply draws less often for a
        moment, so the frames that show the keys are small."""
        reply = self._reply
        if reply is not None and reply.widget is not None and getattr(event.text_area, "id", None) == "prompt":
            reply.widget.typed()

    def on_chat_screen_chunk(self, event: "ChatScreen.Chunk") -> None:
        reply = self._replies.get(event.reply_id)
        if reply is not None and reply.widget is not None and reply.widget.is_attached:
            reply.widget.feed(event.text)

    def on_chat_screen_finished(self, event: "ChatScreen.Finished") -> None:
        reply = self._replies.pop(event.reply_id, None)
        if reply is None:
            return
        if self._reply is reply:
            self._reply = None
        if reply.widget is not None:
            reply.widget.stream_over()  # (its last words are drawn while the reply is saved)
        meta = dict(event.meta)
        meta.update(
            {
                "kind": reply.request.get("kind") or meta.get("kind"),
                "stopped": event.stopped,
                "interrupted": event.interrupted,
            }
        )
        if event.error:
            meta["error"] = event.error
        if reply.request.get("response_format"):
            meta["response_format"] = reply.request["response_format"]
        if not meta.get("kind"):
            meta["kind"] = "completion" if reply.request.get("completion") else "chat"
        text = event.text or ""
        if text or event.tool_calls or event.stopped or event.interrupted:

            def save(store: Any) -> Any:
                return store.add_message(
                    reply.conversation_id, "assistant", text, tool_calls=event.tool_calls or None, meta=meta
                )

            self.in_store(
                save,
                lambda row: self._reply_done(reply, event, text, meta, row),
                what="Could not save the reply",
                failed=lambda: self._reply_done(reply, event, text, meta, None),
            )
        else:
            self._reply_done(reply, event, text, meta, None)

    def _reply_done(
        self, reply: _Reply, event: "ChatScreen.Finished", text: str, meta: dict[str, Any], row: Any
    ) -> None:
        widget = reply.widget
        if widget is not None and widget.is_attached:
            widget.finish(text, meta, event.tool_calls, row.id if row else None)
        if row is not None and meta.get("settlement_status") == "queued" and meta.get("payment_hash"):
            self._follow_settlement(row.id, meta["payment_hash"], reply.request.get("signer_address"))
        if event.interrupted:
            self.notify(
                f"{event.error or 'The reply broke off.'}\nThe partial reply was kept; ctrl+r retries.",
                title="Reply interrupted",
                severity="warning",
                timeout=10,
            )
        # the footer's keys (esc Stop goes) a moment later: rebuilding the footer would hold
        # back the frame with the reply's last words
        self._show_status(bindings=False)
        self.set_timer(FOOTER_DELAY_S, self.refresh_bindings)
        self._show_spent()
        if event.tool_calls:
            self.call_after_refresh(self._show_status)

    @work(thread=True, group="chat-settle", exit_on_error=False, description="settlement status")
    def _follow_settlement(self, message_id: int, processing_hash: str, address: str | None) -> None:
        """A settle-batch payment is queued: find out where it was settled (a few batch intervals)."""
        client = self.session.client(self.app.ctx.signer(address) if address else None)
        worker = get_current_worker()
        deadline = time.monotonic() + 60
        while not worker.is_cancelled and time.monotonic() < deadline:
            time.sleep(1.0)
            try:
                status = client.settlement_status(processing_hash)
            except Exception:  # noqa: BLE001 - the footer keeps saying "queued"
                return
            if status.get("status") not in (None, "queued", "pending"):
                self.post_message(self.Settled(message_id, status.get("status"), status.get("transaction")))
                return

    def on_chat_screen_settled(self, event: "ChatScreen.Settled") -> None:

        def save(store: Any) -> tuple[int, dict[str, Any]] | None:
            row = store.get_message(event.message_id)
            if row is None:
                return None
            meta = dict(
                row.meta,
                settlement_status=event.status,
                settlement_tx=event.transaction or row.meta.get("settlement_tx"),
            )
            store.update_message(row.id, meta=meta)
            return row.id, meta

        self.in_store(save, self._show_settled)

    def _show_settled(self, saved: tuple[int, dict[str, Any]] | None) -> None:
        if saved is None:
            return
        message_id, meta = saved
        self.log_view.update_row_meta(message_id, meta)  # (shown so when it is mounted again)
        for widget in self.log_view.query(AssistantMessage):
            if widget.message_id == message_id:
                widget.update_meta(meta)

    def on_chat_screen_failed(self, event: "ChatScreen.Failed") -> None:
        reply = self._replies.pop(event.reply_id, None)
        if reply is None:
            return
        if self._reply is reply:
            self._reply = None
        hint = event.hint
        if event.kind == "funds" and self.app.ctx.is_devnet:
            hint = "Top up from the devnet faucet: F2 (Account), then f. Then ctrl+r to retry."
        elif event.kind in ("upstream", "network", "payment", "unknown_model"):
            hint = f"{hint + ' ' if hint else ''}ctrl+r retries; your message is kept."
        if reply.widget is not None and reply.widget.is_attached:
            reply.widget.fail(event.text, hint)
        self._show_status()
        self._show_spent()
        if event.kind == "spend_cap" and event.amount is not None:
            self._ask_raise_cap(reply, event)
        elif event.kind == "allowance" and event.plan is not None:
            from og_tui.tui.screens.opg_approval import ask_opg_approval

            address = reply.request.get("signer_address")
            ask_opg_approval(self, event.plan, address, self.action_regenerate, self.prompt.focus)

    def _ask_raise_cap(self, reply: _Reply, event: "ChatScreen.Failed") -> None:
        from og_tui.tui.screens.modals import ConfirmDialog

        caps = self.session.caps_for(self.app.ctx.profile)
        amount = int(event.amount or 0)
        if event.cap_kind == "request":
            lines = [
                f"This request costs {caps.fmt(amount)}, over the per-request cap of {caps.fmt(event.cap or 0)}.",
                f"Nothing was signed. Raise this conversation's per-request cap to {caps.fmt(amount)} and pay?",
            ]
        else:
            new_cap = max(int(event.cap or 0) * 2, (event.spent or 0) + amount)
            lines = [
                f"Paid so far in this run: {caps.fmt(event.spent or 0)}; per-run cap {caps.fmt(event.cap or 0)}.",
                f"This request costs {caps.fmt(amount)}. Nothing was signed.",
                f"Raise the per-run cap to {caps.fmt(new_cap)} for this session and pay?",
            ]

        def done(ok: bool | None) -> None:
            if not ok:
                self.prompt.focus()
                return
            if event.cap_kind == "request":
                from og_tui.core.amounts import format_amount

                self.params_pane.set_cap(format_amount(amount, caps.decimals))
            else:
                caps.per_run = new_cap
                self.notify(f"Per-run spend cap raised to {caps.fmt(new_cap)} until og-tui exits.", title="Spend cap")
            self._show_spent()
            self.action_regenerate()

        self.app.push_screen(ConfirmDialog("Spend cap reached", lines, ok_label="Pay"), done)

    # --- stop / regenerate ----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self._reply is not None
        return True

    def action_stop(self) -> None:
        reply = self._reply
        if reply is None:
            return
        reply.cancel.set()
        stream = reply.stream
        if stream is not None:
            stream.close()
        self.query_one("#chat-status", Static).update("stopping…")

    def action_regenerate(self) -> None:
        if self._reply is not None:
            self.notify("A reply is still streaming: esc stops it first.", severity="warning")
            return
        if self.conv is None:
            self.notify("Nothing to regenerate yet: send a message.", severity="warning")
            return
        conv_id = self.conv.id
        self.in_store(lambda store: store.messages(conv_id, limit=REGENERATE_ROWS), self._regenerate)

    def _regenerate(self, rows: list[Any]) -> None:
        if self._reply is not None or self.conv is None:
            return
        last_user = next((i for i in range(len(rows) - 1, -1, -1) if rows[i].role == "user"), None)
        if last_user is None:
            self.notify("Nothing to regenerate yet: send a message.", severity="warning")
            return
        try:
            params = self.read_params()
        except ValueError:
            return
        drop = [r.id for r in rows[last_user + 1 :]]

        def go() -> None:
            assert self.conv is not None
            conv_id, fields = (
                self.conv.id,
                {"model": params["model"], "mode": params["mode"], "params": self._params_json(params)},
            )

            def save(store: Any) -> Any:
                store.delete_messages(drop)
                return store.update_conversation(conv_id, **fields)

            def saved(conv: Any) -> None:
                if self.conv is not None and self.conv.id == conv_id:
                    self.conv = conv or self.conv
                    self._start_reply(params)

            log = self.log_view
            log.forget(drop)  # (rows of the view that are not mounted)
            doomed = [w for w in log.query(ChatItem) if w.message_id in drop]
            # failed replies (never stored) after the last user message go too
            children = list(log.children)
            users = [w for w in children if isinstance(w, UserMessage)]
            if users:
                doomed += [w for w in children[children.index(users[-1]) + 1 :] if isinstance(w, AssistantMessage)]
            for widget in set(doomed):
                widget.remove()
            self._selected = None
            self.in_store(save, saved)

        self._ensure_wallet(params, go)

    # --- tools ------------------------------------------------------------------------------------------------
    def _pending_cards(self) -> list[ToolCallCard]:
        replies = list(self.log_view.query(AssistantMessage))
        if not replies:
            return []
        return [card for card in replies[-1].cards() if card.result is None]

    def on_tool_call_card_result_wanted(self, event: ToolCallCard.ResultWanted) -> None:
        from og_tui.tui.screens.chat_dialogs import ToolResultDialog

        card = event.card

        def done(text: str | None) -> None:
            if text is not None:
                self._supply_result(card, text)

        self.app.push_screen(ToolResultDialog(card.tool_name, card.args_text, card.error, self.prompt.text), done)

    def _supply_result(self, card: ToolCallCard, text: str) -> None:
        if self.conv is None:
            return
        conv_id = self.conv.id
        card.set_result(text)
        self._show_status()
        self.in_store(
            lambda store: store.add_message(conv_id, "tool", text, tool_call_id=card.call_id or None),
            lambda _row: self._result_saved(),
        )

    def _result_saved(self) -> None:
        if not self._pending_cards():
            try:
                params = self.read_params()
            except ValueError:
                return
            self._ensure_wallet(params, lambda: self._start_reply(params))

    # --- teardown ---------------------------------------------------------------------------------------------
    def on_unmount(self) -> None:
        if self._reply is not None:
            self._reply.cancel.set()
            if self._reply.stream is not None:
                self._reply.stream.close()
