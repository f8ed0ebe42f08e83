"""Pilot tests of the TEE view against a real devnet: the registry's TEE with its endpoint,
type, heartbeat age, PCR hash and payment address, read in a worker thread; r reads again;
the palette command; a registry that is not there is a clear error."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import DataTable

from og_tui.core import constants
from og_tui.core.tee import discover
from og_tui.tui.app import make_app
from og_tui.tui.commands import OGCommands
from og_tui.tui.screens.chat import ChatScreen
from og_tui.tui.screens.tee_view import TeeRegistryView, heartbeat_age_text, read_registry

from .helpers import settings_for, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def reads(monkeypatch):
    """Each registry read (the real one) with the thread it ran on."""
    seen: list[str] = []

    def recording(profile, registry=None):
        seen.append(threading.current_thread().name)
        return read_registry(profile, registry)

    monkeypatch.setattr(TeeRegistryView, "reader", staticmethod(recording))
    return seen


def _cells(view: TeeRegistryView) -> list[list[str]]:
    table = view.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_tee_view_lists_the_registry(devnet, app_env, reads):
    (tee,) = discover(devnet.rpc_url, constants.TEE_REGISTRY_ADDRESS)
    app = make_app(settings_for(app_env, devnet.port), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: isinstance(app.screen, TeeRegistryView) and app.screen.tees)
        view = app.screen
        assert reads and all(name != threading.main_thread().name for name in reads)
        [row] = _cells(view)
        assert row[0] == tee.tee_id[:6] + "…" + tee.tee_id[-4:]
        assert row[1] == "LLMProxy" and tee.endpoint == "https://" + row[2]
        assert row[3].endswith(" s ago") and row[4] == "yes"
        detail = str(view.query_one("#tee-detail").render())
        for part in (tee.pcr_hash, tee.payment_address, tee.owner, tee.endpoint, "active · enabled"):
            assert part in detail
        assert "1 active TEE" in str(view.query_one("#tee-status").render())

        await pilot.press("r")
        await wait_until(pilot, lambda: len(reads) == 2 and not view.loading)
        assert len(_cells(view)) == 1
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))

        # the palette command (app-wide) opens it too
        [(_, action, _)] = [c for c in OGCommands.commands(OGCommands(app.screen)) if c[0] == "tee: registry"]
        await app.run_action(action)
        await wait_until(pilot, lambda: isinstance(app.screen, TeeRegistryView) and app.screen.tees)


async def test_no_registry_at_the_address_is_a_clear_error(devnet, app_env, reads):
    app = make_app(settings_for(app_env, devnet.port), poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        view = TeeRegistryView(app.ctx.profile, registry="0x" + "11" * 20)
        await app.push_screen(view)
        await wait_until(pilot, lambda: view.error is not None)
        status = view.query_one("#tee-status")
        text = str(status.render())
        assert text.startswith("✗ The TEE registry could not be read: There is no TEE registry at 0x1111")
        assert "r reads it again" in text and status.has_class("-error")
        assert view.query_one(DataTable).row_count == 0


def test_heartbeat_ages_read_naturally():
    assert [heartbeat_age_text(a) for a in (0, 12.7, 89, 600, 7200, 3 * 86400)] == [
        "0 s ago",
        "12 s ago",
        "89 s ago",
        "10 min ago",
        "2 h ago",
        "3 d ago",
    ]
