"""The key reference (?), the notification history and the Log view, in the real app."""

from __future__ import annotations

import logging

import pytest
from textual.widgets import Input, Log, OptionList, Static

from og_tui.core.log import setup_logging
from og_tui.core.secrets import WalletStore
from og_tui.tui.app import make_app
from og_tui.tui.screens.key_reference import KeyReference, sections_text
from og_tui.tui.screens.log_view import LogScreen
from og_tui.tui.screens.notices_view import NotificationsScreen
from og_tui.tui.widgets.footer import OGFooter

from .helpers import TEST_KEY, TEST_PASSPHRASE, settings_for, settle, wait_until
from .stall_probe import StallProbe


def _app(app_env, wallet: bool = True):
    settings = settings_for(app_env)
    if wallet:
        store = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
        store.set_active(store.import_key("main", TEST_KEY, TEST_PASSPHRASE).address)
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    return app


def _text(widget) -> str:
    return str(widget.render())


def _log_lines(app) -> list[str]:
    return list(app.screen.query_one(Log).lines)


# --- ? ------------------------------------------------------------------------------------------


async def test_question_mark_opens_the_key_reference_and_esc_closes_it(app_env):
    app = _app(app_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        account = app.screen
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, KeyReference))
        body = sections_text(app.screen.sections)
        # the screen's own keys, the app's, grouped, with descriptions
        assert "Account screen" in body and "Everywhere" in body
        assert "Faucet" in body and "Send" in body  # Account's f and s
        assert "F10" in body and "Log" in body and "alt+n" in body
        assert "F2, 1" in body and "go to Account" in body
        assert "^p" in body and "command palette" in body
        # scrollable: the list is longer than the screen, j scrolls it
        scroll = app.screen.query_one("#keys-scroll")
        assert scroll.max_scroll_y > 0
        await pilot.press("j")
        await wait_until(pilot, lambda: scroll.scroll_y > 0)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is account)


async def test_question_mark_in_a_text_field_is_typed(app_env):
    app = _app(app_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.action_goto("hub")
        await settle(pilot)
        field = app.screen.query_one("#hub-search", Input)
        field.focus()
        await pilot.pause()
        await pilot.press("w", "h", "o", "question_mark")
        await wait_until(pilot, lambda: field.value == "who?")
        await settle(pilot)
        assert not isinstance(app.screen, KeyReference)


async def test_key_reference_lists_the_focused_pane_first(app_env):
    app = _app(app_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.action_goto("activity")
        await settle(pilot)
        table = app.screen.query_one("#txs")
        table.focus()
        await pilot.pause()
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, KeyReference))
        titles = [s.title for s in app.screen.sections]
        assert titles[0] == "Activity screen" and titles[-1] == "Everywhere"
        assert titles[1].startswith("Focused: table")
        focused = dict((desc, keys) for keys, desc in app.screen.sections[1].rows)
        # one row per action, all its keys: the arrow and the vim motion together
        assert focused.get("Cursor down") == "↓, j" and focused.get("Bottom") == "^end, G"


async def test_key_reference_leaves_out_keys_the_pane_turns_off(app_env):
    """The chat prompt leaves F6/F7 to the screen keys (TextArea's select line / select all are
    off there): the reference lists F6 and F7 as Workflows and Activity, not as selections."""
    from og_tui.tui.screens.key_reference import reference_sections

    app = _app(app_env)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.action_goto("chat")
        await settle(pilot)
        app.screen.query_one("#prompt").focus()
        await pilot.pause()
        rows = [row for section in reference_sections(app, app.screen) for row in section.rows]
        descriptions = " ".join(desc for _keys, desc in rows).lower()
        assert "select line" not in descriptions and "select all" not in descriptions
        keys_of = {desc: keys for keys, desc in rows}
        assert any("F6" in keys for desc, keys in keys_of.items() if "Workflows" in desc)


# --- notifications ------------------------------------------------------------------------------


