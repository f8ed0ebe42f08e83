"""No event-loop stall over 100 ms in the app's main flows, against a real devnet.

:class:`~tests.tui.stall_probe.StallProbe` measures how late a 10 ms heartbeat wakes and
samples the loop thread's stack while it is overdue. The flows: start-up, unlock a
wallet and send, switch profile and back, open Chat and a conversation, send a chat
message, open Activity, open Hub; then leaving a devnet the app started, and saving a
chat while another writer holds the database. A test fails listing every stall with
what ran; every stall measured is printed (``-s``), allowed or not.

The probe is tested first: it must catch a handler that sleeps 0.3 s (and name it) and
one that computes for 0.3 s, and must not count a handler that awaits.
"""

from __future__ import annotations

import time

import pytest
from textual import on
from textual.app import App, ComposeResult
from textual.widgets import Button

from og_tui.core.devnet_client import DevnetClient
from og_tui.core.secrets import WalletStore
from og_tui.tui import messages as m
from og_tui.tui.app import make_app
from og_tui.tui.screens.modals import ConfirmDialog, ProfileDialog, SendDialog, UnlockDialog

from .helpers import TEST_KEY, TEST_PASSPHRASE, press_ok, settings_for, wait_until
from .stall_probe import StallProbe, allowed_by, unexplained

RECIPIENT = "0x8ba1f109551bD432803012645Ac136ddd64DBA72"

# Known stalls that are Textual's own work on the loop, by the Textual function doing it
# (measured at 100-250 ms of loop CPU per full 120x40 screen on a loaded 2-core machine).
# They excuse only the loop's CPU time inside them, never a wait in a call (a "blocked"
# stall always fails), and never the app's own code beside them: a stall fails when the
# loop CPU outside these functions reaches the threshold. Each is a place to make lighter
# (fewer widgets, lazily mounted panes), not I/O that belongs in a worker.
ALLOWED: dict[str, str] = {
    "Compositor.render_update": "Textual draws a frame: every strip of every visible widget of the screen "
    "(Chat, Hub, Activity and the dialogs over Account: 100-200 ms each)",
    "Compositor.reflow": "Textual lays the screen out again after a resize or a change of its widgets",
    "Screen._refresh_layout": "Textual lays the screen out and tells every widget its new size",
    "Stylesheet.update_nodes": "Textual re-matches the CSS of every node of a screen when it is shown, "
    "resized or changes class",
    "Stylesheet.apply": "Textual styles widgets as they are mounted (a screen's first show, the footer's "
    "keys rebuilt when the bindings change)",
    "Stylesheet.parse": "the first switch to a screen: Textual parses its .tcss file (once per screen per run)",
    "Widget._compose": "Textual composes a screen's widgets on its first show (Chat: about 70)",
    "Widget.mount_composed_widgets": "Textual mounts the widgets a screen composed on its first show",
    "App._register": "Textual registers newly mounted widgets (styles, bindings)",
    "Widget.recompose": "Textual rebuilds the footer's keys when the screen's bindings change",
    "DOMNode._initialize_data_bind": "Textual binds the reactives of newly mounted widgets (the footer's keys)",
    "ChatScreen.compose_body": "the Chat screen builds its ~70 widgets on its first show (their constructors)",
    "HubScreen.compose_body": "the Hub screen builds its widgets on its first show (their constructors)",
    "NavBar.show_keys": "start-up: the nav strip's first markup (Textual's markup parser warms up on first "
    "use, before the first frame)",
    "FooterKey._on_message": "Textual delivers the mount events of the footer's rebuilt keys",
    "wait_for_idle": "the test's Pilot resuming while it waits for the app to go idle (the harness, not the app)",
    "IdleCollector.tick": "Python's full garbage collection, which the interpreter would run anyway, held back "
    "to a second without input (tui/gc_policy.py): it never lands under a key",
}


# --- the probe itself ----------------------------------------------------------------------
class _Sleepy(App):
    def compose(self) -> ComposeResult:
        yield Button("block", id="block")
        yield Button("wait", id="wait")
        yield Button("burn", id="burn")

    @on(Button.Pressed, "#block")
    def blocking_handler(self) -> None:
        time.sleep(0.3)  # the bug the probe must catch

    @on(Button.Pressed, "#burn")
    def burning_handler(self) -> None:
        end = time.thread_time() + 0.3
        while time.thread_time() < end:  # computing on the loop: a "cpu" stall
            pass

    @on(Button.Pressed, "#wait")
    async def waiting_handler(self) -> None:
        import asyncio

        await asyncio.sleep(0.3)  # waiting without blocking: not a stall
        self.query_one("#wait", Button).label = "done"


