"""Unit tests of the server facts and the full-tier API, docs, logging and latency checks.

Pure functions are tested on small inputs; the checks run against tiny FastAPI apps
(written to a temporary project) served by the real uvicorn subprocess, with the
installed-environment and services facts replaced by the harness's own interpreter.
"""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypeVar

import pytest
import pytest_asyncio

from evals import registry
from evals.checklist import load_checklist
from evals.checks.api import (
    documented_code_findings,
    error_probes,
    error_shape_findings,
    exception_findings,
    invalid_bodies,
    is_create,
    judge_status,
    not_found_target,
    schema_is_model,
    wrong_typed_body,
)
from evals.checks.observability import (
    ACCESS_FIELDS,
    Probe,
    contains_value,
    correlation_findings,
    line_findings,
    missing_fields,
)
from evals.checks.openapi_docs import completeness, missing_parts, spec_error
from evals.checks.performance import parse_head, percentile, read_body
from evals.context import CheckContext, Facts, RunOptions
from evals.facts.environment import INSTALLED_ENV, InstalledEnv
from evals.facts.layout import AppTarget, ProjectLayout, locate
from evals.facts.load_gate import LOAD_GATE, LoadGate, machine_load
from evals.facts.openapi import (
    Operation,
    by_id_gets,
    example_of,
    fill_path,
    first_item,
    has_example,
    item_id,
    missing_path,
    operations,
    resolve,
    sample_missing_value,
)
from evals.facts.openapi_values import UUID_MARKER, missing_value, plain_schema
from evals.facts.server import SERVER, ServerLog
from evals.facts.server_discovery import candidate_targets
from evals.facts.services import SERVICES, Services
from evals.facts.source import PythonModule, _parse
from evals.model import Outcome, Status, Tier
from evals.registry import FactKey
from evals.runner import evaluate, run_cleanups

T = TypeVar("T")
MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")

SERVER_ITEMS = (
    "api.health",
    "api.status_codes",
    "api.validation",
    "api.error_handling",
    "api.response_models",
    "docs.openapi",
    "logging.structured",
    "logging.correlation_id",
)

GOOD_APP = """
import json, logging, sys, time, uuid
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from app.exceptions import NotFoundError

class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {"timestamp": self.formatTime(record), "level": record.levelname,
                 "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        return json.dumps(entry)

handler = logging.StreamHandler(sys.stdout)
handler.setFormatter(JsonFormatter())
logging.getLogger().handlers[:] = [handler]
logging.getLogger().setLevel("INFO")
for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
    logging.getLogger(name).handlers.clear()
    logging.getLogger(name).propagate = True
logging.getLogger("uvicorn.access").disabled = True
log = logging.getLogger("app")

class Error(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "x", "message": "y"}]})
    code: str
    message: str

class ItemIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "pen", "price": 2}]})
    name: str = Field(min_length=1)
    price: int

class Item(ItemIn):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": 1, "name": "pen", "price": 2}]})
    id: int

class Page(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": []}]})
    items: list[Item]

class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})
    status: str = "ok"

ERR = {"model": Error, "description": "Error."}
app = FastAPI(title="Good", version="1")
ITEMS: dict[int, Item] = {}

@app.middleware("http")
async def correlate(request: Request, call_next):
    cid = request.headers.get("x-correlation-id") or str(uuid.uuid4())
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["X-Correlation-ID"] = cid
    log.info("request", extra={"fields": {"correlation_id": cid, "method": request.method,
             "path": request.url.path, "status_code": response.status_code,
             "duration_ms": (time.perf_counter() - started) * 1000}})
    return response

@app.exception_handler(NotFoundError)
async def not_found(request: Request, exc: NotFoundError):
    return JSONResponse({"code": "not_found", "message": str(exc)}, status_code=404)

@app.exception_handler(RequestValidationError)
async def invalid(request: Request, exc: RequestValidationError):
    return JSONResponse({"code": "invalid", "message": "bad request"}, status_code=422)

@app.get("/health/live", response_model=Health, summary="Live", description="Up.",
         responses={500: ERR})
async def live():
    return Health()

@app.get("/health/ready", response_model=Health, summary="Ready", description="Deps.",
         responses={503: ERR})
async def ready():
    return Health()

@app.get("/items", response_model=Page, summary="List", description="All items.",
         responses={500: ERR})
async def list_items():
    return Page(items=list(ITEMS.values()))

@app.post("/items", response_model=Item, status_code=201, summary="Create",
          description="Adds one.", responses={422: ERR})
async def create_item(body: ItemIn):
    item = Item(id=len(ITEMS) + 1, **body.model_dump())
    ITEMS[item.id] = item
    return item

@app.get("/items/{item_id}", response_model=Item, summary="Get", description="One item.",
         responses={404: ERR, 422: ERR})
async def get_item(item_id: int):
    if item_id not in ITEMS:
        raise NotFoundError(f"item {item_id} not found")
    return ITEMS[item_id]
"""