async def test_every_toast_is_kept_and_listed_newest_first(app_env):
    app = _app(app_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = len(app.notices)
        app.notify("first message", title="One")
        app.notify("the second went wrong", title="Two", severity="error")
        # a toast from the app's own flow: copy the address (y is not a key; the action is)
        await app.run_action("copy_address")
        notices = app.notices.newest_first()
        assert len(notices) == before + 3
        assert [n.title for n in notices[:3]] == ["Address copied", "Two", "One"]
        assert notices[1].severity == "error" and notices[1].message == "the second went wrong"
        await pilot.press("alt+n")
        await wait_until(pilot, lambda: isinstance(app.screen, NotificationsScreen))
        listing = app.screen.query_one("#notices", OptionList)
        texts = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
        assert "Address copied" in texts[0] and "Two" in texts[1] and "One" in texts[2]
        assert "✕ Two" in texts[1] and "the second went wrong" in texts[1]  # the mark, not colour alone
        # a new toast while the view is open appears at the top
        app.notify("late news", title="Three", severity="warning")
        await wait_until(pilot, lambda: "Three" in str(listing.get_option_at_index(0).prompt))
        assert "! Three" in str(listing.get_option_at_index(0).prompt)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, NotificationsScreen))


async def test_notifications_from_the_palette(app_env):
    app = _app(app_env, wallet=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"app: notifications")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, NotificationsScreen))
        listing = app.screen.query_one("#notices", OptionList)
        assert "No notifications yet" in str(listing.get_option_at_index(0).prompt)


# --- Log view -----------------------------------------------------------------------------------


@pytest.fixture
def app_log(app_env):
    """og-tui's real log (setup_logging, as the CLI does), removed from the logger after."""
    settings = settings_for(app_env)
    path = setup_logging(settings.data_dir, "INFO")
    logger = logging.getLogger("og_tui")
    yield path
    for handler in list(logger.handlers):
        if getattr(handler, "baseFilename", None) == str(path.resolve()):
            logger.removeHandler(handler)
            handler.close()


async def test_log_view_follows_and_filters_the_app_log(app_env, app_log):
    app = _app(app_env)
    logging.getLogger("og_tui.tests").info("hello from before the view")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        view = app.screen
        assert view.source == "app"
        await wait_until(pilot, lambda: any("hello from before the view" in x for x in _log_lines(app)))
        assert str(app_log) in _text(view.query_one("#log-note", Static))
        # follow: a toast goes to the log too, and new lines appear without a key
        app.notify("a toast for the log", title="Check")
        logging.getLogger("og_tui.tests").warning("written while the view is open")
        await wait_until(pilot, lambda: any("written while the view is open" in x for x in _log_lines(app)))
        assert any("notice: Check: a toast for the log" in x for x in _log_lines(app))
        # paused: new lines wait until follow is back on
        await pilot.press("f")
        assert "paused" in _text(view.query_one("#log-head", Static))
        logging.getLogger("og_tui.tests").warning("written while paused")
        await pilot.pause(0.8)  # (more than one poll interval: nothing may come in)
        assert not any("written while paused" in x for x in _log_lines(app))
        await pilot.press("f")
        await wait_until(pilot, lambda: any("written while paused" in x for x in _log_lines(app)))
        # filter: only matching lines, any case; esc clears it, a second esc closes
        await pilot.press("slash", *"WHILE")
        await wait_until(pilot, lambda: len(_log_lines(app)) == 2)
        assert all("while" in x for x in _log_lines(app))
        assert "2 of" in _text(view.query_one("#log-head", Static))
        await pilot.press("enter")  # keeps the filter, back to the lines
        await wait_until(pilot, lambda: isinstance(app.focused, Log))
        assert len(_log_lines(app)) == 2
        await pilot.press("escape")
        await wait_until(pilot, lambda: len(_log_lines(app)) > 2)
        assert isinstance(app.screen, LogScreen)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LogScreen))


