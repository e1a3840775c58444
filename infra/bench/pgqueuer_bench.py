#!/usr/bin/env python3
"""pgqueuer 1.6.0 benchmark, run by infra/bench/queue.sh beside queue-bench (our job queue).

    pgqueuer_bench.py --dsn DSN --install            create pgqueuer's schema (idempotent)
    pgqueuer_bench.py --dsn DSN --uninstall          drop it again
    pgqueuer_bench.py --dsn DSN drain --jobs 50000 --consumers 5 --batch-size 10
    pgqueuer_bench.py --dsn DSN concurrent --seconds 10 --rate 10000 --consumers 5 --batch-size 10
    pgqueuer_bench.py --dsn DSN latency --samples 300 --batch-size 1

Consumers are separate processes (multiprocessing, spawn), each with its own asyncpg
connection and its own pgqueuer.QueueManager running one no-op async entrypoint with
pgqueuer's defaults: LISTEN/NOTIFY wake-ups, dequeue_timeout 30 s, heartbeat_timeout 30 s,
no concurrency limits, completed jobs deleted from the queue table (one row per status
change goes to pgqueuer_log), the uvloop event loop (what `pgq run` uses when installed).
Every run empties pgqueuer's queue, log and statistics tables before and after. Prints one
plain line per run; errors go to stderr with a non-zero exit status.

pgqueuer 1.6.0 API notes (it changed between versions): QueueManager(queries) takes a
Queries object (not a driver); Queries(AsyncpgDriver(connection)); entrypoints must be
`async def`; QueueManager.run(batch_size=, dequeue_timeout=, mode=, max_concurrent_tasks=,
heartbeat_timeout=, log_aggregation_interval=) -- there is no retry_timer any more (a picked
job whose heartbeat is older than heartbeat_timeout is re-picked); bulk enqueue is
Queries.enqueue(list_of_entrypoints, list_of_payloads, list_of_priorities).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import signal
import sys
import time
from datetime import timedelta

if __name__ == "__mp_main__":
    # A consumer process (spawned by multiprocessing). Ctrl-C in the terminal reaches the
    # whole process group; the parent stops its consumers itself (SIGTERM, then SIGKILL).
    signal.signal(signal.SIGINT, signal.SIG_IGN)

import asyncpg
from pgqueuer import AsyncpgDriver, Job, Queries, QueueManager
from pgqueuer import __version__ as PGQUEUER_VERSION
from pgqueuer.domain.types import QueueExecutionMode

try:
    import uvloop
except ImportError:  # pgqueuer 1.6.0 depends on it, but keep working without it
    uvloop = None

ENTRYPOINT = "bench_noop"
ENQUEUE_CHUNK = 5000  # jobs per enqueue call when pre-filling the queue (as queue-bench)
PAYLOAD = b"{}"  # queue-bench enqueues an empty JSON object
CONSUMER_READY_TIMEOUT = 60.0
CONSUMER_STOP_TIMEOUT = 10.0


class BenchError(Exception):
    pass


def run_async(coro, use_uvloop: bool):
    if use_uvloop and uvloop is not None:
        return uvloop.run(coro)
    return asyncio.run(coro)


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this process when the parent dies (even by SIGKILL)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:
        pass


# --------------------------------------------------------------------------- consumers


def consumer_main(
    index: int,
    dsn: str,
    batch_size: int,
    max_concurrent_tasks: int | None,
    record_start: bool,
    use_uvloop: bool,
    parent_pid: int,
    ready,  # mp.Value('i'): consumers connected and set up
    go,  # mp.Event: start consuming
    started_at,  # mp.Value('d'): latency mode, time.monotonic() at entrypoint start
    started_id,  # mp.Value('q'): latency mode, id of that job
    started_evt,  # mp.Event: latency mode, set after started_at/started_id are written
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    if os.getppid() != parent_pid:  # parent already gone before prctl took effect
        return
    try:
        run_async(
            consume(
                dsn, batch_size, max_concurrent_tasks, record_start, parent_pid,
                ready, go, started_at, started_id, started_evt,
            ),
            use_uvloop,
        )
    except Exception as exc:  # reported by the parent as a dead consumer
        print(f"pgqueuer bench: consumer {index}: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)


async def consume(
    dsn, batch_size, max_concurrent_tasks, record_start, parent_pid,
    ready, go, started_at, started_id, started_evt,
) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        qm = QueueManager(Queries(AsyncpgDriver(connection)))

        if record_start:

            @qm.entrypoint(ENTRYPOINT)
            async def record(job: Job) -> None:
                now = time.monotonic()
                started_at.value = now
                started_id.value = job.id
                started_evt.set()

        else:

            @qm.entrypoint(ENTRYPOINT)
            async def noop(job: Job) -> None:
                pass

        with ready.get_lock():
            ready.value += 1
        # Nothing else runs on this loop yet, so a blocking wait is fine here.
        while not go.wait(0.5):
            if os.getppid() != parent_pid:
                return

        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, qm.shutdown.set)

        async def watch_parent() -> None:
            while not qm.shutdown.is_set():
                if os.getppid() != parent_pid:
                    qm.shutdown.set()
                    return
                await asyncio.sleep(1.0)

        watchdog = asyncio.create_task(watch_parent())
        try:
            # pgqueuer's defaults apart from batch_size (and max_concurrent_tasks if given).
            await qm.run(
                batch_size=batch_size,
                mode=QueueExecutionMode.continuous,
                max_concurrent_tasks=max_concurrent_tasks,
            )
        finally:
            watchdog.cancel()
    finally:
        await connection.close()


class Consumers:
    """The consumer processes of one run; stop() leaves none behind."""

    def __init__(self, args, count: int, batch_size: int, record_start: bool = False):
        self.ctx = multiprocessing.get_context("spawn")
        self.ready = self.ctx.Value("i", 0)
        self.go = self.ctx.Event()
        self.started_at = self.ctx.Value("d", 0.0)
        self.started_id = self.ctx.Value("q", 0)
        self.started_evt = self.ctx.Event()
        self.count = count
        self.processes = [
            self.ctx.Process(
                target=consumer_main,
                name=f"pgqueuer-bench-consumer-{i}",
                args=(
                    i, args.dsn, batch_size, args.max_concurrent_tasks or None, record_start,
                    not args.no_uvloop, os.getpid(), self.ready, self.go, self.started_at,
                    self.started_id, self.started_evt,
                ),
                daemon=True,  # multiprocessing's atexit also terminates them
            )
            for i in range(count)
        ]

    async def start(self) -> None:
        """Start the processes and wait until all are connected and set up (not consuming)."""
        for process in self.processes:
            process.start()
        deadline = time.monotonic() + CONSUMER_READY_TIMEOUT
        while self.ready.value < self.count:
            self.check_alive()
            if time.monotonic() > deadline:
                raise BenchError(f"consumers did not start within {CONSUMER_READY_TIMEOUT:.0f} s")
            await asyncio.sleep(0.01)

    def release(self) -> None:
        """Let the consumers run QueueManager.run()."""
        self.go.set()

    def check_alive(self) -> None:
        dead = [p for p in self.processes if p.exitcode is not None]
        if dead:
            raise BenchError(
                f"{len(dead)} consumer process(es) exited early (exit code {dead[0].exitcode})"
            )

    def stop(self) -> None:
        for process in self.processes:
            if process.pid is not None and process.exitcode is None:
                try:
                    process.terminate()  # SIGTERM: QueueManager shuts down gracefully
                except OSError:
                    pass
        deadline = time.monotonic() + CONSUMER_STOP_TIMEOUT
        for process in self.processes:
            if process.pid is None:
                continue
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                process.kill()
                process.join(5)


# --------------------------------------------------------------------------- database helpers


class Db:
    def __init__(self, connection: asyncpg.Connection):
        self.connection = connection
        self.queries = Queries(AsyncpgDriver(connection))
        settings = self.queries.qbe.settings
        self.queue_table = settings.qualified.queue_table
        self.count_sql = f"SELECT count(*) FROM {self.queue_table}"
        self.exists_sql = f"SELECT EXISTS (SELECT 1 FROM {self.queue_table} WHERE id = $1)"

    async def require_schema(self) -> None:
        if not await self.queries.has_table(self.queries.qbe.settings.queue_table):
            raise BenchError("pgqueuer's schema is not installed (run with --install first)")

    async def clean(self) -> None:
        """Empty pgqueuer's queue, log and statistics tables (TRUNCATE)."""
        await self.queries.clear_queue()
        await self.queries.clear_queue_log()
        await self.queries.clear_statistics_log()

    async def pending(self) -> int:
        """Jobs still in the queue table, queued or picked (completed ones are deleted)."""
        return await self.connection.fetchval(self.count_sql)

    async def enqueue(self, count: int) -> list[int]:
        """One bulk enqueue call (pgqueuer's list form) of `count` no-op jobs."""
        return await self.queries.enqueue([ENTRYPOINT] * count, [PAYLOAD] * count, [0] * count)


