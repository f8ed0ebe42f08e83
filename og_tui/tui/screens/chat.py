"""Chat screen: conversations (persisted), a streaming message view, prompt, parameters, tools.

Data flow: the user sends → the user message is stored and shown → a thread worker
(:meth:`ChatScreen._reply_worker`) calls ``LLMClient.chat(stream=True)`` and posts
:class:`~og_tui.tui.messages.ChatChunk` (bursts coalesced) and one
:class:`~og_tui.tui.messages.ChatFinished` or :class:`~og_tui.tui.messages.ChatFailed`.
The handlers own every widget: chunks go to the reply's Markdown stream (an async
worker on :class:`~og_tui.tui.widgets.chat_view.AssistantMessage`), the finished reply
is stored with its metadata. Stop (esc) closes the HTTP stream; the partial reply is kept.
"""

from __future__ import annotations

import itertools
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.events import Key
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from og_tui.core.errors import user_message
from og_tui.tui import messages as m
from og_tui.tui.commands import ScreenCommands
from og_tui.tui.format import fmt_time, fmt_units
from og_tui.tui.screens.base import OGScreen
from og_tui.tui.screens.chat_agent import ChatAgent
from og_tui.tui.widgets.agent_view import AgentReplyMessage
from og_tui.tui.widgets.nav_text_area import NavTextArea
from og_tui.tui.widgets.chat_view import (
    AssistantMessage,
    ChatItem,
    ChatLog,
    LoadEarlier,
    ToolCallCard,
    ToolResultItem,
    UserMessage,
    tool_call_parts,
)

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.chat_store import ChatMessage, ChatStore, Conversation
    from og_tui.tui.context import AppContext

PAGE = 40  # messages mounted per page of a long conversation
FLUSH_S = 0.012  # coalesce stream chunks that arrive closer together than this
FOOTER_DELAY_S = 0.25  # when a reply ends, its last words are drawn before the footer's keys change
SETTLEMENTS = ("settle-batch", "settle", "settle-metadata")
DEFAULT_PARAMS = {"temperature": "0", "max_tokens": "256", "stop": "", "settlement": "settle-batch", "cap": ""}


# --- per-app state (plain Python, used from worker threads) ---------------------------------


class ChatSession:
    """What outlives the Chat screen for the app's run: the store, spend caps, LLM clients."""

    def __init__(self, ctx: "AppContext") -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._store: "ChatStore | None" = None
        self._caps: Any = None
        self._clients: dict[tuple, Any] = {}
        self._retired: list[Any] = []  # clients replaced after a profile switch, closed with the session
        self.history: list[str] = []  # prompts sent during this run (newest last)
        self.on_payment: Any = None

    @property
    def store(self) -> "ChatStore":
        with self._lock:
            if self._store is None:
                from og_tui.core.chat_store import ChatStore

                self._store = ChatStore(self.ctx.settings.db_path)
            return self._store

    @property
    def caps(self) -> Any:
        with self._lock:
            if self._caps is None:
                from og_tui.core.x402 import SpendCaps

                self._caps = SpendCaps.from_settings(self.ctx.settings)
            return self._caps

    def client(self, signer: Any) -> Any:
        from og_tui.core.llm import LLMClient

        profile = self.ctx.profile
        chain = self.ctx.chain  # (a new one after a profile switch: a client made for the old one is replaced)
        key = (profile.name, profile.llm_url, getattr(signer, "address", None))
        with self._lock:
            client = self._clients.get(key)
            if client is None or client.chain is not chain:
                if client is not None:
                    self._retired.append(client)  # (a reply may still be using it)
                client = LLMClient(profile, signer, store=self.ctx.store, caps=None, chain=chain,
                                   on_payment=self._paid, timeout=120.0)
                self._clients[key] = client
        client.caps = self.caps
        return client

    def _paid(self, info: Any) -> None:
        if self.on_payment is not None:
            self.on_payment(info)

    def close(self) -> None:
        with self._lock:
            for client in [*self._clients.values(), *self._retired]:
                client.close()
            self._clients.clear()
            self._retired.clear()


_SESSIONS: "weakref.WeakKeyDictionary[Any, ChatSession]" = weakref.WeakKeyDictionary()


def chat_session(ctx: "AppContext") -> ChatSession:
    session = _SESSIONS.get(ctx)
    if session is None:
        session = _SESSIONS[ctx] = ChatSession(ctx)
    return session


def default_model(ctx: "AppContext") -> str:
    from og_tui.core.llm import DEVNET_MODEL

    return DEVNET_MODEL if ctx.is_devnet else "openai/gpt-4o"


def _title_of(text: str) -> str:
    line = " ".join(text.strip().split())
    return (line[:46] + "…") if len(line) > 47 else (line or "New chat")


def _classify(exc: BaseException) -> tuple[str, str, str | None, dict[str, Any]]:
    """(kind, text, hint, extra) for an error that stopped a reply before it started."""
    from og_tui.core.errors import NetworkUnreachable, OGError, PaymentError, ValidationError, redact
    from og_tui.core.llm import UnknownModel, UpstreamUnavailable
    from og_tui.core.x402 import InsufficientTokens, PaymentRejected, SpendCapReached

    hint = getattr(exc, "hint", None)
    if isinstance(exc, SpendCapReached):
        return "spend_cap", str(exc), hint, {"amount": exc.amount, "cap": exc.cap, "spent": exc.spent, "cap_kind": exc.kind}
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
    if isinstance(exc, OGError):
        return "other", str(exc), hint, {}
    return "other", redact(f"{type(exc).__name__}: {exc}"), None, {}


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


