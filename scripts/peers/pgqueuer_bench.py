"""pgqueuer's durable throughput on the hub's PostgreSQL, as `scripts/bench peers` runs it.

Producers enqueue no-op jobs one insert per job (as the hub's producers submit one instruction
per call) while one QueueManager consumes them; the figure is jobs completed per second from the
first enqueue to the last completion. A fresh database of its own (hub_bench_pgqueuer) on the
server of HUB_DATABASE_URL; every commit durable, as the hub's.
"""
import argparse
import asyncio
import json
import os
import sys
import time
from importlib import metadata
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from pgqueuer import QueueManager
from pgqueuer.db import AsyncpgDriver
from pgqueuer.queries import Queries


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def fresh_database(base: str, name: str) -> str:
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return database_url(base, name)


def log(text: str) -> None:
    if os.environ.get("HUB_BENCH_VERBOSE") == "1":
        print(f"pgqueuer_bench: {text}", file=sys.stderr, flush=True)


async def run(args: argparse.Namespace) -> dict:
    url = await fresh_database(os.environ["HUB_DATABASE_URL"], "hub_bench_pgqueuer")
    log("database created")
    setup = await asyncpg.connect(url)
    await Queries(AsyncpgDriver(setup)).install()
    await setup.close()
    log("pgqueuer installed")

    consumer = await asyncpg.connect(url)
    qm = QueueManager(Queries(AsyncpgDriver(consumer)))
    done = 0
    finished = asyncio.Event()

    @qm.entrypoint("noop")
    async def noop(job) -> None:  # noqa: ANN001
        nonlocal done
        done += 1
        if done >= args.jobs:
            finished.set()

    async def produce(count: int) -> None:
        connection = await asyncpg.connect(url)
        queries = Queries(AsyncpgDriver(connection))
        for _ in range(count):
            await queries.enqueue("noop", b"{}")
        await connection.close()

    per_producer = args.jobs // args.producers
    args.jobs = per_producer * args.producers
    consuming = asyncio.create_task(qm.run(batch_size=args.batch_size, dequeue_timeout=timedelta(seconds=1)))
    await asyncio.sleep(0.5)
    started = time.perf_counter()
    await asyncio.gather(*(produce(per_producer) for _ in range(args.producers)))
    log(f"enqueued {args.jobs}; {done} done")
    if consuming.done():
        consuming.result()  # the consumer failed: its exception
    await asyncio.wait_for(finished.wait(), timeout=600)
    elapsed = time.perf_counter() - started
    qm.shutdown.set()
    await consuming
    await consumer.close()
    return {"peer": "pgqueuer", "version": metadata.version("pgqueuer"), "jobs": args.jobs, "producers": args.producers, "batch_size": args.batch_size,
            "seconds": round(elapsed, 3), "per_second": round(args.jobs / elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"pgqueuer: {result['jobs']} no-op jobs, {result['producers']} producers (one insert per job), "
              f"batch {result['batch_size']}: {result['seconds']} s, {result['per_second']} /s")


if __name__ == "__main__":
    sys.exit(main())
