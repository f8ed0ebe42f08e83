"""`make bench`: run every benchmark and print its numbers (nothing is asserted)."""

from __future__ import annotations

import importlib
import sys
import traceback

BENCHES = [
    "bench.startup_bench",
    "bench.devnet_bench",
    "bench.transfer_bench",
    "bench.codec_bench",
    "bench.hub_bench",
    "bench.inference_bench",
    "bench.llm_bench",
    "bench.gateway_bench",
    "bench.agent_bench",
    "bench.workflow_bench",
    "bench.chat_bench",
    "bench.load_bench",
    "bench.liveness_bench",
    "bench.terminal_chat_bench",  # `terminal-chat`
    "bench.terminal_scroll_bench",  # `terminal-scroll`
    "bench.keys_bench",  # `keys`
]


def main(argv: list[str]) -> int:
    wanted = [a for a in argv if not a.startswith("-")]
    failed = 0
    for name in BENCHES:
        short = name.split(".")[-1].removesuffix("_bench").replace("_", "-")
        if wanted and short not in wanted:
            continue
        print(f"== {short}", flush=True)
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            print(f"{short}: not available")
            continue
        try:
            module.main()
        except Exception:  # noqa: BLE001 - report and go on with the others
            failed += 1
            traceback.print_exc()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
