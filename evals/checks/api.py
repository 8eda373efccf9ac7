"""Checks of the running app's HTTP API: health, status codes, validation, errors, models."""

from __future__ import annotations

import ast
import asyncio
import re
import time
from typing import Any

import httpx

from evals.checks.build import INSTALL_ITEM
from evals.context import CheckContext, FactNotApplicable
from evals.evaluation_contract import EVALUATION
from evals.facts.layout import LAYOUT, ProjectLayout
from evals.facts.openapi import (
    OPENAPI,
    JsonObject,
    Operation,
    by_id_gets,
    example_of,
    fill_path,
    missing_path,
    operations,
    request_media,
    resolve,
    responses,
    success_media,
)
from evals.facts.openapi_values import is_enumerated, plain_schema, schema_check
from evals.facts.server import LIVE_SERVER, SERVER, RunningServer
from evals.facts.source import PYTHON_MODULES, PythonModule
from evals.model import Finding, Outcome, Status
from evals.registry import check

LIVE_PATH = EVALUATION.health_live
READY_PATH = EVALUATION.health_ready
READY_WAIT_S = 20.0
READY_RETRY_S = 1.0
LIVE_HINT = re.compile(r"live|alive|ping|health", re.IGNORECASE)
READY_HINT = re.compile(r"ready|readiness|health", re.IGNORECASE)
ACTION_WORDS = frozenset(
    {
        "cancel", "confirm", "approve", "reject", "pay", "ship", "complete", "retry", "refresh",
        "search", "query", "login", "logout", "token", "validate", "verify", "activate",
        "deactivate", "archive", "restore", "publish", "close", "reopen", "refund", "send",
        "resend", "reset", "transition", "execute", "run", "trigger", "check", "preview",
        "release", "reserve", "hold", "lock", "unlock", "assign", "unassign", "accept",
        "decline", "start", "stop", "pause", "resume", "expire", "renew", "capture", "void",
        "settle", "fulfil", "fulfill", "dispatch", "deliver", "return", "import",
        "export", "sync", "calculate", "estimate", "quote", "simulate",
    }
)  # fmt: skip
CREATE_WORDS = frozenset({"create", "add", "new", "register", "place"})
SINGULAR_ENDINGS = ("ss", "us", "is")
CREATE_CODES = frozenset({"201", "202"})
WRONG_TYPE_VALUES: dict[str, Any] = {
    "string": {"evals": ["not", "a", "string"]},
    "integer": "not-an-integer",
    "number": "not-a-number",
    "boolean": "not-a-boolean",
    "array": "not-an-array",
    "object": "not-an-object",
}
WRONG_BODY: list[Any] = ["not", "an", "object"]
UNPROCESSABLE = 422
INVALID_ID = "evals-not-a-valid-id"
ERROR_SUFFIXES = ("Error", "Exception")
HANDLER_METHODS = frozenset({"add_exception_handler", "exception_handler"})
NOT_FOUND = 404


async def _status(client: httpx.AsyncClient, path: str) -> int | str:
    """The status code of ``GET path``, or the transport error's name."""
    try:
        return (await client.get(path)).status_code
    except httpx.HTTPError as exc:
        return type(exc).__name__


async def _status_until_ok(client: httpx.AsyncClient, path: str, wait_s: float) -> int | str:
    """``GET path`` until it answers 200 or ``wait_s`` passes; the last status."""
    deadline = time.monotonic() + wait_s
    status = await _status(client, path)
    while status not in (httpx.codes.OK, NOT_FOUND) and time.monotonic() < deadline:
        await asyncio.sleep(READY_RETRY_S)
        status = await _status(client, path)
    return status


async def _openapi_or_empty(ctx: CheckContext) -> JsonObject:
    """The OpenAPI document, or an empty one when the app serves none."""
    try:
        return await ctx.fact(OPENAPI)
    except FactNotApplicable:
        return {}


async def _substitute(
    client: httpx.AsyncClient, doc: JsonObject, hint: re.Pattern[str], exclude: str
) -> str | None:
    """A documented parameterless GET health path matching ``hint`` that answers 200."""
    for op in operations(doc):
        if op.method != "GET" or not op.parameterless or op.path == exclude:
            continue
        if hint.search(op.path) and await _status(client, op.path) == httpx.codes.OK:
            return op.path
    return None


