"""Chat over x402 v2 (OPG through Permit2) in the app against a real devnet: a profile with
``x402_version = "2"`` offers the v2 settlement modes and an OPG spend cap, asks before it
sends the Permit2 approve (token, spender, amount, gas), sends nothing on no, and after yes
pays the reply in OPG with a payment line naming token, scheme and settlement mode."""

from __future__ import annotations

import pytest
from eth_account import Account
from textual.widgets import Label, Select

from og_tui.core import constants
from og_tui.core.chain import ChainClient
from og_tui.core.devnet_client import DevnetClient
from og_tui.core.opg_allowance import read_allowance
from og_tui.core.secrets import WalletStore
from og_tui.core.store import Store
from og_tui.tui.app import make_app
from og_tui.tui.screens.chat import ChatScreen
from og_tui.tui.screens.modals import ConfirmDialog
from og_tui.tui.widgets.chat_view import AssistantMessage

from .helpers import TEST_PASSPHRASE, press_ok, settings_for, wait_until
from .test_chat_screen import _of, _open_chat, _say

pytestmark = pytest.mark.e2e


def _v2_settings(app_env, devnet, extra: str = "", version: str = "2"):
    from pathlib import Path

    config = Path(app_env["OG_TUI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(f'[profiles.local]\nx402_version = "{version}"\n' + extra)
    settings = settings_for(app_env, devnet.port)
    assert settings.profile.x402_version == version
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    info = wallets.import_key("v2", "0x" + bytes(Account.create().key).hex(), TEST_PASSPHRASE)  # its own allowance
    wallets.set_active(info.address)
    DevnetClient(devnet.url).fund(info.address)  # (the faucet gives OPG too)
    app = make_app(settings, poll=False)
    app.ctx.remember_signer(wallets.unlock(info.address, TEST_PASSPHRASE))
    return settings, app, info.address


def _dialog_text(app) -> str:
    return "\n".join(str(s.render()) for s in app.screen.query(".dialog-line"))


async def test_v2_chat_asks_to_approve_opg_then_pays_in_opg(devnet, app_env):
    settings, app, address = _v2_settings(app_env, devnet)
    seen: list = []
    with ChainClient(devnet.rpc_url) as chain:
        async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
            screen = await _open_chat(pilot, max_tokens=40)
            pane = screen.params_pane
            await wait_until(pilot, lambda: pane.query_one("#p-cap").value == "0.5")  # llm_cap_opg_per_request
            settlement = pane.query_one("#p-settlement", Select)
            assert [str(o[1]) for o in settlement._options if o[1] is not Select.NULL] == ["batch", "private"]
            assert "(OPG)" in str(pane.query_one("#p-cap-label", Label).render())
            settlement.value = "private"
            await _say(pilot, screen, "How does upto settle?")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout=30)
            [failed] = _of(seen, ChatScreen.Failed)
            assert failed.kind == "allowance" and f"approve({constants.PERMIT2_ADDRESS}, " in failed.text
            text = _dialog_text(app)
            for part in (
                f"token    OPG {constants.OPG_DEVNET_ADDRESS}",
                f"spender  Permit2 {constants.PERMIT2_ADDRESS}",
                "amount   5 OPG",  # the per-run OPG cap, so one approve serves a run of replies
                "gas      about",
            ):
                assert part in text, text
            # no: nothing is sent
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
            assert read_allowance(chain, constants.OPG_DEVNET_ADDRESS, address) == 0
            assert not Store(settings.db_path).list_payments()
            # ctrl+r asks again; yes approves, then the message goes again and is paid in OPG
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), timeout=30)
            await press_ok(pilot)
            await wait_until(pilot, lambda: _of(seen, ChatScreen.Finished), timeout=40)
            meta = _of(seen, ChatScreen.Finished)[0].meta
            assert meta["x402_version"] == 2 and meta["payment_token"] == "OPG" and meta["settlement_mode"] == "private"
            reply = screen.query(AssistantMessage).last()
            await wait_until(pilot, lambda: not reply.streaming)
            footer = str(reply.query_one(".reply-footer").render())
            assert f"{meta['cost_text']} · x402 v2 upto · private · settled 0x" in footer, footer
            assert screen.session.opg_caps.spent == int(meta["cost"]) > 0
            assert "OPG" in str(pane.query_one("#p-spent").render())
        left = read_allowance(chain, constants.OPG_DEVNET_ADDRESS, address)
    assert left == 5 * 10**18 - int(meta["cost"])
    db = Store(settings.db_path)
    assert [(t.kind, t.status) for t in db.list_txs()] == [("approve-opg", "confirmed")]
    [payment] = db.list_payments()
    assert payment.token == constants.OPG_DEVNET_ADDRESS and payment.mode == "private"
    assert payment.amount == int(meta["cost"])  # upto: what the streamed reply cost, not the maximum


async def test_a_402_the_profile_cannot_pay_names_the_scheme_and_network(devnet, app_env):
    """A profile paying x402 v2 on another chain than the gateway's: the reply fails naming
    what the server asked for and what the profile pays; nothing is signed or asked."""
    settings, app, _address = _v2_settings(app_env, devnet, "x402_v2_chain_id = 8453\n")
    seen: list = []
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        screen = await _open_chat(pilot)
        await _say(pilot, screen, "Hello")
        await wait_until(pilot, lambda: _of(seen, ChatScreen.Failed), timeout=30)
        [failed] = _of(seen, ChatScreen.Failed)
        assert failed.kind == "payment"
        assert "upto on eip155:107401" in failed.text and "on eip155:8453" in failed.text, failed.text
        reply = screen.query(AssistantMessage).last()
        await wait_until(pilot, lambda: "eip155:8453" in str(reply.query_one(".reply-error").render()))
        assert not isinstance(app.screen, ConfirmDialog)
    assert not Store(settings.db_path).list_payments()


async def test_a_v2_profile_shows_the_wallets_opg(devnet, app_env):
    from og_tui.tui.widgets.status_bar import status_content

    _settings, app, _address = _v2_settings(app_env, devnet)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        app.poll_chain()
        await wait_until(pilot, lambda: app.net.opg_units is not None, timeout=20)
        assert app.net.opg_units == 1_000 * 10**18  # the devnet faucet's OPG
        assert "1,000 OUSDC · 1,000 OPG" in str(status_content(app.net))


async def test_an_auto_profile_keeps_the_v1_controls_and_shows_both_caps(devnet, app_env):
    _settings, app, _address = _v2_settings(app_env, devnet, version="auto")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_chat(pilot)
        pane = screen.params_pane
        await wait_until(pilot, lambda: "OPG" in str(pane.query_one("#p-spent").render()))
        options = pane.query_one("#p-settlement", Select)._options
        assert [str(o[1]) for o in options if o[1] is not Select.NULL] == ["settle-batch", "settle", "settle-metadata"]
        assert "(OUSDC)" in str(pane.query_one("#p-cap-label", Label).render())
        await wait_until(pilot, lambda: "OPG" in str(pane.query_one("#p-spent").render()))
        assert str(pane.query_one("#p-spent").render()) == "spent this run 0 / 5 OUSDC · 0 / 5 OPG"
