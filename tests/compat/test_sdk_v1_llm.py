"""og_tui.sdk.v1's ``LLM`` on a devnet, beyond what 1.1.4 does the same way (the side-by-side
comparison is test_sdk_v1_side_by_side.py): the event loop keeps running during a call, a stream
stopped early ends its reader thread, ``from_url``, concurrent calls, and the errors."""

from __future__ import annotations

import asyncio
import threading

import pytest
from eth_account import Account

import og_tui.sdk.v1 as og

pytestmark = pytest.mark.e2e
MODEL = "og-devnet/mini"
MSGS = [{"role": "user", "content": "Tell me about trusted execution."}]


@pytest.fixture(scope="module")
def key(devnet):
    acct = Account.create()
    assert devnet.post("/faucet", {"address": acct.address})[0] == 200
    llm = og.LLM(acct.key.hex(), rpc_url=devnet.rpc_url)
    assert llm.ensure_opg_approval(min_allowance=5).allowance_after == 10 * 10**18
    asyncio.run(llm.close())
    return acct.key.hex()


def _stream_threads():
    return [t for t in threading.enumerate() if t.name == "og-tui-sdk-v1-stream"]


def test_the_event_loop_runs_while_a_call_waits(devnet, key):
    async def main():
        ticks = 0
        done = asyncio.Event()

        async def ticker():
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        llm = og.LLM(key, rpc_url=devnet.rpc_url)
        out = await llm.chat(model=MODEL, messages=MSGS, max_tokens=20)
        seen = ticks
        done.set()
        await task
        both = await asyncio.gather(
            llm.chat(model=MODEL, messages=MSGS, max_tokens=20),
            llm.completion(model=MODEL, prompt="Say hi", max_tokens=5),
        )
        await llm.close()
        return out, seen, both

    out, seen, (chat, completion) = asyncio.run(main())
    assert out.chat_output["content"] and out.tee_verification.verified
    assert seen > 0  # the ticker ran while the chat was in flight
    assert chat.chat_output["content"] == out.chat_output["content"] and completion.completion_output


def test_a_stream_stopped_early_ends_its_reader(devnet, key):
    async def main():
        llm = og.LLM(key, rpc_url=devnet.rpc_url)
        stream = await llm.chat(model=MODEL, messages=MSGS, max_tokens=200, stream=True)
        first = None
        async for chunk in stream:
            first = chunk
            break
        await stream.aclose()
        again = await llm.chat(model=MODEL, messages=MSGS, max_tokens=10)
        await llm.close()
        return first, again

    first, again = asyncio.run(main())
    assert first is not None and not first.is_final and first.tee_signature is None
    for thread in _stream_threads():
        thread.join(timeout=30)
    assert not _stream_threads()
    assert again.chat_output["content"]


def test_from_url_talks_to_a_fixed_server_and_still_checks_the_reply(devnet, key):
    async def main():
        llm = og.LLM.from_url(key, devnet.url)
        out = await llm.chat(
            model=MODEL, messages=MSGS, max_tokens=20, x402_settlement_mode=og.x402SettlementMode.PRIVATE
        )
        await llm.close()
        return out

    out = asyncio.run(main())
    assert out.chat_output["content"] and out.data_settlement_transaction_hash
    assert out.tee_endpoint == devnet.url.rstrip("/") and out.tee_id is None  # no registry identity, as 1.1.4
    assert out.tee_signature and out.tee_verification is not None
    assert out.tee_verification.verified, out.tee_verification.reason


def test_errors_have_the_1x_shape(devnet, key):
    async def main():
        llm = og.LLM(key, rpc_url=devnet.rpc_url)
        try:
            with pytest.raises(RuntimeError, match="TEE LLM chat failed: .*no-such-model"):
                await llm.chat(model="og-devnet/no-such-model", messages=MSGS)
            with pytest.raises(ValueError, match="Anthropic models do not support"):
                await llm.chat(
                    model=og.TEE_LLM.CLAUDE_HAIKU_4_5, messages=MSGS, response_format=og.ResponseFormat("json_object")
                )
            stream = await llm.chat(model="og-devnet/no-such-model", messages=MSGS, stream=True)
            with pytest.raises(RuntimeError, match="TEE LLM chat failed"):
                async for _ in stream:
                    pass
        finally:
            await llm.close()

    asyncio.run(main())
    poor = og.LLM(Account.create().key.hex(), rpc_url=devnet.rpc_url)
    with pytest.raises(ValueError, match="has no OPG tokens"):
        poor.ensure_opg_approval(min_allowance=1)
    asyncio.run(poor.close())


def test_a_tee_that_cannot_be_reached_is_replaced_from_the_registry(devnet, key):
    from og_tui.core.llm import LLMClient
    from tests.llm.conftest import free_port

    async def main():
        llm = og.LLM(key, rpc_url=devnet.rpc_url)
        dead = LLMClient(llm._profile, llm._signer, llm_url=f"http://127.0.0.1:{free_port()}")
        llm._client = dead  # the TEE this client was talking to went away
        out = await llm.chat(model=MODEL, messages=MSGS, max_tokens=10)
        replaced = llm._client is not None and llm._client is not dead
        await llm.close()
        return out, replaced

    out, replaced = asyncio.run(main())
    assert replaced and out.chat_output["content"]
    assert out.tee_id and out.tee_endpoint.startswith("https://") and out.tee_verification.verified
