"""The adaptive worker ramp of a backfill, driven with hand-made observations on a clock the test moves.

The oracle is the rule docs/migrations.md ("Tuning") states, not the code: the ramp starts at 2 workers
and doubles while each measured step (two seconds and 1,000 writes at least, the first opening with the
first write) raises the items written per second by at least 5%, with no
throttling and a mean write latency no more than 1.25x what the added workers explain (Little's law:
busy workers see a latency of workers / throughput, so doubling them at equal throughput doubles it);
at the first step that does not, it goes back to the best level and settles, up to the number of
segments. A level settled for 15 seconds is probed again: measured afresh, then doubled, by the same
rule. Throttling cuts the level to 70% at any time (botocore/retries/adaptive.py and cubic.py: a
multiplicative decrease with beta 0.7). `--workers N` pins it to N. Every expected level and figure
below is worked out by hand beside it."""

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


def measure(level: Concurrency, clock: Clock, items_per_second: float, latency_ms: float) -> None:
    """Two seconds at the current level: 2 x items_per_second item writes, all applied, in requests of 25
    that each took latency_ms. The first request is sent as the two seconds begin and answered latency_ms
    later; they end with the last answer, so the whole two seconds are one step."""
    writes = 2 * items_per_second
    assert writes % BATCH == 0 and writes >= 1000, "a step needs 1,000 writes and two seconds"
    requests = int(writes) // BATCH
    start = clock.now
    clock.now = start + latency_ms / 1000
    for _ in range(requests - 1):
        level.record(BATCH, BATCH, latency_ms / 1000, 0)
    clock.now = start + 2.0
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
    assert [(s.workers, round(s.items_per_second, 6), round(s.latency_ms, 6)) for s in level.steps] == [
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


def test_latency_the_added_workers_explain_is_allowed_and_more_stops_the_ramp(clock: Clock) -> None:
    level = Concurrency(ceiling=32)
    # Latencies are binary fractions of a second (1/128 s = 7.8125 ms, ...), so their means are exact.
    measure(level, clock, 1000, 7.8125)
    # 2 -> 4 workers at +25%: explained latency 7.8125 x 2 / 1.25 = 12.5 ms, allowed up to x 1.25 = 15.625 ms.
    measure(level, clock, 1250, 15.625)  # exactly the allowance: still a gain
    assert level.limit == 8
    # 4 -> 8 at +30% (1,625/s):
    # explained 15.625 x 2 x 1,250 / 1,625 = 24.038 ms, allowed 30.048 ms.
    measure(level, clock, 1625, 31.25)  # 31.25 ms > 30.048 ms: back to 4, though the throughput rose 30%
    assert (level.limit, level.settled) == (4, True)
    assert level.reason == "8 raised the write latency to 31 ms"


def test_latency_doubled_at_equal_throughput_is_what_doubled_workers_explain(clock: Clock) -> None:
    level = Concurrency(ceiling=32)
    measure(level, clock, 1000, 7.8125)
    # 2 -> 4 at +10% with the latency doubled: explained 7.8125 x 2 / 1.1 = 14.2 ms, allowed 17.76 ms.
    measure(level, clock, 1100, 15.625)
    assert level.limit == 8  # the rule of the first ramp (at most doubled) would allow it too
    # 4 -> 8 at +5% with the latency 2.25x: explained 15.625 x 2 / 1.05 = 29.76 ms, allowed 37.2 ms.
    measure(level, clock, 1150, 35.15625)  # 1,150 / 1,100 = 1.045: under 5%, so no gain either
    assert (level.limit, level.reason) == (4, "8 gave no more than 4")


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


def test_no_step_is_taken_before_two_seconds_and_1000_writes(clock: Clock) -> None:
    level = Concurrency(ceiling=16)
    for _ in range(39):  # 975 writes over 10 seconds: too few writes
        clock.now += 10 / 39
        level.record(BATCH, BATCH, 0.010, 0)
    assert (level.limit, level.steps) == (2, [])
    assert level.describe() == "2 workers (where the ramp starts: too few writes to measure a step)"
    level = Concurrency(ceiling=16)
    start = clock.now
    for _ in range(80):  # 2,000 writes answered over 1.5 s, the first sent 10 ms before its answer
        level.record(BATCH, BATCH, 0.010, 0)
        clock.now += 1.5 / 80
    assert (level.limit, level.steps) == (2, [])  # 1.49 s since the first was sent: under two seconds
    clock.now = start + 1.98  # 1.99 s since the first was sent: still under two seconds
    level.record(BATCH, BATCH, 0.010, 0)
    assert (level.limit, level.steps) == (2, [])
    clock.now = start + 1.99  # the next answer comes two seconds after the first request was sent
    level.record(BATCH, BATCH, 0.010, 0)
    assert level.limit == 4 and [s.items_per_second for s in level.steps] == [pytest.approx(2050 / 2.0)]


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


def test_a_settled_level_is_probed_again_after_15_seconds_and_kept_when_more_gives_more(clock: Clock) -> None:
    level = Concurrency(ceiling=16)
    measure(level, clock, 600, 10)
    measure(level, clock, 1000, 10)
    measure(level, clock, 1000, 10)  # 8 gave no more than 4
    assert (level.limit, level.settled, level.rounds) == (4, True, 1)
    for _ in range(7):  # 14 more seconds settled: no probe yet
        measure(level, clock, 1000, 10)
    assert (level.limit, level.settled, level.rounds) == (4, True, 1)
    measure(level, clock, 1000, 10)  # its last request is answered 16 s after settling: a second round begins
    assert (level.limit, level.settled, level.rounds) == (4, False, 2)
    measure(level, clock, 1500, 10)  # 4 measured afresh: the round's first step has nothing to beat
    assert level.limit == 8
    measure(level, clock, 2000, 10)  # 8 now gives +33% (the table's capacity grew): kept, and on to 16
    assert (level.limit, level.settled) == (16, False)
    measure(level, clock, 2000, 10)  # 16 gives no more than 8
    assert (level.limit, level.settled, level.reason) == (8, True, "16 gave no more than 8")
    assert level.describe() == ("8 workers, ramped (2: 600/s, 4: 1,000/s, 8: 1,000/s; probed again 1x, "
                                "latest: 4: 1,500/s, 8: 2,000/s, 16: 2,000/s; 16 gave no more than 8)")


def test_a_probe_that_gives_no_more_goes_back_and_a_level_at_the_ceiling_is_not_probed(clock: Clock) -> None:
    level = Concurrency(ceiling=4)
    measure(level, clock, 600, 10)
    measure(level, clock, 1000, 10)  # +67% at 4, the ceiling: settled there
    assert (level.limit, level.reason) == (4, "reached the ceiling of 4")
    for _ in range(20):  # 40 s
        measure(level, clock, 1000, 10)
    assert (level.rounds, len(level.steps)) == (1, 2)  # nowhere further to go: never probed
    level = Concurrency(ceiling=16)
    measure(level, clock, 1000, 10)
    measure(level, clock, 1000, 10)  # 4 gave no more than 2
    for _ in range(8):  # 16 s
        measure(level, clock, 1000, 10)
    assert (level.limit, level.rounds) == (2, 2)
    measure(level, clock, 1000, 10)  # 2 afresh
    measure(level, clock, 1025, 10)  # 4: +2.5%, no gain: back to 2
    assert (level.limit, level.settled, level.reason) == (2, True, "4 gave no more than 2")


def test_the_first_window_opens_with_the_first_write_not_with_the_scan_before_it(clock: Clock) -> None:
    level = Concurrency(ceiling=16)
    clock.now += 30.0  # a first page that took 30 s to scan: no writes, so no throughput measured
    measure(level, clock, 600, 10)
    assert [round(s.items_per_second, 6) for s in level.steps] == [600]
