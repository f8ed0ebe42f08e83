"""Chat in a real terminal: og-tui in tmux (120x40) while a reply streams. Numbers printed, nothing asserted.

Run: ``python -m bench terminal-chat [--tokens 5000] [--rate 1000,200] [--keys 60]
[--scrypt-n 1024] [--other-cmd 'CMD']``. Needs tmux (skipped, exit 0, without it).

Per rate it starts, each in a temp dir and on a free port:

- a fake OpenAI-compatible upstream (a stdlib HTTP server in this process) that streams
  ``--tokens`` tokens at ``--rate`` tokens/s for every chat completion, the last one a marker;
- a devnet whose LLM gateway routes the model ``bench/stream`` to that upstream
  (``OG_TUI_DEVNET_LLM_UPSTREAM``), and a wallet (file keystore) funded by its faucet;
- the app in a detached tmux session on its own tmux socket, with a conversation whose
  model and max tokens are already set. The bench opens Chat (F5), types the prompt, sends it,
  types the wallet passphrase into the unlock dialog, then, while the reply streams, types
  probe keys into the prompt.

Measured:

- keystroke latency: from ``tmux send-keys`` until the typed character shows in
  ``tmux capture-pane -p`` (polled every millisecond; one capture takes a few ms, which is
  the resolution), p50/p95/max over the probes typed while the upstream was streaming
  (spread evenly over the stream, at least 30 ms apart);
- last frame: from the upstream writing its last token until the reply's final text is on screen;
- the app's CPU seconds (``/proc/PID/stat`` utime+stime) from the first token to the last
  frame, and the devnet's over the same window;
- RSS of the app: peak before the wallet was unlocked, peak after it (``VmHWM``: unlocking a
  keystore runs scrypt, which at geth's parameters takes 256 MiB while it runs; pass
  ``--scrypt-n 262144`` to see it), and steady (``VmRSS`` one second after the reply ended);
- the 1-minute load average when the run started.

``--quiet-devnet`` schedules the devnet's seeded workflows once a day instead of every 30 s:
their keeper runs (EVM transactions, ONNX inference) are the devnet's own work, not the
stream's, and they land in the measured window or not by chance.

``--floor`` adds a plain print client (stdlib, straight from the upstream; the terminal itself
echoes the keys): the least the bench can measure. For these other programs the bench reads
the tmux scrollback too (``capture-pane -S -``), so that text scrolled away still counts.
``--other-cmd`` runs the same stream and probes against another chat TUI talking straight
to the upstream: ``{base_url}`` (``http://127.0.0.1:PORT/v1``) and ``{model}`` in the
command are replaced, and ``OPENAI_BASE_URL``/``OPENAI_API_KEY`` are set. The bench waits
for its screen to settle, types the prompt and enter, then probes as above.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench._devnet import start_devnet, stop_devnet
from bench._measure import cpu_seconds, memory_mb, pct
from bench._tmux import SIZE, Terminal
from bench._upstream import END, MODEL, Upstream

KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
PASSPHRASE = "bench passphrase 1"
PROMPT = "Write a very long answer about the devnet"
PROBE = "Z"  # typed into the prompt; neither the reply nor hashes and amounts contain it
# --floor: a plain print client (the terminal echoes the keys itself): what the bench can see at best
PRINT_CLIENT = """
import json, sys, urllib.request
prompt = input("> ")
body = {"model": sys.argv[2], "stream": True, "messages": [{"role": "user", "content": prompt}]}
req = urllib.request.Request(sys.argv[1] + "/chat/completions", data=json.dumps(body).encode(),
                             headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req) as resp:
    for line in resp:
        if line.startswith(b"data: {"):
            text = json.loads(line[6:])["choices"][0]["delta"].get("content")
            if text:
                sys.stdout.write(text)
                sys.stdout.flush()
