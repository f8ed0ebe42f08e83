"""Pilot tests against a real devnet: each TEE reply in Chat says which TEE answered and
whether its signature verified (kept with the message, shown again when reopened); a reply
changed on its way (a real proxy between og-tui and the gateway) shows NOT verified with
the reason; a stopped reply says it was not checked."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from og_tui.core import constants
from og_tui.core.chat_store import ChatStore
from og_tui.core.tee import discover
from og_tui.tui.app import make_app
from og_tui.tui.screens.chat import ChatScreen
from og_tui.tui.widgets.chat_view import AssistantMessage

from .helpers import wait_until
from .test_chat_screen import _app, _funded_settings, _long_reply, _of, _open_chat, _say

pytestmark = pytest.mark.e2e

EDIT = " (changed on the way)"


def _tee_text(reply: AssistantMessage) -> str:
    found = reply.query(".reply-tee")
    return str(found.first().render()) if found else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tampering_proxy_app(target: str):
    """Forwards everything to ``target``; in an event stream, the first text delta gets EDIT
    appended (what a man in the middle could do to a reply)."""
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    drop = {"content-length", "transfer-encoding", "content-encoding", "connection"}

    def tamper(body: bytes) -> bytes:
        out, done = [], False
        for line in body.decode().split("\n"):
            if not done and line.startswith("data: {"):
                obj = json.loads(line[6:])
                delta = ((obj.get("choices") or [{}])[0]).get("delta") or {}
                if delta.get("content"):
                    delta["content"] += EDIT
                    line, done = "data: " + json.dumps(obj), True
            out.append(line)
        return "\n".join(out).encode()

    async def forward(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in drop | {"host"}}
        async with httpx.AsyncClient(timeout=60) as http:
            r = await http.request(
                request.method, target + request.url.path, content=await request.body(), headers=headers
            )
        body = r.content
        if r.headers.get("content-type", "").startswith("text/event-stream"):
            body = tamper(body)
        out = {k: v for k, v in r.headers.items() if k.lower() not in drop}
        return Response(body, status_code=r.status_code, headers=out)

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])])


@pytest.fixture
def tampering_proxy(devnet):
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(_tampering_proxy_app(devnet.url), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


async def test_a_reply_says_its_tee_verified_and_keeps_it(devnet, app_env):
    settings, wallets = _funded_settings(app_env, devnet)
    (tee,) = discover(devnet.rpc_url, constants.TEE_REGISTRY_ADDRESS)
    short = tee.tee_id[:6]
    app = _app(settings, wallets)
    seen: list = []
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        screen = await _open_chat(pilot, max_tokens=30)
        await _say(pilot, screen, "What does a TEE sign?")
        await wait_until(pilot, lambda: _of(seen, ChatScreen.Finished), timeout=30)
        reply = screen.query(AssistantMessage).last()
        await wait_until(pilot, lambda: not reply.streaming and "✓" in _tee_text(reply))
        line = _tee_text(reply)
        assert line.startswith(f"✓ TEE {short}…") and line.endswith("· signature verified")
        assert tee.tee_id.endswith(line.split("…")[1].split(" ")[0])
        conv_id = screen.conv.id
        footer = str(reply.query_one(".reply-footer").render())
        assert "OUSDC · x402 exact · settle-batch" in footer
    [_, stored] = ChatStore(settings.db_path).messages(conv_id)
    assert stored.tee.verified and stored.tee.tee_id == tee.tee_id

    app2 = make_app(settings, poll=False)
    async with app2.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app2.screen, ChatScreen) and app2.screen.conv is not None)
        await wait_until(pilot, lambda: _tee_text(app2.screen.query(AssistantMessage).last()) == line)


async def test_a_reply_changed_on_the_way_shows_not_verified_with_the_reason(devnet, app_env, tampering_proxy):
    app_env["OG_TUI_LLM_URL"] = tampering_proxy  # the profile's LLM gateway is the proxy
    settings, wallets = _funded_settings(app_env, devnet)
    assert settings.profile.llm_url == tampering_proxy
    app = _app(settings, wallets)
    seen: list = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = await _open_chat(pilot, max_tokens=30)
        await _say(pilot, screen, "Is this reply the one the TEE signed?")
        await wait_until(pilot, lambda: _of(seen, ChatScreen.Finished), timeout=30)
        done = _of(seen, ChatScreen.Finished)[0]
        assert EDIT in done.text  # the proxy did change it
        reply = screen.query(AssistantMessage).last()
        await wait_until(pilot, lambda: not reply.streaming and "✗" in _tee_text(reply))
        line = _tee_text(reply)
        assert line.startswith("✗ TEE 0x") and "NOT verified: output hash mismatch" in line
        styles = {str(span.style) for span in reply.query_one(".reply-tee").render().spans}
        assert any("error" in s for s in styles)  # shown in red
        rows = screen.store.messages(screen.conv.id)
        assert rows[-1].tee is not None and not rows[-1].tee.verified


async def test_a_stopped_reply_is_not_checked(devnet, app_env, monkeypatch):
    async with _long_reply(app_env, devnet, monkeypatch, chunks=2) as (pilot, screen, seen):
        await pilot.press("escape")
        await wait_until(pilot, lambda: _of(seen, ChatScreen.Finished), timeout=10)
        assert _of(seen, ChatScreen.Finished)[0].stopped
        reply = screen.query(AssistantMessage).last()
        await wait_until(pilot, lambda: not reply.streaming and _tee_text(reply))
        assert _tee_text(reply) == "○ TEE proof not checked: the reply was stopped before its signed end"