BARE_APP = """
import asyncio
from typing import Any
from fastapi import FastAPI, HTTPException
app = FastAPI()
ITEMS: dict[int, dict[str, Any]] = {}

@app.get("/items")
async def list_items():
    return list(ITEMS.values())

@app.post("/items")
async def create_item(body: dict[str, Any]):
    ITEMS[len(ITEMS) + 1] = {"id": len(ITEMS) + 1, **body}
    return ITEMS[len(ITEMS)]

@app.get("/items/{item_id}")
async def get_item(item_id: int):
    if item_id not in ITEMS:
        raise HTTPException(status_code=404)
    return ITEMS[item_id]

POOL = asyncio.Lock()  # one connection for everybody: fine alone, slow under load

@app.get("/slow")
async def slow():
    async with POOL:
        await asyncio.sleep(0.01)
    return {"ok": True}
"""

FACTORY_APP = """
from fastapi import FastAPI

def create_app() -> FastAPI:
    application = FastAPI()

    @application.get("/health/live")
    async def live():
        return {"status": "ok"}

    @application.get("/health/ready")
    async def ready():
        return {"status": "ok"}

    return application
"""

BROKEN_APP = """
raise RuntimeError("settings are missing")
"""

SKU_APP = """
from typing import Annotated
from fastapi import FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from app.exceptions import NotFoundError

class Error(BaseModel):
    code: str
    message: str

class Item(BaseModel):
    sku: str
    reserved: bool = True

ERR = {"model": Error, "description": "Error."}
Sku = Annotated[str, Path(pattern=r"^[A-Z0-9-]{3,32}$")]
app = FastAPI()
ITEMS = {"PEN-1": Item(sku="PEN-1")}

@app.exception_handler(NotFoundError)
async def not_found(request: Request, exc: NotFoundError):
    return JSONResponse({"code": "not_found", "message": str(exc)}, status_code=404)

@app.exception_handler(RequestValidationError)
async def invalid(request: Request, exc: RequestValidationError):
    return JSONResponse({"code": "invalid", "message": "bad request"}, status_code=422)

def find(sku: str) -> Item:
    if sku not in ITEMS:
        raise NotFoundError(f"no item {sku}")
    return ITEMS[sku]

@app.get("/items/{sku}", response_model=Item, responses={404: ERR, 422: ERR})
async def get_item(sku: Sku):
    return find(sku)

@app.post("/items/{sku}/release", response_model=Item, responses={404: ERR, 422: ERR})
async def release_item(sku: Sku):
    item = find(sku)
    item.reserved = False
    return item
"""

SKU_APP_NULL = SKU_APP.replace("    return find(sku)\n", "    return ITEMS.get(sku)\n").replace(
    "response_model=Item, responses={404", "response_model=Item | None, responses={404", 1
)
SKU_APP_CRASH = SKU_APP.replace("    return find(sku)\n", "    raise RuntimeError(sku)\n")


class FakeServices(Services):
    """Services whose fresh databases are never used by the fixture apps."""

    async def fresh_database(self, name_hint: str) -> str:
        """Return the (unused) server URL instead of creating a database."""
        return f"{self.database_url}_{name_hint}"


def write_app(root: Path, main: str, *, exceptions: bool = False) -> Path:
    """A minimal project at ``root`` whose ``src/app/main.py`` is ``main``."""
    app_dir = root / "src" / "app"
    app_dir.mkdir(parents=True)
    (app_dir / "__init__.py").write_text("", encoding="utf-8")
    (app_dir / "main.py").write_text(textwrap.dedent(main), encoding="utf-8")
    if exceptions:
        (app_dir / "exceptions").mkdir()
        (app_dir / "exceptions" / "__init__.py").write_text(
            "class NotFoundError(Exception):\n    pass\n", encoding="utf-8"
        )
    (root / "pyproject.toml").write_text('[project]\nname = "fixture"\n', encoding="utf-8")
    return root


