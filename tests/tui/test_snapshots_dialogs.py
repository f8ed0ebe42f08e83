"""80x24 snapshots of the dialogs test_snapshots.py does not show at that size (no network:
each dialog is opened over the Account screen with fixed data)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .test_snapshots import TEST_KEY, _app, _fixed_state, _settled

PICKER_DIR = Path("/tmp/og-tui-snapshot-files")  # a fixed path: the picker shows it


@pytest.fixture(autouse=True)
def _utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.delenv("TZ", raising=False)
    time.tzset()


def _dialog(make, *keys: str):
    """Open ``make(app)`` over the Account screen, then press ``keys``."""

    async def run_before(pilot):
        app = pilot.app
        _fixed_state(app)
        await _settled(pilot)
        dialog = make(app)
        app.push_screen(dialog)
        await _settled(pilot, lambda: app.screen is dialog)
        for key in keys:
            await pilot.press(key)
        await _settled(pilot)

    return run_before


def _shot(snap_compare, app_env, make, *keys: str, size=(80, 24)) -> bool:
    return snap_compare(_app(app_env, wallet=True), terminal_size=size, run_before=_dialog(make, *keys))


def _wallet_form(mode: str):
    from og_tui.tui.screens.modals import WalletFormDialog

    return lambda app: WalletFormDialog(mode=mode, needs_passphrase=True, default_name="second")


@pytest.mark.parametrize("mode", ["create", "key", "keystore"])
def test_wallet_form(snap_compare, app_env, mode):
    assert _shot(snap_compare, app_env, _wallet_form(mode))


def test_wallet_form_second_passphrase_focused(snap_compare, app_env):
    """Which of the two compact passphrase fields has the focus shows (the bar on its left)."""
    assert _shot(snap_compare, app_env, _wallet_form("create"), "tab")


def test_export_dialog(snap_compare, app_env):
    from og_tui.tui.screens.modals import ExportDialog

    address = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
    assert _shot(snap_compare, app_env, lambda app: ExportDialog(address, "~/og-main.json", True))


def test_profile_dialog(snap_compare, app_env):
    from og_tui.tui.screens.modals import ProfileDialog

    def make(app):
        profiles = [(name, p.rpc_url) for name, p in app.ctx.settings.profiles.items()]
        return ProfileDialog(profiles, "local")

    assert _shot(snap_compare, app_env, make)


def test_send_review(snap_compare, app_env):
    from og_tui.tui.screens.modals import ConfirmDialog

    lines = [
        "Send 1.5 OG",
        "to   0x8ba1f109551bD432803012645Ac136ddd64DBA72",
        "from 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
        "gas  21,000 at 1 gwei: fee at most 0.000021 OG",
    ]
    assert _shot(snap_compare, app_env, lambda app: ConfirmDialog("Review the transfer", lines, "Send"))


def test_chat_rename_dialog(snap_compare, app_env):
    from og_tui.tui.screens.chat_dialogs import RenameDialog

    assert _shot(snap_compare, app_env, lambda app: RenameDialog("How do x402 payments settle?"))


def test_chat_tools_dialog_80x24(snap_compare, app_env):
    import json

    from og_tui.tui.screens.chat_dialogs import ToolsDialog

    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    assert _shot(snap_compare, app_env, lambda app: ToolsDialog(json.dumps(tools, indent=2)))


def test_chat_tool_result_dialog(snap_compare, app_env):
    from og_tui.tui.screens.chat_dialogs import ToolResultDialog

    assert _shot(snap_compare, app_env, lambda app: ToolResultDialog("get_weather", '{"city": "Paris"}'))


def test_chat_og_tools_dialog_80x24(snap_compare, app_env):
    from og_tui.tui.screens.chat_agent_dialogs import OGToolsDialog

    entries = [
        {
            "kind": "model",
            "label": "iris-classifier",
            "cid": "bafkreiarw5puoa5f3dxa5y53bb6gdp7mgpogkjhrx2oiclwxtep3e3vley",
            "mode": "VANILLA",
        }
    ]
    assert _shot(snap_compare, app_env, lambda app: OGToolsDialog(entries, json_tools=1))


def test_chat_workflow_tool_dialog(snap_compare, app_env):
    from og_tui.tui.screens.chat_agent_dialogs import WorkflowToolDialog

    assert _shot(snap_compare, app_env, lambda app: WorkflowToolDialog())


def test_file_picker(snap_compare, app_env):
    from og_tui.tui.screens.file_picker import FilePicker

    PICKER_DIR.mkdir(exist_ok=True)
    for name, size in (("iris_v2.onnx", 1536), ("notes.txt", 12), ("relu.onnx", 120)):
        (PICKER_DIR / name).write_bytes(b"\0" * size)
    (PICKER_DIR / "models").mkdir(exist_ok=True)
    make = lambda app: FilePicker("Upload to iris-classifier v0.02", start=str(PICKER_DIR), extensions=(".onnx",))  # noqa: E731
    assert _shot(snap_compare, app_env, make)


def test_hub_new_version_dialog(snap_compare, app_env):
    from og_tui.tui.hub_session import hub_sessions
    from og_tui.tui.screens.hub_dialogs import NewVersionDialog

    assert _shot(
        snap_compare, app_env, lambda app: NewVersionDialog(hub_sessions(app.ctx), "iris-classifier", ["0.01", "0.02"])
    )


def test_workflow_schedule_dialog(snap_compare, app_env):
    from og_tui.tui.screens.workflow_dialogs import ScheduleDialog

    address = "0x9Cd14e5B2fa9436E433a7e2933c48F260746db6E"
    assert _shot(snap_compare, app_env, lambda app: ScheduleDialog(address, "mine BTC/USDT 10×60m"))


def test_workflow_add_dialog(snap_compare, app_env):
    from og_tui.tui.screens.workflow_dialogs import AddWorkflowDialog

    assert _shot(snap_compare, app_env, lambda app: AddWorkflowDialog(None))


def test_help_panel_80x24(snap_compare, app_env):
    from textual.widgets import HelpPanel

    async def run_before(pilot):
        app = pilot.app
        _fixed_state(app)
        await _settled(pilot)
        await pilot.press("f1")
        await _settled(pilot, lambda: bool(app.screen.query(HelpPanel)))

    assert snap_compare(_app(app_env, wallet=True), terminal_size=(80, 24), run_before=run_before)


def test_account_with_wallets_sorted_80x24(snap_compare, app_env):
    """The wallet table sorted by name, reversed: the header's ▼ and the footer's o O Sort."""
    from eth_account import Account

    from og_tui.core.secrets import WalletStore
    from og_tui.tui.screens.account import AccountScreen

    app = _app(app_env, wallet=True)
    store = WalletStore(app.ctx.settings.data_dir, keyring_mode="file", kdf_n=1024)
    store.import_key("savings", "0x" + "2b" * 32, "correct horse battery")
    app.ctx.remember_signer(Account.from_key(TEST_KEY))

    async def run_before(pilot):
        _fixed_state(pilot.app)
        await _settled(pilot, lambda: pilot.app.screen.query_one("#wallets").row_count == 2)
        await pilot.press("O")
        await _settled(pilot, lambda: isinstance(pilot.app.screen, AccountScreen))

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
