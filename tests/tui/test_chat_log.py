"""The Chat screen's virtualised message view, in the real app with a chat history of 1,000+
messages written through the core chat store: opening mounts a screenful or so, scrolling
reads older pages from the store as it goes and reaches the first message, the mounted
widgets stay bounded however far one scrolls, what is on screen does not move as rows are
mounted above it, and selecting and copying a message works after scrolling."""

from __future__ import annotations

import pytest

from og_tui.core.chat_store import ChatStore
from og_tui.tui.app import make_app
from og_tui.tui.screens.chat import ChatScreen
from og_tui.tui.screens.chat_conversations import PAGE
from og_tui.tui.widgets.chat_items import ChatItem, UserMessage
from og_tui.tui.widgets.chat_log import KEEP_PAGES, ChatLog
from og_tui.tui.widgets.chat_view import AssistantMessage

from .helpers import settings_for, wait_until

N = 1000  # messages in the long conversation
MOUNTED_MAX = 100  # chat items mounted at most with a 40-line view (a dozen or so are on screen)
REPLY = "Reply {i}: **x402** settles payment {i} on the devnet.\n\n- signed with `TransferWithAuthorization`"


def _question(i: int) -> str:
    return f"Question {i}: how does settlement {i} work?" + (" And in more words." * (i % 7))


@pytest.fixture
def long_chat(app_env):
    """Settings whose chat history holds a 1,000-message conversation (the newest) and a small one."""
    settings = settings_for(app_env)
    store = ChatStore(settings.db_path)
    small = store.create_conversation("small", model="og-devnet/mini", mode="TEE", profile="local", created=1.0)
    store.add_message(small.id, "user", "hello", created=1.0)
    big = store.create_conversation("long", model="og-devnet/mini", mode="TEE", profile="local", created=2.0)
    rows = []
    for i in range(N // 2):
        rows.append({"role": "user", "content": _question(i), "created": 2.0 + i})
        meta = {"model": "og-devnet/mini", "mode": "TEE", "completion_tokens": 40 + i, "cost": "256"}
        rows.append({"role": "assistant", "content": REPLY.format(i=i), "meta": meta, "created": 2.5 + i})
    store.add_messages(big.id, rows)
    ids = [r.id for r in store.messages(big.id)]
    store.close()
    return settings, big.id, small.id, ids


def _app(settings):
    app = make_app(settings, autostart_devnet=False, poll=False)
    app.connect = lambda: None
    return app


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setattr(ChatScreen, "autoload_models", False)


def _items(log: ChatLog) -> list[ChatItem]:
    return list(log.query(ChatItem))


def _ids(log: ChatLog) -> list[int]:
    return [item.message_id for item in _items(log)]


def _idle(log: ChatLog) -> bool:
    return not log._win_running and log._batch is None and log._rows_batch is None


async def _drawn(pilot) -> None:
    """Until the next frame is drawn (the layout after a window update is in)."""
    import asyncio

    done = asyncio.get_running_loop().create_future()
    pilot.app.call_after_refresh(lambda: done.done() or done.set_result(None))
    await asyncio.wait_for(done, 20)


async def _settle(pilot, log: ChatLog, ready=lambda: True) -> None:
    """Until the window is updated, drawn, and ``ready()`` holds."""
    while True:
        await wait_until(pilot, lambda: _idle(log) and ready(), step=0.01)
        await _drawn(pilot)
        await pilot.pause()
        if _idle(log) and ready():
            return


async def _open_long(pilot, big_id: int, last_id: int) -> ChatLog:
    app = pilot.app
    await pilot.press("f5")
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen) and app.screen.conv is not None)
    screen = app.screen
    assert screen.conv.id == big_id  # (the newest conversation opens)
    log = screen.log_view
    await _settle(pilot, log, lambda: last_id in _ids(log))
    return log


def _on_screen(log: ChatLog) -> list[ChatItem]:
    """The items whose rows show in the view, top to bottom."""
    view = log.scrollable_content_region
    return [item for item in _items(log) if item.region.height and item.region.overlaps(view)]


async def test_opening_mounts_about_a_screenful_and_reads_one_page(long_chat, offline):
    settings, big_id, _small_id, ids = long_chat
    app = _app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        log = await _open_long(pilot, big_id, ids[-1])
        mounted = _ids(log)
        assert 2 <= len(mounted) <= MOUNTED_MAX
        assert mounted == sorted(mounted) and mounted[-1] == ids[-1]  # the newest, in order
        assert log.unloaded == N - PAGE  # only the newest page was read from the store
        assert log.scroll_y == log.max_scroll_y  # the view is at the end
        # the scroll range stands for the whole conversation, not only what is mounted
        assert log.virtual_size.height > 3 * N
        assert _on_screen(log)[-1].message_id == ids[-1]