async def _constant(value: T) -> T:
    """Return ``value`` (a coroutine, to make a task of it)."""
    return value


def seed(facts: Facts, key: FactKey[T], value: T) -> None:
    """Make ``key`` resolve to ``value`` without running its provider."""
    facts._tasks[key.name] = asyncio.ensure_future(_constant(value))  # no public override


def fixture_facts(project: Path, workdir: Path) -> Facts:
    """Facts for ``project`` served with this interpreter (which has FastAPI and uvicorn)."""
    facts = Facts(project, RunOptions(Tier.FULL, workdir))
    python = Path(sys.executable)
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    seed(facts, INSTALLED_ENV, InstalledEnv(python, python.parent, None, env))
    seed(facts, SERVICES, FakeServices("postgresql+asyncpg://unused/db", "127.0.0.1:9", {}))
    return facts


async def run_check(item_id: str, facts: Facts) -> Outcome:
    """Evaluate the registered check for ``item_id`` as the runner would."""
    registry.load_all()
    ctx = CheckContext(load_checklist().get(item_id), facts)
    return await evaluate(registry.CHECKS[item_id], ctx, 300.0)


async def served(
    tmp_path_factory: pytest.TempPathFactory, main: str, *, exceptions: bool = False
) -> AsyncIterator[Facts]:
    """Facts of a fixture app; the app is stopped afterwards."""
    root = tmp_path_factory.mktemp("server")
    facts = fixture_facts(write_app(root / "project", main, exceptions=exceptions), root)
    try:
        yield facts
    finally:
        await run_cleanups(facts)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def good_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Facts]:
    """A small app that meets every server item."""
    async for facts in served(tmp_path_factory, GOOD_APP, exceptions=True):
        yield facts


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bare_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Facts]:
    """A default FastAPI app with dict bodies, no logging setup and a slow endpoint."""
    async for facts in served(tmp_path_factory, BARE_APP):
        yield facts


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sku_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Facts]:
    """An app whose by-id GET has a pattern on its path parameter, with a 200 action."""
    async for facts in served(tmp_path_factory, SKU_APP, exceptions=True):
        yield facts


# ------------------------------------------------------------------ checks on live apps


@pytest.mark.slow
@MODULE_LOOP
@pytest.mark.parametrize("item_id", SERVER_ITEMS)
async def test_good_app_passes(good_app: Facts, item_id: str) -> None:
    outcome = await run_check(item_id, good_app)
    assert outcome.status is Status.PASS, (outcome.reason, outcome.findings)


@pytest.mark.slow
@MODULE_LOOP
@pytest.mark.parametrize(
    ("item_id", "expected"),
    [
        ("api.health", "GET /health/live answered 404"),
        ("api.status_codes", "POST /items creates but declares no 201/202"),
        ("api.validation", "POST /items answered 200 to an empty object"),
        ("api.error_handling", "no exception handler is registered"),
        ("api.response_models", "GET /items 200: the response has no model schema"),
        ("docs.openapi", "GET /items lacks description"),
        ("logging.structured", "log line is not a JSON object"),
        ("logging.correlation_id", "X-Correlation-ID not echoed"),
    ],
)
async def test_bare_app_fails(bare_app: Facts, item_id: str, expected: str) -> None:
    outcome = await run_check(item_id, bare_app)
    text = outcome.reason + "\n" + "\n".join(f.message for f in outcome.findings)
    assert outcome.status is Status.FAIL, text
    assert expected in text


@pytest.mark.slow
@MODULE_LOOP
@pytest.mark.parametrize("item_id", ["api.status_codes", "api.error_handling"])
async def test_patterned_ids_and_200_actions_pass(sku_app: Facts, item_id: str) -> None:
    outcome = await run_check(item_id, sku_app)
    assert outcome.status is Status.PASS, (outcome.reason, outcome.findings)
    assert outcome.findings == ()


