"""Account screen: export keeps its dialog on a wrong passphrase, r reloads wallets made
elsewhere, the texts name the keys of the active keymap and the real hub state."""

from __future__ import annotations

from textual.widgets import Static

from og_tui.core.secrets import WalletStore
from og_tui.tui.app import make_app
from og_tui.tui.screens.modals import ExportDialog

from .helpers import TEST_KEY, TEST_PASSPHRASE, press_ok, settings_for, wait_until


def _offline_app(settings):
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    return app


def _wallet(settings):
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    info = wallets.import_key("main", TEST_KEY, TEST_PASSPHRASE)
    wallets.set_active(info.address)
    return wallets, info


async def test_export_with_a_wrong_passphrase_keeps_the_dialog_and_the_path(app_env, tmp_path):
    settings = settings_for(app_env)
    _wallet(settings)
    app = _offline_app(settings)
    out = tmp_path / "backup.json"
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog))
        dialog = app.screen
        dialog.query_one("#path").value = str(out)
        dialog.query_one("#pass").value = "not the passphrase"
        await press_ok(pilot)
        error = dialog.query_one(".dialog-error", Static)
        await wait_until(
            pilot, lambda: "passphrase" in str(error.render()).lower() and "…" not in str(error.render()), timeout=30
        )
        assert app.screen is dialog  # still open, like Unlock
        assert dialog.query_one("#path").value == str(out)
        assert dialog.query_one("#pass").value == "" and app.focused is dialog.query_one("#pass")
        assert not out.exists()
        dialog.query_one("#pass").value = TEST_PASSPHRASE
        await press_ok(pilot)
        await wait_until(pilot, lambda: out.exists() and app.screen is not dialog, timeout=30)


async def test_r_reloads_wallets_created_elsewhere(app_env):
    settings = settings_for(app_env)
    _wallets, _info = _wallet(settings)
    app = _offline_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.screen.query_one("#wallets")
        await wait_until(pilot, lambda: table.row_count == 1)
        # the CLI (another process, its own store object) adds a wallet meanwhile
        other = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
        other.import_key("cli", "0x" + "11" * 32, TEST_PASSPHRASE)
        await pilot.press("r")
        await wait_until(pilot, lambda: table.row_count == 2)


async def test_welcome_names_the_faucet_key_of_the_keymap(app_env):
    settings = settings_for(app_env)
    app = _offline_app(settings)
    app.set_keymap({"account.fund": "F"})
    async with app.run_test(size=(100, 30)) as pilot:
        intro = app.screen.query_one("#onboard-intro", Static)
        await wait_until(pilot, lambda: "faucet" in str(intro.render()))
        text = str(intro.render())
        assert "Press F " in text and "Press f " not in text


async def test_hub_line_while_signed_in(devnet, app_env):
    import uuid

    from og_tui.tui.hub_session import hub_sessions

    settings = settings_for(app_env, devnet.port)
    _wallet(settings)
    app = make_app(settings, poll=False)
    async with app.run_test(size=(100, 30)) as pilot:
        line = app.screen.query_one("#acct-hub", Static)
        await wait_until(pilot, lambda: "h to sign in" in str(line.render()))
        email = f"acct-{uuid.uuid4().hex[:8]}@example.com"
        hub_sessions(app.ctx).sign_in(email, "hub-pass-123", create=True, remember=False)
        await pilot.press("f3")
        await pilot.press("f2")
        await wait_until(pilot, lambda: email in str(line.render()))
        assert "h to sign in" not in str(line.render())
