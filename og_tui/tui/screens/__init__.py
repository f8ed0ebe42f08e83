"""The app's top-level screens, one per mode, in navigation order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from textual.screen import Screen

from og_tui.tui.screens.account import AccountScreen
from og_tui.tui.screens.activity import ActivityScreen
from og_tui.tui.screens.coming import ChatScreen, HubScreen, InferenceScreen, WorkflowsScreen


@dataclass(frozen=True)
class ScreenSpec:
    title: str
    fkey: str
    digit: str
    factory: Callable[[], Screen]


SCREENS: dict[str, ScreenSpec] = {
    "account": ScreenSpec("Account", "f2", "1", AccountScreen),
    "hub": ScreenSpec("Hub", "f3", "2", HubScreen),
    "inference": ScreenSpec("Inference", "f4", "3", InferenceScreen),
    "chat": ScreenSpec("Chat", "f5", "4", ChatScreen),
    "workflows": ScreenSpec("Workflows", "f6", "5", WorkflowsScreen),
    "activity": ScreenSpec("Activity", "f7", "6", ActivityScreen),
}
