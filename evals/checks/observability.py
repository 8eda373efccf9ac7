"""Checks of the running app's logs: JSON lines, access fields and correlation ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

from evals.checks.build import INSTALL_ITEM
from evals.context import CheckContext, FactNotApplicable
from evals.evaluation_contract import EVALUATION
from evals.facts.openapi import OPENAPI, operations
from evals.facts.server import LIVE_SERVER, RunningServer, parse_json_line
from evals.model import Finding, Outcome
from evals.registry import check

HEADER = EVALUATION.correlation_header
LOG_WAIT_S = 5.0
FALLBACK_PATH = EVALUATION.health_live
MAX_LINE_FINDINGS = 5
MAX_QUOTED_CHARS = 160

# Accepted spellings of each structured field (compared with the last dotted key segment).
BASE_FIELDS: dict[str, frozenset[str]] = {
    "level": frozenset({"level", "levelname", "severity", "lvl", "log_level", "loglevel"}),
    "message": frozenset({"message", "msg", "event", "@message"}),
    "timestamp": frozenset(
        {"timestamp", "time", "ts", "@timestamp", "asctime", "datetime", "date", "created"}
    ),
}
ACCESS_FIELDS: dict[str, frozenset[str]] = {
    "method": frozenset({"method", "http_method", "request_method", "verb"}),
    "path": frozenset({"path", "url", "route", "request_path", "uri", "endpoint", "target"}),
    "status": frozenset({"status", "status_code", "http_status", "response_status", "code"}),
    "duration": frozenset(
        {
            "duration", "duration_ms", "duration_s", "elapsed", "elapsed_ms", "latency",
            "latency_ms", "process_time", "response_time", "took", "took_ms", "request_time",
            "time_ms", "duration_seconds",
        }
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Probe:
    """One request sent with a fresh correlation id, and what came of it.

    Attributes:
        path: The path requested.
        correlation_id: The id sent.
        echoed: The ``X-Correlation-ID`` response header (empty when absent).
        since: Log offset before the request.
        lines: Log lines (JSON or not) that contain the id.
        error: Transport error, when the request failed.
    """

    path: str
    correlation_id: str
    echoed: str
    since: int
    lines: tuple[str, ...]
    error: str = ""


def flatten(obj: dict[str, object], prefix: str = "") -> dict[str, object]:
    """Nested objects flattened to dotted keys (lower-case)."""
    flat: dict[str, object] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}".lower()
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def missing_fields(obj: dict[str, object], fields: dict[str, frozenset[str]]) -> list[str]:
    """The names in ``fields`` that ``obj`` has under none of their accepted spellings."""
    keys = {key.rsplit(".", 1)[-1] for key in flatten(obj)}
    return [name for name, spellings in fields.items() if not keys & spellings]


def contains_value(obj: object, needle: str) -> bool:
    """Whether any string in the JSON value ``obj`` contains ``needle``."""
    if isinstance(obj, str):
        return needle in obj
    if isinstance(obj, dict):
        return any(contains_value(v, needle) for v in obj.values())
    if isinstance(obj, list):
        return any(contains_value(v, needle) for v in obj)
    return False


async def probe_path(ctx: CheckContext) -> str:
    """A parameterless GET path that is not a health probe (apps may not log those)."""
    try:
        doc = await ctx.fact(OPENAPI)
    except FactNotApplicable:
        return FALLBACK_PATH
    paths = [op.path for op in operations(doc) if op.method == "GET" and op.parameterless]
    business = [p for p in paths if "health" not in p.lower()]
    return (business or paths or [FALLBACK_PATH])[0]


async def send_probe(server: RunningServer, path: str) -> Probe:
    """GET ``path`` with a new correlation id and collect the log lines naming it."""
    correlation_id = str(uuid.uuid4())
    async with server.gate.shared(), server.client() as client:
        since = server.log.size()
        try:
            response = await client.get(path, headers={HEADER: correlation_id})
        except httpx.HTTPError as exc:
            return Probe(path, correlation_id, "", since, (), type(exc).__name__)
    lines = await server.log.wait_for(correlation_id, since, LOG_WAIT_S)
    echoed = response.headers.get(HEADER, "")
    return Probe(path, correlation_id, echoed, since, tuple(lines))


def _quote(line: str) -> str:
    """A log line shortened for a finding."""
    return line if len(line) <= MAX_QUOTED_CHARS else line[: MAX_QUOTED_CHARS - 3] + "..."


def correlation_findings(probe: Probe) -> list[Finding]:
    """How the app fell short of echoing and logging the probe's correlation id."""
    if probe.error:
        return [Finding(f"GET {probe.path} failed: {probe.error}")]
    findings = []
    if probe.echoed != probe.correlation_id:
        got = repr(probe.echoed) if probe.echoed else "no header"
        findings.append(Finding(f"GET {probe.path}: {HEADER} not echoed ({got})"))
    objects = [parse_json_line(line) for line in probe.lines]
    if not any(o is not None and contains_value(o, probe.correlation_id) for o in objects):
        where = f"only in non-JSON lines: {_quote(probe.lines[0])}" if probe.lines else "nowhere"
        findings.append(Finding(f"the correlation id appears in no JSON log line ({where})"))
    return findings


@check("logging.correlation_id", requires=(INSTALL_ITEM,))
async def correlation_id(ctx: CheckContext) -> Outcome:
    """A request's X-Correlation-ID is echoed on the response and logged in a JSON line."""
    server = await ctx.fact(LIVE_SERVER)
    probe = await send_probe(server, await probe_path(ctx))
    findings = correlation_findings(probe)
    return Outcome.from_findings(findings, "correlation id problems")


def line_findings(lines: list[str]) -> tuple[list[Finding], int]:
    """Non-JSON lines and JSON lines without level/message/timestamp; and the JSON count."""
    findings = []
    json_lines = 0
    for line in lines:
        obj = parse_json_line(line)
        if obj is None:
            findings.append(Finding(f"log line is not a JSON object: {_quote(line)}"))
            continue
        json_lines += 1
        missing = missing_fields(obj, BASE_FIELDS)
        if missing:
            findings.append(Finding(f"JSON log line lacks {', '.join(missing)}: {_quote(line)}"))
    return findings, json_lines


def access_findings(probe: Probe) -> list[Finding]:
    """Whether the probe request produced a JSON access line with the access fields."""
    objects = [o for o in map(parse_json_line, probe.lines) if o is not None]
    for obj in objects:
        if not missing_fields(obj, ACCESS_FIELDS):
            return []
    best = min((missing_fields(o, ACCESS_FIELDS) for o in objects), key=len, default=None)
    detail = f"closest line lacks {', '.join(best)}" if best else "no JSON line for the request"
    return [Finding(f"no access log line with method, path, status and duration ({detail})")]


@check("logging.structured", requires=(INSTALL_ITEM,))
async def structured_logging(ctx: CheckContext) -> Outcome:
    """Request-time log lines are JSON with level/message/timestamp; access lines have fields."""
    server = await ctx.fact(LIVE_SERVER)
    probe = await send_probe(server, await probe_path(ctx))
    findings, json_lines = line_findings(server.log.lines(server.ready_offset))
    shown = findings[:MAX_LINE_FINDINGS]
    if len(findings) > MAX_LINE_FINDINGS:
        shown.append(Finding(f"... and {len(findings) - MAX_LINE_FINDINGS} more such lines"))
    shown += access_findings(probe)
    if not json_lines:
        shown.append(Finding("the app wrote no JSON log line while serving requests"))
    return Outcome.from_findings(shown, "logging problems", json_lines=json_lines)