async def test_probe_catches_a_blocking_handler_and_names_it():
    app = _Sleepy()
    async with StallProbe() as probe, app.run_test() as pilot:
        await pilot.pause()
        app.query_one("#wait", Button).press()
        await wait_until(pilot, lambda: str(app.query_one("#wait", Button).label) == "done")
        app.query_one("#block", Button).press()
        await wait_until(pilot, lambda: any("blocking_handler" in s.functions() for s in probe.stalls))
        app.query_one("#burn", Button).press()
        await wait_until(pilot, lambda: any("burning_handler" in s.functions() for s in probe.stalls))
    print("\nprobe self-test:\n" + probe.report())
    [blocked] = [s for s in probe.stalls if "blocking_handler" in s.functions()]
    assert blocked.duration >= 0.25 and blocked.kind == "blocked"
    assert "blocking_handler" in blocked.where()
    [burned] = [s for s in probe.stalls if "burning_handler" in s.functions()]
    assert burned.duration >= 0.25 and burned.kind == "cpu" and "burning_handler" in burned.where()
    assert not any("waiting_handler" in s.functions() for s in probe.stalls)
    # the allow-list excuses computing in a named function, never waiting in a call
    here = ("test_event_loop.py",)  # (this file's handlers play the app's code)
    assert unexplained([burned], {"_Sleepy.burning_handler": "test"}, app=here) == []
    assert unexplained([burned], {"_Sleepy.other_handler": "test"}, app=here) == [burned]
    assert unexplained([blocked], {"_Sleepy.blocking_handler": "test"}, app=here) == [blocked]


# --- the app's main flows ----------------------------------------------------------------------
def _funded_wallet(app_env, devnet):
    settings = settings_for(app_env, devnet.port)
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    info = wallets.import_key("main", TEST_KEY, TEST_PASSPHRASE)
    wallets.set_active(info.address)
    DevnetClient(devnet.url).fund(info.address)
    return settings


async def _type(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch)


async def _pick_profile(pilot, name: str) -> None:
    app = pilot.app
    await pilot.press("f2")
    await wait_until(pilot, lambda: app.current_mode == "account")
    await pilot.press("p")
    await wait_until(pilot, lambda: isinstance(app.screen, ProfileDialog))
    options = app.screen.query_one("#profiles")
    options.highlighted = next(i for i in range(options.option_count) if options.get_option_at_index(i).id == name)
    await pilot.press("enter")
    await wait_until(
        pilot,
        lambda: app.ctx.profile.name == name and app.net.profile == name and not isinstance(app.screen, ProfileDialog),
    )


