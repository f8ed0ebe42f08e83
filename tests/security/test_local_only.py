"""Local-only by default: Host and Origin checks, JSON content types, URLs from the configuration,
--cors, and a non-loopback --host refused without --allow-remote. Against real devnet processes.
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.conftest import ROOT, DevnetProcess, free_port
from tests.security.helpers import assert_alive, post, rpc

pytestmark = pytest.mark.e2e

APP_ORIGIN = "http://app.example:3000"
BLOCK_NUMBER = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}


@pytest.fixture(scope="module")
def cors_devnet(devnet_factory):
    proc = devnet_factory(extra_args=["--cors", APP_ORIGIN])
    yield proc
    proc.stop()


# --- Host ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "attacker.localhost.evil:{port}",
        "127.0.0.1.nip.io:{port}",
        "localhost:1",
        "10.0.0.1:{port}",
    ],
)
def test_foreign_host_is_refused(devnet, host):
    host = host.format(port=devnet.port)
    for resp in (
        httpx.get(devnet.url + "/devnet/info", headers={"Host": host}),
        httpx.post(devnet.rpc_url, json=BLOCK_NUMBER, headers={"Host": host}),
    ):
        assert resp.status_code == 403
        assert "local-only" in resp.text and host in resp.text
    assert_alive(devnet)


@pytest.mark.parametrize(
    "host",
    ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "LOCALHOST:{port}", "localhost", "localhost.:{port}"],
)
def test_loopback_names_are_served(devnet, host):
    resp = httpx.post(devnet.rpc_url, json=BLOCK_NUMBER, headers={"Host": host.format(port=devnet.port)})
    assert resp.status_code == 200 and resp.json()["result"].startswith("0x")


def test_urls_come_from_the_configuration_not_the_host(devnet):
    info = httpx.get(devnet.url + "/devnet/info", headers={"Host": f"localhost:{devnet.port}"}).json()
    base = f"http://127.0.0.1:{devnet.port}"
    assert info["base_url"] == base and info["rpc_url"] == base + "/rpc" and info["hub_url"] == base + "/api/v0"
    # the x402 resource of a payment requirement too
    model = httpx.get(devnet.url + "/v1/models").json()["data"][0]["id"]
    resp = httpx.post(
        devnet.url + "/v1/chat/completions",
        headers={"Host": f"localhost:{devnet.port}"},
        json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert resp.status_code == 402
    assert resp.json()["accepts"][0]["resource"] == base + "/v1/chat/completions"


# --- Origin and CORS -----------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["http://evil.example", "null", APP_ORIGIN, "http://localhost:1"])
def test_cross_origin_requests_are_refused_by_default(devnet, origin):
    resp = httpx.post(devnet.rpc_url, json=BLOCK_NUMBER, headers={"Origin": origin})
    assert resp.status_code == 403 and "--cors" in resp.json()["error"]["message"]
    assert "access-control-allow-origin" not in resp.headers
    resp = httpx.options(devnet.rpc_url, headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    assert resp.status_code == 403


def test_the_devnets_own_origin_is_served(devnet):
    for origin in (f"http://127.0.0.1:{devnet.port}", f"http://localhost:{devnet.port}"):
        resp = httpx.post(devnet.rpc_url, json=BLOCK_NUMBER, headers={"Origin": origin})
        assert resp.status_code == 200 and "result" in resp.json()


def test_cors_allows_the_named_origin_only(cors_devnet):
    pre = httpx.options(
        cors_devnet.rpc_url,
        headers={
            "Origin": APP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-payment",
        },
    )
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert pre.headers["access-control-allow-headers"] == "content-type, x-payment"
    resp = httpx.post(cors_devnet.rpc_url, json=BLOCK_NUMBER, headers={"Origin": APP_ORIGIN})
    assert resp.status_code == 200 and "result" in resp.json()
    assert resp.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "x-processing-hash" in resp.headers["access-control-expose-headers"].lower()
    other = httpx.post(cors_devnet.rpc_url, json=BLOCK_NUMBER, headers={"Origin": "http://evil.example"})
    assert other.status_code == 403
    assert_alive(cors_devnet)


# --- Content-Type --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/rpc", "/faucet", "/v1/chat/completions", "/api/v0/models"])
@pytest.mark.parametrize(
    "ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
def test_json_routes_need_application_json(devnet, path, ctype):
    headers = {} if ctype is None else {"Content-Type": ctype}
    resp = post(devnet, path, b'{"address": "0x0000000000000000000000000000000000000001"}', headers=headers)
    assert resp.status_code == 415, resp.text
    assert "application/json" in resp.text


def test_json_with_a_charset_is_json(devnet):
    resp = post(devnet, "/rpc", BLOCK_NUMBER, headers={"Content-Type": "application/json; charset=utf-8"})
    assert resp.status_code == 200 and "result" in resp.json()


def test_auth_routes_also_take_form_bodies(devnet):
    # the Firebase REST shape: token refresh is form-encoded
    resp = post(
        devnet,
        "/auth/v1/token",
        b"grant_type=refresh_token&refresh_token=nope",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 400 and "INVALID_REFRESH_TOKEN" in resp.text
    assert (
        post(devnet, "/auth/v1/token", b"grant_type=refresh_token", headers={"Content-Type": "text/plain"}).status_code
        == 415
    )


# --- the clients of the project pass every check -------------------------------------------------------


def test_project_clients_are_accepted(devnet):
    from eth_account import Account
    from web3 import Web3

    from og_tui.core.chain import ChainClient
    from og_tui.core.devnet_client import DevnetClient

    acct = Account.create()
    DevnetClient(devnet.url).fund(acct.address)
    with ChainClient(devnet.rpc_url) as chain:
        assert chain.balance(acct.address) > 0
    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    assert w3.eth.get_balance(acct.address) > 0 and w3.eth.chain_id == devnet.info["chain_id"]
    assert w3.provider.make_request("eth_blockNumber", [])["result"].startswith("0x")


# --- listening beyond loopback -------------------------------------------------------------------------


def test_non_loopback_host_needs_allow_remote(tmp_path):
    port = free_port()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "og_tui",
            "devnet",
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert "refusing to listen on 0.0.0.0" in out.stderr and "--allow-remote" in out.stderr
    assert not (tmp_path / "data").exists()  # refused before anything was created


def test_allow_remote_says_what_it_exposes(tmp_path):
    proc = DevnetProcess(tmp_path / "data", host="0.0.0.0", extra_args=["--allow-remote"])
    proc.start()
    try:
        log = proc.log_text()
        assert "reachable from other machines" in log
        assert "eth_sendTransaction" in log and "/faucet" in log and "without limit" in log
        local = DevnetProcess(proc.data_dir, port=proc.port)  # the same devnet through its loopback URL
        assert rpc(local, "eth_chainId")["result"] == hex(proc.info["chain_id"])
        assert proc.info["rpc_url"] == f"http://127.0.0.1:{proc.port}/rpc"
        resp = httpx.get(local.url + "/health", headers={"Host": f"evil.example:{proc.port}"})
        assert resp.status_code == 403  # still only the devnet's own names
    finally:
        proc.stop()