async def test_log_view_switches_to_the_devnet_log(app_env, app_log):
    from og_tui.core.devnet_proc import devnet_log_path

    devnet_log = devnet_log_path()
    devnet_log.parent.mkdir(parents=True, exist_ok=True)
    devnet_log.write_text("devnet line 1\ndevnet line 2\n")
    app = _app(app_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        await pilot.press("s")
        await wait_until(pilot, lambda: _log_lines(app) == ["devnet line 1", "devnet line 2"])
        with open(devnet_log, "a") as fh:
            fh.write("devnet line 3\n")
        await wait_until(pilot, lambda: _log_lines(app)[-1:] == ["devnet line 3"])
        assert str(devnet_log) in _text(app.screen.query_one("#log-note", Static))
        # a new start truncates the file: the view starts over, and says so
        devnet_log.write_text("fresh\n")
        await wait_until(pilot, lambda: _log_lines(app)[-1:] == ["fresh"])
        assert len(_log_lines(app)) == 2 and "truncated" in _log_lines(app)[0]
        # F10 again closes the view
        await pilot.press("f10")
        await wait_until(pilot, lambda: not isinstance(app.screen, LogScreen))


async def test_f10_works_in_a_dialog_and_esc_returns_to_it(app_env):
    from og_tui.tui.screens.modals import WalletFormDialog

    app = _app(app_env, wallet=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, WalletFormDialog) and app.screen.focused is not None)
        dialog = app.screen
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is dialog)


async def test_log_view_shows_the_tail_of_a_big_log(app_env, app_log):
    line = "2026-01-01 00:00:00,000 INFO    og_tui.bulk: " + "x" * 60 + " {i}\n"
    with open(app_log, "a") as fh:
        fh.write("".join(line.format(i=i) for i in range(500_000)))  # ~55 MB
    app = _app(app_env)
    last = "00:00:00 " + line.format(i=499_999)[24:].rstrip("\n")  # (the view shows the time, not the date)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        async with StallProbe() as probe:
            await pilot.press("f10")
            await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
            await wait_until(pilot, lambda: _log_lines(app)[-1:] == [last])
            await settle(pilot)
        print("\nstalls while opening a 55 MB log:\n" + probe.report())
        # the file is read off the event loop; the loop only draws what the view keeps
        bad = [s for s in probe.busy() if {"read", "_got", "write_lines", "_refill"} & s.functions()]
        assert not bad, "\n".join(f"{s}\n{s.details()}" for s in bad)
        assert len(_log_lines(app)) <= 5000
        note = _text(app.screen.query_one("#log-note", Static))
        assert "MB before these lines are in the file" in note


async def test_new_views_show_their_keys_in_the_footer_at_80_columns(app_env):
    from textual.widgets._footer import FooterKey

    app = _app(app_env)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key, kind, expected in [
            ("f10", LogScreen, {"escape", "slash", "f", "s", "n"}),
            ("alt+n", NotificationsScreen, {"escape", "c", "l"}),
            ("question_mark", KeyReference, {"escape"}),
        ]:
            await pilot.press(key)
            await wait_until(pilot, lambda: isinstance(app.screen, kind))
            await settle(pilot)
            footer = app.screen.query_one(OGFooter)
            shown = {
                w.key for w in footer.query(FooterKey) if w.region.width > 0 and w.region.right <= footer.region.right
            }
            assert expected <= shown and {"ctrl+q", "f1"} <= shown, (kind, shown)
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, kind))


async def test_log_from_the_palette_and_f1_explains_the_view(app_env, app_log):
    from textual.widgets import HelpPanel

    app = _app(app_env, wallet=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"app: log")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        view = app.screen
        await pilot.press("f1")
        await wait_until(pilot, lambda: bool(view.query(HelpPanel)))
        await settle(pilot)
        help_text = str(view.query_one("HelpPanel #widget-help").source)
        assert "switches source" in help_text and "filters" in help_text
        await pilot.press("f1")
        await wait_until(pilot, lambda: not view.query(HelpPanel))
        # n goes on to the notifications, l back to the log
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NotificationsScreen))
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, (LogScreen, NotificationsScreen)))


async def test_a_keymap_moves_the_log_key_everywhere_it_is_named(app_env):
    from og_tui.tui.messages import NetState

    app = _app(app_env, wallet=False)
    app.set_keymap({"app.log": "f11"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.net = NetState(profile="local", is_devnet=True, connected=False, down="devnet exited (code 1)")
        await pilot.pause()
        assert "f11 log" in _text(app.screen.query_one("StatusBar", Static))
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, KeyReference))
        everywhere = dict((desc.split(":")[0], keys) for keys, desc in app.screen.sections[-1].rows)
        assert everywhere["Log"] == "F11"
        await pilot.press("escape")
        await pilot.press("f11")
        await wait_until(pilot, lambda: isinstance(app.screen, LogScreen))
        assert app.screen.source == "devnet"  # (the devnet is down: its log first)
