"""OGApp: the full-screen og-tui application, built by :func:`make_app`."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from og_tui.tui import messages as m
from og_tui.tui.commands import OGCommands
from og_tui.tui.context import AppContext
from og_tui.tui.screens import SCREENS

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.config import Settings

POLL_SECONDS = 2.0
FIRST_MODE = "account"  # the screen the app opens on


def _user_message(exc: BaseException) -> tuple[str, str | None]:
    """A sentence for the user and an optional hint; never a traceback, never a key."""
    from og_tui.core.errors import OGError, redact

    if isinstance(exc, OGError):
        return str(exc), getattr(exc, "hint", None)
    return redact(f"{type(exc).__name__}: {exc}"), None


class OGApp(App):
    """Account, Hub, Inference, Chat, Workflows and Activity, one keypress apart."""

    TITLE = "og-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    COMMANDS = App.COMMANDS | {OGCommands}
    # The first screen is built as the app's default screen, not as a mode's: Textual
    # re-parses every stylesheet (App.refresh_css) for a mode's first screen, which costs
    # the first frame tens of milliseconds. Its mode is registered once it is up.
    DEFAULT_MODE = FIRST_MODE
    MODES = {name: spec.factory for name, spec in SCREENS.items() if name != FIRST_MODE}

    BINDINGS = [
        Binding("f1", "toggle_help", "Help", id="app.help", tooltip="Show the keys of the focused widget"),
        *[
            Binding(
                f"{spec.fkey},{spec.digit}" if spec.digit else spec.fkey,
                f"goto('{name}')",
                spec.title,
                show=False,
                id=f"nav.{name}",
                tooltip=f"Go to {spec.title}",
            )
            for name, spec in SCREENS.items()
        ],
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    net: reactive[m.NetState] = reactive(m.NetState, always_update=True)
    tx_version: reactive[int] = reactive(0)
    wallets_version: reactive[int] = reactive(0)

    def __init__(self, ctx: AppContext, *, poll: bool = True) -> None:
        super().__init__()
        self.ctx = ctx
        self.poll_enabled = poll
        self._op_ids = itertools.count(1)
        self._ops: dict[str, str] = {}
        self.theme = ctx.settings.theme if ctx.settings.theme in self.available_themes else "textual-dark"
        if getattr(ctx.settings, "keymap", None):
            self.set_keymap(ctx.settings.keymap)
        self.net = m.NetState(profile=ctx.profile.name, is_devnet=ctx.is_devnet)

    # --- lifecycle -------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        return SCREENS[FIRST_MODE].factory()

    def on_mount(self) -> None:
        self.add_mode(FIRST_MODE, SCREENS[FIRST_MODE].factory)
        self.refresh_wallet_state()
        for warning in self.ctx.settings.warnings:
            self.notify(warning, title="Settings", severity="warning", timeout=12)
        if self.ctx.settings.keymap:
            self.call_after_refresh(self._check_keymap)
        # Connect once the first frame is on screen: the worker's imports (httpx, the
        # devnet launcher) would otherwise compete with it for the interpreter.
        self.call_after_refresh(self.connect)

    def on_unmount(self) -> None:
        self.ctx.close()

    # --- settings ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="settings-keymap", exit_on_error=False, description="check keymap")
    def _check_keymap(self) -> None:
        from og_tui.tui.keymap import unknown_keymap_ids

        problems = unknown_keymap_ids(self.ctx.settings.keymap)
        if problems:
            self.call_from_thread(
                self.notify, "\n".join(problems), title="Settings: keymap", severity="warning", timeout=15)

    def watch_theme(self, theme: str) -> None:
        """Keep the theme chosen in the app (palette, settings) for the next start."""
        if self.is_running and theme != self.ctx.settings.theme:
            self._save_theme(theme)

    @work(thread=True, exclusive=True, group="settings-theme", exit_on_error=False, description="save theme")
    def _save_theme(self, theme: str) -> None:
        try:
            self.ctx.settings.save_theme(theme)
        except Exception as exc:  # noqa: BLE001 - a settings file we cannot write is not fatal
            self.call_from_thread(self.notify, f"Could not save the theme: {exc}", severity="warning")

    # --- navigation & global actions -------------------------------------------------
    async def action_goto(self, name: str) -> None:
        if self.current_mode != name:
            await self.switch_mode(name)

    async def action_on_screen(self, mode: str, action: str) -> None:
        """Switch to ``mode`` and run one of its screen's actions (palette commands)."""
        await self.action_goto(mode)
        await self.screen.run_action(action)

    def action_toggle_help(self) -> None:
        from textual.widgets import HelpPanel

        if self.screen.query(HelpPanel):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_show_log_path(self) -> None:
        from og_tui.core.log import log_path

        path = str(log_path(self.ctx.settings.data_dir))
        self.copy_to_clipboard(path)
        self.notify(f"{path}\n(copied; more detail with og-tui --log-level DEBUG)", title="Log file", timeout=10)

    def action_copy_address(self) -> None:
        address = self.net.address
        if not address:
            self.notify("No wallet yet: create or import one on the Account screen.", severity="warning")
            return
        self.copy_to_clipboard(address)
        self.notify(f"Copied {address}", title="Address copied")

    # --- work tracking -----------------------------------------------------------------
    def begin_op(self, label: str) -> str:
        """Register work in flight (thread-safe: posts a message)."""
        op_id = f"op{next(self._op_ids)}"
        self.post_message(m.OperationStarted(op_id, label))
        return op_id

    def end_op(self, op_id: str) -> None:
        self.post_message(m.OperationEnded(op_id))

    def run_op(self, label: str, fn: Callable[[], Any], what: str | None = None) -> Any:
        """Run ``fn`` in the calling worker thread with tracking and error reporting."""
        op_id = self.begin_op(label)
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            text, hint = _user_message(exc)
            self.post_message(m.OperationFailed(what or label, text, hint))
            return None
        finally:
            self.end_op(op_id)

    @on(m.OperationStarted)
    def _op_started(self, event: m.OperationStarted) -> None:
        self._ops[event.op_id] = event.label
        self.net = replace(self.net, ops=tuple(self._ops.values()))

    @on(m.OperationEnded)
    def _op_ended(self, event: m.OperationEnded) -> None:
        self._ops.pop(event.op_id, None)
        self.net = replace(self.net, ops=tuple(self._ops.values()))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker(event)

    def report_worker(self, event: Worker.StateChanged) -> None:
        """Safety net: a worker that died on an unexpected error is reported, not lost."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            text, hint = _user_message(event.worker.error)
            self.notify(text if not hint else f"{text}\n{hint}", title="Something went wrong", severity="error", timeout=10)

    @on(m.OperationFailed)
    def _op_failed(self, event: m.OperationFailed) -> None:
        text = event.text if not event.hint else f"{event.text}\n{event.hint}"
        self.notify(text, title=event.what, severity="error", timeout=8)

    # --- connection ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="connect", exit_on_error=False, description="connect")
    def connect(self) -> None:
        ctx = self.ctx
        if ctx.is_devnet and ctx.autostart_devnet:
            from og_tui.core.devnet_proc import ensure_devnet

            profile = ctx.profile

            def progress(elapsed: float, text: str) -> None:
                self.post_message(m.DevnetProgress(elapsed, text))

            self.post_message(m.DevnetProgress(0.0, "starting devnet"))
            try:
                handle = ensure_devnet(
                    profile.devnet_host,
                    profile.devnet_port,
                    data_dir=None,  # the devnet's default: beside the app data, shared with the CLI
                    on_progress=progress,
                )
            except Exception as exc:  # noqa: BLE001
                text, hint = _user_message(exc)
                self.post_message(m.OperationFailed("Local devnet did not start", text, hint))
                self.post_message(m.ChainStatus(False, error=text))
                return
            if get_current_worker().is_cancelled:
                if handle.started:
                    handle.stop()
                return
            ctx.devnet = handle
            self.post_message(m.DevnetReady(handle.url, handle.started))
        self.poll_chain()

    @on(m.DevnetProgress)
    def _devnet_progress(self, event: m.DevnetProgress) -> None:
        self.net = replace(self.net, starting=f"{event.text} {event.elapsed:.1f}s")

    @on(m.DevnetReady)
    def _devnet_ready(self, event: m.DevnetReady) -> None:
        self.net = replace(self.net, starting=None)
        if event.started:
            self.notify(f"Local devnet started at {event.url}", title="Devnet")
        if self.poll_enabled:
            self.set_interval(POLL_SECONDS, self.poll_chain, name="poll")

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False, description="poll chain")
    def poll_chain(self) -> None:
        ctx = self.ctx
        try:
            chain = ctx.chain
            block = chain.block_number()
            balances = None
            address = self.net.address
            if address:
                token = ctx.profile.payment_token
                balances = m.Balances(
                    native_wei=chain.balance(address),
                    token_units=chain.token_balance(token, address) if token else None,
                )
        except Exception as exc:  # noqa: BLE001 - shown as "disconnected"
            text, _ = _user_message(exc)
            self.post_message(m.ChainStatus(False, error=text))
            return
        self.post_message(m.ChainStatus(True, block, balances))
        self._follow_payments(ctx)

    def _follow_payments(self, ctx: AppContext) -> None:
        """Bring the payment history up to date (runs inside the poll worker)."""
        try:
            if not ctx.store.open_payments(ctx.profile.name, limit=1):
                return
            from og_tui.core.llm import LLMClient
            from og_tui.core.payment_status import follow_payments

            with LLMClient(ctx.profile, None, timeout=10.0) as llm:
                changed = follow_payments(ctx.store, llm=llm, chain=ctx.chain, profile=ctx.profile.name)
        except Exception:  # noqa: BLE001 - tried again at the next poll
            return
        if changed:
            counts: dict[str, int] = {}
            for row in changed:
                counts[str(row.status)] = counts.get(str(row.status), 0) + 1
            self.post_message(m.PaymentsSettled(counts))

    @on(m.PaymentsSettled)
    def _payments_settled(self, event: m.PaymentsSettled) -> None:
        self.tx_version += 1

    @on(m.ChainStatus)
    def _chain_status(self, event: m.ChainStatus) -> None:
        was = self.net.connected
        new = replace(self.net, connected=event.connected, starting=None if event.connected else self.net.starting)
        if event.connected:
            new = replace(new, block=event.block)
            if event.balances is not None:
                new = replace(new, native_wei=event.balances.native_wei, token_units=event.balances.token_units)
        self.net = new
        if was and not event.connected:
            self.notify(
                f"Lost the connection to {self.ctx.profile.rpc_url}. og-tui keeps working and reconnects on its own.",
                title="Disconnected",
                severity="warning",
            )
        elif was is False and event.connected:
            self.notify("Connection is back.", title="Reconnected")

    # --- wallets ----------------------------------------------------------------------------
    def refresh_wallet_state(self) -> None:
        """Re-read the active wallet (cheap: reads the wallet index, no key material)."""
        try:
            active = self.ctx.wallets.active()
        except Exception as exc:  # noqa: BLE001
            text, hint = _user_message(exc)
            self.post_message(m.OperationFailed("Wallets", text, hint))
            active = None
        address = active.address if active else None
        changed = address != self.net.address
        self.net = replace(
            self.net,
            address=address,
            wallet_name=active.name if active else None,
            native_wei=None if changed else self.net.native_wei,
            token_units=None if changed else self.net.token_units,
        )
        self.wallets_version += 1
        if changed and self.net.connected:
            self.poll_chain()

    @on(m.WalletsChanged)
    def _wallets_changed(self) -> None:
        self.refresh_wallet_state()

    @on(m.FaucetFunded)
    def _funded(self) -> None:
        self.tx_version += 1

    @on(m.TxSubmitted)
    def _tx_submitted(self, event: m.TxSubmitted) -> None:
        self.tx_version += 1

    @on(m.TxConfirmed)
    def _tx_confirmed(self, event: m.TxConfirmed) -> None:
        self.tx_version += 1
        ok = event.status == "confirmed"
        text = (
            f"{event.kind} {'confirmed' if ok else 'failed'} in block {event.block} · gas {event.gas_used:,}"
            if event.gas_used is not None
            else f"{event.kind} {event.status}"
        )
        link = self.ctx.profile.explorer_tx_url(event.tx_hash)
        if link:
            text += f"\n[link={link}]open in the explorer[/link]"
        self.notify(
            text,
            title="Transaction mined" if ok else "Transaction failed",
            severity="information" if ok else "error",
        )
        self.poll_chain()

    # --- profiles ---------------------------------------------------------------------------
    def switch_profile(self, name: str) -> None:
        from og_tui.core.config import load_settings

        try:
            settings = load_settings(profile=name)
        except Exception as exc:  # noqa: BLE001
            text, hint = _user_message(exc)
            self.post_message(m.OperationFailed("Profile", text, hint))
            return
        try:
            settings.save_profile_choice(name)  # remembered for the next start
        except Exception as exc:  # noqa: BLE001 - switching still works for this session
            text, _ = _user_message(exc)
            self.notify(f"Could not save the profile choice: {text}", severity="warning")
        old = self.ctx.devnet
        self.ctx.switch_profile(settings)
        if old is not None and old.started and not self.ctx.is_devnet:
            old.stop()
            self.ctx.devnet = None
        self.net = m.NetState(profile=name, is_devnet=self.ctx.is_devnet)
        self.refresh_wallet_state()
        self.post_message(m.ProfileChanged(name))
        self.notify(f"Now using profile {name}", title="Profile")
        self.connect()


def make_app(
    settings: "Settings | None" = None,
    *,
    autostart_devnet: bool = True,
    poll: bool = True,
    profile: str | None = None,
) -> OGApp:
    """The one factory used by the CLI and by every test."""
    if settings is None:
        from og_tui.core.config import load_settings

        settings = load_settings(profile=profile)
    return OGApp(AppContext(settings, autostart_devnet=autostart_devnet), poll=poll)
