"""What the app mounts for a stored reply and how its input paces full garbage collections.

A stored reply (one paged into the Chat view) is the label, its text as one Rich Markdown
widget and its footer: none of the empty parts a reply being written needs (the live
Markdown, the tool-card box, the error line), which come when wanted; an error stored with
the reply still shows. The app defers Python's full collections to pauses in the input
(og_tui.tui.gc_policy): every key it gets counts as input, and its exit puts the
interpreter's settings back."""

from __future__ import annotations

import gc

from textual.app import App
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from og_tui.tui.app import make_app
from og_tui.tui.gc_policy import OUT_OF_REACH
from og_tui.tui.widgets.chat_view import AssistantMessage
from og_tui.tui.widgets.frozen_markdown import FrozenMarkdown

from .helpers import settings_for, wait_until

META = {"model": "og-devnet/mini", "completion_tokens": 12, "cost": "256"}


class _Log(App):
    CSS_PATH = "../../og_tui/tui/screens/chat.tcss"

    def compose(self):
        yield VerticalScroll(id="chat-log")


async def test_a_stored_reply_mounts_only_what_it_shows():
    app = _Log()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one("#chat-log")
        plain = AssistantMessage("Settled **on chain**.", 1, meta=META, label="og-devnet/mini · TEE")
        failed = AssistantMessage("Half a repl", 2, meta=dict(META, error="upstream closed"), label="m")
        call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
        tools = AssistantMessage("Calling a tool.", 3, meta=META, tool_calls=[call], label="m")
        await log.mount_all([plain, failed, tools])
        await wait_until(pilot, lambda: all(w.is_mounted for w in (plain, failed, tools)))
        await pilot.pause()
        assert [type(w) for w in plain.children] == [Static, FrozenMarkdown, Static]
        assert not plain.query(Markdown) and not plain.query(".tool-cards, .reply-error")
        assert "12 tok" in str(plain.query_one(".reply-footer", Static).render())
        assert plain.shown_text == "Settled **on chain**." and plain.copy_text() == "Settled **on chain**."
        # the stored error gets its line, after the footer
        await wait_until(pilot, lambda: bool(failed.query(".reply-error")))
        assert "upstream closed" in str(failed.query_one(".reply-error", Static).render())
        assert list(failed.children).index(failed.query_one(".reply-error")) > list(failed.children).index(
            failed.query_one(".reply-footer")
        )
        # the tool calls get their cards
        assert tools.query(".tool-cards") and len(tools.cards()) == 1
        # each stored reply is as tall as what it shows (no blank line for an empty part)
        assert plain.region.height == 1 + 1 + 1 + 1  # label, text, the text's margin, footer


async def test_a_reply_being_written_gets_its_error_line_when_it_fails():
    app = _Log()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one("#chat-log")
        reply = AssistantMessage(label="m", streaming=True)
        await log.mount(reply)
        await pilot.pause()
        assert reply.query(Markdown) and not reply.query(".reply-error")
        reply.fail("The gateway refused the payment.", hint="Check the spend cap.")
        await wait_until(pilot, lambda: bool(reply.query(".reply-error")))
        text = str(reply.query_one(".reply-error", Static).render())
        assert "refused the payment" in text and "spend cap" in text


async def test_keys_count_as_input_and_the_exit_restores_the_collector(app_env):
    before = gc.get_threshold()
    app = make_app(settings_for(app_env), autostart_devnet=False, poll=False)
    app.connect = lambda: None
    async with app.run_test(size=(80, 24)) as pilot:
        assert gc.get_threshold()[2] >= OUT_OF_REACH
        stamp = app.collector.last_input
        await pilot.press("question_mark")
        assert app.collector.last_input > stamp
        await pilot.press("escape")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