@pytest.mark.slow
@MODULE_LOOP
@pytest.mark.parametrize(
    ("main", "expected"),
    [
        (
            SKU_APP_NULL,
            {
                "api.status_codes": "(GET /items/{sku}) answered 200, expected 404",
                "api.error_handling": "expected a JSON object with status 404, got 200",
            },
        ),
        (
            SKU_APP_CRASH,
            {
                "api.status_codes": "answered 500, a server error, expected 404",
                "api.error_handling": "could not provoke a JSON 404 response",
            },
        ),
    ],
    ids=["200-null", "500"],
)
async def test_by_id_get_without_404_fails(
    tmp_path_factory: pytest.TempPathFactory, main: str, expected: dict[str, str]
) -> None:
    async for facts in served(tmp_path_factory, main, exceptions=True):
        for check_id, message in expected.items():
            outcome = await run_check(check_id, facts)
            text = "\n".join(f.message for f in outcome.findings)
            assert outcome.status is Status.FAIL, text
            assert message in text


@pytest.mark.slow
@MODULE_LOOP
async def test_factory_app_is_found_and_reported(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    async for facts in served(tmp_path_factory, FACTORY_APP):
        outcome = await run_check("api.health", facts)
        server = await facts.get(SERVER)
        assert outcome.status is Status.PASS
        assert server.target == AppTarget("app.main", "create_app", factory=True)
        # the located factory is served directly: structure.layout reports the deviation
        assert not any("served" in f.message for f in outcome.findings)


@pytest.mark.slow
@MODULE_LOOP
async def test_app_that_does_not_import_fails_health_and_skips_the_rest(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    async for facts in served(tmp_path_factory, BROKEN_APP):
        health = await run_check("api.health", facts)
        logging_outcome = await run_check("logging.correlation_id", facts)
        assert health.status is Status.FAIL
        assert any("settings are missing" in f.message for f in health.findings)
        assert logging_outcome.status is Status.SKIP


# ------------------------------------------------------------------ pure functions


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 95) == 95.0
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 95) == 0.0


async def test_parse_head_and_chunked_body() -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(b"4\r\nabcd\r\n0\r\n\r\nNEXT")
    status, headers = parse_head(b"HTTP/1.1 503 Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n")
    await read_body(reader, headers)
    assert status == 503
    assert await reader.readexactly(4) == b"NEXT"


DOC: dict[str, object] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things": {
            "get": {
                "summary": "List",
                "description": "All.",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Thing"},
                                }
                            }
                        },
                    },
                    "500": {"description": "boom"},
                },
            },
            "post": {
                "summary": "Create",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"200": {"description": "ok"}},
            },
        },
        "/things/{thing_id}": {
            "parameters": [
                {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "get": {
                "summary": "Get",
                "description": "One.",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        },
                    },
                    "404": {"description": "missing"},
                },
            },
        },
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                "required": ["id", "name"],
                "examples": [{"id": 1, "name": "a"}],
            }
        }
    },
}


def test_operations_merge_path_level_parameters() -> None:
    ops = operations(DOC)
    assert [op.label for op in ops] == ["GET /things", "POST /things", "GET /things/{thing_id}"]
    assert ops[2].path_params == ["thing_id"]
    assert [op.label for op in by_id_gets(ops)] == ["GET /things/{thing_id}"]
    assert ops[0].parameterless


def test_examples_are_found_through_refs_and_array_items() -> None:
    media = {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}
    assert has_example(DOC, media)
    assert not has_example(DOC, {"schema": {"type": "object"}})
    assert example_of(DOC, {"schema": {"$ref": "#/components/schemas/Thing"}}) == {
        "id": 1,
        "name": "a",
    }
    assert resolve(DOC, {"$ref": "#/components/schemas/Missing"}) == {}


def test_openapi_completeness_names_incomplete_operations() -> None:
    percent, findings = completeness(DOC)
    post = operations(DOC)[1]
    assert percent == pytest.approx(66.7)
    assert missing_parts(DOC, post) == [
        "description",
        "a documented error response",
        "an example on the request body",
    ]
    assert findings[0].message.startswith("POST /things lacks description")


def test_spec_error_reports_invalid_documents() -> None:
    assert spec_error(DOC) == ""
    assert "title" in spec_error({"openapi": "3.1.0", "info": {}, "paths": {}})


def test_status_code_rules() -> None:
    messages = [f.message for f in documented_code_findings(DOC)]
    assert messages == [
        "POST /things creates but declares no 201/202 response",
        "POST /things takes a body but documents no 422",
    ]
    cancel = Operation("POST", "/things/{thing_id}/cancel", {"summary": "Cancel it"})
    assert not is_create(cancel)
    assert is_create(Operation("POST", "/things", {}))
    assert not is_create(Operation("POST", "/things/search", {"summary": "Search things"}))
    assert is_create(Operation("POST", "/things/{id}/send", {"summary": "Create a sending"}))


