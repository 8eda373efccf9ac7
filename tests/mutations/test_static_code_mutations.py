"""Mutations of reference_impl/ that the AST/code static checks must catch.

Each mutation edits a temporary copy of the reference, preferring appends and edits
located through the syntax tree over exact-text replacement, so small changes to the
reference do not break them. The copy is scored with the static tier: the targets must
fail and every other static gate must still pass.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

from evals.facts.ast_index import (
    FunctionInfo,
    RouteHandler,
    module_functions,
    route_handlers_of,
)
from evals.facts.source import PythonModule
from evals.model import Tier
from evals.runner import score_project
from tests.mutations.helpers import (
    Mutation,
    MutationError,
    append_to_file,
    assert_caught,
    copy_reference,
    not_passing,
    remove_path,
)


def parsed(path: Path, root: Path) -> PythonModule:
    """``path`` parsed as the harness would see it."""
    source = path.read_text(encoding="utf-8")
    return PythonModule(path.relative_to(root).as_posix(), source, ast.parse(source))


def modules_in(root: Path, directory: str) -> list[Path]:
    """Python files (``__init__.py`` excluded) under ``root/directory``, sorted."""
    files = sorted((root / directory).rglob("*.py"))
    found = [path for path in files if path.name != "__init__.py"]
    if not found:
        raise MutationError(f"no Python module under {directory}")
    return found


def append_code(root: Path, directory: str, code: str) -> None:
    """Append dedented ``code`` to the first module under ``directory``."""
    append_to_file(modules_in(root, directory)[0], "\n\n" + textwrap.dedent(code))


def router_of(handler: RouteHandler) -> str:
    """The router (or app) expression of a handler's route decorator, e.g. ``router``."""
    for decorator in handler.function.node.decorator_list:
        if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute):
            return ast.unparse(decorator.func.value)
    raise MutationError(f"no route decorator on {handler.function.qualname}")


def add_sync_route(root: Path) -> None:
    """Append a plain ``def`` handler to the first router module, on that module's router."""
    for path in modules_in(root, "src/app/api"):
        handlers = route_handlers_of(parsed(path, root))
        if handlers:
            router = router_of(handlers[0])
            code = f'''
                @{router}.get("/mutation-sync")
                def mutation_sync_handler() -> dict[str, str]:
                    """A sync handler: blocks a worker thread per request."""
                    return {{}}
            '''
            append_to_file(path, "\n\n" + textwrap.dedent(code))
            return
    raise MutationError("no route handler found under src/app/api")


def python_lines(root: Path) -> int:
    """Number of lines of Python under src/ and tests/ of the copy."""
    files = [*(root / "src").rglob("*.py"), *(root / "tests").rglob("*.py")]
    return sum(len(path.read_text(encoding="utf-8").splitlines()) for path in files)


def add_per_file_ignores(root: Path) -> None:
    """Add Ruff per-file ignores: 10 per 1000 lines of Python, twice the threshold."""
    entries = python_lines(root) // 100 + 10
    table = "".join(f'"src/app/generated_{i}.py" = ["E501"]\n' for i in range(entries))
    header = "[tool.ruff.lint.extend-per-file-ignores]\n"
    append_to_file(root / "pyproject.toml", "\n" + header + table)


def first_annotated(path: Path, root: Path) -> FunctionInfo:
    """The first function of ``path`` that has a return annotation."""
    for function in module_functions(parsed(path, root)):
        if function.node.returns is not None:
            return function
    raise MutationError(f"no annotated function in {path}")


def strip_return_annotation(root: Path) -> None:
    """Remove ``-> T`` from the first annotated function of the first service module."""
    path = modules_in(root, "src/app/services")[0]
    returns = first_annotated(path, root).node.returns
    assert returns is not None and returns.end_lineno is not None
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start, end = returns.lineno - 1, returns.end_lineno - 1
    head = lines[start][: returns.col_offset]
    arrow = head.rfind("->")
    if arrow < 0:
        raise MutationError(f"no '->' before the return annotation in {path}")
    lines[start : end + 1] = [head[:arrow].rstrip() + lines[end][returns.end_col_offset :]]
    path.write_text("".join(lines), encoding="utf-8")


