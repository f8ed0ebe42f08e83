"""Pure logic of the chat reply widgets: where Markdown blocks start, and finished blocks
frozen in runs drawn exactly as the whole text would be (a long streaming reply freezes its
blocks as they finish; a stored reply is one run)."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console
from rich.markdown import Markdown as RichMarkdown

from og_tui.tui.widgets.frozen_markdown import _FrozenPieces, block_starts

SAMPLE = """Here is what an **x402** payment does on the devnet:

- the gateway answers *402* with the price
- the wallet signs a `TransferWithAuthorization`

```python
def price(tokens):
    return tokens * 1
```
### Settlement
1. queued
2. settled

> a quote
> on two lines

---
| a | b |
|---|---|
| 1 | 2 |

    indented code

***
- after a rule
<div>html</div>

The end.
"""


def _render(renderable, width: int) -> list[tuple[str, object]]:
    console = Console(file=io.StringIO(), width=width, color_system="truecolor", force_terminal=True)
    return [(s.text, s.style) for s in console.render(renderable, console.options)]


def test_block_starts():
    assert block_starts("") == []
    assert block_starts("one paragraph\nstill it\n") == [0]
    assert block_starts("para\n\n- a\n- b\n\n```py\nx\n```\n") == [0, 2, 5]
    # an unclosed fence is one block however much follows
    assert block_starts("para\n\n```py\nx\n\nmore\n") == [0, 2]


@pytest.mark.parametrize("width", [30, 77, 120])
def test_frozen_runs_draw_like_one_document(width):
    text = SAMPLE * 2
    lines = text.splitlines(keepends=True)
    starts = block_starts(text)
    whole = _render(RichMarkdown(text, code_theme="monokai"), width)
    rng = random.Random(width)
    for _ in range(25):
        cuts = sorted(rng.sample(starts[1:], rng.randint(1, len(starts) - 1)))
        pieces = _FrozenPieces()
        previous = 0
        for cut in [*cuts, len(lines)]:
            pieces.add("".join(lines[previous:cut]))
            previous = cut
        assert _render(pieces, width) == whole, cuts
        assert _render(pieces, width) == whole  # (again, from what each run kept)


# --- the widgets in a running app ------------------------------------------------------------


def _chat_app(*items):
    from textual.app import App

    from og_tui.tui.widgets.chat_log import ChatLog

    class ChatApp(App):
        def __init__(self) -> None:
            super().__init__()
            self.reached_top = 0

        def compose(self):
            yield ChatLog(*items, id="log")

        def on_chat_log_reached_top(self, event) -> None:
            self.reached_top += 1

    return ChatApp()


async def test_long_streaming_reply_rolls_over_and_shows_everything():
    """A streamed reply past ROLL_CHARS keeps only its last block live (restarted through
    Markdown.update("") + append) and shows every fragment, in order."""
    from textual.widgets import Markdown

    from og_tui.tui.widgets.chat_view import ROLL_BLOCKS, AssistantMessage

    from .helpers import wait_until

    reply = AssistantMessage(streaming=True)
    app = _chat_app(reply)
    blocks = [f"Paragraph {i}: " + "word " * 30 + "\n\n" for i in range(40)]
    async with app.run_test(size=(100, 40)) as pilot:
        sent = ""
        for block in blocks:
            for half in (block[: len(block) // 2], block[len(block) // 2 :]):
                reply.feed(half)
                sent += half
            await wait_until(pilot, lambda: reply.shown_text == sent, timeout=30)
            live = reply.query_one(".assistant-text", Markdown)
            assert len(live.children) <= ROLL_BLOCKS + 1
        live = reply.query_one(".assistant-text", Markdown)
        assert live.source == blocks[-1]  # the live Markdown holds the block being written
        assert reply.query("FrozenMarkdown")  # the others are frozen
        # the next append re-parses from the live block only: a new block adds a widget
        reply.feed("The end.\n")
        sent += "The end.\n"
        await wait_until(pilot, lambda: reply.shown_text == sent, timeout=30)
        reply.finish(sent, {"completion_tokens": 1}, [], None)
        await wait_until(pilot, lambda: not reply.streaming, timeout=30)
        assert reply.shown_text == sent


async def test_wheel_at_the_top_asks_for_earlier_messages():
    from textual import events
    from textual.widgets import Static

    from og_tui.tui.widgets.chat_log import ChatLog
    from og_tui.tui.widgets.chat_rows import LoadEarlier

    from .helpers import wait_until

    app = _chat_app(LoadEarlier(5), *[Static(f"message {i}") for i in range(30)])
    async with app.run_test(size=(60, 20)) as pilot:
        log = app.query_one(ChatLog)
        await wait_until(pilot, lambda: log.max_scroll_y > 5)

        def wheel_up() -> None:
            log.post_message(events.MouseScrollUp(log, 1, 1, 0, -1, 0, False, False, False))

        log.scroll_end(animate=False)
        await wait_until(pilot, lambda: log.scroll_y == log.max_scroll_y)
        bottom = log.scroll_y
        wheel_up()  # away from the top, the wheel scrolls as usual
        await wait_until(pilot, lambda: log.scroll_y < bottom)
        assert app.reached_top == 0
        log.scroll_home(animate=False)
        await wait_until(pilot, lambda: log.scroll_y == 0 and app.reached_top == 1)  # (reaching the top asks once)
        seen = app.reached_top
        wheel_up()  # at the top, it asks for the previous page
        await wait_until(pilot, lambda: app.reached_top > seen)


async def test_streamed_markdown_is_shown_exactly():
    """A long reply with code blocks, lists, quotes and tables, streamed in uneven fragments
    (splitting fences, list markers and words): what is shown at the end is exactly what
    was streamed, and its frozen runs draw as the whole text would."""
    from og_tui.tui.widgets.chat_view import AssistantMessage

    from .helpers import wait_until

    text = SAMPLE * 12
    rng = random.Random(7)
    fragments, i = [], 0
    while i < len(text):
        step = rng.randint(1, 40)
        fragments.append(text[i : i + step])
        i += step
    reply = AssistantMessage(streaming=True)
    app = _chat_app(reply)
    async with app.run_test(size=(100, 40)) as pilot:
        sent = ""
        for n, fragment in enumerate(fragments):
            reply.feed(fragment)
            sent += fragment
            if n % 40 == 39:  # (written in several steps: the reply rolls over as it grows)
                await wait_until(pilot, lambda: reply.shown_text == sent, timeout=30)
        reply.finish(text, {"completion_tokens": len(fragments)}, [], None)
        await wait_until(pilot, lambda: not reply.streaming, timeout=60)
        assert reply.streamed_text == text
        assert reply.shown_text == text
        frozen = reply.query("FrozenMarkdown")
        assert frozen  # (a reply this long ends all frozen)
        pieces = _FrozenPieces()
        for part in reply._frozen:
            pieces.add(part)
        assert _render(pieces, 96) == _render(RichMarkdown(text, code_theme="monokai"), 96)
