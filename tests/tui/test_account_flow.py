"""Pilot tests of onboarding, unlock and send against a real devnet.

They assert on the messages the workers post (the app's bus) and on the chain itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.notifications import Notify

from og_tui.core.chain import ChainClient
from og_tui.core.devnet_client import DevnetClient
from og_tui.core.secrets import WalletStore
from og_tui.core.store import Store
from og_tui.tui import messages as m
from og_tui.tui.app import make_app
from og_tui.tui.screens.modals import ConfirmDialog, SendDialog, UnlockDialog, WalletFormDialog

from .helpers import TEST_KEY, TEST_PASSPHRASE, press_ok, settings_for, wait_until

pytestmark = pytest.mark.e2e

RECIPIENT = "0x8ba1f109551bD432803012645Ac136ddd64DBA72"


def _recorder():
    seen: list = []
    return seen, seen.append


def _of(seen, kind):
    return [msg for msg in seen if isinstance(msg, kind)]


async def _type(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch)


def _all_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


async def test_onboarding_create_and_fund(devnet, app_env):
    settings = settings_for(app_env, devnet.port)
    app = make_app(settings, poll=False)
    seen, hook = _recorder()
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        assert app.screen.query("#onboarding") and not app.screen.query("#account-body")
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, WalletFormDialog))
        # a passphrase that is too short is refused inline
        await _type(pilot, "short")
        await pilot.press("enter")
        await _type(pilot, "short")
        await pilot.press("enter")
        await pilot.pause()
        assert "at least 8" in str(app.screen.query_one(".dialog-error").render())
        app.screen.query_one("#pass1").value = TEST_PASSPHRASE
        app.screen.query_one("#pass2").value = TEST_PASSPHRASE
        await press_ok(pilot)
        await wait_until(pilot, lambda: _of(seen, m.FaucetFunded), timeout=60)
        await wait_until(pilot, lambda: (app.net.native_wei or 0) > 0 and (app.net.token_units or 0) > 0)
        await wait_until(pilot, lambda: app.screen.query("#account-body") and not app.screen.query("#onboarding"))

    wallets = WalletStore(settings.data_dir, keyring_mode="file")
    [info] = wallets.list_wallets()
    assert info.address == app.net.address and info.storage == "keystore"
    account = wallets.unlock(info.address, TEST_PASSPHRASE)
    # the key is on disk only encrypted
    raw = _all_bytes(settings.data_dir)
    assert account.key.hex().removeprefix("0x").encode() not in raw
    assert _of(seen, m.WalletsChanged)
    kinds = {tx.kind for tx in Store(settings.db_path).list_txs()}
    assert {"faucet-native", "faucet-token"} <= kinds


async def test_unlock_retry_then_send(devnet, app_env):
    settings = settings_for(app_env, devnet.port)
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    info = wallets.import_key("main", TEST_KEY, TEST_PASSPHRASE)
    wallets.set_active(info.address)
    DevnetClient(devnet.url).fund(info.address)
    chain = ChainClient(devnet.rpc_url)
    before = chain.balance(RECIPIENT)

    app = make_app(settings, poll=False)
    seen, hook = _recorder()
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: (app.net.native_wei or 0) > 0)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockDialog))
        await _type(pilot, "not the passphrase")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Wrong passphrase" in str(app.screen.query_one(".dialog-error").render()))
        assert isinstance(app.screen, UnlockDialog)  # still open: retry
        assert wallets.get(info.address) is not None  # nothing deleted
        await _type(pilot, TEST_PASSPHRASE)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SendDialog))
        assert _of(seen, m.WalletUnlocked)

        # bad input is refused inline and nothing is sent
        dialog = app.screen
        for to, amount, expected in [
            ("0x8ba1f109551bd432803012645Ac136ddd64DBA72", "1", "checksum"),
            ("0x1234", "1", "address"),
            (RECIPIENT, "-1", "amount"),
            (RECIPIENT, "0.0000000000000000001", "decimals"),
            (RECIPIENT, "1000000", "balance"),
        ]:
            dialog.query_one("#to").value = to
            dialog.query_one("#amount").value = amount
            await press_ok(pilot)
            await pilot.pause()
            assert expected in str(dialog.query_one(".dialog-error").render()).lower()
            assert app.screen is dialog
        assert not _of(seen, m.TxSubmitted)

        dialog.query_one("#to").value = RECIPIENT
        dialog.query_one("#amount").value = "1.25"
        await press_ok(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "1.25 OG" in " ".join(str(s.render()) for s in app.screen.query(".dialog-line"))
        await press_ok(pilot)
        await wait_until(pilot, lambda: _of(seen, m.TxConfirmed), timeout=30)

    [submitted] = _of(seen, m.TxSubmitted)
    [confirmed] = _of(seen, m.TxConfirmed)
    assert confirmed.tx_hash == submitted.tx_hash and confirmed.status == "confirmed"
    assert chain.balance(RECIPIENT) - before == 1_250_000_000_000_000_000
    record = Store(settings.db_path).get_tx(confirmed.tx_hash)
    assert record.status == "confirmed" and record.gas_used == 21000 and record.block == confirmed.block


async def test_send_token(devnet, app_env):
    settings = settings_for(app_env, devnet.port)
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    info = wallets.import_key("main", TEST_KEY, TEST_PASSPHRASE)
    wallets.set_active(info.address)
    DevnetClient(devnet.url).fund(info.address)
    token = settings.profile.payment_token
    chain = ChainClient(devnet.rpc_url)
    before = chain.token_balance(token, RECIPIENT)

    app = make_app(settings, poll=False)
    app.ctx.remember_signer(wallets.unlock(info.address, TEST_PASSPHRASE))
    seen, hook = _recorder()
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: (app.net.token_units or 0) > 0)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SendDialog))
        app.screen.query_one("#to").value = RECIPIENT
        app.screen.query_one("#amount").value = "2.5"
        app.screen.query_one("#token").value = "OUSDC"
        await press_ok(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await press_ok(pilot)
        await wait_until(pilot, lambda: _of(seen, m.TxConfirmed), timeout=30)
    assert chain.token_balance(token, RECIPIENT) - before == 2_500_000
    [confirmed] = _of(seen, m.TxConfirmed)
    assert confirmed.kind == "transfer-token"
    # the confirmation names the transaction
    mined = [n.notification for n in _of(seen, Notify) if n.notification.title == "Transaction mined"]
    assert mined and confirmed.tx_hash in mined[-1].message


async def test_send_to_your_other_wallet_by_name(devnet, app_env):
    """The To field takes one of your wallets by name: typing its first letters and → completes
    it, the review names it next to its address, and the OG arrive there; an unknown name is
    refused inline, naming the wallets there are."""
    settings = settings_for(app_env, devnet.port)
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    info = wallets.import_key("main", TEST_KEY, TEST_PASSPHRASE)
    savings = wallets.create("Savings", TEST_PASSPHRASE)
    wallets.set_active(info.address)
    DevnetClient(devnet.url).fund(info.address)
    chain = ChainClient(devnet.rpc_url)
    before = chain.balance(savings.address)

    app = make_app(settings, poll=False)
    app.ctx.remember_signer(wallets.unlock(info.address, TEST_PASSPHRASE))
    seen, hook = _recorder()
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: (app.net.native_wei or 0) > 0)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SendDialog))
        dialog = app.screen
        assert dialog.wallets == {"Savings": savings.address}  # the active wallet is not offered
        await _type(pilot, "nope")
        await pilot.press("tab")
        await _type(pilot, "1")
        await press_ok(pilot)
        await pilot.pause()
        error = str(dialog.query_one(".dialog-error").render())
        assert "No wallet is called 'nope'" in error and "Savings" in error
        to = dialog.query_one("#to")
        to.value = ""
        to.focus()
        await _type(pilot, "sa")
        await pilot.press("right")  # accept the suggestion
        assert to.value == "Savings"
        await press_ok(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        lines = " ".join(str(s.render()) for s in app.screen.query(".dialog-line"))
        assert f"{savings.address} (Savings)" in lines
        await press_ok(pilot)
        await wait_until(pilot, lambda: _of(seen, m.TxConfirmed), timeout=30)
    assert chain.balance(savings.address) - before == 10**18


async def test_disconnect_and_reconnect(fresh_devnet, app_env):
    settings = settings_for(app_env, fresh_devnet.port)
    app = make_app(settings, poll=False)
    seen, hook = _recorder()
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        fresh_devnet.stop()
        app.poll_chain()
        await wait_until(pilot, lambda: app.net.connected is False)
        from og_tui.tui.widgets.status_bar import StatusBar

        assert "disconnected" in str(app.screen.query_one(StatusBar).render())
        await pilot.press("f7")  # the app keeps working while the chain is away
        assert app.current_mode == "activity"
        fresh_devnet.start()
        app.poll_chain()
        await wait_until(pilot, lambda: app.net.connected is True, timeout=30)
    statuses = [msg.connected for msg in _of(seen, m.ChainStatus)]
    assert statuses[0] is True and False in statuses and statuses[-1] is True
