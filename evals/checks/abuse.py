"""``api.abuse``: hostile input never gets a 5xx, a hang or a dropped connection.

Two sources of hostile requests, both built from the running app's OpenAPI document:
the targeted requests of :mod:`evals.facts.hostile` (about 200 for a small service),
sent by a few workers that each hold one keep-alive connection, and schemathesis
(:mod:`evals.facts.schemathesis_run`, seeded and bounded). A 4xx is always fine; a 5xx,
a request that times out, a connection dropped without an answer, and a keep-alive
connection the server closes after answering without saying ``Connection: close`` (the
client's next request on it fails) are findings. schemathesis's conformance failures
(undocumented status, response schema) are notes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from evals.checks.build import INSTALL_ITEM
from evals.context import CheckContext
from evals.evaluation_contract import EVALUATION
from evals.facts.hostile import HostileRequest, hostile_requests
from evals.facts.openapi import OPENAPI, JsonObject, operations
from evals.facts.schemathesis_run import SERVER_ERROR_CHECK, StRun, run_schemathesis, trimmed
from evals.facts.server import LIVE_SERVER, RunningServer
from evals.model import Finding, Outcome, Status
from evals.registry import check

WORKERS = 4
REQUEST_TIMEOUT_S = 10.0
BUDGET_S = 90.0
CLOSE_GRACE_S = 0.02
MAX_FINDINGS = 20
MAX_NOTES = 10
FOLLOW_UP_PATHS = (EVALUATION.health_live, "/healthz", "/health", "/openapi.json")
JSON_HEADERS = {"content-type": "application/json"}
SERVER_ERROR = 500


@dataclass(frozen=True)
class Probe:
    """What one hostile request got.

    Attributes:
        request: The request.
        status: The status code, or None when there was no answer.
        body: The response body, trimmed to one line.
        error: ``timeout``, or the transport error's name when there was no answer.
        dropped: How the keep-alive connection broke after the answer; empty when it held.
    """

    request: HostileRequest
    status: int | None = None
    body: str = ""
    error: str = ""
    dropped: str = ""

    @property
    def kind(self) -> str:
        """``5xx``, ``hang``, ``dropped`` or empty (a fine answer)."""
        if self.error == "timeout":
            return "hang"
        if self.error or self.dropped:
            return "dropped"
        return "5xx" if self.status is not None and self.status >= SERVER_ERROR else ""


def follow_up_path(doc: JsonObject) -> str:
    """A cheap GET for the second request on a connection: a health path if documented."""
    documented = {op.path for op in operations(doc) if op.method == "GET" and op.parameterless}
    return next((p for p in FOLLOW_UP_PATHS if p in documented), "/openapi.json")


def announces_close(response: httpx.Response) -> bool:
    """Whether the response says the server will close the connection."""
    return "close" in response.headers.get("connection", "").lower()


async def keep_alive_broken(client: httpx.AsyncClient, response: httpx.Response, path: str) -> str:
    """How the connection ``response`` came on broke, or an empty string when it held.

    The server must not close it after answering unless it said ``Connection: close``:
    the socket is checked for an end of stream, then ``path`` is requested on it.
    """
    if announces_close(response):
        return ""
    await asyncio.sleep(CLOSE_GRACE_S)
    stream = response.extensions.get("network_stream")
    if stream is not None and stream.get_extra_info("is_readable"):
        return (
            "the server closed the keep-alive connection after answering, without Connection: close"
        )
    try:
        await client.get(path)
    except httpx.HTTPError as exc:
        return f"the next request on the same connection (GET {path}) failed: {type(exc).__name__}"
    return ""


async def send(client: httpx.AsyncClient, request: HostileRequest, path: str) -> Probe:
    """Send one hostile request, then check its connection with a follow-up on it."""
    headers = JSON_HEADERS if request.content is not None else {}
    try:
        response = await client.request(
            request.method, request.target, content=request.content, headers=headers
        )
    except httpx.TimeoutException:
        return Probe(request, error="timeout")
    except httpx.HTTPError as exc:
        return Probe(request, error=type(exc).__name__)
    dropped = await keep_alive_broken(client, response, path)
    return Probe(request, response.status_code, trimmed(response.text), dropped=dropped)


async def _worker(
    server: RunningServer, requests: list[HostileRequest], path: str, deadline: float
) -> list[Probe]:
    """Send ``requests`` one after another on one keep-alive connection, until ``deadline``."""
    probes = []
    async with server.client(timeout_s=REQUEST_TIMEOUT_S, connections=1) as client:
        for request in requests:
            if time.monotonic() >= deadline:
                break
            probes.append(await send(client, request, path))
    return probes


async def probe_all(
    server: RunningServer, requests: list[HostileRequest], path: str
) -> list[Probe]:
    """Send every request with :data:`WORKERS` connections in parallel, within the budget."""
    deadline = time.monotonic() + BUDGET_S
    shares = [requests[i::WORKERS] for i in range(WORKERS)]
    results = await asyncio.gather(*(_worker(server, s, path, deadline) for s in shares))
    return [probe for share in results for probe in share]


def describe(request: HostileRequest) -> str:
    """The request as one trimmed line: method, target and body."""
    body = request.content.decode("utf-8", errors="replace") if request.content else ""
    sent = f"{request.method} {trimmed(request.target, 160)}"
    return sent + (f" body {trimmed(body, 160)}" if body else "")


def probe_finding(probe: Probe) -> Finding:
    """The finding of a probe that went wrong (its :attr:`Probe.kind` is not empty)."""
    request = probe.request
    where = f"{request.label}: {request.what}"
    if probe.kind == "hang":
        outcome = f"no answer within {REQUEST_TIMEOUT_S:g} s (a hang)"
    elif probe.error:
        outcome = f"no answer: the connection was dropped ({probe.error})"
    elif probe.dropped:
        outcome = f"answered {probe.status} {probe.body}, then {probe.dropped}"
    else:
        outcome = f"answered {probe.status} (a server error): {probe.body}"
    return Finding(f"{where} -> {outcome}; request: {describe(request)}")


def st_findings(run: StRun) -> tuple[list[Finding], list[Finding]]:
    """The 5xx schemathesis found as findings; other failures, errors and problems as notes."""
    findings: list[Finding] = []
    notes: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for failure in run.failures:
        key = (failure.operation, failure.check, failure.title.split(":")[0])
        if key in seen:
            continue
        seen.add(key)
        found = f"schemathesis {failure.check} on {failure.operation}: {failure.title}"
        text = f"{found}; request: {failure.request}; response: {failure.response}"
        (findings if failure.check == SERVER_ERROR_CHECK else notes).append(Finding(text))
    notes += [Finding(f"schemathesis error: {error}") for error in dict.fromkeys(run.errors)]
    return findings, notes + ([Finding(run.problem)] if run.problem else [])


def capped_list(findings: list[Finding], limit: int, what: str) -> list[Finding]:
    """``findings`` without duplicates, at most ``limit`` of them, then how many were left out."""
    unique = list(dict.fromkeys(findings))
    if len(unique) <= limit:
        return unique
    return [*unique[:limit], Finding(f"... and {len(unique) - limit} more {what} not shown")]


def metrics_of(probes: list[Probe], planned: int, run: StRun) -> dict[str, float | int | str]:
    """The item's counts (a 5xx that also dropped its connection counts as both)."""
    return {
        "requests_planned": planned,
        "requests_sent": len(probes),
        "server_errors": sum(1 for p in probes if (p.status or 0) >= SERVER_ERROR),
        "hangs": sum(1 for p in probes if p.kind == "hang"),
        "dropped_connections": sum(1 for p in probes if p.kind == "dropped"),
        "schemathesis_cases": run.cases,
        "schemathesis_server_errors": len(run.server_errors),
        "schemathesis_conformance_failures": len(run.failures) - len(run.server_errors),
    }


