"""Unit tests of ``api.abuse``: hostile request building, schemathesis parsing, verdicts.

The live tests serve tiny FastAPI apps with the real uvicorn (a subprocess on a free port,
as the harness serves projects) and probe them with the real check and real httpx: an
app whose 500 handler is re-raised (the connection drops after the answer), an app that
answers 500 to a NUL byte without dropping anything, and an app that refuses everything
hostile with a 4xx.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from evals.checks.abuse import Probe, capped_list, follow_up_path, probe_finding, verdict
from evals.context import Facts
from evals.facts.hostile import (
    HostileRequest,
    encode_query,
    field_name,
    hostile_requests,
    leaves,
    overflow_bodies,
    sample_value,
    token_values,
    with_value,
)
from evals.facts.schemathesis_run import StRun, parse_events
from evals.model import Finding, Status
from tests.checks.test_server_checks import MODULE_LOOP, run_check, served

APP_HEAD = """
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

app = FastAPI()


# FastAPI's own handler echoes the input, and NaN or a lone surrogate cannot be encoded
# back into JSON: a 500. This one does not echo it.
async def invalid(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"code": "invalid"}, status_code=422)


app.add_exception_handler(RequestValidationError, invalid)


class NoteIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "hello", "count": 1}]})

    text: str = Field(min_length=1, max_length=200_000{pattern})
    count: int = Field(ge=0, le=1000)


@app.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}
"""
DROPPING_APP = APP_HEAD.replace("{pattern}", "") + """

async def internal(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"code": "internal"}, status_code=500)


# Registered for Exception, the handler runs in Starlette's ServerErrorMiddleware, which
# re-raises after sending the 500: uvicorn then closes the keep-alive connection.
app.add_exception_handler(Exception, internal)


@app.post("/notes", status_code=201)
async def create(body: NoteIn) -> dict[str, bool]:
    if "\\x00" in body.text:
        raise RuntimeError("a NUL byte reached the database")
    return {"ok": True}
"""
NUL_500_APP = APP_HEAD.replace("{pattern}", "") + """

@app.post("/notes", status_code=201, response_model=None)
async def create(body: NoteIn) -> JSONResponse | dict[str, bool]:
    if "\\x00" in body.text:
        return JSONResponse({"code": "internal"}, status_code=500)
    return {"ok": True}
"""
CLEAN_APP = APP_HEAD.replace("{pattern}", ', pattern=r"^[^\\x00]*$"') + """

@app.post("/notes", status_code=201)
async def create(body: NoteIn) -> dict[str, bool]:
    return {"ok": True}
