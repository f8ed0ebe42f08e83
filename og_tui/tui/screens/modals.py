"""Modal dialogs: confirm, passphrase/unlock, wallet create/import/export, send, profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from og_tui.tui.widgets.footer import OGFooter
from og_tui.tui.widgets.motions import NavOptionList


class FieldError(ValueError):
    """A validation message tied to the input that caused it (focused for fixing)."""

    def __init__(self, text: str, field_id: str) -> None:
        super().__init__(text)
        self.field_id = field_id


class Dialog(ModalScreen):
    """A centred box with a title, a body, an inline error line and OK/Cancel buttons."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]
    DEFAULT_CLASSES = "dialog-screen"
    TITLE_TEXT = ""
    OK_LABEL = "OK"
    OK_VARIANT = "primary"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.TITLE_TEXT, classes="dialog-title")
            yield from self.compose_fields()
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.OK_LABEL, variant=self.OK_VARIANT, id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield OGFooter(compact=True)

    def compose_fields(self) -> ComposeResult:  # pragma: no cover - overridden
        yield from ()

    def on_worker_state_changed(self, event) -> None:
        self.app.report_worker(event)

    def show_error(self, text: str) -> None:
        self.query_one(".dialog-error", Static).update(text)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        """Enter moves on to the next empty field; on the last one it submits."""
        inputs = [field for field in self.query(Input) if field.display]
        index = inputs.index(event.input) if event.input in inputs else -1
        later = [field for field in inputs[index + 1 :] if not field.value]
        if index >= 0 and later:
            later[0].focus()
            return
        self._submit()

    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        self.show_error("")
        try:
            result = self.collect()
        except ValueError as exc:
            self.show_error(str(exc))
            if isinstance(exc, FieldError):
                field = self.query_one(f"#{exc.field_id}", Input)
                field.focus()
                field.select_all()
            return
        if result is not None:
            self.dismiss(result)

    def collect(self) -> Any:  # pragma: no cover - overridden
        return True


class ConfirmDialog(Dialog):
    def __init__(self, title: str, lines: list[str], ok_label: str = "Confirm", danger: bool = False) -> None:
        super().__init__()
        self.TITLE_TEXT = title
        self.OK_LABEL = ok_label
        self.OK_VARIANT = "error" if danger else "primary"
        self.lines = lines

    def compose_fields(self) -> ComposeResult:
        for line in self.lines:
            yield Static(line, classes="dialog-line")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def collect(self) -> Any:
        return True


def _check_passphrase(value: str, confirm: str | None) -> str:
    from og_tui.core.errors import ValidationError
    from og_tui.core.passphrase import check_new_passphrase

    try:
        checked = check_new_passphrase(value, confirm)
    except ValidationError as exc:
        raise ValueError(str(exc)) from None
    assert checked is not None
    return checked


