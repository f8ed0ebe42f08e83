"""The app's top-level screens, one per mode, in navigation order.

Each screen's module is imported the first time its mode is shown, so start-up
pays only for the Account screen.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from textual.screen import Screen


@dataclass(frozen=True)
class ScreenSpec:
    title: str
    fkey: str
    digit: str
    target: str  # "module:Class"

    def factory(self) -> Screen:
        module_name, class_name = self.target.split(":")
        return getattr(importlib.import_module(module_name), class_name)()


SCREENS: dict[str, ScreenSpec] = {
    "account": ScreenSpec("Account", "f2", "1", "og_tui.tui.screens.account:AccountScreen"),
    "hub": ScreenSpec("Hub", "f3", "2", "og_tui.tui.screens.hub:HubScreen"),
    "inference": ScreenSpec("Inference", "f4", "3", "og_tui.tui.screens.inference:InferenceScreen"),
    "chat": ScreenSpec("Chat", "f5", "4", "og_tui.tui.screens.chat:ChatScreen"),
    "workflows": ScreenSpec("Workflows", "f6", "5", "og_tui.tui.screens.workflows:WorkflowsScreen"),
    "activity": ScreenSpec("Activity", "f7", "6", "og_tui.tui.screens.activity:ActivityScreen"),
}