@pytest.mark.parametrize(
    ("path", "creates"),
    [
        ("/reservations/{id}/release", False),
        ("/reservations/{id}/extend-hold", False),
        ("/reservations/{id}:cancel", False),
        ("/reservations/{id}", False),
        ("/orders/{id}/status", False),
        ("/orders", True),
        ("/orders/{id}/lines", True),
        ("/orders/search", False),
    ],
)
def test_a_post_creates_only_on_a_collection_path(path: str, creates: bool) -> None:
    assert is_create(Operation("POST", path, {"operationId": "handle"})) is creates


def _ok_only(path: str, method: str = "post") -> dict[str, object]:
    """A document whose only operation declares nothing but 200."""
    op = {"responses": {"200": {"description": "ok"}, "404": {"description": "missing"}}}
    params = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    return {"paths": {path: {"parameters": params if "{" in path else [], method: op}}}


def test_a_200_action_is_accepted_and_a_200_create_is_not() -> None:
    assert documented_code_findings(_ok_only("/reservations/{id}/release")) == []
    assert documented_code_findings(_ok_only("/reservations/{id}:release")) == []
    created = documented_code_findings(_ok_only("/orders"))
    assert [f.message for f in created] == ["POST /orders creates but declares no 201/202 response"]


def test_statuses_are_judged_against_the_declared_codes() -> None:
    op = operations(_ok_only("/things/{id}", "get"))[0]
    assert judge_status(op, "/things/x", 404, 404) == []
    null = judge_status(op, "/things/x", 200, 404)[0].message
    assert null == "GET /things/x (GET /things/{id}) answered 200, expected 404"
    teapot = judge_status(op, "/things/x", 418, 404)[0].message
    assert "418 (a status GET /things/{id} does not declare)" in teapot
    assert "server error" in judge_status(op, "/things/x", 503, 404)[0].message
    assert "timed out (ReadTimeout)" in judge_status(op, "/x", "ReadTimeout", 404)[0].message
    dropped = judge_status(op, "/x", "RemoteProtocolError", 404)[0].message
    assert "dropped the connection" in dropped


def test_response_schema_must_be_a_component() -> None:
    assert schema_is_model({"$ref": "#/components/schemas/Thing"})
    assert schema_is_model({"type": "array", "items": {"$ref": "#/components/schemas/T"}})
    assert not schema_is_model({"type": "object", "additionalProperties": True})
    assert not schema_is_model({})


def test_wrong_typed_body_breaks_one_typed_field() -> None:
    media = {"schema": {"$ref": "#/components/schemas/Thing"}}
    body = wrong_typed_body(DOC, media)
    assert body == {"id": "not-an-integer", "name": "a"}
    assert wrong_typed_body(DOC, {"schema": {"type": "object"}}) == ["not", "an", "object"]


def test_list_items_and_ids() -> None:
    assert first_item({"items": [{"id": 3}], "next": None}) == {"id": 3}
    assert first_item([{"uuid": "u"}]) == {"uuid": "u"}
    assert first_item({"items": []}) is None
    assert item_id({"order_id": "x", "id": "y"}, "order_id") == "x"
    assert item_id({"id": 7}, "thing_id") == "7"
    assert sample_missing_value({"type": "string", "format": "uuid"}) == UUID_MARKER
    assert str(sample_missing_value({"type": "integer"})).isdigit()


def test_error_bodies_must_share_keys() -> None:
    same = {"404": (404, {"code": 1, "message": 2}), "422": (422, {"message": 2, "code": 1})}
    differ = {"404": (404, {"error": "x"}), "422": (422, {"code": 1, "message": 2})}
    assert error_shape_findings(same) == []
    assert "differ" in error_shape_findings(differ)[0].message
    assert "could not provoke" in error_shape_findings({})[0].message


def parsed(root: Path, files: dict[str, str]) -> tuple[tuple[PythonModule, ...], ProjectLayout]:
    """Write ``files`` under ``root``; their parsed modules and the project's layout."""
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    modules = tuple(_parse(root, relative) for relative in sorted(files))
    return modules, locate(modules, tuple(sorted(files)), None)


