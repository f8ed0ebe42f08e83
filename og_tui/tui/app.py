"""OGApp: the full-screen og-tui application, built by :func:`make_app`."""

from __future__ import annotations

import itertools
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable

from textual import events, on, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState, get_current_worker

from og_tui.core.errors import user_message
from og_tui.tui import messages as m
from og_tui.tui.commands import OGCommands
from og_tui.tui.context import AppContext
from og_tui.tui.devnet_control import DevnetControl
from og_tui.tui.gateway_control import GatewayControl
from og_tui.tui.gc_policy import TICK_S, IdleCollector
from og_tui.tui.screens import SCREENS
from og_tui.tui.views import VIEW_BINDINGS, AppViews

if TYPE_CHECKING:  # pragma: no cover
    from og_tui.core.config import Settings

POLL_SECONDS = 2.0
_log = logging.getLogger(__name__)

# Entering a field puts the cursor at the end of what it holds and selects nothing: Textual's
# default selects it all, so the next key would replace a value the user meant to extend (a
# wallet name, a max-tokens figure). Every Input og-tui builds takes this default.
Input.__init__.__kwdefaults__["select_on_focus"] = False
FIRST_MODE = "account"  # the screen the app opens on


class OGApp(AppViews, GatewayControl, DevnetControl, App):
    """Account, Hub, Inference, Chat, Workflows and Activity, one keypress apart."""

    TITLE = "og-tui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    SUSPENDED_SCREEN_CLASS = "-suspended"  # a screen under a dialog (app.tcss hides its focus bar)
    COMMANDS = App.COMMANDS | {OGCommands}
    # The first screen is built as the app's default screen, not as a mode's: Textual
    # re-parses every stylesheet (App.refresh_css) for a mode's first screen, which costs
    # the first frame tens of milliseconds. Its mode is registered once it is up.
    DEFAULT_MODE = FIRST_MODE
    MODES = {name: spec.factory for name, spec in SCREENS.items() if name != FIRST_MODE}

    BINDINGS = [
        # priority: F1 works in dialogs too (a modal screen hides the app's other bindings)
        Binding(
            "f1", "toggle_help", "Help", id="app.help", priority=True, tooltip="Show the keys of the focused widget"
        ),
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
        Binding(
            "f12",
            "devnet_start",
            "Devnet",
            id="app.devnet",
            show=False,
            tooltip="Start the local devnet now (after a failed start, or once stopped)",
        ),
        *VIEW_BINDINGS,
    ]

    # False: the cursors of inputs and text areas stay lit instead of blinking (the tests
    # turn this off, so that a snapshot never depends on the moment it is taken)
    cursor_blink: bool = True

    net: reactive[m.NetState] = reactive(m.NetState, always_update=True)
    tx_version: reactive[int] = reactive(0)
    wallets_version: reactive[int] = reactive(0)
    notices_version: reactive[int] = reactive(0)  # +1 for each toast (the Notifications view follows it)
    gateway_version: reactive[int] = reactive(0)  # app.gateway_state was replaced

    def __init__(self, ctx: AppContext, *, poll: bool = True) -> None:
        super().__init__()
        self._init_views()
        self.ctx = ctx
        # (profile, LLMClient) the poll worker follows open payments with
        self._payments_llm: tuple[Any, Any] | None = None
        self.poll_enabled = poll
        self._op_ids = itertools.count(1)
        self._ops: dict[str, str] = {}
        self.theme = ctx.settings.theme if ctx.settings.theme in self.available_themes else "textual-dark"
        self.keymap: dict[str, str] = {}  # binding id -> keys, as given to set_keymap / update_keymap
        self.collector = IdleCollector()
        if getattr(ctx.settings, "keymap", None):
            self.set_keymap(ctx.settings.keymap)
        # the active wallet is read here, before the app runs (later reads are workers')
        address, name, self._wallet_failed = self._active_wallet()
        self.net = m.NetState(profile=ctx.profile.name, is_devnet=ctx.is_devnet, address=address, wallet_name=name)

    def set_keymap(self, keymap: dict[str, str]) -> None:
        self.keymap = dict(keymap)
        super().set_keymap(keymap)
        self._keymap_changed()

    def update_keymap(self, keymap: dict[str, str]) -> None:
        self.keymap = {**self.keymap, **keymap}
        super().update_keymap(keymap)
        self._keymap_changed()

    def _keymap_changed(self) -> None:
        """The nav strip shows the keys in use (other screens' strips update when shown)."""
        if self.is_running:
            from og_tui.tui.screens.base import NavBar

            for bar in self.screen.query(NavBar):
                bar.show_keys(self.keymap)

    # --- lifecycle -------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        return SCREENS[FIRST_MODE].factory()

    def on_mount(self) -> None:
        # full garbage collections wait for a pause in the input (gc_policy)
        self.collector.install()
        self.set_interval(TICK_S, self.collector.tick, name="idle gc")
        self.add_mode(FIRST_MODE, SCREENS[FIRST_MODE].factory)
        self.wallets_version += 1
        if self._wallet_failed is not None:
            self.post_message(self._wallet_failed)
        for warning in self.ctx.settings.warnings:
            self.notify(warning, title="Settings", severity="warning", timeout=12)
        if self.ctx.settings.keymap:
            self.call_after_refresh(self._check_keymap)
        # Connect once the first frame is on screen: the worker's imports (httpx, the
        # devnet launcher) would otherwise compete with it for the interpreter.
        self.call_after_refresh(self.connect)
        self.call_after_refresh(self._preload_screens)

    def on_unmount(self) -> None:
        try:
            self.gateway_shutdown()
        finally:
            self.collector.uninstall()
            self._close_payments_llm()
            self.ctx.close()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.collector.touch()
        await super().on_event(event)

    def _close_payments_llm(self) -> None:
        llm, self._payments_llm = self._payments_llm, None
        if llm is not None:
            llm[1].close()

    @work(thread=True, exclusive=True, group="preload", exit_on_error=False, description="preload screens")
    def _preload_screens(self) -> None:
        """Import the other screens' modules in the background: the first F-key press then
        shows its screen without stopping the app for the import (100-200 ms for Chat)."""
        import importlib

        for name, spec in SCREENS.items():
            if name == FIRST_MODE or get_current_worker().is_cancelled:
                continue
            try:
                importlib.import_module(spec.target.split(":")[0])
            except Exception:  # noqa: BLE001 - the screen reports it when it is shown
                continue

    # --- settings ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="settings-keymap", exit_on_error=False, description="check keymap")
    def _check_keymap(self) -> None:
        from og_tui.tui.keymap import unknown_keymap_ids

        problems = unknown_keymap_ids(self.ctx.settings.keymap)
        if problems:
            self.call_from_thread(
                self.notify, "\n".join(problems), title="Settings: keymap", severity="warning", timeout=15
            )

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

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        from textual.widgets import TextArea

        # a cursor only blinks while its widget has the focus
        if not self.cursor_blink and isinstance(event.widget, (Input, TextArea)):
            event.widget.cursor_blink = False

    # --- navigation & global actions -------------------------------------------------
    async def action_goto(self, name: str) -> None:
        """Show screen ``name``; on it already, the key puts the focus on its main pane (the
        list or table, Chat's prompt, the inference editor), wherever the focus had wandered."""
        if self.current_mode != name:
            await self.switch_mode(name)
            return
        main = getattr(self.screen, "MAIN_PANE", "")
        for widget in self.screen.query(main) if main else ():
            if widget.display and widget.focusable:
                widget.focus()
                break

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
            text, hint = user_message(exc)
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
            _log.error("worker %s failed", event.worker.name, exc_info=event.worker.error)
            self.notify(
                user_message(event.worker.error).joined(), title="Something went wrong", severity="error", timeout=10
            )

    @on(m.OperationFailed)
    def _op_failed(self, event: m.OperationFailed) -> None:
        _log.warning("%s: %s", event.what, event.text)
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
                from og_tui.core.devnet_proc import DevnetPortInUse

                text, hint = user_message(exc)
                self.post_message(m.DevnetFailed(text, hint, in_use=isinstance(exc, DevnetPortInUse)))
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
        self.net = replace(self.net, starting=f"{event.text} {event.elapsed:.1f}s", down=None)

    @on(m.DevnetReady)
    def _devnet_ready(self, event: m.DevnetReady) -> None:
        self.net = replace(self.net, starting=None)
        if event.started:
            self.notify(f"Local devnet started at {event.url}", title="Devnet")
        if self.poll_enabled and self._poll_timer is None:
            self._poll_timer = self.set_interval(POLL_SECONDS, self.poll_chain, name="poll")

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
                opg = ctx.profile.opg_token if str(ctx.profile.x402_version) != "1" else None
                balances = m.Balances(
                    native_wei=chain.balance(address),
                    token_units=chain.token_balance(token, address) if token else None,
                    opg_units=chain.token_balance(opg, address) if opg else None,
                )
        except Exception as exc:  # noqa: BLE001 - shown as "disconnected"
            text, _ = user_message(exc)
            self.post_message(m.ChainStatus(False, error=text))
            return
        self.post_message(m.ChainStatus(True, block, balances))
        self._follow_payments(ctx)
        from og_tui.tui.screens.mcp_approval import offer_pending_approvals

        offer_pending_approvals(self)  # og-tui mcp calls waiting for a yes

    def _follow_payments(self, ctx: AppContext) -> None:
        """Bring the payment history up to date (runs inside the poll worker)."""
        try:
            if not ctx.store.open_payments(ctx.profile.name, limit=1):
                return
            from og_tui.core.payment_status import follow_payments

            changed = follow_payments(
                ctx.store, llm=self._payments_client(ctx), chain=ctx.chain, profile=ctx.profile.name
            )
        except Exception:  # noqa: BLE001 - tried again at the next poll
            return
        if changed:
            counts: dict[str, int] = {}
            for row in changed:
                counts[str(row.status)] = counts.get(str(row.status), 0) + 1
            self.post_message(m.PaymentsSettled(counts))

    def _payments_client(self, ctx: AppContext) -> Any:
        """The LLM client the poll worker asks about settlements: one per profile, kept between
        passes (one connection, not one per poll)."""
        from og_tui.core.llm import LLMClient

        held = self._payments_llm
        if held is not None and held[0] is ctx.profile:
            return held[1]
        self._close_payments_llm()
        client = LLMClient(ctx.profile, None, timeout=10.0)
        self._payments_llm = (ctx.profile, client)
        return client

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
                b = event.balances
                new = replace(new, native_wei=b.native_wei, token_units=b.token_units, opg_units=b.opg_units)
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
        """Re-read the active wallet (the wallet index, no key material) in a worker."""
        self._read_active_wallet()

    def _active_wallet(self) -> tuple[str | None, str | None, m.OperationFailed | None]:
        """(address, name) of the active wallet, or the failure to report."""
        try:
            active = self.ctx.wallets.active()
        except Exception as exc:  # noqa: BLE001
            text, hint = user_message(exc)
            return None, None, m.OperationFailed("Wallets", text, hint)
        return (active.address, active.name, None) if active else (None, None, None)

    @work(thread=True, exclusive=True, group="wallet-state", exit_on_error=False, description="read wallets")
    def _read_active_wallet(self) -> None:
        address, name, failed = self._active_wallet()
        if failed is not None:
            self.post_message(failed)
        self.post_message(m.ActiveWallet(address, name))

    @on(m.ActiveWallet)
    def _show_active_wallet(self, event: m.ActiveWallet) -> None:
        address = event.address
        changed = address != self.net.address
        self.net = replace(
            self.net,
            address=address,
            wallet_name=event.name,
            native_wei=None if changed else self.net.native_wei,
            token_units=None if changed else self.net.token_units,
            opg_units=None if changed else self.net.opg_units,
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
        text += f"\ntx {event.tx_hash}"
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
        """Switch to profile ``name``. Reading and saving the settings run in a worker, and
        so does stopping a devnet this app started (up to 10 s); the status bar shows both."""
        self._load_profile(name)

    @work(thread=True, exclusive=True, group="profile", exit_on_error=False, description="switch profile")
    def _load_profile(self, name: str) -> None:
        from og_tui.core.config import load_settings

        op_id = self.begin_op(f"Switching to {name}")
        try:
            try:
                settings = load_settings(profile=name)
            except Exception as exc:  # noqa: BLE001
                text, hint = user_message(exc)
                self.post_message(m.OperationFailed("Profile", text, hint))
                return
            warning = None
            try:
                settings.save_profile_choice(name)  # remembered for the next start
            except Exception as exc:  # noqa: BLE001 - switching still works for this session
                warning = f"Could not save the profile choice: {user_message(exc).text}"
            self.post_message(m.ProfileLoaded(name, settings, warning))
        finally:
            self.end_op(op_id)

    @on(m.ProfileLoaded)
    def _profile_loaded(self, event: m.ProfileLoaded) -> None:
        if event.warning:
            self.notify(event.warning, severity="warning")
        old = self.ctx.devnet
        self.ctx.switch_profile(event.settings)
        if old is not None and old.started and not self.ctx.is_devnet:
            self.ctx.devnet = None
            self._stop_previous_devnet(old)
        self.net = m.NetState(
            profile=event.name,
            is_devnet=self.ctx.is_devnet,
            ops=self.net.ops,
            address=self.net.address,
            wallet_name=self.net.wallet_name,
        )  # (re-read below)
        self.refresh_wallet_state()
        self.post_message(m.ProfileChanged(event.name))
        self.notify(f"Now using profile {event.name}", title="Profile")
        self.connect()

    @work(thread=True, group="profile-devnet-stop", exit_on_error=False, description="stop previous devnet")
    def _stop_previous_devnet(self, handle: Any) -> None:
        """Stop the devnet this app started for the profile it left (it settles queued payments first)."""
        self.run_op("Stopping the local devnet", handle.stop, what="Local devnet")


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
