"""Benchmark: API latency/throughput vs a bare endpoint, relay and consumer rates.

Starts the stack (embedded PostgreSQL + Tansu unless ``DATABASE_URL`` /
``KAFKA_BOOTSTRAP_SERVERS`` are set), then in one run measures:

* ``GET /orders/{id}`` and ``POST /orders`` at 64 concurrent keep-alive
  connections against the layered API and against a bare FastAPI + asyncpg
  app doing the same SQL (``scripts/bench_bare.py``). Both apps get the same
  worker count (``BENCH_WORKERS``, default 1), a pool sized to the
  concurrency (``BENCH_POOL``, default 64) and no access log; they run one at
  a time, in ``BENCH_ROUNDS`` interleaved rounds (default 2), each segment
  after a 2 s warm-up, so that load from other jobs hits both alike. The
  load generator is a minimal raw-socket HTTP/1.1 client (one read per
  response head) so that it takes little CPU from the apps it measures;
* outbox relay throughput (events/s published and marked sent);
* consumer throughput (payment events/s applied idempotently).

Prints a table and writes ``bench-results/bench.json`` (with the CPU model
and the load average during the run). Traffic goes only to 127.0.0.1 and
every loop is bounded in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, make_url, select, text

from app.core.config import Settings
from app.core.database import create_engine, create_session_factory
from app.kafka.clients import AIOKafkaProducer
from app.kafka.consumer import build_payments_consumer
from app.kafka.producer import EventPublisher, build_producer
from app.models import ProcessedEvent
from app.services.outbox_relay import OutboxRelay
from tests.support import infra
from tests.support.kafka import create_topics, encode, succeeded

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = 64
DURATION_S = float(os.environ.get("BENCH_DURATION_S", "10"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "5000"))
# Each app is measured in ROUNDS interleaved segments (layered, bare, layered,
# bare, ...) so that load from other jobs on a shared machine hits both alike.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))
# Pool sized to the concurrency (split across workers), for both apps.
POOL = int(os.environ.get("BENCH_POOL", str(CONCURRENCY)))
WARMUP_S = 2.0
BODY = json.dumps(
    {
        "customer_id": "bench",
        "currency": "EUR",
        "items": [{"sku": "SKU-1", "quantity": 2, "unit_price": "19.99"}],
    }
).encode()
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_CLIENT_ERRORS = (ConnectionError, asyncio.IncompleteReadError, ValueError)


@dataclass
class HttpResult:
    """Throughput and latency of one HTTP scenario."""

    name: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass
class Samples:
    """Latencies, errors and measured time accumulated over segments."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    def result(self, name: str) -> HttpResult:
        """Summarise the samples."""
        cuts = statistics.quantiles(self.latencies, n=100)
        return HttpResult(
            name,
            len(self.latencies),
            self.errors,
            round(len(self.latencies) / self.seconds, 1),
            round(cuts[49] * 1000, 2),
            round(cuts[94] * 1000, 2),
            round(cuts[98] * 1000, 2),
        )


async def _one_connection(
    port: int,
    make_request: Callable[[], bytes],
    deadline: float,
    latencies: list[float],
) -> int:
    """Send requests on one keep-alive connection until ``deadline``.

    Returns the number of failed requests (HTTP >= 400 or a dropped
    connection, after which a new connection is opened).
    """
    errors = 0
    while time.perf_counter() < deadline:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                status = await _exchange(reader, writer, make_request())
                latencies.append(time.perf_counter() - started)
                errors += status >= 400  # noqa: PLR2004 - HTTP error threshold
        except _CLIENT_ERRORS:
            errors += 1
        finally:
            writer.close()
    return errors


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    """Write one request and read one response; return its status code.

    The head is read in one call and only Content-Length is parsed, so the
    client spends as little CPU as possible (it shares the machine).
    """
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = _CONTENT_LENGTH.search(head)
    await reader.readexactly(int(length.group(1)) if length else 0)
    return int(head[9:12])


