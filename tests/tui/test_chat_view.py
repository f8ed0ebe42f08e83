"""Pure logic of the chat reply widgets: where Markdown blocks start, and finished blocks
frozen in runs drawn exactly as the whole text would be (a long streaming reply freezes its
blocks as they finish; a stored reply is one run)."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console
from rich.markdown import Markdown as RichMarkdown

from og_tui.tui.widgets.chat_view import _FrozenPieces, block_starts

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