class WalletFormDialog(Dialog):
    """Name (+ key or keystore path) (+ passphrase twice when keys go to a keystore file)."""

    OK_LABEL = "Create"

    def __init__(self, *, mode: str, needs_passphrase: bool, default_name: str = "main") -> None:
        super().__init__()
        self.mode = mode  # "create" | "fund" | "key" | "keystore"
        self.needs_passphrase = needs_passphrase
        self.default_name = default_name
        self.TITLE_TEXT = {
            "create": "Create a wallet",
            "fund": "Create a wallet and fund it from the devnet faucet",
            "key": "Import a private key",
            "keystore": "Import a keystore file",
        }[mode]
        self.OK_LABEL = "Import" if mode in ("key", "keystore") else "Create"

    def compose_fields(self) -> ComposeResult:
        yield Label("Name")
        yield Input(value=self.default_name, id="name", placeholder="a label for this wallet", compact=True)
        if self.mode == "key":
            yield Label("Private key (64 hex characters, 0x optional)")
            yield Input(id="key", password=True, placeholder="0x…", compact=True)
        if self.mode == "keystore":
            yield Label("Keystore JSON file")
            yield Input(id="path", placeholder="~/keystore.json", compact=True)
            yield Label("Passphrase of that keystore")
            yield Input(id="file-pass", password=True, compact=True)
        if self.needs_passphrase:
            yield Label("Passphrase to encrypt the key on this machine (8+ characters)")
            yield Input(id="pass1", password=True, compact=True)
            yield Input(id="pass2", password=True, placeholder="the same passphrase again", compact=True)
        else:
            yield Static("The key goes to your OS keyring.", classes="dialog-line")

    def on_mount(self) -> None:
        target = "#key" if self.mode == "key" else "#path" if self.mode == "keystore" else "#pass1"
        try:
            self.query_one(target, Input).focus()
        except Exception:  # noqa: BLE001 - no such field in this form
            self.query_one("#name", Input).focus()

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def collect(self) -> dict[str, Any]:
        name = self._value("#name").strip()
        if not name:
            raise ValueError("Give the wallet a name.")
        result: dict[str, Any] = {"name": name, "mode": self.mode}
        if self.mode == "key":
            from og_tui.core.amounts import parse_private_key
            from og_tui.core.errors import OGError

            try:
                result["key"] = parse_private_key(self._value("#key"))
            except OGError as exc:
                raise FieldError(str(exc), "key") from None
        if self.mode == "keystore":
            raw = self._value("#path").strip()
            if not raw:
                raise ValueError("Type the path of the keystore JSON file.")
            path = Path(raw).expanduser()
            if not path.is_file():
                raise ValueError(f"No file at {path}: check the path.")
            try:
                result["json_text"] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"Cannot read {path}: {exc.__class__.__name__}.") from None
            result["file_passphrase"] = self._value("#file-pass")
        if self.needs_passphrase:
            try:
                result["passphrase"] = _check_passphrase(self._value("#pass1"), self._value("#pass2"))
            except ValueError as exc:
                raise FieldError(str(exc), "pass1") from None
        else:
            result["passphrase"] = None
        return result


class UnlockDialog(Dialog):
    """Asks for the keystore passphrase and unlocks in a worker; stays open on a wrong one."""

    OK_LABEL = "Unlock"

    def __init__(self, address: str, name: str) -> None:
        super().__init__()
        self.address = address
        self.TITLE_TEXT = f"Unlock wallet {name}"

    def compose_fields(self) -> ComposeResult:
        yield Static(self.address, classes="dialog-line")
        yield Label("Passphrase")
        yield Input(id="pass", password=True, compact=True)

    def on_mount(self) -> None:
        self.query_one("#pass", Input).focus()

    def collect(self) -> None:
        passphrase = self.query_one("#pass", Input).value
        if not passphrase:
            raise ValueError("Type the passphrase you chose for this wallet.")
        self.show_error("Unlocking…")
        self.query_one("#ok", Button).disabled = True
        self._unlock(passphrase)
        return None

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def _unlock(self, passphrase: str) -> None:
        from og_tui.core.errors import OGError

        try:
            self.app.ctx.unlock(self.address, passphrase)
        except OGError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self._failed, f"Could not unlock: {type(exc).__name__}")
            return
        self.app.call_from_thread(self.dismiss, True)

    def _failed(self, text: str) -> None:
        self.show_error(text)
        self.query_one("#ok", Button).disabled = False
        field = self.query_one("#pass", Input)
        field.value = ""
        field.focus()


