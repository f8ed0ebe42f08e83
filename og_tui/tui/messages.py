"""The app's message bus.

Workers compute and post one of these; ``@on`` handlers in screens and the app own
all widget state. A worker never touches a widget.
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


class DevnetReady(Message):
    def __init__(self, url: str, started: bool) -> None:
        super().__init__()
        self.url = url
        self.started = started


@dataclass
class Balances:
    native_wei: int | None = None
    token_units: int | None = None


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


class UnlockFailed(Message):
    def __init__(self, address: str, reason: str) -> None:
        super().__init__()
        self.address = address
        self.reason = reason


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


@dataclass
class NetState:
    """What the status bar shows; replaced (not mutated) on every change."""

    profile: str = "local"
    is_devnet: bool = True
    connected: bool | None = None
    starting: str | None = None
    address: str | None = None
    wallet_name: str | None = None
    native_wei: int | None = None
    token_units: int | None = None
    block: int | None = None
    ops: tuple[str, ...] = field(default_factory=tuple)


# --- Model Hub (screens/hub.py, screens/hub_dialogs.py) ---------------------------------
# Posted by a worker to the screen or dialog that owns it; they do not bubble to the app.


class HubSignedIn(Message, bubble=False):
    """A Model Hub session is open for ``profile`` (never carries the password or tokens)."""

    def __init__(self, profile: str, email: str, created: bool = False) -> None:
        super().__init__()
        self.profile = profile
        self.email = email
        self.created = created


class HubAuthFailed(Message, bubble=False):
    """Signing in (or resuming a stored sign-in) failed; ``text`` says why."""

    def __init__(self, text: str, hint: str | None = None) -> None:
        super().__init__()
        self.text = text
        self.hint = hint


class ModelsLoaded(Message, bubble=False):
    """One page of the model listing. ``gen`` ties it to the request that asked for it."""

    def __init__(
        self,
        models: list[dict[str, Any]],
        *,
        page: int = 1,
        total: int | None = None,
        done: bool = True,
        gen: int = 0,
    ) -> None:
        super().__init__()
        self.models = models
        self.page = page
        self.total = total
        self.done = done
        self.gen = gen


class ModelDetailLoaded(Message, bubble=False):
    """Description, author and versions (with their files and signatures) of one model."""

    def __init__(self, name: str, detail: dict[str, Any]) -> None:
        super().__init__()
        self.name = name
        self.detail = detail


class HubRequestFailed(Message, bubble=False):
    """A hub read failed (``kind``: "models" or "detail"); ``text`` is for the user."""

    def __init__(self, kind: str, text: str, hint: str | None = None, gen: int = 0, name: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.text = text
        self.hint = hint
        self.gen = gen
        self.name = name


class HubModelCreated(Message, bubble=False):
    def __init__(self, name: str, version: str) -> None:
        super().__init__()
        self.name = name
        self.version = version


class HubVersionCreated(Message, bubble=False):
    def __init__(self, name: str, version: str) -> None:
        super().__init__()
        self.name = name
        self.version = version


class UploadProgress(Message, bubble=False):
    def __init__(self, name: str, version: str, filename: str, sent: int, total: int, elapsed: float) -> None:
        super().__init__()
        self.name = name
        self.version = version
        self.filename = filename
        self.sent = sent
        self.total = total
        self.elapsed = elapsed


class UploadFinished(Message, bubble=False):
    def __init__(self, name: str, version: str, filename: str, cid: str, size: int, elapsed: float) -> None:
        super().__init__()
        self.name = name
        self.version = version
        self.filename = filename
        self.cid = cid
        self.size = size
        self.elapsed = elapsed


class DownloadProgress(Message, bubble=False):
    def __init__(self, cid: str, filename: str, received: int, total: int, elapsed: float) -> None:
        super().__init__()
        self.cid = cid
        self.filename = filename
        self.received = received
        self.total = total
        self.elapsed = elapsed


class DownloadFinished(Message, bubble=False):
    def __init__(self, cid: str, path: str, size: int, elapsed: float) -> None:
        super().__init__()
        self.cid = cid
        self.path = path
        self.size = size
        self.elapsed = elapsed


class TransferFailed(Message, bubble=False):
    """An upload or download ended without a result: stopped by the user or an error."""

    def __init__(self, kind: str, text: str, hint: str | None = None, cancelled: bool = False) -> None:
        super().__init__()
        self.kind = kind  # "upload" | "download"
        self.text = text
        self.hint = hint
        self.cancelled = cancelled


# --- payments (chat replies, agent tools; shown in the status bar and the activity) ------------


class PaymentMade(Message):
    """An x402 payment went through (amount in atomic token units; hash: tx or processing hash)."""

    def __init__(self, amount: int, payee: str | None, mode: str | None, hash: str | None, model: str | None = None) -> None:  # noqa: A002
        super().__init__()
        self.amount = amount
        self.payee = payee
        self.mode = mode
        self.hash = hash
        self.model = model
