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


# --- Workflows (screens/workflows.py, screens/workflow_dialogs.py) -----------------------
# Posted by a worker to the screen or dialog that owns it; they do not bubble to the app.


class WorkflowsLoaded(Message, bubble=False):
    """Latest result of every listed workflow: ``{address: (outputs or None, error or None)}``,
    outputs as ``{name: flat list of floats}`` (empty when the workflow never ran)."""

    def __init__(self, values: dict[str, tuple[dict[str, list[float]] | None, str | None]], gen: int = 0) -> None:
        super().__init__()
        self.values = values
        self.gen = gen


class WorkflowDetailLoaded(Message, bubble=False):
    """One poll of the selected workflow.

    ``info`` is a core ``WorkflowInfo`` (None on error); ``history`` is ``[(time, outputs)]``
    oldest first (all of it, or the new runs after ``base_count``), or None when the
    result count did not change since the last poll;
    ``error`` is a sentence for the user (the network is down, not a workflow, ...).
    """

    def __init__(
        self,
        address: str,
        info: Any = None,
        history: list[tuple[int | None, dict[str, list[float]]]] | None = None,
        error: str | None = None,
        hint: str | None = None,
        base_count: int | None = None,
    ) -> None:
        super().__init__()
        self.address = address
        self.info = info
        self.history = history
        self.error = error
        self.hint = hint
        self.base_count = base_count  # not None: ``history`` holds only the runs after this many


class WorkflowStatus(Message, bubble=False):
    """Live status of a deploy / run / schedule in flight (``op``), e.g. "sent 0xab…"."""

    def __init__(self, op: str, address: str | None, stage: str, text: str) -> None:
        super().__init__()
        self.op = op
        self.address = address
        self.stage = stage
        self.text = text


class WorkflowResult(Message, bubble=False):
    """A run now finished: its outputs (name -> flat numbers) and the mined transaction."""

    def __init__(
        self,
        address: str,
        outputs: dict[str, list[float]],
        tx_hash: str | None = None,
        block: int | None = None,
        gas_used: int | None = None,
    ) -> None:
        super().__init__()
        self.address = address
        self.outputs = outputs
        self.tx_hash = tx_hash
        self.block = block
        self.gas_used = gas_used


class WorkflowDeployed(Message, bubble=False):
    """A workflow contract was deployed from this wallet (and scheduled when asked)."""

    def __init__(self, address: str, scheduled: bool, tx_hash: str | None = None) -> None:
        super().__init__()
        self.address = address
        self.scheduled = scheduled
        self.tx_hash = tx_hash


class WorkflowScheduled(Message, bubble=False):
    def __init__(self, address: str, frequency: int, end_time: int) -> None:
        super().__init__()
        self.address = address
        self.frequency = frequency
        self.end_time = end_time


class WorkflowFailed(Message, bubble=False):
    """A deploy / run / schedule failed or was stopped. ``spec`` holds what the user typed
    (a create form's values), so the form can come back with nothing lost."""

    def __init__(
        self,
        op: str,
        text: str,
        hint: str | None = None,
        *,
        address: str | None = None,
        field: str | None = None,
        spec: dict[str, Any] | None = None,
        cancelled: bool = False,
    ) -> None:
        super().__init__()
        self.op = op
        self.text = text
        self.hint = hint
        self.address = address
        self.field = field
        self.spec = spec
        self.cancelled = cancelled


class WorkflowHubModels(Message, bubble=False):
    """Models of the hub for the create form: ``[{"name", "version", "description"}]`` or an error."""

    def __init__(self, models: list[dict[str, Any]], error: str | None = None) -> None:
        super().__init__()
        self.models = models
        self.error = error


class WorkflowModelFiles(Message, bubble=False):
    """ONNX files (with their signatures) of one model version, for the create form."""

    def __init__(self, name: str, version: str, files: list[dict[str, Any]], error: str | None = None) -> None:
        super().__init__()
        self.name = name
        self.version = version
        self.files = files
        self.error = error


class WorkflowChecked(Message, bubble=False):
    """A dialog's network check finished: ``error`` None means it passed; ``field`` to fix."""

    def __init__(self, error: str | None = None, field: str | None = None, value: Any = None) -> None:
        super().__init__()
        self.error = error
        self.field = field
        self.value = value


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
