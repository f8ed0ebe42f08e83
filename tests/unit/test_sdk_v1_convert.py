"""og_tui.sdk.v1's pure parts: 1.x types, the conversions from core replies, profile resolution."""

from __future__ import annotations

import asyncio

import pytest

from og_tui.core.llm_stream import ChatResult, ReplyMeta
from og_tui.core.tee_proof import TeeVerification
from og_tui.core.types import StreamChoice, StreamDelta, StreamUsage
from og_tui.core.types import StreamChunk as CoreChunk
from og_tui.sdk.v1 import LLM, ResponseFormat, StreamChunk, TextGenerationOutput, x402SettlementMode
from og_tui.sdk.v1._convert import (
    TeeInfo,
    bare_hex,
    check_response_format,
    chunk_of,
    finish_chunk,
    output_of,
    request_extras,
    tokens_of,
    tools_chunk,
    usage_of,
)
from og_tui.sdk.v1._profile import BASE_MAINNET_CHAIN_ID, resolve_profile, v2_chain_id, v2_rpc_url

KEY = "0x" + "11" * 32
TEE = TeeInfo(endpoint="https://10.0.0.1:8443", tee_id="ab" * 32, payment_address="0x" + "22" * 20)
CHECK = TeeVerification(True, tee_id="0x" + "ab" * 32, timestamp=1_760_000_000, signature="c2lnbmVk")


def _meta(**changes):
    meta = ReplyMeta(model="og-devnet/mini", mode="TEE", prompt_tokens=7, completion_tokens=5)
    meta.tee = CHECK
    for key, value in changes.items():
        setattr(meta, key, value)
    return meta


def test_response_format_is_checked_and_serialised_as_in_1x():
    schema = {"name": "trip", "schema": {"type": "object"}, "strict": True}
    assert ResponseFormat("json_schema", schema).to_dict() == {"type": "json_schema", "json_schema": schema}
    assert ResponseFormat("text").to_dict() == {"type": "text"}
    with pytest.raises(ValueError, match="must be one of"):
        ResponseFormat("yaml")
    with pytest.raises(ValueError, match="json_schema is required"):
        ResponseFormat("json_schema")
    with pytest.raises(ValueError, match="Anthropic models do not support"):
        check_response_format("anthropic/claude-haiku-4-5", ResponseFormat("json_object"))
    check_response_format("openai/gpt-5", ResponseFormat("json_object"))
    with pytest.raises(ValueError, match="must be a ResponseFormat"):
        check_response_format("openai/gpt-5", {"type": "json_object"})  # type: ignore[arg-type]
    assert request_extras(ResponseFormat("json_object"), web_search=True) == {
        "response_format": {"type": "json_object"},
        "web_search": True,
    }
    assert request_extras() == {}


def test_small_helpers():
    assert bare_hex("0xABcd") == "abcd" and bare_hex("abcd") == "abcd" and bare_hex(None) is None
    assert tokens_of(1) == 10**18 and tokens_of(0.5) == 5 * 10**17
    assert usage_of(_meta()) == {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}
    assert usage_of(None) is None
    assert x402SettlementMode("private") is x402SettlementMode.PRIVATE
    assert x402SettlementMode.BATCH_HASHED.value == "batch"


def test_a_private_chat_reply_becomes_a_1x_output():
    meta = _meta(x402_version=2, settlement_tx="0x" + "9" * 64, finish_reason="stop", payment_hash="0xfeed")
    result = ChatResult(
        transaction_hash="external",
        finish_reason="stop",
        chat_output={"role": "assistant", "content": [{"type": "text", "text": "hi "}, {"type": "image"}]},
        payment_hash="0xfeed",
        meta=meta,
    )
    out = output_of(result, TEE)
    assert isinstance(out, TextGenerationOutput)
    assert out.chat_output == {"role": "assistant", "content": "hi"}  # text blocks joined, as 1.1.4 does
    assert result.chat_output["content"][0]["text"] == "hi "  # the core result is left as it was
    assert out.data_settlement_transaction_hash == "0x" + "9" * 64 and out.data_settlement_blob_id is None
    assert (out.tee_signature, out.tee_timestamp) == ("c2lnbmVk", 1_760_000_000)
    assert (out.tee_id, out.tee_endpoint, out.tee_payment_address) == (TEE.tee_id, TEE.endpoint, TEE.payment_address)
    assert out.usage == {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}
    assert out.payment_hash == "0xfeed" and out.tee_verification is CHECK


def test_a_batch_completion_has_a_blob_and_no_settlement_tx():
    meta = _meta(x402_version=2, settlement_blob="blob-1")
    out = output_of(ChatResult(transaction_hash="external", completion_output="text", meta=meta), TEE)
    assert out.completion_output == "text" and out.chat_output is None
    assert out.data_settlement_blob_id == "blob-1" and out.data_settlement_transaction_hash is None
    # a v1 (x402 version 1) settlement transaction is not 1.x's data settlement
    v1 = output_of(ChatResult(transaction_hash="external", meta=_meta(x402_version=1, settlement_tx="0x1")), TEE)
    assert v1.data_settlement_transaction_hash is None


