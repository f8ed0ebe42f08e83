"""Paging through a long conversation in a real terminal: og-tui in tmux (120x40) beside ``less``
on the same text. Numbers printed, nothing asserted.

Run: ``python -m bench terminal-scroll [--messages 1000] [--keys 60]``. Needs tmux (skipped,
exit 0, without it).

The chat history gets a conversation of ``--messages`` messages (questions and Markdown
replies, as ``bench chat`` writes them); a devnet runs on a free port (the app connects to it
and does not start its own). The app opens Chat (F5) on that conversation with the prompt
focused, and then:

- PageUp in the prompt, ``--keys`` times, one at a time: from ``tmux send-keys`` until the
  screen has changed (``capture-pane`` polled every millisecond; one capture takes a few ms,
  which is the resolution), p50/p95/max, and the app's CPU per key;
- a burst: 20 PageUps sent back to back (as a held key sends them), then until the screen is
  still: how long, and whether every key counted (the message numbers on screen say how far
  the view moved; 20 pages of this conversation are about 15 messages);
- the app's RSS after paging.

``less`` on the conversation's text (the same questions and replies, one per paragraph) is
the reference: a pager draws one screenful per key. Its PageUp latency is measured the same
way (from its end, ``b``).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench._devnet import start_devnet, stop_devnet
from bench._measure import cpu_seconds, memory_mb, pct
from bench._tmux import Terminal
from bench.chat_bench import REPLY

BURST = 20
NUMBER = re.compile(r"(?:Question|Reply number) (\d+)")


def _numbers(screen: str) -> list[int]:
    return [int(n) for n in NUMBER.findall(screen)]


def _page_keys(term: Terminal, key: str, count: int) -> list[float]:
    """Seconds from each key to the changed screen (one key at a time, the screen still before each)."""
    out = []
    for _ in range(count):
        before = term.screen()
        t = time.perf_counter()
        term.keys(key)
        try:
            term.wait_for(lambda s: s != before, f"the screen after {key}", timeout=5)
        except RuntimeError:
            break  # (the top: nothing moves any more)
        out.append(time.perf_counter() - t)
        time.sleep(0.05)
    return out


def _still(term: Terminal, quiet: float = 0.3, timeout: float = 20) -> tuple[str, float]:
    """The screen once it stopped changing for ``quiet`` seconds, and when it last changed."""
    start = time.perf_counter()
    screen, changed = term.screen(), start
    while time.perf_counter() - changed < quiet and time.perf_counter() - start < timeout:
        time.sleep(0.005)
        now = term.screen()
        if now != screen:
            screen, changed = now, time.perf_counter()
    return screen, changed - start


def _history(tmp: Path, messages: int) -> tuple[dict[str, str], Path]:
    from og_tui.core.chat_store import ChatStore
    from og_tui.core.config import load_settings

    env = {
        "OG_TUI_CONFIG_DIR": str(tmp / "config"),
        "OG_TUI_DATA_DIR": str(tmp / "data"),
        "OG_TUI_PROFILE": "local",
        "OG_TUI_KEYRING": "file",
    }
    settings = load_settings(env=dict(os.environ, **env))
    settings.ensure_dirs()
    store = ChatStore(settings.db_path)
    conv = store.create_conversation("terminal scroll bench", model="og-devnet/mini", mode="TEE", profile="local")
    rows, text = [], []
    for i in range(messages // 2):
        question, reply = f"Question {i}: how does settlement number {i} work?", REPLY.format(i=i)
        rows += [{"role": "user", "content": question}, {"role": "assistant", "content": reply}]
        text += [f"You\n{question}\n", f"og-devnet/mini\n{reply}\n"]
    store.add_messages(conv.id, rows)
    store.close()
    plain = tmp / "conversation.txt"
    plain.write_text("\n".join(text))
    return env, plain


def run_og_tui(tmp: Path, env: dict[str, str], keys: int) -> dict:
    out: dict = {"load": os.getloadavg()[0]}
    devnet, url = start_devnet(tmp / "devnet", log_path=tmp / "devnet.log")
    try:
        env = dict(
            env,
            OG_TUI_DEVNET_PORT=url.rsplit(":", 1)[1],
            PYTHONPATH=os.pathsep.join(
                p for p in (str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")) if p
            ),
        )
        term = Terminal(shlex.join([sys.executable, "-m", "og_tui"]), env, str(tmp))
        try:
            term.wait_for(lambda s: "F5" in s, "the first screen", timeout=60, step=0.01)
            time.sleep(0.5)
            term.keys("F5")
            last = REPLY.format(i=0).split(":")[0]  # ("Reply number 0"): any reply's line shows
            term.wait_for(lambda s: "Reply number" in s or last in s, "the conversation", timeout=60, step=0.01)
            _still(term, quiet=1.0)
            cpu = cpu_seconds(term.pid)
            lat = _page_keys(term, "PPage", keys)
            out["cpu_ms"] = (cpu_seconds(term.pid) - cpu) / max(1, len(lat)) * 1000
            out["lat"] = lat
            _still(term, quiet=1.0)
            top = min(_numbers(term.screen()), default=0)
            t = time.perf_counter()
            for _ in range(BURST):
                term.keys("PPage")
            sent = time.perf_counter() - t
            screen, settled = _still(term)
            out["burst_moved"] = top - min(_numbers(screen), default=top)
            out["burst_s"] = max(0.0, settled - sent)
            out["rss_mb"] = memory_mb(term.pid)["VmRSS"]
        finally:
            term.close()
    finally:
        stop_devnet(devnet)
    return out


def run_less(tmp: Path, plain: Path, keys: int) -> dict:
    out: dict = {"load": os.getloadavg()[0]}
    term = Terminal(shlex.join(["less", "+G", str(plain)]), {"LESS": "", "TERM": "xterm-256color"}, str(tmp))
    try:
        term.wait_for(lambda s: "Reply number" in s, "less", timeout=30, step=0.01)
        _still(term, quiet=0.3)
        cpu = cpu_seconds(term.pid)
        lat = _page_keys(term, "b", keys)
        out["cpu_ms"] = (cpu_seconds(term.pid) - cpu) / max(1, len(lat)) * 1000
        out["lat"] = lat
        out["rss_mb"] = memory_mb(term.pid)["VmRSS"]
    finally:
        term.close()
    return out


def _row(name: str, r: dict) -> str:
    lat = [x * 1000 for x in r["lat"]] or [float("nan")]
    burst = (
        f"; a burst of {BURST} moved {r['burst_moved']} messages in {r['burst_s'] * 1000:.0f} ms"
        if "burst_moved" in r
        else ""
    )
    return (
        f"{name}: {len(r['lat'])} page-ups, p50 {statistics.median(lat):.0f} ms, p95 {pct(lat, 0.95):.0f} ms, "
        f"max {max(lat):.0f} ms, {r['cpu_ms']:.0f} ms CPU each{burst}; RSS {r['rss_mb']:.0f} MB "
        f"(load {r['load']:.1f})"
    )


def main(argv: list | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="bench terminal-scroll", description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--keys", type=int, default=60)
    # (`python -m bench terminal-scroll ...` passes the bench names along in sys.argv)
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if not shutil.which("tmux"):
        print("terminal-scroll: tmux not found, skipped")
        return
    with tempfile.TemporaryDirectory(prefix="og-scroll-bench-") as name:
        tmp = Path(name)
        env, plain = _history(tmp, args.messages)
        print(f"terminal-scroll: a {args.messages}-message conversation, PageUp in a 120x40 tmux terminal")
        print(_row("og-tui (prompt focused)", run_og_tui(tmp, env, args.keys)), flush=True)
        if shutil.which("less"):
            print(_row("less (same text)", run_less(tmp, plain, args.keys)), flush=True)
        else:
            print("less: not found")


if __name__ == "__main__":
    main()
