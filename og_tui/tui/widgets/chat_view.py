"""The Chat screen's assistant reply widget, :class:`AssistantMessage`, and how it streams.

An assistant reply streams into a live ``Markdown`` through its public API only:
:meth:`AssistantMessage.start_stream` runs an async worker (``_pump``) that takes the
fragments :meth:`AssistantMessage.feed` queues and writes them with ``Markdown.append``
(which re-parses only the last block) at most every ``FEED_S``, joining what came in
between and waiting for the previous frame. It does this itself rather than through
``Markdown.get_stream`` because it also changes the live Markdown between writes: a long
reply "rolls over", its finished blocks frozen into static widgets and the live Markdown
restarted with ``update("")`` + ``append``, so the widget count stays small however long
the reply gets. Nothing here does I/O.

The other message widgets (user messages, tool results, tool-call cards) and the reply
footer's :func:`meta_line` are in :mod:`og_tui.tui.widgets.chat_items`; the scrolling view
in :mod:`og_tui.tui.widgets.chat_log`. Both are re-exported here.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Markdown, Static

from og_tui.tui.gc_policy import hold_full_gc, release_full_gc
from og_tui.tui.widgets.chat_items import (
    ChatItem,
    ToolCallCard,
    ToolResultItem,
    UserMessage,
    meta_line,
    tool_call_parts,
)
from og_tui.tui.widgets.chat_log import ChatLog  # (the view's container, in its own module)
from og_tui.tui.widgets.chat_rows import LoadEarlier
from og_tui.tui.widgets.frozen_markdown import FrozenMarkdown, LiveMarkdown, SizedByLayout, block_starts

__all__ = [
    "ChatItem",
    "UserMessage",
    "AssistantMessage",
    "ToolCallCard",
    "ToolResultItem",
    "LoadEarlier",
    "ChatLog",
    "meta_line",
    "tool_call_parts",
]


# a streaming reply's live Markdown is kept under these; older finished blocks are frozen
ROLL_BLOCKS = 8
ROLL_CHARS = 1200
# the live Markdown is fed at most this often; fragments that come in between are joined
FEED_S = 0.1
# and less often when a write and its frame cost more than this share of a core (slow machine)
FRAME_SHARE = 0.07
# while the user types (a key less than TYPING_S ago), at most this often: the frames that
# draw the keys then redraw the prompt alone, not the layout and the whole visible log
TYPING_S = 0.6
TYPING_FEED_S = 0.4
# once a reply has rolled over, finished blocks are frozen as they come, into pieces of about this size
FREEZE_CHARS = 1200
DRAWN_TIMEOUT_S = 0.5  # (a write waits for the last one to be drawn at most this long)
HOLD_S = 0.1  # (the frame after the reply ends waits for its last write at most this long)
GC_RELEASE_S = 1.0  # full garbage collections wait while a reply streams, and this long after


class AssistantMessage(SizedByLayout, ChatItem):
    """A reply: streamed Markdown, tool-call cards and the footer with what it cost."""

    DEFAULT_CLASSES = "chat-item assistant-message"

    def __init__(
        self,
        text: str = "",
        message_id: int | None = None,
        *,
        meta: dict | None = None,
        tool_calls: list | None = None,
        results: dict[str, str] | None = None,
        label: str = "Assistant",
        streaming: bool = False,
        decimals: int = 6,
        symbol: str = "OUSDC",
    ) -> None:
        super().__init__(message_id)
        self.text = text
        self.meta = dict(meta or {})
        self.tool_calls = list(tool_calls or [])
        self.results = dict(results or {})
        self.label = label
        self._frozen: list[str] = []
        self.streaming = streaming
        self.decimals = decimals
        self.symbol = symbol
        # created now, so fragments that arrive before this widget is mounted are kept
        self._queue: asyncio.Queue[str | None] | None = asyncio.Queue() if streaming else None
        self._ending = asyncio.Event()  # the reply ended: the pump writes what it has without waiting
        self._drawn = asyncio.Event()  # the last write is on screen (or the reply ended)
        self._drawn.set()
        self._key = asyncio.Event()  # a key was typed in the prompt (or the reply ended)
        self._key_drawn = asyncio.Event()  # and it is on screen
        self._key_drawn.set()
        self._gc_held = False  # this reply holds Python's full collections (while it streams)
        self._held: Any = None  # the app's batch holding the next frame for the last write
        self._streamed: list[str] = []
        self._typed = float("-inf")  # time.monotonic() of the user's last key in the prompt
        self._frame_cpu = 0.0  # CPU seconds of the event loop's thread per write and its frame (average)
        self._finished = False  # finish() was called (maybe before this widget was mounted)
        self._ready = False  # composed and mounted: its parts can be updated
        self._deferred: list[Any] = []  # updates that came before that

    def compose(self) -> ComposeResult:
        yield Static(self.label, classes="chat-who")
        stored = not self.streaming and bool(self.text)
        if stored:
            # a stored reply: one widget (Rich's Markdown), not one per block, and none of the
            # empty parts a reply being written needs (mounted when wanted): paging through a
            # long conversation mounts few widgets
            self._frozen = [self.text]
            yield FrozenMarkdown(self.text)
        else:
            yield LiveMarkdown(self.text, classes="assistant-text")
        if not stored or self.tool_calls:
            with Vertical(classes="tool-cards"):
                for call in self.tool_calls:
                    yield self.make_card(call)
        yield Static("", classes="reply-footer")
        # (the error line is mounted when there is one: error_line)

    def on_mount(self) -> None:
        self._ready = True
        self._show_footer()
        if self.streaming:
            self.start_stream()
        elif (live := self._live()) is not None:
            live.display = bool(live.source)
        deferred, self._deferred = self._deferred, []
        for update in deferred:
            update()

    def when_ready(self, update: Any) -> None:
        """Run ``update()`` now, or once this widget is mounted (a reply can end before that)."""
        if self._ready:
            update()
        else:
            self._deferred.append(update)

    # --- streaming ------------------------------------------------------------------------
    @property
    def body(self) -> Markdown:
        """The live Markdown a reply is written into (a reply composed to stream has one)."""
        return self.query(".assistant-text").last(Markdown)

    def _live(self) -> Markdown | None:
        found = self.query(".assistant-text")
        return found.last(Markdown) if found else None

    def error_line(self, content: Any) -> None:
        """Show ``content`` in the reply's error line (a stored reply gets one when it needs it)."""
        found = self.query(".reply-error")
        if found:
            found.first(Static).update(content)
        else:
            self.mount(Static(content, classes="reply-error"))

    def start_stream(self) -> None:
        self.streaming = True
        if self._queue is None:
            self._queue = asyncio.Queue()
        if not self._finished:
            self.query_one(".reply-footer", Static).update(
                Content.styled("streaming… esc to stop", "italic $text-muted")
            )
        self._pump()

    @work(exclusive=True, group="md-stream", exit_on_error=False, description="stream reply")
    async def _pump(self) -> None:
        """Append queued fragments to the live Markdown (which re-parses only its last block),
        at most every FEED_S: what came in between, or while the last write was being drawn,
        is joined (each write costs a parse, widgets, a layout and a frame, whatever its size).
        The worker writes itself rather than through ``Markdown.get_stream``: it already
        coalesces, and it changes the live Markdown between writes (below).

        A long reply "rolls over": once the live Markdown would pass ROLL_CHARS or
        ROLL_BLOCKS, its finished blocks are frozen into a static widget (Rich's Markdown,
        as a stored reply is drawn), and from then on blocks are frozen as soon as the next
        one starts, before Textual makes widgets for them. The live Markdown holds only the
        block being written, so the widget count (and the cost of each layout) stays small
        however long the reply gets."""
        queue = self._queue
        assert queue is not None
        import rich.markdown  # noqa: F401 - imported now, not in the middle of the first roll

        loop = asyncio.get_running_loop()
        md = self.body
        last_write = 0.0
        ended = False
        if not self._gc_held:
            self._gc_held = True
            hold_full_gc()
        try:
            while not ended:
                fragment = await queue.get()
                if fragment is None:
                    break
                parts = [fragment]
                # at most one write every FEED_S (TYPING_FEED_S while the user types, in the
                # pause after a key), and not before the last one is on screen (when frames are
                # slow, more is joined into each write); the end goes at once
                while not self._ending.is_set():
                    typing = time.monotonic() - self._typed < TYPING_S
                    every = TYPING_FEED_S if typing else min(TYPING_FEED_S, max(FEED_S, self._frame_cpu / FRAME_SHARE))
                    wait = last_write + every - loop.time()
                    if wait > 0:
                        await self._wait_for(self._ending, wait)  # (a key meanwhile waits longer)
                        continue
                    if typing:  # right after the next key is drawn (or once typing stops)
                        self._key.clear()
                        await self._wait_for(self._key, TYPING_S)
                        await self._wait_for(self._key_drawn, DRAWN_TIMEOUT_S)
                    break
                await self._wait_for(self._drawn, DRAWN_TIMEOUT_S)
                while not queue.empty():
                    fragment = queue.get_nowait()
                    if fragment is None:
                        ended = True
                        break
                    parts.append(fragment)
                text = "".join(parts)
                cpu = time.thread_time()
                if ended:
                    # the last words and the reply's footer in one frame; a long reply ends
                    # all frozen, as it is drawn when the conversation is opened again
                    with self.app.batch_update():
                        if self._frozen:
                            await self._roll(md, md.source + text, everything=True)
                        else:
                            await md.append(text)
                        self._stream_done()
                    self._release_frame()
                elif self._frozen or len(md.source) + len(text) > ROLL_CHARS:
                    await self._roll(md, md.source + text)
                else:
                    await md.append(text)
                    if len(md.children) > ROLL_BLOCKS:
                        await self._roll(md, md.source)
                last_write = loop.time()
                if not self._ending.is_set():
                    self._drawn.clear()
                    self.call_after_refresh(self._on_drawn, cpu)
        finally:
            self._stream_done()
            self._release_frame()
            if self.is_attached:
                self.set_timer(GC_RELEASE_S, self._release_gc)  # (once the last frame is drawn)
            else:
                self._release_gc()

    def _on_drawn(self, cpu: float) -> None:
        spent = time.thread_time() - cpu
        self._frame_cpu = spent if not self._frame_cpu else 0.7 * self._frame_cpu + 0.3 * spent
        self._drawn.set()

    def _release_gc(self) -> None:
        if self._gc_held:
            self._gc_held = False
            release_full_gc()

    def on_unmount(self) -> None:
        self._release_frame()
        self._release_gc()

    @staticmethod
    async def _wait_for(event: asyncio.Event, timeout: float) -> None:
        if not event.is_set():
            try:
                await asyncio.wait_for(event.wait(), timeout)
            except asyncio.TimeoutError:
                pass

    def _stream_done(self) -> None:
        if self.streaming:
            self.streaming = False
            if self._finished and self.is_attached:
                self._show_footer(force=True)

    async def _roll(self, md: Markdown, source: str, everything: bool = False) -> None:
        """Show ``source`` (the live Markdown's source and what comes next): everything
        before its last (maybe unfinished) block is frozen, the live Markdown keeps that
        block; or all of it is frozen."""
        lines = source.splitlines(keepends=True)
        if everything:
            cut = len(lines)
        else:
            starts = block_starts(source)
            cut = starts[-1] if starts else 0
        if cut <= 0:  # one block so far
            if len(source) > len(md.source):
                await md.append(source[len(md.source) :])
            return
        done, tail = "".join(lines[:cut]), "".join(lines[cut:])
        self._frozen.append(done)
        children = list(self.children)
        before = children[children.index(md) - 1] if md in children else None
        with self.app.batch_update():
            if isinstance(before, FrozenMarkdown) and len(before.source) + len(done) <= FREEZE_CHARS:
                before.extend(done)
            else:
                await self.mount(FrozenMarkdown(done), before=md)
            # start the live Markdown again with the last block: update("") empties it,
            # append() (unlike update()) notes where the last block starts, so the next
            # append re-parses only that block
            await md.update("")
            if tail:
                await md.append(tail)
            else:
                md.display = False

    @property
    def shown_text(self) -> str:
        """The markdown source on screen (frozen parts + the live Markdown)."""
        live = self._live()
        return "".join(self._frozen) + (live.source if live is not None else "")

    def feed(self, text: str) -> None:
        """Queue a fragment of the streaming reply (called by the screen's Chunk handler)."""
        if not text:
            return
        self._streamed.append(text)
        if self._queue is not None:
            self._queue.put_nowait(text)

    def typed(self) -> None:
        """The user pressed a key in the prompt: writes slow down for a moment (see TYPING_S)."""
        self._typed = time.monotonic()
        if self.is_attached:
            self._key_drawn.clear()
            self.call_after_refresh(self._key_drawn.set)
        self._key.set()

    def stream_over(self) -> None:
        """No more fragments will come (finish() follows once the reply is saved): what came
        is drawn at once, without waiting for the next write's turn."""
        for event in (self._ending, self._drawn, self._key, self._key_drawn):
            event.set()

    def _end_stream(self) -> None:
        """No more fragments: the pump writes what it holds now and stops."""
        if self._queue is not None:
            self._queue.put_nowait(None)
        self._ending.set()
        self._drawn.set()
        self._key.set()
        self._key_drawn.set()
        self._hold_frame()

    def _hold_frame(self) -> None:
        """Hold the screen's next frame until the pump's last write is in (at most HOLD_S):
        one frame with the last words, rather than one with what came before and the last
        words a whole frame later."""
        if self._held is None and self.streaming and self._ready and self.is_attached:
            batch = self.app.batch_update()
            batch.__enter__()
            self._held = batch
            self.set_timer(HOLD_S, self._release_frame)

    def _release_frame(self) -> None:
        batch, self._held = self._held, None
        if batch is not None:
            batch.__exit__(None, None, None)

    @property
    def is_finished(self) -> bool:
        """finish() was called: the whole reply is known (it may still be drawing)."""
        return self._finished

    @property
    def streamed_text(self) -> str:
        return "".join(self._streamed)

    def finish(self, text: str, meta: dict, tool_calls: list, message_id: int | None) -> None:
        """The reply ended: make sure the full text is shown, then the tool cards and footer."""
        self.message_id = message_id
        self._finished = True
        got = self.streamed_text
        if text.startswith(got) and len(text) > len(got):
            self.feed(text[len(got) :])
        self._end_stream()
        self.text = text
        self.meta = dict(meta)
        self.tool_calls = list(tool_calls)
        self.when_ready(self._show_finished)

    def _show_finished(self) -> None:
        found = self.query(".tool-cards")
        if not found:  # (a reply composed as stored)
            if self.tool_calls:
                self.mount(
                    Vertical(*[self.make_card(call) for call in self.tool_calls], classes="tool-cards"),
                    before=self.query_one(".reply-footer"),
                )
            self._show_footer(force=True)
            return
        cards = found.first(Vertical)
        if self.tool_calls and not cards.children:  # (composed with them when finished before mounting)
            cards.mount_all([self.make_card(call) for call in self.tool_calls])
        self._show_footer(force=True)

    def fail(self, text: str, hint: str | None = None) -> None:
        """The reply could not be made: say why inside the reply's place."""
        self._end_stream()
        self.add_class("-failed")
        error = Content.assemble(("⚠ ", "bold"), text)
        if hint:
            error = Content.assemble(error, "\n", (hint, "italic"))

        def show() -> None:
            self.query_one(".reply-footer", Static).update("")
            self.error_line(error)

        self.when_ready(show)

    def update_meta(self, meta: dict) -> None:
        """New facts about a finished reply (its payment settled): shown in its footer."""
        self.meta = dict(meta)
        self.when_ready(lambda: self._show_footer(force=True))

    def _show_footer(self, force: bool = False) -> None:
        footer = self.query_one(".reply-footer", Static)
        if self.streaming and not force:
            return
        footer.update(meta_line(self.meta, self.decimals, self.symbol) if self.meta else "")
        error = self.meta.get("error") if self.meta else None
        if error:
            self.error_line(Content(str(error)))
        # what was checked about the reply (TEE proof, structured output): its own module
        from og_tui.tui.widgets.reply_checks import show_checks

        show_checks(self)

    def make_card(self, call: dict) -> Any:
        """The card of one tool call (the user supplies its result)."""
        return ToolCallCard(call, self.results.get(str(call.get("id") or "")))

    def cards(self) -> list[ToolCallCard]:
        return list(self.query(ToolCallCard))

    def copy_text(self) -> str:
        return self.text or self.streamed_text
