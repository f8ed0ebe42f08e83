"""A probe for event-loop stalls during a Pilot run.

A heartbeat task sleeps ``TICK`` seconds in a loop and records how late it wakes: any
lateness over the threshold is a stall, a stretch in which the app could not draw a
frame or take a key. An interval timer (``SIGALRM``, handled in the loop's own thread,
so it needs no other thread to be scheduled) samples the loop thread's stack while a
heartbeat is overdue, so each stall names what was running: the handler, the import,
Textual's layout.

Each stall is classified (:attr:`Stall.kind`):

- ``cpu``: the loop thread itself computed for at least the threshold (its own CPU time
  during the stall, ``time.thread_time``): work done on the loop.
- ``blocked``: the loop thread sat in one call: most samples (two or more) at the very
  same frame and line, with little CPU used (``time.sleep``, a lock, a socket, a keyring).
- ``load``: neither: the loop was ready to run but was not given the CPU or the
  interpreter lock (other processes on a loaded machine, the app's own worker threads),
  or it waited in ``select``. Reported, not the loop's code.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import NamedTuple

TICK = 0.01
THRESHOLD = 0.1
SAMPLE_EVERY = 0.01

_IDLE_FUNCS = {("selectors.py", "select"), ("selectors.py", "poll"), ("stall_probe.py", "_beat")}


class Frame(NamedTuple):
    filename: str
    lineno: int
    name: str
    owner: str  # the class of ``self`` in that frame ("" for a plain function)
    defined: str  # where the function is defined (``Compositor.render_update``)

    @property
    def qualname(self) -> str:
        return f"{self.owner}.{self.name}" if self.owner else self.name


def _stack(frame) -> list[Frame]:
    """The stack, outermost first, each frame with the class of its ``self``."""
    out = []
    while frame is not None:
        owner = frame.f_locals.get("self") if frame.f_code.co_argcount else None
        out.append(
            Frame(
                frame.f_code.co_filename,
                frame.f_lineno,
                frame.f_code.co_name,
                type(owner).__name__ if owner is not None else "",
                frame.f_code.co_qualname,
            )
        )
        frame = frame.f_back
    out.reverse()
    return out


@dataclass
class Stall:
    started: float  # seconds since the probe started
    duration: float
    samples: list[list[Frame]] = field(default_factory=list)
    loop_cpu: float = 0.0  # CPU seconds the loop thread used during the stall
    process_cpu: float = 0.0  # CPU seconds the whole process used during the stall

    threshold: float = THRESHOLD

    @property
    def kind(self) -> str:
        if self.loop_cpu >= self.threshold:
            return "cpu"
        busy = self.busy_samples()
        sites: dict[tuple, int] = {}
        for s in busy:
            site = (s[-1].filename, s[-1].lineno, len(s))
            sites[site] = sites.get(site, 0) + 1
        top = max(sites.values(), default=0)
        # one call the loop sat in: the same frame and line, sampled again and again
        if top >= 2 and top * 2 >= len(busy) and self.loop_cpu < self.duration / 2:
            return "blocked"
        return "load"

    @property
    def idle(self) -> bool:
        """Not the loop's own doing (see :attr:`kind`)."""
        return self.kind == "load"

    def busy_samples(self) -> list[list[Frame]]:
        return [s for s in self.samples if not _is_idle(s)]

    def app_frames(self) -> list[str]:
        """The og_tui functions on the stack (outermost first) in the sample with most of them."""
        busy = self.busy_samples()
        if not busy:
            return []
        sample = max(busy, key=lambda s: sum("/og_tui/" in f.filename for f in s))
        return [f"{_short(f.filename)}:{f.lineno} {f.name}" for f in sample if "/og_tui/" in f.filename]

    def functions(self) -> set[str]:
        """Every function on any busy sample, by name and as ``Class.name`` with the class
        of its ``self`` (for allow-list matching)."""
        return {n for s in self.busy_samples() for f in s for n in (f.name, f.qualname)}

    def where(self) -> str:
        """What the loop was doing: each distinct place sampled (most sampled first)."""
        busy = self.busy_samples()
        if not busy:
            return "waiting in select" if self.samples else "no sample taken"
        counts: dict[str, int] = {}
        for sample in busy:
            head = _describe(sample)
            counts[head] = counts.get(head, 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])
        return " ;; ".join(f"{head} (x{n})" if n > 1 else head for head, n in ranked[:3])

    def details(self) -> str:
        """Every distinct busy sample, one line each with its count (for a failure message)."""
        counts: dict[str, int] = {}
        for sample in self.busy_samples():
            line = _describe(sample)
            counts[line] = counts.get(line, 0) + 1
        return "\n".join(f"      {line}" + (f" (x{n})" if n > 1 else "") for line, n in counts.items())

    def __str__(self) -> str:
        cpu = f"{self.kind}, loop cpu {self.loop_cpu * 1000:.0f} ms"
        return f"{self.duration * 1000:.0f} ms at +{self.started:.2f}s ({cpu}): {self.where()}"