"""
DOC = {
    "openapi": "3.1.0",
    "paths": {
        "/things": {
            "get": {
                "parameters": [
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                ]
            },
            "post": {
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}
                }
            },
        },
        "/things/{thing_id}": {
            "get": {
                "parameters": [
                    {
                        "name": "thing_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"},
                    }
                ]
            }
        },
        "/health/live": {"get": {}},
    },
    "components": {
        "schemas": {
            "In": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "maxLength": 64},
                    "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
                },
            },
            "Line": {
                "type": "object",
                "properties": {
                    "quantity": {"type": "integer", "maximum": 10000},
                    "price": {"anyOf": [{"type": "number"}, {"type": "string"}]},
                },
            },
        }
    },
}


def test_every_operation_gets_hostile_requests() -> None:
    requests = hostile_requests(DOC)
    whats = {(r.label, r.what) for r in requests}
    assert ("GET /things/{thing_id}", "a NUL byte as path parameter thing_id") in whats
    assert ("POST /things", "a NUL byte in body field name") in whats
    assert ("POST /things", "NaN in body field lines[0].quantity") in whats
    assert ("POST /things", "a 5 MB body") in whats
    assert ("POST /things", "an unknown field") in whats
    assert ("GET /things", "10**30 in query parameter limit") in whats
    assert any(what.startswith("a token decoding to") for label, what in whats)
    assert not any(label == "GET /health/live" for label, _ in whats)


def test_bodies_change_one_field_and_keep_raw_literals() -> None:
    nan = next(r for r in hostile_requests(DOC) if r.what == "NaN in body field lines[0].quantity")
    assert nan.content is not None
    assert b'"quantity": NaN' in nan.content
    body = json.loads(nan.content.replace(b"NaN", b"0"))
    assert body["name"] and body["lines"][0]["quantity"] == 0


def test_overflow_bodies_put_every_number_at_its_top() -> None:
    schema = {"$ref": "#/components/schemas/In"}
    base = sample_value(DOC, schema)
    bodies = dict(overflow_bodies(DOC, schema, base))
    twelve = json.loads(bodies["every number at about 12 digits"])
    assert twelve["lines"][0] == {"quantity": 10000, "price": "9999999999.99"}


def test_leaves_and_paths() -> None:
    body = {"a": [{"b": 1}], "c": "x"}
    assert [path for path, _ in leaves(DOC, {}, body)] == [("a", 0, "b"), ("c",)]
    assert with_value(body, ("a", 0, "b"), 2) == {"a": [{"b": 2}], "c": "x"}
    assert field_name(("a", 0, "b")) == "a[0].b"


def test_tokens_and_queries_are_encoded() -> None:
    tokens = dict(token_values())
    raw = tokens["a token decoding to {'c': a valid time, 'i': 123}"]
    decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    assert decoded["i"] == 123
    assert encode_query([("q", "\ud800"), ("n", "a\x00")]) == "q=%ED%A0%80&n=a%00"


def test_follow_up_prefers_a_documented_health_path() -> None:
    assert follow_up_path(DOC) == "/health/live"
    assert follow_up_path({"paths": {}}) == "/openapi.json"


BOOM = base64.b64encode(b"boom").decode()
INTERACTION = {
    "request": {"method": "GET", "uri": "http://x/things"},
    "response": {"status_code": 500, "content": {"$base64": BOOM}},
}
FAILED_CHECK = {
    "name": "not_a_server_error",
    "status": "failure",
    "failure_info": {
        "failure": {"code": "ST101", "title": "Server error", "operation": "GET /things"}
    },
}


def test_schemathesis_events_are_parsed() -> None:
    recorder = {
        "label": "GET /things",
        "interactions": {"a": INTERACTION},
        "checks": {"a": [FAILED_CHECK]},
    }
    text = json.dumps({"ScenarioFinished": {"recorder": recorder}}) + "\n{cut"
    run = parse_events(text)
    assert run.cases == 1
    assert [(f.operation, f.response) for f in run.server_errors] == [("GET /things", "500 boom")]


def test_findings_are_capped_and_deduplicated() -> None:
    findings = [Finding(f"f{i % 30}") for i in range(60)]
    shown = capped_list(findings, 20, "findings")
    assert len(shown) == 21
    assert shown[-1].message == "... and 10 more findings not shown"


def test_verdict_fails_on_a_5xx_and_passes_on_4xx() -> None:
    request = HostileRequest(
        "POST /x", "POST", "/x", "a NUL byte in body field a", b'{"a": "\\u0000"}'
    )
    failing = verdict([Probe(request, 500, "{}"), Probe(request, 422)], 2, StRun(cases=3))
    assert failing.status is Status.FAIL
    assert failing.metrics["server_errors"] == 1
    assert "POST /x: a NUL byte in body field a -> answered 500" in failing.findings[0].message
    assert verdict([Probe(request, 422)], 1, StRun()).status is Status.PASS
    hang = probe_finding(Probe(request, error="timeout")).message
    assert "a hang" in hang


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def dropping_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Facts]:
    """An app whose 500 handler is re-raised by Starlette: the connection drops."""
    async for facts in served(tmp_path_factory, DROPPING_APP):
        yield facts


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def nul_500_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Facts]:
    """An app that answers a NUL byte with a plain 500, keeping the connection."""
    async for facts in served(tmp_path_factory, NUL_500_APP):
        yield facts


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def clean_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Facts]:
    """An app that refuses every hostile input with a 4xx."""
    async for facts in served(tmp_path_factory, CLEAN_APP):
        yield facts


@pytest.mark.slow
@MODULE_LOOP
async def test_a_500_that_drops_the_connection_is_found(dropping_app: Facts) -> None:
    outcome = await run_check("api.abuse", dropping_app)
    assert outcome.status is Status.FAIL, outcome
    assert outcome.metrics["dropped_connections"] == outcome.metrics["server_errors"] == 1
    first = outcome.findings[0].message
    assert first.startswith("POST /notes: a NUL byte in body field text -> answered 500"), first
    assert "then the server closed the keep-alive connection" in first


@pytest.mark.slow
@MODULE_LOOP
async def test_a_500_for_nul_is_found_without_a_drop(nul_500_app: Facts) -> None:
    outcome = await run_check("api.abuse", nul_500_app)
    assert outcome.status is Status.FAIL, outcome
    assert outcome.metrics["dropped_connections"] == 0
    assert outcome.metrics["server_errors"] == 1
    assert "answered 500 (a server error)" in outcome.findings[0].message


@pytest.mark.slow
@MODULE_LOOP
async def test_an_app_that_refuses_hostile_input_passes(clean_app: Facts) -> None:
    outcome = await run_check("api.abuse", clean_app)
    assert outcome.status is Status.PASS, outcome
    assert outcome.metrics["requests_sent"] == outcome.metrics["requests_planned"]
    assert int(outcome.metrics["requests_sent"]) >= 30
    assert int(outcome.metrics["schemathesis_cases"]) > 0