def test_a_reply_without_proof_has_no_tee_fields_but_says_why():
    meta = _meta()
    meta.tee = TeeVerification(False, "the reply carries no TEE proof")
    out = output_of(ChatResult(transaction_hash="external", chat_output={"content": "x"}, meta=meta), TeeInfo("u"))
    assert out.tee_signature is None and out.tee_timestamp is None and out.tee_id is None
    assert out.tee_verification.verified is False and "no TEE proof" in out.tee_verification.reason


def test_stream_chunks_and_the_final_one():
    core = CoreChunk(choices=[StreamChoice(StreamDelta(content="he", role="assistant"), 0, None)], model="mini")
    chunk = chunk_of(core)
    assert isinstance(chunk, StreamChunk) and chunk.choices[0].delta.content == "he" and not chunk.is_final
    last = chunk_of(
        CoreChunk(choices=[StreamChoice(StreamDelta(), 0, "stop")], model="", usage=StreamUsage(3, 4, 7), is_final=True)
    )
    assert last.is_final and last.model == "unknown" and last.usage == StreamUsage(3, 4, 7)
    frame = {"tee_signature": "c2ln", "tee_timestamp": 5, "tee_id": "0xab"}
    done = finish_chunk(last, frame, _meta(x402_version=2, settlement_blob="b"), TEE)
    assert (done.tee_signature, done.tee_timestamp) == ("c2ln", 5)
    assert (done.tee_id, done.tee_endpoint, done.data_settlement_blob_id) == (TEE.tee_id, TEE.endpoint, "b")
    assert done.data_settlement_transaction_hash is None and done.tee_verification is CHECK


def test_sse_data_parses_as_in_1x():
    data = {"choices": [{"message": {"content": "x"}, "finish_reason": "stop"}], "tee_signature": "s"}
    chunk = StreamChunk.from_sse_data(data)
    assert chunk.choices[0].delta.content == "x" and chunk.is_final and chunk.model == "unknown"
    assert chunk.tee_signature == "s" and chunk.usage is None


def test_a_tool_call_reply_as_one_final_chunk():
    calls = [{"id": "c1", "type": "function", "function": {"name": "get_price", "arguments": "{}"}}]
    out = TextGenerationOutput(
        finish_reason="tool_calls",
        chat_output={"role": "assistant", "content": None, "tool_calls": calls},
        tee_signature="s",
        tee_id="ab",
        data_settlement_blob_id="b",
        tee_verification=CHECK,
    )
    chunk = tools_chunk(out, "mini")
    assert chunk.is_final and chunk.model == "mini" and chunk.choices[0].delta.tool_calls == calls
    assert chunk.choices[0].finish_reason == "tool_calls" and chunk.tee_signature == "s"
    assert chunk.data_settlement_blob_id == "b" and chunk.tee_verification is CHECK


def test_profiles_pay_with_x402_v2():
    public = resolve_profile()
    assert public.name == "opengradient" and public.x402_version == "2"
    assert v2_chain_id(public) == BASE_MAINNET_CHAIN_ID and "base" in v2_rpc_url(public)
    local = resolve_profile(profile="local", tee_registry_address="0x" + "12" * 20)
    assert local.x402_version == "2" and local.tee_registry_address == "0x" + "12" * 20
    assert v2_rpc_url(local) == local.rpc_url


def test_bad_keys_and_urls_are_value_errors_that_do_not_echo_the_key():
    with pytest.raises(ValueError, match="A private key is required"):
        LLM("")
    with pytest.raises(ValueError) as info:
        LLM("0x1234zz", profile="local")
    assert "1234zz" not in str(info.value)
    with pytest.raises(ValueError, match="must be an http"):
        LLM.from_url(KEY, "ftp://x")
    with pytest.raises(ValueError, match="min_allowance must be at least 0.1"):
        LLM(KEY, profile="local").ensure_opg_approval(0.05)
    with pytest.raises(ValueError, match="approve_amount"):
        LLM(KEY, profile="local").ensure_opg_approval(1, approve_amount=0.5)
    llm = LLM(KEY, profile="local")
    assert KEY[2:] not in repr(llm) and "registry" in repr(llm)
    asyncio.run(llm.close())


def test_a_reply_checked_without_the_registry_keeps_its_signature_and_timestamp():
    from types import SimpleNamespace

    from og_tui.core import tee_check
    from og_tui.core.errors import ChainError

    class Unreadable:
        def verify(self, kind, body, data):
            raise ChainError("the registry could not be read")

    client = SimpleNamespace(_tee_verifier=Unreadable(), tee=None)
    data = {"tee_signature": "c2ln", "tee_timestamp": "17", "tee_id": "0xab", "choices": []}
    result = tee_check.verify_reply(client, "chat", {"messages": []}, data)
    assert not result.verified and "could not be checked" in result.reason
    assert (result.signature, result.timestamp, result.tee_id) == ("c2ln", 17, "0xab")
