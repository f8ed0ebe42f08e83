"""The OpenAI-compatible gateway (``og-tui gateway``): what it adds per request and to a stream.

Run: ``python -m bench.gateway_bench``. Starts its own devnet (temp data dir, free port)
and a gateway in this process. Numbers are printed, nothing is asserted.

- overhead: paid chat requests with max_tokens=1 (settle-batch: settlement off the
  request path), p50 and p95, through core's LLMClient straight to the devnet LLM gateway
  and through og-tui gateway with the official openai client (key check, budget check,
  ledger row, the OpenAI answer); the difference is the gateway's overhead.
- streaming: tokens at 1,000 tok/s straight and through the gateway: tokens received
  (none lost) and the lag of the last token.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench._devnet import free_port, start_devnet, stop_devnet
from bench._measure import pct

N = 40
STREAM_TOKENS = 3000
STREAM_RATE = 1000.0


def _pct_ms(values: list[float], q: float) -> float:
    return pct(values, q) * 1000


def _line(label: str, values: list[float]) -> str:
    return f"{label:<44} p50 {_pct_ms(values, 0.5):7.2f} ms   p95 {_pct_ms(values, 0.95):7.2f} ms"


def main() -> None:
    import httpx
    import openai
    from eth_account import Account

    from og_tui.core.llm import DEVNET_MODEL, LLMClient
    from og_tui.core.profiles import builtin_profiles
    from og_tui.core.x402_common import SpendCaps
    from og_tui.serve.runner import GatewayServer, build_gateway

    with tempfile.TemporaryDirectory(prefix="og-gateway-bench-") as tmp:
        proc, url = start_devnet(
            Path(tmp) / "data", Path(tmp) / "devnet.log", env={"OG_TUI_DEVNET_X402_BATCH_SECONDS": "1"}
        )
        server = None
        try:
            acct = Account.create()
            httpx.post(url + "/faucet", json={"address": acct.address}, timeout=30)
            prof = builtin_profiles()["local"].replace(rpc_url=url + "/rpc", llm_url=url)
            direct = LLMClient(prof, acct)
            gw = build_gateway(prof, acct, Path(tmp) / "og-tui.db", caps=SpendCaps(), settlement="settle-batch")
            server = GatewayServer(gw, "127.0.0.1", free_port()).start()
            _, secret = gw.book.create("bench", per_day=10**9)
            client = openai.OpenAI(base_url=server.url, api_key=secret, max_retries=0)
            msgs = [{"role": "user", "content": "benchmark"}]

            direct.chat(DEVNET_MODEL, msgs, max_tokens=1, settlement="settle-batch")  # warm-up
            client.chat.completions.create(model=DEVNET_MODEL, messages=msgs, max_tokens=1)
            straight, through = [], []
            for _ in range(N):
                t = time.perf_counter()
                direct.chat(DEVNET_MODEL, msgs, max_tokens=1, settlement="settle-batch")
                straight.append(time.perf_counter() - t)
                t = time.perf_counter()
                client.chat.completions.create(model=DEVNET_MODEL, messages=msgs, max_tokens=1)
                through.append(time.perf_counter() - t)
            print(_line("paid chat, LLMClient -> devnet LLM gateway", straight))
            print(_line("paid chat, openai -> og-tui gateway -> devnet", through))
            print(
                f"gateway overhead per request: p50 {_pct_ms(through, 0.5) - _pct_ms(straight, 0.5):+.2f} ms, "
                f"p95 {_pct_ms(through, 0.95) - _pct_ms(straight, 0.95):+.2f} ms"
            )

            pace = {"tokens_per_second": STREAM_RATE, "ignore_eos": True}
            t0 = time.perf_counter()
            s = direct.chat(
                DEVNET_MODEL, msgs, max_tokens=STREAM_TOKENS, stream=True, settlement="settle-batch", extra_body=pace
            )
            n_direct, first_d, last_d = 0, None, 0.0
            for chunk in s:
                if chunk.content:
                    n_direct += 1
                    last_d = time.perf_counter() - t0
                    first_d = last_d if first_d is None else first_d
            t0 = time.perf_counter()
            n_gw, first_g, last_g, text = 0, None, 0.0, []
            for chunk in client.chat.completions.create(
                model=DEVNET_MODEL, messages=msgs, max_tokens=STREAM_TOKENS, stream=True, extra_body=pace
            ):
                if chunk.choices and chunk.choices[0].delta.content:
                    n_gw += 1
                    text.append(chunk.choices[0].delta.content)
                    last_g = time.perf_counter() - t0
                    first_g = last_g if first_g is None else first_g
            ideal = (STREAM_TOKENS - 1) / STREAM_RATE
            print(
                f"stream {STREAM_TOKENS} tokens at {STREAM_RATE:.0f} tok/s straight: {n_direct} received, first "
                f"{(first_d or 0) * 1000:.1f} ms, last {last_d:.3f} s (ideal {ideal:.3f} s after the first)"
            )
            print(
                f"stream {STREAM_TOKENS} tokens at {STREAM_RATE:.0f} tok/s via gateway: {n_gw} received "
                f"({n_direct - n_gw} lost), first {(first_g or 0) * 1000:.1f} ms, last {last_g:.3f} s; "
                f"added lag at the last token {(last_g - last_d) * 1000:+.1f} ms"
            )
            direct.close()
        finally:
            if server is not None:
                server.stop()
            stop_devnet(proc)


if __name__ == "__main__":
    main()
