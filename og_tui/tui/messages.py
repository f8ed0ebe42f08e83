"""The app-wide message bus: devnet start-up, chain status and balances, wallets,
transactions submitted and confirmed, operations started / ended / failed, profile
changes, payments. The app and every screen may post and handle these.

Messages that belong to one screen, dialog or widget are nested on the class that posts
them (``ChatScreen.Chunk``, ``InferenceScreen.Finished``, ``ConversationList.Opened``, ...),
as Textual's own widgets do. Workers compute and post; handlers own all widget state.
A worker never touches a widget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


class DevnetProgress(Message):
    """The local devnet is starting (elapsed seconds, a short status line)."""

    def __init__(self, elapsed: float, text: str) -> None:
        super().__init__()
        self.elapsed = elapsed
        self.text = text


class DevnetFailed(Message):
    """The local devnet could not be started or reused (``in_use``: another program holds the port)."""

    def __init__(self, text: str, hint: str | None = None, in_use: bool = False) -> None:
        super().__init__()
        self.text = text
        self.hint = hint
        self.in_use = in_use


class DevnetStopped(Message):
    """The app stopped the devnet it had started (exit code of the process)."""

    def __init__(self, code: int | None) -> None:
        super().__init__()
        self.code = code


class DevnetReady(Message):
    def __init__(self, url: str, started: bool) -> None:
        super().__init__()
        self.url = url
        self.started = started


@dataclass
class Balances:
    native_wei: int | None = None
    token_units: int | None = None
    opg_units: int | None = None  # a profile paying x402 v2 (or auto): its OPG


class ChainStatus(Message):
    """Periodic poll result: connected or not, block height, balances of the active wallet."""

    def __init__(
        self,
        connected: bool,
        block: int | None = None,
        balances: Balances | None = None,
        error: str | None = None,
    ) -> None:
        super().__init__()
        self.connected = connected
        self.block = block
        self.balances = balances
        self.error = error


class WalletsChanged(Message):
    """The wallet list or the active wallet changed."""


class WalletUnlocked(Message):
    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address


class FaucetFunded(Message):
    def __init__(self, address: str, result: dict[str, Any]) -> None:
        super().__init__()
        self.address = address
        self.result = result


class TxSubmitted(Message):
    def __init__(self, tx_hash: str, kind: str, summary: str) -> None:
        super().__init__()
        self.tx_hash = tx_hash
        self.kind = kind
        self.summary = summary


class PaymentsSettled(Message):
    """Payments whose settlement became known (settled, failed, not charged) in the
    background; ``statuses`` counts them by status."""

    def __init__(self, statuses: dict[str, int]) -> None:
        super().__init__()
        self.statuses = statuses


class TxConfirmed(Message):
    def __init__(self, tx_hash: str, kind: str, status: str, gas_used: int | None, block: int | None) -> None:
        super().__init__()
        self.tx_hash = tx_hash
        self.kind = kind
        self.status = status
        self.gas_used = gas_used
        self.block = block


class OperationStarted(Message):
    def __init__(self, op_id: str, label: str) -> None:
        super().__init__()
        self.op_id = op_id
        self.label = label


class OperationEnded(Message):
    def __init__(self, op_id: str) -> None:
        super().__init__()
        self.op_id = op_id


class OperationFailed(Message):
    """A worker failed; ``text`` is a sentence the user can act on (never a key)."""

    def __init__(self, what: str, text: str, hint: str | None = None) -> None:
        super().__init__()
        self.what = what
        self.text = text
        self.hint = hint


class ProfileChanged(Message):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class ActiveWallet(Message):
    """The active wallet as the wallet index says (None: there is none)."""

    def __init__(self, address: str | None, name: str | None) -> None:
        super().__init__()
        self.address = address
        self.name = name


class ProfileLoaded(Message):
    """The profile switch worker read ``name``'s settings (``warning``: its choice was not saved)."""

    def __init__(self, name: str, settings: Any, warning: str | None = None) -> None:
        super().__init__()
        self.name = name
        self.settings = settings
        self.warning = warning


@dataclass
class NetState:
    """What the status bar shows; replaced (not mutated) on every change."""

    profile: str = "local"
    is_devnet: bool = True
    connected: bool | None = None
    starting: str | None = None
    down: str | None = None  # why there is no connection (port taken, devnet exited, stopped, ...)
    address: str | None = None
    wallet_name: str | None = None
    native_wei: int | None = None
    token_units: int | None = None
    opg_units: int | None = None  # a profile paying x402 v2 (or auto): its OPG balance
    block: int | None = None
    ops: tuple[str, ...] = field(default_factory=tuple)
    gateway: str | None = None  # the in-app gateway's port (":8746") while it runs


# --- payments (chat replies, agent tools; shown in the status bar and the activity) ------------


class PaymentMade(Message):
    """An x402 payment went through (amount in atomic token units; hash: tx or processing hash)."""

    def __init__(
        self, amount: int, payee: str | None, mode: str | None, hash: str | None, model: str | None = None
    ) -> None:  # noqa: A002
        super().__init__()
        self.amount = amount
        self.payee = payee
        self.mode = mode
        self.hash = hash
        self.model = model


# --- the in-app gateway (og_tui.tui.gateway_control) -------------------------------------------


class GatewayChanged(Message):
    """The gateway's state as a worker read it. ``host``: the running GatewayHost it was read
    from (None: stopped); ``refresh``: a periodic read (dropped when a start or stop landed
    since); ``stopped``: the host a stop just stopped."""

    def __init__(self, state: Any, host: Any, *, refresh: bool = False, stopped: Any = None) -> None:
        super().__init__()
        self.state = state
        self.host = host
        self.refresh = refresh
        self.stopped = stopped
