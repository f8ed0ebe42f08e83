"""Pilot tests of the Workflows screen against a real devnet.

Live forecasts of the seeded workflow models, create -> deploy -> run now -> schedule ->
history grows, validation before anything is sent, add-by-address of a non-workflow,
a locked or missing wallet, and the devnet going away. They assert on the messages the
workers post and on the chain itself.
"""

from __future__ import annotations

import pytest
from eth_account import Account
from textual.notifications import Notify

from og_tui.core.alpha import AlphaClient, WorkflowBook
from og_tui.core.chain import ChainClient
from og_tui.core.devnet_client import DevnetClient
from og_tui.core.secrets import WalletStore
from og_tui.core.workflow_models import workflow_models
from og_tui.tui import messages as m
from og_tui.tui.app import make_app
from og_tui.tui.screens import workflows as wf_screen
from og_tui.tui.screens.modals import ConfirmDialog, UnlockDialog
from og_tui.tui.screens.workflow_create import NewWorkflowDialog
from og_tui.tui.screens.workflow_dialogs import AddWorkflowDialog, ScheduleDialog
from og_tui.tui.screens.workflow_ops import WorkflowOps
from og_tui.tui.widgets.history_chart import HistoryChart

from .helpers import TEST_PASSPHRASE, settings_for, settle
from .helpers import wait_until as _wait_until

pytestmark = pytest.mark.e2e

SAMPLE = "price-forecast-1h@0.01"  # input open_high_low_close [1, 10, 4] -> regression_output [1, 1]
SLACK = 3  # the machine may be busy: waits end as soon as their condition holds


@pytest.fixture
def fast_polls(monkeypatch):
    monkeypatch.setattr(wf_screen, "DETAIL_POLL", 0.4)
    monkeypatch.setattr(wf_screen, "LIST_POLL", 1.0)


@pytest.fixture
def fast_seed_devnet(devnet_factory, tmp_path, monkeypatch):
    """A devnet whose seeded workflows run every 2 s (instead of 30 s)."""
    monkeypatch.setenv("OG_TUI_DEVNET_SEED_FREQUENCY", "2")
    monkeypatch.setenv("OG_TUI_DEVNET_SCHEDULER_TICK", "0.2")
    proc = devnet_factory(tmp_path / "devnet-data")
    yield proc
    proc.stop()


async def wait_until(pilot, predicate, timeout: float = 20.0) -> None:
    await _wait_until(pilot, predicate, timeout=timeout * SLACK)


def _recorder():
    seen: list = []
    return seen, seen.append


def _of(seen, kind):
    return [msg for msg in seen if isinstance(msg, kind)]


def _text(widget) -> str:
    return str(widget.render())


def _wallet(settings, devnet, *, fund: bool = True, unlock: bool = True):
    """A fresh wallet (its own nonce), active, funded; returns (address, unlocked account or None)."""
    account = Account.create()
    wallets = WalletStore(settings.data_dir, keyring_mode="file", kdf_n=1024)
    info = wallets.import_key("main", account.key.hex(), TEST_PASSPHRASE)
    wallets.set_active(info.address)
    if fund:
        DevnetClient(devnet.url).fund(info.address)
    return info.address, (wallets.unlock(info.address, TEST_PASSPHRASE) if unlock else None)


async def _open_workflows(pilot):
    await pilot.press("f6")
    await wait_until(pilot, lambda: pilot.app.current_mode == "workflows")
    return pilot.app.screen


async def _press_ok(pilot) -> None:
    """Press the dialog's OK button (as a click would; a toast may cover it for a real click)."""
    await pilot.pause()
    pilot.app.screen.query_one("#ok").press()
    await pilot.pause()


async def _fill_new_form(pilot, seen, **values) -> NewWorkflowDialog:
    """Open the create form, pick the sample model, wait for its signature, set ``values``."""
    app = pilot.app
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(app.screen, NewWorkflowDialog))
    dialog = app.screen
    await wait_until(pilot, lambda: _of(seen, NewWorkflowDialog.HubModels))
    dialog.query_one("#wf-model").value = SAMPLE
    await wait_until(pilot, lambda: dialog.selected_file() is not None and dialog.selected_file().get("signature"))
    assert dialog.query_one("#wf-input").value == "open_high_low_close"  # filled from the signature
    assert "[1, 10, 4]" in _text(dialog.query_one("#wf-sig"))
    for field_id, value in values.items():
        widget = dialog.query_one(f"#{field_id}")
        widget.value = value
    await pilot.pause()
    return dialog


