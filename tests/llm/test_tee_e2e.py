"""TEE replies end to end against a real devnet: the registry contract, its heartbeat, the TLS
endpoint pinned to the registered certificate, signed replies checked by the client (and
tampered ones refused with the reason), and ``response_format`` honoured by the built-in model."""

from __future__ import annotations

import base64
import copy
import json
import os
import stat
import time

import httpx
import pytest
from eth_abi import decode, encode
from eth_utils import keccak

from og_tui.core import constants
from og_tui.core.errors import ChainError
from og_tui.core.json_schema import validate
from og_tui.core.llm import DEVNET_MODEL, LLMClient, LLMError
from og_tui.core.tee import (
    TEE_INFO_TYPE,
    TeeCertificateMismatch,
    TeeVerifier,
    check_pin,
    discover,
    pinned_ssl_context,
)
from og_tui.core.x402 import sign_payment
from tests.llm.conftest import UPSTREAM_MODEL, _with_env

pytestmark = pytest.mark.e2e

MSG = [{"role": "user", "content": "How does the devnet settle a payment?"}]
WEATHER = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]
PERSON = {
    "name": "person",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 2},
            "age": {"type": "integer", "minimum": 0, "maximum": 120},
            "email": {"type": "string", "format": "email"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
            "role": {"enum": ["admin", "user"]},
            "address": {"$ref": "#/$defs/address"},
        },
        "required": ["name", "age", "email", "tags", "role", "address"],
        "additionalProperties": False,
        "$defs": {
            "address": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "zip": {"type": ["string", "null"], "maxLength": 5}},
                "required": ["city", "zip"],
                "additionalProperties": False,
            }
        },
    },
}


@pytest.fixture(scope="module")
def tee_devnet(devnet_factory, upstream_server):
    env = {
        "OG_TUI_DEVNET_TEE_HEARTBEAT_SECONDS": "1",
        "OG_TUI_DEVNET_LLM_UPSTREAM": f"{UPSTREAM_MODEL}={upstream_server}#tiny",
    }
    return _with_env(env, devnet_factory)


@pytest.fixture(scope="module")
def profile(tee_devnet):
    from og_tui.core.profiles import builtin_profiles

    base = tee_devnet.url
    return builtin_profiles()["local"].replace(
        rpc_url=base + "/rpc", api_url=base, hub_url=base + "/api/v0", auth_url=base + "/auth", llm_url=base
    )


@pytest.fixture(scope="module")
def payer(tee_devnet):
    from eth_account import Account

    acct = Account.create()
    status, _ = tee_devnet.post("/faucet", {"address": acct.address})
    assert status == 200
    return acct


@pytest.fixture(scope="module")
def tee(tee_devnet):
    tees = discover(tee_devnet.rpc_url, constants.TEE_REGISTRY_ADDRESS)
    assert len(tees) == 1
    return tees[0]


@pytest.fixture
def client(profile, payer):
    c = LLMClient(profile, payer)
    yield c
    c.close()


def _paid(devnet, tee, path: str, body: dict, payer) -> httpx.Response:
    """A paid request straight to the TEE's HTTPS endpoint, TLS pinned to the registry's certificate."""
    with httpx.Client(verify=pinned_ssl_context(tee.tls_cert_der), timeout=30) as http:
        r = http.post(tee.endpoint + path, json=body)
        assert r.status_code == 402, r.text
        header, _ = sign_payment(payer, r.json()["accepts"][0], devnet.info["chain_id"])
        return http.post(tee.endpoint + path, json=body, headers={"X-Payment": header})


# --- the registry ---------------------------------------------------------------------------


