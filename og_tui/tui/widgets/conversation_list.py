"""The Chat screen's sidebar: stored conversations, newest first, with a search box.

It shows what it is given (:meth:`ConversationList.show`) and posts what the user asked
for: :class:`ConversationList.Opened`, :class:`~ConversationList.RenameWanted`,
:class:`~ConversationList.DeleteWanted`, :class:`~ConversationList.SearchChanged` and
:class:`~ConversationList.SearchClosed`. The screen owns the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.events import Key
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from og_tui.tui.format import fmt_time
from og_tui.tui.widgets.motions import NavOptionList

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.chat_store import Conversation

__all__ = ["ConversationList"]


class ConversationList(Vertical):
    """Search box, the list (enter opens, r renames, d deletes, / searches) and a hint line."""

    class Opened(Message):
        """The user picked a conversation."""

        def __init__(self, conv_id: int) -> None:
            super().__init__()
            self.conv_id = conv_id

    class RenameWanted(Message):
        def __init__(self, conv_id: int | None) -> None:
            super().__init__()
            self.conv_id = conv_id

    class DeleteWanted(Message):
        def __init__(self, conv_id: int | None) -> None:
            super().__init__()
            self.conv_id = conv_id

    class SearchChanged(Message):
        """The search text changed."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class SearchClosed(Message):
        pass

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.search = ""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search chats…", id="chat-search", compact=True)
        yield NavOptionList(id="conversations")
        yield Static("⏎ open · r rename · d delete", classes="pane-hint", id="chat-list-hint")

    def on_mount(self) -> None:
        self.query_one("#chat-search", Input).display = False

    @property
    def options(self) -> OptionList:
        return self.query_one("#conversations", OptionList)

    def show(self, rows: list["Conversation"], current: int | None) -> None:
        """List ``rows``; ``current`` (the open conversation) in bold and highlighted."""
        convs = self.options
        convs.clear_options()
        options = []
        for conv in rows:
            label = Content.assemble(
                (conv.title, "bold" if conv.id == current else ""),
                "\n",
                (f"{fmt_time(conv.updated, short=True)} · {conv.model or ''}", "$text-muted"),
            )
            options.append(Option(label, id=str(conv.id)))
        convs.add_options(options)
        if current is not None:
            for i, conv in enumerate(rows):
                if conv.id == current:
                    convs.highlighted = i
                    break

    def first_id(self) -> int | None:
        """The newest conversation listed (highlighted), if any."""
        convs = self.options
        if not convs.option_count:
            return None
        convs.highlighted = 0
        return int(convs.get_option_at_index(0).id or 0)

    def highlighted_id(self) -> int | None:
        convs = self.options
        if convs.highlighted is None:
            return None
        option = convs.get_option_at_index(convs.highlighted)
        return int(option.id) if option.id else None

    def open_search(self) -> None:
        box = self.query_one("#chat-search", Input)
        self.display = True
        box.display = True
        box.focus()

    def close_search(self) -> None:
        box = self.query_one("#chat-search", Input)
        box.value = ""
        box.display = False
        self.search = ""  # (clearing the box posts SearchChanged(""))
        self.post_message(self.SearchClosed())

    @on(OptionList.OptionSelected, "#conversations")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Opened(int(event.option.id)))

    @on(Input.Changed, "#chat-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search = event.value.strip()
        self.post_message(self.SearchChanged(self.search))

    @on(Input.Submitted, "#chat-search")
    def _search_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.options.focus()

    def on_key(self, event: Key) -> None:
        focused = self.screen.focused
        if focused is self.options:
            if event.key == "r":
                event.stop()
                self.post_message(self.RenameWanted(self.highlighted_id()))
            elif event.key in ("d", "delete"):
                event.stop()
                self.post_message(self.DeleteWanted(self.highlighted_id()))
            elif event.key == "slash":
                event.stop()
                self.open_search()
        elif focused is not None and focused.id == "chat-search" and event.key == "escape":
            event.stop()
            self.close_search()
