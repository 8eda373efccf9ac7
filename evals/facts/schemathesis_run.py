"""schemathesis against the running app, from the harness side (``api.abuse``).

The app's OpenAPI document is written to a file and ``python -m schemathesis.cli run`` is
started with the harness's interpreter (the harness is trusted; only the app is
sandboxed), pointed at the app's base URL, with a fixed seed, a bounded number of examples
per operation, no example database and a wall-time bound. Its NDJSON event stream is
parsed into failures: ``not_a_server_error`` failures are 5xx findings, every other check
(status code, content type, response schema) is a conformance note.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.model import clean_line
from evals.procs import run

SEED = 20261206
MAX_EXAMPLES = 25
WORKERS = 1
REQUEST_TIMEOUT_S = 10.0
TIMEOUT_S = 45.0
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
SERVER_ERROR_CHECK = "not_a_server_error"
PHASES = "examples,coverage,fuzzing"
TRIM = 200


@dataclass(frozen=True)
class StFailure:
    """One failed schemathesis check on one test case.

    Attributes:
        operation: ``METHOD /path``.
        check: The check's name (``not_a_server_error``).
        title: Its title and message (``Undocumented status code: Received: 500 ...``).
        request: The request, one trimmed line.
        response: The response status and body, one trimmed line.
    """

    operation: str
    check: str
    title: str
    request: str
    response: str


@dataclass
class StRun:
    """What one schemathesis run found.

    Attributes:
        cases: Test cases generated and sent.
        failures: Failed checks, in the order they were reported.
        errors: Errors schemathesis reported (network errors, schema problems), one line each.
        problem: Why the run is incomplete (timed out, did not start); empty when complete.
    """

    cases: int = 0
    failures: list[StFailure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    problem: str = ""

    @property
    def server_errors(self) -> list[StFailure]:
        """The 5xx failures."""
        return [f for f in self.failures if f.check == SERVER_ERROR_CHECK]


def trimmed(text: str, limit: int = TRIM) -> str:
    """``text`` as one safe line of at most ``limit`` characters."""
    line = clean_line(text)
    return line if len(line) <= limit else f"{line[:limit]}... ({len(line)} chars)"


def _payload(node: object) -> str:
    """A recorded body (``{"$base64": ...}``) as text."""
    if not isinstance(node, dict) or not isinstance(node.get("$base64"), str):
        return ""
    try:
        return base64.b64decode(node["$base64"]).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""


def describe_interaction(interaction: object) -> tuple[str, str]:
    """The request and the response of a recorded interaction, one trimmed line each."""
    record = interaction if isinstance(interaction, dict) else {}
    request = record.get("request") or {}
    response = record.get("response") or {}
    body = _payload(request.get("body"))
    sent = f"{request.get('method', '?')} {request.get('uri', '?')}" + (
        f" body {body}" if body else ""
    )
    answer = f"{response.get('status_code', 'no response')} {_payload(response.get('content'))}"
    return trimmed(sent), trimmed(answer)


def _failure(label: str, check: dict[str, Any], interaction: object) -> StFailure:
    """One failed check as a :class:`StFailure`."""
    info = (check.get("failure_info") or {}).get("failure") or {}
    title = " ".join(str(info.get(k) or "") for k in ("code", "title", "message")).strip()
    request, response = describe_interaction(interaction)
    operation = str(info.get("operation") or label)
    return StFailure(operation, str(check.get("name")), trimmed(title), request, response)


def scenario_failures(recorder: dict[str, Any]) -> Iterator[StFailure]:
    """The failed checks of one finished scenario's recorder."""
    label = str(recorder.get("label", "?"))
    interactions = recorder.get("interactions") or {}
    for case_id, checks in (recorder.get("checks") or {}).items():
        for check in checks if isinstance(checks, list) else []:
            if isinstance(check, dict) and check.get("status") == "failure":
                yield _failure(label, check, interactions.get(case_id))


def _apply_event(result: StRun, event: dict[str, Any]) -> None:
    """Add one NDJSON event to ``result``."""
    scenario = event.get("ScenarioFinished")
    if isinstance(scenario, dict):
        recorder = scenario.get("recorder") or {}
        result.cases += len(recorder.get("interactions") or {})
        result.failures.extend(scenario_failures(recorder))
    error = event.get("NonFatalError") or event.get("FatalError")
    if isinstance(error, dict):
        info = json.dumps(error.get("info", error), default=str)
        result.errors.append(trimmed(f"{error.get('label', 'schemathesis')}: {info}"))


def parse_events(text: str) -> StRun:
    """A :class:`StRun` from schemathesis's NDJSON events (a partial stream is fine)."""
    result = StRun()
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line cut short by a timeout
        if isinstance(event, dict):
            _apply_event(result, event)
    return result


def st_argv(schema: Path, base_url: str, events: Path) -> list[str]:
    """The schemathesis command line: bounded, seeded, reporting NDJSON events."""
    return [
        sys.executable, "-m", "schemathesis.cli", "run", str(schema), "--url", base_url,
        "--checks", ",".join(CHECKS), "--phases", PHASES,
        "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
        "--generation-database", "none", "--workers", str(WORKERS),
        "--request-timeout", str(REQUEST_TIMEOUT_S), "--no-color",
        "--report", "ndjson", "--report-ndjson-path", str(events),
    ]  # fmt: skip


def st_env() -> dict[str, str]:
    """The harness's environment without proxies: the app is on 127.0.0.1."""
    proxies = {"http_proxy", "https_proxy", "all_proxy"}
    env = {k: v for k, v in os.environ.items() if k.lower() not in proxies}
    return {**env, "NO_PROXY": "*", "no_proxy": "*"}


def _prepare(workdir: Path, doc: dict[str, Any]) -> None:
    """Create ``workdir`` with the document in it and no events of an earlier run."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "openapi.json").write_text(json.dumps(doc), encoding="utf-8")
    (workdir / "events.ndjson").unlink(missing_ok=True)


async def run_schemathesis(doc: dict[str, Any], base_url: str, workdir: Path) -> StRun:
    """Run schemathesis on the app at ``base_url`` described by ``doc``; what it found."""
    schema, events = workdir / "openapi.json", workdir / "events.ndjson"
    await asyncio.to_thread(_prepare, workdir, doc)
    argv = st_argv(schema, base_url, events)
    done = await run(argv, cwd=workdir, env=st_env(), timeout_s=TIMEOUT_S)
    text = events.read_text(encoding="utf-8", errors="replace") if events.is_file() else ""
    result = parse_events(text)
    if done.timed_out:
        result.problem = f"schemathesis did not finish within {TIMEOUT_S:g} s (partial results)"
    elif not text:
        result.problem = f"schemathesis did not run: {trimmed(done.tail(5))}"
    return result
