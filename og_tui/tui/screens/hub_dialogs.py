"""Model Hub dialogs: sign-in / sign-up, new model, new version.

Each dialog does its network call in a thread worker and stays open on an error (the
message appears inline; nothing typed is lost). On success it dismisses with a small
result. Workers post typed messages to the dialog; its handlers own the widgets.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from og_tui.core.errors import user_message
from og_tui.tui.hub_session import HubSessions
from og_tui.tui.screens.modals import Dialog, FieldError

NAME_RULES = (
    "Letters and digits (any script), '-', '_' and '.'; it starts with a letter or digit; "
    "no spaces, '/', '\\' or '..'; at most 100 characters; unique on the hub, ignoring case."
)


class _Failed(Message, bubble=False):
    def __init__(self, text: str, hint: str | None = None, field: str | None = None) -> None:
        super().__init__()
        self.text = text
        self.hint = hint
        self.field = field


class HubDialog(Dialog):
    """A dialog that runs one hub call in a worker; busy while it runs."""

    CSS_PATH = "hub.tcss"

    def _busy(self, text: str) -> None:
        self.show_error(text)
        self.query_one("#ok", Button).disabled = True

    @on(_Failed)
    def _failed(self, event: _Failed) -> None:
        self.query_one("#ok", Button).disabled = False
        self.show_error(event.text if not event.hint else f"{event.text}\n{event.hint}")
        if event.field:
            try:
                field = self.query_one(f"#{event.field}", Input)
            except Exception:  # noqa: BLE001 - no such input in this dialog
                return
            field.focus()
            field.select_all()


# --- sign-in / sign-up -------------------------------------------------------------------


@dataclass(frozen=True)
class SignInFacts:
    """What the sign-in dialog needs to know before it opens: is there an OS keyring, and a
    saved sign-in (locked by a passphrase or not). Reading them touches the wallet index and
    the keyring (which can wait on a Secret Service prompt): done off the event loop."""

    keyring: bool
    stored: str | None
    stored_locked: bool

    @classmethod
    def read(cls, sessions: HubSessions) -> SignInFacts:
        stored = sessions.stored_email()
        return cls(sessions.keyring_available(), stored, bool(stored) and sessions.stored_needs_passphrase())


def open_hub_sign_in(
    screen: Any,
    sessions: HubSessions,
    *,
    allow_signup: bool,
    reason: str | None = None,
    done: Any = None,
) -> None:
    """Read the sign-in facts in a thread, then open :class:`HubSignInDialog` (on the loop)."""

    async def read_then_open() -> None:
        facts = await asyncio.to_thread(SignInFacts.read, sessions)
        dialog = HubSignInDialog(sessions, allow_signup=allow_signup, reason=reason, facts=facts)
        screen.app.push_screen(dialog, done)

    screen.run_worker(
        read_then_open(), group="hub-sign-in", exclusive=True, exit_on_error=False, description="open hub sign-in"
    )


class HubSignInDialog(HubDialog):
    """Email + password; on devnet a Sign up button creates the account.

    Without an OS keyring, an optional passphrase encrypts the remembered password; when a
    password is stored encrypted, typing only that passphrase signs in with it.
    Dismisses with the signed-in email.
    """

    class SignedIn(Message, bubble=False):
        """A Model Hub session is open for ``profile`` (never carries the password or tokens)."""

        def __init__(self, profile: str, email: str, created: bool = False) -> None:
            super().__init__()
            self.profile = profile
            self.email = email
            self.created = created

    OK_LABEL = "Sign in"

    def __init__(
        self,
        sessions: HubSessions,
        *,
        allow_signup: bool,
        reason: str | None = None,
        facts: SignInFacts | None = None,
    ) -> None:
        super().__init__()
        self.sessions = sessions
        self.allow_signup = allow_signup
        self.reason = reason
        facts = facts if facts is not None else SignInFacts.read(sessions)
        self.keyring = facts.keyring
        self.stored = facts.stored
        self.stored_locked = facts.stored_locked
        self.TITLE_TEXT = f"Model Hub sign-in · {sessions.profile_name}"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog hub-signin"):
            yield Label(self.TITLE_TEXT, classes="dialog-title")
            yield from self.compose_fields()
            yield Static("", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.OK_LABEL, variant="primary", id="ok", compact=True)
                if self.allow_signup:
                    yield Button("Sign up", id="signup", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def compose_fields(self) -> ComposeResult:
        if self.reason:
            yield Static(self.reason, classes="dialog-line")
        yield Label("Email")
        yield Input(value=self.stored or "", id="email", placeholder="you@example.com", compact=True)
        yield Label("Password")
        yield Input(
            id="password",
            password=True,
            compact=True,
            placeholder="leave empty to use the saved one" if self.stored_locked else "",
        )
        if not self.keyring:
            label = (
                "Passphrase of the saved password (or type the password above)"
                if self.stored_locked
                else "Passphrase to remember the password here, encrypted (optional, 8+)"
            )
            yield Label(label)
            yield Input(id="passphrase", password=True, compact=True)
        if self.allow_signup:
            yield Static("New here? Sign up creates a devnet hub account with this email.", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#password" if self.stored else "#email", Input).focus()

    def _values(self) -> tuple[str, str, str | None]:
        email = self.query_one("#email", Input).value.strip()
        password = self.query_one("#password", Input).value
        passphrase = None
        if not self.keyring:
            passphrase = self.query_one("#passphrase", Input).value or None
        return email, password, passphrase

    def collect(self) -> None:
        self._start(create=False)
        return None

    @on(Button.Pressed, "#signup")
    def _signup(self) -> None:
        self.show_error("")
        self._start(create=True)

    def _start(self, *, create: bool) -> None:
        email, password, passphrase = self._values()
        use_stored = not create and not password and self.stored_locked and passphrase and email == self.stored
        if not email or "@" not in email:
            self._fail_now("Type the email address of your Model Hub account.", "email")
            return
        if not use_stored:
            if not password:
                self._fail_now("Type your password.", "password")
                return
            if create and len(password) < 6:
                self._fail_now("Use a password of at least 6 characters.", "password")
                return
            if passphrase is not None and not self.stored_locked:
                from og_tui.core.errors import ValidationError
                from og_tui.core.passphrase import check_new_passphrase

                try:
                    check_new_passphrase(passphrase, allow_empty=True)
                except ValidationError as exc:
                    self._fail_now(str(exc), "passphrase")
                    return
        self._busy("Creating the account…" if create else "Signing in…")
        self._sign_in(email, password, passphrase, create, bool(use_stored))

    def _fail_now(self, text: str, field: str) -> None:
        self.post_message(_Failed(text, field=field))

    @work(thread=True, exclusive=True, group="hub-signin", exit_on_error=False, description="hub sign-in")
    def _sign_in(self, email: str, password: str, passphrase: str | None, create: bool, use_stored: bool) -> None:
        sessions = self.sessions
        try:
            if use_stored:
                session = sessions.resume(passphrase)
                if session is None:
                    self.post_message(
                        _Failed("No saved password for this profile: type the password.", field="password")
                    )
                    return
            else:
                sessions.sign_in(email, password, create=create, passphrase=passphrase)
        except Exception as exc:  # noqa: BLE001 - shown inline, the dialog stays open
            text, hint = user_message(exc)
            field = "passphrase" if "passphrase" in text.lower() and not self.keyring else "password"
            if "email" in text.lower() and "password" not in text.lower():
                field = "email"
            self.post_message(_Failed(text, hint, field))
            return
        self.post_message(self.SignedIn(sessions.profile_name, sessions.email or email, created=create))

    @on(SignedIn)
    def _signed_in(self, event: SignedIn) -> None:
        self.dismiss(event.email)


# --- new model ---------------------------------------------------------------------------


class NewModelDialog(HubDialog):
    """Name + description; creates the model and its first version. Dismisses with
    ``{"name", "version"}``."""

    class Created(Message, bubble=False):
        def __init__(self, name: str, version: str) -> None:
            super().__init__()
            self.name = name
            self.version = version

    TITLE_TEXT = "New model"
    OK_LABEL = "Create"

    def __init__(self, sessions: HubSessions) -> None:
        super().__init__()
        self.sessions = sessions

    def compose_fields(self) -> ComposeResult:
        yield Label("Name")
        yield Input(id="name", placeholder="e.g. my-regressor", compact=True, max_length=100)
        yield Static(NAME_RULES, classes="dialog-hint")
        yield Label("Description (optional)")
        yield Input(id="description", placeholder="what it predicts, its inputs", compact=True)

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Changed, "#name")
    def _live_check(self, event: Input.Changed) -> None:
        """Say what is wrong with the name as it is typed (the hub enforces the same rules)."""
        from og_tui.core.errors import OGError
        from og_tui.core.hub import validate_model_name

        if not event.value:
            self.show_error("")
            return
        try:
            validate_model_name(event.value)
        except OGError as exc:
            self.show_error(str(exc))
        else:
            self.show_error("")

    def collect(self) -> None:
        from og_tui.core.errors import OGError
        from og_tui.core.hub import validate_model_name

        try:
            name = validate_model_name(self.query_one("#name", Input).value.strip())
        except OGError as exc:
            hint = getattr(exc, "hint", None)
            raise FieldError(str(exc) if not hint else f"{exc} {hint}", "name") from None
        description = self.query_one("#description", Input).value.strip()
        self._busy(f"Creating {name}…")
        self._create(name, description)
        return None

    @work(thread=True, exclusive=True, group="hub-create", exit_on_error=False, description="create model")
    def _create(self, name: str, description: str) -> None:
        try:
            repo = self.sessions.client().create_model(name, description)
        except Exception as exc:  # noqa: BLE001
            text, hint = user_message(exc)
            self.post_message(_Failed(text, hint, "name"))
            return
        self.post_message(self.Created(repo.name, repo.initialVersion))

    @on(Created)
    def _created(self, event: Created) -> None:
        self.dismiss({"name": event.name, "version": event.version})


# --- new version -------------------------------------------------------------------------


class NewVersionDialog(HubDialog):
    """Notes + minor/major. Dismisses with ``{"name", "version"}``."""

    class Created(Message, bubble=False):
        def __init__(self, name: str, version: str) -> None:
            super().__init__()
            self.name = name
            self.version = version

    OK_LABEL = "Create"

    def __init__(self, sessions: HubSessions, name: str, versions: list[str]) -> None:
        super().__init__()
        self.sessions = sessions
        self.model_name = name
        self.versions = versions
        self.TITLE_TEXT = f"New version of {name}"

    def _next(self, is_major: bool) -> str:
        from og_tui.core.hub import format_version, next_version, parse_version

        existing = []
        for text in self.versions:
            try:
                existing.append(parse_version(text))
            except Exception:  # noqa: BLE001 - an odd version string is ignored
                continue
        return format_version(*next_version(existing, is_major))

    def compose_fields(self) -> ComposeResult:
        latest = self.versions[-1] if self.versions else "none"
        yield Static(f"Latest version: {latest}", classes="dialog-line")
        yield Label("Notes")
        yield Input(id="notes", placeholder="what changed", compact=True)
        yield Label("Kind")
        yield Select(
            [
                (f"minor: {self._next(False)} (steps of 0.01)", False),
                (f"major: {self._next(True)} (next whole number)", True),
            ],
            value=False,
            allow_blank=False,
            id="kind",
            compact=True,
        )

    def on_mount(self) -> None:
        self.query_one("#notes", Input).focus()

    def collect(self) -> None:
        notes = self.query_one("#notes", Input).value.strip()
        is_major = bool(self.query_one("#kind", Select).value)
        self._busy("Creating the version…")
        self._create(notes, is_major)
        return None

    @work(thread=True, exclusive=True, group="hub-create", exit_on_error=False, description="create version")
    def _create(self, notes: str, is_major: bool) -> None:
        try:
            data: dict[str, Any] = self.sessions.client().create_version(self.model_name, notes, is_major)
        except Exception as exc:  # noqa: BLE001
            text, hint = user_message(exc)
            self.post_message(_Failed(text, hint, "notes"))
            return
        self.post_message(self.Created(self.model_name, str(data.get("versionString") or "Unknown")))

    @on(Created)
    def _created(self, event: Created) -> None:
        self.dismiss({"name": event.name, "version": event.version})