async def test_live_forecasts_of_the_seeded_workflows(fast_seed_devnet, app_env, fast_polls):
    settings = settings_for(app_env, fast_seed_devnet.port)
    app = make_app(settings, poll=False)
    seen, hook = _recorder()
    models = workflow_models(settings.profile)
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        screen = await _open_workflows(pilot)

        def every_model_forecast() -> bool:  # the keeper's first runs land soon after the devnet starts
            loads = _of(seen, wf_screen.WorkflowsScreen.ListLoaded)
            return bool(loads) and all(
                ((loads[-1].values.get(wm.address) or (None, None))[0] or {}).get(wm.output_key) for wm in models
            )

        await wait_until(pilot, every_model_forecast, timeout=30)
        await settle(pilot)  # and the list shows them
        values = _of(seen, wf_screen.WorkflowsScreen.ListLoaded)[-1].values
        assert {wm.address for wm in models} <= set(values)
        assert all(error is None for _outputs, error in values.values()), values
        table = screen.query_one("#wf-list")
        for wm in models:
            assert values[wm.address][0].get(wm.output_key), wm  # a forecast is there
            assert str(table.get_cell(wm.address, "latest")).endswith("%")
        # the selected model (the first row: the list is sorted by title) has a chart that grows
        # as the keeper runs it
        first = min(models, key=lambda wm: wm.title.casefold()).address
        assert screen.selected == first

        def history_len() -> int:
            return len(screen._history.get(first, []))

        await wait_until(pilot, lambda: history_len() >= 1, timeout=30)
        start = history_len()
        await wait_until(pilot, lambda: history_len() >= start + 2, timeout=30)
        chart = screen.query_one("#wf-chart", HistoryChart)
        assert len(chart.values) == history_len()
        assert "Schedule every 2 s" in _text(screen.query_one("#wf-info"))
        assert "Next run" in _text(screen.query_one("#wf-info"))
        assert "%" in _text(screen.query_one("#wf-latest"))
        # polling stops when the screen is hidden: the keeper runs the workflow twice more (a
        # full 2 s period, five polls of a visible screen) and no new detail is posted
        await pilot.press("f7")
        await wait_until(pilot, lambda: app.current_mode == "activity")
        await settle(pilot)  # a poll in flight when the screen was hidden has landed
        count = len(_of(seen, wf_screen.WorkflowsScreen.DetailLoaded))
        chain = ChainClient(fast_seed_devnet.rpc_url)
        try:
            alpha = AlphaClient(chain)
            runs = alpha.workflow_info(first).result_count
            await wait_until(pilot, lambda: alpha.workflow_info(first).result_count >= runs + 2)
        finally:
            chain.close()
        assert len(_of(seen, wf_screen.WorkflowsScreen.DetailLoaded)) == count