class ExportDialog(Dialog):
    TITLE_TEXT = "Export keystore"
    OK_LABEL = "Export"

    def __init__(self, address: str, default_path: str, needs_passphrase: bool) -> None:
        super().__init__()
        self.address = address
        self.default_path = default_path
        self.needs_passphrase = needs_passphrase

    def compose_fields(self) -> ComposeResult:
        yield Static(self.address, classes="dialog-line")
        yield Label("Write the encrypted keystore JSON to")
        yield Input(value=self.default_path, id="path", compact=True)
        yield Label("Passphrase (the wallet's; the exported file is encrypted with it)")
        yield Input(id="pass", password=True, compact=True)

    def on_mount(self) -> None:
        self.query_one("#pass", Input).focus()

    def collect(self) -> None:
        """Check the fields, then export in a worker; the dialog stays open on a wrong passphrase."""
        path = Path(self.query_one("#path", Input).value.strip()).expanduser()
        if not str(path) or path.is_dir():
            raise FieldError("Give a file path to write, not a directory.", "path")
        if path.exists():
            raise FieldError(f"{path} exists already: choose another name (nothing is overwritten).", "path")
        passphrase = _check_passphrase(self.query_one("#pass", Input).value, None)
        self.show_error("Exporting…")
        self.query_one("#ok", Button).disabled = True
        self._export(path, passphrase)
        return None

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def _export(self, path: Path, passphrase: str) -> None:
        import os

        from og_tui.core.errors import user_message

        try:
            text = self.app.ctx.wallets.export_keystore(self.address, passphrase)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
        except Exception as exc:  # noqa: BLE001 - shown in the dialog, which stays open
            self.app.call_from_thread(self._failed, user_message(exc).joined())
            return
        self.app.call_from_thread(self.dismiss, str(path))

    def _failed(self, text: str) -> None:
        self.show_error(text)
        self.query_one("#ok", Button).disabled = False
        field = self.query_one("#pass", Input)
        field.value = ""
        field.focus()


class SendDialog(Dialog):
    TITLE_TEXT = "Send"
    OK_LABEL = "Review"

    def __init__(self, balances: dict[str, tuple[int | None, int]], wallets: dict[str, str] | None = None) -> None:
        super().__init__()
        self.balances = balances  # symbol -> (units or None, decimals)
        self.wallets = dict(wallets or {})  # your other wallets: name -> address

    def compose_fields(self) -> ComposeResult:
        from textual.suggester import SuggestFromList

        names = list(self.wallets)
        if names:
            yield Label("To address, or the name of one of your wallets (→ completes it)")
            placeholder = f"0x… or {names[0]}"
        else:
            yield Label("To address")
            placeholder = "0x… (40 hex characters)"
        suggester = SuggestFromList(names, case_sensitive=False) if names else None
        yield Input(id="to", placeholder=placeholder, compact=True, suggester=suggester)
        yield Label("Amount")
        with Horizontal(classes="send-amount"):
            yield Input(id="amount", placeholder="e.g. 1.5", compact=True)
            yield Select(
                [(symbol, symbol) for symbol in self.balances], value="OG", allow_blank=False, id="token", compact=True
            )

    def on_mount(self) -> None:
        self.query_one("#to", Input).focus()

    def collect(self) -> dict[str, Any]:
        from og_tui.core.amounts import parse_address, parse_amount
        from og_tui.core.errors import OGError

        symbol = str(self.query_one("#token", Select).value)
        have, decimals = self.balances[symbol]
        typed = self.query_one("#to", Input).value.strip()
        name = next((n for n in self.wallets if n.casefold() == typed.casefold()), None)
        try:
            to = parse_address(self.wallets[name] if name else typed)
        except OGError as exc:
            raise FieldError(str(exc), "to") from None
        try:
            units = parse_amount(self.query_one("#amount", Input).value, decimals, symbol=symbol)
        except OGError as exc:
            raise FieldError(str(exc), "amount") from None
        if have is not None and units > have:
            from og_tui.tui.format import fmt_units

            raise FieldError(f"That is more than your balance of {fmt_units(have, decimals, 6)} {symbol}.", "amount")
        return {"to": to, "to_name": name, "units": units, "symbol": symbol, "decimals": decimals}


class ProfileDialog(ModalScreen):
    """Pick the active profile."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]
    DEFAULT_CLASSES = "dialog-screen"

    def __init__(self, profiles: list[tuple[str, str]], current: str) -> None:
        super().__init__()
        self.profiles = profiles
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Switch profile", classes="dialog-title")
            options = [
                Option(f"{'● ' if name == self.current else '  '}{name}  [dim]{desc}[/]", id=name)
                for name, desc in self.profiles
            ]
            yield NavOptionList(*options, id="profiles")
        yield OGFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