def test_registry_lists_the_devnet_gateway_as_an_llm_proxy_tee(tee_devnet, tee):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    tee_dir = tee_devnet.data_dir / "tee"
    cert = x509.load_pem_x509_certificate((tee_dir / "tls_cert.pem").read_bytes())
    key = serialization.load_pem_private_key((tee_dir / "signing_key.pem").read_bytes(), None)
    pub_der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert tee.endpoint.startswith("https://127.0.0.1:") and tee.endpoint != tee_devnet.url
    assert tee.tls_cert_der == cert.public_bytes(serialization.Encoding.DER)
    assert tee.public_key_der == pub_der and tee.tee_id == "0x" + keccak(pub_der).hex()
    assert tee.type_name == "LLMProxy" and tee.enabled and tee.tee_type == 0
    assert tee.payment_address == httpx.get(tee_devnet.url + "/v1/models").json()["payee"]
    assert 0 < tee.registered_at <= tee.last_heartbeat_at <= time.time() + 1
    assert tee.pcr_hash.startswith("0x") and len(tee.pcr_hash) == 66
    # the other views, by raw eth_call
    tee_id = bytes.fromhex(tee.tee_id[2:])

    def call(sig: str, types: list, args: list) -> bytes:
        data = "0x" + (keccak(text=sig)[:4] + encode(types, args)).hex()
        return bytes.fromhex(tee_devnet.rpc("eth_call", {"to": constants.TEE_REGISTRY_ADDRESS, "data": data})[2:])

    (one,) = decode([TEE_INFO_TYPE], call("getTEE(bytes32)", ["bytes32"], [tee_id]))
    assert one[2] == tee.endpoint and one[3] == pub_der
    assert decode(["bool"], call("isTEEActive(bytes32)", ["bytes32"], [tee_id])) == (True,)
    assert decode(["bool"], call("isTEEEnabled(bytes32)", ["bytes32"], [b"\x01" * 32])) == (False,)
    assert decode(["bytes32[]"], call("getTEEsByType(uint8)", ["uint8"], [0])) == ((tee_id,),)
    assert decode(["bytes32[]"], call("getEnabledTEEs(uint8)", ["uint8"], [1])) == ((),)
    assert discover(tee_devnet.rpc_url, constants.TEE_REGISTRY_ADDRESS, tee_type=1) == []
    with pytest.raises(tee_devnet.RpcError, match="unknown TEE"):
        call("getTEE(bytes32)", ["bytes32"], [b"\x02" * 32])
    with pytest.raises(ChainError, match="no TEE registry at 0x1111"):
        discover(tee_devnet.rpc_url, "0x" + "11" * 20)


def test_heartbeat_advances_while_the_devnet_runs(tee_devnet, tee):
    first = tee.last_heartbeat_at
    deadline = time.monotonic() + 30
    latest = first
    while latest <= first and time.monotonic() < deadline:
        time.sleep(0.2)
        latest = discover(tee_devnet.rpc_url, constants.TEE_REGISTRY_ADDRESS)[0].last_heartbeat_at
    assert latest > first


def test_tee_keys_are_private_files_in_the_data_dir(tee_devnet):
    tee_dir = tee_devnet.data_dir / "tee"
    assert stat.S_IMODE(os.stat(tee_dir).st_mode) == 0o700
    names = sorted(p.name for p in tee_dir.iterdir())
    assert names == ["signing_key.pem", "tee.json", "tls_cert.pem", "tls_key.pem"]
    for p in tee_dir.iterdir():
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o600, p


def test_the_tee_endpoint_presents_the_registered_certificate(tee):
    check_pin(tee)  # raises on a mismatch
    with httpx.Client(verify=pinned_ssl_context(tee.tls_cert_der)) as http:
        assert http.get(tee.endpoint + "/v1/models").json()["object"] == "list"


def test_a_certificate_other_than_the_registered_one_is_refused(tee, profile, payer):
    from dataclasses import replace

    from og_tui.devnet.tee.identity import TeeIdentity

    other = replace(tee, tls_cert_der=TeeIdentity(_tmp_dir()).tls_cert_der)
    with pytest.raises(TeeCertificateMismatch, match="not the one the registry records"):
        check_pin(other)
    with pytest.raises(TeeCertificateMismatch):
        LLMClient(profile, payer, tee=other)
    # the pinned transport refuses it on its own too
    with httpx.Client(verify=pinned_ssl_context(other.tls_cert_der)) as http:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            http.get(tee.endpoint + "/v1/models")


def _tmp_dir():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="og-tee-other-"))


# --- signed replies --------------------------------------------------------------------------------


def test_chat_replies_verify_streamed_or_not_and_over_the_pinned_tee(client, profile, payer, tee):
    r = client.chat(DEVNET_MODEL, MSG, max_tokens=40)
    assert r.meta.tee.verified, r.meta.tee.reason
    assert r.meta.tee.tee_id == tee.tee_id and r.meta.tee.endpoint == tee.endpoint
    s = client.chat(DEVNET_MODEL, MSG, max_tokens=40, stream=True)
    text = "".join(c.content or "" for c in s)
    assert text and s.meta.tee.verified, s.meta.tee.reason
    assert s.meta.as_dict()["tee"]["verified"] is True  # what the chat history keeps with the message
    with LLMClient(profile, payer, tee=tee) as pinned:
        assert pinned.base_url == tee.endpoint
        r = pinned.chat(DEVNET_MODEL, MSG, max_tokens=20)
        assert r.meta.tee.verified, r.meta.tee.reason


