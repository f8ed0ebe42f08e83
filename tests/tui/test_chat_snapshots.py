"""Snapshot tests of the Chat screen at 80x24 and 120x40: a stored conversation with a tool
call and an interrupted reply, the parameters, the dialogs, a reply with OpenGradient tools
(no network: fixed state). The other screens' are in test_snapshots.py."""

from __future__ import annotations

import pytest

from .helpers import settings_for, settle
from .test_snapshots import (  # noqa: F401  (_utc: the autouse fixture)
    FIXED_TIME,
    SIZES,
    _app,
    _fixed_state,
    _modal,
    _settled,
    _utc,
)

# --- Chat screen: a stored conversation, fixed models, no network ---------------------------

CHAT_REPLY = """Here is what an **x402** payment does on the devnet:

- the gateway answers *402* with the price
- the wallet signs a `TransferWithAuthorization`
- the payment is settled on chain

```python
def price(tokens):
    return tokens * 1
```
"""
CHAT_META = {
    "model": "og-devnet/mini",
    "mode": "TEE",
    "kind": "chat",
    "backend": "builtin",
    "completion_tokens": 48,
    "tokens_per_s": 197.6,
    "cost": "256",
    "payment_hash": "0x" + "7a" * 32,
    "settlement_mode": "settle-batch",
    "settlement_status": "settled",
    "settlement_tx": "0x" + "3c" * 32,
}


def _chat_app(app_env):
    from og_tui.core.chat_store import ChatStore

    app = _app(app_env, wallet=True)
    store = ChatStore(settings_for(app_env).db_path)
    t = FIXED_TIME
    old = store.create_conversation("Weather tool test", model="og-devnet/mini", mode="TEE", profile="local", created=t)
    store.add_message(old.id, "user", "What is the weather in Paris?", created=t + 1)
    store.create_conversation(
        "Completion: once upon a time", model="openai/gpt-4o", mode="TEE", profile="local", created=t + 30
    )
    conv = store.create_conversation(
        "How do x402 payments settle?",
        model="og-devnet/mini",
        mode="TEE",
        params={"max_tokens": "256", "temperature": "0", "settlement": "settle-batch"},
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {}}}],
        profile="local",
        created=t + 60,
    )
    store.add_message(conv.id, "user", "How do x402 payments settle on the devnet?", created=t + 61)
    store.add_message(conv.id, "assistant", CHAT_REPLY, meta=CHAT_META, created=t + 62)
    store.add_message(conv.id, "user", "And the weather in Paris?", created=t + 63)
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    store.add_message(
        conv.id,
        "assistant",
        "",
        tool_calls=[call],
        meta=dict(CHAT_META, completion_tokens=4, cost="256", settlement_status="queued", settlement_tx=None),
        created=t + 64,
    )
    store.add_message(conv.id, "tool", '{"temperature_c": 21}', tool_call_id="call_1", created=t + 65)
    store.add_message(
        conv.id,
        "assistant",
        "It is 21 °C in Paris. The reply broke",
        meta=dict(CHAT_META, completion_tokens=9, interrupted=True),
        created=t + 66,
    )
    store.close()
    return app


@pytest.fixture
def _chat_offline(monkeypatch):
    from og_tui.tui.screens.chat import ChatScreen

    monkeypatch.setattr(ChatScreen, "autoload_models", False)


CHAT_MODELS = ["og-devnet/mini", "openai/gpt-4o"]


def _chat_runner(*keys: str, ready=None):
    async def run_before(pilot):
        from og_tui.tui.screens.chat import ChatScreen
        from og_tui.tui.widgets.chat_view import AssistantMessage

        app = pilot.app
        _fixed_state(app)
        await pilot.press("f5")
        await settle(pilot, lambda: isinstance(app.screen, ChatScreen))
        screen = app.screen
        screen.post_message(ChatScreen.ModelsLoaded(CHAT_MODELS, "devnet"))
        # the stored conversation (if any) is open, every reply drawn, the models in
        await settle(
            pilot,
            lambda: (
                screen.params_pane.models == CHAT_MODELS
                and (screen.conv is not None) == bool(screen.store.list_conversations(profile="local"))
                and not any(reply.streaming for reply in screen.query(AssistantMessage))
            ),
        )
        for key in keys:
            await pilot.press(key)
        await _settled(pilot, ready and (lambda: ready(app)))

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_chat_screen(snap_compare, app_env, _chat_offline, size):
    assert snap_compare(_chat_app(app_env), terminal_size=size, run_before=_chat_runner())


def test_chat_params_80x24(snap_compare, app_env, _chat_offline):
    run = _chat_runner("ctrl+o", ready=lambda app: app.screen.query_one("#chat-params").display)
    assert snap_compare(_chat_app(app_env), terminal_size=(80, 24), run_before=run)


def test_chat_empty(snap_compare, app_env, _chat_offline):
    assert snap_compare(_app(app_env, wallet=True), terminal_size=(80, 24), run_before=_chat_runner())