def test_exception_classes_and_handlers_are_found(tmp_path: Path) -> None:
    exceptions = "class OrderNotFound(Exception):\n    pass\n"
    main = "app = FastAPI()\napp.add_exception_handler(OrderNotFound, handler)\n"
    files = {"src/app/exceptions/base.py": exceptions, "src/app/main.py": main}
    modules, layout = parsed(tmp_path, files)
    assert exception_findings(modules, layout) == []
    assert len(exception_findings(modules[:1], layout)) == 1


@pytest.mark.parametrize(
    "errors_path", ["app/errors.py", "app/core/errors.py", "app/domain/errors.py", "app/x.py"]
)
def test_exception_classes_are_found_anywhere_in_the_package(
    tmp_path: Path, errors_path: str
) -> None:
    errors = "class DomainError(Exception): ...\nclass OrderMissing(DomainError): ...\n"
    main = "app = FastAPI(exception_handlers={})\n"
    modules, layout = parsed(tmp_path, {errors_path: errors, "app/main.py": main})
    assert layout.package_dir == "app"
    assert exception_findings(modules, layout) == []


def test_models_and_code_outside_the_package_are_not_exception_classes(tmp_path: Path) -> None:
    files = {
        "src/orders/main.py": "app = FastAPI()\n",
        "src/orders/errors.py": "class ErrorBody(BaseModel): ...\n",
        "tests/errors.py": "class Boom(Exception): ...\n",
    }
    modules, layout = parsed(tmp_path, files)
    messages = [f.message for f in exception_findings(modules, layout)]
    assert messages == [
        "no exception classes in src/orders/",
        "no exception handler is registered on the app",
    ]


def test_log_field_variants() -> None:
    access: dict[str, object] = {
        "msg": "done",
        "http": {"method": "GET", "status_code": 200},
        "url": "/x",
    }
    assert missing_fields(access, ACCESS_FIELDS) == ["duration"]
    assert contains_value({"a": [{"b": "id-123"}]}, "id-123")
    findings, json_lines = line_findings(['{"level": "info", "event": "x", "ts": 1}', "INFO: x"])
    assert json_lines == 1
    assert [f.message for f in findings] == ["log line is not a JSON object: INFO: x"]


def test_correlation_findings() -> None:
    good = Probe("/x", "cid", "cid", 0, ('{"correlation_id": "cid"}',))
    plain = Probe("/x", "cid", "", 0, ("INFO cid GET /x",))
    assert correlation_findings(good) == []
    messages = [f.message for f in correlation_findings(plain)]
    assert messages[0] == "GET /x: X-Correlation-ID not echoed (no header)"
    assert "only in non-JSON lines" in messages[1]


async def test_server_log_is_capped_and_waits_for_lines(tmp_path: Path) -> None:
    log = ServerLog(tmp_path / "app.log", cap=10)
    reader = asyncio.StreamReader()
    reader.feed_data(b"first\nsecond line\n")
    reader.feed_eof()
    await log.pump(reader)
    assert log.truncated
    assert log.lines() == ["first"]
    assert await log.wait_for("first", timeout_s=0.1) == ["first"]


def test_candidate_targets_find_instances_and_factories(tmp_path: Path) -> None:
    files = {
        "src/app/__init__.py": "",
        "src/app/main.py": "def create_app():\n    pass\n",
        "src/app/web/server.py": "api = FastAPI()\n",
    }
    _, layout = parsed(tmp_path, files)
    assert candidate_targets(layout) == [
        AppTarget("app.main", "app"),
        AppTarget("app.web.server", "api"),
        AppTarget("app.main", "create_app", factory=True),
    ]


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "pattern": "^[A-Z0-9-]{3,32}$"}, "EVALS-MISSING-7F3A9C2E"),
        ({"type": "string", "pattern": r"^ORD-\d{6}$"}, "ORD-000000"),
        ({"type": "string", "format": "uuid"}, UUID_MARKER),
        ({"anyOf": [{"type": "string", "format": "uuid"}, {"type": "null"}]}, UUID_MARKER),
        ({"type": "string", "format": "uuid", "pattern": "^[0-9A-F-]+$"}, UUID_MARKER.upper()),
        ({"type": "integer", "minimum": 1}, "987654321"),
        ({"type": "integer", "minimum": 1, "maximum": 10}, "10"),
        ({"type": "integer", "exclusiveMaximum": 10}, "9"),
        ({"type": "integer", "maximum": 10, "exclusiveMaximum": True}, "9"),
        ({"type": "string", "enum": ["eu", "us"]}, "eu"),
        ({"type": "string", "maxLength": 5}, "evals"),
        ({"type": "string", "pattern": r"^\d+$"}, "987654321"),
        ({"type": "string", "pattern": "^a/b$"}, "a%2Fb"),
    ],
)
def test_missing_values_satisfy_the_schema(schema: dict[str, object], expected: str) -> None:
    assert missing_value(schema) == expected


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "minLength": 5, "maxLength": 3},
        {"type": "string", "pattern": "^(?i)[a-z]{2}$"},
        {"type": "integer", "minimum": 5, "maximum": 1},
    ],
)
def test_no_value_for_unsatisfiable_or_invalid_schemas(schema: dict[str, object]) -> None:
    assert missing_value(schema) is None


