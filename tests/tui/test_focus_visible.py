"""Focus you can see: every focusable widget looks different while it has the focus, in
the app's themes (ANSI ones included, where tints vanish); the compact inputs of the new
wallet form show a bar on the focused one; the theme picked in the palette is kept."""

from __future__ import annotations

import pytest

from og_tui.core.config import load_settings
from og_tui.core.secrets import WalletStore
from og_tui.tui.app import make_app
from og_tui.tui.screens.modals import WalletFormDialog

from .helpers import TEST_KEY, TEST_PASSPHRASE, settings_for, settle, wait_until

# ChatLog (the chat transcript) is left out: how it shows focus belongs to the chat view.
SKIP = {"chat-log"}


def _app(app_env, wallet: bool = True):
    settings = settings_for(app_env)
    if wallet:
        store = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
        store.set_active(store.import_key("main", TEST_KEY, TEST_PASSPHRASE).address)
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    return app


def _look(widget) -> list:
    """What the screen shows in the widget's region (text and styles)."""
    region = widget.region
    strips = widget.screen._compositor.render_strips()
    return [
        tuple((s.text, str(s.style)) for s in strips[y].crop(region.x, region.right))
        for y in range(region.y, region.bottom)
    ]


async def _unfocused_look_differs(pilot, widget) -> bool:
    widget.focus()
    await pilot.pause()
    focused = _look(widget)
    widget.screen.set_focus(None)
    await pilot.pause()
    return _look(widget) != focused


@pytest.mark.parametrize("theme", ["ansi-dark"])  # (the strictest: no tints, few colours)
async def test_every_focusable_widget_shows_focus(app_env, theme):
    app = _app(app_env)
    missing = []
    async with app.run_test(size=(120, 40)) as pilot:
        app.theme = theme
        for mode in ("account", "hub", "inference", "chat", "workflows", "activity"):
            await app.action_goto(mode)
            await settle(pilot)
            for widget in list(app.screen.focus_chain):
                if widget.id in SKIP or not widget.region.area:
                    continue
                if not await _unfocused_look_differs(pilot, widget):
                    missing.append(f"{mode}: {widget!r}")
    assert not missing, f"no visible focus in {theme}: {missing}"


async def test_compact_passphrase_inputs_show_which_has_focus_in_every_theme(app_env):
    app = _app(app_env, wallet=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, WalletFormDialog) and app.screen.focused is not None)
        dialog = app.screen
        first, second = dialog.query_one("#pass1"), dialog.query_one("#pass2")
        assert app.focused is first

        def bars() -> tuple[str, str]:
            return _look(first)[0][0][0][0], _look(second)[0][0][0][0]

        for theme in app.available_themes:
            app.theme = theme
            first.focus()
            await pilot.pause()
            assert bars() == ("▌", " "), theme
            await pilot.press("tab")
            assert app.focused is second
            await pilot.pause()
            assert bars() == (" ", "▌"), theme


async def _palette_pick(pilot, query: str, wanted: str) -> None:
    """Type ``query`` in the open command palette and run the highlighted ``wanted`` entry."""
    from textual.command import CommandList, CommandPalette

    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
    palette = app.screen
    for ch in query:
        await pilot.press(ch)

    def highlighted() -> str:
        results = palette.query_one(CommandList)
        index = results.highlighted
        return "" if index is None else str(results.get_option_at_index(index).prompt)

    await wait_until(pilot, lambda: wanted in highlighted().lower())
    await pilot.press("enter")


async def test_theme_from_the_palette_is_kept_after_a_restart(app_env):
    app = _app(app_env)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.action_command_palette()
        await _palette_pick(pilot, "theme", "theme")  # "Theme: change the current theme"
        await _palette_pick(pilot, "nord", "nord")
        await wait_until(pilot, lambda: app.theme == "nord")
        await settle(pilot)
    assert load_settings(env=dict(app_env)).theme == "nord"
    again = _app(app_env, wallet=False)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert again.theme == "nord"


async def test_checkbox_and_candle_types_show_state_with_a_mark(app_env, monkeypatch):
    from textual.widgets import SelectionList

    from og_tui.tui.screens import workflows
    from og_tui.tui.screens.workflow_create import NewWorkflowDialog
    from og_tui.tui.widgets.marks import CHECK_ON

    monkeypatch.setattr(workflows.WorkflowsScreen, "autoload", False)
    monkeypatch.setattr(NewWorkflowDialog, "autoload", False)  # (no hub: the form alone)
    from eth_account import Account

    app = _app(app_env)
    app.ctx.remember_signer(Account.from_key(TEST_KEY))  # (unlocked: the form opens at once)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.action_goto("workflows")
        await settle(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewWorkflowDialog) and app.screen.focused is not None)
        form = app.screen
        box = form.query_one("#wf-schedule")
        assert (CHECK_ON in str(box.render())) == box.value
        box.focus()
        await pilot.press("space")
        await wait_until(pilot, lambda: (CHECK_ON in str(box.render())) == box.value)
        types = form.query_one("#wf-types", SelectionList)
        before = set(types.selected)
        prompts = [str(types.get_option_at_index(i).prompt) for i in range(types.option_count)]
        assert sum(p.startswith("✓") for p in prompts) == len(before) > 0
        types.focus()
        await pilot.press("space")  # toggles the first candle type
        await wait_until(pilot, lambda: set(types.selected) != before)
        first = str(types.get_option_at_index(0).prompt)
        assert first.startswith("✓") == (types.get_option_at_index(0).value in types.selected)
