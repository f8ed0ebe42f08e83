"""The TEE reply proof (canonical request, hashes, RSA-PSS), the JSON Schema subset and the
structured-output generator, as pure functions; and the check kept with a chat message."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from og_tui.core.json_schema import SchemaError, check_schema, validate
from og_tui.core.tee_proof import (
    TeeVerification,
    canonical_chat,
    canonical_completion,
    chat_output_for_hash,
    message_hash,
    request_hash,
    sign_fields,
    tee_id_of,
    verify_fields,
)

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
DER = KEY.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
TEE_ID = tee_id_of(DER)
BODY = {
    "model": "gpt-4o",
    "messages": [
        {"role": "developer", "content": "be brief"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "hi"},
                {"type": "file", "file": {"filename": "a.pdf", "file_data": "QUJD"}},
            ],
        },
    ],
    "max_tokens": 50,
    "temperature": 0,
    "tool_choice": "auto",
    "stream": True,
}


def test_canonical_chat_keeps_only_what_the_signature_commits_to():
    c = canonical_chat(BODY)
    assert c == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "file", "filename": "a.pdf"}]},
        ],
        "temperature": 0.0,
        "max_tokens": 50,
    }
    assert request_hash(c) == keccak(json.dumps(c, sort_keys=True).encode())
    rf = {"type": "json_object"}
    assert canonical_chat(dict(BODY, response_format=rf, stop=["x"]))["response_format"] == rf
    assert canonical_completion({"model": "m", "prompt": "p"}) == {"model": "m", "prompt": "p", "temperature": 0.0}
    with pytest.raises(ValueError, match="unknown message role"):
        canonical_chat({"model": "m", "messages": [{"role": "robot", "content": ""}]})


def test_output_of_a_tool_call_reply_is_its_sorted_json():
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    assert chat_output_for_hash(None, calls, "tool_calls") == json.dumps(calls, sort_keys=True)
    assert chat_output_for_hash("text", calls, "stop") == "text"
    assert chat_output_for_hash([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], None, "stop") == "ab"


def test_message_hash_is_keccak_of_both_hashes_and_a_uint256_timestamp():
    rh, oh = b"\x01" * 32, b"\x02" * 32
    assert message_hash(rh, oh, 5) == keccak(rh + oh + (5).to_bytes(32, "big"))


def test_signed_fields_verify_and_each_change_is_named():
    c = canonical_chat(BODY)
    f = sign_fields(KEY, TEE_ID, c, "hello", 1_700_000_000)
    assert verify_fields(f, c, "hello", DER).verified
    assert verify_fields(f, c, "hello!", DER).reason.startswith("output hash mismatch")
    assert verify_fields(f, dict(c, max_tokens=51), "hello", DER).reason.startswith("request hash mismatch")
    assert "signature does not verify" in verify_fields(dict(f, tee_timestamp=1), c, "hello", DER).reason
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_der = other.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert verify_fields(f, c, "hello", other_der).reason.startswith("tee_id mismatch")
    forged = sign_fields(other, TEE_ID, c, "hello", 1_700_000_000)  # claims this TEE's id, another key
    assert "signature does not verify" in verify_fields(forged, c, "hello", DER).reason
    assert "missing tee_signature" in verify_fields(dict(f, tee_signature=""), c, "hello", DER).reason
    assert "not a whole number" in verify_fields(dict(f, tee_timestamp="soon"), c, "hello", DER).reason
    assert len(base64.b64decode(f["tee_signature"])) == 256


def test_the_check_survives_a_round_trip_through_the_chat_history(tmp_path):
    from og_tui.core.chat_store import ChatStore
    from og_tui.core.llm_stream import ReplyMeta

    meta = ReplyMeta(model="m", mode="TEE")
    meta.tee = TeeVerification(False, "output hash mismatch: x", tee_id=TEE_ID)
    store = ChatStore(tmp_path / "history.sqlite3")
    conv = store.create_conversation("t")
    row = store.add_message(conv.id, "assistant", "hi", meta=meta.as_dict())
    again = store.messages(conv.id)[-1]
    assert again.id == row.id and again.tee == meta.tee and not again.tee.verified
    assert "NOT verified: output hash mismatch" in again.tee.summary
    assert store.add_message(conv.id, "assistant", "plain").tee is None


# --- JSON Schema subset and the structured-output generator -----------------------------------------


def test_check_schema_names_the_unsupported_keyword_and_where():
    with pytest.raises(SchemaError, match=r"'pattern' at #/properties/a"):
        check_schema({"type": "object", "properties": {"a": {"type": "string", "pattern": "x"}}})
    with pytest.raises(SchemaError, match="points nowhere"):
        check_schema({"$ref": "#/$defs/missing"})
    with pytest.raises(SchemaError, match="minItems 3 above maxItems 1"):
        check_schema({"type": "array", "minItems": 3, "maxItems": 1})
    check_schema(
        {
            "type": "object",
            "properties": {"a": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/x"}]}},
            "$defs": {"x": {"type": "integer"}},
        }
    )


def test_validate_lists_each_problem():
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer", "minimum": 1}, "s": {"type": "string", "maxLength": 2}},
        "required": ["n", "s"],
        "additionalProperties": False,
    }
    assert validate({"n": 1, "s": "ab"}, schema) == []
    problems = validate({"n": 0, "s": "abc", "x": True}, schema)
    assert len(problems) == 3 and any("minimum" in p for p in problems) and any("'x'" in p for p in problems)
    assert validate(True, {"type": "integer"}) == ["$: expected integer, got bool"]


LEAF = st.sampled_from(
    [
        {"type": "string", "minLength": 3, "maxLength": 8},
        {"type": "integer", "minimum": -5, "maximum": 5, "multipleOf": 2},
        {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        {"type": "boolean"},
        {"type": ["string", "null"], "format": "date"},
        {"enum": ["a", "b", 3]},
        {"const": {"k": 1}},
    ]
)
SCHEMA = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        st.builds(
            lambda props, strict: {
                "type": "object",
                "properties": props,
                "required": sorted(props),
                "additionalProperties": not strict,
            },
            st.dictionaries(st.sampled_from(["a", "b", "city", "name"]), inner, max_size=3),
            st.booleans(),
        ),
        st.builds(
            lambda items, lo: {"type": "array", "items": items, "minItems": lo, "maxItems": lo + 2},
            inner,
            st.integers(0, 2),
        ),
        st.builds(lambda a, b: {"anyOf": [a, b]}, inner, inner),
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None)
@given(SCHEMA, st.text(max_size=40))
def test_generated_values_validate_against_their_schema(schema, prompt):
    from og_tui.devnet.llm import structured
    from og_tui.devnet.llm.builtin import GenRequest

    fmt = structured.parse({"type": "json_schema", "json_schema": {"name": "s", "schema": schema}})
    req = GenRequest(
        kind="chat", model="og-devnet/mini", messages=[{"role": "user", "content": prompt}], max_tokens=1000
    )
    value = structured.value_for(fmt, req)
    assert validate(value, schema) == []
    res = structured.generate(req, fmt)
    assert json.loads(res.text) == value and res.finish_reason == "stop"