async def test_page_up_reads_pages_as_it_goes_with_bounded_widgets(long_chat, offline):
    """Page-up through the newest 200 messages (the store read page by page on the way, every
    message on screen in turn), then home: the first message at the top."""
    settings, big_id, _small_id, ids = long_chat
    app = _app(settings)
    async with app.run_test(size=(120, 60)) as pilot:
        log = await _open_long(pilot, big_id, ids[-1])
        log.focus()
        most = 0
        seen_rows = {item.message_id for item in _on_screen(log)}
        view_h = log.scrollable_content_region.height
        while len(seen_rows) < 200:
            before = [(item.message_id, item.region.y) for item in _on_screen(log)]
            mounted = set(_ids(log))
            y = log.scroll_y
            await pilot.press("pageup")
            await _settle(pilot, log, lambda: log.scroll_y != y)
            now = {item.message_id: item.region.y for item in _on_screen(log)}
            most = max(most, len(_items(log)))
            # the window follows each key: about the page it scrolled is mounted, never several at once
            added = [log.item_of(mid) for mid in set(_ids(log)) - mounted]
            assert sum(item.height or 0 for item in added if item is not None) <= 1.5 * view_h
            seen_rows.update(now)
            # a page-up moves the view by a page: what was at its top is now lower down, or gone
            kept = [(mid, top) for mid, top in before if mid in now]
            assert all(now[mid] > top for mid, top in kept)
        # every message was on screen on the way up (none skipped, none missing)
        assert seen_rows == set(ids[-len(seen_rows) :])
        # the store was read a page at a time, not all at once
        assert 0 < log.unloaded <= N - 4 * PAGE and log.unloaded % PAGE == 0
        # at most the rows within KEEP_PAGES views above and below the view (3 lines at least each)
        assert most <= (2 * KEEP_PAGES + 1) * view_h // 3 + 2 < N // 2
        await pilot.press("home")
        await _settle(pilot, log, lambda: log.at_first and log.scroll_y == 0)
        assert _on_screen(log)[0].message_id == ids[0]
        assert _on_screen(log)[0].region.y == log.scrollable_content_region.y  # at the very top
        assert log.unloaded == 0 and len(_items(log)) <= most


