"""Chat screen benchmarks (headless Pilot against a real devnet). Numbers printed, nothing asserted.

Run: ``python -m bench.chat_bench``. Starts its own devnet (temp data dir, free port).

- stream: 5,000 tokens at 1,000 tokens/s from the devnet's builtin model into the Chat
  screen: how long after the last token (posted by the reply worker) the final text is on
  screen (Markdown source complete + one refresh), chunk messages posted, elapsed time.
- keys: keystroke latency while that stream runs (a Pilot probe: press a key in the prompt,
  time until the TextArea's text changed), p50/p95/max.
- open: a stored 1,000-message conversation (500 user + 500 markdown replies) opened from
  the conversation list (time until its newest message is mounted and a frame has been
  drawn), with the messages and widgets mounted; then page-up from the end to its first
  message (earlier pages are read as the view comes near them): p50/p95/max per page-up
  (from the key to the frame that shows it), CPU per page-up, the most messages and widgets
  ever mounted; end, home and end again (each until the view is there); page-down from the
  first message to the end. ``python -m bench chat open`` runs only this part.
- peak RSS of this process (the app; the devnet is a separate process).
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench._devnet import start_devnet, stop_devnet
from bench._measure import pct

STREAM_TOKENS = 5000
STREAM_RATE = 1000
N_MESSAGES = 1000
BURST = 10  # page-ups posted at once
KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
REPLY = (
    "Here is what happens with **x402** on the devnet, step by step:\n\n"
    "- the gateway answers *402 Payment Required* with a price\n"
    "- the wallet signs a `TransferWithAuthorization` for that amount\n"
    "- the request is repeated with the signed payment and settled on chain\n\n"
    "```python\ndef price(tokens):\n    return tokens * 1\n```\n\n"
    "Reply number {i}: the settlement hash is recorded for every request so it can be audited later."
)


async def _wait(pilot, predicate, timeout: float = 60.0, step: float = 0.002) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(step)


async def _after_refresh(app) -> float:
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(time.perf_counter()))
    return await done


def _settings(tmp: Path, port: int, name: str):
    from og_tui.core.config import load_settings

    env = dict(
        os.environ,
        OG_TUI_CONFIG_DIR=str(tmp / name / "config"),
        OG_TUI_DATA_DIR=str(tmp / name / "data"),
        OG_TUI_DEVNET_PORT=str(port),
        OG_TUI_KEYRING="file",
        OG_TUI_SCRYPT_N="1024",
    )
    os.environ.update({k: env[k] for k in ("OG_TUI_KEYRING", "OG_TUI_SCRYPT_N")})
    return load_settings(env=env)


def _wallet(settings, port: int):
    from og_tui.core.devnet_client import DevnetClient
    from og_tui.core.secrets import WalletStore

    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    info = wallets.import_key("main", KEY, "correct horse battery")
    wallets.set_active(info.address)
    DevnetClient(f"http://127.0.0.1:{port}").fund(info.address)
    return wallets.unlock(info.address, "correct horse battery")


async def _bench_stream(settings, signer) -> dict:
    from textual import events

    from og_tui.tui.app import make_app
    from og_tui.tui.screens.chat import ChatScreen, PromptArea
    from og_tui.tui.widgets.chat_view import AssistantMessage

    ChatScreen.extra_body = {"tokens_per_second": STREAM_RATE, "ignore_eos": True}
    app = make_app(settings, poll=False)
    app.ctx.remember_signer(signer)
    out: dict = {}
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await _wait(pilot, lambda: app.net.connected, 30)
            await pilot.press("f5")
            await _wait(pilot, lambda: isinstance(app.screen, ChatScreen) and app.screen.params_pane.models, 30)
            screen = app.screen
            screen.query_one("#p-max_tokens").value = str(STREAM_TOKENS)
            screen.query_one("#p-cap").value = "1"
            posted = {"chunks": 0, "last": 0.0, "finished": None}
            original = screen.post_message

            def record(message):
                if isinstance(message, ChatScreen.Chunk):
                    posted["chunks"] += 1
                    posted["last"] = time.perf_counter()
                elif isinstance(message, ChatScreen.Finished):
                    posted["finished"] = message
                return original(message)

            screen.post_message = record  # the reply worker posts through this
            prompt = screen.query_one(PromptArea)
            prompt.focus()
            prompt.text = "Write a very long answer about the devnet"
            t_send = time.perf_counter()
            await pilot.press("enter")
            await _wait(pilot, lambda: posted["chunks"] > 0, 30)
            t_first = time.perf_counter()
            # keystroke probe while the reply streams
            lat: list[float] = []
            prompt.focus()
            while posted["finished"] is None and len(lat) < 150:
                before = prompt.text
                t0 = time.perf_counter()
                # as the terminal driver does (pilot.press would also wait for the screen to go idle,
                # which it never does while a reply streams)
                app.post_message(events.Key("x", "x"))
                await _wait(pilot, lambda: prompt.text != before, 5, 0.0005)
                lat.append(time.perf_counter() - t0)
                await asyncio.sleep(0.02)
            await _wait(pilot, lambda: posted["finished"] is not None, 60)
            done = posted["finished"]
            reply = screen.query(AssistantMessage).last()
            await _wait(pilot, lambda: reply.shown_text == done.text and not reply.streaming, 60, 0.001)
            t_frame = await _after_refresh(app)
            out.update(
                tokens=done.meta.get("completion_tokens"),
                chars=len(done.text),
                chunks=posted["chunks"],
                first_s=t_first - t_send,
                stream_s=posted["last"] - t_send,
                final_frame_after_last_token_ms=(t_frame - posted["last"]) * 1000,
                keys=len(lat),
                key_p50_ms=statistics.median(lat) * 1000 if lat else None,
                key_p95_ms=pct(lat, 0.95) * 1000 if lat else None,
                key_max_ms=max(lat) * 1000 if lat else None,
                tokens_per_s=done.meta.get("tokens_per_s"),
            )
    finally:
        ChatScreen.extra_body = None
    return out


def _mounted(log) -> tuple[int, int]:
    """(chat items, widgets) mounted in the message view."""
    from og_tui.tui.widgets.chat_items import ChatItem

    return len(log.query(ChatItem)), sum(1 for _ in log.walk_children())


def _at_first(log, first_id: int) -> bool:
    """The conversation's first message is mounted and the view is at the top."""
    from og_tui.tui.widgets.chat_items import ChatItem
    from og_tui.tui.widgets.chat_rows import LoadEarlier

    return (
        log.scroll_y <= 0
        and not log.query(LoadEarlier)
        and any(item.message_id == first_id for item in log.query(ChatItem))
    )


