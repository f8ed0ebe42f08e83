"""`og-tui mcp` end to end: the official `mcp` SDK client drives the server as a subprocess
(`python -m og_tui mcp`, the worktree first on PYTHONPATH) over stdio and over streamable
HTTP, against one real devnet; a funded wallet imported with the CLI pays for everything.

Checked: the tools listed (a model's input schema follows its ONNX signature); a model tool
run on chain (the receipt mined, the result as structured content, the transaction and the
run in the history); workflows listed and read; a chat paid with x402 and settled on chain;
a chat over the spend cap refused with nothing signed (no payment, OUSDC unchanged); HTTP
without a key or with a wrong or revoked one refused; a call that needs a confirmation
waits, then goes ahead when approved with the CLI, and is refused (nothing sent) when
denied."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import anyio
import httpx
import pytest

from .helpers import ROOT, cli_with_wallet, free_port

mcp = pytest.importorskip("mcp")

from mcp import Client, StdioServerParameters  # noqa: E402

pytestmark = pytest.mark.e2e

CONFIG = """
llm_cap_per_request = "0.0001"

[mcp]
models = ["linear-regression", "weighted-sum@0.01", "no-such-model"]
workflows = ["public"]
chat_models = ["og-devnet/mini"]
chat_max_tokens = 512
confirm = ["weighted-sum"]
approval_timeout = 60
settlement = "settle"

[mcp.servers.strict]
models = []
workflows = []
confirm = ["chat"]
approval_timeout = 1

