"""x402 v2 from the CLI against a real devnet: ``og-tui account approve-opg`` shows the approve
(token, spender Permit2, amount, gas) and asks before it sends it; ``og-tui chat`` on a v2
profile explains a too-small allowance with the exact approve it needs, then pays in OPG."""

from __future__ import annotations

import pytest

from og_tui.core import constants
from og_tui.core.store import Store

from .test_cli_contract import Cli

pytestmark = pytest.mark.e2e

V2_CONFIG = '[profiles.local]\nx402_version = "2"\n'


@pytest.fixture(scope="module")
def cli(devnet, tmp_path_factory) -> Cli:
    cli = Cli(tmp_path_factory.mktemp("cli-opg"), devnet.port)
    (cli.tmp / "config").mkdir(parents=True, exist_ok=True)
    (cli.tmp / "config" / "config.toml").write_text(V2_CONFIG)
    cli.ok("account", "new", "--use", "--json")
    cli.ok("account", "fund", "--json")
    return cli


def test_chat_explains_the_approve_it_needs_then_approve_asks_and_chat_pays_in_opg(cli):
    err = cli.fails(1, "chat", "--max-tokens", "20", "Hello")
    assert f"approve({constants.PERMIT2_ADDRESS}, " in err["error"] and constants.OPG_DEVNET_ADDRESS in err["error"]
    assert "og-tui account approve-opg" in err["hint"]

    # the plan, nothing sent
    plan = cli.ok("account", "approve-opg", "--dry-run", "--json")
    assert plan["sent"] is False and plan["required"] is True and plan["allowance_units"] == "0"
    assert plan["spender"] == constants.PERMIT2_ADDRESS and plan["token"] == constants.OPG_DEVNET_ADDRESS
    assert plan["amount"] == "5 OPG" and plan["amount_units"] == str(5 * 10**18)  # the per-run OPG cap
    assert plan["gas"] > 0 and int(plan["fee_wei"]) > 0

    # shown, then asked (without a terminal to ask on, nothing is sent)
    result = cli.run("account", "approve-opg", OG_TUI_PASSPHRASE=None)
    assert result.exit_code == 2 and "Confirmation needed; add --yes" in result.output
    for part in ("spender  Permit2 " + constants.PERMIT2_ADDRESS, "amount   5 OPG", "gas      about"):
        assert part in result.output, result.output
    # --json cannot ask
    assert "add --yes" in cli.fails(2, "account", "approve-opg")["error"]
    assert cli.ok("account", "approve-opg", "--dry-run", "--json")["allowance_units"] == "0"

    sent = cli.ok("account", "approve-opg", "--yes", "--json")
    assert sent["sent"] is True and sent["hash"].startswith("0x") and sent["block"] > 0
    again = cli.ok("account", "approve-opg", "--json")  # already enough: nothing to send, nothing asked
    assert again["sent"] is False and again["allowance_units"] == str(5 * 10**18)
    txs = [t for t in Store(cli.tmp / "data" / "og-tui.db").list_txs() if t.kind == "approve-opg"]
    assert [(t.hash, t.status) for t in txs] == [(sent["hash"], "confirmed")]

    out = cli.ok("chat", "--max-tokens", "20", "--settlement", "private", "--json", "Hello")
    meta = out["meta"]
    assert meta["x402_version"] == 2 and meta["payment_token"] == "OPG" and meta["payment_scheme"] == "upto"
    assert meta["settlement_mode"] == "private" and meta["cost_text"].endswith(" OPG")
    text = cli.run("chat", "--max-tokens", "20", "Hello")
    assert text.exit_code == 0 and "OPG · x402 v2 upto · batch" in text.stderr


def test_bad_amounts_are_named(cli):
    assert "OPG" in cli.fails(2, "account", "approve-opg", "--amount", "-1", "--yes")["error"]
    assert "OPG" in cli.fails(2, "account", "approve-opg", "--amount", "lots", "--yes")["error"]


def test_a_402_the_profile_cannot_pay_names_the_scheme_and_network(devnet, tmp_path):
    other = Cli(tmp_path, devnet.port)
    (tmp_path / "config").mkdir(parents=True, exist_ok=True)
    (tmp_path / "config" / "config.toml").write_text(V2_CONFIG + "x402_v2_chain_id = 8453\n")
    other.ok("account", "new", "--use", "--json")
    err = other.fails(1, "chat", "--max-tokens", "20", "Hello")
    assert "upto on eip155:107401" in err["error"] and "on eip155:8453" in err["error"], err
