"""Agent benchmark: one agent round trip on devnet, and where its time goes.

Run: ``python -m bench.agent_bench``. Starts its own devnet (temp data dir, free port).
Numbers are printed, nothing is asserted.

A round trip is :func:`og_tui.core.agent.run_agent` with one model tool (the
``linear-regression`` sample): LLM call 1 (the builtin model answers with a tool call)
-> the inference transaction -> LLM call 2 (the final answer quoting the output).
Measured for the VANILLA path (both LLM calls are ``runLLMChat`` transactions, as in the
reference adapters) and for TEE (HTTP paid with x402, ``settle-batch``). Printed: p50
of the whole round trip and of each step over N_RUNS runs (after warm-up), and each
step's share of the total (sum of step times / sum of totals; "loop" is what remains:
schema checks, message building, events).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench._devnet import start_devnet, stop_devnet

N_RUNS = 20
WARMUP = 2
QUESTION = [{"role": "user", "content": "Run the regression model and tell me its output."}]


def _ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _measure(llm, tools, mode: str) -> dict:
    from og_tui.core.agent import run_agent
    from og_tui.core.llm import DEVNET_MODEL

    steps = {"llm_call_1": [], "inference_tx": [], "llm_call_2": [], "loop": []}
    totals = []
    for i in range(WARMUP + N_RUNS):
        t0 = time.perf_counter()
        result = run_agent(llm, DEVNET_MODEL, QUESTION, tools, mode=mode, max_tokens=100)
        total = time.perf_counter() - t0
        if not result.finished or len(result.tx_hashes) != 1:
            raise RuntimeError(f"agent run did not complete as expected: {result.stopped} {result.error}")
        if i < WARMUP:
            continue
        replies = result.events("llm_reply")
        llm1, llm2 = replies[0].data["elapsed_s"], replies[1].data["elapsed_s"]
        tx = result.events("tool_result")[0].data["elapsed_s"]
        steps["llm_call_1"].append(llm1)
        steps["inference_tx"].append(tx)
        steps["llm_call_2"].append(llm2)
        steps["loop"].append(max(0.0, total - llm1 - llm2 - tx))
        totals.append(total)
    return {"totals": totals, "steps": steps}


def _report(label: str, data: dict) -> None:
    totals, steps = data["totals"], data["steps"]
    whole = sum(totals)
    print(
        f"agent round trip ({label}), {len(totals)} runs: p50 {_ms(totals):.1f} ms, "
        f"min {min(totals) * 1000:.1f} ms, max {max(totals) * 1000:.1f} ms"
    )
    for name, values in steps.items():
        print(f"  {name:<13} p50 {_ms(values):7.1f} ms   share {100 * sum(values) / whole:5.1f} %")


def main() -> None:
    import httpx
    from eth_account import Account

    from og_tui.core.agent import AgentTools
    from og_tui.core.chain import ChainClient
    from og_tui.core.cid import cid_for_bytes
    from og_tui.core.hub import HubClient
    from og_tui.core.llm import LLMClient
    from og_tui.core.profiles import builtin_profiles
    from og_tui.devnet.hub.samples import build_samples

    with tempfile.TemporaryDirectory(prefix="og-agent-bench-") as tmp:
        proc, url = start_devnet(Path(tmp) / "data", Path(tmp) / "devnet.log")
        try:
            info = httpx.get(url + "/devnet/info", timeout=10).json()
            prof = builtin_profiles()["local"].replace(
                rpc_url=url + "/rpc",
                api_url=url,
                hub_url=url + "/api/v0",
                auth_url=url + "/auth",
                llm_url=url,
                inference_contract=info["contracts"]["inference_hub"],
            )
            acct = Account.create()
            httpx.post(url + "/faucet", json={"address": acct.address}, timeout=30)
            chain = ChainClient(prof.rpc_url, timeout=60.0)
            hub = HubClient(prof.hub_url, prof.auth_url)
            cid = next(cid_for_bytes(s.data) for s in build_samples() if s.name == "linear-regression")
            tools = AgentTools(chain, acct, profile=prof, hub=hub)
            tools.add_model(cid, title="linear-regression")
            llm = LLMClient(prof, acct, chain=chain)
            try:
                _report("VANILLA: on-chain LLM calls", _measure(llm, tools, "VANILLA"))
                _report("TEE: x402-paid LLM calls", _measure(llm, tools, "TEE"))
            finally:
                llm.close()
                hub.close()
                chain.close()
        finally:
            stop_devnet(proc)


if __name__ == "__main__":
    main()