[mcp.servers.thrifty]
models = ["linear-regression"]
confirm = ["models"]
max_gas_fee = "0.00001"
"""


@pytest.fixture(scope="module")
def cli(devnet, tmp_path_factory):
    return cli_with_wallet(devnet, tmp_path_factory.mktemp("mcpcli"), "mcp", CONFIG)


@pytest.fixture(scope="module")
def chain(devnet):
    from og_tui.core.chain import ChainClient

    c = ChainClient(devnet.rpc_url)
    yield c
    c.close()


def _history(cli):
    from og_tui.core.store import Store

    return Store(cli.data_dir / "og-tui.db")


def _ousdc(chain, address):
    from og_tui.core.profiles import builtin_profiles

    return chain.token_balance(builtin_profiles()["local"].payment_token, address)


def _stdio(cli, *extra: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "og_tui", "--profile", "local", "mcp", *extra], env=cli.env, cwd=str(ROOT)
    )


def _run(coro_fn, *args):
    return anyio.run(coro_fn, *args)


def _text(result) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


# --- stdio --------------------------------------------------------------------------------------


def test_stdio_tools_model_run_workflows_and_the_cap(cli, chain, devnet):
    async def session():
        out = {}
        async with Client(_stdio(cli)) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            out["tools"] = tools
            out["models"] = (await client.call_tool("list_models", {})).structured_content
            out["run"] = await client.call_tool(
                "run_linear_regression", {"input": [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]]}
            )
            out["bad"] = await client.call_tool("run_linear_regression", {"input": [[1, 2, 3]]})
            out["workflows"] = (await client.call_tool("list_workflows", {})).structured_content
            deadline = time.monotonic() + 60  # the devnet runs the seeded workflows once it is up
            while True:
                read = await client.call_tool(
                    "read_workflow", {"workflow": "read_btc_1_hour_price_forecast", "history": 2}
                )
                if read.is_error or "forecast" in read.structured_content["latest"] or time.monotonic() > deadline:
                    break
                await anyio.sleep(0.5)
            out["read"] = read
            out["not_exposed"] = await client.call_tool("read_workflow", {"workflow": "0x" + "12" * 20})
            out["over_cap"] = await client.call_tool("chat", {"prompt": "hello", "max_tokens": 500})
        return out

    with _history(cli) as store:
        payments_before = len(store.list_payments(limit=1000))
    ousdc_before = _ousdc(chain, cli.address)
    out = _run(session)

    tools = out["tools"]
    assert {
        "list_models",
        "run_linear_regression",
        "run_weighted_sum",
        "list_workflows",
        "read_workflow",
        "chat",
    } <= set(tools)
    schema = tools["run_linear_regression"].input_schema  # the ONNX input: float32 [1, 3, 4]
    x = schema["properties"]["input"]
    assert schema["required"] == ["input"]
    assert (x["minItems"], x["items"]["minItems"], x["items"]["items"]["maxItems"]) == (1, 3, 4)
    assert x["items"]["items"]["items"]["type"] == "number"
    assert set(tools["run_weighted_sum"].input_schema["properties"]) == {"a", "b"}
    assert "approval" in tools["run_weighted_sum"].description
    names = {m["name"]: m for m in out["models"]["models"]}
    assert names["weighted-sum"]["version"] == "0.01" and names["linear-regression"]["cid"]
    assert "no-such-model" in (names["no-such-model"]["error"] or "") and "run_no_such_model" not in tools

    run = out["run"]
    assert not run.is_error, _text(run)
    data = run.structured_content
    assert data["outputs"]["output"]["shape"] == [1, 1] and isinstance(data["outputs"]["output"]["values"][0][0], float)
    receipt = chain.wait_receipt(data["transaction_hash"], timeout=30)
    status = receipt["status"]
    assert (int(status, 16) if isinstance(status, str) else int(status)) == 1
    assert receipt["from"].lower() == cli.address.lower()
    assert json.loads(_text(run))["transaction_hash"] == data["transaction_hash"]
    with _history(cli) as store:
        tx = store.get_tx(data["transaction_hash"])
        assert tx is not None and tx.kind == "inference" and tx.status == "confirmed"
        runs = store.list_runs(limit=10)
        assert any(r.tx_hash and r.tx_hash.lower() == data["transaction_hash"].lower() for r in runs)

    assert out["bad"].is_error and "shape" in _text(out["bad"])  # refused before anything was sent

    addresses = {w["name"]: w["address"] for w in out["workflows"]["workflows"]}
    assert len(addresses) == 7 and "read_btc_1_hour_price_forecast" in addresses
    read = out["read"]
    assert not read.is_error, _text(read)
    assert read.structured_content["address"].lower() == addresses["read_btc_1_hour_price_forecast"].lower()
    assert "regression_output" in read.structured_content["latest"]["output"]["numbers"]
    assert read.structured_content["latest"]["forecast"].endswith("%")
    assert 1 <= len(read.structured_content["history"]) <= 2
    assert out["not_exposed"].is_error and "list_workflows" in _text(out["not_exposed"])

    over = out["over_cap"]
    assert over.is_error and "Spend cap reached" in _text(over) and "Nothing was signed" in _text(over)
    with _history(cli) as store:
        assert len(store.list_payments(limit=1000)) == payments_before
    assert _ousdc(chain, cli.address) == ousdc_before


def test_stdio_named_server_and_an_unanswered_approval(cli, chain):
    async def session():
        async with Client(_stdio(cli, "--server", "strict")) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            return tools, await client.call_tool("chat", {"prompt": "hello", "max_tokens": 8})

    before = _ousdc(chain, cli.address)
    tools, result = _run(session)
    assert set(tools) == {"list_models", "chat"} and "approval" in tools["chat"].description
    assert result.is_error and "No approval within 1 s" in _text(result) and "nothing was signed" in _text(result)
    assert _ousdc(chain, cli.address) == before
    rows = json.loads(cli("mcp", "approvals", "list", "--all", "--json").stdout)
    assert rows[0]["tool"] == "chat" and rows[0]["status"] == "expired" and rows[0]["server"] == "strict"
    assert "up to 0.000008 OUSDC" in rows[0]["spend"]  # og-devnet/mini: 1 unit per token of max_tokens


def test_stdio_model_run_over_the_gas_cap_is_refused_unsigned(cli, chain):
    """A server's max_gas_fee bounds one model run: over it, the call is refused before anyone
    is asked to approve it and before anything is signed (the wallet's nonce does not move)."""

    async def session():
        async with Client(_stdio(cli, "--server", "thrifty")) as client:
            tool = next(t for t in (await client.list_tools()).tools if t.name.startswith("run_"))
            return tool.name, await client.call_tool(tool.name, {"input": [[[1.0] * 4] * 3]})

    nonce = chain.nonce(cli.address)
    name, result = _run(session)
    assert name == "run_linear_regression"
    text = _text(result)
    assert result.is_error and "over this server's cap of 0.00001 OG" in text and "nothing was signed" in text
    assert "max_gas_fee" in text
    assert chain.nonce(cli.address) == nonce
    rows = json.loads(cli("mcp", "approvals", "list", "--all", "--json").stdout)
    assert not any(r["server"] == "thrifty" for r in rows)  # nobody was asked


# --- streamable HTTP ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http_server(cli):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "og_tui", "--profile", "local", "mcp", "--transport", "http", "--port", str(port)],
        env=cli.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, proc.communicate()
        try:
            httpx.post(url, json={}, timeout=1)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the MCP server did not start"
            time.sleep(0.05)
    yield url
    proc.terminate()
    _, stderr = proc.communicate(timeout=30)
    assert "Traceback" not in stderr


def _http(url: str, secret: str):
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    return Client(
        streamable_http_client(url, http_client=create_mcp_http_client(headers={"Authorization": f"Bearer {secret}"}))
    )


def test_http_needs_a_live_key(cli, http_server):
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    headers = {"Accept": "application/json, text/event-stream"}
    missing = httpx.post(http_server, json=init, headers=headers, timeout=10)
    assert missing.status_code == 401 and "og-tui mcp keys new" in missing.json()["error"]["message"]
    wrong = httpx.post(http_server, json=init, headers={**headers, "Authorization": "Bearer ogm_wrong"}, timeout=10)
    assert wrong.status_code == 401 and "did not issue" in wrong.json()["error"]["message"]

    made = json.loads(cli("mcp", "keys", "new", "revoked-one", "--json").stdout)
    cli("mcp", "keys", "revoke", str(made["id"]))
    revoked = httpx.post(
        http_server, json=init, headers={**headers, "Authorization": f"Bearer {made['key']}"}, timeout=10
    )
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]

    async def with_wrong_key():
        async with _http(http_server, "ogm_wrong") as client:
            await client.list_tools()

    from mcp import MCPError

    with pytest.raises(ExceptionGroup) as refused:  # the SDK client cannot even start a session
        _run(with_wrong_key)
    assert refused.group_contains(MCPError)
    listed = cli("mcp", "keys", "list").stdout
    assert "revoked-one" in listed and made["key"] not in listed


