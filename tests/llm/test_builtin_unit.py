"""Unit tests of the builtin model, the schema value generator and the client-side parsers."""

from __future__ import annotations

import json

import pytest

from og_tui.devnet.llm.builtin import GenRequest, generate

SCHEMA = {
    "type": "object",
    "required": ["name", "count", "tags", "mode", "nested"],
    "properties": {
        "name": {"type": "string", "minLength": 3, "maxLength": 8},
        "count": {"type": "integer", "minimum": 5, "maximum": 9},
        "ratio": {"type": "number", "minimum": 0, "maximum": 1},
        "flag": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 4},
        "mode": {"enum": ["a", "b"]},
        "nested": {
            "type": "object",
            "required": ["x"],
            "properties": {"x": {"type": ["integer", "null"], "minimum": 1, "maximum": 2}},
        },
    },
}


def _check(schema, value):
    if "enum" in schema:
        assert value in schema["enum"]
        return
    t = schema.get("type")
    t = [x for x in t if x != "null"][0] if isinstance(t, list) else t
    if t == "object":
        assert isinstance(value, dict)
        for k in schema.get("required", []):
            assert k in value
        for k, v in value.items():
            _check(schema["properties"][k], v)
    elif t == "array":
        assert isinstance(value, list) and schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", 99)
        for v in value:
            _check(schema["items"], v)
    elif t == "string":
        assert isinstance(value, str) and schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 999)
    elif t == "integer":
        assert isinstance(value, int) and schema.get("minimum", -1e9) <= value <= schema.get("maximum", 1e9)
    elif t == "number":
        assert isinstance(value, (int, float)) and schema.get("minimum", -1e9) <= value <= schema.get("maximum", 1e9)
    elif t == "boolean":
        assert isinstance(value, bool)


@pytest.mark.parametrize("seed", range(25))
def test_tool_arguments_satisfy_schema(seed):
    tools = [{"type": "function", "function": {"name": "t", "parameters": SCHEMA}}]
    res = generate(
        GenRequest("chat", "m", messages=[{"role": "user", "content": f"call number {seed}"}], tools=tools, seed=seed)
    )
    assert res.finish_reason == "tool_calls"
    _check(SCHEMA, json.loads(res.tool_calls[0]["function"]["arguments"]))


def test_markdown_determinism_and_temperature():
    msgs = [{"role": "user", "content": "Write about payments"}]
    a = generate(GenRequest("chat", "m", messages=msgs, max_tokens=2000))
    b = generate(GenRequest("chat", "m", messages=msgs, max_tokens=2000))
    assert a.text == b.text and a.finish_reason == "stop"
    long = generate(GenRequest("chat", "m", messages=msgs, max_tokens=3000, ignore_eos=True))
    assert "```" in long.text and "\n- " in long.text or "\n1. " in long.text
    assert len(long.tokens) == 3000 and long.finish_reason == "length"
    hot = {generate(GenRequest("chat", "m", messages=msgs, temperature=1.0)).text for _ in range(3)}
    assert len(hot) > 1
    assert (
        generate(GenRequest("chat", "m", messages=msgs, temperature=1.0, seed=7)).text
        == generate(GenRequest("chat", "m", messages=msgs, temperature=1.0, seed=7)).text
    )


def test_tool_choice_none_and_named():
    tools = [
        {"type": "function", "function": {"name": "a", "parameters": {}}},
        {"type": "function", "function": {"name": "b", "parameters": {}}},
    ]
    msgs = [{"role": "user", "content": "hello"}]
    assert generate(GenRequest("chat", "m", messages=msgs, tools=tools, tool_choice="none")).tool_calls is None
    named = generate(
        GenRequest("chat", "m", messages=msgs, tools=tools, tool_choice={"type": "function", "function": {"name": "b"}})
    )
    assert named.tool_calls[0]["function"]["name"] == "b"