def verdict(probes: list[Probe], planned: int, run: StRun) -> Outcome:
    """FAIL on any 5xx, hang or dropped connection; PASS (with notes) otherwise."""
    st_found, notes = st_findings(run)
    findings = [probe_finding(p) for p in probes if p.kind] + st_found
    if len(probes) < planned:
        notes.append(
            Finding(
                f"{planned - len(probes)} of {planned} hostile requests not sent"
                f" within {BUDGET_S:g} s"
            )
        )
    metrics = metrics_of(probes, planned, run)
    shown = capped_list(findings, MAX_FINDINGS, "findings") + capped_list(notes, MAX_NOTES, "notes")
    if findings:
        count = len(dict.fromkeys(findings))
        return Outcome.failed(
            f"{count} hostile requests got a 5xx, a hang or a dropped connection", shown, **metrics
        )
    reason = run.problem or (f"{len(notes)} conformance note(s)" if notes else "")
    return Outcome(Status.PASS, reason, tuple(shown), metrics)


@check("api.abuse", requires=(INSTALL_ITEM,))
async def abuse(ctx: CheckContext) -> Outcome:
    """Hostile input (targeted requests and schemathesis) never gets a 5xx, a hang or a drop."""
    server = await ctx.fact(LIVE_SERVER)
    doc = await ctx.fact(OPENAPI)
    if not operations(doc):
        return Outcome.skipped("the OpenAPI document lists no operations")
    requests = hostile_requests(doc)
    workdir = ctx.facts.options.workdir / "abuse"
    async with server.gate.shared():
        probes = await probe_all(server, requests, follow_up_path(doc))
        run = await run_schemathesis(doc, server.base_url, workdir)
    return verdict(probes, len(requests), run)
