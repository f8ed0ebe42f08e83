"""Navigation: F-keys and digits, the command palette, F1 help, typing digits in a field."""

from __future__ import annotations

import pytest
from textual.command import CommandInput, CommandList, CommandPalette
from textual.widgets import HelpPanel, Input

from og_tui.tui.app import make_app
from og_tui.tui.screens import SCREENS
from og_tui.tui.screens.modals import WalletFormDialog

from .helpers import settings_for, settle, wait_until


def _offline_app(app_env):
    app = make_app(settings_for(app_env), autostart_devnet=False, poll=False)
    app.connect = lambda: None
    return app


async def test_fkeys_and_digits_switch_screens(app_env):
    app = _offline_app(app_env)
    async with app.run_test(size=(120, 40)) as pilot:
        for name, spec in reversed(list(SCREENS.items())):
            await pilot.press(spec.fkey)
            await wait_until(pilot, lambda: app.current_mode == name)
        await pilot.press("escape")
        for name, spec in SCREENS.items():
            if name in {"hub", "chat", "inference", "workflows"}:
                continue  # their screens take digit keys in focused inputs
            await pilot.press(spec.digit)
            await wait_until(pilot, lambda: app.current_mode == name)


async def test_palette_and_help(app_env):
    app = _offline_app(app_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        await wait_until(pilot, lambda: bool(app.screen.query(HelpPanel)))
        await pilot.press("f1")
        await wait_until(pilot, lambda: not app.screen.query(HelpPanel))
        await pilot.press("ctrl+p")
        await wait_until(
            pilot, lambda: isinstance(app.screen, CommandPalette) and app.screen.query_one(CommandInput).has_focus
        )
        palette = app.screen
        for ch in "go: activity":
            await pilot.press(ch if ch != " " else "space")

        def best_hit_is_activity() -> bool:
            hits = palette.query_one(CommandList)
            return hits.highlighted == 0 and "go: activity" in str(hits.get_option_at_index(0).prompt)

        await wait_until(pilot, best_hit_is_activity)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.current_mode == "activity")


async def test_focused_fields_do_not_blink_when_the_app_says_so(app_env):
    from textual.widgets import TextArea

    app = _offline_app(app_env)
    assert app.cursor_blink is False  # tests/tui/conftest.py: snapshots never catch a cursor mid-blink
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, WalletFormDialog))
        name = app.screen.query_one("#name", Input)
        name.focus()
        await wait_until(pilot, lambda: name.has_focus and name.cursor_blink is False)
        await pilot.press("escape")
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.current_mode == "chat")
        prompt = app.screen.query_one("#prompt", TextArea)
        prompt.focus()
        await wait_until(pilot, lambda: prompt.has_focus and prompt.cursor_blink is False)


async def test_digits_typed_into_a_field_do_not_navigate(app_env):
    app = _offline_app(app_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, WalletFormDialog))
        app.screen.query_one("#name", Input).focus()
        await pilot.pause()
        await pilot.press("end", "3", "6")
        await pilot.pause()
        assert app.screen.query_one("#name", Input).value.endswith("36")
        assert app.current_mode == "account"


async def test_fkeys_leave_the_chat_prompt_and_the_json_editor(app_env):
    """TextArea binds F6/F7 to selection; in the chat prompt and the inference editor they stay screen keys."""
    from textual.widgets import TextArea

    app = _offline_app(app_env)
    async with app.run_test(size=(120, 40)) as pilot:
        for screen_key, editor in (("f5", "#prompt"), ("f4", "#inf-editor")):
            for target, mode in (("f6", "workflows"), ("f7", "activity")):
                await pilot.press(screen_key)
                await wait_until(pilot, lambda: app.current_mode in ("chat", "inference"))
                area = app.screen.query_one(editor, TextArea)
                area.focus()
                await pilot.pause()
                await pilot.press(target)
                await wait_until(pilot, lambda: app.current_mode == mode)


async def test_nav_strip_shows_the_keys_of_the_keymap(app_env):
    """A [keymap] that remaps nav.* in config.toml: the strip shows the new keys, and they work."""
    from pathlib import Path

    from og_tui.tui.screens.base import NavBar

    config = Path(app_env["OG_TUI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text('[keymap]\n"nav.hub" = "f12,2"\n"nav.chat" = "ctrl+y"\n')
    app = _offline_app(app_env)

    def strip() -> str:
        return app.screen.query_one(NavBar).render().plain

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: "F12 Hub" in strip())
        assert " ^y Chat " in strip()
        assert "F3 Hub" not in strip() and "F5 Chat" not in strip()
        assert " F2 Account " in strip() and " F7 Activity " in strip()  # the others keep the registry's keys
        await pilot.press("f12")
        await wait_until(pilot, lambda: app.current_mode == "hub")
        assert "F12 Hub" in strip()  # a screen made later shows them too
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: app.current_mode == "chat")
        # changed while the app runs: the strip on screen follows at once, the others when shown
        app.update_keymap({"nav.activity": "f11"})
        await wait_until(pilot, lambda: " F11 Activity " in strip())
        await pilot.press("f11")
        await wait_until(pilot, lambda: app.current_mode == "activity")
        await pilot.press("f12")
        await wait_until(pilot, lambda: app.current_mode == "hub" and " F11 Activity " in strip())


@pytest.mark.parametrize(
    ("key", "mode", "pane"),
    [
        ("f2", "account", "#wallets"),
        ("f3", "hub", "#hub-models"),
        ("f4", "inference", "#inf-editor"),
        ("f5", "chat", "#prompt"),
        ("f6", "workflows", "#wf-list"),
        ("f7", "activity", "#txs"),
    ],
)
async def test_the_screen_key_again_focuses_the_main_pane(app_env, key, mode, pane):
    """On a screen, its own key puts the focus back on the screen's main pane from wherever it
    wandered (or from nowhere)."""
    from og_tui.core.secrets import WalletStore

    from .helpers import TEST_KEY, TEST_PASSPHRASE

    settings = settings_for(app_env)
    store = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    store.set_active(store.import_key("main", TEST_KEY, TEST_PASSPHRASE).address)
    from og_tui.core.store import Store

    db = Store(settings.db_path)  # (Activity shows its table once there is a transaction)
    db.add_tx(hash="0x" + "ab" * 32, kind="faucet-native", status="confirmed", profile="local")
    db.close()
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(key)
        await wait_until(pilot, lambda: app.current_mode == mode)
        await settle(pilot)
        target = app.screen.query_one(pane)
        app.screen.set_focus(None)
        await pilot.pause()
        assert app.screen.focused is not target
        await pilot.press(key)
        await wait_until(pilot, lambda: app.screen.focused is target)
