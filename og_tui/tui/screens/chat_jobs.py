"""The Chat screen's SQLite calls, off the event loop and in the order they were asked.

:meth:`ChatStoreJobs.in_store` runs a store call on the chat session's own store thread
and hands its result to a callback in a handler (:class:`StoreDone`), so handlers keep
all widget state and the loop never waits on the database (which workers also write to,
behind a 10 s busy timeout). One thread runs the jobs, one at a time, in the order they
were asked: a write is always seen by the read asked after it, and the jobs never wait
for a free thread behind long workers (replies, settlement follow-ups).
"""

from __future__ import annotations

import asyncio
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable

from textual import work
from textual.message import Message

from og_tui.core.errors import user_message
from og_tui.tui import messages as m

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.chat_store import Conversation

__all__ = ["ChatStoreJobs", "LoadedConversation", "StoreDone", "read_conversation"]

# one store thread per chat session (so per app)
_THREADS: "weakref.WeakKeyDictionary[Any, ThreadPoolExecutor]" = weakref.WeakKeyDictionary()


def _store_thread(session: Any) -> ThreadPoolExecutor:
    pool = _THREADS.get(session)
    if pool is None:
        pool = _THREADS[session] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chat-store")
    return pool


class StoreDone(Message, bubble=False):
    """A store job finished: ``then(result)`` runs in the screen's handler."""

    def __init__(self, result: Any, then: Callable[[Any], None]) -> None:
        super().__init__()
        self.result = result
        self.then = then


class ChatStoreJobs:
    """Mixed into :class:`~og_tui.tui.screens.chat.ChatScreen`: store jobs, and the actions
    that are mostly store work (list, rename, delete, save the open conversation)."""

    def in_store(
        self,
        fn: Callable[[Any], Any],
        then: Callable[[Any], None] | None = None,
        what: str = "Chat history",
        failed: Callable[[], None] | None = None,
    ) -> None:
        """Run ``fn(store)`` (the chat store; no widget) on the store thread; then ``then(result)`` on the loop.

        A failure is reported as :class:`~og_tui.tui.messages.OperationFailed` titled
        ``what``; ``failed()`` runs on the loop instead of ``then``.
        """
        session = self.session
        # submitted now, in the order asked (the worker below only waits for it)
        future = asyncio.wrap_future(_store_thread(session).submit(lambda: fn(session.store)))
        self._store_job(future, then, what, failed)

    @work(group="chat-store", exit_on_error=False, description="chat history")
    async def _store_job(
        self,
        future: "asyncio.Future[Any]",
        then: Callable[[Any], None] | None,
        what: str,
        failed: Callable[[], None] | None,
    ) -> None:
        try:
            result = await asyncio.shield(future)  # (a cancelled worker leaves the write to finish)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            text, hint = user_message(exc)
            self.app.post_message(m.OperationFailed(what, text, hint))
            if failed is not None:
                self.post_message(StoreDone(None, lambda _none: failed()))
            return
        if then is not None:
            self.post_message(StoreDone(result, then))

    def on_store_done(self, event: StoreDone) -> None:
        event.stop()
        event.then(event.result)

    # --- the conversation list and the open conversation ------------------------------------
    def _reload_list(self) -> None:
        profile, search = self.app.ctx.profile.name, self.sidebar.search or None
        self.in_store(
            lambda store: store.list_conversations(profile=profile, search=search),
            lambda rows: self.sidebar.show(rows, self.conv.id if self.conv else None),
        )

    def save_conversation(self, **changes: Any) -> None:
        """Write changes of the open conversation (shown already) in a store job."""
        if self.conv is None:
            return
        conv_id = self.conv.id

        def saved(conv: "Conversation | None") -> None:
            if conv is not None and self.conv is not None and self.conv.id == conv.id:
                self.conv = conv

        self.in_store(lambda store: store.update_conversation(conv_id, **changes), saved)

    def action_rename(self, conv_id: int | None = None) -> None:
        from og_tui.tui.screens.chat_dialogs import RenameDialog

        conv_id = conv_id or (self.conv.id if self.conv else None)
        if not conv_id:
            self.notify("No conversation to rename yet.", severity="warning")
            return

        def ask(conv: "Conversation | None") -> None:
            if conv is None:
                self.notify("No conversation to rename yet.", severity="warning")
                return

            def done(title: str | None) -> None:
                if title:
                    self.in_store(lambda store: store.update_conversation(conv.id, title=title, touch=False))
                    if self.conv and self.conv.id == conv.id:
                        self.conv.title = title
                    self._reload_list()

            self.app.push_screen(RenameDialog(conv.title), done)

        self.in_store(lambda store: store.get_conversation(conv_id), ask)

    def action_delete(self, conv_id: int | None = None) -> None:
        conv_id = conv_id or (self.conv.id if self.conv else None)
        if not conv_id:
            self.notify("No conversation to delete.", severity="warning")
            return
        self.in_store(lambda store: (store.get_conversation(conv_id), store.count_messages(conv_id)), self._ask_delete)

    def _ask_delete(self, found: tuple["Conversation | None", int]) -> None:
        from og_tui.tui.screens.modals import ConfirmDialog

        conv, count = found
        if conv is None:
            self.notify("No conversation to delete.", severity="warning")
            return
        lines = [
            f"“{conv.title}”",
            f"{count} message{'s' if count != 1 else ''} will be deleted from this machine.",
            "Payments already made stay in the Activity history.",
        ]

        def done(ok: bool | None) -> None:
            if not ok:
                return
            if self._reply is not None and self._reply.conversation_id == conv.id:
                self.action_stop()
            self.in_store(lambda store: store.delete_conversation(conv.id))
            if self.conv and self.conv.id == conv.id:
                self.conv = None
                self._show_empty()
            self._reload_list()
            self.notify(f"Deleted “{conv.title}”", title="Chat")

        self.app.push_screen(ConfirmDialog("Delete conversation?", lines, ok_label="Delete", danger=True), done)


class LoadedConversation:
    """What opening a conversation shows, read in one store job."""

    def __init__(self, conv: Any, total: int, rows: list[Any], sent: list[str], listing: list[Any]) -> None:
        self.conv = conv  # None: it is gone
        self.total = total  # messages in it
        self.rows = rows  # the newest page
        self.sent = sent  # the user's messages in it (the prompt's history)
        self.listing = listing  # the conversation list, as the sidebar shows it


def read_conversation(store: Any, conv_id: int, *, page: int, profile: str, search: str | None) -> LoadedConversation:
    """(In a store job.) A conversation's newest ``page`` messages, its size, the user's
    recent messages and the conversation list."""
    listing = store.list_conversations(profile=profile, search=search)
    conv = store.get_conversation(conv_id)
    if conv is None:
        return LoadedConversation(None, 0, [], [], listing)
    total = store.count_messages(conv.id)
    rows = store.messages(conv.id, limit=page)
    sent = [r.content for r in store.messages(conv.id, limit=200) if r.role == "user" and r.content]
    return LoadedConversation(conv, total, rows, sent, listing)