# --- widgets ----------------------------------------------------------------------------------


class PromptArea(NavTextArea):
    """The prompt: enter sends, shift+enter / ctrl+j insert a newline, up/down recall history."""

    BINDINGS = [
        Binding("enter", "submit", "Send", id="prompt.send", tooltip="Send the prompt", show=False),
        Binding("ctrl+j", "newline", "Newline", id="prompt.newline", tooltip="Insert a newline (also shift+enter)",
                show=False),
    ]

    class Submitted(Message):
        def __init__(self, prompt: "PromptArea", text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(soft_wrap=True, compact=True, highlight_cursor_line=False, **kwargs)
        self.sent: list[str] = []
        self._recall: int | None = None  # index into history while recalling
        self._draft = ""

    async def _on_key(self, event: Key) -> None:
        key = event.key
        if key == "enter":
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        if key in ("shift+enter", "ctrl+j"):
            event.stop()
            event.prevent_default()
            self.action_newline()
            return
        if key == "up" and (not self.text or self.cursor_location[0] == 0) and self._recall_step(-1):
            event.stop()
            event.prevent_default()
            return
        if key == "down" and self._recall is not None and self.cursor_location[0] == self.document.line_count - 1:
            if self._recall_step(1):
                event.stop()
                event.prevent_default()
                return
        await super()._on_key(event)

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self, self.text))

    def action_newline(self) -> None:
        start, end = self.selection
        self.replace("\n", start, end, maintain_selection_offset=False)

    def _recall_step(self, step: int) -> bool:
        if not self.sent:
            return False
        if self._recall is None:
            if step > 0:
                return False
            self._draft = self.text
            index = len(self.sent) - 1
        else:
            index = self._recall + step
        if index < 0:
            return True  # oldest already shown: swallow the key
        if index >= len(self.sent):
            self._recall = None
            self._set(self._draft)
            return True
        self._recall = index
        self._set(self.sent[index])
        return True

    def _set(self, text: str) -> None:
        self.text = text
        last = self.document.line_count - 1
        self.move_cursor((last, len(self.document.get_line(last))))

    def remember(self, text: str) -> None:
        if text.strip() and (not self.sent or self.sent[-1] != text):
            self.sent.append(text)
        self._recall = None
        self._draft = ""


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


