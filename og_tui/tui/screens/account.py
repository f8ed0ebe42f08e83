"""Account screen: onboarding, wallets, balances, faucet, send, profile switcher.

This module holds the screen: which part it shows, the wallet list and the balances,
the hub sign-in line and the wallet actions (create, import, unlock, export, delete,
profile). The parts it shows are in ``account_parts.py``, the faucet and Send in
``account_funds.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Button, Footer, Static

from og_tui.tui import messages as m
from og_tui.tui.format import fmt_units
from og_tui.tui.keymap import key_for
from og_tui.tui.messages import NetState
from og_tui.tui.screens.account_funds import AccountFunds
from og_tui.tui.screens.account_parts import AccountBody, Onboarding
from og_tui.tui.screens.base import OGScreen

if TYPE_CHECKING:  # pragma: no cover
    from textual.widgets import DataTable


class AccountScreen(AccountFunds, OGScreen):
    MODE = "account"
    MAIN_PANE = "#wallets"

    BINDINGS = [
        Binding("f", "fund", "Faucet", id="account.fund", tooltip="Devnet faucet: native OG and OUSDC"),
        Binding("s", "send", "Send", id="account.send", tooltip="Send OG or OUSDC to an address"),
        Binding("n", "new_wallet", "New", id="account.new", tooltip="Create a new wallet"),
        Binding("i", "import_key", "Import key", id="account.import_key", tooltip="Import a hex private key"),
        Binding("K", "import_keystore", "Import keystore", id="account.import_keystore", show=False),
        Binding("u", "unlock", "Unlock", id="account.unlock", show=False),
        Binding("e", "export", "Export", id="account.export", show=False, tooltip="Export an encrypted keystore"),
        Binding("d", "delete", "Delete", id="account.delete", show=False),
        Binding("c", "copy", "Copy address", id="account.copy", show=False),
        Binding("r", "refresh", "Refresh", id="account.refresh", tooltip="Refresh balances"),
        Binding("p", "profile", "Profile", id="account.profile", tooltip="Switch network profile"),
        Binding("h", "hub_sign_in", "Hub sign-in", id="account.hub_sign_in", tooltip="Sign in to the Model Hub"),
        Binding(
            "a",
            "app.gateway_show",
            "API gateway",
            id="account.gateway",
            show=False,
            tooltip="The OpenAI-compatible gateway paid from this wallet: start / stop, keys, spend",
        ),
        Binding(
            "D",
            "app.devnet_restart",
            "Devnet",
            id="account.devnet",
            show=False,
            tooltip="Start the local devnet, or restart the one og-tui started",
        ),
        Binding("slash", "filter", "Filter", id="account.filter", show=False, tooltip="Narrow the wallet list"),
    ]

    filter_text = ""

    def action_filter(self) -> None:
        for field in self.query("#wallet-filter"):
            field.open()

    def on_input_changed(self, event) -> None:
        if event.input.id == "wallet-filter" and event.value.strip() != self.filter_text:
            self.filter_text = event.value.strip()
            self._reload_wallets()

    def compose_body(self) -> ComposeResult:
        # Only the part that applies is built: start-up pays for one of them.
        self._composed_wallets = self._wallets()
        self._shown_wallets: list[Any] = list(self._composed_wallets)
        if self._composed_wallets:
            yield AccountBody(id="account-body")
        else:
            yield Onboarding(id="onboarding")

    def on_mount(self) -> None:
        # the first frame shows the wallets compose read; later changes are read by a worker
        self.watch(self.app, "wallets_version", self._reload_wallets, init=False)
        self._show_wallets(self.WalletsRead(self._composed_wallets, None))
        self.watch(self.app, "net", self._show_net, init=True)

    def _show_part(self, empty: bool) -> bool:
        """Swap onboarding and the wallet view; True when the wanted part is mounted."""
        want, other = (Onboarding, AccountBody) if empty else (AccountBody, Onboarding)
        if self.query(want):
            return True
        for widget in self.query(other):
            widget.remove()
        part = want(id="onboarding" if empty else "account-body")
        self.mount(part, before=self.query_one(Footer))
        self.call_after_refresh(self._reload_wallets)
        return False

    # --- rendering ---------------------------------------------------------------------
    def _wallets(self) -> list[Any]:
        try:
            return list(self.app.ctx.wallets.list_wallets())
        except Exception as exc:  # noqa: BLE001
            self.notify(str(exc), title="Wallets", severity="error")
            return []

    class WalletsRead(Message):
        """The wallet index as a worker read it (``error``: it could not be read)."""

        def __init__(self, wallets: list[Any], error: str | None) -> None:
            super().__init__()
            self.wallets = wallets
            self.error = error

    class HubStatusRead(Message):
        def __init__(self, text: str, signed_in: bool = False) -> None:
            super().__init__()
            self.text = text
            self.signed_in = signed_in

    def _reload_wallets(self, _version: int = 0) -> None:
        self._read_wallets()

    @work(thread=True, exclusive=True, group="account-wallets", exit_on_error=False, description="read wallets")
    def _read_wallets(self) -> None:
        try:
            wallets, error = list(self.app.ctx.wallets.list_wallets()), None
        except Exception as exc:  # noqa: BLE001
            wallets, error = [], str(exc)
        self.post_message(self.WalletsRead(wallets, error))

    @on(WalletsRead)
    def _show_wallets(self, event: WalletsRead) -> None:
        if event.error:
            self.notify(event.error, title="Wallets", severity="error")
        wallets = event.wallets
        self._shown_wallets = list(wallets)
        empty = not wallets
        if not self._show_part(empty):
            return
        devnet = self.app.ctx.is_devnet
        if empty:
            self.query_one("#ob-fund", Button).display = devnet
            self.query_one("#onboard-intro", Static).update(
                "You are on the LOCAL DEVNET: a private OpenGradient-compatible network on this "
                "machine. Nothing here costs real money.\n\n"
                f"Press {key_for(self.app, 'account.fund', 'f')} to create a wallet and fill it "
                "from the faucet, or choose below."
                if devnet
                else f"You are on the {self.app.ctx.profile.name} network. Create a wallet or import "
                "one you already use."
            )
            self.query_one("#ob-fund" if devnet else "#ob-new", Button).focus()
            return
        self.query_one("#btn-fund", Button).display = devnet
        table = self.query_one(AccountBody).table
        active = self.app.net.address
        cursor = table.cursor_row
        table.clear()
        from og_tui.tui.widgets.list_filter import matches

        shown = [w for w in wallets if matches(self.filter_text, w.name, w.address, w.storage)]
        for wallet in table.ordered(shown, lambda w: w.address):
            unlocked = self.app.ctx.signer(wallet.address) is not None
            table.add_row(
                "●" if active and wallet.address.lower() == active.lower() else " ",
                wallet.name,
                f"{wallet.address[:6]}…{wallet.address[-4:]}",
                wallet.storage,
                "open" if unlocked else "locked",
                key=wallet.address,
            )
        if table.row_count:
            table.move_cursor(row=min(max(cursor, 0), table.row_count - 1))
        if not self.focused or self.focused.id in {"ob-fund", "ob-new", "ob-key", "ob-keystore"}:
            table.focus()
        self._show_net(self.app.net)
        self._show_hub()

    def _show_net(self, state: NetState) -> None:
        if not self.query(AccountBody):
            return
        self.query_one("#acct-name", Static).update(f"[b]{state.wallet_name or '–'}[/b]")
        self.query_one("#acct-address", Static).update(state.address or "no active wallet")
        self.query_one("#bal-native", Static).update(f"{fmt_units(state.native_wei, 18, 6)} OG")
        opg = f"\n{fmt_units(state.opg_units, 18, 6)} OPG" if state.opg_units is not None else ""  # (x402 v2)
        self.query_one("#bal-token", Static).update(f"{fmt_units(state.token_units, 6, 6)} OUSDC{opg}")
        unlocked = bool(state.address and self.app.ctx.signer(state.address))
        self.query_one("#acct-lock", Static).update(
            "" if not state.address else ("unlocked for this session" if unlocked else "locked · u to unlock")
        )
        profile = self.app.ctx.profile
        self.query_one("#acct-profile", Static).update(f"profile {profile.name} · {profile.rpc_url} · p to switch")

    def on_screen_resume(self) -> None:
        self._show_hub()

    def _show_hub(self, _email: str | None = None) -> None:
        if not self.query(AccountBody):
            return
        self._read_hub_status()

    @work(thread=True, exclusive=True, group="account-hub", exit_on_error=False, description="hub status")
    def _read_hub_status(self) -> None:
        """The hub line (reads the saved sign-in from the wallet index)."""
        from og_tui.tui.hub_session import hub_sessions

        sessions = hub_sessions(self.app.ctx)
        self.post_message(self.HubStatusRead(sessions.status_line(), bool(sessions.signed_in)))

    @on(HubStatusRead)
    def _show_hub_status(self, event: HubStatusRead) -> None:
        key = key_for(self.app, "account.hub_sign_in", "h")
        action = "switch account" if event.signed_in else "sign in"
        for label in self.query("#acct-hub").results(Static):
            label.update(f"Hub account: {event.text} · {key} to {action}")

    def action_hub_sign_in(self) -> None:
        from og_tui.tui.hub_session import hub_sessions
        from og_tui.tui.screens.hub_dialogs import open_hub_sign_in

        open_hub_sign_in(self, hub_sessions(self.app.ctx), allow_signup=self.app.ctx.is_devnet, done=self._show_hub)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fund" and not self.app.ctx.is_devnet:
            return None
        if action in {"send", "export", "delete", "unlock", "copy"} and not self.app.net.address:
            return None
        return True

    # --- buttons: each does what its key does -------------------------------------------------
    BUTTON_ACTIONS = {
        "ob-fund": "fund",
        "ob-new": "new_wallet",
        "ob-key": "import_key",
        "ob-keystore": "import_keystore",
        "btn-send": "send",
        "btn-fund": "fund",
        "btn-copy": "copy",
    }

    @on(Button.Pressed)
    def _button_pressed(self, event: Button.Pressed) -> None:
        action = self.BUTTON_ACTIONS.get(event.button.id or "")
        if action is not None:
            getattr(self, f"action_{action}")()

    def on_data_table_row_selected(self, event: "DataTable.RowSelected") -> None:
        if event.data_table.id != "wallets":
            return
        self._set_active(str(event.row_key.value))

    @work(thread=True, exclusive=True, group="account-active", exit_on_error=False, description="set active wallet")
    def _set_active(self, address: str) -> None:
        if self.app.run_op(
            "Switching wallet", lambda: self.app.ctx.wallets.set_active(address) or True, what="Wallets"
        ):
            self.app.post_message(m.WalletsChanged())

    def _selected_address(self) -> str | None:
        table: DataTable | None = next(iter(self.query("#wallets")), None)  # type: ignore[assignment]
        if table is not None and table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            return str(key.value)
        return self.app.net.address

    # --- wallet actions ---------------------------------------------------------------------
    def _needs_passphrase(self) -> bool:
        return not self.app.ctx.wallets.keyring_available()

    def _open_form(self, mode: str) -> None:
        self._prepare_form(mode)

    @work(thread=True, exclusive=True, group="account-form", exit_on_error=False, description="wallet form")
    def _prepare_form(self, mode: str) -> None:
        """Count the wallets and ask the OS keyring whether it is there (it can be slow), then open the form."""
        try:
            count = len(self.app.ctx.wallets.list_wallets())
        except Exception:  # noqa: BLE001 - the form names the first wallet "main"
            count = 0
        needs = self._needs_passphrase()
        self.app.call_from_thread(self._show_form, mode, count, needs)

    def _show_form(self, mode: str, count: int, needs_passphrase: bool) -> None:
        from og_tui.tui.screens.modals import WalletFormDialog

        form = WalletFormDialog(
            mode=mode,
            needs_passphrase=needs_passphrase and mode != "keystore",
            default_name="main" if count == 0 else f"wallet-{count + 1}",
        )
        self.app.push_screen(form, self._form_done)

    def _form_done(self, data: dict[str, Any] | None) -> None:
        if data:
            self._save_wallet(data)

    def action_new_wallet(self) -> None:
        self._open_form("create")

    def action_import_key(self) -> None:
        self._open_form("key")

    def action_import_keystore(self) -> None:
        self._open_form("keystore")

    @work(thread=True, exclusive=True, group="wallet", exit_on_error=False, description="save wallet")
    def _save_wallet(self, data: dict[str, Any]) -> None:
        app = self.app
        ctx = app.ctx

        def save() -> Any:
            wallets = ctx.wallets
            mode = data["mode"]
            if mode == "key":
                info = wallets.import_key(data["name"], data["key"], data["passphrase"])
                from eth_account import Account

                ctx.remember_signer(Account.from_key(data["key"]))
            elif mode == "keystore":
                info = wallets.import_keystore(data["name"], data["json_text"], data["file_passphrase"])
                ctx.unlock(info.address, data["file_passphrase"])
            else:
                # Generate here and keep the account, so the new key is not decrypted
                # again right after being encrypted (scrypt costs seconds).
                from eth_account import Account

                account = Account.create()
                info = wallets.import_key(data["name"], account.key.hex(), data["passphrase"])
                ctx.remember_signer(account)
            wallets.set_active(info.address)
            return info

        verb = {"key": "Importing key", "keystore": "Importing keystore"}.get(data["mode"], "Creating wallet")
        info = app.run_op(verb, save, what="Wallet")
        if info is None:
            return
        app.post_message(m.WalletsChanged())
        app.call_from_thread(app.notify, f"{info.name} · {info.address}", title="Wallet ready")
        if data["mode"] == "fund":
            self._fund_now(info.address)

    def action_unlock(self) -> None:
        address = self._selected_address()
        if address:
            self.with_wallet(lambda _address: self.app.post_message(m.WalletsChanged()), address=address)

    def action_export(self) -> None:
        address = self._selected_address()
        if not address:
            return
        from pathlib import Path

        default = str(Path.home() / f"og-keystore-{address[2:10].lower()}.json")
        from og_tui.tui.screens.modals import ExportDialog

        def exported(path: str | None) -> None:
            if path:
                self.app.notify(f"Encrypted keystore written to {path}", title="Exported")

        self.app.push_screen(ExportDialog(address, default, True), exported)

    def action_delete(self) -> None:
        address = self._selected_address()
        if not address:
            return
        from og_tui.tui.screens.modals import ConfirmDialog

        dialog = ConfirmDialog(
            "Delete this wallet?",
            [
                address,
                "The key is removed from this machine. Without an exported keystore or a copy of the",
                "key, the funds at this address are lost for good.",
            ],
            ok_label="Delete",
            danger=True,
        )
        self.app.push_screen(dialog, lambda ok: ok and self._delete(address))

    @work(thread=True, exclusive=True, group="wallet", exit_on_error=False, description="delete")
    def _delete(self, address: str) -> None:
        ctx = self.app.ctx

        def delete() -> bool:
            ctx.wallets.delete(address)
            ctx.forget_signer(address)
            return True

        if self.app.run_op("Deleting wallet", delete, what="Delete"):
            self.app.post_message(m.WalletsChanged())

    def action_copy(self) -> None:
        address = self._selected_address()
        if address:
            self.app.copy_to_clipboard(address)
            self.notify(f"Copied {address}", title="Address copied")

    def action_refresh(self) -> None:
        self.app.refresh_wallet_state()  # wallets the CLI created or removed meanwhile
        self.app.poll_chain()

    def action_profile(self) -> None:
        settings = self.app.ctx.settings
        profiles = [(name, p.rpc_url) for name, p in settings.profiles.items()]
        from og_tui.tui.screens.modals import ProfileDialog

        self.app.push_screen(
            ProfileDialog(profiles, self.app.ctx.profile.name),
            lambda name: name and name != self.app.ctx.profile.name and self.app.switch_profile(name),
        )