async def test_create_deploy_run_schedule_history_grows(devnet, app_env, fast_polls):
    settings = settings_for(app_env, devnet.port)
    owner, account = _wallet(settings, devnet)
    app = make_app(settings, poll=False)
    app.ctx.remember_signer(account)
    seen, hook = _recorder()
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        screen = await _open_workflows(pilot)
        dialog = await _fill_new_form(pilot, seen, **{"wf-base": "btc", "wf-quote": "usdt"})
        await _press_ok(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # the review: gas and fee
        assert any("Gas" in _text(line) for line in app.screen.query(".dialog-line"))
        await _press_ok(pilot)
        await wait_until(pilot, lambda: _of(seen, WorkflowOps.Deployed) or _of(seen, WorkflowOps.Failed), timeout=60)
        assert not _of(seen, WorkflowOps.Failed), _of(seen, WorkflowOps.Failed)[0].text
        assert not dialog.is_attached
        address = _of(seen, WorkflowOps.Deployed)[0].address
        # persisted for this wallet, selected in the list
        [entry] = WorkflowBook(settings.data_dir).list(settings.profile_name)
        assert entry["address"] == address and entry["owner"] == owner
        assert entry["query"]["base"] == "BTC" and entry["query"]["candle_types"] == ["OPEN", "HIGH", "LOW", "CLOSE"]
        await wait_until(pilot, lambda: screen.selected == address)
        await wait_until(pilot, lambda: "not scheduled" in _text(screen.query_one("#wf-info")))
        assert "BTC/USDT" in _text(screen.query_one("#wf-info"))

        # run now: live status, then the result
        await pilot.press("r")
        await wait_until(pilot, lambda: _of(seen, WorkflowOps.Result) or _of(seen, WorkflowOps.Failed), timeout=60)
        assert not _of(seen, WorkflowOps.Failed), _of(seen, WorkflowOps.Failed)[0].text
        stages = [s.stage for s in _of(seen, WorkflowOps.Status) if s.op == "run"]
        assert "sent" in stages and "mined" in stages
        result = _of(seen, WorkflowOps.Result)[0]
        assert result.address == address and len(result.outputs["regression_output"]) == 1
        assert result.block is not None
        assert "regression_output" in _text(screen.query_one("#wf-latest"))
        await wait_until(pilot, lambda: len(screen._history.get(address, [])) == 1)
        kinds = [tx.kind for tx in app.ctx.store.list_txs()]
        assert "workflow-deploy" in kinds and "workflow-run" in kinds

        # schedule every second: the history grows across polls
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ScheduleDialog))
        app.screen.query_one("#wf-freq").value = "1"
        app.screen.query_one("#wf-until").value = "5m"
        await _press_ok(pilot)
        await wait_until(pilot, lambda: _of(seen, WorkflowOps.Scheduled) or _of(seen, WorkflowOps.Failed), timeout=30)
        assert not _of(seen, WorkflowOps.Failed), _of(seen, WorkflowOps.Failed)[0].text
        await wait_until(pilot, lambda: "every 1 s" in _text(screen.query_one("#wf-info")), timeout=10)
        lengths: list[int] = []

        def grown() -> bool:
            lengths.append(len(screen._history.get(address, [])))
            return lengths[-1] >= 4

        await wait_until(pilot, grown, timeout=30)
        assert lengths == sorted(lengths) and lengths[-1] > lengths[0]  # it only grows
        # after the first read, each poll fetches only the runs that landed since the last one
        increments = [
            e for e in _of(seen, wf_screen.WorkflowsScreen.DetailLoaded) if e.address == address and e.base_count
        ]
        # (how many landed between two polls depends on the machine's load: not asserted)
        assert increments and all(
            0 < e.base_count and len(e.history) == e.info.result_count - e.base_count for e in increments
        )
        assert len(screen.query_one("#wf-chart", HistoryChart).values) >= 4
        assert "History · " in _text(screen.query_one("#wf-chart-title"))

    # a restart shows the wallet's workflow again (persisted)
    app2 = make_app(settings, poll=False)
    async with app2.run_test(size=(100, 30)) as pilot:
        screen = await _open_workflows(pilot)
        assert screen.entry(address) is not None and screen.entry(address).kind == "mine"


async def test_bad_input_is_refused_before_anything_is_sent(devnet, app_env):
    settings = settings_for(app_env, devnet.port)
    owner, account = _wallet(settings, devnet)
    chain = ChainClient(devnet.rpc_url)
    nonce = chain.nonce(owner)
    app = make_app(settings, poll=False)
    app.ctx.remember_signer(account)
    seen, hook = _recorder()
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        await _open_workflows(pilot)
        dialog = await _fill_new_form(pilot, seen, **{"wf-candles": "12"})
        error = dialog.query_one(".dialog-error")

        async def submit_expect(text: str, focus_id: str | None = None) -> None:
            checks = len(_of(seen, NewWorkflowDialog.Checked))
            await _press_ok(pilot)
            await wait_until(pilot, lambda: text in _text(error) or len(_of(seen, NewWorkflowDialog.Checked)) > checks)
            await pilot.pause()
            assert text in _text(error), _text(error)
            assert app.screen is dialog  # still open, nothing lost
            if focus_id:
                assert app.focused is not None and app.focused.id == focus_id

        # the input shape does not fit the query
        await submit_expect("expects shape [1, 10, 4]", "wf-candles")
        assert dialog.query_one("#wf-candles").value == "12"
        dialog.query_one("#wf-candles").value = "10"
        dialog.query_one("#wf-types").deselect("LOW")
        await submit_expect("Pick exactly 4 candle types", "wf-types")
        dialog.query_one("#wf-types").select("LOW")
        # an unknown pair: the network's price feed refuses it (a dry run)
        dialog.query_one("#wf-base").value = "NOPE"
        await submit_expect("unknown pair")
        dialog.query_one("#wf-base").value = "ETH"
        # zero / negative frequency, an end time in the past
        dialog.query_one("#wf-schedule").value = True
        dialog.query_one("#wf-freq").value = "0"
        await submit_expect("frequency must be a positive number", "wf-freq")
        dialog.query_one("#wf-freq").value = "-5"
        await submit_expect("frequency must be a positive number", "wf-freq")
        dialog.query_one("#wf-freq").value = "10"
        dialog.query_one("#wf-until").value = "2020-01-01 10:00"
        await submit_expect("is in the past", "wf-until")
        dialog.query_one("#wf-until").value = "-1"
        await submit_expect("in the past", "wf-until")
        # everything typed is still there
        assert dialog.query_one("#wf-base").value == "ETH"
        assert dialog.query_one("#wf-freq").value == "10"
        assert dialog.query_one("#wf-model").value == SAMPLE
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, NewWorkflowDialog))
    assert chain.nonce(owner) == nonce  # no transaction was sent
    assert not _of(seen, m.TxSubmitted) and not _of(seen, WorkflowOps.Deployed)


