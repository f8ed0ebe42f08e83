"""The Inference screen's status line: idle hint, live stages of a run, its result or error."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from og_tui.tui.format import fmt_units

__all__ = ["RunStatus", "KINDS"]

KINDS = ("busy", "ok", "error", "idle")


class RunStatus(Static):
    def show(self, text: Text | str, kind: str = "") -> None:
        """``text`` styled by ``kind``: busy, ok, error, idle (or none)."""
        for name in KINDS:
            self.set_class(name == kind, f"-{name}")
        self.update(text)

    @property
    def is_error(self) -> bool:
        return self.has_class("-error")

    @staticmethod
    def idle_text(address: str | None, wallet_name: str | None, native_wei: int | None) -> Text:
        text = Text()
        if not address:
            text.append("No wallet yet: create or import one on the Account screen (F2).")
            return text
        text.append("Ready. ", style="bold")
        text.append(f"ctrl+r runs the model, signed by {wallet_name or 'your wallet'}")
        if native_wei is not None:
            text.append(f" ({fmt_units(native_wei, 18, 4)} OG)")
        text.append(".")
        return text

    def show_result(
        self,
        *,
        tx_hash: str | None,
        block: int | None,
        gas_used: int | None,
        latency_s: float | None,
        mode: str,
        fee_wei: int | None = None,
        attestation: dict[str, Any] | None = None,
        source: str | None = None,
        when: str | None = None,
        link: str | None = None,
        devnet: bool = False,
    ) -> None:
        """A mined run (or one from the history: ``when``); ``link`` to the explorer, if any."""
        wide = self.app.size.width >= 100
        text = Text()
        text.append(f"✓ {when}" if when else "✓ mined", style="bold")
        text.append(f" · {mode}")
        if block is not None:
            text.append(f" · block {block:,}")
        if gas_used is not None:
            text.append(f" · gas {gas_used:,}")
        if latency_s is not None:
            text.append(f" · {latency_s * 1000:,.0f} ms")
        if fee_wei and (wide or not when):
            text.append(f" · fee {fmt_units(fee_wei, 18, 8)} OG", style="dim")
        text.append("\ntx ", style="dim")
        text.append(tx_hash or "–")
        if link:
            text.append(" explorer", style=f"link {link} underline")
        if source == "node-api":
            text.append(" · outputs from the node API", style="dim")
        if attestation:
            note = str(attestation.get("note") or "")
            devnet = "devnet" in note.lower() or devnet
            text.append("\nTEE attestation verified ✓", style="bold")
            text.append(" (devnet key, not hardware)" if devnet else "")
            text.append(f"\nsigner {attestation.get('signer')}")
            if wide and devnet:
                text.append(" · proves which node signed, not that an enclave ran it", style="dim")
            elif wide and note:
                text.append(f" · {note}", style="dim")
        self.show(text, "ok")