@pytest.mark.e2e
async def test_main_flows_never_stall_the_event_loop(devnet, app_env, monkeypatch):
    monkeypatch.setenv("OG_TUI_DEVNET_PORT", str(devnet.port))  # the profile switch reloads settings
    settings = _funded_wallet(app_env, devnet)
    app = make_app(settings, poll=False)
    seen: list = []
    steps: list[tuple[float, str]] = []

    def step(name: str) -> None:
        steps.append((probe.elapsed(), name))

    async with StallProbe() as probe:
        async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
            step("start-up")
            await wait_until(pilot, lambda: app.net.connected and (app.net.native_wei or 0) > 0)

            step("unlock and send")
            await pilot.press("s")
            await wait_until(pilot, lambda: isinstance(app.screen, UnlockDialog), timeout=30)
            await _type(pilot, TEST_PASSPHRASE)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, SendDialog), timeout=30)
            app.screen.query_one("#to").value = RECIPIENT
            app.screen.query_one("#amount").value = "0.5"
            await press_ok(pilot)
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await press_ok(pilot)
            await wait_until(pilot, lambda: any(isinstance(x, m.TxConfirmed) for x in seen), timeout=30)

            step("switch profile and back")
            home = app.ctx.profile.name
            other = next(name for name in app.ctx.settings.profiles if name != home)
            await _pick_profile(pilot, other)
            await _pick_profile(pilot, home)
            await wait_until(pilot, lambda: app.net.connected, timeout=30)

            step("open chat, send a message")
            from og_tui.core.llm import DEVNET_MODEL
            from og_tui.tui.screens.chat import ChatScreen, PromptArea

            await pilot.press("f5")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
            chat = app.screen
            await wait_until(pilot, lambda: DEVNET_MODEL in chat.params_pane.models)
            chat.query_one("#p-max_tokens").value = "24"
            prompt = chat.query_one(PromptArea)
            prompt.focus()
            prompt.text = "What does x402 settle?"
            await pilot.press("enter")
            await wait_until(pilot, lambda: any(isinstance(x, ChatScreen.Finished) for x in seen), timeout=60)
            await wait_until(pilot, lambda: chat._reply is None and chat.conv is not None)
            conv_id = chat.conv.id

            step("new chat, open the conversation")
            await pilot.press("ctrl+n")
            await wait_until(pilot, lambda: chat.conv is None)
            chat.sidebar.options.focus()
            chat.sidebar.options.highlighted = 0
            await pilot.press("enter")
            await wait_until(pilot, lambda: chat.conv is not None and chat.conv.id == conv_id)

            step("activity")
            from og_tui.tui.screens.activity import ActivityScreen

            await pilot.press("f7")
            await wait_until(pilot, lambda: isinstance(app.screen, ActivityScreen))
            txs, payments = app.screen.query_one("#txs"), app.screen.query_one("#payments")
            await wait_until(pilot, lambda: txs.row_count >= 1 and payments.row_count >= 1)

            step("hub")
            from og_tui.tui.screens.hub import HubScreen

            await pilot.press("f3")
            await wait_until(pilot, lambda: isinstance(app.screen, HubScreen))
            hub = app.screen
            await wait_until(pilot, lambda: hub._total is not None and not hub._loading, timeout=30)
            step("end")

    def in_step(at: float) -> str:
        name = steps[0][1]
        for start, label in steps:
            if start <= at:
                name = label
        return name

    lines = [
        f"[{in_step(s.started)}] {s}"
        + (f" (allowed: {', '.join(allowed_by(s, ALLOWED))})" if allowed_by(s, ALLOWED) and not s.idle else "")
        for s in probe.stalls
    ]
    print("\nevent-loop stalls over 100 ms:\n" + ("\n".join(lines) or "none"))
    bad = unexplained(probe.busy(), ALLOWED)
    assert not bad, "event loop stalled:\n" + "\n".join(f"[{in_step(s.started)}] {s}\n{s.details()}" for s in bad)


