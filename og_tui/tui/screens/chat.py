"""Chat screen: conversations (persisted), a streaming message view, prompt, parameters, tools.

The screen wires its parts together: the conversation list
(:class:`~og_tui.tui.widgets.conversation_list.ConversationList`), the message view
(:class:`~og_tui.tui.widgets.chat_log.ChatLog`), the prompt
(:class:`~og_tui.tui.widgets.prompt_area.PromptArea`) and the parameters pane
(:class:`~og_tui.tui.widgets.chat_params.ChatParams`), each posting its own messages.
Replies are made by :class:`~og_tui.tui.screens.chat_reply.ChatReplies` (a thread worker
posting :class:`ChatScreen.Chunk` / :class:`ChatScreen.Finished` / :class:`ChatScreen.Failed`)
and, with OpenGradient tools, by :class:`~og_tui.tui.screens.chat_agent.ChatAgent`.

This module holds the screen itself: its bindings and palette commands, the messages its
workers post, the layout, the parameters pane and status line, the models and the panels.
Mixed in from their own modules: the conversations (list, opening, earlier pages:
:mod:`~og_tui.tui.screens.chat_conversations`), selection and copy
(:mod:`~og_tui.tui.screens.chat_selection`), the tools dialogs
(:mod:`~og_tui.tui.screens.chat_tools`), the store jobs (:mod:`~og_tui.tui.screens.chat_jobs`).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from og_tui.core.errors import user_message
from og_tui.tui import messages as m
from og_tui.tui.chat_session import ChatSession, chat_session, default_model
from og_tui.tui.commands import ScreenCommands
from og_tui.tui.format import fmt_units
from og_tui.tui.screens.base import OGScreen
from og_tui.tui.screens.chat_agent import ChatAgent
from og_tui.tui.screens.chat_conversations import PAGE, ChatConversations
from og_tui.tui.screens.chat_jobs import ChatStoreJobs, LoadedConversation, read_conversation
from og_tui.tui.screens.chat_reply import ChatReplies, _Reply
from og_tui.tui.screens.chat_selection import ChatSelection
from og_tui.tui.screens.chat_tools import ChatTools
from og_tui.tui.widgets.chat_history import reply_label
from og_tui.tui.widgets.chat_items import ChatItem, tool_call_parts
from og_tui.tui.widgets.chat_log import ChatLog
from og_tui.tui.widgets.chat_params import ChatParams
from og_tui.tui.widgets.conversation_list import ConversationList
from og_tui.tui.widgets.prompt_area import PromptArea

_log = logging.getLogger(__name__)

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.chat_store import ChatStore, Conversation


class ChatCommands(ScreenCommands):
    """Palette commands of the Chat screen ("chat: …")."""

    def commands(self) -> list[tuple[str, str, str]]:
        return [
            ("chat: new conversation", "new_chat", "Start an empty conversation"),
            ("chat: regenerate last reply", "regenerate", "Ask again for the last reply"),
            ("chat: stop reply", "stop", "Stop the streaming reply (keeps what arrived)"),
            ("chat: edit tools", "tools", "JSON tool definitions offered to the model"),
            ("chat: toggle parameters", "toggle_params", "Model, mode, temperature, max tokens, stop, settlement, cap"),
            ("chat: toggle conversation list", "toggle_sidebar", "Show or hide the conversations"),
            ("chat: search conversations", "search", "Filter conversations by title and text"),
            ("chat: completion mode", "toggle_completion", "Raw prompt completion instead of chat"),
            ("chat: copy reply", "copy", "Copy the selected (or last) message"),
            ("chat: pick model", "pick_model", "Choose the model"),
            ("chat: rename conversation", "rename", "Rename the open conversation"),
            ("chat: delete conversation", "delete", "Delete the open conversation"),
        ]


class ChatScreen(ChatConversations, ChatSelection, ChatTools, ChatAgent, ChatReplies, ChatStoreJobs, OGScreen):
    MODE = "chat"
    MAIN_PANE = "#prompt"
    CSS_PATH = "chat.tcss"
    COMMANDS = OGScreen.COMMANDS | {ChatCommands}
    autoload_models = True  # snapshot tests switch this off (no network)
    extra_body: dict | None = None  # extra request fields (devnet pacing in tests and benchmarks)

    BINDINGS = [
        Binding("escape", "stop", "Stop", id="chat.stop", tooltip="Stop the streaming reply (keeps the partial text)"),
        Binding("ctrl+r", "regenerate", "Regenerate", id="chat.regenerate", tooltip="Ask again for the last reply"),
        Binding("ctrl+n", "new_chat", "New", id="chat.new", tooltip="Start a new conversation"),
        Binding("ctrl+o", "toggle_params", "Params", id="chat.params", tooltip="Show/hide model, mode and parameters"),
        Binding(
            "ctrl+g",
            "og_tools",
            "OG tools",
            id="chat.og_tools",
            tooltip="Hub models and workflows the model may call (run on chain by og-tui)",
        ),
        Binding("ctrl+t", "tools", "Tools", id="chat.tools", tooltip="Edit the tools (JSON) offered to the model"),
        Binding("ctrl+b", "toggle_sidebar", "Chats", id="chat.sidebar", tooltip="Show/hide the conversation list"),
        Binding("ctrl+f", "search", "Search", id="chat.search", show=False, tooltip="Search conversations"),
        Binding("f8", "copy", "Copy", id="chat.copy", tooltip="Copy the selected or last message (OSC 52)"),
        Binding(
            "ctrl+l",
            "tee_registry",
            "TEEs",
            id="chat.tee",
            show=False,
            tooltip="The TEEs of the registry: endpoints, heartbeats, PCR hashes",
        ),
        Binding(
            "f9",
            "toggle_completion",
            "Raw",
            id="chat.completion",
            show=False,
            tooltip="Completion mode: send the prompt as raw text",
        ),
    ]

    # --- messages (posted by this screen's workers, handled here and in the mixins) -------------
    class Chunk(Message, bubble=False):
        """Text of a streaming reply that arrived since the last chunk (bursts coalesced)."""

        def __init__(self, reply_id: int, text: str) -> None:
            super().__init__()
            self.reply_id = reply_id
            self.text = text

    class Finished(Message, bubble=False):
        """A reply ended: complete, stopped by the user, or interrupted (partial text kept).

        ``meta`` is ReplyMeta.as_dict(); ``tool_calls`` are OpenAI-shaped; ``error`` says
        why an interrupted reply broke off."""

        def __init__(
            self,
            reply_id: int,
            text: str,
            tool_calls: list[dict[str, Any]],
            meta: dict[str, Any],
            *,
            stopped: bool = False,
            interrupted: bool = False,
            error: str | None = None,
        ) -> None:
            super().__init__()
            self.reply_id = reply_id
            self.text = text
            self.tool_calls = tool_calls
            self.meta = meta
            self.stopped = stopped
            self.interrupted = interrupted
            self.error = error

    class Failed(Message, bubble=False):
        """A reply could not start. ``kind``: spend_cap, funds, payment, unknown_model,
        upstream, network, wallet, invalid, other. ``amount``/``cap``/``spent`` for spend_cap."""

        def __init__(
            self,
            reply_id: int,
            kind: str,
            text: str,
            hint: str | None = None,
            *,
            amount: int | None = None,
            cap: int | None = None,
            spent: int | None = None,
            cap_kind: str | None = None,
            plan: Any = None,
        ) -> None:
            super().__init__()
            self.reply_id = reply_id
            self.kind = kind
            self.text = text
            self.hint = hint
            self.amount = amount
            self.cap = cap
            self.spent = spent
            self.cap_kind = cap_kind
            self.plan = plan  # kind "allowance": the approve the payment needs (opg_allowance.ApprovalPlan)

    class Settled(Message, bubble=False):
        """A queued (settle-batch) payment of a stored reply was settled on chain (or failed)."""

        def __init__(self, message_id: int, status: str | None, transaction: str | None) -> None:
            super().__init__()
            self.message_id = message_id
            self.status = status
            self.transaction = transaction

    class ModelsLoaded(Message, bubble=False):
        """Model ids the Chat screen can pick from (``source``: "devnet" or "seed")."""

        def __init__(self, models: list[str], source: str, error: str | None = None) -> None:
            super().__init__()
            self.models = models
            self.source = source
            self.error = error

    class AgentStep(Message, bubble=False):
        """One event of a reply with OpenGradient tools (``AgentEvent.as_dict()``: kind, round, ...)."""

        def __init__(self, reply_id: int, event: dict[str, Any]) -> None:
            super().__init__()
            self.reply_id = reply_id
            self.event = event

        @property
        def kind(self) -> str:
            return str(self.event.get("kind") or "")

    class AgentDone(Message, bubble=False):
        """The agent loop ended. ``messages`` are the conversation's new messages (assistant
        tool calls, tool results, the final answer) to store; ``info`` holds stopped, error,
        tx_hashes, timings and the JSON-able trace."""

        def __init__(self, reply_id: int, messages: list[dict[str, Any]], info: dict[str, Any]) -> None:
            super().__init__()
            self.reply_id = reply_id
            self.messages = messages
            self.info = info

    def __init__(self) -> None:
        super().__init__()
        self.conv: "Conversation | None" = None
        self._oldest_id: int | None = None
        self._reply: _Reply | None = None
        self._replies: dict[int, _Reply] = {}
        self._reply_ids = itertools.count(1)
        self._models_error: str | None = None
        self._selected: ChatItem | None = None
        self._params_shown: bool | None = None
        self._loading_earlier = False
        self._shown_count = 0  # conversations shown so far (a page read for an earlier one is dropped)

    # --- layout -----------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Horizontal(id="chat-body"):
            yield ConversationList(id="chat-sidebar")
            with Vertical(id="chat-main"):
                yield ChatLog(id="chat-log")
                yield Static("", id="chat-status")
                yield PromptArea(id="prompt", placeholder="Message (enter sends · ctrl+j newline · ↑ history)")
            yield ChatParams(default_model(self.app.ctx), id="chat-params")

    @property
    def session(self) -> ChatSession:
        return chat_session(self.app.ctx)

    @property
    def store(self) -> "ChatStore":
        return self.session.store

    @property
    def log_view(self) -> ChatLog:
        return self.query_one("#chat-log", ChatLog)

    @property
    def prompt(self) -> PromptArea:
        return self.query_one("#prompt", PromptArea)

    @property
    def sidebar(self) -> ConversationList:
        return self.query_one("#chat-sidebar", ConversationList)

    @property
    def params_pane(self) -> ChatParams:
        return self.query_one("#chat-params", ChatParams)

    def on_mount(self) -> None:
        session = self.session
        app = self.app
        session.on_payment = lambda info: app.post_message(
            m.PaymentMade(info.amount, info.payee, info.mode, info.hash, info.model)
        )
        self.prompt.sent = session.history
        self._apply_width(self.app.size.width)
        self.prompt.focus()
        profile = self.app.ctx.profile.name

        def newest(store: Any) -> LoadedConversation | None:
            try:
                session.caps  # noqa: B018 - made here: it imports the payment code and reads settings
                session.opg_caps  # noqa: B018 - (x402 v2)
            except Exception:  # noqa: BLE001 - a bad cap setting is shown when sending
                _log.debug("a bad cap setting is shown when sending", exc_info=True)
            rows = store.list_conversations(profile=profile)
            return read_conversation(store, rows[0].id, page=PAGE, profile=profile, search=None) if rows else None

        self.in_store(newest, self._first_load)

    def _first_load(self, loaded: LoadedConversation | None) -> None:
        self._fill_params(None)
        if loaded is not None and loaded.conv is not None:
            self._show_conversation(loaded)
        else:
            self._show_empty()
        if self.autoload_models:
            self.load_models()
        self._show_spent()

    def on_screen_resume(self) -> None:
        if self.autoload_models and (self._models_error or not self.params_pane.models):
            self.load_models()
        self._x402_generation()  # (the profile may have changed meanwhile)
        self._show_spent()

    def on_resize(self, event: Any) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        params = self.params_pane
        if self._params_shown is None:
            params.display = width >= 110
        self.sidebar.set_class(width < 100, "-narrow")

    _label = staticmethod(reply_label)  # the name over a reply (the replies' and the agent's)

    # --- parameters -------------------------------------------------------------------------------
    def _fill_params(self, conv: "Conversation | None") -> None:
        settings = self.app.ctx.settings
        v2 = self._x402_generation() == "2"
        cap = str((settings.llm_cap_opg_per_request if v2 else settings.llm_cap_per_request) or "")
        self.params_pane.fill(conv, cap, default_model(self.app.ctx))
        self._show_og_tools()

    def _x402_generation(self) -> str:
        """The profile's x402 generation ("1" or "2"), applied to the parameters pane."""
        from og_tui.tui.payment_text import cap_token, generation, settlement_choices

        profile = self.app.ctx.profile
        self.params_pane.set_generation(generation(profile), settlement_choices(profile), cap_token(profile)[0])
        return generation(profile)

    def _show_spent(self) -> None:
        if not self.session.caps_made:  # (made by the first store job, off the loop)
            return
        profile = self.app.ctx.profile
        try:
            caps = self.session.caps_for(profile)
            # x402_version "auto": the 402 picks the token, so both are shown
            both = [caps, self.session.opg_caps] if str(profile.x402_version) == "auto" else [caps]
        except Exception:  # noqa: BLE001 - bad cap setting: shown when sending
            return
        spent = [
            f"{fmt_units(c.spent, c.decimals, 6)} / {'no cap' if c.per_run is None else c.fmt(c.per_run)}" for c in both
        ]
        self.params_pane.show_spent(f"spent this run {' · '.join(spent)}")

    def read_params(self) -> dict[str, Any]:
        """The pane's values checked; raises ValueError naming the field (and shows the pane)."""
        from og_tui.tui.payment_text import cap_token

        self._x402_generation()
        return self.params_pane.read(cap_token(self.app.ctx.profile)[1])

    def _params_json(self, p: dict[str, Any]) -> dict[str, Any]:
        params = {
            "temperature": str(p["temperature"]).rstrip("0").rstrip(".")
            if "." in str(p["temperature"])
            else str(p["temperature"]),
            "max_tokens": str(p["max_tokens"]),
            "stop": p["stop_text"],
            "settlement": p["settlement"],
            "cap": p["cap_text"],
            "completion": p["completion"],
        }
        params.update(p.get("format_params") or {})  # response format and JSON Schema
        og_tools = self.og_tools()
        if og_tools:
            params["og_tools"] = og_tools
        return params

    @on(ChatParams.Changed)
    def _param_changed(self) -> None:
        if self.conv is None:
            self._show_status()
            return
        pane = self.params_pane
        params = dict(self.conv.params or {})
        params["completion"] = pane.completion
        self.conv = replace(self.conv, model=pane.model, mode=pane.mode, params=params)
        self.save_conversation(model=pane.model, mode=pane.mode, params=params, touch=False)
        self._show_status()

    def _show_status(self, bindings: bool = True) -> None:
        pane = self.params_pane
        model = pane.model or "no model"
        mode = pane.mode
        completion = " · completion" if pane.completion else ""
        tools = len(self.conv.tools) if self.conv and self.conv.tools else 0
        if self.og_tools():
            tools = 0  # JSON tools are not offered beside OpenGradient tools
        state = ""
        busy = self._agent_busy()
        if busy is not None:
            state = busy
        elif self._reply is not None:
            state = " · [b $warning]streaming[/] (esc stop)"
        elif self._pending_cards():
            state = " · [b $warning]waiting for a tool result[/]"
        self.query_one("#chat-status", Static).update(
            Content.from_markup(
                f"$model · $mode$completion{' · ' + str(tools) + ' tool(s)' if tools else ''}$og{state}",
                model=model,
                mode=mode,
                completion=completion,
                og=self._agent_status(),
            )
        )
        self.prompt.placeholder = self._placeholder()
        if bindings:
            self.refresh_bindings()  # esc Stop shows only while a reply is in flight

    def _placeholder(self) -> str:
        cards = self._pending_cards()
        if cards:
            return f"Result of tool {cards[0].tool_name} (enter sends it to the model)"
        if self.params_pane.completion:
            return "Raw prompt to complete (enter sends · ctrl+j newline)"
        return "Message (enter sends · ctrl+j newline · ↑ history)"

    # --- models -----------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="chat-models", exit_on_error=False, description="load models")
    def load_models(self) -> None:
        ctx = self.app.ctx
        if ctx.is_devnet:
            from og_tui.core.llm import LLMClient

            try:
                with LLMClient(ctx.profile, None, timeout=5.0) as client:
                    models = [str(d.get("id")) for d in client.models() if d.get("id")]
                first = default_model(ctx)
                models.sort(key=lambda name: name != first)  # the devnet's own model first
                self.post_message(self.ModelsLoaded(models, "devnet"))
            except Exception as exc:  # noqa: BLE001 - keep the default model, retry later
                self.post_message(self.ModelsLoaded([default_model(ctx)], "devnet", error=user_message(exc).text))
            return
        from og_tui.core.types import TEE_LLM

        self.post_message(self.ModelsLoaded([model.value for model in TEE_LLM], "seed"))

    @on(ModelsLoaded)
    def _models_loaded(self, event: ModelsLoaded) -> None:
        self._models_error = event.error
        pane = self.params_pane
        pane.set_models(
            event.models, pane.model or (self.conv.model if self.conv else None) or default_model(self.app.ctx)
        )
        self._show_status()

    def action_pick_model(self) -> None:
        self._params_shown = True
        self.params_pane.pick_model()

    # --- panels -------------------------------------------------------------------------------------
    def action_toggle_params(self) -> None:
        params = self.params_pane
        params.display = not params.display
        self._params_shown = bool(params.display)
        if not params.display:
            self.prompt.focus()

    def action_toggle_sidebar(self) -> None:
        sidebar = self.sidebar
        sidebar.display = not sidebar.display
        if sidebar.display:
            sidebar.options.focus()
        else:
            self.prompt.focus()

    def action_toggle_completion(self) -> None:
        pane = self.params_pane
        pane.completion = not pane.completion
        self.notify("Completion mode: the prompt is sent as raw text" if pane.completion else "Chat mode", title="Chat")

    def action_new_chat(self) -> None:
        self.conv = None
        self._draft_og_tools = []
        self._show_og_tools()
        self._show_empty()
        self._reload_list()
        self.prompt.focus()


__all__ = ["ChatScreen", "ChatSession", "chat_session", "PromptArea", "tool_call_parts"]
