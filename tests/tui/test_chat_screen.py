"""Pilot tests of the Chat screen against a real devnet: streaming, payments, stop,
regenerate, tools, persistence across app instances, spend caps and failures."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

import pytest

from og_tui.core.chat_store import ChatStore
from og_tui.core.devnet_client import DevnetClient
from og_tui.core.llm import DEVNET_MODEL, LLMClient
from og_tui.core.secrets import WalletStore
from og_tui.core.store import Store
from og_tui.tui import messages as m
from og_tui.tui.app import make_app
from og_tui.tui.screens.chat import ChatScreen, PromptArea
from og_tui.tui.screens.chat_dialogs import ToolsDialog
from og_tui.tui.screens.modals import ConfirmDialog
from og_tui.tui.widgets.chat_items import ToolCallCard, UserMessage
from og_tui.tui.widgets.chat_view import AssistantMessage

from .helpers import TEST_KEY, TEST_PASSPHRASE, settings_for, wait_until

pytestmark = pytest.mark.e2e

QUESTION = "Explain how x402 payments settle on the devnet"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


def _of(seen, kind):
    return [msg for msg in seen if isinstance(msg, kind)]


def _saved(screen) -> bool:
    """The screen's store jobs are done: what it shows is in the database."""
    return not any(w.group == "chat-store" and not w.is_finished for w in screen.workers)


def _funded_settings(app_env, devnet, **overrides):
    settings = settings_for(app_env, devnet.port)
    for key, value in overrides.items():
        setattr(settings, key, value)
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    if not wallets.list_wallets():
        info = wallets.import_key("main", TEST_KEY, TEST_PASSPHRASE)
        wallets.set_active(info.address)
        DevnetClient(devnet.url).fund(info.address)
    return settings, wallets


def _app(settings, wallets):
    app = make_app(settings, poll=False)
    [info] = wallets.list_wallets()
    app.ctx.remember_signer(wallets.unlock(info.address, TEST_PASSPHRASE))
    return app


async def _open_chat(pilot, max_tokens: int = 40) -> ChatScreen:
    app = pilot.app
    await wait_until(pilot, lambda: app.net.connected)
    await pilot.press("f5")  # (a key, so the screen runs in the app's context: message_hook sees it)
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
    screen = app.screen
    await wait_until(pilot, lambda: DEVNET_MODEL in screen.params_pane.models)
    screen.query_one("#p-max_tokens").value = str(max_tokens)
    return screen


async def _say(pilot, screen: ChatScreen, text: str) -> None:
    prompt = screen.query_one(PromptArea)
    prompt.focus()
    prompt.text = text
    await pilot.press("enter")


@asynccontextmanager
async def _long_reply(
    app_env, devnet, monkeypatch, *, chunks: int, size=(80, 24), prompt="Write a long answer about blocks", tps=25
):
    """A funded, unlocked app in Chat, ``prompt`` sent and its long reply (400 tokens, no early
    end) streaming slowly (``tps`` tokens a second) so it can be stopped or cut: entered once
    ``chunks`` of it have arrived, as ``(pilot, screen, messages seen)``."""
    settings, wallets = _funded_settings(app_env, devnet)
    monkeypatch.setattr(ChatScreen, "extra_body", {"tokens_per_second": tps, "ignore_eos": True})
    app = _app(settings, wallets)
    seen: list = []
    async with app.run_test(size=size, message_hook=seen.append) as pilot:
        screen = await _open_chat(pilot, max_tokens=400)
        await _say(pilot, screen, prompt)
        await wait_until(pilot, lambda: len(_of(seen, ChatScreen.Chunk)) >= chunks, timeout=20)
        yield pilot, screen, seen