async def _probe_health(
    ctx: CheckContext, server: RunningServer
) -> tuple[list[Finding], list[Finding]]:
    """Failures and deviations of the liveness and readiness probes."""
    failures: list[Finding] = []
    deviations: list[Finding] = list(server.deviations)
    roles = ((LIVE_PATH, LIVE_HINT, READY_PATH), (READY_PATH, READY_HINT, LIVE_PATH))
    async with server.gate.shared(), server.client() as client:
        for path, hint, other in roles:
            status = await _status_until_ok(client, path, READY_WAIT_S)
            if status == httpx.codes.OK:
                continue
            if status == NOT_FOUND:
                doc = await _openapi_or_empty(ctx)
                substitute = await _substitute(client, doc, hint, other)
                if substitute is not None:
                    deviations.append(Finding(f"{path} is missing; {substitute} answers 200"))
                    continue
            failures.append(Finding(f"GET {path} answered {status}, expected 200"))
    return failures, deviations


def _not_started(server: RunningServer) -> Outcome:
    """The failure outcome of an app that never served."""
    first = server.failure.splitlines()[0]
    findings = [*server.deviations, Finding(server.failure)]
    findings += [Finding(note) for note in server.notes]
    return Outcome.failed(f"the app did not start: {first}", findings)


@check("api.health", requires=(INSTALL_ITEM,))
async def health_endpoints(ctx: CheckContext) -> Outcome:
    """GET /health/live and /health/ready answer 200 with the app on real services.

    Documented health paths stand in for missing contract paths, reported as deviations,
    as is an app served from somewhere other than ``app.main:app``.
    """
    server = await ctx.fact(SERVER)
    if not server.up:
        return _not_started(server)
    failures, deviations = await _probe_health(ctx, server)
    notes = [Finding(note) for note in server.notes]
    if failures:
        return Outcome.failed(failures[0].message, failures + deviations + notes)
    reason = "passes with deviations from the contract" if deviations else ""
    return Outcome(Status.PASS, reason, tuple(deviations + notes))


def _first_word(op: Operation) -> str:
    """The first word of the operation's ``operationId`` or summary, lower-case."""
    text = f"{op.spec.get('operationId', '')} {op.spec.get('summary', '')}".lower()
    return next((w for w in re.split(r"[^a-z]+", text) if w), "")


def _is_plural(word: str) -> bool:
    """Whether a path segment reads as a plural noun (``items``, not ``release``/``status``)."""
    return word.endswith("s") and not word.endswith(SINGULAR_ENDINGS)


def is_create(op: Operation) -> bool:
    """Whether a POST creates a resource in a collection (rather than act on one).

    A POST creates when its path ends in a literal collection segment: ``/orders`` or the
    sub-collection ``/orders/{id}/lines``. It acts when the last segment is a path parameter
    (``/x/{id}``), a custom method (``/x/{id}:cancel``), an action word (``/orders/search``)
    or a singular word after a path parameter (``/reservations/{id}/release``). An
    ``operationId`` or summary starting with create/add/new/register/place makes it a create.
    """
    if op.method != "POST":
        return False
    first_word = _first_word(op)
    if first_word in CREATE_WORDS:
        return True
    segments = [s for s in op.path.split("/") if s]
    last = segments[-1].lower() if segments else ""
    if first_word in ACTION_WORDS or last.startswith("{") or ":" in last or last in ACTION_WORDS:
        return False
    after_parameter = len(segments) > 1 and segments[-2].startswith("{")
    return _is_plural(last) or not after_parameter


def documented_code_findings(doc: JsonObject) -> list[Finding]:
    """Status codes the document should declare but does not."""
    findings = []
    for op in operations(doc):
        codes = set(responses(op))
        if is_create(op) and not codes & CREATE_CODES:
            findings.append(Finding(f"{op.label} creates but declares no 201/202 response"))
        if op.path_params and "404" not in codes and "4XX" not in codes:
            findings.append(Finding(f"{op.label} has a path parameter but documents no 404"))
        if op.spec.get("requestBody") is not None and "422" not in codes and "4XX" not in codes:
            findings.append(Finding(f"{op.label} takes a body but documents no 422"))
    return findings


def declares(op: Operation, status: int) -> bool:
    """Whether ``op`` documents ``status`` (exactly, by its range such as ``4XX``, or default)."""
    codes = {code.upper() for code in responses(op)}
    return bool({str(status), f"{status // 100}XX", "DEFAULT"} & codes)