async def connect(dsn: str) -> Db:
    return Db(await asyncpg.connect(dsn))


def fmt2(value: float) -> str:
    return f"{value:.2f}"


# --------------------------------------------------------------------------- subcommands


async def bench_drain(args, db: Db, consumers: Consumers) -> str:
    await db.clean()
    left = args.jobs
    while left > 0:
        n = min(ENQUEUE_CHUNK, left)
        await db.enqueue(n)
        left -= n
    await consumers.start()
    started = time.monotonic()
    consumers.release()
    while await db.pending() > 0:
        consumers.check_alive()
        await asyncio.sleep(0.02)
    seconds = time.monotonic() - started
    consumers.stop()
    return (
        f"pgqueuer drain: {args.jobs} jobs, {args.consumers} consumers, batch {args.batch_size}: "
        f"{fmt2(seconds)} s, {int(args.jobs / seconds)} jobs/s"
    )


async def bench_concurrent(args, db: Db, consumers: Consumers) -> str:
    await db.clean()
    await consumers.start()
    consumers.release()
    per_tick = max(1, args.rate // 100)  # one enqueue call every 10 ms
    produced = 0
    samples: list[int] = []
    start = time.monotonic()
    next_sample = start + 1
    tick = start
    while time.monotonic() - start < args.seconds:
        await db.enqueue(per_tick)
        produced += per_tick
        tick += 0.01
        wait = tick - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if time.monotonic() >= next_sample:
            samples.append(await db.pending())
            next_sample += 1
            consumers.check_alive()
    elapsed = time.monotonic() - start
    backlog = await db.pending()
    consumers.stop()
    consumed = produced - backlog
    return (
        f"pgqueuer concurrent: produced {int(produced / elapsed)}/s, "
        f"consumed {int(consumed / elapsed)}/s, backlog per second: "
        + " ".join(str(s) for s in samples)
    )


async def wait_started(consumers: Consumers, job_id: int, timeout: float = 60.0) -> float:
    """Block until the consumer's entrypoint has started job `job_id`; its start time."""
    deadline = time.monotonic() + timeout
    while True:
        if consumers.started_evt.wait(0.5) and consumers.started_id.value == job_id:
            return consumers.started_at.value
        consumers.started_evt.clear()
        if consumers.started_id.value == job_id:  # set between wait() and clear()
            return consumers.started_at.value
        consumers.check_alive()
        if time.monotonic() > deadline:
            raise BenchError(f"job {job_id} did not start within {timeout:.0f} s")
        await asyncio.sleep(0)  # lets a Ctrl-C (task cancellation) through


async def wait_gone(db: Db, job_id: int) -> None:
    """Until the job's row has left the queue table (pgqueuer deletes completed jobs)."""
    while await db.connection.fetchval(db.exists_sql, job_id):
        await asyncio.sleep(0.0005)


async def bench_latency(args, db: Db, consumers: Consumers) -> str:
    await db.clean()
    await consumers.start()
    consumers.release()
    # One warm-up job, not counted: the consumer has verified the schema, is LISTENing
    # and has gone idle once before the first sample.
    (warm,) = await db.enqueue(1)
    await wait_started(consumers, warm)
    await wait_gone(db, warm)
    await asyncio.sleep(0.1)

    values: list[float] = []
    for _ in range(args.samples):
        consumers.started_evt.clear()
        before = time.monotonic()
        (job_id,) = await db.enqueue(1)
        started = await wait_started(consumers, job_id)
        values.append((started - before) * 1000)
        await wait_gone(db, job_id)  # the consumer is idle again before the next one
        await asyncio.sleep((2000 + random.randrange(3000)) / 1e6)
    consumers.stop()
    values.sort()

    def percentile(p: float) -> float:
        return values[min(len(values) - 1, int(len(values) * p))] if values else 0.0

    return (
        f"pgqueuer latency: p50 {fmt2(percentile(0.5))} ms, p99 {fmt2(percentile(0.99))} ms, "
        f"max {fmt2(values[-1] if values else 0.0)} ms (n={len(values)})"
    )


BENCHES = {"drain": bench_drain, "concurrent": bench_concurrent, "latency": bench_latency}


# --------------------------------------------------------------------------- main


async def install(dsn: str) -> str:
    db = await connect(dsn)
    try:
        if await db.queries.schema_is_installed():
            # Already there (maybe partly, or from an older pgqueuer): converge it as
            # `pgq upgrade` does; a no-op when it is current.
            plan = await db.queries.apply_upgrade()
            changed = len(plan.statements)
            return f"pgqueuer {PGQUEUER_VERSION}: schema already installed ({changed} upgrade statements)"
        await db.queries.install()
        return f"pgqueuer {PGQUEUER_VERSION}: schema installed"
    finally:
        await db.connection.close()


async def uninstall(dsn: str) -> str:
    db = await connect(dsn)
    try:
        await db.queries.uninstall()
        return f"pgqueuer {PGQUEUER_VERSION}: schema uninstalled"
    finally:
        await db.connection.close()


async def run_bench(args, consumers: Consumers) -> str:
    db = await connect(args.dsn)
    try:
        await db.require_schema()
        try:
            return await BENCHES[args.command](args, db, consumers)
        finally:
            consumers.stop()
            await db.clean()
    finally:
        await db.connection.close()


async def clean_only(dsn: str) -> None:
    db = await connect(dsn)
    try:
        await asyncio.wait_for(db.clean(), 10)
    finally:
        await db.connection.close()


def positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def parse_args(argv: list[str]) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dsn", default=argparse.SUPPRESS, help="PostgreSQL DSN")
    common.add_argument(
        "--max-concurrent-tasks", type=int, default=argparse.SUPPRESS,
        help="QueueManager.run(max_concurrent_tasks=...) per consumer; default: unlimited "
        "(pgqueuer's default); must be at least twice the batch size",
    )
    common.add_argument(
        "--no-uvloop", action="store_true", default=argparse.SUPPRESS,
        help="use asyncio's default event loop instead of uvloop",
    )

    parser = argparse.ArgumentParser(
        description="pgqueuer 1.6.0 benchmark (drain, concurrent, latency)", parents=[common]
    )
    parser.add_argument("--install", action="store_true", help="create pgqueuer's schema (idempotent) first")
    parser.add_argument("--uninstall", action="store_true", help="drop pgqueuer's schema at the end")
    sub = parser.add_subparsers(dest="command")

    drain = sub.add_parser("drain", parents=[common], help="time N pre-enqueued jobs being drained")
    drain.add_argument("--jobs", type=positive, default=50000)
    drain.add_argument("--consumers", type=positive, default=5)
    drain.add_argument("--batch-size", type=positive, default=10)

    concurrent = sub.add_parser("concurrent", parents=[common], help="enqueue at a rate while consuming")
    concurrent.add_argument("--seconds", type=positive, default=10)
    concurrent.add_argument("--rate", type=positive, default=10000)
    concurrent.add_argument("--consumers", type=positive, default=5)
    concurrent.add_argument("--batch-size", type=positive, default=10)

    latency = sub.add_parser("latency", parents=[common], help="enqueue-to-start on an idle queue")
    latency.add_argument("--samples", type=positive, default=300)
    latency.add_argument("--batch-size", type=positive, default=1)

    args = parser.parse_args(argv)
    for name, default in (("dsn", None), ("max_concurrent_tasks", None), ("no_uvloop", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    if not args.dsn:
        parser.error("--dsn is required")
    if not (args.command or args.install or args.uninstall):
        parser.error("give --install, --uninstall or a subcommand (drain, concurrent, latency)")
    if args.max_concurrent_tasks and args.command and args.max_concurrent_tasks < 2 * args.batch_size:
        parser.error("--max-concurrent-tasks must be at least twice --batch-size (pgqueuer's rule)")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    use_uvloop = not args.no_uvloop

    # SIGTERM to this script behaves like Ctrl-C: stop consumers, empty the tables, exit.
    def on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)

    consumers: Consumers | None = None
    try:
        if args.install:
            print(run_async(install(args.dsn), use_uvloop), flush=True)
        if args.command:
            count = 1 if args.command == "latency" else args.consumers
            consumers = Consumers(
                args, count, args.batch_size, record_start=args.command == "latency"
            )
            print(run_async(run_bench(args, consumers), use_uvloop), flush=True)
        if args.uninstall:
            print(run_async(uninstall(args.dsn), use_uvloop), flush=True)
        return 0
    except KeyboardInterrupt:
        print("pgqueuer bench: interrupted", file=sys.stderr)
        if consumers is not None:
            consumers.stop()
            try:
                run_async(clean_only(args.dsn), use_uvloop)
            except BaseException:
                pass
        return 130
    except (BenchError, OSError, asyncpg.PostgresError) as exc:
        print(f"pgqueuer bench: {exc}", file=sys.stderr)
        return 1
    finally:
        if consumers is not None:
            consumers.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
