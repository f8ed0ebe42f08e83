"""The OpenGradient SDK 1.1.4's own TEE code against a real devnet: its registry client finds
the devnet's TEE, its pinned TLS context reaches it, and its ``verify_response`` accepts a
devnet reply (and refuses a tampered one).

Runs in the reference 1.x environment (``.venv-ref1``, built by ``make test``; or the python
named by ``OG_TUI_REFERENCE_SDK1_PYTHON``); a clear failure when there is none.
"""

from __future__ import annotations

import json
import os
import subprocess

import httpx
import pytest

from og_tui.core import constants
from og_tui.core.tee import discover, pinned_ssl_context
from og_tui.core.x402 import sign_payment

from .refenv import reference_python

pytestmark = pytest.mark.e2e

SCRIPT = r"""
import json, sys
import httpx
from opengradient.client.tee_registry import TEERegistry, build_ssl_context_from_der
from opengradient.client.tee_verify import (
    VerificationError, build_inner_request, pem_from_der, response_content_for_hash, verify_response,
)

args = json.load(sys.stdin)
tees = TEERegistry(args["rpc_url"], args["registry"]).get_active_tees_by_type(0)
out = {"tees": [{"tee_id": t.tee_id, "endpoint": t.endpoint, "payment_address": t.payment_address,
                 "pcr_hash": t.pcr_hash, "cert": t.tls_cert_der.hex()} for t in tees]}
tee = tees[0]
with httpx.Client(verify=build_ssl_context_from_der(tee.tls_cert_der)) as http:
    out["models_over_pinned_tls"] = http.get(tee.endpoint + "/v1/models").status_code
with httpx.Client(verify=build_ssl_context_from_der(bytes.fromhex(args["other_cert"]))) as http:
    try:
        http.get(tee.endpoint + "/v1/models")
        out["other_cert"] = "accepted"
    except httpx.ConnectError as exc:
        out["other_cert"] = str(exc)

import asyncio
from x402 import x402Client
from opengradient.client.tee_connection import RegistryTEEConnection


async def through_sdk_connection():
    conn = RegistryTEEConnection(x402Client(), TEERegistry(args["rpc_url"], args["registry"]))
    try:
        active = conn.get()
        r = await active.http_client.get(active.endpoint + "/v1/models")
        return {"tee_id": active.tee_id, "endpoint": active.endpoint, "status": r.status_code}
    finally:
        await conn.close()


out["sdk_connection"] = asyncio.run(through_sdk_connection())
_wire, canonical = build_inner_request(args["request"])
results = []
for reply in args["replies"]:
    try:
        proof = verify_response(
            canonical_request=canonical, response_body=reply, response_content=response_content_for_hash(reply),
            signing_key_pem=pem_from_der(tee.signing_public_key_der), expected_tee_id=tee.tee_id,
        )
        results.append({"ok": True, "tee_id": proof.tee_id, "timestamp": proof.timestamp})
    except VerificationError as exc:
        results.append({"ok": False, "error": str(exc)})
out["results"] = results
print(json.dumps(out))
"""


def test_sdk_114_finds_the_devnet_tee_and_verifies_its_reply(devnet, tmp_path):
    from og_tui.devnet.tee.identity import TeeIdentity

    python = reference_python(generation=1)
    (tee,) = discover(devnet.rpc_url, constants.TEE_REGISTRY_ADDRESS)
    from eth_account import Account

    payer = Account.create()
    assert devnet.post("/faucet", {"address": payer.address})[0] == 200
    body = {
        "model": "gpt-4o",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "What is a TEE?"}],
        "max_tokens": 40,
        "temperature": 0.0,
        "response_format": {"type": "json_object"},
    }
    with httpx.Client(verify=pinned_ssl_context(tee.tls_cert_der), timeout=30) as http:
        req = http.post(tee.endpoint + "/v1/chat/completions", json=body).json()["accepts"][0]
        header, _ = sign_payment(payer, req, devnet.info["chain_id"])
        reply = http.post(tee.endpoint + "/v1/chat/completions", json=body, headers={"X-Payment": header}).json()
    tampered = json.loads(json.dumps(reply))
    tampered["choices"][0]["message"]["content"] = "{}"
    args = {
        "rpc_url": devnet.rpc_url,
        "registry": constants.TEE_REGISTRY_ADDRESS,
        "request": body,
        "replies": [reply, tampered],
        "other_cert": TeeIdentity(tmp_path / "other").tls_cert_der.hex(),
    }
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run(
        [python, "-c", SCRIPT], input=json.dumps(args), capture_output=True, text=True, timeout=120, env=env
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    (seen,) = out["tees"]
    assert seen["endpoint"] == tee.endpoint and bytes.fromhex(seen["cert"]) == tee.tls_cert_der
    assert seen["tee_id"].removeprefix("0x") == tee.tee_id.removeprefix("0x")
    assert seen["payment_address"] == tee.payment_address and seen["pcr_hash"] == tee.pcr_hash
    assert out["models_over_pinned_tls"] == 200
    assert "CERTIFICATE_VERIFY_FAILED" in out["other_cert"]  # its pinning refuses another certificate
    conn = out["sdk_connection"]  # the SDK's own registry connection (x402 client, pinned TLS)
    assert conn["endpoint"] == tee.endpoint and conn["status"] == 200
    assert conn["tee_id"].removeprefix("0x") == tee.tee_id.removeprefix("0x")
    ok, bad = out["results"]
    assert ok["ok"] and ok["tee_id"] == tee.tee_id and ok["timestamp"] == reply["tee_timestamp"]
    assert not bad["ok"] and "output hash mismatch" in bad["error"]
