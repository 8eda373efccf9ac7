"""Mutations of reference_impl caught by the items that probe the running app.

Each mutation edits a temporary copy of the reference, scores only its target items with
the full tier (the app is migrated and served by uvicorn on embedded PostgreSQL and
broker) and asserts they fail. The installed environment comes from the shared cache, so
each test costs one start of the services and the app.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from evals.model import Status, Tier
from tests.mutations.helpers import Mutation, MutationError, assert_caught, score_mutation

Replacement = str | Callable[[re.Match[str]], str]
ORDERS_ROUTES = "src/app/api/routes/orders.py"
HEALTH_ROUTES = "src/app/api/routes/health.py"
MIDDLEWARE = "src/app/api/middleware.py"
ERRORS = "src/app/api/errors.py"
LOGGING = "src/app/core/logging.py"
SCHEMAS = "src/app/schemas/orders.py"


def sub_in_file(
    path: Path, pattern: str, replacement: Replacement, flags: int = re.MULTILINE
) -> None:
    """Replace every match of ``pattern`` in ``path`` (``re.sub`` syntax).

    Raises:
        MutationError: If ``path`` does not exist or nothing matches.
    """
    if not path.is_file():
        raise MutationError(f"cannot mutate {path}: no such file")
    text, count = re.subn(pattern, replacement, path.read_text(encoding="utf-8"), flags=flags)
    if not count:
        raise MutationError(f"cannot mutate {path}: no match for {pattern!r}")
    path.write_text(text, encoding="utf-8")


def prepend_to_body(path: Path, function: str, statements: str) -> None:
    """Insert ``statements`` (one per line) after the docstring of ``async def function``."""
    pattern = rf'(async def {function}\(.*?\).*?:\n(\s+)""".*?"""\n)'

    def insert(match: re.Match[str]) -> str:
        indent = match.group(2).strip("\n")
        return match.group(1) + "".join(f"{indent}{line}\n" for line in statements.splitlines())

    sub_in_file(path, pattern, insert, flags=re.DOTALL)


def blocking_get_order(root: Path) -> None:
    """GET /orders/{order_id} blocks the event loop for 30 ms: fast alone, slow under load."""
    path = root / ORDERS_ROUTES
    sub_in_file(path, r"^from __future__ import annotations\n", "\\g<0>\nimport time\n")
    prepend_to_body(path, "get_order", "time.sleep(0.03)")


def drop_request_example(root: Path) -> None:
    """The create-order body schema loses its examples."""
    sub_in_file(
        root / SCHEMAS,
        r'(class OrderCreate\(BaseModel\):.*?)"examples"',
        r'\1"x-dropped"',
        re.DOTALL,
    )


def stop_echoing_correlation_id(root: Path) -> None:
    """The middleware no longer adds X-Correlation-ID to responses."""
    sub_in_file(root / MIDDLEWARE, r"^(\s*)headers\.append\(\(_HEADER,.*$", r"\1pass")


def plain_text_logs(root: Path) -> None:
    """Log lines are formatted as plain text instead of JSON."""
    plain = 'logging.Formatter("%(levelname)s %(name)s %(message)s")'
    sub_in_file(root / LOGGING, r"setFormatter\(JsonFormatter\(\)\)", f"setFormatter({plain})")


def create_answers_200(root: Path) -> None:
    """POST /orders declares (and answers) 200 instead of 201."""
    sub_in_file(root / ORDERS_ROUTES, r"status_code=(HTTPStatus\.CREATED|201)\b", "status_code=200")


def different_not_found_body(root: Path) -> None:
    """Domain 404s leave with their own body instead of the shared error body."""
    prepend_to_body(
        root / ERRORS,
        "handle_app_error",
        'if getattr(exc, "status_code", None) == 404:\n'
        '    return JSONResponse({"error": str(exc)}, status_code=404)',
    )


def untyped_create_body(root: Path) -> None:
    """POST /orders takes a free-form dict instead of the OrderCreate model."""
    sub_in_file(root / ORDERS_ROUTES, r"(\w+): OrderCreate\b", r"\1: dict[str, object]")


def untyped_get_response(root: Path) -> None:
    """GET /orders/{order_id} documents a free-form dict instead of OrderOut."""
    pattern = r'(@router\.get\(\s*"/\{order_id\}",\s*response_model=)OrderOut\b'
    sub_in_file(root / ORDERS_ROUTES, pattern, r"\1dict[str, object]")


def move_readiness(root: Path) -> None:
    """The readiness probe moves away from /health/ready to a non-health path."""
    sub_in_file(root / HEALTH_ROUTES, r'"/health/ready"', '"/internal/dependencies"')


PERF_MUTATION = Mutation(
    "blocking get-order route", ("perf.latency", "perf.throughput"), blocking_get_order
)
SERVER_MUTATIONS = [
    Mutation("request example removed", ("docs.openapi",), drop_request_example),
    Mutation("correlation id not echoed", ("logging.correlation_id",), stop_echoing_correlation_id),
    Mutation("plain-text log formatter", ("logging.structured",), plain_text_logs),
    Mutation("create answers 200", ("api.status_codes",), create_answers_200),
    Mutation("404 body with other keys", ("api.error_handling",), different_not_found_body),
    Mutation("free-form request body", ("api.validation",), untyped_create_body),
    Mutation("free-form response model", ("api.response_models",), untyped_get_response),
    Mutation("readiness path moved", ("api.health",), move_readiness),
]
# The items these mutations prove, derived rather than kept by hand.
SERVER_ITEMS = tuple(sorted({t for m in [PERF_MUTATION, *SERVER_MUTATIONS] for t in m.targets}))


@pytest.mark.slow
@pytest.mark.full
@pytest.mark.parametrize("mutation", SERVER_MUTATIONS, ids=str)
async def test_server_mutation_is_caught(mutation: Mutation, tmp_path: Path) -> None:
    result = await score_mutation(mutation, tmp_path / "project", tier=Tier.FULL)
    assert_caught(result, mutation)


@pytest.mark.slow
@pytest.mark.full
async def test_throughput_gate_catches_a_blocking_route(tmp_path: Path) -> None:
    result = await score_mutation(PERF_MUTATION, tmp_path / "project", tier=Tier.FULL)
    assert_caught(result, PERF_MUTATION)
    metrics = result.by_id("perf.throughput").outcome.metrics
    # 30 ms of blocked event loop per GET by id: about 33 req/s whatever the machine.
    assert float(metrics["throughput_ratio"]) < 0.3
    assert float(metrics["project_p95_ms"]) >= 200
    # Eight clients queue behind 30 ms of blocked loop each: a response time over 200 ms.
    assert float(metrics["by_id_light_p95_ms"]) >= 200


@pytest.mark.slow
@pytest.mark.full
async def test_unmutated_reference_passes_server_items(tmp_path: Path) -> None:
    unchanged = Mutation("unchanged", (), lambda _root: None)
    result = await score_mutation(unchanged, tmp_path / "project", select=SERVER_ITEMS)
    statuses = {check.id: (check.status, check.outcome.reason) for check in result.checks}
    assert {item: statuses[item][0] for item in SERVER_ITEMS} == dict.fromkeys(
        SERVER_ITEMS, Status.PASS
    ), statuses
    throughput = result.by_id("perf.throughput").outcome.metrics
    assert float(throughput["throughput_ratio"]) >= 0.3
