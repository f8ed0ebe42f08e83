"""The gateway inside the app, against a real devnet: started from the panel (``a`` on
Account) with the keystore wallet unlocked by its passphrase, served to the official
``openai`` client from this process, its live state in the panel (in flight, spend per
key, the last error), its payments in Activity without a refresh, stopped again (the
wallet locked, the port closed), started from the palette; and none of it stalls the
event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import pytest
from textual.widgets import DataTable, Input, Static

from og_tui.core.devnet_client import DevnetClient
from og_tui.core.secrets import WalletStore
from og_tui.tui.app import make_app
from og_tui.tui.screens.gateway import GatewayPanel, KeySecretDialog, NewKeyDialog
from og_tui.tui.screens.modals import UnlockDialog

from .helpers import TEST_KEY, TEST_PASSPHRASE, press_ok, settings_for, wait_until
from .stall_probe import StallProbe, unexplained
from .test_event_loop import ALLOWED

openai = pytest.importorskip("openai")

pytestmark = pytest.mark.e2e

MODEL = "og-devnet/mini"
MSGS = [{"role": "user", "content": "What does the gateway do?"}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _app(app_env, devnet):
    settings = settings_for(app_env, devnet.port)
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    info = wallets.import_key("main", TEST_KEY, TEST_PASSPHRASE)
    wallets.set_active(info.address)
    DevnetClient(devnet.url).fund(info.address)
    app = make_app(settings, poll=False)
    app.gateway_port = _free_port()
    return app, info.address


async def _type(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


def _panel_text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _new_key(pilot, name: str, per_request: str = "", per_day: str = "") -> str:
    app = pilot.app
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(app.screen, NewKeyDialog))
    await _type(pilot, name)
    app.screen.query_one("#per_request", Input).value = per_request
    app.screen.query_one("#per_day", Input).value = per_day
    await press_ok(pilot)
    await wait_until(pilot, lambda: isinstance(app.screen, KeySecretDialog))
    secret = app.screen.secret
    assert str(app.screen.query_one("#key-secret", Static).render()) == secret
    await pilot.press("escape")
    await wait_until(pilot, lambda: isinstance(app.screen, GatewayPanel))
    return secret


async def test_toggle_live_state_and_activity(devnet, app_env):
    app, address = _app(app_env, devnet)
    port = app.gateway_port
    async with contextlib.AsyncExitStack() as stack:  # the probe closes after the app
        async with app.run_test(size=(100, 34)) as pilot:
            await wait_until(pilot, lambda: app.net.connected and (app.net.native_wei or 0) > 0, timeout=30)
            # from here to the app's exit (start-up is test_event_loop's business)
            probe = await stack.enter_async_context(StallProbe())
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, GatewayPanel))
            panel = app.screen
            assert "stopped" in str(panel.query_one("#gw-title").render())
            secret = await _new_key(pilot, "editor", per_request="0.00005")
            table = panel.query_one("#gw-keys", DataTable)
            await wait_until(pilot, lambda: table.row_count == 1)
            assert app.ctx.signer(address) is None  # locked until the gateway needs it

            # start: the keystore wallet asks for its passphrase, as every spend does
            await pilot.press("s")
            await wait_until(pilot, lambda: isinstance(app.screen, UnlockDialog), timeout=30)
            await _type(pilot, TEST_PASSPHRASE)
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.gateway_state.running, timeout=30)
            assert app.screen is panel and _listening(port)
            url = f"http://127.0.0.1:{port}/v1"
            assert url in _panel_text(app, "#gw-state")
            assert app.net.gateway == f":{port}"

            # a slow stream: the panel shows it in flight
            client = openai.OpenAI(base_url=url, api_key=secret, max_retries=0, timeout=60)

            def slow_stream() -> str:
                pieces = client.chat.completions.create(
                    model=MODEL,
                    messages=MSGS,
                    max_tokens=40,
                    stream=True,
                    extra_body={"tokens_per_second": 20, "ignore_eos": True},
                )
                return "".join(c.choices[0].delta.content or "" for c in pieces if c.choices)

            streaming = asyncio.create_task(asyncio.to_thread(slow_stream))
            await wait_until(pilot, lambda: "1 in flight" in _panel_text(app, "#gw-state"), timeout=30)
            assert await streaming
            await wait_until(pilot, lambda: "0 in flight · 1 served" in _panel_text(app, "#gw-state"), timeout=30)
            await wait_until(pilot, lambda: "0.00004" in str(table.get_row_at(0)[4]))  # total: 40 units

            # over the key's per-request budget: refused, nothing signed, the error in the panel
            def too_big() -> int:
                try:
                    client.chat.completions.create(model=MODEL, messages=MSGS, max_tokens=51)
                except openai.APIStatusError as exc:
                    return exc.status_code
                return 200

            assert await asyncio.to_thread(too_big) == 402
            errors = panel.query_one("#gw-errors", Static)
            await wait_until(pilot, lambda: "request_budget_exceeded" in str(errors.render()), timeout=30)

            # Activity lists the gateway's payments as they are made, without a refresh
            await pilot.press("escape")
            await pilot.press("f7")
            await wait_until(pilot, lambda: app.current_mode == "activity")
            payments = app.screen.query_one("#payments", DataTable)
            await wait_until(pilot, lambda: payments.row_count == 1)
            out = await asyncio.to_thread(
                lambda: client.chat.completions.create(model=MODEL, messages=MSGS, max_tokens=8)
            )
            assert out.choices[0].message.content
            await wait_until(pilot, lambda: payments.row_count == 2, timeout=30)
            assert str(payments.get_row_at(0)[1]) == MODEL and str(payments.get_row_at(0)[2]) == "0.000008"
            payments.focus()
            await pilot.press("up")
            detail = app.screen.query_one("#tx-detail", Static)
            await wait_until(pilot, lambda: "gateway key 1 (editor" in str(detail.render()))

            # stop from the palette: the port closes and the wallet is locked again
            assert app.gateway is not None
            await _palette(pilot, "gateway: stop")
            await wait_until(pilot, lambda: app.gateway is None and not app.gateway_state.running, timeout=30)
            assert not _listening(port)
            assert app.ctx.signer(address) is None
            assert app.net.gateway is None
            with pytest.raises(openai.APIConnectionError):
                await asyncio.to_thread(
                    lambda: client.chat.completions.create(model=MODEL, messages=MSGS, max_tokens=8)
                )

            # and again from the palette: the passphrase is asked for again
            await _palette(pilot, "gateway: start")
            await wait_until(pilot, lambda: isinstance(app.screen, UnlockDialog), timeout=30)
            await _type(pilot, TEST_PASSPHRASE)
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.gateway_state.running, timeout=30)
            assert isinstance(app.screen, GatewayPanel) and _listening(port)
            models = await asyncio.to_thread(lambda: [m.id for m in client.models.list().data])
            assert MODEL in models
    # the app's exit stops the gateway it runs (in a thread of its own, off the loop)
    assert app.gateway_closing is not None
    app.gateway_closing.join(15)
    assert not app.gateway_closing.is_alive() and not _listening(port)
    assert app.ctx.signer(address) is None
    bad = unexplained(probe.busy(), ALLOWED)
    assert not bad, "event loop stalled:\n" + "\n".join(f"{s}\n{s.details()}" for s in bad)


async def _palette(pilot, command: str) -> None:
    from textual.command import CommandInput, CommandList, CommandPalette

    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_until(
        pilot, lambda: isinstance(app.screen, CommandPalette) and app.screen.query_one(CommandInput).has_focus
    )
    palette = app.screen
    await _type(pilot, command)

    def best_hit() -> bool:
        hits = palette.query_one(CommandList)
        return hits.highlighted == 0 and command in str(hits.get_option_at_index(0).prompt)

    await wait_until(pilot, best_hit)
    await pilot.press("enter")


async def test_a_taken_port_is_reported_and_nothing_stays_unlocked(devnet, app_env):
    app, address = _app(app_env, devnet)
    with socket.socket() as other:
        other.bind(("127.0.0.1", app.gateway_port))
        other.listen()
        async with app.run_test(size=(100, 34)) as pilot:
            await wait_until(pilot, lambda: app.net.connected, timeout=30)
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, GatewayPanel))
            notes: list[str] = []
            app.notify = lambda text, **kw: notes.append(str(text))  # type: ignore[method-assign]
            await pilot.press("s")
            await wait_until(pilot, lambda: isinstance(app.screen, UnlockDialog), timeout=30)
            await _type(pilot, TEST_PASSPHRASE)
            await pilot.press("enter")
            await wait_until(pilot, lambda: any(f"{app.gateway_port}" in n for n in notes), timeout=30)
            await wait_until(pilot, lambda: not app.gateway_state.busy)
            assert app.gateway is None and not app.gateway_state.running
            assert "Start" in str(app.screen.query_one("#gw-toggle").label)
            assert app.ctx.signer(address) is None  # unlocked for the gateway, locked again


async def test_a_profile_switch_stops_the_gateway(devnet, app_env):
    from .test_event_loop import _pick_profile

    app, address = _app(app_env, devnet)
    port = app.gateway_port
    async with app.run_test(size=(100, 34)) as pilot:
        await wait_until(pilot, lambda: app.net.connected, timeout=30)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, GatewayPanel))
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockDialog), timeout=30)
        await _type(pilot, TEST_PASSPHRASE)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.gateway_state.running, timeout=30)
        assert _listening(port)
        await pilot.press("escape")
        home = app.ctx.profile.name
        await _pick_profile(pilot, next(name for name in app.ctx.settings.profiles if name != home))
        # it paid on the profile it started with: it stops, and the wallet unlocked for it is locked
        await wait_until(pilot, lambda: app.gateway is None and not app.gateway_state.busy, timeout=30)
        assert not app.gateway_state.running and not _listening(port)
        assert app.ctx.signer(address) is None and app.net.gateway is None