def _describe(sample: list[Frame]) -> str:
    """A sample in one line: the og_tui functions on it, else Textual's frames below the
    message dispatch; then the innermost frame."""
    inner = sample[-1]
    app = [f"{_short(f.filename)}:{f.lineno} {f.name}" for f in sample if "/og_tui/" in f.filename]
    if app:
        head = " > ".join(app[-3:])
    else:
        names = [f.name for f in sample]
        cuts = [i for i, n in enumerate(names) if n in ("_dispatch_message", "_process_messages_loop", "_invoke")]
        below = sample[cuts[-1] + 1 :] if cuts else sample[-6:]
        head = "textual: " + " > ".join(f.qualname for f in below[:4])
    return f"{head} | {_short(inner.filename)}:{inner.lineno} {inner.name}"


def _short(path: str) -> str:
    for marker in ("/og_tui/", "/site-packages/", "/lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path.rsplit("/", 1)[-1]


def _is_idle(sample: list[Frame]) -> bool:
    if not sample:
        return True
    inner = sample[-1]
    return (inner.filename.rsplit("/", 1)[-1], inner.name) in _IDLE_FUNCS


class StallProbe:
    """``async with StallProbe() as probe:`` around the part of a Pilot run to measure.

    Runs in the main thread (where pytest runs the event loop): the sampler is a signal
    handler, and Python runs those in the main thread only.
    """

    def __init__(self, threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self.stalls: list[Stall] = []
        self._t0 = 0.0
        self._due = 0.0
        self._samples: list[list[Frame]] = []
        self._task: asyncio.Task | None = None
        self._old_handler = None
        self.beats = 0  # heartbeats so far: the loop's turns, for "the loop kept running" waits

    async def __aenter__(self) -> "StallProbe":
        assert threading.current_thread() is threading.main_thread(), "the probe samples the main thread"
        self._t0 = time.monotonic()
        self._due = self._t0 + TICK
        self._old_handler = signal.signal(signal.SIGALRM, self._sample)
        signal.setitimer(signal.ITIMER_REAL, SAMPLE_EVERY, SAMPLE_EVERY)
        self._task = asyncio.get_running_loop().create_task(self._beat())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        signal.signal(signal.SIGALRM, self._old_handler or signal.SIG_DFL)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def _sample(self, signum, frame) -> None:
        """SIGALRM: note the loop thread's stack while the heartbeat is overdue."""
        if frame is None or time.monotonic() - self._due <= self.threshold / 2:
            return
        if len(self._samples) < 50:
            self._samples.append(_stack(frame))

    async def _beat(self) -> None:
        while True:
            self._samples = []
            self._due = time.monotonic() + TICK
            cpu0, proc0 = time.thread_time(), time.process_time()
            await asyncio.sleep(TICK)
            self.beats += 1
            late = time.monotonic() - self._due
            cpu, proc = time.thread_time() - cpu0, time.process_time() - proc0
            if late > self.threshold:
                self.stalls.append(
                    Stall(
                        self._due - self._t0,
                        late,
                        self._samples,
                        loop_cpu=cpu,
                        process_cpu=proc,
                        threshold=self.threshold,
                    )
                )

    def elapsed(self) -> float:
        """Seconds since the probe started (the clock of :attr:`Stall.started`)."""
        return time.monotonic() - self._t0

    # --- results ---------------------------------------------------------------------
    def busy(self) -> list[Stall]:
        """Stalls of the loop's own doing: ``cpu`` or ``blocked``."""
        return [s for s in self.stalls if not s.idle]

    def report(self) -> str:
        if not self.stalls:
            return "no stall over %.0f ms" % (self.threshold * 1000)
        return "\n".join("  " + str(s) for s in self.stalls)


def _allowed(frame: Frame, allowed: dict[str, str]) -> bool:
    return frame.qualname in allowed or frame.defined in allowed


def unexplained(stalls: list[Stall], allowed: dict[str, str], app: tuple[str, ...] = ("/og_tui/",)) -> list[Stall]:
    """The stalls of the app's own doing that the allow-list (``Class.function`` ->
    reason, matched as ``TypeOfSelf.function`` and as where the function is defined) does
    not explain.

    A ``blocked`` stall (the loop waiting in a call) always counts. A ``cpu`` stall counts
    when at least two busy samples show the app's code (a path containing one of ``app``)
    outside the allowed functions and the app's share reaches the threshold: the loop's
    CPU time times the share of such samples. Samples in
    Textual's code alone (drawing, layout, styling, mounting) are Textual's own work: they
    are listed in the report (:meth:`Stall.details`), not charged to the app.
    """

    def counts(stall: Stall) -> bool:
        if stall.kind != "cpu":
            return stall.kind == "blocked"
        busy = stall.busy_samples()
        if not busy:
            return True
        own = sum(1 for s in busy if _is_app(s, app) and not any(_allowed(f, allowed) for f in s))
        return own >= 2 and stall.loop_cpu * own / len(busy) >= stall.threshold

    return [s for s in stalls if counts(s)]


def _is_app(sample: list[Frame], app: tuple[str, ...]) -> bool:
    return any(marker in f.filename for f in sample for marker in app)


def allowed_by(stall: Stall, allowed: dict[str, str]) -> list[str]:
    """The allow-list entries that matched a stall's samples."""
    return sorted({n for s in stall.busy_samples() for f in s for n in (f.qualname, f.defined) if n in allowed})