print()
input()
"""


# --- one run ----------------------------------------------------------------------------------
def _probe(term: Terminal, upstream: Upstream, keys: int) -> list[float]:
    """Type PROBE keys while the upstream streams; seconds until each shows on screen."""
    lat: list[float] = []
    captures = []
    for _ in range(10):  # what one look at the screen costs while the reply streams: the resolution
        t0 = time.perf_counter()
        term.screen()
        captures.append(time.perf_counter() - t0)
    term.capture_ms = statistics.median(captures) * 1000
    term.probes_before = term.screen().count(PROBE)
    # spread over the whole stream: the reply grows, and so may the cost of a key
    start, spacing = time.perf_counter(), max(0.03, upstream.tokens / upstream.rate / keys)
    while upstream.last is None and len(lat) < keys:
        time.sleep(max(0.0, start + len(lat) * spacing - time.perf_counter()))
        before = term.screen().count(PROBE)
        t0 = time.perf_counter()
        term.keys(PROBE, literal=True)
        term.wait_for(lambda s, before=before: s.count(PROBE) > before, "a typed probe key", timeout=30)
        lat.append(time.perf_counter() - t0)
    return lat


def _finish(term: Terminal, upstream: Upstream, lat: list[float], result: dict, devnet_pid: int | None) -> dict:
    term.wait_for(lambda s: upstream.last is not None, "the end of the upstream stream", timeout=600, step=0.01)
    screen = term.wait_for(lambda s: END in s, "the reply's final text", timeout=120)
    t_frame = time.perf_counter()
    result["_screen"] = screen
    cpu_end = cpu_seconds(term.pid)
    devnet_end = cpu_seconds(devnet_pid) if devnet_pid else None
    time.sleep(1.0)
    mem = memory_mb(term.pid)
    result.update(
        stream_s=upstream.last - upstream.first,
        last_frame_s=t_frame - upstream.last,
        keys=len(lat),
        key_p50_ms=statistics.median(lat) * 1000 if lat else None,
        key_p95_ms=pct(lat, 0.95) * 1000 if lat else None,
        key_max_ms=max(lat) * 1000 if lat else None,
        app_cpu_s=cpu_end - result.pop("_cpu0"),
        peak_mb=mem["VmHWM"],
        steady_mb=mem["VmRSS"],
        capture_ms=term.capture_ms,
    )
    shown = screen.count(PROBE) - term.probes_before
    if shown != len(lat):  # something else on screen gained or lost the probe character
        result["warning"] = (
            f"{len(lat)} probe keys typed but {shown} more {PROBE!r} on screen at the end "
            "(scrolled away, or shown elsewhere too)"
        )
    if devnet_end is not None:
        result["devnet_cpu_s"] = devnet_end - result.pop("_devnet_cpu0")
    return result


def _await_stream(term: Terminal, upstream: Upstream) -> None:
    term.wait_for(lambda s: upstream.first is not None, "the first streamed token", timeout=60, step=0.002)


@contextmanager
def _terminal(
    command: str, env: dict[str, str], cwd: str, log: Callable[[str], None], history: bool = False
) -> Iterator[Terminal]:
    """A run's Terminal: when the run fails, its last screen goes to ``log``; closed at the end either way."""
    term = Terminal(command, env, cwd, history=history)
    try:
        yield term
    except Exception:
        try:
            log("last screen:\n" + term.screen())
        except RuntimeError:
            pass
        raise
    finally:
        term.close()


