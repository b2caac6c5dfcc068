"""The adaptive worker ramp of a backfill, driven with hand-made observations on a clock the test moves.

The oracle is the rule docs/migrations.md ("Tuning") states, not the code: the ramp starts at 2 workers
and doubles while each measured step raises the items written per second by at least 5%, with no
throttling and a mean write latency no more than doubled; at the first step that does not, it goes back
to the best level and stays there, up to the number of segments. Throttling cuts the level to 70% at
any time (botocore/retries/adaptive.py and cubic.py: a multiplicative decrease with beta 0.7).
`--workers N` pins it to N. Every expected level and figure below is worked out by hand beside it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from scripts.local_endpoint import Endpoint
from scripts.migrate import concurrency
from scripts.migrate.concurrency import Concurrency
from tests.test_migrations import cli, fresh_dev_tables, load_products

BATCH = 25  # item writes per request, as BatchExecuteStatement sends them


class Clock:
    """time.monotonic for the ramp: it moves only when the test says a second of work has passed."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(concurrency, "time", moved)
    return moved


def measure(level: Concurrency, clock: Clock, items_per_second: int, latency_ms: float) -> None:
    """One second at the current level: items_per_second item writes, all applied, in requests of 25
    that each took latency_ms. The second ends with the last request, so the whole second is one step."""
    assert items_per_second % BATCH == 0 and items_per_second >= 500, "a step needs 500 writes and a second"
    requests = items_per_second // BATCH
    for _ in range(requests - 1):
        level.record(BATCH, BATCH, latency_ms / 1000, 0)
    clock.now += 1.0
    level.record(BATCH, BATCH, latency_ms / 1000, 0)


def throttle(level: Concurrency) -> None:
    """A request of 25 writes of which DynamoDB throttled 3 (applied 22)."""
    level.record(BATCH, 22, 0.010, 3)


def test_the_ramp_doubles_while_throughput_rises_and_goes_back_to_the_best_level(clock: Clock) -> None:
    level = Concurrency(ceiling=16)
    assert (level.limit, level.settled) == (2, False)  # it starts at 2
    measure(level, clock, 600, 10)
    assert level.limit == 4  # the first step has nothing to beat
    measure(level, clock, 1000, 12)  # +67% over 600, latency 1.2x: a gain
    assert level.limit == 8
    measure(level, clock, 1300, 18)  # +30% over 1,000, latency 1.5x: a gain
    assert level.limit == 16
    measure(level, clock, 1300, 30)  # +0% over 1,300: no gain, back to 8 and stay
    assert (level.limit, level.settled) == (8, True)
    assert level.reason == "16 gave no more than 8"
    assert [(s.workers, s.items_per_second, round(s.latency_ms, 6)) for s in level.steps] == [
        (2, 600, 10), (4, 1000, 12), (8, 1300, 18), (16, 1300, 30)]
    assert level.describe() == ("8 workers, ramped (2: 600/s, 4: 1,000/s, 8: 1,300/s, 16: 1,300/s; "
                                "16 gave no more than 8)")
    # Settled: a later good second changes nothing.
    measure(level, clock, 2000, 10)
    assert level.limit == 8 and len(level.steps) == 4


def test_exactly_5_percent_is_a_gain_and_just_under_is_not(clock: Clock) -> None:
    level = Concurrency(ceiling=16)
    measure(level, clock, 2000, 10)
    measure(level, clock, 2100, 10)  # 2,100 = 2,000 x 1.05 exactly: a gain
    assert level.limit == 8
    measure(level, clock, 2200, 10)  # 2,200 / 2,100 = 1.0476: under 5%, back to 4
    assert (level.limit, level.settled) == (4, True)
    assert level.reason == "8 gave no more than 4"


