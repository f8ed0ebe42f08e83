"""The MCP approval dialog: the poll loop's check opens it for a waiting `og-tui mcp` call
(tool, arguments, what it will spend); Approve lets the waiting call go ahead, Deny refuses
it, and nothing is offered twice."""

from __future__ import annotations

import asyncio
import threading

from textual.widgets import Static

from og_tui.core.mcp_approvals import ApprovalQueue
from og_tui.tui.screens.mcp_approval import McpApprovalDialog, offer_pending_approvals

from .helpers import press_ok, settings_for, wait_until
from .test_settings_in_app import _offline_app


def _shown(app) -> str:
    return "\n".join(str(s.render()) for s in app.screen.query(Static))


async def test_waiting_calls_are_approved_and_denied_in_the_app(app_env):
    app = _offline_app(settings_for(app_env))
    async with app.run_test(size=(100, 32)) as pilot:
        queue = ApprovalQueue(None, store=app.ctx.store)
        queue.poll_seconds = 0.02
        run = queue.request(
            "run_linear_regression",
            {"input": [[1.5, 2.5]]},
            "up to 0.0004 OG in gas (400,000 gas) for one VANILLA inference transaction of linear-regression 0.01",
            timeout=60,
            profile="local",
        )
        chat = queue.request("chat", {"prompt": "hi"}, "up to 0.000016 OUSDC", timeout=60, profile="local")
        other = queue.request("chat", {"prompt": "x"}, "OUSDC", timeout=60, profile="opengradient")
        verdicts: dict[str, str] = {}
        waiter = threading.Thread(target=lambda: verdicts.update(run=queue.wait(run.id)))
        waiter.start()

        await asyncio.to_thread(offer_pending_approvals, app)  # what the poll worker does
        await wait_until(pilot, lambda: isinstance(app.screen, McpApprovalDialog))
        text = _shown(app)
        assert "run_linear_regression" in text and f"#{run.id}" in text
        assert "in gas (400,000 gas) for one VANILLA inference" in text and "1.5" in text
        await asyncio.to_thread(offer_pending_approvals, app)  # one dialog at a time
        await wait_until(pilot, lambda: app.focused is app.screen.query_one("#deny"))  # Enter would say no
        await press_ok(pilot)
        await asyncio.to_thread(waiter.join, 10)
        assert verdicts == {"run": "approved"} and queue.get(run.id).decided_by == "app"

        await wait_until(pilot, lambda: not isinstance(app.screen, McpApprovalDialog))
        await asyncio.to_thread(offer_pending_approvals, app)
        await wait_until(pilot, lambda: isinstance(app.screen, McpApprovalDialog))
        assert "chat" in _shown(app) and "up to 0.000016 OUSDC" in _shown(app)
        await wait_until(pilot, lambda: app.focused is app.screen.query_one("#deny"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: queue.get(chat.id).status == "denied")

        await wait_until(pilot, lambda: not isinstance(app.screen, McpApprovalDialog))
        await asyncio.to_thread(offer_pending_approvals, app)
        await pilot.pause(0.2)
        assert not isinstance(app.screen, McpApprovalDialog)  # the other profile's call is not offered here
        assert queue.get(other.id).status == "pending"