async def test_send_streams_pays_and_persists(devnet, app_env):
    settings, wallets = _funded_settings(app_env, devnet)
    app = _app(settings, wallets)
    seen: list = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = await _open_chat(pilot, max_tokens=60)
        await _say(pilot, screen, QUESTION)
        await wait_until(pilot, lambda: _of(seen, ChatScreen.Finished), timeout=30)
        done = _of(seen, ChatScreen.Finished)[0]
        chunks = _of(seen, ChatScreen.Chunk)
        assert len(chunks) >= 2, "the reply arrives in pieces"
        assert "".join(c.text for c in chunks) == done.text
        assert not done.stopped and not done.interrupted
        reply = screen.query(AssistantMessage).last()
        await wait_until(pilot, lambda: not reply.streaming)
        assert reply.shown_text == done.text
        footer = str(reply.query_one(".reply-footer").render())
        assert "0.00006 OUSDC" in footer and "pay 0x" in footer and "builtin" in footer and "tok/s" in footer
        assert _of(seen, m.PaymentMade) and _of(seen, m.PaymentMade)[0].amount == 60
        conv_id = screen.conv.id
        # the same request, not streamed, at temperature 0 gives the same text
        signer = app.ctx.signer(app.net.address)
        with LLMClient(settings.profile, signer) as client:
            same = client.chat(DEVNET_MODEL, [{"role": "user", "content": QUESTION}], max_tokens=60, temperature=0)
        assert same.chat_output["content"] == done.text
    payments = Store(settings.db_path).list_payments()
    assert payments and payments[-1].amount == 60 and payments[-1].hash
    rows = ChatStore(settings.db_path).messages(conv_id)
    assert [r.role for r in rows] == ["user", "assistant"]
    assert rows[1].content == done.text and rows[1].meta["payment_hash"] and rows[1].meta["cost"] == "60"

    # a new app instance finds the conversation again and shows it
    app2 = make_app(settings, poll=False)
    async with app2.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app2.screen, ChatScreen) and app2.screen.conv is not None)
        screen = app2.screen
        await wait_until(
            pilot,
            lambda: (
                [
                    (r.shown_text, bool(str(r.query_one(".reply-footer").render())))
                    for r in screen.query(AssistantMessage)
                ]
                == [(done.text, True)]
            ),
        )
        assert screen.conv.id == conv_id
        assert screen.conv.title.startswith("Explain how x402")
        assert [u.text for u in screen.query(UserMessage)] == [QUESTION]
        [reply] = list(screen.query(AssistantMessage))
        assert reply.shown_text == done.text
        assert "pay 0x" in str(reply.query_one(".reply-footer").render())
        # history recall: up in the empty prompt brings back what was sent
        prompt = screen.query_one(PromptArea)
        prompt.focus()
        await pilot.press("up")
        assert prompt.text == QUESTION


async def test_stop_keeps_partial_then_regenerate(devnet, app_env, monkeypatch):
    async with _long_reply(app_env, devnet, monkeypatch, chunks=3) as (pilot, screen, seen):
        # the user scrolls up to read while the reply streams: the view stays where they put it
        log = screen.log_view
        await wait_until(pilot, lambda: log.max_scroll_y > 2, timeout=20)
        log.scroll_to(y=0, animate=False, immediate=True)
        grown = log.max_scroll_y
        await wait_until(pilot, lambda: log.max_scroll_y > grown + 1, timeout=20)
        assert log.scroll_y == 0
        log.scroll_end(animate=False, immediate=True)  # back at the bottom: it follows the reply again
        bottom = log.max_scroll_y
        await wait_until(pilot, lambda: log.max_scroll_y > bottom + 1 and log.scroll_y == log.max_scroll_y, timeout=20)
        await pilot.press("escape")
        await wait_until(pilot, lambda: _of(seen, ChatScreen.Finished), timeout=10)
        done = _of(seen, ChatScreen.Finished)[0]
        assert done.stopped and done.text and 0 < done.meta["completion_tokens"] < 400  # cut before its end
        reply = screen.query(AssistantMessage).last()
        await wait_until(pilot, lambda: not reply.streaming)
        assert "stopped" in str(reply.query_one(".reply-footer").render())
        assert reply.shown_text == done.text
        rows = screen.store.messages(screen.conv.id)
        assert rows[-1].role == "assistant" and rows[-1].content == done.text and rows[-1].meta["stopped"]
        old_id = rows[-1].id

        # regenerate replaces the last reply
        monkeypatch.setattr(ChatScreen, "extra_body", None)
        screen.query_one("#p-max_tokens").value = "30"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: len(_of(seen, ChatScreen.Finished)) >= 2, timeout=30)
        # the new reply is stored
        await wait_until(pilot, lambda: screen.store.messages(screen.conv.id)[-1].id != old_id)
        rows = screen.store.messages(screen.conv.id)
        assert [r.role for r in rows] == ["user", "assistant"] and rows[-1].id != old_id
        assert not rows[-1].meta.get("stopped")
        assert len(screen.query(AssistantMessage)) == 1


