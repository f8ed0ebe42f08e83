"""The gateway inside the app: ``og-tui gateway``'s OpenAI-compatible server on 127.0.0.1,
served from a thread of this process and paid from the app's unlocked wallet.

:class:`GatewayHost` is plain Python (called from workers): it builds the gateway for the
active profile, starts uvicorn in its own thread and stops it. :class:`GatewayControl` is
mixed into :class:`og_tui.tui.app.OGApp`: the start / stop actions (the wallet unlocked
the way every paying action unlocks it), a one-second refresh of the live state while the
gateway runs, and the ``GatewayChanged`` handler that keeps ``app.gateway_state``, the
status bar and Activity up to date. The wallet stays unlocked only while the gateway runs
when it was unlocked for it: stopping locks it again.

This is the one module of the app that imports ``og_tui.serve`` (lazily, in workers).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable

from textual import work

from og_tui.tui import messages as m

if TYPE_CHECKING:  # pragma: no cover
    from textual.timer import Timer

__all__ = ["GatewayControl", "GatewayHost", "GatewayState", "KeyRow", "gateway_keys_by_payment", "read_keys"]

HOST = "127.0.0.1"
SETTLEMENT = "settle-batch"  # as og-tui gateway: settlement off the request path
REFRESH_SECONDS = 1.0
ERRORS_SHOWN = 5


@dataclass(frozen=True)
class KeyRow:
    """A gateway key with what it spent (atomic payment-token units; the ``opg_`` fields in
    atomic OPG units, x402 v2)."""

    id: int
    name: str
    prefix: str
    per_request: int | None
    per_day: int | None
    total: int | None
    revoked: bool
    last_used_at: float | None
    spent_today: int
    spent_total: int
    opg_per_request: int | None = None
    opg_per_day: int | None = None
    opg_total: int | None = None
    opg_spent_today: int = 0
    opg_spent_total: int = 0

    @property
    def shows_opg(self) -> bool:
        """The key has an OPG budget or spent OPG (the panel gives it an OPG line)."""
        budgets = (self.opg_per_request, self.opg_per_day, self.opg_total)
        return any(b is not None for b in budgets) or bool(self.opg_spent_total)


@dataclass(frozen=True)
class GatewayState:
    """What the gateway panel shows; replaced (not mutated) on every refresh."""

    running: bool = False
    busy: str | None = None  # "starting" / "stopping"
    url: str | None = None
    address: str | None = None
    wallet_name: str | None = None
    profile: str | None = None
    started: float | None = None
    in_flight: int = 0
    served: int = 0
    spent_run: int = 0  # this run, in the payment token
    opg_spent_run: int = 0  # this run, in OPG (x402 v2)
    keys: tuple[KeyRow, ...] = ()
    errors: tuple[dict[str, Any], ...] = ()
    error: str | None = None  # the keys could not be read
    port: int | None = None


def read_keys(book: Any) -> tuple[KeyRow, ...]:
    """Every key of ``book`` (a KeyBook) with its spend today (UTC) and in total, in the
    payment token and in OPG apart."""
    from og_tui.serve.keys import OPG, day_start

    since = day_start()
    return tuple(
        KeyRow(
            k.id,
            k.name,
            k.prefix,
            k.per_request,
            k.per_day,
            k.total,
            k.revoked,
            k.last_used_at,
            book.spent(k.id, since=since),
            book.spent(k.id),
            k.opg_per_request,
            k.opg_per_day,
            k.opg_total,
            book.spent(k.id, since=since, token=OPG),
            book.spent(k.id, token=OPG),
        )
        for k in book.list()
    )


def gateway_keys_by_payment(store: Any, payment_hashes: list[str]) -> dict[str, str]:
    """``processing hash -> "gateway key 1 (editor, ogk_AbCdEf…)"`` for the payments the
    gateway made, read on ``store``'s connection (call it from a worker)."""
    from og_tui.serve.keys import KeyBook

    book = KeyBook(store.path, store=store)
    return {h: f"gateway key {k.id} ({k.name}, {k.prefix}…)" for h, k in book.keys_by_payment(payment_hashes).items()}


