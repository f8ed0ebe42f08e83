"""LangChain against og-tui gateway: ``langchain_openai.ChatOpenAI`` pointed at the gateway
(a real uvicorn server in this process) on a real devnet, invoked, streamed and given a
tool; each request paid with x402 from the wallet, its settlement transaction mined and
the payer's OUSDC down by exactly its cost on chain."""

from __future__ import annotations

import pytest

from .test_gateway_e2e import MODEL, _mined, _ousdc, chain, gateway, payer, profile  # noqa: F401 (fixtures)

langchain_openai = pytest.importorskip("langchain_openai")

pytestmark = pytest.mark.e2e


def _chat(server, secret: str, **kwargs):
    return langchain_openai.ChatOpenAI(
        base_url=server.url, api_key=secret, model=MODEL, temperature=0, max_retries=0, timeout=60, **kwargs
    )


def _paid_on_chain(server, chain, key_id: int, cost: int):  # noqa: F811 (the fixture's value)
    """The key's last request: paid ``cost``, settled by a mined transaction, in the history."""
    req = server.gateway.book.requests(key_id)[0]
    assert (req.status, req.cost, req.settlement_status) == (200, cost, "settled")
    assert _mined(chain, req.settlement_tx) == 1
    [payment] = server.gateway.store.payments_by_processing_hash(req.payment_hash)
    assert payment.status == "settled" and payment.settlement_tx == req.settlement_tx and payment.amount == cost
    return req


def test_invoke_is_paid_and_settled_on_chain(gateway, chain, profile, payer):  # noqa: F811
    from langchain_core.messages import AIMessage

    key, secret = gateway.gateway.book.create("langchain")
    before = _ousdc(chain, profile, payer.address)
    msg = _chat(gateway, secret, max_tokens=16).invoke(
        [("system", "You answer in one sentence."), ("human", "What does x402 pay for?")]
    )
    assert isinstance(msg, AIMessage) and isinstance(msg.content, str) and msg.content
    assert msg.usage_metadata and msg.usage_metadata["output_tokens"] > 0
    assert msg.response_metadata["finish_reason"] and msg.response_metadata["model_name"] == MODEL
    req = _paid_on_chain(gateway, chain, key.id, 16)  # og-devnet/mini: 1 unit per token of max_tokens
    assert not req.stream and req.completion_tokens == msg.usage_metadata["output_tokens"]
    assert _ousdc(chain, profile, payer.address) == before - 16


def test_stream_arrives_in_pieces_and_is_paid(gateway, chain, profile, payer):  # noqa: F811
    key, secret = gateway.gateway.book.create("langchain-stream")
    before = _ousdc(chain, profile, payer.address)
    chunks = list(_chat(gateway, secret, max_tokens=24, stream_usage=True).stream("Tell me about streaming."))
    texts = [c.content for c in chunks if c.content]
    assert len(texts) > 1 and all(isinstance(t, str) for t in texts)
    usage = [c.usage_metadata for c in chunks if c.usage_metadata]
    assert usage and usage[-1]["output_tokens"] > 0
    req = _paid_on_chain(gateway, chain, key.id, 24)
    assert req.stream and req.completion_tokens == usage[-1]["output_tokens"]
    assert _ousdc(chain, profile, payer.address) == before - 24


def test_bound_tool_comes_back_as_a_tool_call(gateway):  # noqa: F811
    from langchain_core.tools import tool

    @tool
    def get_price(symbol: str) -> str:
        """The price of a token."""
        return "1.25"

    _, secret = gateway.gateway.book.create("langchain-tools")
    llm = _chat(gateway, secret, max_tokens=32).bind_tools([get_price], tool_choice="required")
    msg = llm.invoke("What is the price of OPG? Use the tool.")
    [call] = msg.tool_calls
    assert call["name"] == "get_price" and isinstance(call["args"], dict) and call["id"]


def test_a_revoked_key_is_refused_with_nothing_paid(gateway, chain, profile, payer):  # noqa: F811
    import openai

    key, secret = gateway.gateway.book.create("langchain-revoked")
    gateway.gateway.book.revoke(key.id)
    before = _ousdc(chain, profile, payer.address)
    with pytest.raises(openai.AuthenticationError) as exc:
        _chat(gateway, secret, max_tokens=8).invoke("hi")
    assert exc.value.body["code"] == "api_key_revoked"
    assert _ousdc(chain, profile, payer.address) == before
