"""The write-rate cap: a token bucket shared by every worker thread of one `tables migrate` process.

A backfill at full speed competes with the application's own writes on the same table and raises an
on-demand bill; AWS's bulk tools cap the write rate for the same reason. Each item write (a
conditional statement or UpdateItem, one write unit or more) takes one token; tokens refill at the
cap and the bucket holds at most one batch's worth, so no burst goes much above the cap.
"""

from __future__ import annotations

import threading
import time


class WriteRateLimiter:
    def __init__(self, writes_per_second: float, burst: int, stop: threading.Event) -> None:
        if writes_per_second <= 0:
            raise ValueError("the write cap must be positive")
        self.rate = writes_per_second
        self.burst = max(1, burst)
        self.stop = stop
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._refilled_at = time.monotonic()

    def take(self, writes: int) -> bool:
        """Wait until `writes` may be sent; False when the run is stopping instead (send nothing).

        The bucket may go into debt by a whole batch: a batch larger than the bucket still goes, and
        whoever asks next waits for the debt to be repaid. Waits are on the stop event, so Ctrl-C
        is never held up by the cap.
        """
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._refilled_at) * self.rate)
            self._refilled_at = now
            self._tokens -= writes
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        return not (wait and self.stop.wait(wait))