def test_completion_and_tool_call_replies_verify(client):
    r = client.completion(DEVNET_MODEL, "The devnet", max_tokens=30)
    assert r.completion_output and r.meta.tee.verified, r.meta.tee.reason
    r = client.chat(DEVNET_MODEL, [{"role": "user", "content": "weather in Paris?"}], tools=WEATHER)
    assert r.finish_reason == "tool_calls" and r.meta.tee.verified, r.meta.tee.reason
    s = client.chat(DEVNET_MODEL, [{"role": "user", "content": "weather in Paris?"}], tools=WEATHER, stream=True)
    list(s)
    assert s.meta.finish_reason == "tool_calls" and s.meta.tee.verified, s.meta.tee.reason


def test_every_reply_carries_the_proof_fields_and_usage(tee_devnet, tee, payer):
    body = {"model": "mini", "messages": MSG, "max_tokens": 30, "temperature": 0.0}
    data = _paid(tee_devnet, tee, "/v1/chat/completions", body, payer).json()
    for key in ("tee_signature", "tee_request_hash", "tee_output_hash", "tee_timestamp", "tee_id", "usage"):
        assert data.get(key) not in (None, ""), key
    assert data["tee_id"] == tee.tee_id and abs(data["tee_timestamp"] - time.time()) < 120
    assert len(base64.b64decode(data["tee_signature"])) == 256  # RSA 2048
    assert data["usage"]["total_tokens"] == data["usage"]["prompt_tokens"] + data["usage"]["completion_tokens"]
    comp = _paid(tee_devnet, tee, "/v1/completions", {"model": "mini", "prompt": "Hi", "max_tokens": 10}, payer)
    assert comp.json()["tee_id"] == tee.tee_id and comp.json()["usage"]["completion_tokens"] > 0
    verifier = TeeVerifier(tee_devnet.rpc_url, constants.TEE_REGISTRY_ADDRESS)
    batch = {"model": "mini", "prompt": ["Hi there"], "max_tokens": 10}  # the one-prompt list form
    v = verifier.verify("completion", batch, _paid(tee_devnet, tee, "/v1/completions", batch, payer).json())
    assert v.verified, v.reason
    with httpx.Client(verify=pinned_ssl_context(tee.tls_cert_der), timeout=30) as http:
        sbody = dict(body, stream=True)
        req = http.post(tee.endpoint + "/v1/chat/completions", json=sbody).json()["accepts"][0]
        header, _ = sign_payment(payer, req, tee_devnet.info["chain_id"])
        frames = []
        with http.stream("POST", tee.endpoint + "/v1/chat/completions", json=sbody, headers={"X-Payment": header}) as r:
            for line in r.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    frames.append(json.loads(line[6:]))
    signed = [f for f in frames if "tee_signature" in f]
    assert len(signed) == 1 and signed[0] is frames[-1] and signed[0]["usage"]["completion_tokens"] > 0
    text = "".join((f["choices"][0]["delta"].get("content") or "") for f in frames)
    v = TeeVerifier(tee_devnet.rpc_url, constants.TEE_REGISTRY_ADDRESS).verify_stream(
        sbody, signed[0], text, [], signed[0]["choices"][0]["finish_reason"]
    )
    assert v.verified, v.reason


@pytest.fixture(scope="module")
def signed_reply(tee_devnet, tee, payer):
    body = {"model": "mini", "messages": MSG, "max_tokens": 30, "temperature": 0.0}
    resp = _paid(tee_devnet, tee, "/v1/chat/completions", body, payer)
    assert resp.status_code == 200
    return body, resp.json()


@pytest.fixture(scope="module")
def verifier(tee_devnet):
    return TeeVerifier(tee_devnet.rpc_url, constants.TEE_REGISTRY_ADDRESS)


def test_an_untouched_reply_verifies(signed_reply, verifier):
    body, data = signed_reply
    v = verifier.verify("chat", body, data)
    assert v.verified and v.reason == "" and "verified" in v.summary