def test_chat_tools_dialog(snap_compare, app_env, _chat_offline):
    run = _chat_runner("ctrl+t", ready=_modal("ToolsDialog"))
    assert snap_compare(_chat_app(app_env), terminal_size=(100, 30), run_before=run)


# --- Chat with OpenGradient tools: a stored agent reply, the tools dialog, the confirm step -----

IRIS_SIG = {
    "inputs": [{"name": "features", "dtype": "float32", "shape": [-1, 4]}],
    "outputs": [
        {"name": "probabilities", "dtype": "float32", "shape": [-1, 3]},
        {"name": "label", "dtype": "int64", "shape": [-1]},
    ],
}
OG_TOOLS = [
    {
        "kind": "model",
        "cid": "bafkreiarw5puoa5f3dxa5y53bb6gdp7mgpogkjhrx2oiclwxtep3e3vley",
        "title": "iris-classifier",
        "version": "0.01",
        "file": "iris_classifier.onnx",
        "signature": IRIS_SIG,
        "mode": "VANILLA",
        "confirm": True,
    },
    {
        "kind": "workflow",
        "address": "0xD5629A5b95dde11e4B5772B5Ad8a13B933e33845",
        "title": "ETH/USDT 1 h volatility",
        "confirm": False,
    },
]
TOOL_RESULT = "probabilities [1, 3] = [[0.97, 0.02, 0.01]]; label [1] = [0]"


def _app_with_conversation(app_env, title: str, params: dict):
    """The offline app with a wallet, its chat store and in it a conversation ``title``
    (og-devnet/mini, TEE, ``params``) made at FIXED_TIME: returns (app, store, conversation)."""
    from og_tui.core.chat_store import ChatStore

    app = _app(app_env, wallet=True)
    store = ChatStore(settings_for(app_env).db_path)
    conv = store.create_conversation(
        title, model="og-devnet/mini", mode="TEE", params=params, profile="local", created=FIXED_TIME
    )
    return app, store, conv


def _agent_chat_app(app_env):
    params = {"max_tokens": "256", "temperature": "0", "settlement": "settle-batch", "og_tools": OG_TOOLS}
    app, store, conv = _app_with_conversation(app_env, "Run the iris classifier", params)
    t = FIXED_TIME
    store.add_message(conv.id, "user", "Run the iris classifier on a flower: 5.1, 3.5, 1.4, 0.2", created=t + 1)
    call = {
        "id": "call_iris",
        "type": "function",
        "function": {"name": "run_iris_classifier", "arguments": '{"features": [[5.1, 3.5, 1.4, 0.2]]}'},
    }
    info = {
        "name": "run_iris_classifier",
        "label": "iris-classifier",
        "tool_kind": "model",
        "mode": "VANILLA",
        "state": "done",
        "approved": True,
        "estimate": {"gas": 107492, "text": "about 107,492 gas, at most 0.000109 OG"},
        "tx": "0x" + "5e" * 32,
        "block": 1234,
        "gas_used": 85994,
        "fee_wei": "87396180928598",
        "result": TOOL_RESULT,
        "elapsed_s": 0.41,
    }
    store.add_message(
        conv.id,
        "assistant",
        "",
        tool_calls=[call],
        meta=dict(CHAT_META, kind="agent", completion_tokens=9, agent_calls={"call_iris": info}),
        created=t + 2,
    )
    store.add_message(conv.id, "tool", TOOL_RESULT, tool_call_id="call_iris", created=t + 3)
    store.add_message(
        conv.id,
        "assistant",
        "The model says **setosa** (label 0) with probability 0.97.",
        meta=dict(
            CHAT_META,
            kind="agent",
            completion_tokens=14,
            agent={"stopped": None, "tx_hashes": [info["tx"]], "trace": []},
        ),
        created=t + 4,
    )
    store.close()
    return app


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_chat_agent_reply(snap_compare, app_env, _chat_offline, size):
    assert snap_compare(_agent_chat_app(app_env), terminal_size=size, run_before=_chat_runner())


def test_chat_og_tools_dialog(snap_compare, app_env, _chat_offline):
    run = _chat_runner("ctrl+g", ready=_modal("OGToolsDialog"))
    assert snap_compare(_agent_chat_app(app_env), terminal_size=(100, 30), run_before=run)


def test_chat_tool_confirm_dialog(snap_compare, app_env, _chat_offline):
    from og_tui.tui.screens.chat_agent_dialogs import ToolConfirmDialog

    async def run_before(pilot):
        await _chat_runner()(pilot)
        tool = {
            "name": "run_iris_classifier",
            "label": "iris-classifier",
            "kind": "model",
            "model_cid": OG_TOOLS[0]["cid"],
            "mode_name": "VANILLA",
        }
        estimate = {"gas": 107492, "text": "about 107,492 gas, at most 0.000109 OG"}
        pilot.app.push_screen(ToolConfirmDialog(tool, {"features": [[5.1, 3.5, 1.4, 0.2]]}, estimate, "0x" + "ab" * 20))
        await _settled(pilot, lambda: isinstance(pilot.app.screen, ToolConfirmDialog))

    assert snap_compare(_agent_chat_app(app_env), terminal_size=(80, 24), run_before=run_before)
