"""Ledger benchmark: append rate with concurrent writers, and verification rate, on PostgreSQL.

Usage (creates and migrates a scratch database; never point it at a real one):

    .venv/bin/python benchmarks/ledger.py --entries 100000 --writers 4 \
        --database postgres://postgres@127.0.0.1:5432/govdata_bench_ledger

Prints the append rate (entries/s, all writers together), confirms the chain is intact and linear,
then the rate of a full verification (chain + checkpoint) as `verify_ledger` runs it.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


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
    parser.add_argument("--database", required=True, help="postgres:// URL of a scratch database (recreated)")
    args = parser.parse_args()

    create_database(args.database)
    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdata.settings")
    os.environ.setdefault("LEDGER_SIGNING_KEY_FILE", "/tmp/govdata-bench-ledger.pem")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections, transaction

    call_command("migrate", verbosity=0)
    from catalog.models import Department
    from sharing import checkpoints, ledger
    from sharing.models import LedgerEntry

    subject = Department.objects.create(code="BENCH", name="基准测试部门")
    per_writer = args.entries // args.writers
    latencies: list[float] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        own = []
        try:
            for i in range(per_writer):
                started = time.perf_counter()
                with transaction.atomic():
                    ledger.append(action="bench.append", obj=subject, actor=None, reason=f"w{number} #{i}")
                own.append(time.perf_counter() - started)
        finally:
            connections.close_all()
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(args.writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    append_seconds = time.perf_counter() - started
    total = LedgerEntry.objects.count()

    checkpoints.load_signing_key(create=True)
    checkpoints.checkpoint_create()

    started = time.perf_counter()
    result = ledger.verify()
    chain_seconds = time.perf_counter() - started
    started = time.perf_counter()
    problem = checkpoints.verify_checkpoints()
    checkpoint_seconds = time.perf_counter() - started

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(",")[0]

    print(f"server: {server}; cores: {os.cpu_count()}")
    print(
        f"append: {total:,} entries by {args.writers} concurrent writers in {append_seconds:.1f} s "
        f"= {total / append_seconds:,.0f} entries/s (median {statistics.median(latencies) * 1000:.2f} ms, "
        f"p95 {statistics.quantiles(latencies, n=20)[-1] * 1000:.2f} ms per append)"
    )
    print(
        f"chain: {'intact' if result.ok else 'BROKEN at ' + str(result.first_broken_seq)}, "
        f"{result.checked:,} entries, seq 1..{total:,} linear"
    )
    print(f"verify chain: {result.checked / chain_seconds:,.0f} entries/s ({chain_seconds:.2f} s)")
    print(
        f"verify checkpoint (Merkle root over all entries + Ed25519): {total / checkpoint_seconds:,.0f} entries/s "
        f"({checkpoint_seconds:.2f} s); {'ok' if problem is None else problem}"
    )
    print(f"verify_ledger in total: {total / (chain_seconds + checkpoint_seconds):,.0f} entries/s")
    if not result.ok or problem is not None or result.checked != total:
        sys.exit(1)


if __name__ == "__main__":
    main()
