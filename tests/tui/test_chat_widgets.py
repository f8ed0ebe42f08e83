"""The Chat screen's parts on their own: the conversation list and the parameters pane post
their own messages; the pane checks its fields."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Input, Select

from og_tui.core.chat_store import Conversation
from og_tui.tui.widgets.chat_params import ChatParams
from og_tui.tui.widgets.conversation_list import ConversationList
from og_tui.tui.widgets.prompt_area import PromptArea

from .helpers import wait_until


class _Host(App):
    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget
        self.seen: list = []

    def compose(self):
        yield self.widget
        yield PromptArea(id="prompt")

    def on_conversation_list_opened(self, event) -> None:
        self.seen.append(event)

    def on_conversation_list_rename_wanted(self, event) -> None:
        self.seen.append(event)

    def on_conversation_list_delete_wanted(self, event) -> None:
        self.seen.append(event)

    def on_conversation_list_search_changed(self, event) -> None:
        self.seen.append(event)

    def on_conversation_list_search_closed(self, event) -> None:
        self.seen.append(event)

    def on_chat_params_changed(self, event) -> None:
        self.seen.append(event)

    def of(self, kind) -> list:
        return [e for e in self.seen if isinstance(e, kind)]


ROWS = [Conversation(7, "Newest", model="m1", updated=2.0), Conversation(3, "Older", model="m2", updated=1.0)]


async def test_conversation_list_posts_what_the_user_asks_for():
    sidebar = ConversationList(id="chat-sidebar")
    app = _Host(sidebar)
    async with app.run_test(size=(80, 20)) as pilot:
        sidebar.show(ROWS, current=3)
        assert sidebar.highlighted_id() == 3  # the open conversation
        assert sidebar.first_id() == 7 and sidebar.highlighted_id() == 7
        sidebar.options.focus()
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: app.of(ConversationList.Opened))
        assert app.of(ConversationList.Opened)[0].conv_id == 3
        await pilot.press("r")
        await wait_until(pilot, lambda: app.of(ConversationList.RenameWanted))
        assert app.of(ConversationList.RenameWanted)[0].conv_id == 3
        await pilot.press("d")
        await wait_until(pilot, lambda: app.of(ConversationList.DeleteWanted))
        assert app.of(ConversationList.DeleteWanted)[0].conv_id == 3

        await pilot.press("slash")
        box = sidebar.query_one("#chat-search", Input)
        await wait_until(pilot, lambda: box.display and app.focused is box)
        await pilot.press("o", "l")
        await wait_until(pilot, lambda: sidebar.search == "ol")
        assert [e.text for e in app.of(ConversationList.SearchChanged)][-1] == "ol"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.of(ConversationList.SearchClosed))
        await wait_until(pilot, lambda: app.of(ConversationList.SearchChanged)[-1].text == "")
        assert sidebar.search == "" and not box.display


async def test_params_pane_fills_checks_and_posts_changed():
    pane = ChatParams("m1", id="chat-params")
    app = _Host(pane)
    async with app.run_test(size=(80, 40)) as pilot:
        pane.set_models(["m1", "m2"], "m1")
        conv = Conversation(
            1,
            "c",
            model="m2",
            mode="VANILLA",
            params={"temperature": "0.5", "max_tokens": "64", "stop": "END, STOP", "completion": True},
        )
        pane.fill(conv, cap="0.25", model="m1")
        await pilot.pause()
        assert (pane.model, pane.mode, pane.completion) == ("m2", "VANILLA", True)
        params = pane.read(decimals=6)
        assert params["temperature"] == 0.5 and params["max_tokens"] == 64
        assert params["stop"] == ["END", "STOP"] and params["cap"] == 250_000

        before = len(app.of(ChatParams.Changed))
        pane.query_one("#p-mode", Select).value = "TEE"
        await wait_until(pilot, lambda: len(app.of(ChatParams.Changed)) > before)
        assert app.of(ChatParams.Changed)[-1].params.mode == "TEE"

        pane.query_one("#p-temperature", Input).value = "3"
        with pytest.raises(ValueError, match="Temperature must be a number from 0 to 2"):
            pane.read(decimals=6)
        await wait_until(pilot, lambda: app.focused is pane.query_one("#p-temperature"))  # (the field named)
        pane.query_one("#p-temperature", Input).value = "1"
        pane.set_cap("lots")
        with pytest.raises(ValueError, match="Spend cap"):
            pane.read(decimals=6)
        pane.set_cap("off")
        assert pane.read(decimals=6)["cap"] is None


async def test_prompt_keys_send_newline_and_recall():
    """enter sends (no newline typed), ctrl+j and shift+enter insert one, up/down walk the
    prompts sent before and come back to the draft; other keys type as in any TextArea."""
    sent: list[str] = []

    class Host(App):
        def compose(self):
            yield PromptArea(id="prompt")

        def on_prompt_area_submitted(self, event) -> None:
            sent.append(event.text)

    app = Host()
    async with app.run_test(size=(60, 10)) as pilot:
        prompt = app.query_one(PromptArea)
        prompt.focus()
        prompt.sent = ["first", "second"]
        await pilot.press("h", "i", "ctrl+j", "y", "o", "shift+enter", "!")
        await wait_until(pilot, lambda: prompt.text == "hi\nyo\n!")
        await pilot.press("enter")
        await wait_until(pilot, lambda: sent == ["hi\nyo\n!"])
        assert prompt.text == "hi\nyo\n!"  # (the screen clears it once it is stored)

        prompt.text = "draft"
        await pilot.press("up")
        await wait_until(pilot, lambda: prompt.text == "second")
        await pilot.press("up")
        await wait_until(pilot, lambda: prompt.text == "first")
        await pilot.press("up")  # the oldest: the key is swallowed
        await pilot.press("down", "down")
        await wait_until(pilot, lambda: prompt.text == "draft")
