"""``?``: every key of the current screen, grouped, with what it does.

Gathered from the bindings themselves (the active keymap applied), so it never goes out
of date: the focused pane's keys, the screen's, the other panes' and the app's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static

from og_tui.tui.widgets.footer import OGFooter

__all__ = ["KeyReference", "Section", "reference_sections"]

KEY_WIDTH = 16

# what a pane is called, by widget class (else its id, else its class name)
_PANE_NAMES = {
    "Input": "text field",
    "TextArea": "text editor",
    "PromptArea": "prompt",
    "DataTable": "table",
    "NavDataTable": "table",
    "OptionList": "list",
    "NavOptionList": "list",
    "Tree": "tree",
    "DirectoryTree": "file tree",
    "Button": "button",
    "RadioSet": "choice",
    "Checkbox": "checkbox",
    "Select": "drop-down",
    "SelectCurrent": "drop-down",
}


@dataclass
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)  # (keys as shown, what they do)


def _describe(binding: Binding) -> str:
    if binding.description and binding.tooltip:
        return f"{binding.description}: {binding.tooltip[0].lower()}{binding.tooltip[1:]}"
    if binding.description or binding.tooltip:
        return binding.description or binding.tooltip
    action = re.sub(r"\(.*\)$", "", binding.action).split(".")[-1]
    return action.replace("_", " ").capitalize()


def _pane_name(node: DOMNode) -> str:
    for cls in type(node).__mro__:
        if cls.__name__ in _PANE_NAMES:
            name = _PANE_NAMES[cls.__name__]
            break
    else:
        name = re.sub(r"(?<!^)(?=[A-Z])", " ", type(node).__name__).lower()
    label = getattr(node, "border_title", None) or (node.id or "").replace("-", " ").replace("_", " ")
    return f"{name} ({label})" if label else name


def _rows(app, node: DOMNode, *, ours_only: bool = False) -> list[tuple[str, str]]:
    """One row per binding of ``node`` (keys of one binding joined), the keymap applied."""
    bindings: BindingsMap = node._bindings.copy()
    keymap = getattr(app, "_keymap", None)
    if keymap:
        bindings.apply_keymap(keymap)
    grouped: dict[tuple[str, str], list[str]] = {}
    for key, binding in bindings:
        if binding.system or (ours_only and not binding.id and not binding.show):
            continue
        if key.startswith("super+"):  # (a second name for a ctrl key, not a terminal's)
            continue
        desc = _describe(binding)
        desc = desc[:1].upper() + desc[1:]
        display = binding.key_display or app.get_key_display(Binding(key, ""))
        if re.fullmatch(r"f\d{1,2}", display):
            display = display.upper()
        shown = grouped.setdefault((binding.action, desc), [])
        if display not in shown:
            shown.append(display)
    return [(", ".join(keys), desc) for (_, desc), keys in grouped.items()]


def reference_sections(app, screen: Screen) -> list[Section]:
    """The keys of ``screen`` in the order they are looked up: focused pane, screen, other
    panes, everywhere (a key in an earlier section wins over the same key later)."""
    sections: list[Section] = []
    focused = screen.focused
    chain: list[Widget] = []
    if focused is not None:
        chain = [n for n in focused.ancestors_with_self if isinstance(n, Widget) and n is not screen]
    seen_types: set[type] = set()
    for node in chain:
        rows = _rows(app, node)
        if rows and type(node) not in seen_types:
            seen_types.add(type(node))
            prefix = "Focused: " if node is focused else "Around it: "
            sections.append(Section(prefix + _pane_name(node), rows))
    title = getattr(screen, "MODE", "") or ""
    name = title.capitalize() if title else re.sub(r"(?<!^)(?=[A-Z])", " ", type(screen).__name__)
    rows = _rows(app, screen)
    if rows:
        sections.append(Section(f"{name} screen", rows))
    for widget in screen.focus_chain:
        if type(widget) in seen_types:
            continue
        seen_types.add(type(widget))
        rows = _rows(app, widget, ours_only=True)
        if rows:
            sections.append(Section(f"In the {_pane_name(widget)}", rows))
    sections.append(Section("Everywhere", _rows(app, app)))
    return sections


def sections_content(sections: list[Section]) -> Content:
    lines: list[Content] = []
    for section in sections:
        if lines:
            lines.append(Content(""))
        lines.append(Content.from_markup("[bold $accent]$t[/]", t=section.title))
        for keys, desc in section.rows:
            lines.append(
                Content.assemble(
                    Content.from_markup("[bold $text]$k[/]", k=f"  {keys}".ljust(KEY_WIDTH)), " ", Content(desc)
                )
            )
    return Content("\n").join(lines)


class KeyReference(ModalScreen):
    """Full-screen over the screen it describes; esc (or ?) closes."""

    HELP = """\
## Keys

Every key of the screen below, grouped: the focused pane's first (they win over the
same key further down), then the screen's, the other panes', and those that work everywhere.

**esc** or **?** closes; **j**/**k**, **g**/**G**, page keys scroll.
"""

    DEFAULT_CSS = """
    KeyReference { background: $background; }
    KeyReference #keys-head { height: 1; padding: 0 1; background: $boost; }
    KeyReference #keys-scroll { height: 1fr; padding: 0 1; background: $surface; }
    KeyReference #keys-body { width: 1fr; height: auto; }
    """

    BINDINGS = [
        Binding("escape,question_mark", "close", "Close", id="keys.close", tooltip="Back to the screen"),
        Binding("j", "scroll('down')", "Down", id="motion.down", show=False),
        Binding("k", "scroll('up')", "Up", id="motion.up", show=False),
        Binding("g", "scroll('home')", "First", id="motion.first", show=False),
        Binding("G", "scroll('end')", "Last", id="motion.last", show=False),
    ]

    def __init__(self, sections: list[Section], title: str) -> None:
        super().__init__()
        self.sections = sections
        self.title_text = title

    def compose(self) -> ComposeResult:
        yield Static(
            Content.from_markup(
                "[bold]Keys[/] $t  [$text-muted](F1 in a pane: that pane's keys)[/]", t=self.title_text
            ),
            id="keys-head",
        )
        with VerticalScroll(id="keys-scroll"):
            yield Static(sections_content(self.sections), id="keys-body")
        yield OGFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#keys-scroll").focus()

    def action_scroll(self, where: str) -> None:
        scroll = self.query_one("#keys-scroll", VerticalScroll)
        {
            "down": scroll.scroll_down,
            "up": scroll.scroll_up,
            "home": scroll.scroll_home,
            "end": scroll.scroll_end,
        }[where](animate=False)

    def action_close(self) -> None:
        self.dismiss()