def test_http_chat_is_paid_and_settled(cli, http_server, chain):
    secret = json.loads(cli("mcp", "keys", "new", "agent", "--json").stdout)["key"]
    before = _ousdc(chain, cli.address)

    async def session():
        async with _http(http_server, secret) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            return names, await client.call_tool("chat", {"prompt": "Say hi", "max_tokens": 16})

    names, result = _run(session)
    assert "chat" in names and "run_linear_regression" in names
    assert not result.is_error, _text(result)
    data = result.structured_content
    assert data["content"] and data["cost"] == "16" and data["settlement_status"] == "settled"
    receipt = chain.wait_receipt(data["settlement_tx"], timeout=30)
    assert (int(receipt["status"], 16) if isinstance(receipt["status"], str) else receipt["status"]) == 1
    assert _ousdc(chain, cli.address) == before - 16
    with _history(cli) as store:
        rows = store.payments_by_processing_hash(data["payment_hash"])
        assert len(rows) == 1 and rows[0].status == "settled"


def _wait_pending(cli, tool: str, seen: set[int]) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for row in json.loads(cli("mcp", "approvals", "list", "--json").stdout):
            if row["tool"] == tool and row["id"] not in seen:
                return row
        time.sleep(0.2)
    raise AssertionError(f"no approval request for {tool} appeared")


def test_http_confirmation_waits_for_the_cli(cli, http_server, chain):
    secret = json.loads(cli("mcp", "keys", "new", "approver", "--json").stdout)["key"]
    args = {"a": [[1.0, 2.0, 3.0, 4.0]], "b": [[0.5, 0.5, 0.5, 0.5]]}
    seen: set[int] = set()
    decisions = {}

    async def session():
        results = {}
        async with _http(http_server, secret) as client:
            for verdict in ("approve", "deny"):

                async def decide(verdict=verdict):
                    row = await anyio.to_thread.run_sync(_wait_pending, cli, "run_weighted_sum", seen)
                    seen.add(row["id"])
                    decisions[verdict] = row
                    await anyio.to_thread.run_sync(cli, "mcp", "approvals", verdict, str(row["id"]))

                async with anyio.create_task_group() as tg:
                    tg.start_soon(decide)
                    results[verdict] = await client.call_tool("run_weighted_sum", args)
        return results

    with _history(cli) as store:
        txs_before = store.count_txs()
    results = _run(session)

    pending = decisions["approve"]
    assert "gas" in pending["spend"] and json.loads(pending["arguments"]) == args
    approved = results["approve"]
    assert not approved.is_error, _text(approved)
    assert approved.structured_content["outputs"]["total"]["values"] == [[22.0]]  # 2*(1+2+3+4) + 4*0.5
    receipt = chain.wait_receipt(approved.structured_content["transaction_hash"], timeout=30)
    assert (int(receipt["status"], 16) if isinstance(receipt["status"], str) else receipt["status"]) == 1

    denied = results["deny"]
    assert denied.is_error and "denied" in _text(denied) and "nothing was signed" in _text(denied)
    with _history(cli) as store:
        assert store.count_txs() == txs_before + 1  # the approved run only
    shown = json.loads(cli("mcp", "approvals", "list", "--all", "--json").stdout)
    by_id = {row["id"]: row for row in shown}
    assert by_id[decisions["approve"]["id"]]["status"] == "approved"
    assert by_id[decisions["deny"]["id"]]["status"] == "denied"
    again = cli("mcp", "approvals", "approve", str(decisions["deny"]["id"]), ok=False)
    assert again.returncode == 2 and "denied already" in again.stderr
