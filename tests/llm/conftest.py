"""Fixtures for the LLM tests: a devnet with a fast batch interval and upstream models
mapped to a tiny OpenAI-compatible server (a real HTTP server in this process) and to a
dead port; funded payer accounts; an LLMClient factory."""

from __future__ import annotations

import json
import os
import socket
import threading
import time

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


UPSTREAM_MODEL = "devnet/upstream-echo"
DOWN_MODEL = "devnet/upstream-down"


def _upstream_app():
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    async def chat(request: Request):
        body = await request.json()
        last = body["messages"][-1].get("content") or ""
        text = f"upstream {body['model']} heard: {last}"
        if body.get("response_format"):  # a JSON reply saying which format it was asked for
            text = json.dumps({"format": body["response_format"]["type"], "heard": last})
        if body.get("stream"):

            async def gen():
                for word in text.split(" "):
                    obj = {"choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}]}
                    yield f"data: {json.dumps(obj)}\n\n"
                yield (
                    "data: "
                    + json.dumps(
                        {
                            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                            "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
                        }
                    )
                    + "\n\n"
                )
                yield "data: [DONE]\n\n"

            return StreamingResponse(gen(), media_type="text/event-stream")
        return JSONResponse(
            {
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
            }
        )

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


@pytest.fixture(scope="session")
def upstream_server():
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(_upstream_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


def _with_env(env: dict, fn):
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return fn()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="session")
def llm_devnet(devnet_factory, upstream_server):
    dead = free_port()
    env = {
        "OG_TUI_DEVNET_X402_BATCH_SECONDS": "0.4",
        "OG_TUI_DEVNET_LLM_UPSTREAM": f"{UPSTREAM_MODEL}={upstream_server}#tiny,{DOWN_MODEL}=http://127.0.0.1:{dead}",
    }
    return _with_env(env, devnet_factory)


@pytest.fixture(scope="session")
def llm_profile(llm_devnet):
    from og_tui.core.profiles import builtin_profiles

    base = llm_devnet.url
    return builtin_profiles()["local"].replace(
        rpc_url=base + "/rpc",
        api_url=base,
        hub_url=base + "/api/v0",
        auth_url=base + "/auth",
        llm_url=base,
        devnet_port=llm_devnet.port,
    )


@pytest.fixture
def payer(llm_devnet):
    from eth_account import Account

    acct = Account.create()
    status, _ = llm_devnet.post("/faucet", {"address": acct.address})
    assert status == 200
    return acct


@pytest.fixture
def make_client(llm_profile):
    from og_tui.core.llm import LLMClient

    made = []

    def make(signer, **kw):
        c = LLMClient(llm_profile, signer, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
