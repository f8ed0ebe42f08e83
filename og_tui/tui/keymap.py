"""The binding ids a ``[keymap]`` table may name, gathered from the app's code.

Textual's ``App.set_keymap`` ignores ids it does not know, so a typo such as
``"acount.fund"`` would silently keep the old key. :func:`unknown_keymap_ids` finds them;
the app reports them at start-up (in a worker, after the first frame: gathering the ids
imports every screen) and ``og-tui config validate`` fails on them.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
from typing import Iterable, Mapping


def known_binding_ids() -> set[str]:
    """Every ``Binding(id=...)`` declared by the app, its screens, dialogs and widgets."""
    from textual.binding import Binding
    from textual.dom import DOMNode

    import og_tui.tui as package

    ids: set[str] = set()
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.endswith(".screenshots"):
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, DOMNode) or not cls.__module__.startswith("og_tui."):
                continue
            for binding in getattr(cls, "BINDINGS", ()):
                if isinstance(binding, Binding) and binding.id:
                    ids.add(binding.id)
    return ids


def unknown_keymap_ids(keymap: Mapping[str, str], known: Iterable[str] | None = None) -> list[str]:
    """One message per ``[keymap]`` id the app does not have, with the closest real id."""
    known_ids = sorted(known_binding_ids() if known is None else set(known))
    problems = []
    for binding_id in keymap:
        if binding_id in known_ids:
            continue
        close = difflib.get_close_matches(binding_id, known_ids, n=1)
        guess = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(f"[keymap] {binding_id!r} is not a binding of og-tui{guess}; it was ignored.")
    return problems


def key_for(app, binding_id: str, default: str) -> str:
    """The key a hint should name for ``binding_id``: the active keymap's first key, else
    ``default``, as the footer shows it."""
    from textual.binding import Binding

    keys = (getattr(app, "keymap", None) or {}).get(binding_id) or default
    return app.get_key_display(Binding(keys.split(",")[0].strip(), ""))