def run_og_tui(
    tokens: int, rate: float, keys: int, scrypt_n: int, tmp: Path, log: Callable[[str], None], quiet: bool = False
) -> dict:
    from og_tui.core.chat_store import ChatStore
    from og_tui.core.config import load_settings
    from og_tui.core.devnet_client import DevnetClient
    from og_tui.core.secrets import WalletStore

    result: dict = {"load": os.getloadavg()[0]}
    upstream = Upstream(tokens, rate)
    devnet = None
    try:
        devnet, url = start_devnet(
            tmp / "devnet",
            log_path=tmp / "devnet.log",
            env={
                "OG_TUI_DEVNET_LLM_UPSTREAM": f"{MODEL}={upstream.url}/v1#{MODEL}",
                **({"OG_TUI_DEVNET_SEED_FREQUENCY": "86400"} if quiet else {}),
            },
        )
        port = url.rsplit(":", 1)[1]
        env = {
            "OG_TUI_CONFIG_DIR": str(tmp / "config"),
            "OG_TUI_DATA_DIR": str(tmp / "data"),
            "OG_TUI_PROFILE": "local",
            "OG_TUI_DEVNET_PORT": port,
            "OG_TUI_KEYRING": "file",
            "OG_TUI_SCRYPT_N": str(scrypt_n),
            "OG_TUI_LLM_CAP_PER_REQUEST": "100",
            "OG_TUI_LLM_CAP_PER_RUN": "1000",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
        settings = load_settings(env=dict(os.environ, **env))
        settings.ensure_dirs()
        wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=scrypt_n)
        info = wallets.import_key("bench", KEY, PASSPHRASE)
        wallets.set_active(info.address)
        DevnetClient(url).fund(info.address)
        store = ChatStore(settings.db_path)
        store.create_conversation(
            "terminal bench",
            model=MODEL,
            mode="TEE",
            profile="local",
            params={
                "temperature": "0",
                "max_tokens": str(tokens),
                "stop": "",
                "settlement": "settle-batch",
                "cap": "100",
                "completion": False,
            },
        )
        store.close()

        with _terminal(shlex.join([sys.executable, "-m", "og_tui"]), env, str(tmp), log) as term:
            term.wait_for(lambda s: "F5" in s or "Chat" in s, "the first screen", timeout=60, step=0.01)
            time.sleep(0.5)
            term.keys("F5")
            term.wait_for(lambda s: MODEL in s, f"the Chat screen with model {MODEL}", timeout=60, step=0.01)
            time.sleep(0.5)
            term.keys(PROMPT, literal=True)
            term.wait_for(lambda s: PROMPT in s, "the typed prompt", timeout=30)
            result["peak_before_unlock_mb"] = memory_mb(term.pid)["VmHWM"]
            term.keys("Enter")
            term.wait_for(lambda s: "assphrase" in s, "the unlock dialog", timeout=30)
            term.keys(PASSPHRASE, literal=True)
            term.keys("Enter")
            _await_stream(term, upstream)
            result["_cpu0"] = cpu_seconds(term.pid)
            result["_devnet_cpu0"] = cpu_seconds(devnet.pid)
            lat = _probe(term, upstream, keys)
            return _finish(term, upstream, lat, result, devnet.pid)
    finally:
        if devnet is not None:
            stop_devnet(devnet)
        upstream.close()


def run_other(command: str, tokens: int, rate: float, keys: int, tmp: Path, log: Callable[[str], None]) -> dict:
    result: dict = {"load": os.getloadavg()[0]}
    upstream = Upstream(tokens, rate)
    try:
        base = upstream.url + "/v1"
        line = command.replace("{base_url}", base).replace("{model}", MODEL)
        env = {"OPENAI_BASE_URL": base, "OPENAI_API_BASE": base, "OPENAI_API_KEY": "bench"}
        with _terminal(line, env, str(tmp), log, history=True) as term:
            # its first screen: some text that stays the same for a second
            previous, stable_since, deadline = "", time.perf_counter(), time.perf_counter() + 60
            while time.perf_counter() < deadline:
                screen = term.screen()
                if screen != previous:
                    previous, stable_since = screen, time.perf_counter()
                elif screen.strip() and time.perf_counter() - stable_since > 1.0:
                    break
                time.sleep(0.05)
            term.keys(PROMPT, literal=True)
            time.sleep(0.3)
            term.keys("Enter")
            _await_stream(term, upstream)
            result["_cpu0"] = cpu_seconds(term.pid)
            lat = _probe(term, upstream, keys)
            return _finish(term, upstream, lat, result, None)
    finally:
        upstream.close()


# --- the table --------------------------------------------------------------------------------
ROWS = [
    ("time to last frame after the last token", "last_frame_s", "{:.3f} s"),
    ("keystroke latency p50 while streaming", "key_p50_ms", "{:.0f} ms"),
    ("keystroke latency p95 while streaming", "key_p95_ms", "{:.0f} ms"),
    ("keystroke latency max", "key_max_ms", "{:.0f} ms"),
    ("probes typed", "keys", "{}"),
    ("stream length (upstream first to last token)", "stream_s", "{:.2f} s"),
    ("app CPU, first token to last frame", "app_cpu_s", "{:.2f} CPU-s"),
    ("devnet CPU, same window", "devnet_cpu_s", "{:.2f} CPU-s"),
    ("app RSS peak before unlocking the wallet", "peak_before_unlock_mb", "{:.0f} MB"),
    ("app RSS peak (VmHWM, incl. unlock)", "peak_mb", "{:.0f} MB"),
    ("app RSS steady (VmRSS after the reply)", "steady_mb", "{:.0f} MB"),
    ("one capture-pane while streaming (resolution)", "capture_ms", "{:.1f} ms"),
    ("load average (1 min) at start", "load", "{:.2f}"),
]


