"""Pilot tests of the Chat screen's OpenGradient tools against a real devnet: the user
attaches a Hub model and a workflow, the devnet LLM calls them, the app asks, runs a real
inference transaction, feeds the result back, and the whole trace is saved."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from og_tui.core.alpha import AlphaClient
from og_tui.core.chain import ChainClient
from og_tui.core.chat_store import ChatStore
from og_tui.core.hub import HubClient
from og_tui.core.llm import DEVNET_MODEL
from og_tui.core.store import Store
from og_tui.tui import messages as m
from og_tui.tui.app import make_app
from og_tui.tui.screens.chat import ChatScreen, PromptArea
from og_tui.tui.screens.chat_agent_dialogs import OGToolsDialog, ToolConfirmDialog, WorkflowToolDialog
from og_tui.tui.screens.inference_dialogs import ModelPickerDialog, onnx_files
from og_tui.tui.widgets.agent_view import AgentReplyMessage, AgentToolCard

from .helpers import press_ok, wait_until
from .test_chat_screen import _app, _funded_settings, _of

pytestmark = pytest.mark.e2e

VOLATILITY = "0xD5629A5b95dde11e4B5772B5Ad8a13B933e33845"
IRIS_QUESTION = "Run the iris classifier on a flower"
WORKFLOW_QUESTION = "What is the latest ETH volatility from the workflow?"


def _iris(devnet) -> tuple[str, dict]:
    with HubClient(f"{devnet.url}/api/v0", f"{devnet.url}/auth") as hub:
        _version, f = onnx_files(hub.model_detail("iris-classifier"))[0]
    return f["ipfsCid"], f["signature"]


def _local_run(devnet, tmp_path: Path, cid: str, features: list) -> dict:
    import onnxruntime as ort

    path = tmp_path / "iris.onnx"
    with HubClient(f"{devnet.url}/api/v0", f"{devnet.url}/auth") as hub:
        hub.download(cid, path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, {"features": np.array(features, dtype=np.float32)})))


async def _open_chat(pilot) -> ChatScreen:
    app = pilot.app
    await wait_until(pilot, lambda: app.net.connected)
    await pilot.press("f5")
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
    screen = app.screen
    await wait_until(pilot, lambda: DEVNET_MODEL in screen.params_pane.models)
    return screen


async def _type(pilot, text: str) -> None:
    for ch in text:
        await pilot.press("space" if ch == " " else ch)


async def _say(pilot, screen: ChatScreen, text: str) -> None:
    prompt = screen.query_one(PromptArea)
    prompt.focus()
    prompt.text = text
    await pilot.press("enter")


def _iris_app(devnet, app_env):
    settings, wallets = _funded_settings(app_env, devnet)
    return _app(settings, wallets), settings


async def _chat_with_iris(pilot, devnet, *, confirm: bool) -> ChatScreen:
    """The Chat screen with the iris model attached (as the tools dialog would save it)."""
    screen = await _open_chat(pilot)
    cid, signature = _iris(devnet)
    screen.save_og_tools(
        [
            {
                "kind": "model",
                "cid": cid,
                "title": "iris-classifier",
                "signature": signature,
                "mode": "VANILLA",
                "confirm": confirm,
            }
        ]
    )
    return screen


async def _attach_iris_and_workflow(pilot, screen: ChatScreen) -> OGToolsDialog:
    app = pilot.app
    await pilot.press("ctrl+g")
    await wait_until(pilot, lambda: isinstance(app.screen, OGToolsDialog))
    tools = app.screen
    # a Hub model: search, enter picks its latest ONNX file
    await pilot.press("a")
    await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerDialog))
    picker = app.screen
    await pilot.press("slash")
    await _type(pilot, "iris")
    models = picker.query_one("#pk-models")
    await wait_until(pilot, lambda: models.option_count == 1 and models.get_option_at_index(0).id == "iris-classifier")
    await pilot.press("enter")  # search -> list
    files = picker.query_one("#pk-files")
    await wait_until(pilot, lambda: files.option_count > 0)
    await pilot.press("enter")
    await wait_until(pilot, lambda: app.screen is tools and len(tools.entries) == 1)
    # a workflow: an address that is not one is refused with a clear message, then a known one
    await pilot.press("w")
    await wait_until(pilot, lambda: isinstance(app.screen, WorkflowToolDialog))
    wf = app.screen
    wf.query_one("#wf-address").focus()
    await pilot.pause()
    await _type(pilot, "0x000000000000000000000000000000000000dEaD")
    await pilot.press("enter")
    error = wf.query_one(".dialog-error")
    await wait_until(pilot, lambda: "is not a workflow contract" in str(error.render()))
    assert isinstance(app.screen, WorkflowToolDialog)
    wf.query_one("#wf-known").focus()
    await pilot.pause()
    await pilot.press("enter")  # the first known workflow: ETH/USDT 1 h volatility
    await wait_until(pilot, lambda: app.screen is tools and len(tools.entries) == 2)
    return tools


async def test_attach_model_tool_confirm_run_on_chain_and_answer(devnet, app_env, tmp_path):
    settings, wallets = _funded_settings(app_env, devnet)
    app = _app(settings, wallets)
    cid, signature = _iris(devnet)
    seen: list = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = await _open_chat(pilot)
        tools = await _attach_iris_and_workflow(pilot, screen)
        iris, workflow = tools.entries
        assert iris["kind"] == "model" and iris["cid"] == cid and iris["confirm"] is True
        assert iris["signature"]["inputs"] == signature["inputs"]
        assert workflow == {
            "kind": "workflow",
            "address": VOLATILITY,
            "title": "ETH/USDT 1 h volatility",
            "confirm": False,
        }
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        assert "2 OG tools" in str(screen.query_one("#chat-status").render())

        # the model calls the iris tool: the app asks first, with the gas estimate
        await _say(pilot, screen, IRIS_QUESTION)
        await wait_until(pilot, lambda: isinstance(app.screen, ToolConfirmDialog), timeout=60)
        dialog = app.screen
        text = " ".join(str(s.render()) for s in dialog.query(".dialog-line"))
        assert "run_iris_classifier" in text and cid in text and "gas" in text and "OG" in text
        assert not _of(seen, m.TxSubmitted), "nothing is sent before the user says so"
        card = screen.query(AgentToolCard).last()
        assert "waiting for your confirmation" in str(card.query_one(".agent-status").render())
        await press_ok(pilot)
        await wait_until(pilot, lambda: _of(seen, ChatScreen.AgentDone), timeout=60)
        await wait_until(
            pilot,
            lambda: screen._reply is None and not any(w.streaming for w in screen.query(AgentReplyMessage)),
            timeout=60,
        )
        done = _of(seen, ChatScreen.AgentDone)[0]
        assert done.info["stopped"] is None and len(done.info["tx_hashes"]) == 1
        tx_hash = done.info["tx_hashes"][0]

        # a real transaction to the inference contract, mined
        chain = ChainClient(settings.profile.rpc_url)
        receipt = chain.get_receipt(tx_hash)
        assert int(receipt["status"], 16) == 1
        assert receipt["to"].lower() == settings.profile.inference_contract.lower()

        # the card shows the call through to its result; the result is what the model computes
        card = screen.query(AgentToolCard).first()
        status = str(card.query_one(".agent-status").render())
        assert "confirmed" in status and tx_hash in status and "mined" in status and "block" in status
        call = next(e for e in done.info["trace"] if e["kind"] == "tool_call")
        features = call["args"]["features"]
        expected = _local_run(devnet, tmp_path, cid, features)
        result = next(e for e in done.info["trace"] if e["kind"] == "tool_result")
        np.testing.assert_allclose(result["outputs"]["probabilities"], expected["probabilities"], rtol=1e-5, atol=1e-6)
        assert result["outputs"]["label"] == expected["label"].tolist()
        assert "result" in str(card.query_one(".tool-result").render())
        # the final answer uses the tool's output
        final = screen.query(AgentReplyMessage).last()
        assert final.text.startswith("The tool `run_iris_classifier` returned")
        assert f"label [{len(features)}] = {expected['label'].tolist()}" in final.text
        assert "streaming" not in str(final.query_one(".reply-footer").render())
        # the transaction is in the Activity list
        assert tx_hash in [t.hash for t in Store(settings.db_path).list_txs()]

        # the workflow tool (no confirm: a free read) in the next turn
        await _say(pilot, screen, WORKFLOW_QUESTION)
        await wait_until(pilot, lambda: len(_of(seen, ChatScreen.AgentDone)) == 2, timeout=60)
        assert not isinstance(app.screen, ToolConfirmDialog)
        second = _of(seen, ChatScreen.AgentDone)[1]
        read = next(e for e in second.info["trace"] if e["kind"] in ("tool_result", "tool_error"))
        assert read["kind"] == "tool_result" and read["name"].startswith("read_workflow_")
        latest = AlphaClient(chain).read_workflow_result(VOLATILITY)
        if latest.numbers:
            assert "Y" in read["content"]
        assert second.info["tx_hashes"] == []
        conv_id = screen.conv.id
        # (the reply is written by a store job)
        await wait_until(pilot, lambda: not any(w.group == "chat-store" and not w.is_finished for w in screen.workers))

    # saved with the conversation: messages valid for the next turn, cards and the trace
    rows = ChatStore(settings.db_path).messages(conv_id)
    assert [r.role for r in rows] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
        "tool",
        "assistant",
    ]
    assert rows[1].tool_calls and rows[2].tool_call_id == rows[1].tool_calls[0]["id"]
    info = rows[1].meta["agent_calls"][rows[2].tool_call_id]
    assert info["tx"] == tx_hash and info["approved"] is True and info["state"] == "done"
    trace = rows[3].meta["agent"]["trace"]
    kinds = [e["kind"] for e in trace]
    assert (
        kinds.index("tool_call")
        < kinds.index("confirm")
        < kinds.index("tx")
        < kinds.index("tool_result")
        < kinds.index("final")
    )

    # a new app instance shows the same cards, not streaming
    app2 = make_app(settings, poll=False)
    async with app2.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app2.screen, ChatScreen) and app2.screen.conv is not None)
        screen = app2.screen
        await wait_until(pilot, lambda: len(screen.query(AgentToolCard)) == 2)
        first = screen.query(AgentToolCard).first()
        await wait_until(pilot, lambda: tx_hash in str(first.query_one(".agent-status").render()))
        assert "result" in str(first.query_one(".tool-result").render())
        assert all(
            "streaming" not in str(w.query_one(".reply-footer").render()) for w in screen.query(AgentReplyMessage)
        )
        assert "2 OG tools" in str(screen.query_one("#chat-status").render())


async def test_declined_call_goes_back_to_the_model_and_dont_ask_again_sticks(devnet, app_env):
    app, settings = _iris_app(devnet, app_env)
    seen: list = []
    async with app.run_test(size=(100, 32), message_hook=seen.append) as pilot:
        screen = await _chat_with_iris(pilot, devnet, confirm=True)
        # Skip: nothing is sent, the model is told and answers without it
        await _say(pilot, screen, IRIS_QUESTION)
        await wait_until(pilot, lambda: isinstance(app.screen, ToolConfirmDialog), timeout=60)
        await pilot.press("escape")
        await wait_until(pilot, lambda: _of(seen, ChatScreen.AgentDone), timeout=60)
        first = _of(seen, ChatScreen.AgentDone)[0]
        assert first.info["tx_hashes"] == [] and not _of(seen, m.TxSubmitted)
        await wait_until(pilot, lambda: screen._reply is None)
        card = screen.query(AgentToolCard).first()
        assert "declined" in str(card.query_one(".agent-status").render())
        assert "declined" in str(card.query_one(".tool-result").render())
        assert "declined" in screen.query(AgentReplyMessage).last().text

        # Run with "don't ask again": the switch is saved, the next call runs without asking
        await _say(pilot, screen, IRIS_QUESTION)
        await wait_until(pilot, lambda: isinstance(app.screen, ToolConfirmDialog), timeout=60)
        app.screen.query_one("#always").value = True
        await press_ok(pilot)
        await wait_until(pilot, lambda: len(_of(seen, ChatScreen.AgentDone)) == 2, timeout=60)
        assert screen.og_tools()[0]["confirm"] is False
        assert ChatStore(settings.db_path).get_conversation(screen.conv.id).params["og_tools"][0]["confirm"] is False
        await wait_until(pilot, lambda: screen._reply is None)
        await _say(pilot, screen, IRIS_QUESTION)
        await wait_until(pilot, lambda: len(_of(seen, ChatScreen.AgentDone)) == 3, timeout=60)
        third = _of(seen, ChatScreen.AgentDone)[2]
        assert len(third.info["tx_hashes"]) == 1
        assert not any(e["kind"] == "confirm" for e in third.info["trace"])


async def test_stop_while_the_confirm_dialog_waits(devnet, app_env):
    app, settings = _iris_app(devnet, app_env)
    seen: list = []
    async with app.run_test(size=(100, 32), message_hook=seen.append) as pilot:
        screen = await _chat_with_iris(pilot, devnet, confirm=True)
        await _say(pilot, screen, IRIS_QUESTION)
        await wait_until(pilot, lambda: isinstance(app.screen, ToolConfirmDialog), timeout=60)
        screen.action_stop()  # (esc on the dialog is Skip; Stop is the chat screen's)
        await wait_until(pilot, lambda: _of(seen, ChatScreen.AgentDone), timeout=60)
        await wait_until(pilot, lambda: app.screen is screen and screen._reply is None)
        done = _of(seen, ChatScreen.AgentDone)[0]
        assert done.info["stopped"] == "cancelled" and done.info["tx_hashes"] == []
        # (the reply is written by a store job)
        await wait_until(pilot, lambda: not any(w.group == "chat-store" and not w.is_finished for w in screen.workers))
        rows = ChatStore(settings.db_path).messages(screen.conv.id)
        # the conversation stays valid: the call has its (not run) answer, the trace is kept
        assert [r.role for r in rows] == ["user", "assistant", "tool"]
        assert rows[1].meta["agent"]["stopped"] == "cancelled"


async def test_spend_cap_stops_the_reply_and_says_what_to_do(devnet, app_env):
    app, settings = _iris_app(devnet, app_env)
    seen: list = []
    async with app.run_test(size=(100, 32), message_hook=seen.append) as pilot:
        screen = await _chat_with_iris(pilot, devnet, confirm=False)
        screen.query_one("#p-cap").value = "0.000001"  # below the price of one reply
        await _say(pilot, screen, IRIS_QUESTION)
        await wait_until(pilot, lambda: _of(seen, ChatScreen.AgentDone), timeout=60)
        done = _of(seen, ChatScreen.AgentDone)[0]
        assert done.info["stopped"] == "spend_cap" and done.info["tx_hashes"] == []
        await wait_until(pilot, lambda: screen._reply is None)
        reply = screen.query(AgentReplyMessage).last()
        error = str(reply.query_one(".reply-error").render())
        assert "cap" in error and "ctrl+r" in error
        assert not _of(seen, m.PaymentMade), "nothing was paid"


async def test_a_failed_call_is_shown_on_its_card():
    """A tool error event (what run_agent emits when the arguments do not fit) on the card."""
    from textual.app import App

    call = {"id": "c1", "type": "function", "function": {"name": "run_iris", "arguments": '{"features": [1, 2]}'}}

    class One(App):
        def compose(self):
            yield AgentReplyMessage("", None, tool_calls=[call], calls={"c1": {"tool_kind": "model", "label": "iris"}})

    async with One().run_test(size=(80, 20)) as pilot:
        card = pilot.app.query_one(AgentToolCard)
        card.update_info({"kind": "tool_call", "id": "c1", "name": "run_iris", "tool_kind": "model"})
        card.update_info(
            {
                "kind": "tool_error",
                "id": "c1",
                "name": "run_iris",
                "error": "The arguments do not fit model iris: features: expected shape [?, 4], got [2].",
                "content": "Error: The arguments do not fit model iris: …",
            }
        )
        await pilot.pause()
        shown = str(card.query_one(".tool-result").render())
        assert "do not fit model iris" in shown and "sent back to the model" in shown
        assert card.has_class("-error")
