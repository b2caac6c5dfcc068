"""How many scan segments a backfill works on at once: pinned (`--workers N`), or found by ramping.

The ramp starts small and doubles the number of segments at work while each step raises the
throughput (items written per second) by at least 5% with no throttling and no rise in write latency
beyond what the added workers explain; at the first step that does not, it goes back to the best
level and settles there. A settled level is probed again every REPROBE_SECONDS (a new round: the
level measured afresh, then doubled), because what an endpoint can take changes while a long
backfill runs: an on-demand table's capacity grows with its traffic, and another load on the same
endpoint comes and goes. Throttling cuts the level to 70% at any time, as botocore's adaptive retry
mode cuts its send rate (botocore/retries/adaptive.py and cubic.py: a multiplicative decrease with
beta 0.7). A segment holds its slot for a whole page (its scan and its writes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

START = 2  # segments at work when the ramp begins
GAIN = 1.05  # a step must raise the throughput by 5% to count as a gain
# Workers that are all busy see a latency of workers / throughput (Little's law), so a step's latency
# is expected to rise by the workers' ratio over the throughput's gain; only a rise past that, by more
# than LATENCY_NOISE (a window on a shared machine varies by that much), says the requests
# themselves got slower: the endpoint or the client is past its best.
LATENCY_NOISE = 1.25
BETA = 0.7  # botocore's cubic multiplicative decrease on throttling
# How long each level is measured, at least, and over how many item writes: one-second windows on this
# 2-core machine disagreed by far more than the 5% a step must gain (at 5 ms, 4 workers measured 718/s
# in a one-second step against 1,154/s over a whole run at a fixed 4, on DynamoDB Local, 2026-12-07).
WINDOW_SECONDS = 2.0
MIN_WRITES = 1000
REPROBE_SECONDS = 15.0  # how long a level stays settled before it is probed again


@dataclass
class Step:
    workers: int
    items_per_second: float
    latency_ms: float
    throttled: int


@dataclass
class Concurrency:
    ceiling: int
    adaptive: bool = True
    limit: int = 0
    steps: list[Step] = field(default_factory=list)  # what each measured level gave, every round
    settled: bool = False
    reason: str = ""  # why the latest round stopped where it did
    rounds: int = 0  # ramp rounds begun: the first, then one per probe of a settled level

    def __post_init__(self) -> None:
        self.limit = min(START, self.ceiling) if self.adaptive else self.ceiling
        self.settled = not self.adaptive
        self.rounds = 1 if self.adaptive else 0
        self._round: list[Step] = []  # the steps of the current round
        self._first_round = 0  # how many steps the first round took, once a second round begins
        self._active = 0
        self._cond = threading.Condition()
        self._window_started: float | None = None  # set by the first write: a scan's start is not throughput
        self._settled_at = 0.0
        self._items = 0
        self._writes = 0
        self._latency = 0.0
        self._requests = 0
        self._throttled = 0

    @contextmanager
    def slot(self, stop: threading.Event) -> Iterator[None]:
        """Work on one page; waits while as many segments as the level allows are at work."""
        with self._cond:
            while self._active >= self.limit and not stop.is_set():
                self._cond.wait(0.2)
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._cond.notify()

    def record(self, writes: int, updated: int, seconds: float, throttled: int) -> None:
        """One write request: how many writes it sent, how many were applied, how long it took."""
        if not self.adaptive:
            return
        with self._cond:
            now = time.monotonic()
            if self._window_started is None:
                self._window_started = now - seconds  # the window opens when the first request was sent
            self._writes += writes
            self._items += updated
            self._latency += seconds
            self._requests += 1
            self._throttled += throttled
            if throttled:
                self._throttle()
            elif self.settled:
                if self.limit < self.ceiling and now - self._settled_at >= REPROBE_SECONDS:
                    self._begin_round()
            elif self._writes >= MIN_WRITES and now - self._window_started >= WINDOW_SECONDS:
                self._step()

    def _reset_window(self) -> None:
        self._window_started = time.monotonic()
        self._items = self._writes = self._requests = self._throttled = 0
        self._latency = 0.0

    def _settle(self, reason: str) -> None:
        self.settled, self.reason = True, reason
        self._settled_at = time.monotonic()

    def _begin_round(self) -> None:
        """Probe a settled level: measure it afresh, then ramp up from it as the first round did."""
        if self.rounds == 1:
            self._first_round = len(self.steps)
        self.rounds += 1
        self.settled, self.reason = False, ""
        self._round = []
        self._reset_window()

    def _throttle(self) -> None:
        lowered = max(1, int(self.limit * BETA))
        if lowered < self.limit:
            self.steps.append(Step(self.limit, 0.0, 0.0, self._throttled))
        self.limit = lowered
        self._settle("throttled: cut to 70%")
        self._reset_window()

    def _step(self) -> None:
        assert self._window_started is not None
        elapsed = time.monotonic() - self._window_started
        step = Step(self.limit, self._items / elapsed, 1000 * self._latency / max(1, self._requests), 0)
        best = max(self._round, key=lambda s: s.items_per_second, default=None)
        self.steps.append(step)
        self._round.append(step)
        if best is None:
            gained = latency_held = True  # the round's first step has nothing to beat
        else:
            gained = step.items_per_second >= best.items_per_second * GAIN
            explained = (best.latency_ms * (step.workers / best.workers)
                         * (best.items_per_second / max(step.items_per_second, 1e-9)))
            latency_held = step.latency_ms <= explained * LATENCY_NOISE
        if gained and latency_held:
            if self.limit >= self.ceiling:
                self._settle(f"reached the ceiling of {self.ceiling}")
            else:
                self.limit = min(self.ceiling, self.limit * 2)
        else:
            assert best is not None
            self.limit = best.workers
            self._settle(f"{step.workers} raised the write latency to {step.latency_ms:.0f} ms" if not latency_held
                         else f"{step.workers} gave no more than {best.workers}")
        self._reset_window()
        self._cond.notify_all()

    def describe(self) -> str:
        if not self.adaptive:
            return f"{self.limit} workers (--workers)"
        if not self.steps:
            return f"{self.limit} workers (where the ramp starts: too few writes to measure a step)"
        first = self.steps if self.rounds == 1 else self.steps[:self._first_round]
        ramp = ", ".join(f"{s.workers}: {s.items_per_second:,.0f}/s" for s in first)
        probes = ""
        if self.rounds > 1:
            latest = ", ".join(f"{s.workers}: {s.items_per_second:,.0f}/s" for s in self._round)
            probes = f"; probed again {self.rounds - 1}x, latest: {latest or 'measuring'}"
        reason = self.reason or ("" if self.settled else "still ramping when the backfill ended")
        return f"{self.limit} workers, ramped ({ramp}{probes}{'; ' + reason if reason else ''})"
