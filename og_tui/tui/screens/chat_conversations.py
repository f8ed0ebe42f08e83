"""The Chat screen's conversations: the list's messages, opening one, and reading earlier pages.

Mixed into :class:`~og_tui.tui.screens.chat.ChatScreen` (naming-convention handlers): the
conversation list (:class:`~og_tui.tui.widgets.conversation_list.ConversationList`) opens,
searches, renames and deletes (the rename and delete actions are store work, in
:class:`~og_tui.tui.screens.chat_jobs.ChatStoreJobs`); opening reads a conversation's newest
:data:`PAGE` of messages in a store job and shows them in the message view
(:class:`~og_tui.tui.widgets.chat_log.ChatLog`), or the welcome of an empty one; the view
reaching the oldest row read (or the ``#load-earlier`` button) reads the page before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.content import Content
from textual.widgets import Button, Static

from og_tui.tui.screens.chat_jobs import LoadedConversation, read_conversation
from og_tui.tui.widgets.chat_history import stored_items
from og_tui.tui.widgets.chat_log import ChatLog
from og_tui.tui.widgets.conversation_list import ConversationList

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.chat_store import ChatMessage

__all__ = ["PAGE", "ChatConversations"]

PAGE = 40  # messages read per page of a long conversation (the view mounts only what is near the viewport)


class ChatConversations:
    """Mixed into :class:`~og_tui.tui.screens.chat.ChatScreen`: the conversation list's
    messages, opening a conversation, and reading its earlier pages."""

    # --- conversation list -------------------------------------------------------------------
    def on_conversation_list_opened(self, event: ConversationList.Opened) -> None:
        self.open_conversation(event.conv_id)
        self.prompt.focus()

    def on_conversation_list_search_changed(self) -> None:
        self._reload_list()

    def on_conversation_list_search_closed(self) -> None:
        self.prompt.focus()

    def on_conversation_list_rename_wanted(self, event: ConversationList.RenameWanted) -> None:
        self.action_rename(event.conv_id)

    def on_conversation_list_delete_wanted(self, event: ConversationList.DeleteWanted) -> None:
        self.action_delete(event.conv_id)

    def action_search(self) -> None:
        self.sidebar.open_search()

    # --- opening a conversation -----------------------------------------------------------------
    def _show_empty(self) -> None:
        log = self.log_view
        # (a welcome shown already stays: removing is not done before the next mount)
        empty = next((c for c in log.children if c.id == "chat-empty"), None)
        log.remove_children([c for c in log.children if c is not empty])
        self._selected = None
        self._oldest_id = None
        if isinstance(empty, Static):
            empty.update(self._welcome())
        else:
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
        """Read the conversation in a store job, then show it."""
        profile, search = self.app.ctx.profile.name, self.sidebar.search or None
        self.in_store(
            lambda store: read_conversation(store, conv_id, page=PAGE, profile=profile, search=search),
            self._show_conversation,
        )

    def _show_conversation(self, loaded: LoadedConversation) -> None:
        conv, total, rows = loaded.conv, loaded.total, loaded.rows
        if conv is None:
            self._show_empty()
            self.sidebar.show(loaded.listing, self.conv.id if self.conv else None)
            return
        self.conv = conv
        self._fill_params(conv)
        log = self.log_view
        self._selected = None
        log.selected_id = None
        self._shown_count += 1
        self._loading_earlier = False
        log.show(stored_items(rows, self.app.ctx.profile), total - len(rows))
        self._oldest_id = rows[0].id if rows else None
        self.prompt.sent = self._history_of(loaded.sent) or self.session.history
        self._show_status()
        log.anchor()
        log.scroll_end(animate=False, immediate=False)
        self.sidebar.show(loaded.listing, conv.id)

    def _history_of(self, sent: list[str]) -> list[str]:
        history = list(sent)
        for text in self.session.history:
            if text not in history:
                history.append(text)
        return history

    # --- earlier pages ----------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "load-earlier":
            event.stop()
            self.load_earlier()

    def on_chat_log_reached_top(self, event: ChatLog.ReachedTop) -> None:
        self.load_earlier(event.wanted)

    def load_earlier(self, wanted: int = 0) -> None:
        """Read the page of messages before the oldest shown (or ``wanted`` of them, if more)."""
        if self.conv is None or self._oldest_id is None or self._loading_earlier:
            return
        self._loading_earlier = True
        conv_id, before, limit, shown = self.conv.id, self._oldest_id, max(PAGE, wanted), self._shown_count

        def read(store: Any) -> tuple[list["ChatMessage"], int]:
            rows = store.messages(conv_id, limit=limit, before_id=before)
            return rows, (store.count_messages(conv_id, before_id=rows[0].id) if rows else 0)

        self.in_store(
            read,
            lambda found: self._show_earlier(conv_id, *found) if shown == self._shown_count else None,
            failed=lambda: setattr(self, "_loading_earlier", False) if shown == self._shown_count else None,
        )

    def _show_earlier(self, conv_id: int, rows: list["ChatMessage"], remaining: int) -> None:
        self._loading_earlier = False
        if self.conv is None or self.conv.id != conv_id:
            return
        self.log_view.add_earlier(stored_items(rows, self.app.ctx.profile), remaining)
        if rows:
            self._oldest_id = rows[0].id
