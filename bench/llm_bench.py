"""LLM gateway benchmarks: x402 overhead per request and streaming throughput.

Run: ``python -m bench.llm_bench``. Starts its own devnet (temp data dir, free port).
Numbers are printed, nothing is asserted.

- x402 overhead: per paid request with max_tokens=1 (generation is ~free), p50 of
  client signing, of the whole paid flow in ``settle`` mode (402 round trip + sign +
  verify + settlement transaction + answer) and in ``settle-batch`` mode (settlement
  off the request path), against an unpaid round trip.
- streaming: 5,000 tokens at 1,000 tokens/s from the gateway through core's ChatStream:
  time to first and last token vs the ideal 5.0 s.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench._devnet import start_devnet, stop_devnet

N_PAID = 40
STREAM_TOKENS = 5000
STREAM_RATE = 1000.0


def _p50(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    import httpx
    from eth_account import Account

    from og_tui.core.llm import DEVNET_MODEL, LLMClient
    from og_tui.core.profiles import builtin_profiles
    from og_tui.core.x402 import sign_payment

    with tempfile.TemporaryDirectory(prefix="og-llm-bench-") as tmp:
        proc, url = start_devnet(
            Path(tmp) / "data", Path(tmp) / "devnet.log", env={"OG_TUI_DEVNET_X402_BATCH_SECONDS": "1"}
        )
        try:
            acct = Account.create()
            httpx.post(url + "/faucet", json={"address": acct.address}, timeout=30)
            prof = builtin_profiles()["local"].replace(rpc_url=url + "/rpc", llm_url=url)
            client = LLMClient(prof, acct)
            msgs = [{"role": "user", "content": "benchmark"}]
            body = {"model": DEVNET_MODEL, "messages": msgs, "max_tokens": 1}
            req = httpx.post(url + "/v1/chat/completions", json=body).json()["accepts"][0]
            sign_t = []
            for _ in range(N_PAID):
                t = time.perf_counter()
                sign_payment(acct, req, prof.chain_id)
                sign_t.append(time.perf_counter() - t)
            unpaid = []
            with httpx.Client() as http:
                for _ in range(N_PAID):
                    t = time.perf_counter()
                    http.post(url + "/v1/chat/completions", json=body)
                    unpaid.append(time.perf_counter() - t)
            client.chat(DEVNET_MODEL, msgs, max_tokens=1, settlement="settle")  # warm-up
            settle_t, batch_t = [], []
            for _ in range(N_PAID):
                t = time.perf_counter()
                client.chat(DEVNET_MODEL, msgs, max_tokens=1, settlement="settle")
                settle_t.append(time.perf_counter() - t)
            for _ in range(N_PAID):
                t = time.perf_counter()
                client.chat(DEVNET_MODEL, msgs, max_tokens=1, settlement="settle-batch")
                batch_t.append(time.perf_counter() - t)
            print(f"x402 sign (client, EIP-712)           p50 {_p50(sign_t):7.2f} ms")
            print(f"unpaid round trip (402 answer)        p50 {_p50(unpaid):7.2f} ms")
            print(
                f"paid request, settle (sign+verify+tx) p50 {_p50(settle_t):7.2f} ms  "
                f"-> x402 overhead ~{_p50(settle_t) - _p50(unpaid):.2f} ms over an unpaid round trip"
            )
            print(
                f"paid request, settle-batch            p50 {_p50(batch_t):7.2f} ms  (settlement off the request path)"
            )

            t0 = time.perf_counter()
            stream = client.chat(
                DEVNET_MODEL,
                msgs,
                max_tokens=STREAM_TOKENS,
                stream=True,
                settlement="settle-batch",
                extra_body={"tokens_per_second": STREAM_RATE, "ignore_eos": True},
            )
            first = last = None
            n = 0
            for chunk in stream:
                if chunk.content:
                    n += 1
                    last = time.perf_counter() - t0
                    if first is None:
                        first = last
            ideal = (STREAM_TOKENS - 1) / STREAM_RATE
            print(
                f"stream {n} tokens at {STREAM_RATE:.0f} tok/s: first token {first * 1000:.1f} ms, last token {last:.3f} s "
                f"(ideal {ideal + first:.3f} s from first token; lag {last - first - ideal:+.3f} s), "
                f"{stream.meta.tokens_per_s:.0f} tok/s measured"
            )
            client.close()
        finally:
            stop_devnet(proc)


if __name__ == "__main__":
    main()