def test_latency_doubled_is_allowed_and_more_than_doubled_stops_the_ramp(clock: Clock) -> None:
    level = Concurrency(ceiling=16)
    # Latencies of 1/128 s and 1/64 s: binary fractions, so their means are exact and "exactly
    # doubled" is exactly doubled (10 ms and 20 ms would average to 10.000000000000002 and 20.00000000000001).
    measure(level, clock, 1000, 7.8125)
    measure(level, clock, 1200, 15.625)  # +20%, latency exactly 2 x 7.8125 ms: still a gain
    assert level.limit == 8
    measure(level, clock, 1400, 31.5)  # +16.7%, but 31.5 ms > 2 x 15.625 ms: back to 4
    assert (level.limit, level.settled) == (4, True)
    assert level.reason == "8 raised the write latency to 32 ms"


def test_the_ramp_stops_at_the_number_of_segments(clock: Clock) -> None:
    level = Concurrency(ceiling=6)
    measure(level, clock, 600, 10)
    measure(level, clock, 1000, 10)
    assert level.limit == 6  # 4 doubled is 8, more than the 6 segments
    measure(level, clock, 1200, 10)  # +20% at 6: a gain, and nowhere further to go
    assert (level.limit, level.settled) == (6, True)
    assert level.reason == "reached the ceiling of 6"
    # A single segment: nothing to ramp.
    assert Concurrency(ceiling=1).limit == 1


def test_no_step_is_taken_before_a_second_and_500_writes(clock: Clock) -> None:
    level = Concurrency(ceiling=16)
    for _ in range(19):  # 475 writes over 5 seconds: too few writes
        clock.now += 5 / 19
        level.record(BATCH, BATCH, 0.010, 0)
    assert (level.limit, level.steps) == (2, [])
    assert level.describe() == "2 workers (where the ramp starts: too few writes to measure a step)"
    level = Concurrency(ceiling=16)
    for _ in range(40):  # 1,000 writes, all within the same instant: under a second
        level.record(BATCH, BATCH, 0.010, 0)
    assert (level.limit, level.steps) == (2, [])


def test_throttling_cuts_the_level_to_70_percent_at_any_time(clock: Clock) -> None:
    level = Concurrency(ceiling=10)
    measure(level, clock, 600, 10)
    measure(level, clock, 1000, 10)
    measure(level, clock, 1300, 10)
    assert (level.limit, level.settled) == (10, False)  # 8 doubled is 16: held to the 10 segments
    throttle(level)  # mid-ramp: 70% of 10 is 7
    assert (level.limit, level.settled) == (7, True)
    assert level.reason == "throttled: cut to 70%"
    measure(level, clock, 2000, 10)  # a throttled ramp does not climb again
    assert level.limit == 7
    throttle(level)  # after settling too: 70% of 7 is 4.9, and a level is whole workers, never above 70%
    assert level.limit == 4
    assert level.describe().startswith("4 workers, ramped (2: 600/s, 4: 1,000/s, 8: 1,300/s")


def test_throttling_never_leaves_fewer_than_one_worker(clock: Clock) -> None:
    level = Concurrency(ceiling=16)
    throttle(level)  # before any step: 70% of 2 is 1.4, so 1
    assert (level.limit, level.settled) == (1, True)
    throttle(level)  # 70% of 1 is 0.7: one worker stays at work
    assert level.limit == 1


def test_workers_pinned_do_not_move_for_throughput_or_throttling(clock: Clock) -> None:
    level = Concurrency(ceiling=6, adaptive=False)
    assert (level.limit, level.settled) == (6, True)
    measure(level, clock, 600, 10)
    measure(level, clock, 1300, 10)
    throttle(level)
    assert (level.limit, level.steps) == (6, [])
    assert level.describe() == "6 workers (--workers)"


def test_migrate_up_with_workers_pins_the_level_and_reports_it(moto: Endpoint, moto_client: Any) -> None:
    fresh_dev_tables(moto_client)
    load_products(moto, 100)
    code, out, err = cli(moto, "migrate", "up", "--workers", "3", "--json")
    assert code == 0, err
    [run] = json.loads(out)
    assert run["workers"] == [{"chosen": 3, "adaptive": False, "reason": "", "ramp": []}]