async def test_home_end_and_jumps_keep_the_widgets_bounded(long_chat, offline):
    settings, big_id, _small_id, ids = long_chat
    app = _app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        log = await _open_long(pilot, big_id, ids[-1])
        log.focus()
        await pilot.press("home")
        # the older rows are read in one go and the first message shows at the top
        await _settle(pilot, log, lambda: log.at_first and log.scroll_y == 0)
        await pilot.pause()
        assert _on_screen(log)[0].message_id == ids[0]
        assert len(_items(log)) <= MOUNTED_MAX
        await pilot.press("end")
        await _settle(pilot, log, lambda: ids[-1] in _ids(log) and log.scroll_y == log.max_scroll_y)
        await pilot.pause()
        assert _on_screen(log)[-1].message_id == ids[-1]
        assert len(_items(log)) <= MOUNTED_MAX
        # the middle, as a drag of the scrollbar puts it
        log.scroll_to(y=log.max_scroll_y // 2, animate=False)
        await _settle(pilot, log, lambda: bool(_on_screen(log)))
        await pilot.pause()
        middle = [item.message_id for item in _on_screen(log)]
        assert middle and ids[N // 4] < middle[0] < ids[3 * N // 4]
        assert middle == sorted(middle)
        for key in ("pagedown", "pagedown", "home", "pageup", "end", "pageup", "pageup", "home"):
            await pilot.press(key)
            await _settle(pilot, log)
            assert len(_items(log)) <= MOUNTED_MAX, key
        await pilot.pause()
        assert _on_screen(log)[0].message_id == ids[0]
        # page-down from the first message shows the following ones, in order, none skipped
        shown: list[int] = []
        for _ in range(8):
            shown += [i.message_id for i in _on_screen(log) if i.message_id not in shown]
            await pilot.press("pagedown")
            await _settle(pilot, log)
            await pilot.pause()
        assert shown == ids[: len(shown)]


async def test_rows_mounted_above_do_not_move_the_view(long_chat, offline):
    """Scrolling up line by line: each step moves what is on screen by exactly one line,
    also when rows are mounted (or unmounted) above the view."""
    settings, big_id, _small_id, ids = long_chat
    app = _app(settings)
    async with app.run_test(size=(100, 24)) as pilot:
        log = await _open_long(pilot, big_id, ids[-1])
        log.focus()
        start_rows = log.mounted_rows.start
        for _ in range(80):
            before = {item.message_id: item.region.y for item in _on_screen(log)}
            y = log.scroll_y
            await pilot.press("up")
            await _settle(pilot, log, lambda: log.scroll_y != y)
            await pilot.pause()
            after = {item.message_id: item.region.y for item in _on_screen(log)}
            common = set(before) & set(after)
            assert common
            assert all(after[mid] == before[mid] + 1 for mid in common)
        assert log.mounted_rows.start < start_rows  # rows were mounted above on the way


async def test_select_and_copy_after_scrolling(long_chat, offline):
    settings, big_id, _small_id, ids = long_chat
    app = _app(settings)
    copied: list[str] = []
    app.copy_to_clipboard = copied.append
    async with app.run_test(size=(120, 40)) as pilot:
        log = await _open_long(pilot, big_id, ids[-1])
        screen = app.screen
        # nothing selected: f8 copies the last reply
        await pilot.press("f8")
        assert copied[-1] == REPLY.format(i=N // 2 - 1)
        log.focus()
        await pilot.press("home")
        await _settle(pilot, log, lambda: log.at_first and log.scroll_y == 0)
        await pilot.pause()
        first_reply = next(item for item in _on_screen(log) if isinstance(item, AssistantMessage))
        await pilot.click(first_reply)
        assert first_reply.has_class("-selected")
        await pilot.press("f8")
        assert copied[-1] == REPLY.format(i=0)
        # scrolled away, the selected message's widget is unmounted: f8 still copies it
        await pilot.press("end")
        await _settle(pilot, log, lambda: ids[-1] in _ids(log) and log.scroll_y == log.max_scroll_y)
        await pilot.pause()
        assert not first_reply.is_attached
        await pilot.press("f8")
        assert copied[-1] == REPLY.format(i=0)
        # and back at the top, its new widget shows it selected
        await pilot.press("home")
        await _settle(pilot, log, lambda: log.scroll_y == 0 and ids[1] in _ids(log))
        again = next(item for item in _items(log) if item.message_id == first_reply.message_id)
        assert again is not first_reply and again.has_class("-selected")
        # a user message: c in the view copies it
        question = next(item for item in _on_screen(log) if isinstance(item, UserMessage))
        await pilot.click(question)
        log.focus()
        await pilot.press("c")
        assert copied[-1] == _question(0)
        assert screen.conv.id == big_id


async def test_switching_conversations_and_back(long_chat, offline):
    settings, big_id, small_id, ids = long_chat
    app = _app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        log = await _open_long(pilot, big_id, ids[-1])
        screen = app.screen
        log.focus()
        for _ in range(5):
            await pilot.press("pageup")
        screen.open_conversation(small_id)
        await _settle(pilot, log, lambda: screen.conv.id == small_id and len(_items(log)) == 1)
        assert [item.text for item in log.query(UserMessage)] == ["hello"]
        assert log.max_scroll_y == 0
        screen.open_conversation(big_id)
        await _settle(pilot, log, lambda: screen.conv.id == big_id and ids[-1] in _ids(log))
        assert len(_items(log)) <= MOUNTED_MAX and log.unloaded == N - PAGE


async def test_page_keys_that_come_at_once_each_count(long_chat, offline):
    """A held PageUp (keys within one frame) moves the view a page per key, not one page in all."""
    from textual import events

    settings, big_id, _small_id, ids = long_chat
    app = _app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        log = await _open_long(pilot, big_id, ids[-1])
        log.focus()
        await _settle(pilot, log)
        page, y0 = log.scrollable_content_region.height, log.scroll_y
        for _ in range(6):
            app.post_message(events.Key("pageup", None))
        await _settle(pilot, log, lambda: log.scroll_y < y0 - 5 * page)
        assert y0 - log.scroll_y >= 5.5 * page


async def test_page_keys_in_the_prompt_scroll_the_conversation(long_chat, offline):
    settings, big_id, _small_id, ids = long_chat
    app = _app(settings)
    async with app.run_test(size=(120, 40)) as pilot:
        log = await _open_long(pilot, big_id, ids[-1])
        prompt = app.screen.query_one("#prompt")
        prompt.focus()
        await pilot.press("h", "i")
        y0 = log.scroll_y
        await pilot.press("pageup", "pageup")
        await _settle(pilot, log, lambda: log.scroll_y < y0)
        page = log.scrollable_content_region.height
        assert y0 - log.scroll_y >= 1.5 * page
        assert app.focused is prompt and prompt.text == "hi"  # the prompt keeps the focus and its text
        await pilot.press("pagedown", "pagedown")
        await _settle(pilot, log, lambda: log.scroll_y == log.max_scroll_y)
        assert _on_screen(log)[-1].message_id == ids[-1]
