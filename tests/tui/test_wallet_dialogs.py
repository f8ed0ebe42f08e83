"""Pilot tests of the wallet dialogs that need no chain: import, export, delete, profiles."""

from __future__ import annotations

import json

from eth_account import Account

from og_tui.core.secrets import WalletStore
from og_tui.tui import messages as m
from og_tui.tui.app import make_app
from og_tui.tui.screens.modals import ConfirmDialog, ExportDialog, ProfileDialog, WalletFormDialog

from .helpers import TEST_KEY, TEST_PASSPHRASE, press_ok, settings_for, settle, wait_until


def _offline_app(settings):
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    return app


def _error_text(app) -> str:
    return str(app.screen.query_one(".dialog-error").render())


async def test_import_key_rejects_bad_keys_then_imports(app_env):
    settings = settings_for(app_env)
    app = _offline_app(settings)
    seen: list = []
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, WalletFormDialog))
        dialog = app.screen
        dialog.query_one("#pass1").value = TEST_PASSPHRASE
        dialog.query_one("#pass2").value = TEST_PASSPHRASE
        for bad in ["0x1234", "zz" * 32, "0x" + "ab" * 33, ""]:
            dialog.query_one("#key").value = bad
            await press_ok(pilot)
            await pilot.pause()
            text = _error_text(app)
            assert text, bad
            assert bad.removeprefix("0x")[:16] not in text or not bad  # the key is never echoed
            assert app.screen is dialog
        dialog.query_one("#key").value = TEST_KEY
        await press_ok(pilot)
        await wait_until(pilot, lambda: app.net.address is not None)
    expected = Account.from_key(TEST_KEY).address
    assert app.net.address == expected
    assert any(isinstance(msg, m.WalletsChanged) for msg in seen)
    [info] = WalletStore(settings.data_dir, keyring_mode="file").list_wallets()
    assert info.address == expected


async def test_import_keystore_file(app_env, tmp_path):
    settings = settings_for(app_env)
    keystore = Account.encrypt(TEST_KEY, "file passphrase", kdf="scrypt", iterations=1024)
    path = tmp_path / "wallet.json"
    path.write_text(json.dumps(keystore))
    app = _offline_app(settings)
    seen: list = []
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        await pilot.press("K")
        await wait_until(pilot, lambda: isinstance(app.screen, WalletFormDialog))
        dialog = app.screen
        dialog.query_one("#path").value = str(tmp_path / "missing.json")
        await press_ok(pilot)
        await pilot.pause()
        assert "No file" in _error_text(app)
        dialog.query_one("#path").value = str(path)
        dialog.query_one("#file-pass").value = "wrong passphrase"
        await press_ok(pilot)
        await wait_until(pilot, lambda: app.screen is not dialog)
        # the import ran and failed (reported), and imported nothing
        await wait_until(pilot, lambda: any(isinstance(e, m.OperationFailed) and e.what == "Wallet" for e in seen))
        await settle(pilot)
        assert app.net.address is None and not app.ctx.wallets.list_wallets()
        await pilot.press("K")
        await wait_until(pilot, lambda: isinstance(app.screen, WalletFormDialog))
        app.screen.query_one("#path").value = str(path)
        field = app.screen.query_one("#file-pass")
        field.value = "file passphrase"
        field.focus()
        await pilot.press("enter")  # (the error toast of the first try may cover the OK button)
        await wait_until(pilot, lambda: app.net.address is not None)
    assert app.net.address == Account.from_key(TEST_KEY).address
    assert app.ctx.signer(app.net.address) is not None


async def test_export_then_delete(app_env, tmp_path):
    settings = settings_for(app_env)
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    info = wallets.import_key("main", TEST_KEY, TEST_PASSPHRASE)
    wallets.set_active(info.address)
    app = _offline_app(settings)
    out = tmp_path / "backup.json"
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        app.screen.query_one("#path").value = str(out)
        app.screen.query_one("#pass").value = TEST_PASSPHRASE
        await press_ok(pilot)
        await wait_until(pilot, lambda: out.exists(), timeout=30)
        assert (out.stat().st_mode & 0o777) == 0o600
        restored = Account.from_key(Account.decrypt(json.loads(out.read_text()), TEST_PASSPHRASE))
        assert restored.address == info.address

        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("escape")  # cancel keeps the wallet
        await settle(pilot, lambda: not isinstance(app.screen, ConfirmDialog))  # closed, nothing started
        assert wallets.get(info.address) is not None
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await press_ok(pilot)
        await wait_until(pilot, lambda: app.net.address is None)
        await wait_until(pilot, lambda: bool(app.screen.query("#onboarding")))
    assert WalletStore(settings.data_dir, keyring_mode="file").list_wallets() == []


async def test_switch_profile(app_env):
    settings = settings_for(app_env)
    app = _offline_app(settings)
    seen: list = []
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        assert app.net.is_devnet
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ProfileDialog))
        options = app.screen.query_one("#profiles")
        names = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert {"local", "opengradient"} <= set(names)
        options.highlighted = names.index("opengradient")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.ctx.profile.name == "opengradient")
        assert not app.net.is_devnet
        assert app.check_action("fund", ()) is not False  # app-level check is neutral
        assert app.screen.check_action("fund", ()) is None  # no faucet on a real network
    assert any(isinstance(msg, m.ProfileChanged) and msg.name == "opengradient" for msg in seen)


async def test_entering_a_field_keeps_its_text(app_env):
    """Tab or shift+tab into a field puts the cursor at its end and selects nothing: the next key
    extends the value instead of replacing it (the new-wallet form's name, say)."""
    app = _offline_app(settings_for(app_env))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, WalletFormDialog))
        dialog = app.screen
        name = dialog.query_one("#name")
        start = name.value
        assert start and dialog.focused is not name
        while dialog.focused is not name:
            await pilot.press("shift+tab")
        assert name.selection.is_empty and name.cursor_position == len(start)
        await pilot.press("2")
        assert name.value == start + "2"