async def test_add_by_address_refuses_a_non_workflow(devnet, app_env):
    settings = settings_for(app_env, devnet.port)
    _wallet(settings, devnet, fund=False, unlock=False)
    token = settings.profile.payment_token  # a contract, but not a workflow
    app = make_app(settings, poll=False)
    seen, hook = _recorder()
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        screen = await _open_workflows(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AddWorkflowDialog))
        dialog = app.screen
        error = dialog.query_one(".dialog-error")
        dialog.query_one("#wf-address").value = "0x1234"
        await _press_ok(pilot)
        await wait_until(pilot, lambda: _text(error) != "")
        assert "address" in _text(error).lower()
        for address in (token, "0x8ba1f109551bD432803012645Ac136ddd64DBA72"):
            before = len(_of(seen, NewWorkflowDialog.Checked))
            dialog.query_one("#wf-address").value = address
            await _press_ok(pilot)
            await wait_until(pilot, lambda: len(_of(seen, NewWorkflowDialog.Checked)) > before, timeout=20)
            await pilot.pause()
            assert "is not a workflow contract" in _text(error), _text(error)
            assert app.screen is dialog and dialog.query_one("#wf-address").value == address
        # a real one is accepted and listed
        before = len(_of(seen, NewWorkflowDialog.Checked))
        deployed = workflow_models(settings.profile)[0].address
        dialog.query_one("#wf-address").value = deployed.lower()
        await _press_ok(pilot)
        await wait_until(
            pilot,
            lambda: not isinstance(app.screen, AddWorkflowDialog) or len(_of(seen, NewWorkflowDialog.Checked)) > before,
            timeout=20,
        )
        await pilot.pause()
        assert not isinstance(app.screen, AddWorkflowDialog), _text(error)
        assert screen.selected.lower() == deployed.lower()


async def test_no_wallet_and_locked_wallet(devnet, app_env):
    settings = settings_for(app_env, devnet.port)
    app = make_app(settings, poll=False)
    seen, hook = _recorder()
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        await _open_workflows(pilot)
        await pilot.press("n")
        # a toast points to the Account screen, and no form opens
        await wait_until(
            pilot, lambda: any("Account screen (F2)" in str(n.notification.message) for n in _of(seen, Notify))
        )
        assert not isinstance(app.screen, NewWorkflowDialog)
    owner, _ = _wallet(settings, devnet, fund=False, unlock=False)
    app = make_app(settings, poll=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        await _open_workflows(pilot)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockDialog))
        await pilot.press("escape")
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, UnlockDialog))
        app.screen.query_one("#pass").value = TEST_PASSPHRASE
        await _press_ok(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, NewWorkflowDialog), timeout=20)
        assert app.ctx.signer(owner) is not None


async def test_devnet_down_keeps_what_is_shown(fresh_devnet, app_env, fast_polls):
    settings = settings_for(app_env, fresh_devnet.port)
    owner, account = _wallet(settings, fresh_devnet)
    app = make_app(settings, poll=False, autostart_devnet=False)
    app.ctx.remember_signer(account)
    seen, hook = _recorder()
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await wait_until(pilot, lambda: app.net.connected)
        screen = await _open_workflows(pilot)
        first = screen.selected
        await wait_until(pilot, lambda: len(screen._history.get(first, [])) >= 1, timeout=30)
        shown = len(screen.query_one("#wf-chart", HistoryChart).values)
        fresh_devnet.stop()
        await wait_until(
            pilot, lambda: any(e.error for e in _of(seen, wf_screen.WorkflowsScreen.DetailLoaded)), timeout=20
        )
        await wait_until(
            pilot,
            lambda: (
                "reach" in _text(screen.query_one("#wf-info")).lower()
                or "connect" in _text(screen.query_one("#wf-info")).lower()
            ),
        )  # the failed poll is shown
        assert len(screen.query_one("#wf-chart", HistoryChart).values) == shown  # nothing lost
        info = _text(screen.query_one("#wf-info"))
        assert "Model" in info and ("reach" in info.lower() or "connect" in info.lower()), info
        # run now while the devnet is down: a clear message, no crash
        await pilot.press("r")
        await wait_until(pilot, lambda: _of(seen, WorkflowOps.Failed), timeout=30)
        failed = _of(seen, WorkflowOps.Failed)[0]
        assert failed.op == "run" and failed.text
        assert "Traceback" not in failed.text
