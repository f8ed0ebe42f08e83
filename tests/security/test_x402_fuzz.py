"""Property-based fuzzing of the X-Payment header: a 4xx or a valid answer, never a 5xx,
and the devnet alive afterwards. The parser itself raises nothing but PaymentInvalid."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from og_tui.devnet.llm.payment_header import PaymentHeader, PaymentInvalid, parse_payment
from tests.security.x402_helpers import alive, body_for, funded_payer, sign

NETWORK = "og-devnet"

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**300), max_value=2**300),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=80),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12,
)
FIELDS = ("from", "to", "value", "validAfter", "validBefore", "nonce")
hex_strings = st.builds(lambda n, b: "0x" + b.hex()[:n], st.integers(0, 140), st.binary(min_size=70, max_size=70))
field_value = st.one_of(json_value, hex_strings, st.integers(min_value=0, max_value=2**257).map(str))


def _encode(obj) -> str:
    return base64.b64encode(json.dumps(obj, allow_nan=True).encode()).decode()


def _mutated(template: dict, changes: dict, drop: list) -> dict:
    out = json.loads(json.dumps(template))
    auth = out["payload"]["authorization"]
    for key, value in changes.items():
        if key == "signature":
            out["payload"]["signature"] = value
        elif key in ("x402Version", "scheme", "network"):
            out[key] = value
        else:
            auth[key] = value
    for key in drop:
        auth.pop(key, None)
    return out


TEMPLATE = {
    "x402Version": 1,
    "scheme": "exact",
    "network": NETWORK,
    "payload": {
        "signature": "0x" + "11" * 65,
        "authorization": {
            "from": "0x" + "22" * 20,
            "to": "0x" + "33" * 20,
            "value": "10",
            "validAfter": "0",
            "validBefore": "99999999999",
            "nonce": "0x" + "44" * 32,
        },
    },
}

mutations = st.tuples(
    st.dictionaries(
        st.sampled_from(FIELDS + ("signature", "x402Version", "scheme", "network")), field_value, max_size=3
    ),
    st.lists(st.sampled_from(FIELDS), max_size=2),
)


def _check_parse(header) -> None:
    try:
        out = parse_payment(header, NETWORK)
    except PaymentInvalid as exc:
        assert exc.code and exc.message
    else:
        assert isinstance(out, PaymentHeader) and len(out.nonce) == 32 and len(out.signature) == 65
        assert 0 <= out.value < 2**256


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()),
        json_value.map(_encode),
    )
)
def test_parser_raises_only_payment_invalid_on_any_header(header):
    _check_parse(header)


@settings(max_examples=400, deadline=None)
@given(mutations)
def test_parser_raises_only_payment_invalid_on_mutated_payments(mutation):
    changes, drop = mutation
    _check_parse(_encode(_mutated(TEMPLATE, changes, drop)))


@pytest.fixture(scope="module")
def signed(devnet):
    payer = funded_payer(devnet)
    body = body_for(5)
    _, payment = sign(devnet, payer, body)
    return body, payment


# what an HTTP client can send as a header value: printable ASCII, no leading or trailing space
ascii_header = (
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=400).map(str.strip).filter(bool)
)


@pytest.mark.e2e
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(ascii_header.map(lambda h: ("raw", h)), mutations.map(lambda m: ("payment", m))))
def test_gateway_answers_4xx_or_a_reply_never_5xx(devnet, signed, case):
    body, payment = signed
    kind, value = case
    header = value if kind == "raw" else _encode(_mutated(payment, *value))
    r = httpx.post(
        devnet.url + "/v1/chat/completions",
        json=body,
        timeout=30,
        headers={"X-Payment": header, "X-SETTLEMENT-TYPE": "settle"},
    )
    assert r.status_code < 500, (header[:120], r.status_code, r.text[:300])
    if r.status_code == 200:
        assert r.json()["choices"][0]["message"]["content"]  # only the untouched, real payment can get here
    else:
        assert r.status_code in (400, 402) and r.json()


@pytest.mark.e2e
def test_devnet_alive_after_fuzzing(devnet):
    assert alive(devnet)