def judge_status(op: Operation, path: str, observed: int | str, expected: int) -> list[Finding]:
    """How one answer falls short of ``expected``, judged against what ``op`` declares.

    A server error (5xx), a timeout and a dropped connection are always findings.
    """
    where = f"{op.method} {path} ({op.label})"
    if isinstance(observed, str):
        what = "timed out" if "Timeout" in observed else "dropped the connection"
        return [Finding(f"{where} {what} ({observed}), expected {expected}")]
    if observed == expected:
        return []
    if observed >= httpx.codes.INTERNAL_SERVER_ERROR:
        return [Finding(f"{where} answered {observed}, a server error, expected {expected}")]
    undeclared = "" if declares(op, observed) else f" (a status {op.label} does not declare)"
    return [Finding(f"{where} answered {observed}{undeclared}, expected {expected}")]


def not_found_target(op: Operation) -> tuple[str | None, str]:
    """The path that probes ``op`` with ids that do not exist, or None and why not."""
    names = [str(p.get("name")) for p in op.params_in("path")]
    listed = [str(p.get("name")) for p in op.params_in("path") if is_enumerated(p.get("schema"))]
    if listed and len(listed) == len(names):
        reason = f"{{{listed[0]}}} is an enumeration: every value names something"
        return None, f"{op.label} not probed for 404: {reason}"
    path = missing_path(op)
    if path is None:
        reason = "no value satisfies the schema of its path parameter"
        return None, f"{op.label} not probed for 404: {reason}"
    return path, ""


async def unknown_id_findings(
    server: RunningServer, doc: JsonObject
) -> tuple[list[Finding], list[Finding]]:
    """GET-by-id operations that do not answer 404 for an id that does not exist.

    Returns:
        The findings, and notes on operations that could not be probed.
    """
    findings: list[Finding] = []
    notes: list[Finding] = []
    async with server.gate.shared(), server.client() as client:
        for op in by_id_gets(operations(doc)):
            path, note = not_found_target(op)
            if path is None:
                notes.append(Finding(note))
                continue
            findings += judge_status(op, path, await _status(client, path), NOT_FOUND)
    return findings, notes


def findings_and_notes(findings: list[Finding], notes: list[Finding], what: str) -> Outcome:
    """FAIL with ``findings`` (notes after them), else PASS carrying the notes."""
    if findings:
        return Outcome.failed(f"{len(findings)} {what}", findings + notes)
    reason = f"{len(notes)} probe(s) not made" if notes else ""
    return Outcome(Status.PASS, reason, tuple(notes))


@check("api.status_codes", requires=(INSTALL_ITEM,))
async def status_codes(ctx: CheckContext) -> Outcome:
    """Creating POSTs declare 201/202, path parameters 404, bodies 422; unknown ids get 404.

    Unknown ids are values valid under each path parameter's schema; an operation whose
    parameter admits no such value is not probed (a note, not a failure).
    """
    server = await ctx.fact(LIVE_SERVER)
    doc = await ctx.fact(OPENAPI)
    findings = documented_code_findings(doc)
    probed, notes = await unknown_id_findings(server, doc)
    return findings_and_notes(findings + probed, notes, "status code problems")


def body_operations(doc: JsonObject) -> list[tuple[Operation, JsonObject]]:
    """POST/PUT/PATCH operations with a JSON request body, with their body schemas."""
    found = []
    for op in operations(doc):
        media = request_media(doc, op) if op.method in {"POST", "PUT", "PATCH"} else None
        if media is not None:
            found.append((op, media))
    return found


def _value_for(schema: JsonObject) -> str:
    """A plausible valid value for a query parameter schema."""
    if schema.get("enum"):
        return str(schema["enum"][0])
    return {"integer": "1", "number": "1", "boolean": "true"}.get(str(schema.get("type")), "evals")


def request_target(doc: JsonObject, op: Operation) -> tuple[str, dict[str, str]]:
    """A concrete path (unknown ids) and required query parameters for probing ``op``."""
    query = {
        str(p.get("name")): _value_for(resolve(doc, p.get("schema")))
        for p in op.params_in("query", required_only=True)
    }
    return fill_path(op), query


def wrong_typed_body(doc: JsonObject, media: JsonObject) -> object:
    """The documented example (or ``{}``) with one typed field given a wrong-typed value."""
    schema = resolve(doc, media.get("schema"))
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return WRONG_BODY
    example = example_of(doc, media)
    body = dict(example) if isinstance(example, dict) else {}
    required = [str(n) for n in schema.get("required", [])]
    for name in required + [n for n in properties if n not in required]:
        kind = resolve(doc, properties[name]).get("type")
        if isinstance(kind, str) and kind in WRONG_TYPE_VALUES:
            body[name] = WRONG_TYPE_VALUES[kind]
            return body
    return WRONG_BODY


