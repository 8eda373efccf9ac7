"""Check of the running app's latency: p95 sequentially and at 32 concurrent clients."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from evals.checks.build import INSTALL_ITEM
from evals.context import CheckContext, FactNotApplicable
from evals.facts.openapi import OPENAPI, JsonObject, operations, resolve_by_id_paths
from evals.facts.server import LIVE_SERVER
from evals.model import Finding, Outcome
from evals.registry import check

SEQUENTIAL_REQUESTS = 200
CLIENTS = 32
REQUESTS_PER_CLIENT = 25
WARMUP_ROUNDS = 3
REQUEST_TIMEOUT_S = 30.0
HEALTH_PATHS = ("/health/live", "/health/ready")
SERVER_ERROR = 500
CLIENT_ERROR = 400
MAX_HEAD = 1 << 20


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank ``pct`` percentile of ``values`` (0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Measurement:
    """Latencies and failures of a batch of requests.

    Attributes:
        latencies_ms: One entry per answered request.
        by_path: The same latencies grouped by path.
        failures: ``GET path -> status or error`` counts for 5xx and transport errors.
        elapsed_s: Wall-clock time of the batch.
    """

    latencies_ms: list[float] = field(default_factory=list)
    by_path: dict[str, list[float]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0

    @property
    def requests(self) -> int:
        """Requests sent."""
        return len(self.latencies_ms) + sum(self.failures.values())


class LoadConnection:
    """A lean keep-alive HTTP/1.1 connection for load generation.

    The harness shares the machine's cores with the app, so the load generator must cost
    far less per request than a full-featured client (httpx spends about 2 ms of CPU per
    request, which the app would otherwise get): it writes a minimal GET and reads the
    status, headers and body (Content-Length or chunked).
    """

    def __init__(self, base_url: str) -> None:
        """Prepare a connection to ``base_url`` (``http://host:port``); opened on first use."""
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> int:
        """Send ``GET path`` and read the whole response; returns its status code.

        Raises:
            OSError: If the connection fails.
            ValueError: If the response is not HTTP/1.1.
            asyncio.IncompleteReadError: If the app closes the connection mid-response.
        """
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port, limit=MAX_HEAD)
        reader, writer = self._streams
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode("latin-1"))
        await writer.drain()
        status, headers = parse_head(await reader.readuntil(b"\r\n\r\n"))
        await read_body(reader, headers)
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status

    async def close(self) -> None:
        """Close the connection (a later request reconnects)."""
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """The status code and lower-cased headers of a response head.

    Raises:
        ValueError: If the status line is malformed.
    """
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> None:
    """Read (and discard) a response body framed by Content-Length or chunked encoding."""
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
        return
    if headers.get("transfer-encoding", "").lower() != "chunked":
        return
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16):
        await reader.readexactly(size + 2)
    while (await reader.readuntil(b"\r\n")) != b"\r\n":
        continue


