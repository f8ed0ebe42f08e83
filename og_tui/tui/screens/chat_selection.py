"""The Chat screen's selection and copy: the message clicked, and copying it (or the last
reply); and the prompt's PageUp/PageDown, which scroll the conversation.

Mixed into :class:`~og_tui.tui.screens.chat.ChatScreen` (naming-convention handlers). The
selected message stays selected when the message view unmounts its widget (the view keeps
its id); f8, or ``c``/``y`` in the message view, copies its text (OSC 52), or the last
reply's.
"""

from __future__ import annotations

from textual.actions import SkipAction
from textual.events import Key

from og_tui.tui.widgets.chat_items import ChatItem
from og_tui.tui.widgets.chat_log import ChatLog
from og_tui.tui.widgets.chat_view import AssistantMessage
from og_tui.tui.widgets.prompt_area import PromptArea

__all__ = ["ChatSelection"]


class ChatSelection:
    """Mixed into :class:`~og_tui.tui.screens.chat.ChatScreen`: selecting and copying messages."""

    def on_chat_item_selected(self, event: ChatItem.Selected) -> None:
        log = self.log_view
        log.query(".-selected").remove_class("-selected")
        self._selected = event.item
        log.selected_id = event.item.message_id
        event.item.add_class("-selected")

    def _copy_text(self) -> str | None:
        """The selected message's text (its widget may be scrolled away), or the last reply's."""
        log = self.log_view
        item = self._selected
        if item is not None:
            if item.is_attached:
                return item.copy_text()
            stored = log.item_of(item.message_id)
            if stored is not None:
                return stored.text
        replies = list(log.query(AssistantMessage))
        # (the newest reply is in the view's live tail: always mounted)
        if replies and not log.is_virtual:
            return replies[-1].copy_text()
        tail = [w for w in replies if w.message_id is None or log.item_of(w.message_id) is None]
        if tail:
            return tail[-1].copy_text()
        return log.last_reply_text()

    def action_copy(self) -> None:
        text = self._copy_text()
        if text is None:
            self.notify("Nothing to copy yet.", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {len(text)} characters (OSC 52)", title="Copied")

    def on_prompt_area_page_wanted(self, event: PromptArea.PageWanted) -> None:
        """PageUp/PageDown in the prompt scroll the conversation (the prompt keeps the focus)."""
        event.stop()
        try:
            if event.direction < 0:
                self.log_view.action_page_up()
            else:
                self.log_view.action_page_down()
        except SkipAction:  # (nothing to scroll)
            pass

    def on_key(self, event: Key) -> None:
        if isinstance(self.focused, ChatLog) and event.key in ("c", "y"):
            event.stop()
            self.action_copy()
