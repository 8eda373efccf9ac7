"""The project locator: the package, the app or factory, and one deviation per departure."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evals.facts.layout import CONTRACT_TARGET, AppTarget, locate
from evals.facts.source import PythonModule, _parse
from evals.model import Status, Tier
from evals.runner import score_project
from tests.mutations.helpers import copy_reference, not_passing, replace_in_file

APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"
FACTORY = "from fastapi import FastAPI\n\n\ndef create_app() -> FastAPI:\n    return FastAPI()\n"


def _modules(root: Path, files: dict[str, str]) -> tuple[tuple[PythonModule, ...], tuple[str, ...]]:
    """Write ``files`` under ``root`` and parse the Python ones."""
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    paths = tuple(sorted(files))
    return tuple(_parse(root, p) for p in paths if p.endswith(".py")), paths


def test_contract_layout_has_no_deviation(tmp_path: Path) -> None:
    modules, files = _modules(tmp_path, {"src/app/main.py": APP, "tests/test_x.py": ""})
    layout = locate(modules, files, "alembic")
    assert (layout.package_dir, layout.code_root, layout.package) == ("src/app", "src", "app")
    assert layout.app is not None and layout.app.target == CONTRACT_TARGET
    assert layout.deviations() == []


def test_package_at_the_root_is_found_and_is_one_deviation(tmp_path: Path) -> None:
    modules, files = _modules(tmp_path, {"app/main.py": APP, "app/api/routes.py": ""})
    layout = locate(modules, files, None)
    assert (layout.package_dir, layout.code_root) == ("app", "app")
    assert layout.in_code("app/api/routes.py") and not layout.in_code("tests/test_x.py")
    assert [f.message for f in layout.deviations()] == [
        "application package is at app/, expected src/app/"
    ]


def test_factory_only_is_found_and_reported_once(tmp_path: Path) -> None:
    modules, files = _modules(tmp_path, {"src/app/main.py": FACTORY})
    layout = locate(modules, files, None)
    assert layout.app is not None
    assert layout.app.target == AppTarget("app.main", "create_app", factory=True)
    messages = [f.message for f in layout.deviations()]
    assert messages == ["the app factory is app.main:create_app, expected app.main:app"]


def test_instance_built_by_a_factory_is_the_contract(tmp_path: Path) -> None:
    source = FACTORY + "\n\napp = create_app()\n"
    modules, files = _modules(tmp_path, {"src/app/main.py": source})
    layout = locate(modules, files, None)
    assert layout.app is not None and layout.app.target == CONTRACT_TARGET


def test_named_package_under_src_and_tests_are_not_code(tmp_path: Path) -> None:
    files = {"src/orders/web.py": APP, "tests/conftest.py": APP, "test/helpers.py": ""}
    modules, paths = _modules(tmp_path, files)
    layout = locate(modules, paths, None)
    assert (layout.package_dir, layout.package, layout.tests_dir) == (
        "src/orders",
        "orders",
        "tests",
    )
    assert layout.module("repositories") == "orders.repositories"
    assert [a.path for a in layout.apps] == ["src/orders/web.py"]


def test_no_app_falls_back_to_the_usual_directories(tmp_path: Path) -> None:
    modules, files = _modules(tmp_path, {"app/core/config.py": "X = 1\n"})
    assert locate(modules, files, None).package_dir == "app"
    modules, files = _modules(tmp_path / "empty", {"README.md": ""})
    assert locate(modules, files, None).package_dir == ""


def move_package_to_root(project: Path) -> Path:
    """Move ``src/app`` of a reference copy to ``app/`` and point its configuration there."""
    shutil.move(project / "src" / "app", project / "app")
    shutil.rmtree(project / "src")
    replace_in_file(project / "pyproject.toml", 'from = "src"', 'from = "."')
    return project


@pytest.mark.slow
async def test_package_at_root_is_judged_on_its_code(tmp_path: Path) -> None:
    """One layout deviation must not cascade into every static item (issue: harness fidelity)."""
    project = move_package_to_root(copy_reference(tmp_path / "project"))
    result = await score_project(project, tier=Tier.STATIC)
    failing = not_passing(result)
    assert set(failing) == {"structure.layout"}, failing
    layout = result.by_id("structure.layout").outcome
    assert result.by_id("structure.layout").status is Status.FAIL
    assert [f.message for f in layout.findings] == [
        "application package is at app/, expected src/app/"
    ]