async def timed_get(connection: LoadConnection, path: str, into: Measurement) -> int | None:
    """GET ``path``, recording its latency, or a failure for a 5xx or a transport error."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            status = await connection.get(path)
    except (OSError, ValueError, IndexError, TimeoutError, asyncio.IncompleteReadError) as exc:
        await connection.close()
        into.failures[f"GET {path} -> {type(exc).__name__}"] += 1
        return None
    if status >= SERVER_ERROR:
        into.failures[f"GET {path} -> {status}"] += 1
        return status
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    into.latencies_ms.append(elapsed_ms)
    into.by_path.setdefault(path, []).append(elapsed_ms)
    return status


async def sequential(base_url: str, paths: list[str], count: int) -> Measurement:
    """``count`` requests one at a time on one connection, cycling through ``paths``."""
    result = Measurement()
    connection = LoadConnection(base_url)
    started = time.perf_counter()
    for index in range(count):
        await timed_get(connection, paths[index % len(paths)], result)
    result.elapsed_s = time.perf_counter() - started
    await connection.close()
    return result


async def concurrent(base_url: str, paths: list[str], clients: int, each: int) -> Measurement:
    """``clients`` concurrent connections sending ``each`` requests, cycling through ``paths``."""
    result = Measurement()

    async def loop(offset: int) -> None:
        connection = LoadConnection(base_url)
        for index in range(each):
            await timed_get(connection, paths[(offset + index) % len(paths)], result)
        await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(loop(offset) for offset in range(clients)))
    result.elapsed_s = time.perf_counter() - started
    return result


def candidate_paths(doc: JsonObject, by_id: dict[str, str]) -> list[str]:
    """Health paths, parameterless GETs and filled GET-by-id paths, without duplicates."""
    paths = list(HEALTH_PATHS)
    paths += [op.path for op in operations(doc) if op.method == "GET" and op.parameterless]
    paths += list(by_id.values())
    return list(dict.fromkeys(paths))


async def usable_paths(
    base_url: str, candidates: list[str], warmup: Measurement
) -> tuple[list[str], list[str]]:
    """Candidates that answer below 400 (5xx are recorded in ``warmup``) and notes on others."""
    usable, notes = [], []
    connection = LoadConnection(base_url)
    for path in candidates:
        status = await timed_get(connection, path, warmup)
        if status is not None and status < CLIENT_ERROR:
            usable.append(path)
        elif status is not None and status < SERVER_ERROR:
            notes.append(f"GET {path} answered {status}: left out of the measurement")
    await connection.close()
    return usable, notes


async def _document(ctx: CheckContext) -> JsonObject:
    """The OpenAPI document, or an empty one (health paths only) when there is none."""
    try:
        return await ctx.fact(OPENAPI)
    except FactNotApplicable:
        return {}


def _failure_findings(*batches: Measurement) -> list[Finding]:
    """One finding per failing ``GET path -> status`` with its count."""
    total: Counter[str] = Counter()
    for batch in batches:
        total.update(batch.failures)
    return [Finding(f"{what} ({count}x)") for what, count in total.most_common()]


def _metrics(seq: Measurement, conc: Measurement, endpoints: int) -> dict[str, float | int]:
    """The figures recorded in the report."""
    rps = conc.requests / conc.elapsed_s if conc.elapsed_s else 0.0
    return {
        "p95_sequential_ms": round(percentile(seq.latencies_ms, 95), 1),
        "p95_concurrent_ms": round(percentile(conc.latencies_ms, 95), 1),
        "p50_concurrent_ms": round(percentile(conc.latencies_ms, 50), 1),
        "p99_concurrent_ms": round(percentile(conc.latencies_ms, 99), 1),
        "requests_per_s_concurrent": round(rps, 1),
        "requests": seq.requests + conc.requests,
        "endpoints": endpoints,
        "clients": CLIENTS,
    }


def slowest(conc: Measurement, count: int = 2) -> str:
    """The ``count`` paths with the highest concurrent p95, e.g. ``GET /a p95 210 ms``."""
    p95s = {path: percentile(values, 95) for path, values in conc.by_path.items()}
    ranked = sorted(p95s.items(), key=lambda item: item[1], reverse=True)[:count]
    return ", ".join(f"GET {path} p95 {value:.0f} ms" for path, value in ranked)


def verdict(
    threshold: float, seq: Measurement, conc: Measurement, paths: list[str], notes: list[str]
) -> Outcome:
    """Fail on server errors or a concurrent p95 at or above ``threshold`` ms."""
    metrics = _metrics(seq, conc, len(paths))
    findings = _failure_findings(seq, conc) + [Finding(n) for n in notes]
    p95 = float(metrics["p95_concurrent_ms"])
    if seq.failures or conc.failures:
        return Outcome.failed("requests failed under load", findings, **metrics)
    if p95 >= threshold:
        reason = f"p95 at {CLIENTS} concurrent clients is {p95:g} ms (>= {threshold:g} ms)"
        findings.insert(0, Finding(f"slowest under load: {slowest(conc)}"))
        return Outcome.failed(reason, findings, **metrics)
    measured = "measured " + ", ".join(paths)
    return Outcome.passed("; ".join([measured, *notes]), **metrics)


async def measured_paths(
    client: httpx.AsyncClient, doc: JsonObject, warmup: Measurement
) -> tuple[list[str], list[str]]:
    """The paths to measure (ids filled from list responses) and notes on how they were found."""
    by_id = await resolve_by_id_paths(client, doc) if doc else None
    filled = by_id.paths if by_id else {}
    base_url = str(client.base_url).rstrip("/")
    paths, notes = await usable_paths(base_url, candidate_paths(doc, filled), warmup)
    if by_id:
        notes = by_id.notes + [f"{k} not measured: {v}" for k, v in by_id.unfilled.items()] + notes
    return paths, notes


@check("perf.latency", requires=(INSTALL_ITEM,))
async def latency(ctx: CheckContext) -> Outcome:
    """p95 latency at 32 concurrent clients is under the threshold, with no server errors."""
    server = await ctx.fact(LIVE_SERVER)
    doc = await _document(ctx)
    warmup = Measurement()
    async with server.gate.exclusive():
        async with server.client(REQUEST_TIMEOUT_S) as client:
            paths, notes = await measured_paths(client, doc, warmup)
        if not paths:
            findings = _failure_findings(warmup) + [Finding(n) for n in notes]
            return Outcome.failed("no endpoint to measure answered below 400", findings)
        await concurrent(server.base_url, paths, CLIENTS, WARMUP_ROUNDS)
        seq = await sequential(server.base_url, paths, SEQUENTIAL_REQUESTS)
        conc = await concurrent(server.base_url, paths, CLIENTS, REQUESTS_PER_CLIENT)
    seq.failures.update(warmup.failures)
    return verdict(ctx.threshold, seq, conc, paths, notes)
