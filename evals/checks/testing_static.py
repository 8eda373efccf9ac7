"""Static checks of the project's test suite: its layout, fixtures and assertions."""

from __future__ import annotations

import ast
from pathlib import PurePosixPath

from evals.context import CheckContext
from evals.facts.ast_index import (
    FUNCTIONS,
    IMPORTS,
    FunctionInfo,
    in_dir,
    is_module_within,
    last_name,
    unparsable,
    verdict,
)
from evals.facts.source import PYTHON_MODULES, PythonModule
from evals.model import Finding, Outcome
from evals.registry import check

CONFTEST = "tests/conftest.py"
TEST_DIRS = ("tests/unit", "tests/integration")
API_CLIENTS = frozenset({"TestClient", "AsyncClient"})
ASSERTING_PREFIXES = ("assert", "expect", "verify")
PYTEST_ASSERTIONS = frozenset({"raises", "warns", "fail", "deprecated_call"})


def is_test_file(path: str) -> bool:
    """Whether ``path`` is a pytest test module under tests/."""
    name = PurePosixPath(path).name
    return in_dir(path, "tests") and (name.startswith("test_") or name.endswith("_test.py"))


def is_test_function(function: FunctionInfo) -> bool:
    """``test*`` functions at module level or methods of ``Test*`` classes in test modules."""
    if not is_test_file(function.path) or not function.name.startswith("test"):
        return False
    owner, _, _ = function.qualname.rpartition(".")
    return owner == "" or (owner.startswith("Test") and "." not in owner)


def is_fixture(function: FunctionInfo) -> bool:
    """Whether ``function`` is decorated with ``@pytest.fixture`` (any flavour)."""
    return any(last_name(d) == "fixture" for d in function.node.decorator_list)


def _uses_api_client(module: PythonModule) -> bool:
    nodes = ast.walk(module.tree) if module.tree else iter(())
    return any(
        (isinstance(n, ast.Name) and n.id in API_CLIENTS)
        or (isinstance(n, ast.Attribute) and n.attr in API_CLIENTS)
        for n in nodes
    )


async def _consumer_tested(ctx: CheckContext) -> bool:
    """Some tests/ module imports the app's Kafka consumer (an app module or name "consumer").

    Importing a client library's consumer class (``aiokafka.AIOKafkaConsumer``) does not count.
    """
    refs = [ref for ref in await ctx.fact(IMPORTS) if in_dir(ref.path, "tests")]
    targets = [target for ref in refs for target in ref.targets]
    return any(is_module_within(t, "app") and "consumer" in t.lower() for t in targets)


async def layout_findings(ctx: CheckContext) -> list[Finding]:
    """What the test suite lacks: unit/integration tests, fixtures, API and consumer tests."""
    functions = await ctx.fact(FUNCTIONS)
    tests = [f for f in functions if is_test_function(f)]
    findings = [
        Finding(f"no test functions in {directory}/", directory + "/")
        for directory in TEST_DIRS
        if not any(in_dir(t.path, directory) for t in tests)
    ]
    if not any(f.path == CONFTEST and is_fixture(f) for f in functions):
        findings.append(Finding("tests/conftest.py defines no pytest fixture", CONFTEST))
    modules = [m for m in await ctx.fact(PYTHON_MODULES) if in_dir(m.path, "tests")]
    if not any(_uses_api_client(m) for m in modules):
        findings.append(Finding("no API test uses TestClient or httpx.AsyncClient", "tests/"))
    if not await _consumer_tested(ctx):
        findings.append(Finding("no test module exercises the Kafka consumer", "tests/"))
    return findings


@check("tests.layout")
async def test_layout(ctx: CheckContext) -> Outcome:
    """tests/unit and tests/integration hold tests; conftest fixtures; API and consumer tests."""
    return Outcome.from_findings(await layout_findings(ctx), "test suite gaps")


def _asserts(node: ast.AST) -> bool:
    if isinstance(node, ast.Assert):
        return True
    if not isinstance(node, ast.Call):
        return False
    name = last_name(node.func) or ""
    return name.lower().startswith(ASSERTING_PREFIXES) or name in PYTEST_ASSERTIONS


def asserts_something(function: FunctionInfo) -> bool:
    """Whether the test contains an assert, pytest.raises/warns/fail or an ``assert*`` call."""
    return any(_asserts(node) for node in ast.walk(function.node))


@check("tests.assertions")
async def test_assertions(ctx: CheckContext) -> Outcome:
    """Every test function asserts something."""
    tests = [f for f in await ctx.fact(FUNCTIONS) if is_test_function(f)]
    findings = unparsable(await ctx.fact(PYTHON_MODULES), "tests") + [
        Finding(f"test {t.qualname} asserts nothing", t.path, t.line)
        for t in tests
        if not asserts_something(t)
    ]
    return verdict(findings, "tests without assertions", tests=len(tests))