@pytest.mark.e2e
async def test_leaving_a_devnet_the_app_started_does_not_stall(app_env, monkeypatch):
    """Switching to a remote profile stops the app's own devnet (SIGTERM, its queued
    payments settled, up to 10 s): off the loop, with the stop shown as work in flight."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("OG_TUI_DEVNET_PORT", str(port))
    app = make_app(settings_for(app_env, port), poll=False)
    seen: list = []
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: app.net.connected, timeout=120)
        handle = app.ctx.devnet
        assert handle is not None and handle.started and handle.running
        async with StallProbe() as probe:
            app.switch_profile("opengradient")
            await wait_until(pilot, lambda: app.ctx.profile.name == "opengradient" and not app.net.is_devnet)
            await wait_until(pilot, lambda: not handle.running, timeout=30)
            await wait_until(pilot, lambda: "Stopping the local devnet" not in app.net.ops)
    print("\nstalls while leaving the devnet:\n" + probe.report())
    bad = unexplained(probe.busy(), ALLOWED)
    assert not bad, "event loop stalled:\n" + "\n".join(f"{s}\n{s.details()}" for s in bad)
    assert any(isinstance(x, m.OperationStarted) and x.label == "Stopping the local devnet" for x in seen)
    assert app.ctx.devnet is None
    assert any(isinstance(x, m.ProfileChanged) and x.name == "opengradient" for x in seen)


async def test_a_locked_chat_database_does_not_stall_the_loop(app_env, monkeypatch):
    """Another writer holds the database (the CLI, a worker): saving the conversation's
    parameters waits for it in a worker while the app keeps drawing and taking keys."""
    import sqlite3

    from og_tui.core.chat_store import ChatStore
    from og_tui.tui.screens.chat import ChatScreen

    monkeypatch.setattr(ChatScreen, "autoload_models", False)
    settings = settings_for(app_env)
    store = ChatStore(settings.db_path)
    conv = store.create_conversation("Locked", model="og-devnet/mini", mode="TEE", profile="local")
    store.add_message(conv.id, "user", "hello")
    store.close()
    app = make_app(settings, autostart_devnet=False, poll=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen) and app.screen.conv is not None)
        screen = app.screen
        locker = sqlite3.connect(settings.db_path, timeout=0, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # every other writer now waits (busy_timeout)
        try:
            async with StallProbe() as probe:
                await pilot.press("f9")  # completion mode: the conversation's parameters are saved
                await wait_until(pilot, lambda: screen.params_pane.completion)
                start = probe.beats
                # the loop keeps turning while the save waits for the lock
                await wait_until(pilot, lambda: probe.beats >= start + 30)
                locker.execute("ROLLBACK")
                await wait_until(
                    pilot,
                    lambda: (
                        (screen.conv.params or {}).get("completion") is True
                        and not any(w.group == "chat-store" and w.is_running for w in screen.workers)
                    ),
                )
        finally:
            locker.close()
    print("\nstalls with the chat database locked:\n" + probe.report())
    bad = unexplained(probe.busy(), ALLOWED)
    assert not bad, "event loop stalled:\n" + "\n".join(f"{s}\n{s.details()}" for s in bad)
    assert ChatStore(settings.db_path).get_conversation(conv.id).params.get("completion") is True


async def _press_while_the_wallet_store_is_held(app_env, key: str, check, opened) -> tuple[StallProbe, bool]:
    """Another thread holds the wallet store (a keyring call waiting on a Secret Service prompt
    does) while ``key`` is pressed on the Account screen: the loop must keep turning (30 beats
    of the probe). Returns the probe and what ``check()`` said while the store was held; then
    the store is let go and ``opened()`` must come to hold."""
    import threading

    settings = settings_for(app_env)
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    wallets.set_active(wallets.import_key("main", TEST_KEY, TEST_PASSPHRASE).address)
    app = make_app(settings, autostart_devnet=False, poll=False)
    release = threading.Event()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.net.address is not None)
        store = app.ctx.wallets
        held = threading.Event()

        def hold() -> None:
            with store._lock:  # what a keyring call in another worker holds while it waits
                held.set()
                release.wait(10)

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        try:
            await wait_until(pilot, held.is_set)
            async with StallProbe() as probe:
                await pilot.press(key)
                start = probe.beats
                await wait_until(pilot, lambda: probe.beats >= start + 30)  # the loop keeps turning
                seen_while_held = check(app)
                release.set()
                await wait_until(pilot, lambda: opened(app))
        finally:
            release.set()
            holder.join(5)
    return probe, seen_while_held


async def test_a_busy_wallet_store_does_not_stall_the_loop(app_env):
    """Asking for the wallet to send (`s`: it must be unlocked first) while the wallet store is
    busy waits for it in a worker, and the app keeps drawing and taking keys."""
    probe, waiting = await _press_while_the_wallet_store_is_held(
        app_env,
        "s",
        check=lambda app: "Opening the wallet" in app.net.ops and not isinstance(app.screen, UnlockDialog),
        opened=lambda app: isinstance(app.screen, UnlockDialog),
    )
    print("\nstalls with the wallet store busy:\n" + probe.report())
    bad = unexplained(probe.busy(), ALLOWED)
    assert not bad, "event loop stalled:\n" + "\n".join(f"{s}\n{s.details()}" for s in bad)
    assert waiting  # the worker was waiting for the store, shown as work in flight


async def test_a_busy_wallet_store_does_not_stall_hub_sign_in(app_env):
    """The hub sign-in dialog reads the saved sign-in and the keyring before it opens: with the
    wallet store held by another thread, `h` waits for it off the loop."""
    from og_tui.tui.screens.hub_dialogs import HubSignInDialog

    probe, opened_early = await _press_while_the_wallet_store_is_held(
        app_env,
        "h",  # hub sign-in from the Account screen
        check=lambda app: isinstance(app.screen, HubSignInDialog),
        opened=lambda app: isinstance(app.screen, HubSignInDialog),
    )
    print("\nstalls with the wallet store busy (hub sign-in):\n" + probe.report())
    bad = unexplained(probe.busy(), ALLOWED)
    assert not bad, "event loop stalled:\n" + "\n".join(f"{s}\n{s.details()}" for s in bad)
    assert not opened_early  # the dialog waited for what it needs to know, off the loop
