"""How the app names x402 payments of either generation (token, scheme, settlement mode)."""

from __future__ import annotations

from types import SimpleNamespace

from og_tui.core import constants
from og_tui.core.config import load_settings
from og_tui.tui.payment_text import (
    cap_token,
    default_settlement,
    payment_kind,
    payment_token,
    reply_payment,
    settlement_choices,
)
from og_tui.tui.widgets.chat_items import meta_line


def _local(tmp_path, version="1"):
    settings = load_settings(env={"OG_TUI_CONFIG_DIR": str(tmp_path / "c"), "OG_TUI_DATA_DIR": str(tmp_path / "d")})
    return settings.profile.replace(x402_version=version)


def test_controls_follow_the_profiles_generation(tmp_path):
    v1, v2, auto = _local(tmp_path), _local(tmp_path, "2"), _local(tmp_path, "auto")
    assert settlement_choices(v1) == ("settle-batch", "settle", "settle-metadata")
    assert settlement_choices(v2) == ("batch", "private") and settlement_choices(auto) == settlement_choices(v1)
    assert cap_token(v1) == ("OUSDC", 6) and cap_token(v2) == ("OPG", 18)
    # a conversation saved under the other generation keeps its meaning
    assert default_settlement(v2, "settle") == "private" and default_settlement(v2, "settle-batch") == "batch"
    assert default_settlement(v1, "private") == "settle" and default_settlement(v1, "batch") == "settle-batch"
    assert default_settlement(v2, None) == "batch" and default_settlement(v2, "nonsense") == "batch"


V2_META = {
    "completion_tokens": 30,
    "mode": "TEE",
    "cost": "30000000000000",
    "cost_text": "0.00003 OPG",
    "x402_version": 2,
    "payment_scheme": "upto",
    "payment_token": "OPG",
    "settlement_mode": "private",
    "settlement_status": "settled",
    "settlement_tx": "0x" + "ab" * 32,
    "payment_hash": "0x" + "cd" * 32,
    "backend": "builtin",
}


def test_a_v2_reply_says_token_scheme_and_settlement_mode():
    assert reply_payment(V2_META) == "0.00003 OPG · x402 v2 upto · private · settled 0xababab…abab"
    line = str(meta_line(V2_META, 6, "OUSDC"))
    assert "0.00003 OPG · x402 v2 upto · private · settled 0xababab…abab" in line and "OUSDC" not in line
    batch = dict(V2_META, settlement_mode="batch", settlement_status="queued", settlement_tx=None)
    batch["settlement_blob"] = "blob-1"
    assert reply_payment(batch).endswith("batch · queued blob blob-1")


def test_a_v1_reply_line_is_unchanged():
    meta = {"completion_tokens": 60, "mode": "TEE", "cost": "60", "payment_hash": "0x" + "cd" * 32}
    meta.update(settlement_mode="settle-batch", settlement_status="queued", x402_version=1, backend="builtin")
    assert reply_payment(meta) is None
    line = str(meta_line(meta, 6, "OUSDC"))
    assert "0.00006 OUSDC" in line and "pay 0x" in line and "settle-batch queued" in line


def test_payment_rows_name_their_token_and_scheme(tmp_path):
    profile = _local(tmp_path, "2")
    v2 = SimpleNamespace(
        token=constants.OPG_DEVNET_ADDRESS, mode="private", detail={"x402_version": 2, "scheme": "upto"}
    )
    v1 = SimpleNamespace(token=profile.payment_token, mode="settle-batch", detail={})
    assert payment_token(v2, profile) == ("OPG", 18) and payment_token(v1, profile) == ("OUSDC", 6)
    assert payment_kind(v2, profile) == "x402 v2 upto · private"
    assert payment_kind(v1, profile) == "x402 v1 exact · settle-batch"