def _get(path: Callable[[], str]) -> Callable[[], bytes]:
    def request() -> bytes:
        return f"GET {path()} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()

    return request


def _post(path: str) -> Callable[[], bytes]:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode()
    return lambda: head + BODY


async def _drive(
    port: int, make_request: Callable[[], bytes], deadline: float, into: list[float]
) -> int:
    """Run ``CONCURRENCY`` connections until ``deadline``; return the errors."""
    errors = await asyncio.gather(
        *[
            _one_connection(port, make_request, deadline, into)
            for _ in range(CONCURRENCY)
        ]
    )
    return sum(errors)


async def load(
    port: int, make_request: Callable[[], bytes], seconds: float, samples: Samples
) -> None:
    """Warm up, then measure one segment of ``seconds`` into ``samples``."""
    await _drive(port, make_request, time.perf_counter() + WARMUP_S, [])
    started = time.perf_counter()
    samples.errors += await _drive(
        port, make_request, started + seconds, samples.latencies
    )
    samples.seconds += time.perf_counter() - started


@contextlib.contextmanager
def server(args: list[str], env: dict[str, str], port: int) -> Iterator[None]:
    """Run a server process until the block ends."""
    process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        infra.wait_for_port(port, timeout_s=30)
        _wait_for_http(port)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for_http(port: int, timeout_s: float = 30.0) -> None:
    """Block until the server answers HTTP (any status) on ``port``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health/live")
            connection.getresponse().read()
            connection.close()
            return
        time.sleep(0.1)
    raise TimeoutError(f"no HTTP answer on 127.0.0.1:{port} after {timeout_s}s")


async def seed_orders(settings: Settings, count: int) -> list[str]:
    """Insert ``count`` PENDING orders with one item each; return their ids."""
    engine = create_engine(settings)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO orders (id, customer_id, status, currency, total_amount)"
                " SELECT u::uuid, 'bench', 'PENDING', 'EUR', 39.98"
                " FROM unnest(CAST(:ids AS text[])) AS u"
            ),
            {"ids": ids},
        )
        await connection.execute(
            text(
                "INSERT INTO order_items (order_id, sku, quantity, unit_price)"
                " SELECT u::uuid, 'SKU-1', 2, 19.99"
                " FROM unnest(CAST(:ids AS text[])) AS u"
            ),
            {"ids": ids},
        )
    await engine.dispose()
    return ids


def _servers(
    env: dict[str, str], port: int
) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Command line and environment of the layered and the bare app.

    Both get the same worker count, the same pool size and no access log.
    """
    layered_env = {
        **env,
        "API_PORT": str(port),
        "API_WORKERS": str(WORKERS),
        "LOG_LEVEL": "WARNING",
        "DB_POOL_SIZE": str(POOL // WORKERS),
        "DB_MAX_OVERFLOW": "0",
    }
    bare_args = ["-m", "uvicorn", "scripts.bench_bare:app", "--port", str(port)]
    bare_args += ["--workers", str(WORKERS), "--log-level", "warning"]
    bare_env = {**env, "BENCH_POOL": str(POOL // WORKERS)}
    return {
        "layered": (["-m", "app.entrypoints", "api"], layered_env),
        "bare": ([*bare_args, "--no-access-log"], bare_env),
    }


async def bench_http(
    settings: Settings, env: dict[str, str], loads: list[float]
) -> list[HttpResult]:
    """Layered API vs bare endpoint, GET by id and POST, in interleaved rounds.

    Only one app runs at a time (each gets the machine and its own pool);
    ``loads`` receives the 1-minute load average at the start of each segment.
    """
    ids = await seed_orders(settings, 2000)
    counter = iter(range(10**9))

    def pick(prefix: str) -> Callable[[], str]:
        return lambda: f"{prefix}/{ids[next(counter) % len(ids)]}"

    requests = {
        "layered": {"GET": _get(pick("/orders")), "POST": _post("/orders")},
        "bare": {"GET": _get(pick("/bare/orders")), "POST": _post("/bare/orders")},
    }
    samples = {(app, verb): Samples() for app in requests for verb in ("GET", "POST")}
    port = infra.free_port()
    for _ in range(ROUNDS):
        for app, (args, app_env) in _servers(env, port).items():
            with server(args, app_env, port):
                for verb, make_request in requests[app].items():
                    loads.append(os.getloadavg()[0])
                    await load(
                        port, make_request, DURATION_S / ROUNDS, samples[app, verb]
                    )
    names = {
        ("layered", "GET"): "GET /orders/{id} (layered)",
        ("bare", "GET"): "GET /bare/orders/{id} (bare)",
        ("layered", "POST"): "POST /orders (layered)",
        ("bare", "POST"): "POST /bare/orders (bare)",
    }
    return [samples[key].result(name) for key, name in names.items()]


async def bench_relay(settings: Settings) -> dict[str, float]:
    """Publish EVENTS pre-inserted outbox rows; return events/s."""
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE outbox_events SET sent_at = now()"))
        await connection.execute(
            text(
                "INSERT INTO outbox_events (id, topic, key, event_type, payload)"
                " SELECT gen_random_uuid(), :topic, g::text, 'OrderCreated',"
                " jsonb_build_object('n', g) FROM generate_series(1, :n) AS g"
            ),
            {"topic": settings.orders_topic, "n": EVENTS},
        )
    publisher = EventPublisher(lambda: build_producer(settings))
    relay = OutboxRelay(
        session_factory=create_session_factory(engine),
        publisher=publisher,
        batch_size=settings.relay_batch_size,
        lease_s=30,
    )
    await publisher.start()
    started, published = time.perf_counter(), 0
    while published < EVENTS and time.perf_counter() - started < 120:  # noqa: PLR2004
        published += await relay.publish_pending_events()
    elapsed = time.perf_counter() - started
    await publisher.stop()
    await engine.dispose()
    return {
        "events": published,
        "seconds": round(elapsed, 2),
        "events_per_s": round(published / elapsed, 1),
    }


async def bench_consumer(settings: Settings) -> dict[str, float]:
    """Apply EVENTS PaymentSucceeded events; return events/s (after group join)."""
    ids = await seed_orders(settings, EVENTS)
    events = [encode(succeeded(order_id)) for order_id in ids]
    await produce_fast(
        settings.kafka_bootstrap_servers, settings.payments_topic, events
    )
    engine = create_engine(settings)
    dlq = EventPublisher(lambda: build_producer(settings))
    consumer = build_payments_consumer(settings, engine=engine, dlq=dlq)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    first = await wait_processed(engine, 1, time.perf_counter() + 60)
    done = await wait_processed(engine, EVENTS, time.perf_counter() + 180)
    stop.set()
    await task
    await dlq.stop()
    processed = await count_processed(engine)
    await engine.dispose()
    elapsed = done - first
    return {
        "events": processed,
        "seconds": round(elapsed, 2),
        "events_per_s": round(processed / elapsed, 1),
    }


async def count_processed(engine: Any) -> int:
    """Count rows in processed_events."""
    async with engine.connect() as connection:
        return int(
            await connection.scalar(select(func.count()).select_from(ProcessedEvent))
        )


async def wait_processed(engine: Any, target: int, deadline: float) -> float:
    """Wait until ``target`` events are processed; return the time it happened."""
    while time.perf_counter() < deadline:
        if await count_processed(engine) >= target:
            break
        await asyncio.sleep(0.05)
    return time.perf_counter()


async def produce_fast(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """Publish values in batches (setup, not measured)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v) for v in values]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def stack() -> AsyncIterator[tuple[Settings, dict[str, str]]]:
    """Provision PostgreSQL, the broker, a database and topics for this run."""
    run = uuid.uuid4().hex[:8]
    with contextlib.ExitStack() as exits:
        admin = os.environ.get("DATABASE_URL") or exits.enter_context(
            infra.embedded_postgres()
        )
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if not bootstrap:
            bootstrap = exits.enter_context(infra.tansu_broker()).bootstrap
        async with infra.temporary_database(admin, f"orders_bench_{run}") as url:
            await infra.alembic(url, "upgrade", "head")
            settings = Settings(
                database_url=url,
                kafka_bootstrap_servers=bootstrap,
                kafka_enable_idempotence=os.environ.get(
                    "KAFKA_ENABLE_IDEMPOTENCE", "false"
                )
                == "true",
                orders_topic=f"orders.v1.bench.{run}",
                payments_topic=f"payments.v1.bench.{run}",
                payments_dlq_topic=f"payments.v1.dlq.bench.{run}",
                consumer_group_id=f"order-service.bench.{run}",
                consumer_batch_size=500,
                consumer_metrics_port=0,
            )
            await create_topics(
                bootstrap,
                settings.orders_topic,
                settings.payments_topic,
                settings.payments_dlq_topic,
            )
            env = {
                **os.environ,
                **{
                    key.upper(): str(value)
                    for key, value in _env_settings(settings).items()
                },
                "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
                "BENCH_DSN": make_url(url)
                .set(drivername="postgresql")
                .render_as_string(hide_password=False),
            }
            yield settings, env


def _env_settings(settings: Settings) -> dict[str, Any]:
    """The settings a child process needs, as environment variables."""
    return {
        "database_url": settings.database_url.get_secret_value(),
        "kafka_bootstrap_servers": settings.kafka_bootstrap_servers,
        "kafka_enable_idempotence": str(settings.kafka_enable_idempotence).lower(),
        "orders_topic": settings.orders_topic,
    }


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (Linux), else the platform's."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def report(
    http_results: list[HttpResult],
    relay: dict[str, float],
    consumer: dict[str, float],
    loads: list[float],
) -> dict[str, Any]:
    """Print the table and return the JSON document."""
    columns = ("req/s", "p50 ms", "p95 ms", "p99 ms", "errors")
    print("\n" + f"{'scenario':36}" + "".join(f"{c:>9}" for c in columns))
    for row in http_results:
        values = (row.rps, row.p50_ms, row.p95_ms, row.p99_ms, row.errors)
        print(f"{row.name:36}" + "".join(f"{v:>9}" for v in values))
    ratio = http_results[0].rps / http_results[1].rps
    print(f"\nGET layered/bare throughput ratio: {ratio:.2f} (target >= 0.6)")
    print(f"relay:    {relay['events_per_s']:.0f} events/s ({relay['events']} events)")
    rate, count = consumer["events_per_s"], consumer["events"]
    print(f"consumer: {rate:.0f} events/s ({count} events)")
    print(f"1-min load average during the run: {loads}")
    return {
        "machine": {
            "cpu": cpu_model(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_1m": loads,
        },
        "concurrency": CONCURRENCY,
        "duration_s": DURATION_S,
        "rounds": ROUNDS,
        "workers_per_app": WORKERS,
        "pool_per_app": POOL,
        "http": [asdict(row) for row in http_results],
        "get_ratio_layered_vs_bare": round(ratio, 3),
        "relay": relay,
        "consumer": consumer,
    }


async def main() -> None:
    """Run every scenario and write bench-results/bench.json."""
    loads: list[float] = []
    async with stack() as (settings, env):
        http_results = await bench_http(settings, env, loads)
        loads.append(os.getloadavg()[0])
        relay = await bench_relay(settings)
        loads.append(os.getloadavg()[0])
        consumer = await bench_consumer(settings)
        loads.append(os.getloadavg()[0])
    document = report(http_results, relay, consumer, loads)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "bench.json").write_text(json.dumps(document, indent=2))
    print(f"\nwrote {out / 'bench.json'}")


if __name__ == "__main__":
    asyncio.run(main())