async def test_tool_call_round_trip(devnet, app_env):
    settings, wallets = _funded_settings(app_env, devnet)
    app = _app(settings, wallets)
    seen: list = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = await _open_chat(pilot, max_tokens=80)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, ToolsDialog))
        dialog = app.screen
        area = dialog.query_one("#tools-json")
        area.text = '[{"type": "function", "function": {"name": "get_weather",}}]'
        for ch in "  ":  # typing into the highlighted JSON editor must not crash (tree-sitter pin)
            await pilot.press(ch)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ToolsDialog)
        assert "Malformed tools JSON" in str(dialog.query_one(".dialog-error").render())
        area.text = json.dumps(TOOLS, indent=2)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))

        await _say(pilot, screen, "What is the weather in Paris?")
        await wait_until(pilot, lambda: _of(seen, ChatScreen.Finished), timeout=30)
        first = _of(seen, ChatScreen.Finished)[0]
        assert first.tool_calls and first.tool_calls[0]["function"]["name"] == "get_weather"
        await wait_until(pilot, lambda: screen.query(ToolCallCard))
        card = screen.query_one(ToolCallCard)
        assert card.tool_name == "get_weather" and card.error is None and "city" in card.args_text
        assert screen._pending_cards() == [card]
        # the prompt takes the tool's result; the conversation continues by itself
        await _say(pilot, screen, '{"temperature_c": 21, "sky": "clear"}')
        await wait_until(pilot, lambda: len(_of(seen, ChatScreen.Finished)) >= 2, timeout=30)
        second = _of(seen, ChatScreen.Finished)[1]
        assert second.text and not second.tool_calls
        assert card.result == '{"temperature_c": 21, "sky": "clear"}'
        await wait_until(pilot, lambda: _saved(screen))
        rows = screen.store.messages(screen.conv.id)
        assert [r.role for r in rows] == ["user", "assistant", "tool", "assistant"]
        assert rows[2].tool_call_id == first.tool_calls[0]["id"]
        assert screen.store.get_conversation(screen.conv.id).tools[0]["function"]["name"] == "get_weather"


async def test_spend_cap_asks_before_paying(devnet, app_env):
    settings, wallets = _funded_settings(app_env, devnet, llm_cap_per_run="0.00003")
    app = _app(settings, wallets)
    seen: list = []
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        screen = await _open_chat(pilot, max_tokens=40)  # 40 units > the 30-unit per-run cap
        await _say(pilot, screen, "Hello there")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout=20)
        [failed] = _of(seen, ChatScreen.Failed)
        assert failed.kind == "spend_cap" and failed.amount == 40
        assert not Store(settings.db_path).list_payments()  # nothing paid before the user agrees
        assert "Raise the per-run cap" in " ".join(str(s.render()) for s in app.screen.query(".dialog-line"))
        await pilot.click("#ok")
        await wait_until(pilot, lambda: _of(seen, ChatScreen.Finished), timeout=30)
        assert screen.session.caps.per_run >= 40
        assert [p.amount for p in Store(settings.db_path).list_payments()] == [40]
        await wait_until(pilot, lambda: _saved(screen))
        rows = screen.store.messages(screen.conv.id)
        assert [r.role for r in rows] == ["user", "assistant"]


async def test_unknown_model_keeps_message(devnet, app_env):
    settings, wallets = _funded_settings(app_env, devnet)
    app = _app(settings, wallets)
    seen: list = []
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        screen = await _open_chat(pilot)
        screen.params_pane.set_models(screen.params_pane.models, "nobody/no-such-model")
        await _say(pilot, screen, "Are you there?")
        await wait_until(pilot, lambda: _of(seen, ChatScreen.Failed), timeout=20)
        [failed] = _of(seen, ChatScreen.Failed)
        assert failed.kind == "unknown_model"
        reply = screen.query(AssistantMessage).last()
        assert "ctrl+r" in str(reply.query_one(".reply-error").render())
        rows = screen.store.messages(screen.conv.id)
        assert [(r.role, r.content) for r in rows] == [("user", "Are you there?")]
        assert not Store(settings.db_path).list_payments()


async def test_gateway_killed_mid_stream(fresh_devnet, app_env, monkeypatch):
    long_reply = _long_reply(
        app_env, fresh_devnet, monkeypatch, chunks=3, size=(100, 30), prompt="Keep talking", tps=30
    )
    async with long_reply as (pilot, screen, seen):
        fresh_devnet.proc.kill()  # a crash, not a graceful stop
        fresh_devnet.proc.wait()
        await wait_until(pilot, lambda: _of(seen, ChatScreen.Finished), timeout=20)
        done = _of(seen, ChatScreen.Finished)[0]
        assert done.interrupted and done.text
        reply = screen.query(AssistantMessage).last()
        await wait_until(pilot, lambda: not reply.streaming)
        assert "interrupted" in str(reply.query_one(".reply-footer").render())
        rows = screen.store.messages(screen.conv.id)
        assert rows[-1].meta["interrupted"] and rows[-1].content == done.text
    fresh_devnet.proc = None


async def test_malformed_tool_arguments_card(app_env):
    app = make_app(settings_for(app_env), autostart_devnet=False, poll=False)
    app.connect = lambda: None
    async with app.run_test(size=(100, 30)) as pilot:
        screen_cls = ChatScreen
        screen_cls.autoload_models = False
        try:
            await pilot.press("f5")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen) and app.screen.query("#chat-empty"))
            screen = app.screen
            call = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x",'}}
            reply = AssistantMessage("", None, meta={"model": DEVNET_MODEL, "mode": "TEE"}, tool_calls=[call])
            await screen.log_view.mount(reply)
            await pilot.pause()
            card = reply.query_one(ToolCallCard)
            assert card.error and "do not parse" in card.error
            assert "do not parse" in str(card.query_one(".tool-error").render())
        finally:
            screen_cls.autoload_models = True
