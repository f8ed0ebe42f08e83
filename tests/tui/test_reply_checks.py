"""The lines under a reply (pure): the TEE check, the structured-output check, the payment."""

from __future__ import annotations

import pytest

from og_tui.core.tee_proof import TeeVerification
from og_tui.tui.screens.schema_dialog import check_spec
from og_tui.tui.widgets.chat_items import meta_line
from og_tui.tui.widgets.reply_checks import pretty_json, schema_line, structured_format, tee_line

TEE_ID = "0x" + "5d" * 2 + "ab" * 28 + "45fd"
SCHEMA = {"name": "city", "schema": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}}


def _styles(content) -> set[str]:
    return {str(span.style) for span in content.spans}


def test_a_verified_reply_names_its_tee_in_green():
    line = tee_line({"mode": "TEE", "tee": TeeVerification(True, tee_id=TEE_ID).as_dict()})
    assert str(line) == "✓ TEE 0x5d5d…45fd · signature verified"
    assert any("success" in s for s in _styles(line))


def test_an_unverified_reply_says_why_in_red():
    check = TeeVerification(False, "output hash mismatch: the reply's content is not what the TEE signed", TEE_ID)
    line = tee_line({"mode": "TEE", "tee": check.as_dict()})
    assert str(line) == (
        "✗ TEE 0x5d5d…45fd · NOT verified: output hash mismatch: the reply's content is not what the TEE signed"
    )
    assert any("error" in s for s in _styles(line)) and not any("success" in s for s in _styles(line))
    no_id = tee_line({"mode": "TEE", "tee": TeeVerification(False, "the reply carries no TEE proof").as_dict()})
    assert str(no_id) == "✗ TEE (unknown) · NOT verified: the reply carries no TEE proof"


@pytest.mark.parametrize(
    ("meta", "why"),
    [
        ({"mode": "TEE", "tee": None, "stopped": True}, "the reply was stopped before its signed end"),
        ({"mode": "TEE", "tee": None, "interrupted": True}, "the reply broke off before its signed end"),
        ({"mode": "TEE"}, "this reply carries no recorded check"),
        ({"mode": "TEE", "tee": {"garbage": 1}}, "this reply carries no recorded check"),
    ],
)
def test_a_tee_reply_without_a_check_says_so(meta, why):
    assert str(tee_line(meta)) == f"○ TEE proof not checked: {why}"


def test_on_chain_replies_have_no_tee_line():
    assert tee_line({"mode": "VANILLA", "tee": None}) is None and tee_line({}) is None


def test_the_schema_line_names_the_first_problem():
    fmt = {"type": "json_schema", "json_schema": SCHEMA}
    assert str(schema_line(fmt, '{"n": 3}')) == "✓ matches schema city"
    assert str(schema_line(fmt, '{"n": "x"}')) == "✗ does not match schema city: $.n: expected integer, got str"
    assert str(schema_line(fmt, "{}")) == "✗ does not match schema city: $: missing the required property 'n'"
    assert str(schema_line(fmt, '{"n": 1')).startswith("✗ not valid JSON: Expecting")
    obj = {"type": "json_object"}
    assert str(schema_line(obj, "[1]")) == "✗ JSON, but not an object (list)"
    assert str(schema_line(obj, '{"a": 1}')) == "✓ a JSON object, as asked"


def test_json_is_shown_indented_and_only_for_json_formats():
    assert str(pretty_json('{"a":[1,2]}')) == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert pretty_json("not json") is None
    assert structured_format({"response_format": {"type": "text"}}) is None
    assert structured_format({"response_format": {"type": "json_object"}}) == {"type": "json_object"}


def test_the_schema_editor_checks_before_saving():
    assert check_spec("city", '{"type": "object"}') == {"type": "object"}
    for name, text, words in (
        ("a city", "{}", "The schema name must be 1-64 letters"),
        ("city", "", "Write the JSON Schema"),
        ("city", '{"type": }', "not valid JSON: Expecting value at line 1 column 10"),
        ("city", "[1]", "must be a JSON object, not list"),
        ("city", '{"type": "string", "pattern": "^a"}', "keyword 'pattern'"),
        ("city", '{"type": "strin"}', "strin"),
    ):
        with pytest.raises(ValueError) as info:
            check_spec(name, text)
        assert words in str(info.value)


PAID = {"mode": "TEE", "completion_tokens": 5, "cost": "256", "payment_hash": "0x" + "7a" * 32}


def test_the_payment_line_says_token_scheme_and_settlement():
    line = str(meta_line(dict(PAID, settlement_mode="settle-batch", settlement_status="queued")))
    assert "0.000256 OUSDC · x402 exact · settle-batch queued · pay 0x7a7a7a…7a7a" in line
    # an x402 v2 reply as core records it (ReplyMeta: x402_version, payment_scheme, payment_token)
    v2 = dict(
        PAID,
        cost=str(3 * 10**15),
        payment_token="0x" + "c6" * 20,
        x402_version=2,
        payment_scheme="upto",
        settlement_mode="batch",
    )
    assert "0.003 OPG · x402 v2 upto · batch · pending" in str(meta_line(v2))
    assert "x402" not in str(meta_line({"mode": "TEE", "completion_tokens": 0}))  # nothing was paid
