"""Money on the Account screen: the devnet faucet (a new wallet first when there is none)
and Send (the dialog, a gas estimate to confirm, then the transfer), each transaction
recorded in the store. Mixed into :class:`~og_tui.tui.screens.account.AccountScreen`;
the workers run through ``app.run_op`` and post to the app (``TxSubmitted``,
``TxConfirmed``, ``FaucetFunded``).
"""

from __future__ import annotations

import time
from typing import Any

from textual import work

from og_tui.tui import messages as m
from og_tui.tui.format import fmt_units


def _int(value: Any) -> int | None:
    if value is None:
        return None
    return int(value, 16) if isinstance(value, str) else int(value)


class AccountFunds:
    """Faucet and Send of the Account screen (mixed into AccountScreen)."""

    # --- faucet ----------------------------------------------------------------------------
    def action_fund(self) -> None:
        if not self.app.ctx.is_devnet:
            return
        if not self.app.net.address:
            self._open_form("fund")
        else:
            self._fund(self.app.net.address)

    def _fund(self, address: str) -> None:
        self._fund_worker(address)

    @work(thread=True, exclusive=True, group="faucet", exit_on_error=False, description="faucet")
    def _fund_worker(self, address: str) -> None:
        self._fund_now(address)

    def _fund_now(self, address: str) -> None:
        app = self.app
        ctx = app.ctx

        def fund() -> dict[str, Any]:
            from og_tui.core.devnet_client import DevnetClient

            base = ctx.profile.api_url
            return DevnetClient(base).fund(address)

        result = app.run_op("Faucet", fund, what="Faucet")
        if not result:
            return
        now = time.time()
        for key, kind, value, token in (
            ("native_tx", "faucet-native", result.get("native_wei"), None),
            ("token_tx", "faucet-token", result.get("token_units"), "OUSDC"),
        ):
            tx_hash = result.get(key)
            if not tx_hash:
                continue
            try:
                receipt = ctx.chain.wait_receipt(tx_hash, timeout=10)
            except Exception:  # noqa: BLE001 - the faucet answered; details are a bonus
                receipt = {}
            status = receipt.get("status")
            ctx.store.add_tx(
                hash=tx_hash,
                kind=kind,
                status="failed" if status in (0, "0x0") else "confirmed",
                from_addr=receipt.get("from"),
                to_addr=address,
                value=str(value) if value is not None else None,
                token=token,
                gas_used=_int(receipt.get("gasUsed")),
                block=_int(receipt.get("blockNumber")),
                profile=ctx.profile.name,
                created_at=now,
            )
        app.post_message(m.FaucetFunded(address, result))
        app.call_from_thread(
            app.notify,
            f"+{fmt_units(result.get('native_wei'), 18, 4)} OG and +{fmt_units(result.get('token_units'), 6, 2)} OUSDC",
            title="Faucet",
        )
        app.call_from_thread(app.poll_chain)

    # --- send ------------------------------------------------------------------------------
    def action_send(self) -> None:
        address = self.app.net.address
        if not address:
            self.notify("Create or import a wallet first.", severity="warning")
            return
        self.with_wallet(lambda _address: self._open_send())

    def _open_send(self) -> None:
        net = self.app.net
        balances = {"OG": (net.native_wei, 18), "OUSDC": (net.token_units, 6)}
        from og_tui.tui.screens.modals import SendDialog

        mine = {w.name: w.address for w in self._shown_wallets if w.address.lower() != (net.address or "").lower()}
        self.app.push_screen(SendDialog(balances, mine), lambda d: d and self._review(d))

    @work(thread=True, exclusive=True, group="send", exit_on_error=False, description="estimate")
    def _review(self, data: dict[str, Any]) -> None:
        app = self.app
        ctx = app.ctx
        signer = ctx.signer(app.net.address)
        token = None if data["symbol"] == "OG" else ctx.profile.payment_token

        def estimate() -> Any:
            if token is None:
                return ctx.chain.estimate_transfer_cost(signer.address, data["to"], wei=data["units"])
            return ctx.chain.estimate_transfer_cost(signer.address, data["to"], token=token, units=data["units"])

        cost = app.run_op("Estimating gas", estimate, what="Send")
        if cost is None:
            return
        gas, gas_price, fee = cost.gas, cost.gas_price, cost.fee_wei
        lines = [
            f"Amount   {fmt_units(data['units'], data['decimals'], data['decimals'])} {data['symbol']}",
            f"To       {data['to']}" + (f" ({data['to_name']})" if data.get("to_name") else ""),
            f"From     {signer.address}",
            f"Gas      {gas:,} × {fmt_units(gas_price, 9, 3)} gwei ≈ {fmt_units(fee, 18, 8)} OG",
            f"Network  {ctx.profile.name} (chain {ctx.profile.chain_id})",
        ]

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._send(data, signer)

        from og_tui.tui.screens.modals import ConfirmDialog

        app.call_from_thread(app.push_screen, ConfirmDialog("Send this transaction?", lines, "Send"), confirmed)

    @work(thread=True, exclusive=True, group="send", exit_on_error=False, description="send")
    def _send(self, data: dict[str, Any], signer: Any) -> None:
        app = self.app
        ctx = app.ctx
        store = ctx.store
        kind = "transfer-native" if data["symbol"] == "OG" else "transfer-token"
        summary = f"Send {fmt_units(data['units'], data['decimals'], data['decimals'])} {data['symbol']} to {data['to'][:10]}…"

        def on_status(status: str, info: dict[str, Any]) -> None:
            if status == "sent":
                store.add_tx(
                    hash=info["hash"],
                    kind=kind,
                    status="pending",
                    from_addr=signer.address,
                    to_addr=data["to"],
                    value=str(data["units"]),
                    token=None if data["symbol"] == "OG" else data["symbol"],
                    profile=ctx.profile.name,
                    created_at=time.time(),
                )
                app.post_message(m.TxSubmitted(info["hash"], kind, summary))

        def send() -> Any:
            try:
                if data["symbol"] == "OG":
                    return ctx.chain.transfer_native(signer, data["to"], data["units"], on_status=on_status)
                return ctx.chain.transfer_token(
                    signer, ctx.profile.payment_token, data["to"], data["units"], on_status=on_status
                )
            except Exception as exc:
                tx_hash = getattr(exc, "tx_hash", None)
                if tx_hash:
                    store.update_tx(tx_hash, status="failed", error=str(exc))
                    app.post_message(m.TxConfirmed(tx_hash, kind, "failed", None, None))
                raise

        outcome = app.run_op(summary, send, what="Send")
        if outcome is None:
            return
        status = "confirmed" if outcome.status == 1 else "failed"
        store.update_tx(outcome.hash, status=status, gas_used=outcome.gas_used, block=outcome.block)
        app.post_message(m.TxConfirmed(outcome.hash, kind, status, outcome.gas_used, outcome.block))
