"""The footer of every screen and dialog: Textual's, with Quit and Help kept in front so
that a narrow terminal cuts a screen's own keys, never the way to help or out.

A dialog (a modal screen) hides the app's bindings from Textual's footer; this one adds
Quit and Help there too (both are priority bindings, so they work in dialogs).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel, KeyGroup

__all__ = ["PINNED_IDS", "OGFooter"]

PINNED_IDS = ("app.quit", "app.help")


def pinned_bindings(app) -> list[tuple[str, Binding]]:
    """(key in use, binding) of Quit and Help, with the active keymap applied."""
    keymap = getattr(app, "keymap", None) or {}
    found = {b.id: b for b in type(app).BINDINGS if isinstance(b, Binding) and b.id in PINNED_IDS}
    out = []
    for binding_id in PINNED_IDS:
        binding = found.get(binding_id)
        if binding is not None:
            out.append(((keymap.get(binding_id) or binding.key).split(",")[0].strip(), binding))
    return out


class OGFooter(Footer):
    def compose(self) -> ComposeResult:
        items = list(super().compose())
        pins = pinned_bindings(self.app)
        order = [key for key, _ in pins]
        pinned = [
            w for w in items if isinstance(w, FooterKey) and w.key in order and not w.has_class("-command-palette")
        ]
        if self.screen.is_modal:
            have = {w.key for w in pinned}
            pinned += [
                FooterKey(
                    key,
                    self.app.get_key_display(Binding(key, "")),
                    binding.description,
                    f"app.{binding.action}",
                    tooltip=binding.tooltip,
                ).data_bind(compact=Footer.compact)
                for key, binding in pins
                if key not in have
            ]
        pinned.sort(key=lambda w: order.index(w.key))
        yield from pinned
        yield from (w for w in items if w not in pinned)
        self.call_after_refresh(self._fit)
        # (a screen a dialog covers is not refreshed for itself, but it is drawn under the dialog:
        # a timer fits its footer too)
        self.set_timer(0.1, self._fit)

    def on_resize(self) -> None:
        for child in self.children:
            child.display = True
        self.call_after_refresh(self._fit)

    def _fit(self, tries: int = 10) -> None:
        """Keys that do not fit whole are left out (F1 lists them all): a narrow terminal
        never shows a key cut in half before the palette key."""
        if not self.is_mounted or not self.region.width:
            return
        # (an empty key group has no width even once laid out: only keys and labels are waited for)
        if any(not w.region.width for w in self.children if w.display and not isinstance(w, KeyGroup)) and tries:
            self.call_after_refresh(self._fit, tries - 1)  # (new keys not laid out yet)
            return
        palette = [w for w in self.children if isinstance(w, FooterKey) and w.has_class("-command-palette")]
        limit = palette[0].region.x if palette and palette[0].display else self.region.right
        children = [w for w in self.children if w not in palette and w.display]
        for index, child in enumerate(children):
            over = child.region.right > limit
            label = children[index + 1] if index + 1 < len(children) else None
            if isinstance(child, KeyGroup) and isinstance(label, FooterLabel) and label.region.right > limit:
                over = True  # a group's keys without the words after them would say nothing
            if over:
                child.display = False
