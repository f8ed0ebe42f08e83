"""The always-visible strip: network badge, wallet, balances, block, work in flight.

One widget drawing one line of content markup: cheap to style and to redraw, which
matters because it is on every screen and changes every few seconds.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from og_tui.tui.format import fmt_units
from og_tui.tui.messages import NetState


def _shorten(why: str, room: int) -> str:
    """``why`` in ``room`` cells: the reason is cut, the keys after its last " · " kept."""
    if len(why) <= room:
        return why
    head, sep, tail = why.rpartition(" · ")
    if head and len(tail) + len(sep) + 4 <= room:
        return head[: room - len(tail) - len(sep) - 1] + "…" + sep + tail
    return why[: room - 1] + "…"


def status_content(state: NetState, log_key: str = "", width: int | None = None) -> Content:
    """The strip's one line. When the network is not there, ``log_key`` (the Log view's
    key) follows the reason, which is shortened to keep that key within ``width``."""
    parts: list[Content] = []
    if state.is_devnet:
        parts.append(Content.from_markup("[bold $background on $warning] LOCAL DEVNET [/]"))
    else:
        parts.append(Content.from_markup("[bold $text on $primary] $name [/]", name=state.profile.upper()))
    hint = (
        Content.from_markup("[@click=app.show_log][$accent]$key log[/][/]", key=log_key)
        if log_key and state.connected is False and not state.starting
        else None
    )
    if state.starting:
        parts.append(Content.from_markup("[$warning]◌ $text[/]", text=state.starting))
    elif state.connected is None:
        parts.append(Content.from_markup("[$text-muted]◌ connecting[/]"))
    elif state.connected:
        block = f"#{state.block:,}" if state.block is not None else "connected"
        parts.append(Content.from_markup("[$success]● $block[/]", block=block))
    else:
        why = state.down or "disconnected"
        if width is not None and hint is not None:
            why = _shorten(why, max(12, width - parts[0].cell_length - hint.cell_length - 7))
        parts.append(Content.from_markup("[bold $error]✕ $why[/]", why=why))
        if hint is not None:
            parts.append(hint)
    if state.address:
        short = f"{state.address[:6]}…{state.address[-4:]}"
        parts.append(
            Content.from_markup(
                "[@click=app.copy_address][$accent]$name $short[/][/]", name=state.wallet_name or "wallet", short=short
            )
        )
        if state.native_wei is not None:
            opg = f" · {fmt_units(state.opg_units, 18, 4)} OPG" if state.opg_units is not None else ""  # (x402 v2)
            parts.append(
                Content(f"{fmt_units(state.native_wei, 18, 4)} OG · {fmt_units(state.token_units, 6, 2)} OUSDC{opg}")
            )
    else:
        parts.append(Content.from_markup("[$text-muted]no wallet[/]"))
    if state.gateway:
        parts.append(
            Content.from_markup("[@click=app.gateway_show][$success]⇄ gateway $port[/][/]", port=state.gateway)
        )
    if state.ops:
        parts.append(Content.from_markup("[$warning]⟳ $ops[/]", ops=" · ".join(state.ops)))
    return Content("  ").join(parts)


class StatusBar(Static):
    """Reads ``app.net`` (a :class:`NetState`) and redraws whenever it is replaced."""

    def on_mount(self) -> None:
        self.watch(self.app, "net", self._render_state, init=True)

    def on_resize(self) -> None:
        self._render_state(self.app.net)

    def _render_state(self, state: NetState) -> None:
        from og_tui.tui.keymap import key_for

        width = self.content_size.width or None
        self.update(status_content(state, key_for(self.app, "app.log", "f10"), width))
        tip = f"profile {state.profile} · {state.address or 'no wallet'} (click the wallet to copy)"
        detail = getattr(self.app, "devnet_detail", "")
        if state.down and detail:
            tip = f"{detail}\n\n{tip}"
        self.tooltip = tip
