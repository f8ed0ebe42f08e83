"""``?``: every key of the current screen, grouped, with what it does.

Gathered from the bindings themselves (the active keymap applied), so it never goes out
of date: the focused pane's keys, the screen's, the other panes' and the app's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static

from og_tui.tui.widgets.footer import OGFooter

__all__ = ["KeyReference", "Section", "reference_sections", "sections_table", "sections_text"]

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
    label = getattr(node, "border_title", None) or ""
    if not label and name == "button":
        label = str(getattr(node, "label", "")).strip()
    label = label or (node.id or "").replace("-", " ").replace("_", " ")
    return f"{name} ({label})" if label else name


# Textual's selection keys (shift+arrows...) and sideways paging
_RARE = re.compile(r"^(?=.*shift\+).*\b(up|down|left|right|home|end|pageup|pagedown)$|^ctrl\+page(up|down)$")


def _disabled(node: DOMNode, action: str) -> bool:
    """Whether ``node`` turns ``action`` off for good (its check_action says False; None,
    "shown but not now", still lists it)."""
    name = action.split("(", 1)[0]
    try:
        return node.check_action(name, ()) is False
    except Exception:  # noqa: BLE001 - a check that needs parameters: keep the row
        return False


def _rows(app, node: DOMNode, *, ours_only: bool = False) -> list[tuple[str, str]]:
    """One row per action of ``node`` (all its keys), the keymap applied. Textual's own
    selection keys (shift+...) are summed up in one row (F1 on the pane lists them)."""
    bindings: BindingsMap = node._bindings.copy()
    keymap = getattr(app, "_keymap", None)
    if keymap:
        bindings.apply_keymap(keymap)
    grouped: dict[str, list[str]] = {}  # action -> keys shown
    described: dict[str, str] = {}
    rare = False
    for key, binding in bindings:
        if binding.system or (ours_only and not binding.id and not binding.show):
            continue
        if key.startswith("super+"):  # (a second name for a ctrl key, not a terminal's)
            continue
        if _disabled(node, binding.action):  # e.g. the prompt leaves F6/F7 to the screen keys
            continue
        if not binding.id and _RARE.search(key):
            rare = rare or "shift" in key
            continue
        desc = _describe(binding)
        desc = desc[:1].upper() + desc[1:]
        display = binding.key_display or app.get_key_display(Binding(key, ""))
        if re.fullmatch(r"f\d{1,2}", display):
            display = display.upper()
        shown = grouped.setdefault(binding.action, [])
        if display not in shown:
            shown.append(display)
        if len(desc) > len(described.get(binding.action, "")):  # (the most telling of the names)
            described[binding.action] = desc
    rows = [(", ".join(keys), described[action]) for action, keys in grouped.items()]
    if rare:
        rows.append(("shift+move", "Select while moving (F1 on the pane lists every key)"))
    return rows


def reference_sections(app, screen: Screen) -> list[Section]:
    """The keys of ``screen``: its own, the focused pane's (which win over the screen's
    for the same key), the other panes', and those that work everywhere."""
    sections: list[Section] = []
    title = getattr(screen, "MODE", "") or ""
    name = title.capitalize() if title else re.sub(r"(?<!^)(?=[A-Z])", " ", type(screen).__name__)
    rows = _rows(app, screen)
    if rows:
        sections.append(Section(f"{name} screen", rows))
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
    for widget in screen.focus_chain:
        if type(widget) in seen_types:
            continue
        seen_types.add(type(widget))
        rows = _rows(app, widget, ours_only=True)
        if rows:
            sections.append(Section(f"In the {_pane_name(widget)}", rows))
    sections.append(Section("Everywhere", _rows(app, app)))
    return sections


def sections_table(sections: list[Section], variables: dict[str, str]) -> Group:
    """Each section's title, then a two-column grid (keys, what they do) whose long
    descriptions wrap under themselves."""
    accent = variables.get("accent", "yellow")
    text = variables.get("foreground", "default")
    parts: list[Text | Table] = []
    for index, section in enumerate(sections):
        title = Text(section.title, style=f"bold {accent}", no_wrap=True, overflow="ellipsis")
        parts.append(Text.assemble("\n", title) if index else title)
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(width=KEY_WIDTH, no_wrap=True)
        grid.add_column(ratio=1)
        for keys, desc in section.rows:
            grid.add_row(Text(f"  {keys}", style=f"bold {text}", overflow="ellipsis"), Text(desc))
        parts.append(grid)
    return Group(*parts)


def sections_text(sections: list[Section]) -> str:
    """The same as plain text (for a copy, and for tests)."""
    lines = []
    for section in sections:
        lines += ["", section.title] if lines else [section.title]
        lines += [f"  {keys}".ljust(KEY_WIDTH) + f" {desc}" for keys, desc in section.rows]
    return "\n".join(lines)


class KeyReference(ModalScreen):
    """Full-screen over the screen it describes; esc (or ?) closes."""

    HELP = """\
Every key of the screen below: the screen's own, the focused pane's (they win over the
screen's for the same key), the other panes' and those that work everywhere.
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
                "[bold]Keys[/] · $t  [$text-muted](F1 in a pane: that pane's keys)[/]", t=self.title_text
            ),
            id="keys-head",
        )
        with VerticalScroll(id="keys-scroll"):
            yield Static(sections_table(self.sections, self.app.theme_variables), id="keys-body")
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
