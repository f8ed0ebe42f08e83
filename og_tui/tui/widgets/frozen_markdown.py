"""Finished blocks of a streaming reply, frozen: drawn as static Rich Markdown instead of
one Textual widget per block, so a long reply keeps few live widgets. Also the live Markdown
a reply streams into (one layout per write).
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Markdown, Static

__all__ = ["FrozenMarkdown", "LiveMarkdown", "SizedByLayout", "block_starts"]


class SizedByLayout:
    """Mixed into a widget whose height follows its content (``height: auto``, not
    scrollable): when it grows, the layout that grew it is all there is to do.

    Textual otherwise treats the new size as a change of the widget's ``virtual_size``
    (a reactive with ``layout=True``): it asks for a second layout of the whole screen on
    the next frame and repaints the widget again, so every write to a streaming reply
    cost two layouts and two repaints of the visible log."""

    def _size_updated(self, size: Any, virtual_size: Any, container_size: Any, layout: bool = True) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)  # type: ignore[misc]


class LiveMarkdown(SizedByLayout, Markdown):
    """The Markdown a reply streams into: it and its blocks grow with one layout per write."""

    _sized: dict[type, type] = {}  # Textual's block class -> the same, sized by layout

    def get_block_class(self, block_name: str) -> Any:
        base = super().get_block_class(block_name)
        sized = self._sized.get(base)
        if sized is None:
            sized = self._sized[base] = type(base.__name__, (SizedByLayout, base), {})
        return sized


_parser: Any = None


def block_starts(source: str) -> list[int]:
    """The lines where the top-level Markdown blocks of ``source`` start (as Textual's Markdown parses it)."""
    global _parser
    if _parser is None:
        from markdown_it import MarkdownIt

        _parser = MarkdownIt("gfm-like")
    tokens = _parser.parse(source)
    return sorted({t.map[0] for t in tokens if t.level == 0 and t.map is not None})


class _FrozenPieces:
    """Runs of finished Markdown blocks drawn with Rich's Markdown as one document would be
    (a blank line between blocks). Each run is rendered once per width and kept: Textual
    renders a Static's content to measure its height and again to draw it, and when a run
    is added the earlier ones are not rendered again (code blocks go through Pygments)."""

    # blocks with blocks inside (Rich's Markdown puts the blank line before them itself)
    _CONTAINERS = frozenset({"bullet_list_open", "ordered_list_open", "blockquote_open", "table_open"})

    def __init__(self) -> None:
        # (Rich Markdown, a blank line goes before it, a blank line goes after it)
        self.pieces: list[tuple[Any, bool, bool]] = []
        self._cache: dict[int, tuple[Any, list]] = {}  # piece index -> (options key, segments)

    def add(self, source: str) -> None:
        from rich.markdown import Markdown as RichMarkdown

        md = RichMarkdown(source, code_theme="monokai")
        top = [t for t in md.parsed if t.level == 0]
        before = bool(top) and top[0].type not in self._CONTAINERS
        after = not top or top[-1].type != "hr"  # (Rich's HorizontalRule.new_line)
        self.pieces.append((md, before, after))

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.segment import Segment

        key = (
            options.max_width,
            options.min_width,
            options.justify,
            options.overflow,
            options.no_wrap,
            console.color_system,
        )
        for index, (md, before, _after) in enumerate(self.pieces):
            if index and before and self.pieces[index - 1][2]:
                yield Segment.line()
            cached = self._cache.get(index)
            if cached is None or cached[0] != key:
                cached = self._cache[index] = (key, list(console.render(md, options)))
            yield from cached[1]


class FrozenMarkdown(SizedByLayout, Static):
    """Finished blocks of a reply, drawn as one widget (Rich's Markdown): a stored reply, or
    the blocks a long streaming reply has finished."""

    DEFAULT_CLASSES = "frozen-markdown"

    def __init__(self, source: str) -> None:
        self._pieces = _FrozenPieces()
        self._pieces.add(source)
        super().__init__(self._pieces)
        self.source = source

    def extend(self, source: str) -> None:
        """More finished blocks, drawn as if they had come with the first ones."""
        self.source += source
        self._pieces.add(source)
        self.update(self._pieces)
