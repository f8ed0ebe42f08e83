"""F1 and the footer in dialogs, Quit and Help kept at 80 columns, and check / radio state
readable without colour."""

from __future__ import annotations

import pytest
from textual.widgets import HelpPanel, RadioButton
from textual.widgets._footer import FooterKey

from og_tui.core.secrets import WalletStore
from og_tui.tui.app import make_app
from og_tui.tui.screens.file_picker import FilePicker
from og_tui.tui.screens.modals import WalletFormDialog
from og_tui.tui.widgets.footer import OGFooter
from og_tui.tui.widgets.marks import RADIO_OFF, RADIO_ON

from .helpers import TEST_KEY, TEST_PASSPHRASE, settings_for, settle, wait_until


def _app(app_env, wallet: bool = False):
    settings = settings_for(app_env)
    if wallet:
        store = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
        store.set_active(store.import_key("main", TEST_KEY, TEST_PASSPHRASE).address)
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    return app


def _visible_keys(screen) -> list[str]:
    """The footer keys drawn inside the footer's width, in order."""
    footer = screen.query_one(OGFooter)
    right = footer.region.right
    return [
        w.key
        for w in footer.query(FooterKey)
        if w.region.width > 0 and w.region.right <= right and not w.has_class("-command-palette")
    ]


async def test_f1_and_the_footer_in_a_dialog(app_env):
    app = _app(app_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, WalletFormDialog) and app.screen.focused is not None)
        dialog = app.screen
        await settle(pilot)
        keys = _visible_keys(dialog)
        assert keys[:2] == ["ctrl+q", "f1"] and "escape" in keys  # the dialog's own keys, not the screen's
        assert "f" not in keys  # (the Account screen's Faucet key)
        await pilot.press("f1")
        await wait_until(pilot, lambda: bool(dialog.query(HelpPanel)))
        await pilot.press("f1")
        await wait_until(pilot, lambda: not dialog.query(HelpPanel))
        assert app.screen is dialog


async def test_file_picker_footer_names_ctrl_t(app_env, tmp_path):
    app = _app(app_env)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(FilePicker("Pick a model", start=str(tmp_path), extensions=(".onnx",)))
        await wait_until(pilot, lambda: isinstance(app.screen, FilePicker))
        await settle(pilot)
        assert "ctrl+t" in _visible_keys(app.screen)


@pytest.mark.parametrize("mode", ["account", "hub", "inference", "workflows", "activity"])
async def test_quit_and_help_fit_at_80_columns(app_env, mode):
    app = _app(app_env, wallet=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.action_goto(mode)
        await settle(pilot)
        footer = app.screen.query_one(OGFooter)

        def fitted() -> bool:  # (the footer is fitted on a timer after a resize: under load, a frame later)
            palette = [w for w in footer.query(FooterKey) if w.has_class("-command-palette")]
            return _visible_keys(app.screen)[:2] == ["ctrl+q", "f1"] and palette[0].region.right == footer.region.right

        try:
            await wait_until(pilot, fitted, timeout=5)
        except AssertionError:
            pass  # (the asserts below say what is wrong)
        keys = _visible_keys(app.screen)
        assert keys[:2] == ["ctrl+q", "f1"], keys
        # the palette key closes the line: no column of the keys behind it shows at the edge
        [palette] = [w for w in footer.query(FooterKey) if w.has_class("-command-palette")]
        assert palette.region.right == footer.region.right


async def test_radio_and_checkbox_state_has_a_mark(app_env):
    app = _app(app_env, wallet=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.action_goto("inference")
        await settle(pilot)
        buttons = {b.id: b for b in app.screen.query(RadioButton)}
        texts = {i: str(b.render()) for i, b in buttons.items()}
        on = [i for i, b in buttons.items() if b.value]
        assert len(on) == 1 and RADIO_ON in texts[on[0]]
        assert all(RADIO_OFF in t and RADIO_ON not in t for i, t in texts.items() if i not in on)
        app.screen.set_mode("TEE")
        await pilot.pause()
        assert RADIO_ON in str(buttons["mode-tee"].render())
        assert RADIO_OFF in str(buttons[on[0]].render())


@pytest.mark.parametrize("mode", ["account", "hub", "inference", "chat", "workflows", "activity"])
async def test_no_footer_key_is_cut_at_80_columns(app_env, mode):
    from textual.widgets._footer import FooterLabel, KeyGroup

    app = _app(app_env, wallet=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.action_goto(mode)
        await settle(pilot)
        footer = app.screen.query_one(OGFooter)
        [palette] = [w for w in footer.query(FooterKey) if w.has_class("-command-palette")]
        shown = [
            w
            for w in footer.children
            if w is not palette and w.display and isinstance(w, (FooterKey, KeyGroup, FooterLabel))
        ]
        assert shown and all(w.region.right <= palette.region.x for w in shown), [
            (str(getattr(w, "key", w)), w.region) for w in shown
        ]
        # wider: the keys left out come back
        before = len(shown)
        await pilot.resize_terminal(160, 24)
        await settle(pilot)
        assert len([w for w in footer.children if w is not palette and w.display]) >= before
