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
  load generator is ``wrk`` when it is on ``PATH`` (a separate C process;
  ``BENCH_GENERATOR=python`` forces the other), else a minimal raw-socket
  HTTP/1.1 client (one read per response head). After the rounds the bare
  GET is measured once more at twice the connections: if that raises its
  throughput by more than 10 %, the generator did not saturate the apps and
  the run says so;
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
import shutil
import statistics
import subprocess
import sys
import tempfile
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
GENERATOR = os.environ.get("BENCH_GENERATOR") or (
    "wrk" if shutil.which("wrk") else "python"
)
SATURATION_GAIN = 1.10
# wrk's per-thread script: GET cycles through BENCH_IDS (one id a line) under
# BENCH_PATH, POST sends BENCH_BODY; done() prints the figures as one JSON line.
WRK_LUA = r"""
local ids, n = {}, 0
local path = os.getenv("BENCH_PATH")
if os.getenv("BENCH_IDS") then
  for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
end
wrk.method = os.getenv("BENCH_METHOD")
if wrk.method == "POST" then
  wrk.body = os.getenv("BENCH_BODY")
  wrk.headers["Content-Type"] = "application/json"
end
request = function()
  if #ids == 0 then return wrk.format(nil, path) end
  n = n + 1
  return wrk.format(nil, path .. "/" .. ids[n % #ids + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_WRK {"requests": %.0f, "duration_us": %.0f,'
    .. ' "p50_us": %.0f, "p95_us": %.0f, "p99_us": %.0f, "status": %.0f,'
    .. ' "socket": %.0f}\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""
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


@dataclass(frozen=True)
class Target:
    """One scenario: GET ``path/<id>`` cycling through ``ids``, or POST ``path``."""

    method: str
    path: str
    ids: tuple[str, ...] = ()


@dataclass
class Samples:
    """Latencies (or wrk's percentiles), errors and time accumulated over segments."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    wrk: list[dict[str, float]] = field(default_factory=list)

    def result(self, name: str) -> HttpResult:
        """Summarise the samples (wrk segments: their percentiles averaged)."""
        if self.wrk:
            answered = sum(int(seg["requests"] - seg["status"]) for seg in self.wrk)
            cuts = [
                statistics.fmean(seg[key] for seg in self.wrk) / 1e6 for key in WRK_KEYS
            ]
        else:
            answered = len(self.latencies)
            quantiles = statistics.quantiles(self.latencies, n=100)
            cuts = [quantiles[49], quantiles[94], quantiles[98]]
        return HttpResult(
            name,
            answered,
            self.errors,
            round(answered / self.seconds, 1),
            *(round(cut * 1000, 2) for cut in cuts),
        )


WRK_KEYS = ("p50_us", "p95_us", "p99_us")


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
    port: int,
    make_request: Callable[[], bytes],
    deadline: float,
    into: list[float],
    connections: int = CONCURRENCY,
) -> int:
    """Run ``connections`` connections until ``deadline``; return the errors."""
    errors = await asyncio.gather(
        *[
            _one_connection(port, make_request, deadline, into)
            for _ in range(connections)
        ]
    )
    return sum(errors)


def python_request(target: Target) -> Callable[[], bytes]:
    """The raw request factory of the python client for ``target``."""
    if target.method == "POST":
        return _post(target.path)
    counter = iter(range(10**9))
    ids = target.ids
    return _get(lambda: f"{target.path}/{ids[next(counter) % len(ids)]}")


async def run_wrk(
    port: int, target: Target, seconds: float, connections: int = CONCURRENCY
) -> dict[str, float]:
    """One wrk segment against ``target``; the figures its done() hook printed."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        script, ids = Path(scratch) / "bench.lua", Path(scratch) / "ids.txt"
        script.write_text(WRK_LUA)
        ids.write_text("\n".join(target.ids) + "\n")
        env = {**os.environ, "BENCH_PATH": target.path, "BENCH_METHOD": target.method}
        env["BENCH_BODY"] = BODY.decode()
        env |= {"BENCH_IDS": str(ids)} if target.ids else {}
        argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--timeout=10s"]
        argv += ["-s", str(script), f"http://127.0.0.1:{port}"]
        process = await asyncio.create_subprocess_exec(
            *argv, env=env, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await process.communicate()
    line = next(x for x in out.decode().splitlines() if x.startswith("BENCH_WRK "))
    figures: dict[str, float] = json.loads(line.removeprefix("BENCH_WRK "))
    return figures


async def measure_segment(
    port: int, target: Target, seconds: float, samples: Samples, connections: int
) -> None:
    """Measure one segment of ``seconds`` into ``samples`` with the generator."""
    if GENERATOR == "wrk":
        figures = await run_wrk(port, target, seconds, connections)
        samples.wrk.append(figures)
        samples.errors += int(figures["status"] + figures["socket"])
        samples.seconds += figures["duration_us"] / 1e6
        return
    started = time.perf_counter()
    deadline = started + seconds
    make = python_request(target)
    samples.errors += await _drive(port, make, deadline, samples.latencies, connections)
    samples.seconds += time.perf_counter() - started


async def load(
    port: int,
    target: Target,
    seconds: float,
    samples: Samples,
    connections: int = CONCURRENCY,
) -> None:
    """Warm up, then measure one segment of ``seconds`` into ``samples``."""
    await measure_segment(port, target, WARMUP_S, Samples(), connections)
    await measure_segment(port, target, seconds, samples, connections)


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
    ids = tuple(await seed_orders(settings, 2000))
    requests = {
        "layered": {
            "GET": Target("GET", "/orders", ids),
            "POST": Target("POST", "/orders"),
        },
        "bare": {
            "GET": Target("GET", "/bare/orders", ids),
            "POST": Target("POST", "/bare/orders"),
        },
    }
    samples = {(app, verb): Samples() for app in requests for verb in ("GET", "POST")}
    port = infra.free_port()
    for _ in range(ROUNDS):
        for app, (args, app_env) in _servers(env, port).items():
            with server(args, app_env, port):
                for verb, target in requests[app].items():
                    loads.append(os.getloadavg()[0])
                    await load(port, target, DURATION_S / ROUNDS, samples[app, verb])
    args, app_env = _servers(env, port)["bare"]
    with server(args, app_env, port):
        saturation = samples["saturation", "GET"] = Samples()
        bare_get = requests["bare"]["GET"]
        await load(port, bare_get, DURATION_S / ROUNDS, saturation, 2 * CONCURRENCY)
    names = {
        ("layered", "GET"): "GET /orders/{id} (layered)",
        ("bare", "GET"): "GET /bare/orders/{id} (bare)",
        ("layered", "POST"): "POST /orders (layered)",
        ("bare", "POST"): "POST /bare/orders (bare)",
        ("saturation", "GET"): f"GET /bare/orders/{{id}} (bare, {2 * CONCURRENCY} c.)",
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
    gain = http_results[4].rps / http_results[1].rps
    print(f"\nload generator: {GENERATOR}, {CONCURRENCY} connections")
    print(f"GET layered/bare throughput ratio: {ratio:.2f} (target >= 0.6)")
    verdict = "saturated" if gain <= SATURATION_GAIN else "NOT saturated: unreliable"
    doubled = f"bare GET at {2 * CONCURRENCY} vs {CONCURRENCY} connections"
    print(f"{doubled}: {gain:.2f}x ({verdict})")
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
        "generator": GENERATOR,
        "saturation_gain_2x_connections": round(gain, 3),
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