def test_a_changed_output_fails_with_the_reason(signed_reply, verifier):
    body, data = signed_reply
    bad = copy.deepcopy(data)
    bad["choices"][0]["message"]["content"] += " (edited)"
    v = verifier.verify("chat", body, bad)
    assert not v.verified and v.reason.startswith("output hash mismatch")
    assert "NOT verified: output hash mismatch" in v.summary


def test_a_changed_request_fails_with_the_reason(signed_reply, verifier):
    body, data = signed_reply
    v = verifier.verify("chat", dict(body, max_tokens=31), data)
    assert not v.verified and v.reason.startswith("request hash mismatch")


def test_a_changed_signature_or_timestamp_fails_with_the_reason(signed_reply, verifier):
    body, data = signed_reply
    bad = copy.deepcopy(data)
    raw = bytearray(base64.b64decode(bad["tee_signature"]))
    raw[10] ^= 0x01
    bad["tee_signature"] = base64.b64encode(bytes(raw)).decode()
    v = verifier.verify("chat", body, bad)
    assert not v.verified and "signature does not verify" in v.reason
    later = dict(data, tee_timestamp=data["tee_timestamp"] + 1)
    v = verifier.verify("chat", body, later)
    assert not v.verified and "signature does not verify" in v.reason
    v = verifier.verify("chat", body, dict(data, tee_signature="not base64!"))
    assert not v.verified and "not base64" in v.reason


def test_a_wrong_or_missing_tee_id_fails_with_the_reason(signed_reply, verifier):
    body, data = signed_reply
    other = "0x" + keccak(b"another TEE").hex()
    v = verifier.verify("chat", body, dict(data, tee_id=other))
    assert not v.verified and "is not an active TEE of the registry" in v.reason
    stripped = {k: v for k, v in data.items() if k != "tee_signature"}
    v = verifier.verify("chat", body, stripped)
    assert not v.verified and "carries no TEE proof" in v.reason and "tee_signature" in v.reason


# --- response_format --------------------------------------------------------------------------------


def test_json_schema_output_validates_against_the_schema(client):
    fmt = {"type": "json_schema", "json_schema": PERSON}
    msgs = [{"role": "user", "content": "Describe Ada Lovelace"}]
    r = client.chat(DEVNET_MODEL, msgs, max_tokens=200, extra_body={"response_format": fmt})
    value = json.loads(r.chat_output["content"])
    assert validate(value, PERSON["schema"]) == []
    assert set(value) == {"name", "age", "email", "tags", "role", "address"}
    assert isinstance(value["age"], int) and 0 <= value["age"] <= 120 and len(value["name"]) >= 2
    assert value["role"] in ("admin", "user") and 1 <= len(value["tags"]) <= 3
    assert set(value["address"]) == {"city", "zip"} and "@" in value["email"]
    assert r.meta.tee.verified, r.meta.tee.reason  # the signature covers response_format too
    s = client.chat(DEVNET_MODEL, msgs, max_tokens=200, stream=True, extra_body={"response_format": fmt})
    list(s)
    assert json.loads(s.text) == value and s.meta.tee.verified


def test_json_object_output_is_a_json_object(client):
    r = client.chat(DEVNET_MODEL, MSG, max_tokens=300, extra_body={"response_format": {"type": "json_object"}})
    value = json.loads(r.chat_output["content"])
    assert isinstance(value, dict) and value["answer"]
    r = client.chat(DEVNET_MODEL, MSG, max_tokens=30, extra_body={"response_format": {"type": "text"}})
    assert not r.chat_output["content"].lstrip().startswith("{")


