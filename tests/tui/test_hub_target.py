"""Hub: u / c / r / d act on the version and file the detail pane shows as selected."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from textual.widgets import Static

from og_tui.tui.app import make_app
from og_tui.tui.hub_session import hub_sessions
from og_tui.tui.screens.file_picker import FilePicker

from .helpers import settings_for, wait_until
from .test_hub_screen import _onnx_file, _open_hub, _select

pytestmark = pytest.mark.e2e


async def test_actions_target_the_newest_version_and_its_onnx_file(devnet, app_env, tmp_path: Path):
    app = make_app(settings_for(app_env, devnet.port), poll=False)
    blob = tmp_path / "big.bin"
    blob.write_bytes(b"\0" * 4096)
    onnx = _onnx_file(tmp_path / "model.onnx")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_hub(pilot)
        hub_sessions(app.ctx).sign_in(
            f"t-{uuid.uuid4().hex[:8]}@example.com", "hub-pass-123", create=True, remember=False
        )
        client = hub_sessions(app.ctx).client()
        name = f"tgt-{uuid.uuid4().hex[:8]}"
        client.create_model(name, "target test")
        client.upload(blob, name, "0.01")  # a non-ONNX file first, then the model
        client.upload(onnx, name, "0.01")
        screen.reload(keep=name)
        await _select(pilot, screen, name)
        # the version the pane says "r runs" is v0.01: r takes its ONNX file, not the blob
        assert screen.selected_file()[1]["name"] == "model.onnx"
        target = str(screen.query_one("#hub-target", Static).render())
        assert "v0.01" in target and "model.onnx" in target
        # a new, empty version: u goes there, c / r / d have nothing to act on
        client.create_version(name, "bigger weights")
        screen._refresh_model(name)
        await wait_until(pilot, lambda: screen.detail is not None and len(screen.detail["versions"]) == 2)
        assert screen.selected_version() == "0.02"
        assert screen.selected_file() is None
        target = str(screen.query_one("#hub-target", Static).render())
        assert "v0.02" in target and "no file" in target
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, FilePicker))
        assert app.screen.title_text == f"Upload to {name} v0.02"