async def _send(
    client: httpx.AsyncClient, op: Operation, doc: JsonObject, body: object
) -> int | str:
    """Send ``body`` as JSON to ``op``; the status code or the transport error's name."""
    path, query = request_target(doc, op)
    try:
        response = await client.request(op.method, path, params=query, json=body)
    except httpx.HTTPError as exc:
        return type(exc).__name__
    return response.status_code


def invalid_bodies(doc: JsonObject, op: Operation, media: JsonObject) -> list[tuple[str, object]]:
    """The invalid bodies to send: ``{}`` and a wrong-typed body.

    ``{}`` is valid for a partial update (a PATCH whose model has no required field), so it
    is not sent there.
    """
    schema = resolve(doc, media.get("schema"))
    partial = op.method == "PATCH" and bool(schema.get("properties")) and not schema.get("required")
    bodies: list[tuple[str, object]] = [] if partial else [("an empty object", {})]
    return [*bodies, ("a wrong-typed body", wrong_typed_body(doc, media))]


async def _validation_findings(
    client: httpx.AsyncClient, doc: JsonObject, op: Operation, media: JsonObject
) -> list[Finding]:
    """How ``op`` falls short: a free-form body, or invalid bodies not answered 422."""
    findings = []
    schema = media.get("schema")
    if not isinstance(schema, dict) or ("$ref" not in schema and schema.get("type") != "array"):
        findings.append(Finding(f"{op.label}: the request body is not a declared model"))
    for what, body in invalid_bodies(doc, op, media):
        status = await _send(client, op, doc, body)
        if status != UNPROCESSABLE:
            findings.append(Finding(f"{op.label} answered {status} to {what}, expected 422"))
    return findings


@check("api.validation", requires=(INSTALL_ITEM,))
async def input_validation(ctx: CheckContext) -> Outcome:
    """Every POST/PUT/PATCH with a JSON body answers 422 to ``{}`` and to a wrong-typed body."""
    server = await ctx.fact(LIVE_SERVER)
    doc = await ctx.fact(OPENAPI)
    targets = body_operations(doc)
    if not targets:
        return Outcome.skipped("no POST/PUT/PATCH operation takes a JSON body")
    findings: list[Finding] = []
    async with server.gate.shared(), server.client() as client:
        for op, media in targets:
            findings += await _validation_findings(client, doc, op, media)
    return Outcome.from_findings(findings, "validation problems", operations=len(targets))


def _is_handler_registration(node: ast.AST) -> bool:
    """``add_exception_handler(...)``, ``@exception_handler(...)`` or ``exception_handlers=``."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in HANDLER_METHODS:
        return True
    return any(k.arg == "exception_handlers" for k in node.keywords)


def _base_name(node: ast.expr) -> str:
    """The simple name of a base class expression (``HTTPException`` for ``a.HTTPException``)."""
    target = node.value if isinstance(node, ast.Subscript) else node
    return ast.unparse(target).rsplit(".", 1)[-1]


def exception_classes(trees: list[ast.Module]) -> list[ast.ClassDef]:
    """Classes deriving from an ``...Error``/``...Exception`` class, directly or through others.

    Found wherever they are (an ``exceptions/`` package, ``errors.py``, ``domain/errors.py``).
    """
    classes = [n for tree in trees for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    known: set[str] = set()
    for _ in range(len(classes) + 1):
        grown = {
            c.name
            for c in classes
            if any(
                _base_name(b) in known or _base_name(b).endswith(ERROR_SUFFIXES) for b in c.bases
            )
        }
        if grown == known:
            break
        known = grown
    return [c for c in classes if c.name in known]


def exception_findings(modules: tuple[PythonModule, ...], layout: ProjectLayout) -> list[Finding]:
    """Missing custom exception classes or registered handlers in the application code."""
    trees = [m.tree for m in modules if m.tree and layout.in_code(m.path)]
    handlers = [n for tree in trees for n in ast.walk(tree) if _is_handler_registration(n)]
    where = layout.package_dir or None
    package = f"{layout.package_dir}/" if layout.package_dir else "no application package"
    findings = []
    if not exception_classes(trees):
        findings.append(Finding(f"no exception classes in {package}", where))
    if not handlers:
        findings.append(Finding("no exception handler is registered on the app", where))
    return findings


async def _json_body(
    client: httpx.AsyncClient, method: str, path: str, body: object = None
) -> tuple[int, object] | None:
    """The status and JSON body of a request's response (None when it has no JSON body)."""
    try:
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        response = await client.request(method, path, **kwargs)
        return response.status_code, response.json()
    except (httpx.HTTPError, ValueError):
        return None