@pytest.mark.parametrize(
    ("fmt", "code", "words"),
    [
        (
            {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "string", "pattern": "^a"}}},
            "unsupported_schema",
            "'pattern'",
        ),
        (
            {
                "type": "json_schema",
                "json_schema": {"name": "s", "schema": {"allOf": [{"type": "string"}, {"type": "integer"}]}},
            },
            "unsupported_schema",
            "cannot be satisfied",
        ),
        (
            {
                "type": "json_schema",
                "json_schema": {"name": "s", "schema": {"type": "integer", "minimum": 5, "maximum": 1}},
            },
            "unsupported_schema",
            "minimum 5 above maximum 1",
        ),
        (
            {"type": "json_schema", "json_schema": {"name": "bad name!", "schema": {}}},
            "invalid_response_format",
            "name",
        ),
        ({"type": "json_schema"}, "invalid_response_format", "json_schema"),
        ({"type": "yaml"}, "invalid_response_format", "json_object"),
    ],
)
def test_a_bad_response_format_is_a_400_before_payment(tee_devnet, fmt, code, words):
    body = {"model": "mini", "messages": MSG, "max_tokens": 20, "response_format": fmt}
    r = httpx.post(tee_devnet.url + "/v1/chat/completions", json=body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == code and words in err["message"]


def test_a_bad_schema_reaches_the_client_as_a_clear_error(client):
    fmt = {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object", "not": {}}}}
    with pytest.raises(LLMError, match="keyword 'not'"):
        client.chat(DEVNET_MODEL, MSG, extra_body={"response_format": fmt})


def test_a_reply_without_proof_is_not_verified_and_the_registry_is_not_asked(profile, upstream_server):
    from tests.llm.conftest import free_port

    dead_rpc = f"http://127.0.0.1:{free_port()}/rpc"  # nothing listens: a registry read would fail
    plain = profile.replace(llm_url=upstream_server, rpc_url=dead_rpc)
    with LLMClient(plain, None) as c:
        r = c.chat("devnet/tiny", MSG, max_tokens=10)
        assert r.chat_output["content"].startswith("upstream")
        assert not r.meta.tee.verified and "carries no TEE proof" in r.meta.tee.reason
        assert c._tee_verifier is None


def test_a_client_via_the_registry_talks_to_the_pinned_tee(profile, payer, tee):
    from og_tui.core.tee import llm_client_via_registry

    with llm_client_via_registry(profile, payer) as c:
        assert c.base_url == tee.endpoint and c.tee.tee_id == tee.tee_id
        r = c.chat(DEVNET_MODEL, MSG, max_tokens=20)
        assert r.meta.tee.verified and r.meta.tee.tee_id == tee.tee_id, r.meta.tee.reason


def test_a_bad_tls_port_setting_stops_the_devnet_with_a_clear_message(tmp_path):
    import subprocess
    import sys

    from tests.llm.conftest import free_port

    for name, value, message in (
        ("OG_TUI_DEVNET_TEE_TLS_PORT", "https", "OG_TUI_DEVNET_TEE_TLS_PORT must be a TCP port number, not 'https'"),
        ("OG_TUI_DEVNET_TEE_HEARTBEAT_SECONDS", "0", "OG_TUI_DEVNET_TEE_HEARTBEAT_SECONDS must be more than 0"),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "og_tui", "devnet", "--port", str(free_port()), "--data-dir", str(tmp_path / name)],
            env=dict(os.environ, **{name: value}),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 2 and "cannot start the TEE endpoint" in run.stderr
        assert message in run.stderr and "Traceback" not in run.stderr


def test_an_upstream_model_is_sent_the_response_format_as_given(tee_devnet, tee, payer):
    fmt = {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "string", "pattern": "^a"}}}
    body = {"model": UPSTREAM_MODEL, "messages": MSG, "max_tokens": 20, "response_format": fmt}
    data = _paid(tee_devnet, tee, "/v1/chat/completions", body, payer).json()
    assert json.loads(data["choices"][0]["message"]["content"]) == {"format": "json_schema", "heard": MSG[0]["content"]}
    assert TeeVerifier(tee_devnet.rpc_url, constants.TEE_REGISTRY_ADDRESS).verify("chat", body, data).verified
    bad = dict(body, response_format={"type": "json_schema", "json_schema": {"name": "s"}})
    r = httpx.post(tee_devnet.url + "/v1/chat/completions", json=bad)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_response_format"


# --- last: restarts the module's devnet ----------------------------------------------------------------


def test_the_tee_keeps_its_identity_across_a_restart(tee_devnet, tee, client):
    tee_devnet.restart()
    (again,) = discover(tee_devnet.rpc_url, constants.TEE_REGISTRY_ADDRESS)
    assert again.tee_id == tee.tee_id and again.tls_cert_der == tee.tls_cert_der
    assert again.registered_at == tee.registered_at and again.last_heartbeat_at >= tee.last_heartbeat_at
    check_pin(again)
    r = client.chat(DEVNET_MODEL, MSG, max_tokens=20)
    assert r.meta.tee.verified, r.meta.tee.reason