def print_table(columns: list[tuple[str, dict]]) -> None:
    width = max(len(r[0]) for r in ROWS)
    heads = [name for name, _ in columns]
    colw = max(16, *(len(h) for h in heads))
    print(f"{'measure':<{width}}  " + "  ".join(f"{h:>{colw}}" for h in heads))
    for label, key, fmt in ROWS:
        cells = []
        for _, res in columns:
            value = res.get(key)
            cells.append(fmt.format(value) if value is not None else ("error" if "error" in res else "—"))
        print(f"{label:<{width}}  " + "  ".join(f"{c:>{colw}}" for c in cells))
    for name, res in columns:
        for key in ("error", "warning"):
            if key in res:
                print(f"{name}: {key}: {res[key]}")


def main(argv: list | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=5000, help="tokens per reply (default 5000)")
    parser.add_argument("--rate", default="1000,200", help="tokens/s, comma separated (default 1000,200)")
    parser.add_argument("--keys", type=int, default=60, help="probe keys per run at most (default 60)")
    parser.add_argument(
        "--scrypt-n", type=int, default=1024, help="scrypt N of the wallet's keystore (default 1024; geth's is 262144)"
    )
    parser.add_argument("--other-cmd", default=None, help="another chat TUI's command line ({base_url}, {model})")
    parser.add_argument("--other-name", default=None, help="its name in the table (default: the command's first word)")
    parser.add_argument(
        "--quiet-devnet",
        action="store_true",
        help="the devnet's seeded workflows run once a day, not every 30 s (leaves its own work out)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also run a plain print client (the terminal echoes the keys): the bench's floor",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print the last screen when a run fails")
    # `python -m bench terminal-chat ...` passes the bench names along in sys.argv: ignore them
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if shutil.which("tmux") is None:
        print("terminal-chat: skipped (tmux is not installed)")
        return
    try:
        rates = [float(r) for r in args.rate.split(",") if r.strip()]
    except ValueError:
        print(f"terminal-chat: --rate takes numbers separated by commas, not {args.rate!r}")
        return
    if args.tokens < 2 or not rates or min(rates) <= 0 or args.keys < 1:
        print("terminal-chat: --tokens must be at least 2, --keys at least 1 and every --rate above 0")
        return

    if threading.current_thread() is threading.main_thread():  # clean up on `kill` too
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    def log(text: str) -> None:
        if args.verbose:
            print(text, file=sys.stderr)

    columns: list[tuple[str, dict]] = []
    for rate in rates:
        runs = [
            (
                "og-tui",
                lambda tmp, rate=rate: run_og_tui(
                    args.tokens, rate, args.keys, args.scrypt_n, tmp, log, quiet=args.quiet_devnet
                ),
            )
        ]
        if args.other_cmd:
            name = args.other_name or Path(shlex.split(args.other_cmd)[0]).name
            runs.append(
                (name, lambda tmp, rate=rate: run_other(args.other_cmd, args.tokens, rate, args.keys, tmp, log))
            )
        if args.floor:
            floor_cmd = shlex.join([sys.executable, "-c", PRINT_CLIENT]) + " {base_url} {model}"
            runs.append(
                (
                    "print-client",
                    lambda tmp, rate=rate, cmd=floor_cmd: run_other(cmd, args.tokens, rate, args.keys, tmp, log),
                )
            )
        for name, run in runs:
            label = f"{name} @{rate:g}/s"
            print(f"terminal-chat: {label}, {args.tokens} tokens ...", flush=True)
            with tempfile.TemporaryDirectory(prefix="og-term-bench-") as tmp:
                try:
                    res = run(Path(tmp))
                    log(f"{label}, the screen at the last frame:\n{res.pop('_screen', '')}")
                    columns.append((label, res))
                except Exception as exc:  # noqa: BLE001 - report it in the table and go on
                    columns.append((label, {"error": str(exc).splitlines()[0]}))
                    log(str(exc))
    quiet = ", devnet seeded workflows paused (--quiet-devnet)" if args.quiet_devnet else ""
    print(
        f"terminal-chat: {args.tokens} tokens per reply, terminal {SIZE[0]}x{SIZE[1]} (tmux), {os.cpu_count()} cores{quiet}"
    )
    print_table(columns)
    failed = [name for name, res in columns if "error" in res]
    if failed:
        raise RuntimeError(
            f"terminal-chat: {', '.join(failed)} did not run to the end (see above; -v shows the screen)"
        )


if __name__ == "__main__":
    main()
