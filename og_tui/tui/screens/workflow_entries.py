"""What the Workflows screen lists: an :class:`Entry` per workflow (a public model, one
this wallet deployed, or one added by address), the entries read from a WorkflowBook's
rows, and the text of the list's "Latest" cell. Pure: no widgets, no network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from og_tui.tui.format import short_address
from og_tui.tui.widgets.workflow_detail import fmt_number


@dataclass
class Entry:
    address: str
    title: str
    kind: str  # "public" | "mine" | "added"
    output_key: str | None = None  # the public models' forecast output
    note: dict[str, Any] = field(default_factory=dict)  # the WorkflowBook entry


def fmt_list_value(entry: Entry, outputs: dict[str, list[float]]) -> str:
    """The list's "Latest" cell: a public forecast as a percentage, otherwise the first number."""
    if not outputs:
        return "no runs"
    if entry.output_key and outputs.get(entry.output_key):
        return f"{outputs[entry.output_key][0]:+.4%}"
    name, values = next(iter(outputs.items()))
    return fmt_number(values[0]) if values else "–"


def book_entries_of(rows: list[dict[str, Any]], owner: str) -> list[Entry]:
    """The entries of the book's ``rows`` that belong to ``owner`` (lower case; rows without
    an owner belong to everyone), in the book's order; titles made unique by the address."""
    out = []
    for row in rows:
        address = str(row.get("address") or "")
        if not address:
            continue
        row_owner = str(row.get("owner") or "").lower()
        if row_owner and row_owner != owner:
            continue
        query = row.get("query") or {}
        if row.get("source") == "added":
            title = f"added {short_address(address)}"
            kind = "added"
        else:
            pair = f"{query.get('base', '?')}/{query.get('quote', '?')}"
            title = f"mine {pair} {query.get('total_candles', '?')}×{query.get('candle_duration_in_mins', '?')}m"
            kind = "mine"
        out.append(Entry(address, title, kind, None, dict(row)))
    titles = [e.title for e in out]
    for entry in out:  # the same query twice: the address tells them apart
        if titles.count(entry.title) > 1:
            entry.title = f"{entry.title} …{entry.address[-4:]}"
    return out
