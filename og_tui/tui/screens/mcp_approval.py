"""The MCP approval dialog: a tool call of ``og-tui mcp`` waits for a yes before it spends.

The app's poll worker calls :func:`offer_pending_approvals` every poll: it reads the
``mcp_approvals`` queue (:mod:`og_tui.core.mcp_approvals`, in the app's own og-tui.db) and,
when a call of the active profile waits and no approval dialog is open, opens
:class:`McpApprovalDialog` for the oldest one: the tool, its arguments and what it will
spend, with Approve and Deny. Escape leaves it undecided (the call keeps waiting until its
timeout; ``og-tui mcp approvals`` can still decide it). Each request is offered once.
"""

from __future__ import annotations

import json
import time
from typing import Any, Optional

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from og_tui.tui.screens.modals import Dialog
from og_tui.tui.widgets.footer import OGFooter

__all__ = ["McpApprovalDialog", "offer_pending_approvals"]

_SHOWN = "_mcp_approvals_offered"  # app attribute: ids offered already
_OPEN = "_mcp_approval_open"  # app attribute: a dialog is up


def _arguments(text: str, limit: int = 600) -> str:
    try:
        shown = json.dumps(json.loads(text), indent=1)
    except ValueError:
        shown = text
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


class McpApprovalDialog(Dialog):
    """Approve (True), Deny (False) or decide later (None) one waiting MCP tool call."""

    TITLE_TEXT = "An MCP client asks to spend"
    AUTO_FOCUS = "#deny"  # Enter on a dialog that popped up unasked says no

    def __init__(self, approval: Any) -> None:
        super().__init__()
        self.approval = approval

    def compose(self) -> ComposeResult:
        a = self.approval
        left = max(0, int(a.expires_at - time.time()))
        with Vertical(classes="dialog"):
            yield Label(self.TITLE_TEXT, classes="dialog-title")
            yield Static(
                f"Tool      {a.tool}   (request #{a.id}, server {a.server or 'default'})", classes="dialog-line"
            )
            yield Static(f"Spends    {a.spend}", classes="dialog-line")
            yield Static(f"Waits     {left} s more, then it is refused", classes="dialog-line")
            yield Label("Arguments")
            yield Static(_arguments(a.arguments), classes="dialog-line", markup=False)
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Approve", variant="warning", id="ok", compact=True)
                yield Button("Deny", variant="error", id="deny", compact=True)
                yield Button("Later", id="cancel", compact=True)
        yield OGFooter(compact=True)

    def collect(self) -> Any:
        return True

    @on(Button.Pressed, "#deny")
    def _deny(self) -> None:
        self.dismiss(False)


def offer_pending_approvals(app: Any) -> None:
    """From the poll worker (a thread): open the dialog for the oldest waiting call not offered yet."""
    if getattr(app, _OPEN, False):
        return
    ctx = app.ctx
    try:
        from og_tui.core.mcp_approvals import ApprovalQueue

        queue = ApprovalQueue(None, store=ctx.store)
        pending = queue.pending(ctx.profile.name)
    except Exception:  # noqa: BLE001 - tried again at the next poll
        return
    offered: set[int] = getattr(app, _SHOWN, None) or set()
    setattr(app, _SHOWN, offered)
    for approval in pending:
        if approval.id not in offered:
            offered.add(approval.id)
            setattr(app, _OPEN, True)
            app.call_from_thread(_show, app, approval)
            return


def _show(app: Any, approval: Any) -> None:
    def done(verdict: Optional[bool]) -> None:
        setattr(app, _OPEN, False)
        if verdict is None:
            app.notify(
                f"MCP request #{approval.id} still waits: og-tui mcp approvals approve|deny {approval.id}.",
                title="MCP",
            )
            return
        app.run_worker(
            lambda: _decide(app, approval, verdict),
            thread=True,
            exit_on_error=False,
            description="mcp approval",
        )

    app.push_screen(McpApprovalDialog(approval), done)


def _decide(app: Any, approval: Any, approve: bool) -> None:
    from og_tui.core.errors import OGError
    from og_tui.core.mcp_approvals import ApprovalQueue

    try:
        ApprovalQueue(None, store=app.ctx.store).decide(approval.id, approve, "app")
    except OGError as exc:
        app.call_from_thread(app.notify, str(exc), title="MCP", severity="warning")
        return
    word = "approved: it goes ahead" if approve else "denied: nothing is signed"
    app.call_from_thread(app.notify, f"MCP {approval.tool} (#{approval.id}) {word}.", title="MCP")
