"""What needs a Model Hub account on the Hub screen: signing in (a stored sign-in is
resumed in a worker, otherwise the sign-in dialog opens) and creating models and versions.

Mixed into ``HubScreen`` (hub.py); the worker posts ``AuthFailed`` (nested here) or the
sign-in dialog's ``SignedIn``, handled below by naming convention.
"""

from __future__ import annotations

import asyncio
from typing import Callable

from textual import work
from textual.message import Message
from textual.widgets import Input

from og_tui.core.errors import user_message
from og_tui.tui.screens.hub_dialogs import HubSignInDialog


class HubAccount:
    """Sign-in and the create actions of the Hub screen (mixed into HubScreen)."""

    class AuthFailed(Message, bubble=False):
        """Signing in (or resuming a stored sign-in) failed; ``text`` says why."""

        def __init__(self, text: str, hint: str | None = None) -> None:
            super().__init__()
            self.text = text
            self.hint = hint

    # --- sign-in ---------------------------------------------------------------------------------
    def _with_auth(self, then: Callable[[], None], reason: str) -> None:
        sessions = self.sessions
        if sessions.signed_in:
            then()
            return

        async def decide() -> None:  # the saved sign-in is read off the loop (wallet index, keyring)
            from og_tui.tui.screens.hub_dialogs import SignInFacts

            facts = await asyncio.to_thread(SignInFacts.read, sessions)
            if facts.stored and not facts.stored_locked:
                self._after_auth = then
                self._resume()
            else:
                self._open_sign_in(reason, then)

        self.run_worker(decide(), group="hub-auth", exclusive=True, exit_on_error=False, description="hub sign-in")

    def _open_sign_in(self, reason: str | None, then: Callable[[], None] | None = None) -> None:
        from og_tui.tui.screens.hub_dialogs import open_hub_sign_in

        def done(email: str | None) -> None:
            self._show_who()
            if email:
                self.app.notify(f"Signed in as {email}", title="Model Hub")
                if then is not None:
                    then()

        open_hub_sign_in(self, self.sessions, allow_signup=self.app.ctx.is_devnet, reason=reason, done=done)

    def action_sign_in(self) -> None:
        self._open_sign_in(None)

    @work(thread=True, exclusive=True, group="hub-signin", exit_on_error=False, description="hub sign-in")
    def _resume(self) -> None:
        sessions = self.sessions
        try:
            session = sessions.resume()
        except Exception as exc:  # noqa: BLE001
            text, hint = user_message(exc)
            self.post_message(self.AuthFailed(text, hint))
            return
        if session is None:
            self.post_message(self.AuthFailed("No saved Model Hub sign-in."))
            return
        self.post_message(HubSignInDialog.SignedIn(sessions.profile_name, session.email))

    def on_hub_sign_in_dialog_signed_in(self, event: HubSignInDialog.SignedIn) -> None:
        self._show_who()
        then, self._after_auth = self._after_auth, None
        if then is not None:
            then()

    def on_hub_account_auth_failed(self, event: "HubAccount.AuthFailed") -> None:
        then, self._after_auth = self._after_auth, None
        self._open_sign_in(f"The saved sign-in did not work: {event.text}", then)

    # --- create ---------------------------------------------------------------------------------
    def action_new_model(self) -> None:
        self._with_auth(self._open_new_model, "Sign in to create a model.")

    def _open_new_model(self) -> None:
        from og_tui.tui.screens.hub_dialogs import NewModelDialog

        def done(result: dict[str, str] | None) -> None:
            if not result:
                return
            self.app.notify(f"{result['name']} v{result['version']} · u uploads a file to it", title="Model created")
            self.search = ""
            self.query_one("#hub-search", Input).value = ""
            if self._search_timer is not None:
                self._search_timer.stop()
            self.reload(keep=result["name"])

        self.app.push_screen(NewModelDialog(self.sessions), done)

    def action_new_version(self) -> None:
        if self.detail is not None:
            self._with_auth(self._open_new_version, "Sign in to add a version.")

    def _open_new_version(self) -> None:
        from og_tui.tui.screens.hub_dialogs import NewVersionDialog

        detail = self.detail
        if detail is None:
            return
        name = str(detail.get("name"))
        versions = [str(v.get("versionString")) for v in detail.get("versions") or []]

        def done(result: dict[str, str] | None) -> None:
            if not result:
                return
            self.app.notify(f"{result['name']} v{result['version']}", title="Version created")
            self._refresh_model(result["name"])

        self.app.push_screen(NewVersionDialog(self.sessions, name, versions), done)

    def _refresh_model(self, name: str) -> None:
        self._details.pop(name, None)
        self._load_detail(name)
        self.reload(keep=name)
