"""Ledger benchmark: append rate with concurrent writer processes, and verification rate, on PostgreSQL.

Command line (creates and migrates a scratch database; never point it at a real one):

    .venv/bin/python benchmarks/ledger.py --entries 100000 --writers 4 \
        --database postgres://postgres@127.0.0.1:5432/govdata_bench_ledger

Prints the append rate (entries/s, all writers together), confirms the chain is intact and linear,
then the rate of a full verification (chain + checkpoints) as `verify_ledger` runs it (two
processes for a long ledger), the best and the median of five runs.

With --reuse it only verifies the ledger an earlier run left in that database (no appends), which
is how to repeat the verification figures quickly.

Other benchmarks import `measure_append` and `measure_verify`: they work on any migrated database
(they append real, valid entries) and run their work in fresh processes with Django set up for the
given database, so the caller's own Django configuration does not matter.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import queue
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_ACTION = "benchmark.append"
# Spawned, not forked: a forked child would share the parent's open database socket.
_MP = multiprocessing.get_context("spawn")


def _setup_django(database_url: str) -> None:
    """Configure Django in a fresh worker process for `database_url`, as production runs it."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "govdata.settings"
    # DEBUG would record every query in memory and time it: production runs without it.
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key")
    import django

    django.setup()


def _benchmark_subject():
    """The object the benchmark entries are about: the first department, created if there is none."""
    from catalog import services
    from catalog.models import Department

    subject = Department.objects.order_by("pk").first()
    if subject is None:
        subject = services.department_save(department=Department(code="BENCH", name="基准测试部门"), actor=None)
    return subject


def _ledger_head() -> tuple[int, int]:
    """(highest seq, number of entries)."""
    from django.db.models import Count, Max

    from sharing.models import LedgerEntry

    head = LedgerEntry.objects.aggregate(top=Max("seq"), n=Count("seq"))
    return head["top"] or 0, head["n"]


def _writer(database_url: str, number: int, count: int, ready, start, finished, results) -> None:
    """One writer process: `count` appends, each in its own committed transaction.

    Writer 0 also prepares (the subject, the ledger head before) and checks the chain afterwards,
    while the others wait at the barriers, so that only the appends themselves are timed.
    """
    try:
        _setup_django(database_url)
        from django.db import connection, transaction

        from sharing import ledger

        if number == 0:
            _benchmark_subject()
            before = _ledger_head()
        ready.wait()
        subject = _benchmark_subject()
        connection.ensure_connection()
        start.wait()
        latencies = []
        for i in range(count):
            began = time.perf_counter()
            with transaction.atomic():
                ledger.append(action=BENCH_ACTION, obj=subject, actor=None, reason=f"writer {number} #{i}")
            latencies.append(time.perf_counter() - began)
        results.put(("latencies", latencies))
        finished.wait()
        if number == 0:
            after = _ledger_head()
            verification = ledger.verify()
            results.put(("check", before, after, verification.ok, verification.checked))
    except BaseException as error:  # report it to the parent instead of leaving it waiting
        for barrier in (ready, start, finished):
            barrier.abort()
        results.put(("error", f"writer {number}", f"{type(error).__name__}: {error}"))
        sys.exit(1)


