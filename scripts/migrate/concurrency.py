"""How many scan segments a backfill works on at once: pinned (`--workers N`), or found by ramping.

The ramp starts small and doubles the number of segments at work while each step raises the
throughput (items written per second) by at least 5% with no throttling and the write latency no
more than doubled; at the first step that does not, it goes back to the best level and stays
there. Throttling cuts the level to 70% at any time, as botocore's adaptive retry mode cuts its send
rate (botocore/retries/adaptive.py and cubic.py: a multiplicative decrease with beta 0.7).
A segment holds its slot for a whole page (its scan and its writes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

START = 2  # segments at work when the ramp begins
GAIN = 1.05  # a step must raise the throughput by 5% to count as a gain
# ... without the mean write latency rising more than the added workers explain: doubling the
# workers of a busy endpoint doubles its latency (Little's law: throughput = workers / latency), so
# only a rise past that (the throughput fell) says the endpoint is past its best.
LATENCY_RISE = 2.0
BETA = 0.7  # botocore's cubic multiplicative decrease on throttling
WINDOW_SECONDS = 1.0  # how long each level is measured, at least
MIN_WRITES = 500  # ... and over at least this many item writes


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
    steps: list[Step] = field(default_factory=list)  # what each measured level gave
    settled: bool = False
    reason: str = ""  # why the ramp stopped where it did

    def __post_init__(self) -> None:
        self.limit = min(START, self.ceiling) if self.adaptive else self.ceiling
        self.settled = not self.adaptive
        self._active = 0
        self._cond = threading.Condition()
        self._window_started = time.monotonic()
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
            self._writes += writes
            self._items += updated
            self._latency += seconds
            self._requests += 1
            self._throttled += throttled
            if throttled:
                self._throttle()
            elif (not self.settled and self._writes >= MIN_WRITES
                  and time.monotonic() - self._window_started >= WINDOW_SECONDS):
                self._step()

    def _reset_window(self) -> None:
        self._window_started = time.monotonic()
        self._items = self._writes = self._requests = self._throttled = 0
        self._latency = 0.0

    def _throttle(self) -> None:
        lowered = max(1, int(self.limit * BETA))
        if lowered < self.limit:
            self.steps.append(Step(self.limit, 0.0, 0.0, self._throttled))
        self.limit = lowered
        self.settled = True
        self.reason = "throttled: cut to 70%"
        self._reset_window()

    def _step(self) -> None:
        elapsed = time.monotonic() - self._window_started
        step = Step(self.limit, self._items / elapsed, 1000 * self._latency / max(1, self._requests), 0)
        best = max(self.steps, key=lambda s: s.items_per_second, default=None)
        self.steps.append(step)
        if best is None or (step.items_per_second >= best.items_per_second * GAIN
                            and step.latency_ms <= best.latency_ms * LATENCY_RISE):
            if self.limit >= self.ceiling:
                self.settled, self.reason = True, f"reached the ceiling of {self.ceiling}"
            else:
                self.limit = min(self.ceiling, self.limit * 2)
        else:
            risen = step.latency_ms > best.latency_ms * LATENCY_RISE
            self.limit = best.workers
            self.settled = True
            self.reason = (f"{step.workers} raised the write latency to {step.latency_ms:.0f} ms" if risen
                           else f"{step.workers} gave no more than {best.workers}")
        self._reset_window()
        self._cond.notify_all()

    def describe(self) -> str:
        if not self.adaptive:
            return f"{self.limit} workers (--workers)"
        if not self.steps:
            return f"{self.limit} workers (where the ramp starts: too few writes to measure a step)"
        ramp = ", ".join(f"{s.workers}: {s.items_per_second:,.0f}/s" for s in self.steps)
        return f"{self.limit} workers, ramped ({ramp}{'; ' + self.reason if self.reason else ''})"