class ChatScreen(ChatAgent, OGScreen):
    MODE = "chat"
    CSS_PATH = "chat.tcss"
    COMMANDS = OGScreen.COMMANDS | {ChatCommands}
    autoload_models = True  # snapshot tests switch this off (no network)
    extra_body: dict | None = None  # extra request fields (devnet pacing in tests and benchmarks)

    BINDINGS = [
        Binding("escape", "stop", "Stop", id="chat.stop", tooltip="Stop the streaming reply (keeps the partial text)"),
        Binding("ctrl+r", "regenerate", "Regenerate", id="chat.regenerate", tooltip="Ask again for the last reply"),
        Binding("ctrl+n", "new_chat", "New", id="chat.new", tooltip="Start a new conversation"),
        Binding("ctrl+o", "toggle_params", "Params", id="chat.params",
                tooltip="Show/hide model, mode and parameters"),
        Binding("ctrl+g", "og_tools", "OG tools", id="chat.og_tools",
                tooltip="Hub models and workflows the model may call (run on chain by og-tui)"),
        Binding("ctrl+t", "tools", "Tools", id="chat.tools", tooltip="Edit the tools (JSON) offered to the model"),
        Binding("ctrl+b", "toggle_sidebar", "Chats", id="chat.sidebar", tooltip="Show/hide the conversation list"),
        Binding("ctrl+f", "search", "Search", id="chat.search", show=False, tooltip="Search conversations"),
        Binding("f8", "copy", "Copy", id="chat.copy", tooltip="Copy the selected or last message (OSC 52)"),
        Binding("f9", "toggle_completion", "Raw", id="chat.completion", show=False,
                tooltip="Completion mode: send the prompt as raw text"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.conv: "Conversation | None" = None
        self._oldest_id: int | None = None
        self._reply: _Reply | None = None
        self._replies: dict[int, _Reply] = {}
        self._reply_ids = itertools.count(1)
        self._models: list[str] = []
        self._models_error: str | None = None
        self._selected: ChatItem | None = None
        self._search = ""
        self._params_shown: bool | None = None
        self._loading_earlier = False

    # --- layout -----------------------------------------------------------------------------
    def compose_body(self) -> ComposeResult:
        with Horizontal(id="chat-body"):
            with Vertical(id="chat-sidebar"):
                yield Input(placeholder="search chats…", id="chat-search", compact=True)
                yield OptionList(id="conversations")
                yield Static("⏎ open · r rename · d delete", classes="pane-hint", id="chat-list-hint")
            with Vertical(id="chat-main"):
                yield ChatLog(id="chat-log")
                yield Static("", id="chat-status")
                yield PromptArea(id="prompt", placeholder="Message (enter sends · ctrl+j newline · ↑ history)")
            with VerticalScroll(id="chat-params"):
                yield Label("Parameters", classes="pane-title")
                yield Label("Model", classes="p-label")
                model = default_model(self.app.ctx)
                yield Select([(model, model)], value=model, id="p-model", allow_blank=False, compact=True)
                yield Label("Mode", classes="p-label")
                yield Select([("TEE · x402 over HTTP", "TEE"), ("VANILLA · on chain", "VANILLA")], value="TEE",
                             allow_blank=False, id="p-mode", compact=True)
                yield Checkbox("Completion (raw prompt)", id="p-completion", compact=True)
                yield Label("Temperature (0–2)", classes="p-label")
                yield Input(id="p-temperature", compact=True)
                yield Label("Max tokens", classes="p-label")
                yield Input(id="p-max_tokens", compact=True)
                yield Label("Stop sequences (comma separated)", classes="p-label")
                yield Input(id="p-stop", compact=True, placeholder="none")
                yield Label("Settlement", classes="p-label")
                yield Select([(s, s) for s in SETTLEMENTS], value="settle-batch", allow_blank=False, id="p-settlement",
                             compact=True)
                yield Label("Spend cap per request (OUSDC)", classes="p-label")
                yield Input(id="p-cap", compact=True)
                yield Static("", id="p-spent", classes="pane-hint")
                yield Button("OpenGradient tools… (none)", id="p-og-tools", compact=True)
                yield Button("Tools… (none)", id="p-tools", compact=True)
                yield Static("", id="p-error")

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

    def on_mount(self) -> None:
        session = self.session
        app = self.app
        session.on_payment = lambda info: app.post_message(
            m.PaymentMade(info.amount, info.payee, info.mode, info.hash, info.model))
        self.prompt.sent = session.history
        self.query_one("#chat-search", Input).display = False
        self._apply_width(self.app.size.width)
        self.prompt.focus()
        # after the children's own mount (a Select resets its value when it mounts)
        self.call_after_refresh(self._first_load)

    def _first_load(self) -> None:
        self._fill_params(None)
        self._reload_list()
        convs = self.query_one("#conversations", OptionList)
        if convs.option_count:
            convs.highlighted = 0
            self.open_conversation(int(convs.get_option_at_index(0).id or 0))
        else:
            self._show_empty()
        if self.autoload_models:
            self.load_models()
        self._show_spent()

    def on_screen_resume(self) -> None:
        if self.autoload_models and (self._models_error or not self._models):
            self.load_models()
        self._show_spent()

    def on_resize(self, event: Any) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        params = self.query_one("#chat-params")
        if self._params_shown is None:
            params.display = width >= 110
        sidebar = self.query_one("#chat-sidebar")
        sidebar.set_class(width < 100, "-narrow")

    # --- conversation list -------------------------------------------------------------------
    def _reload_list(self) -> None:
        convs = self.query_one("#conversations", OptionList)
        profile = self.app.ctx.profile.name
        rows = self.store.list_conversations(profile=profile, search=self._search or None)
        current = self.conv.id if self.conv else None
        convs.clear_options()
        options = []
        for conv in rows:
            label = Content.assemble(
                (conv.title, "bold" if conv.id == current else ""), "\n",
                (f"{fmt_time(conv.updated, short=True)} · {conv.model or ''}", "$text-muted"),
            )
            options.append(Option(label, id=str(conv.id)))
        convs.add_options(options)
        if current is not None:
            for i, conv in enumerate(rows):
                if conv.id == current:
                    convs.highlighted = i
                    break

    @on(OptionList.OptionSelected, "#conversations")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.open_conversation(int(event.option.id))
            self.prompt.focus()

    @on(Input.Changed, "#chat-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._search = event.value.strip()
        self._reload_list()

    @on(Input.Submitted, "#chat-search")
    def _search_done(self) -> None:
        self.query_one("#conversations", OptionList).focus()

    def on_key(self, event: Key) -> None:
        focused = self.focused
        if isinstance(focused, OptionList) and focused.id == "conversations":
            if event.key == "r":
                event.stop()
                self.action_rename(self._highlighted_conv())
            elif event.key in ("d", "delete"):
                event.stop()
                self.action_delete(self._highlighted_conv())
            elif event.key == "slash":
                event.stop()
                self.action_search()
        elif focused is not None and focused.id == "chat-search" and event.key == "escape":
            event.stop()
            self._close_search()
        elif isinstance(focused, ChatLog) and event.key in ("c", "y"):
            event.stop()
            self.action_copy()

    def _highlighted_conv(self) -> int | None:
        convs = self.query_one("#conversations", OptionList)
        if convs.highlighted is None:
            return None
        option = convs.get_option_at_index(convs.highlighted)
        return int(option.id) if option.id else None

    def action_search(self) -> None:
        box = self.query_one("#chat-search", Input)
        self.query_one("#chat-sidebar").display = True
        box.display = True
        box.focus()

    def _close_search(self) -> None:
        box = self.query_one("#chat-search", Input)
        box.value = ""
        box.display = False
        self._search = ""
        self._reload_list()
        self.prompt.focus()

    def action_rename(self, conv_id: int | None = None) -> None:
        from og_tui.tui.screens.chat_dialogs import RenameDialog

        conv_id = conv_id or (self.conv.id if self.conv else None)
        conv = self.store.get_conversation(conv_id) if conv_id else None
        if conv is None:
            self.notify("No conversation to rename yet.", severity="warning")
            return

        def done(title: str | None) -> None:
            if title:
                self.store.update_conversation(conv.id, title=title, touch=False)
                if self.conv and self.conv.id == conv.id:
                    self.conv.title = title
                self._reload_list()

        self.app.push_screen(RenameDialog(conv.title), done)

    def action_delete(self, conv_id: int | None = None) -> None:
        from og_tui.tui.screens.modals import ConfirmDialog

        conv_id = conv_id or (self.conv.id if self.conv else None)
        conv = self.store.get_conversation(conv_id) if conv_id else None
        if conv is None:
            self.notify("No conversation to delete.", severity="warning")
            return
        count = self.store.count_messages(conv.id)
        lines = [f"“{conv.title}”", f"{count} message{'s' if count != 1 else ''} will be deleted from this machine.",
                 "Payments already made stay in the Activity history."]

        def done(ok: bool | None) -> None:
            if not ok:
                return
            if self._reply is not None and self._reply.conversation_id == conv.id:
                self.action_stop()
            self.store.delete_conversation(conv.id)
            if self.conv and self.conv.id == conv.id:
                self.conv = None
                self._show_empty()
            self._reload_list()
            self.notify(f"Deleted “{conv.title}”", title="Chat")

        self.app.push_screen(ConfirmDialog("Delete conversation?", lines, ok_label="Delete", danger=True), done)

    # --- opening a conversation -----------------------------------------------------------------
    def _show_empty(self) -> None:
        log = self.log_view
        log.remove_children()
        self._selected = None
        self._oldest_id = None
        log.mount(Static(self._welcome(), id="chat-empty"))
        self._fill_params(None)
        self._show_status()

    def _welcome(self) -> Content:
        where = "the local devnet's built-in model" if self.app.ctx.is_devnet else "OpenGradient's TEE LLMs"
        return Content.from_markup(
            "[b]New conversation[/b]\n\nType below and press [b]enter[/b]. Replies stream from $where; each is paid "
            "with an x402 micro-payment and shows its cost and settlement.\n\n"
            "Press [b]ctrl+g[/b] to let the model call OpenGradient models and workflows: og-tui runs them on "
            "chain for it and shows each transaction.\n\n"
            "[dim]esc stop · ctrl+r regenerate · ctrl+o parameters · ctrl+g OG tools · ctrl+t JSON tools · f8 copy · "
            "f1 keys[/dim]",
            where=where,
        )

    def open_conversation(self, conv_id: int) -> None:
        conv = self.store.get_conversation(conv_id)
        if conv is None:
            self._show_empty()
            return
        self.conv = conv
        self._fill_params(conv)
        total = self.store.count_messages(conv.id)
        rows = self.store.messages(conv.id, limit=PAGE)
        log = self.log_view
        self._selected = None
        with self.app.batch_update():
            log.remove_children()
            widgets: list[Any] = []
            if total > len(rows):
                widgets.append(LoadEarlier(total - len(rows)))
            widgets += self._widgets_for(rows, conv)
            log.mount_all(widgets)
        self._oldest_id = rows[0].id if rows else None
        self.prompt.sent = self._history_of(conv) or self.session.history
        self._show_status()
        log.anchor()
        log.scroll_end(animate=False, immediate=False)
        self._reload_list()

    def _history_of(self, conv: "Conversation") -> list[str]:
        rows = self.store.messages(conv.id, limit=200)
        history = [r.content for r in rows if r.role == "user" and r.content]
        for text in self.session.history:
            if text not in history:
                history.append(text)
        return history

    def _widgets_for(self, rows: list["ChatMessage"], conv: "Conversation") -> list[Any]:
        """Widgets for stored messages; tool results are shown inside their call's card."""
        results = {r.tool_call_id: r.content or "" for r in rows if r.role == "tool" and r.tool_call_id}
        card_ids = {str(tc.get("id") or "") for r in rows if r.role == "assistant" for tc in r.tool_calls}
        profile = self.app.ctx.profile
        out: list[Any] = []
        for r in rows:
            if r.role == "user":
                out.append(UserMessage(r.content or "", r.id, completion=r.meta.get("kind") == "completion"))
            elif r.role == "assistant":
                # a round of a reply with OpenGradient tools gets their cards
                agent = r.meta.get("kind") == "agent" or "agent_calls" in r.meta
                kind, extra = (AgentReplyMessage, {"calls": r.meta.get("agent_calls") or {},
                                                   "native_symbol": profile.native_symbol}) if agent else (AssistantMessage, {})
                out.append(kind(
                    r.content or "", r.id, meta=r.meta, tool_calls=r.tool_calls, results=results,
                    label=self._label(r.meta) + (" · tools" if agent else ""), decimals=profile.payment_token_decimals,
                    symbol=profile.payment_token_symbol, **extra,
                ))
            elif r.role == "tool" and r.tool_call_id not in card_ids:
                out.append(ToolResultItem(r.content or "", r.tool_call_id, r.id))
            elif r.role == "system":
                out.append(UserMessage(r.content or "", r.id))
        return out

    @staticmethod
    def _label(meta: dict) -> str:
        model = meta.get("model") or "Assistant"
        mode = meta.get("mode")
        kind = " · completion" if meta.get("kind") == "completion" else ""
        return f"{model}{' · ' + mode if mode else ''}{kind}"

    @on(Button.Pressed, "#load-earlier")
    def _load_earlier_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.load_earlier()

    @on(ChatLog.ReachedTop)
    def _reached_top(self) -> None:
        self.load_earlier()

    def load_earlier(self) -> None:
        if self.conv is None or self._oldest_id is None or self._loading_earlier:
            return
        rows = self.store.messages(self.conv.id, limit=PAGE, before_id=self._oldest_id)
        if not rows:
            return
        self._loading_earlier = True
        log = self.log_view
        button = log.query_one(LoadEarlier)
        remaining = self.store.count_messages(self.conv.id, before_id=rows[0].id)
        old_height = log.virtual_size.height
        old_y = log.scroll_y
        log.mount_all(self._widgets_for(rows, self.conv), after=button)
        self._oldest_id = rows[0].id
        if remaining:
            button.set_remaining(remaining)
        else:
            button.remove()

        def keep_place() -> None:
            grown = log.virtual_size.height - old_height
            log.scroll_to(y=old_y + grown, animate=False, immediate=True)
            self._loading_earlier = False

        self.call_after_refresh(keep_place)

    # --- parameters -------------------------------------------------------------------------------
    def _fill_params(self, conv: "Conversation | None") -> None:
        params = dict(DEFAULT_PARAMS)
        settings = self.app.ctx.settings
        params["cap"] = str(settings.llm_cap_per_request or "")
        if conv is not None:
            params.update({k: str(v) for k, v in (conv.params or {}).items() if k in params})
        for key in ("temperature", "max_tokens", "stop", "cap"):
            self.query_one(f"#p-{key}", Input).value = params[key]
        self.query_one("#p-settlement", Select).value = params["settlement"] if params["settlement"] in SETTLEMENTS else "settle-batch"
        mode = (conv.mode if conv else None) or "TEE"
        self.query_one("#p-mode", Select).value = mode if mode in ("TEE", "VANILLA") else "TEE"
        self.query_one("#p-completion", Checkbox).value = bool(conv and (conv.params or {}).get("completion"))
        self._set_model_options((conv.model if conv else None) or self._current_model() or default_model(self.app.ctx))
        self._show_tools(conv.tools if conv else [])
        self._show_og_tools()
        self.query_one("#p-error", Static).update("")

    def _current_model(self) -> str | None:
        value = self.query_one("#p-model", Select).value
        return None if value is Select.NULL else str(value)

    def _set_model_options(self, wanted: str | None) -> None:
        select = self.query_one("#p-model", Select)
        models = list(self._models)
        if wanted and wanted not in models:
            models.insert(0, wanted)
        with self.prevent(Select.Changed):
            select.set_options([(name, name) for name in models])
            if wanted:
                select.value = wanted

    def _show_tools(self, tools: list) -> None:
        names = [t.get("function", {}).get("name", "?") for t in tools or []]
        label = f"Tools… ({', '.join(names)})" if names else "Tools… (none)"
        self.query_one("#p-tools", Button).label = label if len(label) < 28 else f"Tools… ({len(names)})"

    def _show_spent(self) -> None:
        try:
            caps = self.session.caps
        except Exception:  # noqa: BLE001 - bad cap setting: shown when sending
            return
        run = "no cap" if caps.per_run is None else caps.fmt(caps.per_run)
        self.query_one("#p-spent", Static).update(f"spent this run {fmt_units(caps.spent, caps.decimals, 6)} / {run}")

    def _read_params(self) -> dict[str, Any]:
        """The panel's values checked; raises ValueError naming the field (and shows the panel)."""
        from og_tui.core.amounts import parse_amount
        from og_tui.core.errors import OGError

        def fail(field_id: str, text: str) -> None:
            self.query_one("#chat-params").display = True
            self.query_one("#p-error", Static).update(text)
            widget = self.query_one(f"#{field_id}")
            widget.focus()
            raise ValueError(text)

        raw_t = self.query_one("#p-temperature", Input).value.strip() or "0"
        try:
            temperature = float(raw_t)
        except ValueError:
            temperature = -1.0
        if not 0 <= temperature <= 2:
            fail("p-temperature", f"Temperature must be a number from 0 to 2, not {raw_t!r}.")
        raw_m = self.query_one("#p-max_tokens", Input).value.strip() or "256"
        if not raw_m.isdigit() or not 1 <= int(raw_m) <= 100_000:
            fail("p-max_tokens", f"Max tokens must be a whole number from 1 to 100000, not {raw_m!r}.")
        stop_raw = self.query_one("#p-stop", Input).value
        stop = [s.strip() for s in stop_raw.split(",") if s.strip()]
        if len(stop) > 4:
            fail("p-stop", "At most 4 stop sequences.")
        model = self._current_model()
        if not model:
            fail("p-model", "Pick a model first.")
        profile = self.app.ctx.profile
        raw_cap = self.query_one("#p-cap", Input).value.strip()
        cap: int | None = None
        if raw_cap and raw_cap.lower() not in ("none", "off"):
            try:
                cap = parse_amount(raw_cap, profile.payment_token_decimals)
            except OGError as exc:
                fail("p-cap", f"Spend cap: {exc}")
        self.query_one("#p-error", Static).update("")
        return {
            "model": model,
            "mode": str(self.query_one("#p-mode", Select).value),
            "completion": bool(self.query_one("#p-completion", Checkbox).value),
            "temperature": temperature,
            "max_tokens": int(raw_m),
            "stop": stop,
            "stop_text": stop_raw,
            "settlement": str(self.query_one("#p-settlement", Select).value),
            "cap": cap,
            "cap_text": raw_cap,
        }

    def _params_json(self, p: dict[str, Any]) -> dict[str, Any]:
        params = {"temperature": str(p["temperature"]).rstrip("0").rstrip(".") if "." in str(p["temperature"]) else str(p["temperature"]),
                  "max_tokens": str(p["max_tokens"]), "stop": p["stop_text"], "settlement": p["settlement"],
                  "cap": p["cap_text"], "completion": p["completion"]}
        og_tools = self.og_tools()
        if og_tools:
            params["og_tools"] = og_tools
        return params

    @on(Select.Changed, "#p-model")
    @on(Select.Changed, "#p-mode")
    @on(Checkbox.Changed, "#p-completion")
    def _param_changed(self) -> None:
        if self.conv is None:
            self._show_status()
            return
        model = self._current_model()
        mode = str(self.query_one("#p-mode", Select).value)
        params = dict(self.conv.params or {})
        params["completion"] = bool(self.query_one("#p-completion", Checkbox).value)
        self.conv = self.store.update_conversation(self.conv.id, model=model, mode=mode, params=params, touch=False) or self.conv
        self._show_status()

    def _show_status(self, bindings: bool = True) -> None:
        model = self._current_model() or "no model"
        mode = str(self.query_one("#p-mode", Select).value)
        completion = " · completion" if self.query_one("#p-completion", Checkbox).value else ""
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
        self.query_one("#chat-status", Static).update(Content.from_markup(
            f"$model · $mode$completion{' · ' + str(tools) + ' tool(s)' if tools else ''}$og{state}",
            model=model, mode=mode, completion=completion, og=self._agent_status()))
        self.prompt.placeholder = self._placeholder()
        if bindings:
            self.refresh_bindings()  # esc Stop shows only while a reply is in flight

    def _placeholder(self) -> str:
        cards = self._pending_cards()
        if cards:
            return f"Result of tool {cards[0].tool_name} (enter sends it to the model)"
        if self.query_one("#p-completion", Checkbox).value:
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
                self.post_message(m.ChatModelsLoaded(models, "devnet"))
            except Exception as exc:  # noqa: BLE001 - keep the default model, retry later
                self.post_message(m.ChatModelsLoaded([default_model(ctx)], "devnet", error=user_message(exc).text))
            return
        from og_tui.core.types import TEE_LLM

        self.post_message(m.ChatModelsLoaded([model.value for model in TEE_LLM], "seed"))

    @on(m.ChatModelsLoaded)
    def _models_loaded(self, event: m.ChatModelsLoaded) -> None:
        self._models = list(event.models)
        self._models_error = event.error
        self._set_model_options(self._current_model() or (self.conv.model if self.conv else None) or default_model(self.app.ctx))
        self._show_status()

    def action_pick_model(self) -> None:
        self._params_shown = True
        self.query_one("#chat-params").display = True
        select = self.query_one("#p-model", Select)
        select.focus()
        select.action_show_overlay()

    # --- panels -------------------------------------------------------------------------------------
    def action_toggle_params(self) -> None:
        params = self.query_one("#chat-params")
        params.display = not params.display
        self._params_shown = bool(params.display)
        if not params.display:
            self.prompt.focus()

    def action_toggle_sidebar(self) -> None:
        sidebar = self.query_one("#chat-sidebar")
        sidebar.display = not sidebar.display
        if sidebar.display:
            self.query_one("#conversations", OptionList).focus()
        else:
            self.prompt.focus()

    def action_toggle_completion(self) -> None:
        box = self.query_one("#p-completion", Checkbox)
        box.value = not box.value
        self.notify("Completion mode: the prompt is sent as raw text" if box.value else "Chat mode", title="Chat")

    def action_new_chat(self) -> None:
        self.conv = None
        self._draft_og_tools = []
        self._show_og_tools()
        self._show_empty()
        self._reload_list()
        self.prompt.focus()

    @on(Button.Pressed, "#p-og-tools")
    def _og_tools_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_og_tools()

    @on(Button.Pressed, "#p-tools")
    def action_tools(self) -> None:
        import json

        from og_tui.tui.screens.chat_dialogs import ToolsDialog

        tools = self.conv.tools if self.conv else getattr(self, "_draft_tools", [])
        text = json.dumps(tools, indent=2) if tools else ""

        def done(result: list | None) -> None:
            if result is None:
                return
            if self.conv is not None:
                self.conv = self.store.update_conversation(self.conv.id, tools=result, touch=False) or self.conv
            else:
                self._draft_tools = result
            self._show_tools(result)
            self._show_status()
            self.notify(f"{len(result)} tool(s) offered to the model" if result else "No tools offered", title="Tools")

        self.app.push_screen(ToolsDialog(text), done)

    # --- selection & copy -----------------------------------------------------------------------------
    @on(ChatItem.Selected)
    def _item_selected(self, event: ChatItem.Selected) -> None:
        if self._selected is not None:
            self._selected.remove_class("-selected")
        self._selected = event.item
        event.item.add_class("-selected")

    def action_copy(self) -> None:
        item = self._selected if self._selected is not None and self._selected.is_attached else None
        if item is None:
            replies = list(self.log_view.query(AssistantMessage))
            item = replies[-1] if replies else None
        if item is None:
            self.notify("Nothing to copy yet.", severity="warning")
            return
        text = item.copy_text()
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {len(text)} characters (OSC 52)", title="Copied")

    # --- sending ------------------------------------------------------------------------------------------
    @on(PromptArea.Submitted)
    def _submitted(self, event: PromptArea.Submitted) -> None:
        text = event.text
        if not text.strip():
            return
        if self._reply is not None:
            self.notify("A reply is still streaming: esc stops it.", severity="warning")
            return
        cards = self._pending_cards()
        if cards:
            self._supply_result(cards[0], text)
            self.prompt.text = ""
            return
        try:
            params = self._read_params()
        except ValueError:
            return
        self._ensure_wallet(params, lambda: self._send(text, params))

    def _ensure_wallet(self, params: dict[str, Any], then: Any) -> None:
        """A paying, unlocked wallet (TEE pays with x402; VANILLA sends a transaction)."""
        why = "replies are paid from it" if params.get("mode") == "TEE" else "on-chain replies are transactions"
        self.with_wallet(lambda _address: then(), why=why, on_cancel=self.prompt.focus)

    def _send(self, text: str, params: dict[str, Any]) -> None:
        store = self.store
        if self.conv is None:
            self.conv = store.create_conversation(
                _title_of(text), model=params["model"], mode=params["mode"], params=self._params_json(params),
                tools=getattr(self, "_draft_tools", []), profile=self.app.ctx.profile.name,
            )
            self._draft_tools = []
            self._draft_og_tools = []
            self.log_view.remove_children()
        else:
            self.conv = store.update_conversation(self.conv.id, model=params["model"], mode=params["mode"],
                                                  params=self._params_json(params)) or self.conv
        meta = {"kind": "completion"} if params["completion"] else None
        row = store.add_message(self.conv.id, "user", text, meta=meta)
        self.prompt.remember(text)
        if not self.session.history or self.session.history[-1] != text:
            self.session.history.append(text)
        self.prompt.text = ""
        self.log_view.mount(UserMessage(text, row.id, completion=params["completion"]))
        self._start_reply(params)
        self._reload_list()

    def _start_reply(self, params: dict[str, Any]) -> None:
        assert self.conv is not None
        profile = self.app.ctx.profile
        reply_id = next(self._reply_ids)
        og_tools = [] if params["completion"] else self.og_tools()
        meta = {"model": params["model"], "mode": params["mode"], "kind": "completion" if params["completion"] else "chat"}
        request = dict(params, conversation_id=self.conv.id, tools=list(self.conv.tools or []),
                       signer_address=self.app.net.address, extra_body=self.extra_body, og_tools=og_tools)
        reply = _Reply(reply_id, self.conv.id, None, request)
        if og_tools:
            widget: AssistantMessage = self._new_round_widget(reply)
        else:
            widget = AssistantMessage("", None, meta=meta, label=self._label(meta), streaming=True,
                                      decimals=profile.payment_token_decimals, symbol=profile.payment_token_symbol)
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
            caps = session.caps
            caps.per_request = req["cap"]
            rows = session.store.messages(req["conversation_id"])
            if req["completion"]:
                prompt = next((r.content for r in reversed(rows) if r.role == "user"), "") or ""
                result = client.completion(req["model"], prompt, mode=req["mode"], max_tokens=req["max_tokens"],
                                           temperature=req["temperature"], stop=req["stop"] or None,
                                           settlement=req["settlement"])
                text = result.completion_output or ""
                post(m.ChatChunk(reply.id, text))
                post(m.ChatFinished(reply.id, text, [], result.meta.as_dict() if result.meta else {}))
                return
            messages = [r.api() for r in rows if r.role in ("user", "assistant", "tool", "system")]
            stream = client.chat(req["model"], messages, mode=req["mode"], max_tokens=req["max_tokens"],
                                 temperature=req["temperature"], stop=req["stop"] or None, tools=req["tools"] or None,
                                 settlement=req["settlement"], stream=True, cancel=reply.cancel,
                                 extra_body=req.get("extra_body"))
            reply.stream = stream
            if reply.cancel.is_set():
                stream.close()
            for chunk in stream:
                if chunk.content:
                    buf.append(chunk.content)
                    now = time.monotonic()
                    if now - last >= FLUSH_S:
                        post(m.ChatChunk(reply.id, "".join(buf)))
                        buf.clear()
                        last = now
            if buf:
                post(m.ChatChunk(reply.id, "".join(buf)))
            post(m.ChatFinished(reply.id, stream.text, stream.tool_calls, stream.meta.as_dict(),
                                stopped=bool(stream.meta.cancelled)))
        except StreamInterrupted as exc:
            if buf:
                post(m.ChatChunk(reply.id, "".join(buf)))
            meta = exc.meta.as_dict() if exc.meta is not None else (stream.meta.as_dict() if stream else {})
            post(m.ChatFinished(reply.id, exc.partial_text, exc.tool_calls, meta, interrupted=True, error=str(exc)))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            if stream is not None and (buf or stream.text):
                if buf:
                    post(m.ChatChunk(reply.id, "".join(buf)))
                post(m.ChatFinished(reply.id, stream.text, stream.tool_calls, stream.meta.as_dict(), interrupted=True,
                                    error=_classify(exc)[1]))
            else:
                kind, text, hint, extra = _classify(exc)
                post(m.ChatFailed(reply.id, kind, text, hint, **extra))
        finally:
            app.end_op(op_id)
            if get_current_worker().is_cancelled and stream is not None:
                stream.close()

    @on(m.ChatChunk)
    def _chunk(self, event: m.ChatChunk) -> None:
        reply = self._replies.get(event.reply_id)
        if reply is not None and reply.widget is not None and reply.widget.is_attached:
            reply.widget.feed(event.text)

    @on(m.ChatFinished)
    def _finished(self, event: m.ChatFinished) -> None:
        reply = self._replies.pop(event.reply_id, None)
        if reply is None:
            return
        if self._reply is reply:
            self._reply = None
        meta = dict(event.meta)
        meta.update({"kind": reply.request.get("kind") or meta.get("kind"), "stopped": event.stopped,
                     "interrupted": event.interrupted})
        if event.error:
            meta["error"] = event.error
        if not meta.get("kind"):
            meta["kind"] = "completion" if reply.request.get("completion") else "chat"
        text = event.text or ""
        row = None
        if text or event.tool_calls or event.stopped or event.interrupted:
            try:
                row = self.store.add_message(reply.conversation_id, "assistant", text, tool_calls=event.tool_calls or None,
                                             meta=meta)
            except Exception as exc:  # noqa: BLE001
                self.notify(f"Could not save the reply: {exc}", severity="error")
        widget = reply.widget
        if widget is not None and widget.is_attached:
            widget.finish(text, meta, event.tool_calls, row.id if row else None)
        if row is not None and meta.get("settlement_status") == "queued" and meta.get("payment_hash"):
            self._follow_settlement(row.id, meta["payment_hash"], reply.request.get("signer_address"))
        if event.interrupted:
            self.notify(f"{event.error or 'The reply broke off.'}\nThe partial reply was kept; ctrl+r retries.",
                        title="Reply interrupted", severity="warning", timeout=10)
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
                self.post_message(m.ChatSettled(message_id, status.get("status"), status.get("transaction")))
                return

    @on(m.ChatSettled)
    def _settled(self, event: m.ChatSettled) -> None:
        row = self.store.get_message(event.message_id)
        if row is None:
            return
        meta = dict(row.meta, settlement_status=event.status, settlement_tx=event.transaction or row.meta.get("settlement_tx"))
        self.store.update_message(row.id, meta=meta)
        for widget in self.log_view.query(AssistantMessage):
            if widget.message_id == row.id:
                widget.update_meta(meta)

    @on(m.ChatFailed)
    def _failed(self, event: m.ChatFailed) -> None:
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

    def _ask_raise_cap(self, reply: _Reply, event: m.ChatFailed) -> None:
        from og_tui.tui.screens.modals import ConfirmDialog

        caps = self.session.caps
        amount = int(event.amount or 0)
        if event.cap_kind == "request":
            lines = [f"This request costs {caps.fmt(amount)}, over the per-request cap of {caps.fmt(event.cap or 0)}.",
                     "Nothing was signed. Raise this conversation's per-request cap to "
                     f"{caps.fmt(amount)} and pay?"]
        else:
            new_cap = max(int(event.cap or 0) * 2, (event.spent or 0) + amount)
            lines = [f"Paid so far in this run: {caps.fmt(event.spent or 0)}; per-run cap {caps.fmt(event.cap or 0)}.",
                     f"This request costs {caps.fmt(amount)}. Nothing was signed.",
                     f"Raise the per-run cap to {caps.fmt(new_cap)} for this session and pay?"]

        def done(ok: bool | None) -> None:
            if not ok:
                self.prompt.focus()
                return
            if event.cap_kind == "request":
                from og_tui.core.amounts import format_amount

                self.query_one("#p-cap", Input).value = format_amount(amount, caps.decimals)
            else:
                caps.per_run = new_cap
                self.notify(f"Per-run spend cap raised to {caps.fmt(new_cap)} until og-tui exits.", title="Spend cap")
            self._show_spent()
            self.action_regenerate()

        self.app.push_screen(ConfirmDialog("Spend cap reached", lines, ok_label="Pay"), done)

    @on(m.PaymentMade)
    def _paid(self) -> None:
        self._show_spent()

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
        rows = self.store.messages(self.conv.id, limit=PAGE * 4)
        last_user = next((i for i in range(len(rows) - 1, -1, -1) if rows[i].role == "user"), None)
        if last_user is None:
            self.notify("Nothing to regenerate yet: send a message.", severity="warning")
            return
        try:
            params = self._read_params()
        except ValueError:
            return
        drop = [r.id for r in rows[last_user + 1:]]

        def go() -> None:
            assert self.conv is not None
            self.store.delete_messages(drop)
            log = self.log_view
            doomed = [w for w in log.query(ChatItem) if w.message_id in drop]
            # failed replies (never stored) after the last user message go too
            children = list(log.children)
            users = [w for w in children if isinstance(w, UserMessage)]
            if users:
                doomed += [w for w in children[children.index(users[-1]) + 1:] if isinstance(w, AssistantMessage)]
            for widget in set(doomed):
                widget.remove()
            self._selected = None
            self.conv = self.store.update_conversation(self.conv.id, model=params["model"], mode=params["mode"],
                                                       params=self._params_json(params)) or self.conv
            self._start_reply(params)

        self._ensure_wallet(params, go)

    # --- tools ------------------------------------------------------------------------------------------------
    def _pending_cards(self) -> list[ToolCallCard]:
        replies = list(self.log_view.query(AssistantMessage))
        if not replies:
            return []
        return [card for card in replies[-1].cards() if card.result is None]

    @on(ToolCallCard.ResultWanted)
    def _result_wanted(self, event: ToolCallCard.ResultWanted) -> None:
        from og_tui.tui.screens.chat_dialogs import ToolResultDialog

        card = event.card

        def done(text: str | None) -> None:
            if text is not None:
                self._supply_result(card, text)

        self.app.push_screen(ToolResultDialog(card.tool_name, card.args_text, card.error, self.prompt.text), done)

    def _supply_result(self, card: ToolCallCard, text: str) -> None:
        if self.conv is None:
            return
        self.store.add_message(self.conv.id, "tool", text, tool_call_id=card.call_id or None)
        card.set_result(text)
        self._show_status()
        if not self._pending_cards():
            try:
                params = self._read_params()
            except ValueError:
                return
            self._ensure_wallet(params, lambda: self._start_reply(params))

    # --- teardown ---------------------------------------------------------------------------------------------
    def on_unmount(self) -> None:
        if self._reply is not None:
            self._reply.cancel.set()
            if self._reply.stream is not None:
                self._reply.stream.close()


__all__ = ["ChatScreen", "ChatSession", "chat_session", "PromptArea", "tool_call_parts"]