def measure_append(database_url: str, entries: int, writers: int = 4) -> dict:
    """Append `entries` entries with `writers` concurrent processes, each its own connection.

    Each append is its own committed transaction. Returns the rate over all writers (entries/s),
    the median and p95 latency of one append (ms), and whether the chain is intact afterwards:
    verify() holds, the entries are numbered 1..N without gaps, and exactly `entries` were added.
    """
    shares = [entries // writers + (1 if n < entries % writers else 0) for n in range(writers)]
    barriers = ready, start, finished = [_MP.Barrier(writers + 1) for _ in range(3)]
    results = _MP.Queue()
    processes = [
        _MP.Process(target=_writer, args=(database_url, n, shares[n], ready, start, finished, results))
        for n in range(writers)
    ]
    for process in processes:
        process.start()
    latencies: list[float] = []
    try:
        ready.wait()
        start.wait()
        began = time.perf_counter()
        for _ in range(writers):
            latencies.extend(_receive(results, processes)[1])
        seconds = time.perf_counter() - began
        finished.wait()
        _, (top_before, count_before), (top_after, count_after), chain_ok, checked = _receive(results, processes)
    except threading.BrokenBarrierError:
        raise RuntimeError(_root_cause(results, processes)) from None
    except BaseException:
        for barrier in barriers:
            barrier.abort()
        raise
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    intact = (
        chain_ok
        and checked == count_after == top_after
        and count_before == top_before
        and count_after - count_before == entries
    )
    return {
        "rate": entries / seconds,
        "median_ms": statistics.median(latencies) * 1000,
        "p95_ms": statistics.quantiles(latencies, n=20)[-1] * 1000,
        "intact": intact,
        "entries": entries,
        "seconds": seconds,
        "writers": writers,
    }


def _root_cause(results, processes) -> str:
    """Why the workers broke their barriers: the first error that is not the broken barrier."""
    for process in processes:
        process.join(timeout=60)
    errors = []
    while not results.empty():
        message = results.get()
        if message[0] == "error":
            errors.append(f"ledger benchmark worker {message[1]} failed: {message[2]}")
    causes = [error for error in errors if "BrokenBarrierError" not in error]
    return (causes or errors or ["a ledger benchmark worker failed"])[0]


def _receive(results, processes) -> tuple:
    """The next message of the worker processes; raises their error, or if they all died silently."""
    while True:
        try:
            message = results.get(timeout=1)
        except queue.Empty:
            if not any(process.is_alive() for process in processes):
                raise RuntimeError("the ledger benchmark's worker processes ended without an answer") from None
            continue
        if message[0] == "error":
            raise RuntimeError(f"ledger benchmark worker {message[1]} failed: {message[2]}")
        return message


def _verifier(database_url: str, repeat: int, results) -> None:
    try:
        _setup_django(database_url)
        from django.db import connection

        from sharing import checkpoints, ledger
        from sharing.management.commands.verify_ledger import PROCESSES

        connection.ensure_connection()
        # What the verify_ledger command runs: the chain (in two processes if long), computing the
        # checkpoints' roots on the way, then the checkpoints.
        timings, (chain, problem) = _timed(repeat, lambda: checkpoints.verify_ledger(processes=PROCESSES))
        # The two halves on their own, as the audit page runs them (each reads the ledger).
        chain_timings, _ = _timed(repeat, ledger.verify)
        checkpoint_timings, _ = _timed(repeat, checkpoints.verify_checkpoints)
        # Plain values only: the parent may not have Django set up to unpickle our classes.
        problem = (problem.tree_size, str(problem.problem)) if problem else None
        broken = (chain.first_broken_seq, str(chain.problem)) if not chain.ok else None
        results.put(
            (
                "ok",
                chain.checked,
                broken,
                problem,
                chain.processes,
                timings,
                min(chain_timings),
                min(checkpoint_timings),
                machine_speed(),
            )
        )
    except BaseException as error:
        results.put(("error", "verifier", f"{type(error).__name__}: {error}"))
        sys.exit(1)


def _timed(repeat: int, run) -> tuple[list[float], object]:
    """The seconds of `repeat` timed runs, and the last run's outcome."""
    timings, outcome = [], None
    for _ in range(max(repeat, 1)):
        began = time.perf_counter()
        outcome = run()
        timings.append(time.perf_counter() - began)
    return timings, outcome


def measure_verify(database_url: str, repeat: int = 5) -> dict:
    """Verify the whole ledger as `verify_ledger` does (hash chain, then every signed checkpoint).

    Each verification runs `repeat` times. `rate` counts the fastest, as timeit does: on a shared
    machine the slower runs measure the neighbours; `median_rate` is the median run.
    Both are in entries per second over the whole ledger; `chain_rate` and `checkpoint_rate`
    time `ledger.verify()` (one process, as the audit page runs it) and
    `checkpoints.verify_checkpoints()` each on its own (fastest run); `processes` is how many
    processes shared the verification; `machine_sha256_per_s` is `machine_speed()` in the same
    process, to read them by. The signing key comes from the environment as for `verify_ledger`
    (LEDGER_SIGNING_KEY or LEDGER_SIGNING_KEY_FILE).
    """
    results = _MP.Queue()
    process = _MP.Process(target=_verifier, args=(database_url, repeat, results))
    process.start()
    try:
        message = _receive(results, [process])
    finally:
        process.join(timeout=60)
    _, checked, broken, problem, processes, timings, chain_seconds, checkpoint_seconds, speed = message
    ok = broken is None and problem is None
    seconds = min(timings)
    return {
        "rate": checked / seconds if checked else 0.0,
        "median_rate": checked / statistics.median(timings) if checked else 0.0,
        "rates": [checked / run for run in timings] if checked else [],
        "chain_rate": checked / chain_seconds if checked else 0.0,
        "checkpoint_rate": checked / checkpoint_seconds if checked else 0.0,
        "entries": checked,
        "ok": ok,
        "seconds": seconds,
        "processes": processes,
        "machine_sha256_per_s": speed,
        "problem": (
            f"entry {broken[0]}: {broken[1]}"
            if broken
            else f"checkpoint over the first {problem[0]} entries: {problem[1]}"
            if problem
            else ""
        ),
    }


def machine_speed() -> float:
    """SHA-256 hashes of 32 bytes per second in this interpreter: the verifier's unit of work.

    Printed beside the figures because the shared benchmark machine's speed varies by a factor of
    two over an afternoon; a verification rate means little without it.
    """
    data = [bytes([i % 256]) * 32 for i in range(100_000)]
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        for item in data:
            hashlib.sha256(item).digest()
        best = min(best, time.perf_counter() - began)
    return len(data) / best


def create_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument(
        "--database", required=True, help="postgres:// URL of a scratch database (recreated unless --reuse)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="only verify the ledger an earlier run left in --database (no appends)"
    )
    args = parser.parse_args()

    # The writer and verifier processes inherit this, so they all use the benchmark's own key.
    os.environ.setdefault("LEDGER_SIGNING_KEY_FILE", "/tmp/govdata-bench-ledger.pem")
    if args.reuse:
        verify = measure_verify(args.database)
        print(f"cores: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")
        print_verification(verify)
        sys.exit(0 if verify["ok"] else 1)
    create_database(args.database)
    _setup_django(args.database)
    from django.core.management import call_command
    from django.db import connection

    from sharing import checkpoints

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(",")[0]
    connection.close()

    load_before = os.getloadavg()[0]
    append = measure_append(args.database, args.entries, args.writers)
    checkpoints.load_signing_key(create=True)
    checkpoints.checkpoint_create()
    # An auditor verifies a ledger written long before, which autovacuum has visited; right
    # after a bulk of inserts the first read would also pay for setting the rows' hint bits.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) sharing_ledgerentry")
    connection.close()
    verify = measure_verify(args.database)

    print(
        f"server: {server}; cores: {os.cpu_count()}; load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after (other work on the machine slows every figure)"
    )
    print(
        f"append: {append['entries']:,} entries by {args.writers} concurrent writer processes in "
        f"{append['seconds']:.1f} s = {append['rate']:,.0f} entries/s "
        f"(median {append['median_ms']:.2f} ms, p95 {append['p95_ms']:.2f} ms per append)"
    )
    print(f"chain after the appends: {'intact, linear, no gaps' if append['intact'] else 'BROKEN'}")
    print_verification(verify)
    if not (append["intact"] and verify["ok"] and verify["entries"] == append["entries"]):
        sys.exit(1)


def print_verification(verify: dict) -> None:
    print(f"verify chain alone (ledger.verify, one process): {verify['chain_rate']:,.0f} entries/s")
    print(
        f"verify checkpoints alone (Merkle roots + Ed25519, verify_checkpoints): "
        f"{verify['checkpoint_rate']:,.0f} entries/s"
    )
    runs = ", ".join(f"{rate:,.0f}" for rate in verify["rates"])
    print(
        f"verify_ledger in total ({verify['processes']} processes): {verify['entries']:,} entries; "
        f"best {verify['rate']:,.0f} entries/s, median {verify['median_rate']:,.0f} entries/s "
        f"(runs: {runs}); {'ok' if verify['ok'] else verify['problem']}"
    )
    print(f"machine speed during the verification: {verify['machine_sha256_per_s']:,.0f} SHA-256/s")


if __name__ == "__main__":
    main()
