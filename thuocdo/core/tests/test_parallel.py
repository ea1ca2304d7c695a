"""The worker processes of long computations (core.parallel): results in the order of the
parts whatever the number of workers, a worker's error raised in the caller, and the work
kept in the calling process whenever forked workers could not see its data."""

from __future__ import annotations

import gc
import os

import pytest

from thuocdo.core import parallel


def _square_and_pid(part: int) -> tuple[int, int]:
    return part * part, os.getpid()


def _fail_on_three(part: int) -> int:
    if part == 3:
        raise ValueError(f"part {part} is broken")
    return part


@pytest.fixture
def forking(monkeypatch):
    """As on a server's database: forked workers would see the data."""
    monkeypatch.setattr(parallel, "can_fork", lambda: True)


def test_workers_return_results_in_the_order_of_the_parts(forking):
    results = parallel.run_parts(_square_and_pid, range(12), workers=3)
    assert [value for value, _pid in results] == [n * n for n in range(12)]
    pids = {pid for _value, pid in results}
    assert os.getpid() not in pids  # computed in the workers
    assert 1 <= len(pids) <= 3


def test_a_workers_error_is_raised_in_the_caller(forking):
    with pytest.raises(ValueError, match="part 3 is broken"):
        parallel.run_parts(_fail_on_three, range(6), workers=2)


def test_parts_in_order_gives_each_result_while_later_parts_are_computed(forking):
    """Workers: the results in order, one by one. In this process: each part computed only
    when its turn comes, so a caller can store one and let it go before the next."""
    with parallel.parts_in_order(_square_and_pid, range(8), workers=2) as results:
        first = next(results)
        assert first[0] == 0 and first[1] != os.getpid()
        assert [value for value, _pid in results] == [n * n for n in range(1, 8)]
    computed: list[int] = []

    def job(part: int) -> int:
        computed.append(part)
        return part

    with parallel.parts_in_order(job, range(5), workers=1) as results:
        assert next(results) == 0
        assert computed == [0]
        assert list(results) == [1, 2, 3, 4]
    assert computed == [0, 1, 2, 3, 4]


def _collector_running(_part: int) -> bool:
    return gc.isenabled()


def test_each_part_runs_with_the_cycle_collector_paused(forking):
    assert gc.isenabled()
    for workers in (1, 2):
        assert parallel.run_parts(_collector_running, range(4), workers=workers) == [False] * 4
        assert gc.isenabled()
    with pytest.raises(ValueError):
        parallel.run_parts(_fail_on_three, range(6), workers=1)
    assert gc.isenabled()  # restored after an error too


def test_a_paused_collector_stays_paused():
    gc.disable()
    try:
        with parallel.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_one_worker_or_one_part_stays_in_this_process(forking):
    for parts, workers in ((range(5), 1), (range(1), 4)):
        results = parallel.run_parts(_square_and_pid, parts, workers=workers)
        assert {pid for _value, pid in results} == {os.getpid()}


def test_the_count_follows_the_setting_and_the_cores(forking, settings, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    settings.THUOCDO_WORKERS = 0
    assert parallel.worker_count(20) == 8  # one per core
    assert parallel.worker_count(3) == 3  # never more than the parts
    settings.THUOCDO_WORKERS = 2
    assert parallel.worker_count(20) == 2
    assert parallel.worker_count(20, requested=5) == 5  # the caller's choice wins
    assert parallel.worker_count(0) == 1


@pytest.mark.django_db
def test_no_workers_while_a_transaction_is_open_or_the_database_is_in_memory():
    """A test runs in a transaction (and on SQLite in memory): new connections would not
    see its rows, so the work stays here."""
    assert parallel.can_fork() is False
    assert parallel.worker_count(10, requested=4) == 1
    results = parallel.run_parts(_square_and_pid, range(4), workers=4)
    assert {pid for _value, pid in results} == {os.getpid()}