class GatewayHost:
    """One gateway serving from a thread of this process (call it from worker threads)."""

    def __init__(self, server: Any, chain: Any, address: str, wallet_name: str | None, lock_after: bool) -> None:
        self.server = server
        self.chain = chain
        self.address = address
        self.wallet_name = wallet_name
        self.lock_after = lock_after  # the wallet was unlocked for the gateway: lock it when it stops

    @classmethod
    def start(
        cls, settings: Any, signer: Any, *, port: int | None, wallet_name: str | None, lock_after: bool
    ) -> "GatewayHost":
        from og_tui.core.chain import ChainClient
        from og_tui.core.errors import ValidationError
        from og_tui.core.x402_common import SpendCaps
        from og_tui.core.x402_v2 import opg_caps
        from og_tui.serve.gateway import DEFAULT_PORT
        from og_tui.serve.runner import GatewayServer, build_gateway, check_port

        port = DEFAULT_PORT if port is None else port
        check_port(HOST, port)
        settings.ensure_dirs()
        chain = ChainClient(settings.profile.rpc_url)
        try:
            gw = build_gateway(
                settings.profile,
                signer,
                settings.db_path,
                caps=SpendCaps.from_settings(settings),
                chain=chain,
                settlement=SETTLEMENT,
                opg_caps=opg_caps(settings),
            )
            server = GatewayServer(gw, HOST, port)
            try:
                server.start()
            except RuntimeError:
                server.close()
                raise ValidationError(
                    f"The gateway did not start on {HOST}:{port}.", hint="Another program may have taken the port."
                ) from None
        except BaseException:
            chain.close()
            raise
        return cls(server, chain, signer.address, wallet_name, lock_after)

    @property
    def url(self) -> str:
        return str(self.server.url)

    def stop(self) -> None:
        """Stop serving, then forget the wallet (the server closes its client and files)."""
        try:
            self.server.stop()
        finally:
            self.chain.close()

    def state(self) -> GatewayState:
        gw = self.server.gateway
        live = gw.live()
        return GatewayState(
            running=True,
            url=self.url,
            address=self.address,
            wallet_name=self.wallet_name,
            profile=live["profile"],
            started=live["started"],
            in_flight=live["in_flight"],
            served=live["served"],
            spent_run=sum(live["spent_by_key"].values()),
            opg_spent_run=sum(live["opg_spent_by_key"].values()),
            keys=read_keys(gw.book),
            errors=tuple(reversed(live["last_errors"][-ERRORS_SHOWN:])),
            port=self.server.port,
        )