def test_client_parsers():
    from og_tui.core.errors import ValidationError
    from og_tui.core.llm import ToolCallError, bare_model, parse_messages, parse_tool_arguments, parse_tools

    assert bare_model("openai/gpt-4o") == "gpt-4o" and bare_model("x") == "x"
    assert parse_tools('{"name": "f", "parameters": {"type": "object"}}')[0]["function"]["name"] == "f"
    with pytest.raises(ValidationError, match="Malformed tools JSON"):
        parse_tools("[1,")
    with pytest.raises(ValidationError, match="no content"):
        parse_messages([{"role": "user"}])
    with pytest.raises(ToolCallError, match="do not parse"):
        parse_tool_arguments({"function": {"name": "f", "arguments": "{not json"}})
    with pytest.raises(ToolCallError, match="not a JSON object"):
        parse_tool_arguments({"name": "f", "arguments": "[1]"})
    assert parse_tool_arguments({"name": "f", "arguments": '{"a": 1}'}) == {"a": 1}


def test_spend_caps_unit():
    from og_tui.core.x402_common import SpendCapReached, SpendCaps

    caps = SpendCaps(per_request=10, per_run=15)
    caps.reserve(10)
    with pytest.raises(SpendCapReached) as exc:
        caps.reserve(6)
    assert exc.value.kind == "run" and caps.spent == 10
    caps.release(10)
    assert caps.spent == 0 and caps.remaining == 15


def test_sign_payment_matches_token_verification():
    """The client's EIP-712 signature recovers to the payer with the devnet token's own digest."""
    from eth_abi import encode
    from eth_account import Account
    from eth_keys import KeyAPI
    from eth_utils import keccak

    from og_tui.core import constants
    from og_tui.core.x402 import sign_payment
    from og_tui.devnet.token import TRANSFER_WITH_AUTHORIZATION_TYPEHASH, OUSDCToken

    acct = Account.create()
    req = {
        "scheme": "exact",
        "network": "og-devnet",
        "maxAmountRequired": "123",
        "payTo": acct.address,
        "asset": constants.OUSDC_ADDRESS,
        "maxTimeoutSeconds": 60,
        "extra": {"name": "OUSDC", "version": "2"},
    }
    _header, payment = sign_payment(acct, req, constants.DEVNET_CHAIN_ID)
    auth = payment["payload"]["authorization"]
    sig = bytes.fromhex(payment["payload"]["signature"][2:])
    token = OUSDCToken(bytes.fromhex(constants.OUSDC_ADDRESS[2:]), constants.DEVNET_CHAIN_ID, None)
    struct = keccak(
        encode(
            ["bytes32", "address", "address", "uint256", "uint256", "uint256", "bytes32"],
            [
                TRANSFER_WITH_AUTHORIZATION_TYPEHASH,
                auth["from"],
                auth["to"],
                int(auth["value"]),
                int(auth["validAfter"]),
                int(auth["validBefore"]),
                bytes.fromhex(auth["nonce"][2:]),
            ],
        )
    )
    digest = keccak(b"\x19\x01" + token.domain_separator + struct)
    pub = KeyAPI.Signature(
        vrs=(sig[64] - 27, int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"))
    ).recover_public_key_from_msg_hash(digest)
    assert pub.to_checksum_address() == acct.address


def test_text_after_tool_result_is_one_whole_sentence():
    from og_tui.devnet.llm.builtin import _OBJECTS, _SUBJECTS, _TAILS, _VERBS

    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_price",
                "description": "price",
                "parameters": {"type": "object", "properties": {}},
            },
        }
    ]
    for seed in range(40):
        msgs = [
            {"role": "user", "content": f"price please {seed}"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_price", "arguments": "{}"}}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": json.dumps({"price": 3000 + seed})},
        ]
        text = generate(GenRequest("chat", "m", messages=msgs, tools=tools, seed=seed, max_tokens=500)).text
        assert "**price**" in text and str(3000 + seed) in text
        after = text.split("Based on that result, ", 1)[1]
        subject = next((s for s in _SUBJECTS if after.startswith(s + " ")), None)
        assert subject is not None, after  # starts with a whole subject, lower-case
        rest = after[len(subject) + 1 :]
        verb = next(v for v in _VERBS if rest.startswith(v + " "))
        rest = rest[len(verb) + 1 :]
        obj = next((o for o in _OBJECTS if rest.startswith(o + " ")), None)
        assert obj is not None, after
        assert any(rest[len(obj) + 1 :].startswith(t + ".") for t in _TAILS), after
