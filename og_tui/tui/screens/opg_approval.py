"""The OPG approve of x402 v2 in the app: what it approves is shown, and it is sent only on yes.

A reply on a profile paying x402 v2 fails with ``AllowanceTooSmall`` while Permit2 may not
move enough of the wallet's OPG. :func:`ask_opg_approval` then prices the approve in a
thread worker (the allowance read and the gas estimate are RPC calls), shows a
:class:`~og_tui.tui.screens.modals.ConfirmDialog` naming the token, the spender (Permit2), the
amount and the gas, and on yes sends it in another worker (recorded in the history, so it
shows in Activity) before ``then()`` sends the message again. No sends nothing.
"""

from __future__ import annotations

from typing import Any, Callable

from og_tui.core.errors import user_message

__all__ = ["ask_opg_approval", "APPROVE_TITLE"]

APPROVE_TITLE = "Approve OPG for x402 payments"


def ask_opg_approval(
    screen: Any, plan: Any, address: str | None, then: Callable[[], None], declined: Callable[[], None]
) -> None:
    """Ask to approve what ``plan`` (from ``AllowanceTooSmall.plan``) needs, from the event loop.

    The approve covers the payment or, when larger, the per-run OPG spend cap. ``then`` runs
    on the event loop once the approve is mined; ``declined`` when the user says no (or it
    cannot be priced or sent)."""
    app = screen.app
    ctx = app.ctx
    profile = ctx.profile

    def failed(exc: BaseException, what: str) -> None:
        text, hint = user_message(exc)
        app.notify(f"{text}{' ' + hint if hint else ''}", title=what, severity="error", timeout=12)
        declined()

    def price() -> None:
        from og_tui.core.opg_ops import estimate, plan_for

        try:
            chain = ctx.chain
            full = plan_for(chain, profile, plan.owner, plan.needed, settings=ctx.settings)
            cost = estimate(chain, full)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            app.call_from_thread(failed, exc, "The OPG approve could not be priced")
            return
        app.call_from_thread(confirm, full, cost)

    def confirm(full: Any, cost: dict[str, int]) -> None:
        from og_tui.core.opg_ops import approval_lines
        from og_tui.tui.screens.modals import ConfirmDialog

        if not full.required:  # approved meanwhile (another window, the CLI): just send again
            then()
            return
        lines = [
            "This reply is paid with x402 v2: OPG, moved by Permit2. Nothing was signed or paid yet.",
            *approval_lines(full, cost, profile),
            "Send this approve, then your message again?",
        ]

        def answered(ok: bool | None) -> None:
            if ok:
                screen.run_worker(
                    lambda: send(full), thread=True, group="opg-approve", exit_on_error=False, description="OPG approve"
                )
                return
            app.notify(
                "Nothing was sent and nothing was paid. ctrl+r asks again; `og-tui account approve-opg` "
                "approves from a shell.",
                title="OPG approve declined",
                severity="warning",
                timeout=10,
            )
            declined()

        app.push_screen(ConfirmDialog(APPROVE_TITLE, lines, ok_label="Approve"), answered)

    def send(full: Any) -> None:
        from og_tui.core.opg_ops import send_approve

        op_id = app.begin_op("OPG approve")
        try:
            signer = ctx.signer(address) if address else None
            if signer is None:
                raise RuntimeError("The wallet is locked: unlock it (F2, Account) and retry with ctrl+r.")
            outcome = send_approve(ctx.chain, ctx.store, profile, signer, full)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            app.call_from_thread(failed, exc, "The OPG approve was not sent")
            return
        finally:
            app.end_op(op_id)
        app.call_from_thread(sent, full, outcome)

    def sent(full: Any, outcome: dict[str, Any]) -> None:
        from og_tui.core.amounts import format_amount

        app.tx_version += 1  # the approve is in the history: Activity reloads
        amount = format_amount(full.amount, 18, max_decimals=18)
        app.notify(
            f"Permit2 may move {amount} OPG (tx {outcome['hash'][:10]}…, block {outcome['block']}). "
            "Sending your message again.",
            title="OPG approved",
        )
        then()

    screen.run_worker(price, thread=True, group="opg-approve", exit_on_error=False, description="price OPG approve")
