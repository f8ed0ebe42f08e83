"""Structured output in Chat against a real devnet: the response format in the parameters,
the JSON Schema editor (checked before it is saved, errors named), the reply shown as
formatted JSON with a ✓ line for the schema, all kept with the conversation."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Select, TextArea

from og_tui.core.chat_store import ChatStore
from og_tui.core.json_schema import validate
from og_tui.tui.app import make_app
from og_tui.tui.screens.chat import ChatScreen
from og_tui.tui.screens.schema_dialog import SchemaDialog
from og_tui.tui.widgets.chat_view import AssistantMessage

from .helpers import press_ok, wait_until
from .test_chat_screen import _app, _funded_settings, _of, _open_chat, _say

pytestmark = pytest.mark.e2e

CITY = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 2},
        "population": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
    },
    "required": ["city", "population", "tags"],
    "additionalProperties": False,
}


def _render(widget) -> str:
    return str(widget.render())


async def _set_format(pilot, screen: ChatScreen, kind: str) -> None:
    screen.query_one("#p-format", Select).value = kind
    await pilot.pause()


async def test_json_schema_reply_is_formatted_and_checked(devnet, app_env):
    settings, wallets = _funded_settings(app_env, devnet)
    app = _app(settings, wallets)
    seen: list = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = await _open_chat(pilot, max_tokens=200)
        await _set_format(pilot, screen, "json_schema")
        # sending without a schema says what is missing, nothing is sent
        await _say(pilot, screen, "Describe a city")
        assert "needs a schema" in _render(screen.query_one("#p-error"))
        assert not _of(seen, ChatScreen.Finished) and screen.conv is None

        screen.query_one("#p-schema").press()
        await wait_until(pilot, lambda: isinstance(app.screen, SchemaDialog) and app.screen.focused is not None)
        dialog = app.screen
        area = dialog.query_one(TextArea)
        error = dialog.query_one(".dialog-error")
        area.text = '{"type": "string", "pattern": "^a"}'
        await press_ok(pilot)
        await wait_until(pilot, lambda: "keyword 'pattern'" in _render(error))
        assert _render(error).startswith("The schema cannot be used:") and isinstance(app.screen, SchemaDialog)
        area.text = '{\n  "type": "object",\n  "properties": {,}\n}'
        await press_ok(pilot)
        await wait_until(pilot, lambda: "not valid JSON" in _render(error))
        assert "line 3 column" in _render(error) and area.cursor_location[0] == 2
        dialog.query_one("#schema-name").value = "a city"
        area.text = json.dumps(CITY)
        await press_ok(pilot)
        await wait_until(pilot, lambda: "schema name" in _render(error))
        dialog.query_one("#schema-name").value = "city"
        await press_ok(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert "Schema… (city)" in str(screen.query_one("#p-schema").label)

        await _say(pilot, screen, "Describe a city")
        await wait_until(pilot, lambda: _of(seen, ChatScreen.Finished), timeout=30)
        done = _of(seen, ChatScreen.Finished)[0]
        value = json.loads(done.text)
        assert validate(value, CITY) == []
        reply = screen.query(AssistantMessage).last()
        await wait_until(pilot, lambda: not reply.streaming and reply.query(".reply-schema"))
        shown = _render(reply.query_one(".reply-json"))
        assert shown == json.dumps(value, indent=2, ensure_ascii=False)  # formatted
        assert not any(w.display for w in reply.query(".assistant-text, .frozen-markdown"))
        assert _render(reply.query_one(".reply-schema")) == "✓ matches schema city"
        assert "signature verified" in _render(reply.query_one(".reply-tee"))  # it covers response_format too
        conv_id = screen.conv.id

    stored = ChatStore(settings.db_path).messages(conv_id)[-1]
    assert stored.meta["response_format"]["json_schema"]["name"] == "city"
    app2 = make_app(settings, poll=False)
    async with app2.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app2.screen, ChatScreen) and app2.screen.conv is not None)
        screen2 = app2.screen
        reply = screen2.query(AssistantMessage).last()
        await wait_until(pilot, lambda: reply.query(".reply-schema"))
        assert _render(reply.query_one(".reply-schema")) == "✓ matches schema city"
        assert screen2.query_one("#p-format", Select).value == "json_schema"
        assert "Schema… (city)" in str(screen2.query_one("#p-schema").label)


async def test_json_object_reply_is_formatted(devnet, app_env):
    settings, wallets = _funded_settings(app_env, devnet)
    app = _app(settings, wallets)
    seen: list = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = await _open_chat(pilot, max_tokens=300)
        await _set_format(pilot, screen, "json_object")
        assert not screen.query_one("#p-schema").display  # the schema is for json_schema only
        await _say(pilot, screen, "How does the devnet settle a payment?")
        await wait_until(pilot, lambda: _of(seen, ChatScreen.Finished), timeout=30)
        reply = screen.query(AssistantMessage).last()
        await wait_until(pilot, lambda: not reply.streaming and reply.query(".reply-schema"))
        assert isinstance(json.loads(_of(seen, ChatScreen.Finished)[0].text), dict)
        assert _render(reply.query_one(".reply-schema")) == "✓ a JSON object, as asked"
        assert _render(reply.query_one(".reply-json")).startswith("{\n  ")
