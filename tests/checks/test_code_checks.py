"""Unit tests of the AST-based code checks on tiny projects written into tmp_path.

Each case is named after the verdict it must produce (``..._passes`` / ``..._fails``).
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from evals.facts.ast_index import (
    ImportRef,
    import_aliases,
    lexical_info,
    module_functions,
    module_imports,
    module_name,
)
from evals.facts.source import PythonModule
from evals.model import Status, Tier
from evals.testing import compute_check

ROUTER_OK = """
from fastapi import APIRouter
from app.services.orders import OrderService

router = APIRouter()


@router.get("/orders")
async def list_orders() -> list[str]:
    return []
"""
LIFESPAN_OK = """
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine = object()
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)
"""


@dataclass(frozen=True)
class Case:
    """One tiny project and the verdict a check must reach on it."""

    name: str
    item: str
    files: dict[str, str]
    status: Status
    evidence: str = ""

    def __str__(self) -> str:
        return self.name


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> dedented text) under ``root``; returns ``root``."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    (root / "pyproject.toml").touch()
    return root


def long_function(lines: int, *, is_async: bool = False) -> str:
    """A documented function whose body makes it exactly ``lines`` lines long."""
    body = "".join(f"    x{i} = {i}\n" for i in range(lines - 2))
    keyword = "async def" if is_async else "def"
    doc = '    """Docstring lines do not count.\n\n    Really.\n    """\n'
    return f"{keyword} long() -> int:\n{doc}    # comments do not count\n\n{body}    return 0\n"


CASES = [
    Case(
        "layers_router_uses_service_passes",
        "arch.layers",
        {"src/app/api/r.py": ROUTER_OK},
        Status.PASS,
    ),
    Case(
        "layers_router_imports_repository_fails",
        "arch.layers",
        {"src/app/api/routes/r.py": "from app.repositories.orders import OrderRepository\n"},
        Status.FAIL,
        "router module imports app.repositories",
    ),
    Case(
        "layers_router_relative_import_of_models_fails",
        "arch.layers",
        {"src/app/api/routes/r.py": "from ...models import order\n"},
        Status.FAIL,
        "app.models",
    ),
    Case(
        "layers_router_builds_sql_fails",
        "arch.layers",
        {"src/app/api/r.py": "from sqlalchemy import select\n"},
        Status.FAIL,
        "builds SQL",
    ),
    Case(
        "layers_service_imports_fastapi_fails",
        "arch.layers",
        {"src/app/services/s.py": "from fastapi import HTTPException\n"},
        Status.FAIL,
        "service module imports fastapi",
    ),
    Case(
        "layers_repository_imports_service_fails",
        "arch.layers",
        {"src/app/repositories/r.py": "from app import services\n"},
        Status.FAIL,
        "repository module imports app.services",
    ),
    Case(
        "length_20_lines_passes",
        "code.function_length",
        {"src/app/m.py": long_function(20)},
        Status.PASS,
    ),
    Case(
        "length_21_lines_fails",
        "code.function_length",
        {"src/app/m.py": long_function(21, is_async=True)},
        Status.FAIL,
        "long is 21 lines long (limit 20)",
    ),
    Case(
        "length_outside_src_app_passes",
        "code.function_length",
        {"tests/test_m.py": long_function(40), "src/app/m.py": "X = 1\n"},
        Status.PASS,
    ),
    Case(
        "length_unparsable_file_fails",
        "code.function_length",
        {"src/app/broken.py": "def broken(:\n"},
        Status.FAIL,
        "does not parse",
    ),
    Case(
        "annotations_unparsable_test_fails",
        "types.annotations",
        {"tests/test_broken.py": "def test_(:\n"},
        Status.FAIL,
        "does not parse",
    ),
    Case(
        "suppressions_coded_noqa_passes",
        "quality.suppressions",
        {"src/app/m.py": "import os  # noqa: F401\nX: int = 1  # type: ignore[misc]\n" * 3},
        Status.PASS,
    ),
    Case(
        "suppressions_bare_noqa_fails",
        "quality.suppressions",
        {"src/app/m.py": "import os  # noqa\n" + "X = 1\n" * 300},
        Status.FAIL,
        "noqa without a rule code",
    ),
    Case(
        "suppressions_bare_type_ignore_fails",
        "quality.suppressions",
        {"tests/test_m.py": "X: int = 'a'  # type: ignore\n" + "Y = 1\n" * 300},
        Status.FAIL,
        "type: ignore without an error code",
    ),
    Case(
        "suppressions_file_wide_ruff_noqa_fails",
        "quality.suppressions",
        {"src/app/m.py": "# ruff: noqa\n" + "X = 1\n" * 300},
        Status.FAIL,
        "file-wide",
    ),
    Case(
        "suppressions_dense_pragmas_fail",
        "quality.suppressions",
        {"src/app/m.py": "if X:  # pragma: no cover\n    pass  # nosec B101\n" * 5},
        Status.FAIL,
        "pragma: no cover",
    ),
    Case(
        "suppressions_weakened_config_fails",
        "quality.suppressions",
        {
            "src/app/m.py": "X = 1\n" * 100,
            "pyproject.toml": """
                [tool.ruff.lint]
                ignore = ["E501", "D"]
                [tool.ruff.lint.per-file-ignores]
                "src/**" = ["S", "ANN"]
                [tool.coverage.run]
                omit = ["src/app/kafka/*"]
                [[tool.mypy.overrides]]
                module = ["app.*"]
                ignore_errors = true
            """,
        },
        Status.FAIL,
        "mypy ignore_errors",
    ),
    Case(
        "suppressions_setup_cfg_omit_counted_fails",
        "quality.suppressions",
        {
            "src/app/m.py": "X = 1\n" * 100,
            "setup.cfg": "[coverage:run]\nomit =\n    src/app/a.py\n    src/app/b.py\n",
            ".coveragerc": "[run]\nomit = src/app/c.py\n",
        },
        Status.FAIL,
        "coverage omit src/app/b.py",
    ),
    Case(
        "suppressions_ruff_toml_and_mypy_ini_counted_fails",
        "quality.suppressions",
        {
            "src/app/m.py": "X = 1\n" * 100,
            "ruff.toml": '[lint]\nextend-ignore = ["E501"]\n',
            "mypy.ini": "[mypy-app.*]\ndisable_error_code = attr-defined, misc\n",
        },
        Status.FAIL,
        "mypy disable_error_code misc (mypy-app.*)",
    ),
    Case(
        "annotations_complete_passes",
        "types.annotations",
        {"src/app/m.py": """
                class A:
                    def f(self, x: int, *args: str, y: int = 1, **kw: int) -> int:
                        return x

                    @classmethod
                    def g(cls) -> None: ...
            """},
        Status.PASS,
    ),
    Case(
        "annotations_missing_return_fails",
        "types.annotations",
        {"tests/test_m.py": "def test_x(tmp_path: str):\n    assert tmp_path\n"},
        Status.FAIL,
        "test_x: no annotation for return",
    ),
    Case(
        "annotations_missing_parameter_fails",
        "types.annotations",
        {"src/app/m.py": "def f(a, *, b: int, **kw) -> None: ...\n"},
        Status.FAIL,
        "no annotation for a, kw",
    ),
    Case(
        "blocking_sleep_in_sync_def_passes",
        "async.no_blocking",
        {"src/app/m.py": """
                import asyncio
                import time

                def pause() -> None:
                    time.sleep(1)

                async def run(requests: list[int]) -> None:
                    requests.append(1)
                    await asyncio.to_thread(time.sleep, 1)
                    await asyncio.get_running_loop().run_in_executor(None, lambda: time.sleep(1))
            """},
        Status.PASS,
    ),
    Case(
        "blocking_time_sleep_in_async_def_fails",
        "async.no_blocking",
        {"src/app/m.py": "from time import sleep as nap\n\nasync def f() -> None:\n    nap(1)\n"},
        Status.FAIL,
        "blocking call time.sleep() inside async def f",
    ),
    Case(
        "blocking_requests_and_open_fail",
        "async.no_blocking",
        {"src/app/m.py": """
                import requests

                class C:
                    async def f(self) -> None:
                        requests.get("http://x")
                        open("f").read()
            """},
        Status.FAIL,
        "requests.get",
    ),
    Case(
        "blocking_kafka_python_import_fails",
        "async.no_blocking",
        {"src/app/k.py": "from kafka import KafkaProducer\n"},
        Status.FAIL,
        "kafka-python",
    ),
    Case(
        "blocking_aiokafka_and_app_kafka_pass",
        "async.no_blocking",
        {"src/app/k.py": "from aiokafka import AIOKafkaProducer\nfrom app.kafka import producer\n"},
        Status.PASS,
    ),
    Case("routes_async_passes", "async.routes", {"src/app/api/r.py": ROUTER_OK}, Status.PASS),
    Case(
        "routes_sync_handler_fails",
        "async.routes",
        {"src/app/api/r.py": ROUTER_OK.replace("async def", "def")},
        Status.FAIL,
        "list_orders (GET) is a plain def",
    ),
    Case(
        "routes_none_found_fails",
        "async.routes",
        {"src/app/api/r.py": "X = 1\n"},
        Status.FAIL,
        "",
    ),
    Case(
        "shutdown_lifespan_disposes_passes",
        "infra.graceful_shutdown",
        {"src/app/main.py": LIFESPAN_OK},
        Status.PASS,
    ),
    Case(
        "shutdown_lifespan_with_block_passes",
        "infra.graceful_shutdown",
        {
            "src/app/main.py": LIFESPAN_OK.replace(
                "    engine = object()\n    yield\n    await engine.dispose()\n",
                "    async with resources() as engine:\n        yield\n",
            )
        },
        Status.PASS,
    ),
    Case(
        "shutdown_no_lifespan_fails",
        "infra.graceful_shutdown",
        {"src/app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"},
        Status.FAIL,
        "without a lifespan",
    ),
    Case(
        "shutdown_nothing_after_yield_fails",
        "infra.graceful_shutdown",
        {"src/app/main.py": LIFESPAN_OK.replace("    await engine.dispose()\n", "")},
        Status.FAIL,
        "releases nothing after its yield",
    ),
    Case(
        "shutdown_on_event_fails",
        "infra.graceful_shutdown",
        {
            "src/app/main.py": LIFESPAN_OK
            + '\n\n@app.on_event("shutdown")\nasync def bye() -> None: ...\n'
        },
        Status.FAIL,
        "on_event",
    ),
]

TESTS_OK = {
    "tests/conftest.py": """
        import pytest
        from httpx import AsyncClient


        @pytest.fixture
        def client() -> AsyncClient:
            return AsyncClient()
    """,
    "tests/unit/test_service.py": """
        from unittest.mock import AsyncMock


        def test_mock() -> None:
            repo = AsyncMock()
            repo.add.assert_not_called()


        class TestErrors:
            def test_raises(self) -> None:
                with pytest.raises(ValueError):
                    int("x")
    """,
    "tests/integration/test_consumer.py": """
        from app.kafka.consumer import PaymentsConsumer


        async def test_consumes() -> None:
            assert PaymentsConsumer
    """,
}

CASES += [
    Case("tests_layout_complete_passes", "tests.layout", TESTS_OK, Status.PASS),
    Case(
        "tests_layout_without_unit_tests_fails",
        "tests.layout",
        {k: v for k, v in TESTS_OK.items() if "unit" not in k},
        Status.FAIL,
        "no test functions in tests/unit/",
    ),
    Case(
        "tests_layout_without_consumer_or_fixtures_fails",
        "tests.layout",
        {**TESTS_OK, "tests/conftest.py": "X = 1\n", "tests/integration/test_consumer.py": ""},
        Status.FAIL,
        "conftest.py defines no pytest fixture",
    ),
    Case(
        "tests_layout_only_library_consumer_fails",
        "tests.layout",
        {
            **TESTS_OK,
            "tests/integration/test_consumer.py": "from aiokafka import AIOKafkaConsumer\n\n"
            "def test_it() -> None:\n    assert AIOKafkaConsumer\n",
        },
        Status.FAIL,
        "no test module exercises the Kafka consumer",
    ),
    Case("tests_assertions_all_assert_passes", "tests.assertions", TESTS_OK, Status.PASS),
    Case(
        "tests_assertions_test_without_assert_fails",
        "tests.assertions",
        {"tests/unit/test_x.py": "def test_nothing() -> None:\n    print('hi')\n"},
        Status.FAIL,
        "test test_nothing asserts nothing",
    ),
    Case(
        "tests_assertions_helpers_not_tests_pass",
        "tests.assertions",
        {"tests/unit/helpers.py": "def test_like() -> None: ...\n"},
        Status.PASS,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_check_on_tiny_project(case: Case, tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", case.files)
    outcome = await compute_check(case.item, project, tier=Tier.STATIC)
    assert outcome.status is case.status, (outcome.reason, outcome.findings)
    messages = " | ".join(f.message for f in outcome.findings)
    assert case.evidence in messages
    if case.status is Status.FAIL:
        assert outcome.findings or outcome.reason
        assert all(f.path for f in outcome.findings)


async def test_function_length_finding_points_at_def_line(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p", {"src/app/m.py": "X = 1\n\n@decorated\n" + long_function(30)}
    )
    outcome = await compute_check("code.function_length", project, tier=Tier.STATIC)
    assert [(f.path, f.line) for f in outcome.findings] == [("src/app/m.py", 4)]


def test_relative_imports_resolve_to_absolute_modules() -> None:
    source = "from . import deps\nfrom ..services import orders\nimport app.core.config as cfg\n"
    module = PythonModule("src/app/api/routes/x.py", source, ast.parse(source))
    refs = module_imports(module)
    assert [r.module for r in refs] == ["app.api.routes", "app.api.services", "app.core.config"]
    assert ImportRef("p", 1, "app", ("repositories",)).touches("app.repositories")
    assert not ImportRef("p", 1, "app.repositories_extra").touches("app.repositories")
    assert import_aliases(module)["cfg"] == "app.core.config"
    assert module_name("src/app/api/__init__.py") == "app.api"


def test_lexical_info_separates_code_comments_and_blank_lines() -> None:
    info = lexical_info('x = 1\n\n# only a comment\ny = """a\n\nb"""  # trailing\n')
    assert info.code_lines == frozenset({1, 4, 5, 6})
    assert [line for line, _ in info.comments] == [3, 6]


def test_functions_inside_compound_statements_are_indexed() -> None:
    source = (
        "if True:\n    def a() -> None: ...\ntry:\n    pass\nexcept E:\n    def b() -> None: ...\n"
    )
    module = PythonModule("src/app/m.py", source, ast.parse(source))
    assert [f.qualname for f in module_functions(module)] == ["a", "b"]