class GatewayControl:
    """Mixed into OGApp (which provides ``ctx``, ``net``, ``notify``, workers, timers and
    the ``gateway_version`` / ``tx_version`` reactives)."""

    gateway: GatewayHost | None = None
    gateway_state: GatewayState = GatewayState()
    gateway_port: int | None = None  # None: og-tui gateway's default port (8746)
    _gateway_timer: Timer | None = None
    gateway_closing: threading.Thread | None = None  # the stop at the app's exit

    # --- actions ------------------------------------------------------------------------
    def action_gateway_show(self) -> None:
        from og_tui.tui.screens.gateway import GatewayPanel

        app: Any = self
        if not isinstance(app.screen, GatewayPanel):
            app.push_screen(GatewayPanel())

    def action_gateway_toggle(self) -> None:
        """Start the gateway, or stop it (the panel opens to show it)."""
        self.action_gateway_show()
        self.gateway_toggle()

    def gateway_toggle(self) -> None:
        app: Any = self
        state = self.gateway_state
        if state.busy:
            app.notify(f"The gateway is {state.busy}: a moment.", title="Gateway")
        elif self.gateway is not None:
            self._gateway_set(replace(state, busy="stopping"))
            self._gateway_stop(self.gateway)
        else:
            self._gateway_ask_wallet()

    def _gateway_ask_wallet(self) -> None:
        from og_tui.tui.screens.base import OGScreen

        app: Any = self
        address = app.net.address
        screen = next((s for s in reversed(app.screen_stack) if isinstance(s, OGScreen)), None)
        if screen is None:  # pragma: no cover - a mode's screen is always below
            return
        was_locked = bool(address) and app.ctx.signer(address) is None

        def unlocked(address: str) -> None:
            self._gateway_set(replace(self.gateway_state, busy="starting"))
            self._gateway_start(address, app.net.wallet_name, was_locked)

        screen.with_wallet(unlocked, why="it pays the gateway's requests")

    # --- workers --------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="gateway", exit_on_error=False, description="start gateway")
    def _gateway_start(self, address: str, wallet_name: str | None, lock_after: bool) -> None:
        app: Any = self
        ctx = app.ctx
        signer = ctx.signer(address)
        host = None
        if signer is not None:
            host = app.run_op(
                "Starting the gateway",
                lambda: GatewayHost.start(
                    ctx.settings, signer, port=self.gateway_port, wallet_name=wallet_name, lock_after=lock_after
                ),
                what="Gateway",
            )
        if host is None:
            if lock_after:  # unlocked for a gateway that did not start
                ctx.forget_signer(address)
                app.post_message(m.WalletsChanged())
            app.post_message(m.GatewayChanged(self._gateway_read(None), None))
            return
        app.post_message(m.GatewayChanged(self._gateway_read(host), host))

    @work(thread=True, exclusive=True, group="gateway", exit_on_error=False, description="stop gateway")
    def _gateway_stop(self, host: GatewayHost) -> None:
        app: Any = self
        app.run_op("Stopping the gateway", host.stop, what="Gateway")
        if host.lock_after:
            app.ctx.forget_signer(host.address)
            app.post_message(m.WalletsChanged())
        app.post_message(m.GatewayChanged(self._gateway_read(None), None, stopped=host))

    @work(thread=True, exclusive=True, group="gateway-state", exit_on_error=False, description="gateway state")
    def gateway_refresh(self) -> None:
        """Read the live state (and the keys' spend) now."""
        app: Any = self
        host = self.gateway
        app.post_message(m.GatewayChanged(self._gateway_read(host), host, refresh=True))

    def _gateway_read(self, host: GatewayHost | None) -> GatewayState:
        """The state of ``host`` (None: stopped, the keys read from the history file)."""
        app: Any = self
        try:
            if host is not None:
                return host.state()
            from og_tui.serve.keys import KeyBook

            settings = app.ctx.settings
            settings.ensure_dirs()
            with KeyBook(settings.db_path) as book:
                keys = read_keys(book)
            return GatewayState(keys=keys, port=self.gateway_port, profile=app.ctx.profile.name)
        except Exception as exc:  # noqa: BLE001 - shown in the panel, read again at the next refresh
            from og_tui.core.errors import user_message

            return replace(self.gateway_state, error=user_message(exc).text)

    # --- keys -----------------------------------------------------------------------------
    @work(thread=True, group="gateway-keys", exit_on_error=False, description="gateway key")
    def gateway_key_op(self, op: Callable[[Any], Any], then: Callable[[Any], None] | None = None) -> None:
        """Run ``op(book)`` on the key book (the running gateway's, or the file's), then
        ``then(result)`` on the loop; refresh the state after."""
        app: Any = self

        def run() -> Any:
            host = self.gateway
            if host is not None:
                return op(host.server.gateway.book)
            from og_tui.serve.keys import KeyBook

            with KeyBook(app.ctx.settings.db_path) as book:
                return op(book)

        result = app.run_op("Gateway keys", run, what="Gateway keys")
        if result is not None and then is not None:
            app.call_from_thread(then, result)
        self.gateway_refresh()

    # --- state ----------------------------------------------------------------------------
    def on_gateway_changed(self, event: m.GatewayChanged) -> None:
        app: Any = self
        if event.refresh and event.host is not self.gateway:
            return  # read before a start or stop that has landed since
        before = self.gateway_state
        if event.stopped is not None and event.stopped is self.gateway:
            self.gateway = None
            self._gateway_stop_refresh()
            app.notify(
                "Gateway stopped"
                + ("; the wallet is locked again." if event.stopped.lock_after else ".")
                + f" It served {before.served} request(s).",
                title="Gateway",
            )
        elif event.host is not None and self.gateway is None and not event.refresh:
            self.gateway = event.host
            if self._gateway_timer is None:
                self._gateway_timer = app.set_interval(REFRESH_SECONDS, self.gateway_refresh, name="gateway")
            app.notify(f"OpenAI-compatible API on {event.host.url}", title="Gateway started")
        state = event.state
        if event.refresh and before.busy:
            state = replace(state, busy=before.busy)  # a start or stop is under way: it ends it
        self._gateway_set(state)
        if (state.running and state.served != before.served) or event.stopped is not None:
            app.tx_version += 1  # its payments are in the history: Activity reloads

    def _gateway_set(self, state: GatewayState) -> None:
        app: Any = self
        self.gateway_state = state
        label = f":{state.port}" if state.running else None
        if app.net.gateway != label:
            app.net = replace(app.net, gateway=label)
        app.gateway_version += 1

    def _gateway_stop_refresh(self) -> None:
        if self._gateway_timer is not None:
            self._gateway_timer.stop()
            self._gateway_timer = None

    def on_profile_changed(self, event: m.ProfileChanged) -> None:
        """The gateway pays on the profile it started with: a profile switch stops it."""
        if self.gateway is not None and not self.gateway_state.busy:
            app: Any = self
            app.notify("The profile changed: the gateway stops (start it again on the new profile).", title="Gateway")
            self._gateway_set(replace(self.gateway_state, busy="stopping"))
            self._gateway_stop(self.gateway)

    def gateway_shutdown(self) -> threading.Thread | None:
        """The app is closing: stop the gateway in a thread of its own (not a daemon: the
        process waits for it, up to ~10 s for uvicorn to finish), never on the loop. The
        thread is returned (and kept as ``gateway_closing``)."""
        host, self.gateway = self.gateway, None
        self._gateway_stop_refresh()
        if host is None:
            return None
        if host.lock_after:
            app: Any = self
            app.ctx.forget_signer(host.address)
        self.gateway_closing = threading.Thread(target=host.stop, name="og-gateway-stop")
        self.gateway_closing.start()
        return self.gateway_closing

    @staticmethod
    def gateway_uptime(state: GatewayState) -> str:
        if not state.started:
            return "–"
        secs = int(time.time() - state.started)
        return f"{secs // 3600}h {secs % 3600 // 60:02d}m" if secs >= 3600 else f"{secs // 60}m {secs % 60:02d}s"