def rename_unit_tests(root: Path) -> None:
    """Turn every ``test_*`` function under tests/unit into a non-test helper."""
    renamed = 0
    for path in sorted((root / "tests/unit").rglob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        new, count = re.subn(r"\bdef test_", "def helper_", text)
        path.write_text(new, encoding="utf-8")
        renamed += count
    if not renamed:
        raise MutationError("no test function under tests/unit")


def drop_env_file_option(root: Path) -> None:
    """Remove ``.env`` support: rename the ``env_file`` option and drop .env.example."""
    path = root / "src/app/core/config.py"
    text, count = re.subn(r"\benv_file\b(?!_)", "env_file_disabled", path.read_text("utf-8"))
    if not count:
        raise MutationError("no env_file option in src/app/core/config.py")
    path.write_text(text, encoding="utf-8")
    remove_path(root / ".env.example")


def write_file(path: Path, text: str) -> None:
    """Create ``path`` with ``text`` (a new file the reference does not have)."""
    if path.exists():
        raise MutationError(f"{path} already exists")
    path.write_text(text, encoding="utf-8")


def unsecret_settings(root: Path) -> None:
    """Annotate settings fields with ``str`` instead of ``SecretStr``."""
    path = root / "src/app/core/config.py"
    text, count = re.subn(r":\s*SecretStr\b", ": str", path.read_text("utf-8"))
    if not count:
        raise MutationError("no SecretStr field in src/app/core/config.py")
    path.write_text(text, encoding="utf-8")


LONG_FUNCTION = "def mutation_long_function(value: int) -> int:\n" + (
    '    """Twenty-five lines of straight-line code."""\n'
    + "".join(f"    value = value + {i}\n" for i in range(24))
    + "    return value\n"
)
BLOCKING = '''
import time


async def mutation_blocking_pause() -> None:
    """Sleeps on the event loop."""
    time.sleep(0.1)
'''
TEST_WITHOUT_ASSERT = '''
def test_mutation_checks_nothing() -> None:
    """Runs code but checks nothing."""
    sorted([3, 1, 2])
'''
ON_EVENT = '''
@app.on_event("shutdown")
async def mutation_legacy_shutdown() -> None:
    """Deprecated shutdown hook."""
'''

MUTATIONS = [
    Mutation(
        "router imports a repository",
        ("arch.layers",),
        lambda root: append_code(root, "src/app/api/routes", "import app.repositories\n"),
    ),
    Mutation(
        "service imports fastapi",
        ("arch.layers",),
        lambda root: append_code(root, "src/app/services", "from fastapi import HTTPException\n"),
    ),
    Mutation(
        "long function in a service",
        ("code.function_length",),
        lambda root: append_code(root, "src/app/services", LONG_FUNCTION),
    ),
    Mutation(
        "bare noqa",
        ("quality.suppressions",),
        lambda root: append_code(root, "src/app/services", "MUTATION_FLAG = 1  # noqa\n"),
    ),
    Mutation(
        "ruff per-file ignores above the density threshold",
        ("quality.suppressions",),
        add_per_file_ignores,
    ),
    Mutation("return annotation stripped", ("types.annotations",), strip_return_annotation),
    Mutation(
        "unannotated helper in a test module",
        ("types.annotations",),
        lambda root: append_code(
            root, "tests/integration", "def mutation_helper(value):\n    return value\n"
        ),
    ),
    Mutation(
        "time.sleep in async def",
        ("async.no_blocking",),
        lambda root: append_code(root, "src/app/services", BLOCKING),
    ),
    Mutation(
        "kafka-python imported",
        ("async.no_blocking",),
        lambda root: append_to_file(root / "src/app/kafka/producer.py", "\nimport kafka\n"),
    ),
    Mutation("sync route handler", ("async.routes",), add_sync_route),
    Mutation("no unit tests", ("tests.layout",), rename_unit_tests),
    Mutation(
        "test without assertion",
        ("tests.assertions",),
        lambda root: append_code(root, "tests/integration", TEST_WITHOUT_ASSERT),
    ),
    Mutation(
        "hard-coded password in settings",
        ("config.secrets",),
        lambda root: append_to_file(
            root / "src/app/core/config.py", '\n_FALLBACK_DB_PASSWORD = "pr0d-Passw0rd!"\n'
        ),
    ),
    Mutation(
        "committed .env.production",
        ("config.secrets",),
        lambda root: write_file(root / ".env.production", "KAFKA_SASL_USERNAME=orders\n"),
    ),
    Mutation("settings without SecretStr", ("config.secrets",), unsecret_settings),
    Mutation("no .env support", ("config.settings",), drop_env_file_option),
    Mutation(
        "deprecated on_event hook",
        ("infra.graceful_shutdown",),
        lambda root: append_to_file(root / "src/app/main.py", "\n\n" + ON_EVENT),
    ),
]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=str)
async def test_static_code_mutation_is_caught(mutation: Mutation, tmp_path: Path) -> None:
    project = copy_reference(tmp_path / "project")
    mutation.apply(project)
    result = await score_project(project, tier=Tier.STATIC)
    assert_caught(result, mutation)


async def test_reference_passes_every_code_item(reference_copy: Path) -> None:
    my_items = sorted({target for mutation in MUTATIONS for target in mutation.targets})
    result = await score_project(reference_copy, tier=Tier.STATIC, select=my_items)
    assert not not_passing(result)