async def _key(app, pilot, log, key: str, done=None) -> float:
    """Seconds from a key to the frame that shows what it did (the view moved or changed,
    or ``done()`` holds)."""
    from textual import events

    y, count = log.scroll_y, len(log.children)
    t = time.perf_counter()
    app.post_message(events.Key(key, None))
    if done is None:
        await _wait(pilot, lambda: log.scroll_y != y or len(log.children) != count, 5, 0.001)
    else:
        await _wait(pilot, done, 5, 0.001)
    await _after_refresh(app)
    return time.perf_counter() - t


async def _bench_open(settings) -> dict:
    from og_tui.core.chat_store import ChatStore
    from og_tui.tui.app import make_app
    from og_tui.tui.screens.chat import ChatScreen
    from og_tui.tui.widgets.chat_items import ChatItem

    store = ChatStore(settings.db_path)
    big = store.create_conversation("A 1,000-message conversation", model="og-devnet/mini", mode="TEE", profile="local")
    meta = {
        "model": "og-devnet/mini",
        "mode": "TEE",
        "completion_tokens": 60,
        "tokens_per_s": 200.0,
        "cost": "256",
        "payment_hash": "0x" + "ab" * 32,
        "settlement_mode": "settle-batch",
        "settlement_status": "settled",
        "backend": "builtin",
    }
    rows = []
    for i in range(N_MESSAGES // 2):
        rows.append({"role": "user", "content": f"Question {i}: how does settlement number {i} work?"})
        rows.append({"role": "assistant", "content": REPLY.format(i=i), "meta": meta})
    t = time.perf_counter()
    store.add_messages(big.id, rows)
    insert_s = time.perf_counter() - t
    ids = [r.id for r in store.messages(big.id)]
    first_id, last_id = ids[0], ids[-1]
    small = store.create_conversation("small", model="og-devnet/mini", mode="TEE", profile="local")
    store.add_message(small.id, "user", "hi")
    store.close()

    ChatScreen.autoload_models = False
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    out: dict = {"insert_s": insert_s}
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("f5")
            await _wait(pilot, lambda: isinstance(app.screen, ChatScreen) and app.screen.conv is not None, 30)
            screen = app.screen
            assert screen.conv.id == small.id
            log = screen.log_view
            t0 = time.perf_counter()
            screen.open_conversation(big.id)
            # shown: its newest message is mounted
            await _wait(pilot, lambda: any(i.message_id == last_id for i in log.query(ChatItem)), 30, 0.001)
            t_frame = await _after_refresh(app)
            out["open_s"] = t_frame - t0
            out["mounted"], out["widgets"] = _mounted(log)
            await pilot.pause(0.3)
            log.focus()
            steps: list[float] = []
            most = [0, 0]
            t_all, cpu_all = time.perf_counter(), time.process_time()
            while not _at_first(log, first_id):
                try:
                    steps.append(await _key(app, pilot, log, "pageup"))
                except TimeoutError:
                    break
                most = [max(a, b) for a, b in zip(most, _mounted(log))]
                if len(steps) > 3000 or time.perf_counter() - t_all > 120:
                    break
            out.update(
                pageups=len(steps),
                pageup_cpu_ms=(time.process_time() - cpu_all) / max(1, len(steps)) * 1000,
                reached_first=_at_first(log, first_id),
                scroll_total_s=time.perf_counter() - t_all,
                pageup_p50_ms=statistics.median(steps) * 1000,
                pageup_p95_ms=pct(steps, 0.95) * 1000,
                pageup_max_ms=max(steps) * 1000,
                mounted_max=most,
                mounted_at_top=_mounted(log),
            )
            # end, home, end again (each a jump across the whole conversation)
            jumps: dict[str, float] = {}

            def at_end() -> bool:
                return log.scroll_y >= log.max_scroll_y and any(i.message_id == last_id for i in log.query(ChatItem))

            def at_home() -> bool:
                return log.scroll_y <= 0

            for name, key, done in (
                ("end_ms", "end", at_end),
                ("home_ms", "home", at_home),
                ("end2_ms", "end", at_end),
            ):
                await pilot.pause(0.1)
                try:
                    jumps[name] = await _key(app, pilot, log, key, done) * 1000
                except TimeoutError:
                    jumps[name] = float("nan")
            out.update(jumps, mounted_after_jumps=_mounted(log))
            # page-down from the top through the whole conversation
            await pilot.pause(0.1)
            await _key(app, pilot, log, "home", at_home)
            await pilot.pause(0.1)
            downs: list[float] = []
            cpu_all = time.process_time()
            while log.scroll_y < log.max_scroll_y and len(downs) < 3000:
                try:
                    downs.append(await _key(app, pilot, log, "pagedown"))
                except TimeoutError:
                    break
                most = [max(a, b) for a, b in zip(most, _mounted(log))]
            out.update(
                pagedowns=len(downs),
                pagedown_cpu_ms=(time.process_time() - cpu_all) / max(1, len(downs)) * 1000,
                pagedown_p50_ms=statistics.median(downs) * 1000 if downs else float("nan"),
                pagedown_p95_ms=pct(downs, 0.95) * 1000 if downs else float("nan"),
                pagedown_max_ms=max(downs) * 1000 if downs else float("nan"),
                mounted_max=most,
                mounted_end=_mounted(log),
            )
            # a burst: BURST page-ups arrive before the next frame (a held key, a fast typist):
            # how many pages the view moved once it settled
            from textual import events

            await pilot.pause(0.3)
            y0, view_h = log.scroll_y, log.scrollable_content_region.height
            t = time.perf_counter()
            for _ in range(BURST):
                app.post_message(events.Key("pageup", None))
            last, since = log.scroll_y, time.perf_counter()
            while time.perf_counter() - since < 0.3 and time.perf_counter() - t < 10:
                await asyncio.sleep(0.01)
                if log.scroll_y != last:
                    last, since = log.scroll_y, time.perf_counter()
            await _after_refresh(app)
            out.update(burst_pages=(y0 - log.scroll_y) / max(1, view_h), burst_s=since - t)
    finally:
        ChatScreen.autoload_models = True
    return out


def main() -> None:
    only_open = "open" in sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="og-chat-bench-") as tmp_name:
        tmp = Path(tmp_name)
        proc, url = start_devnet(tmp / "devnet", tmp / "devnet.log")
        port = int(url.rsplit(":", 1)[1])
        try:
            if not only_open:
                settings = _settings(tmp, port, "stream")
                signer = _wallet(settings, port)
                s = asyncio.run(_bench_stream(settings, signer))
                print(
                    f"stream: {s['tokens']} tokens ({s['chars']:,} chars) at {STREAM_RATE}/s in {s['stream_s']:.2f} s "
                    f"(first chunk {s['first_s'] * 1000:.0f} ms after enter, {s['chunks']} Chunk messages, "
                    f"{s['tokens_per_s']:.0f} tok/s measured)",
                    flush=True,
                )
                print(
                    f"stream: final frame {s['final_frame_after_last_token_ms']:.0f} ms after the last token "
                    f"(target <= 200 ms)",
                    flush=True,
                )
                print(
                    f"keys while streaming: {s['keys']} presses, p50 {s['key_p50_ms']:.1f} ms, "
                    f"p95 {s['key_p95_ms']:.1f} ms, max {s['key_max_ms']:.1f} ms (target p95 <= 50 ms)",
                    flush=True,
                )
            load = os.getloadavg()[0]
            o = asyncio.run(_bench_open(_settings(tmp, port, "open")))
            print(f"(1-minute load average {load:.1f} when the open bench started, {os.cpu_count()} CPUs)")
            print(
                f"open: {N_MESSAGES}-message conversation shown in {o['open_s'] * 1000:.0f} ms "
                f"({o['mounted']} messages / {o['widgets']} widgets mounted; store insert {o['insert_s'] * 1000:.0f} ms) "
                f"(target <= 0.5 s)"
            )
            print(
                f"page-up: {o['pageups']} page-ups in {o['scroll_total_s']:.2f} s "
                f"({'reached the first message' if o['reached_first'] else 'did NOT reach the first message'}), "
                f"p50 {o['pageup_p50_ms']:.1f} ms, p95 {o['pageup_p95_ms']:.1f} ms, max {o['pageup_max_ms']:.1f} ms "
                f"per page-up (target p95 <= 100 ms), {o['pageup_cpu_ms']:.0f} ms CPU each; at the top {o['mounted_at_top'][0]} messages / "
                f"{o['mounted_at_top'][1]} widgets mounted"
            )
            print(
                f"jumps: end {o['end_ms']:.1f} ms, home {o['home_ms']:.1f} ms, end again {o['end2_ms']:.1f} ms; "
                f"then {o['mounted_after_jumps'][0]} messages / {o['mounted_after_jumps'][1]} widgets mounted"
            )
            print(
                f"page-down: {o['pagedowns']} page-downs from the top, p50 {o['pagedown_p50_ms']:.1f} ms, "
                f"p95 {o['pagedown_p95_ms']:.1f} ms, max {o['pagedown_max_ms']:.1f} ms, "
                f"{o['pagedown_cpu_ms']:.0f} ms CPU each; at the end "
                f"{o['mounted_end'][0]} messages / {o['mounted_end'][1]} widgets mounted; most ever mounted "
                f"{o['mounted_max'][0]} messages / {o['mounted_max'][1]} widgets"
            )
            print(
                f"burst: {BURST} page-ups posted at once moved the view {o['burst_pages']:.1f} pages "
                f"(settled {o['burst_s'] * 1000:.0f} ms after the first)"
            )
        finally:
            stop_devnet(proc)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (this process: app + Pilot): {rss:.0f} MB")


if __name__ == "__main__":
    main()
