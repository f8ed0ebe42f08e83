"""The Chat screen's tools dialogs: the JSON tools offered to the model, and the OpenGradient tools' button.

Mixed into :class:`~og_tui.tui.screens.chat.ChatScreen` (naming-convention handlers): the
parameters pane's ``#p-tools`` button (and ctrl+t) edits the conversation's JSON tool
definitions in a :class:`~og_tui.tui.screens.chat_dialogs.ToolsDialog` (kept as a draft
until the conversation exists); ``#p-og-tools`` opens the OpenGradient tools' dialog
(:meth:`~og_tui.tui.screens.chat_agent.ChatAgent.action_og_tools`).
"""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Button

__all__ = ["ChatTools"]


class ChatTools:
    """Mixed into :class:`~og_tui.tui.screens.chat.ChatScreen`: the tools dialogs."""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "p-og-tools":
            event.stop()
            self.action_og_tools()
        elif event.button.id == "p-tools":
            self.action_tools()

    def action_tools(self) -> None:
        import json

        from og_tui.tui.screens.chat_dialogs import ToolsDialog

        tools = self.conv.tools if self.conv else getattr(self, "_draft_tools", [])
        text = json.dumps(tools, indent=2) if tools else ""

        def done(result: list | None) -> None:
            if result is None:
                return
            if self.conv is not None:
                self.conv = replace(self.conv, tools=result)
                self.save_conversation(tools=result, touch=False)
            else:
                self._draft_tools = result
            self.params_pane.show_tools(result)
            self._show_status()
            self.notify(f"{len(result)} tool(s) offered to the model" if result else "No tools offered", title="Tools")

        self.app.push_screen(ToolsDialog(text), done)