def test_plain_schema_drops_null_alternatives() -> None:
    assert plain_schema({"type": ["integer", "null"], "title": "N"}) == {
        "type": "integer",
        "title": "N",
    }


def _by_id(schema: dict[str, object]) -> Operation:
    """``GET /items/{sku}`` whose path parameter has ``schema``."""
    param = {"name": "sku", "in": "path", "required": True, "schema": schema}
    return operations({"paths": {"/items/{sku}": {"get": {"parameters": [param]}}}})[0]


def test_not_found_probes_use_schema_valid_values() -> None:
    op = _by_id({"type": "string", "pattern": "^[A-Z0-9-]{3,32}$"})
    assert not_found_target(op) == ("/items/EVALS-MISSING-7F3A9C2E", "")
    unsatisfiable = _by_id({"type": "string", "minLength": 4, "maxLength": 2})
    assert missing_path(unsatisfiable) is None
    assert fill_path(unsatisfiable) == "/items/evals-missing-7f3a9c2e"
    path, note = not_found_target(_by_id({"enum": ["a", "b"]}))
    assert path is None
    assert "{sku} is an enumeration" in note
    path, note = not_found_target(unsatisfiable)
    assert path is None
    assert "no value satisfies the schema" in note


def test_error_probes_send_an_id_the_schema_rejects() -> None:
    doc = {
        "paths": {
            "/items/{sku}": {
                "get": {
                    "parameters": [
                        {"name": "sku", "in": "path", "schema": {"$ref": "#/components/x/Sku"}}
                    ]
                }
            }
        },
        "components": {"x": {"Sku": {"type": "string", "pattern": "^[A-Z]+$"}}},
    }
    probes, notes = error_probes(doc)
    assert notes == []
    assert probes == {
        "404": ("GET", "/items/EVALSMISSING", None),
        "422": ("GET", "/items/evals-not-a-valid-id", None),
    }


def test_partial_updates_may_accept_an_empty_object() -> None:
    media = {"schema": {"type": "object", "properties": {"name": {"type": "string"}}}}
    patch = Operation("PATCH", "/things/{thing_id}", {})
    post = Operation("POST", "/things", {})
    assert [what for what, _ in invalid_bodies(DOC, patch, media)] == ["a wrong-typed body"]
    assert next(what for what, _ in invalid_bodies(DOC, post, media)) == "an empty object"


async def test_load_gate_gives_the_load_test_the_machine_alone() -> None:
    gate = LoadGate()
    events: list[str] = []

    async def probe() -> None:
        async with gate.shared():
            events.append("probe start")
            await asyncio.sleep(0.05)
            events.append("probe end")

    async def load_test() -> None:
        await asyncio.sleep(0.01)
        async with gate.exclusive():
            events.append("load")

    await asyncio.gather(probe(), load_test())
    async with gate.exclusive():
        waiting = asyncio.ensure_future(probe())
        await asyncio.sleep(0.02)
        assert not waiting.done()
    await waiting
    assert events[:3] == ["probe start", "probe end", "load"]


async def test_machine_load_holds_the_runs_gate(tmp_path: Path) -> None:
    facts = Facts(tmp_path, RunOptions(Tier.FULL, tmp_path))
    gate = await facts.get(LOAD_GATE)

    async def load_test() -> None:
        async with gate.exclusive():
            return

    async with machine_load(facts):
        waiting = asyncio.ensure_future(load_test())
        await asyncio.sleep(0.02)
        assert not waiting.done()
    await waiting
    assert await facts.get(LOAD_GATE) is gate