def _invalid_id_target(ops: list[Operation]) -> str | None:
    """A by-id GET path whose id violates the parameter's schema, if one has a strict schema."""
    for op in by_id_gets(ops):
        schema = plain_schema(op.params_in("path")[0].get("schema"))
        valid = schema_check(schema)
        if valid is not None and not valid(INVALID_ID):
            return fill_path(op, {op.path_params[0]: INVALID_ID})
    return None


def _not_found_probe(ops: list[Operation]) -> tuple[str | None, list[Finding]]:
    """The first by-id GET path with an unknown id, or None and why none could be made."""
    notes = []
    for op in by_id_gets(ops):
        path, note = not_found_target(op)
        if path is not None:
            return path, []
        notes.append(Finding(note))
    return None, notes


def error_probes(doc: JsonObject) -> tuple[dict[str, tuple[str, str, object]], list[Finding]]:
    """The requests that provoke a 404 and a 422 (method, path, body), and notes.

    The 404 comes from the first by-id GET whose parameter admits an unknown value; the 422
    from the first operation with a JSON body (sent ``{}``), else from a by-id GET given an
    id its schema rejects. The notes say why no 404 probe could be made.
    """
    ops = operations(doc)
    probes: dict[str, tuple[str, str, object]] = {}
    missing, notes = _not_found_probe(ops)
    if missing is not None:
        probes["404"] = ("GET", missing, None)
    with_body = body_operations(doc)
    invalid = None if with_body else _invalid_id_target(ops)
    if with_body:
        op = with_body[0][0]
        probes["422"] = (op.method, request_target(doc, op)[0], {})
    elif invalid is not None:
        probes["422"] = ("GET", invalid, None)
    return probes, notes


async def error_bodies(server: RunningServer, probes: dict[str, Any]) -> dict[str, Any]:
    """The status and JSON body of each probe's response, by the status it should provoke."""
    bodies: dict[str, Any] = {}
    async with server.gate.shared(), server.client() as client:
        for code, (method, path, body) in probes.items():
            bodies[code] = await _json_body(client, method, path, body)
    return bodies


def error_shape_findings(bodies: dict[str, Any]) -> list[Finding]:
    """Problems with the 404 and 422 bodies: missing, wrong status, not objects, other keys."""
    findings = []
    for code in ("404", "422"):
        got = bodies.get(code)
        if got is None:
            findings.append(Finding(f"could not provoke a JSON {code} response"))
        elif str(got[0]) != code or not isinstance(got[1], dict):
            findings.append(Finding(f"expected a JSON object with status {code}, got {got[0]}"))
    if findings:
        return findings
    keys = {code: sorted(bodies[code][1]) for code in ("404", "422")}
    if keys["404"] != keys["422"]:
        return [Finding(f"404 body keys {keys['404']} differ from 422 body keys {keys['422']}")]
    return []


@check("api.error_handling", requires=(INSTALL_ITEM,))
async def error_handling(ctx: CheckContext) -> Outcome:
    """Custom exceptions and registered handlers; 404 and 422 bodies have the same keys.

    When no by-id GET admits an unknown id, the bodies are not compared (a note).
    """
    layout = await ctx.fact(LAYOUT)
    findings = exception_findings(await ctx.fact(PYTHON_MODULES), layout)
    server = await ctx.fact(LIVE_SERVER)
    probes, notes = error_probes(await ctx.fact(OPENAPI))
    if not notes:
        findings += error_shape_findings(await error_bodies(server, probes))
    return findings_and_notes(findings, notes, "error handling problems")


def schema_is_model(schema: object) -> bool:
    """Whether a response schema is a named component or an array of one."""
    if not isinstance(schema, dict):
        return False
    if "$ref" in schema:
        return True
    items = schema.get("items")
    return schema.get("type") == "array" and isinstance(items, dict) and "$ref" in items


@check("api.response_models", requires=(INSTALL_ITEM,))
async def response_models(ctx: CheckContext) -> Outcome:
    """Every documented 2xx JSON response has a named component schema (or an array of one)."""
    doc = await ctx.fact(OPENAPI)
    findings = []
    checked = 0
    for op in operations(doc):
        for status, media in success_media(doc, op):
            checked += 1
            if not schema_is_model(media.get("schema")):
                findings.append(Finding(f"{op.label} {status}: the response has no model schema"))
    return Outcome.from_findings(findings, "responses without a model", responses=checked)
