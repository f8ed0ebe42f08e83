"""Send to one of your own wallets by its name: no 42-character address to type."""

from __future__ import annotations

import pytest

from og_tui.core.devnet_client import DevnetClient
from og_tui.core.secrets import WalletStore
from og_tui.tui import messages as m
from og_tui.tui.app import make_app
from og_tui.tui.screens.modals import ConfirmDialog, SendDialog

from .helpers import TEST_KEY, TEST_PASSPHRASE, settings_for, wait_until

pytestmark = pytest.mark.e2e


async def test_send_to_your_other_wallet_by_name(devnet, app_env):
    settings = settings_for(app_env, devnet.port)
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    main = wallets.import_key("main", TEST_KEY, TEST_PASSPHRASE)
    wallets.set_active(main.address)
    savings = wallets.create("savings", TEST_PASSPHRASE)
    DevnetClient(devnet.url).fund(main.address)
    app = make_app(settings, poll=False)
    app.ctx.remember_signer(wallets.unlock(main.address, TEST_PASSPHRASE))
    seen: list = []
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await wait_until(pilot, lambda: app.net.connected and app.net.native_wei)
        await wait_until(pilot, lambda: app.screen.query_one("#wallets").row_count == 2)
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, SendDialog) and app.screen.focused is not None)
        dialog = app.screen
        await pilot.press("s", "a", "v")
        await wait_until(pilot, lambda: dialog.query_one("#to")._suggestion == "savings")
        await pilot.press("right")  # takes the suggestion
        assert dialog.query_one("#to").value == "savings"
        await pilot.press("tab", "1", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        text = " ".join(str(s.render()) for s in app.screen.query(".dialog-line"))
        assert savings.address in text and "(savings)" in text
        await pilot.press("enter")  # (the Send button has the focus)
        await wait_until(pilot, lambda: [x for x in seen if isinstance(x, m.TxConfirmed)], timeout=30)
        assert app.ctx.chain.balance(savings.address) == 10**18
