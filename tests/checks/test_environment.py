"""The installed-environment and services facts: cache keys, builds, reuse, services."""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import pytest

from evals.checks.build import install_failure
from evals.context import Facts, RunOptions
from evals.facts import environment
from evals.facts.declared import Recipe, detect_recipe, pip_requirements
from evals.facts.environment import (
    COMPLETE_MARKER,
    INSTALLED_ENV,
    OTHER_ASGI_SERVERS,
    InstalledEnv,
    InstallError,
    _remove_leftovers,
    dependency_fingerprint,
    envs_root,
    installer_for,
    project_env,
    relocate,
    server_note,
)
from evals.facts.installers import fail, with_pypi_simple
from evals.facts.requires_python import (
    PythonRequirement,
    check_python,
    poetry_alternatives,
    python_requirements,
)
from evals.facts.services import SERVICES, Services, libpq_url, psql_path, with_database
from evals.model import Status, Tier
from evals.procs import ProcResult, run
from evals.runner import run_cleanups

PEP621 = '[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = ["six"]\n'


def _facts(project: Path, cache: Path, env: dict[str, str] | None = None) -> Facts:
    """Facts for ``project`` with its own scratch directory next to it."""
    workdir = project.parent / f"work-{project.name}"
    workdir.mkdir(exist_ok=True)
    return Facts(project, RunOptions(Tier.FULL, workdir, dict(env or {}), cache))


def _pip_project(root: Path, pyproject: str = PEP621) -> Path:
    (root / "src" / "app").mkdir(parents=True)
    (root / "src" / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return root


# ------------------------------------------------------------------ pure functions


def test_fingerprint_ignores_tool_settings_but_not_dependencies(tmp_path: Path) -> None:
    project = _pip_project(tmp_path / "p")
    before = dependency_fingerprint(project)
    (project / "pyproject.toml").write_text(PEP621 + "[tool.mypy]\nstrict = false\n", "utf-8")
    assert dependency_fingerprint(project) == before
    (project / "poetry.lock").write_text("# lock\n", encoding="utf-8")
    assert dependency_fingerprint(project) != before


def test_pip_requirements_include_dev_extras_and_groups(tmp_path: Path) -> None:
    text = (
        '[project]\nname = "d"\nversion = "0"\ndependencies = ["fastapi>=0.110"]\n'
        '[project.optional-dependencies]\ndev = ["pytest"]\ndocs = ["mkdocs"]\n'
        '[dependency-groups]\ntest = ["coverage", {include-group = "lint"}]\nlint = ["ruff"]\n'
    )
    project = _pip_project(tmp_path / "p", text)
    assert pip_requirements(project) == ["fastapi>=0.110", "pytest", "coverage", "ruff"]


def test_installer_follows_the_project_tooling(tmp_path: Path) -> None:
    project = _pip_project(tmp_path / "p")
    assert installer_for(project) == "pip"
    (project / "pyproject.toml").write_text(
        '[tool.poetry.dependencies]\npython = "^3.11"\n', encoding="utf-8"
    )
    assert installer_for(project) == "poetry"
    (project / "pyproject.toml").write_text(PEP621, encoding="utf-8")
    (project / "poetry.lock").write_text("", encoding="utf-8")
    assert installer_for(project) == "poetry"


def test_simple_index_is_added_only_without_sources() -> None:
    added = with_pypi_simple({}, '[tool.poetry]\nname = "x"\n')
    assert 'url = "https://pypi.org/simple/"' in added
    assert 'priority = "primary"' in added
    existing = {"tool": {"poetry": {"source": [{"name": "corp", "url": "https://corp/simple"}]}}}
    assert with_pypi_simple(existing, "unchanged") == "unchanged"


def test_relocate_rewrites_shebangs_but_not_symlinks(tmp_path: Path) -> None:
    venv = tmp_path / "final"
    (venv / "bin").mkdir(parents=True)
    script = venv / "bin" / "alembic"
    script.write_text("#!/scratch/.build-x/bin/python\nimport alembic\n", encoding="utf-8")
    (venv / "bin" / "python").symlink_to(sys.executable)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\ncommand = /scratch/.build-x\n", "utf-8")
    relocate(venv, Path("/scratch/.build-x"), venv)
    assert script.read_text(encoding="utf-8").startswith(f"#!{venv}/bin/python\n")
    assert (venv / "bin" / "python").is_symlink()
    assert str(venv) in (venv / "pyvenv.cfg").read_text(encoding="utf-8")


def test_leftover_builds_of_the_key_are_removed(tmp_path: Path) -> None:
    final = tmp_path / "abc"
    (tmp_path / ".build-abc-dead").mkdir()
    (tmp_path / ".build-other-live").mkdir()
    _remove_leftovers(final)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".build-other-live"]


def test_project_env_puts_venv_first_and_src_on_path(tmp_path: Path) -> None:
    env = project_env(tmp_path / "venv", tmp_path / "project", {"EXTRA": "1"})
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path / "venv" / "bin")
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(tmp_path / "project" / "src")
    assert env["VIRTUAL_ENV"] == str(tmp_path / "venv")
    assert env["EXTRA"] == "1"


def test_services_database_helpers() -> None:
    url = "postgresql+asyncpg://postgres:@/postgres?host=/tmp/pg"
    assert with_database(url, "evals_x") == "postgresql+asyncpg://postgres:@/evals_x?host=/tmp/pg"
    assert libpq_url(url).startswith("postgresql://postgres:@/postgres")


async def test_given_services_are_used_as_they_are(tmp_path: Path) -> None:
    given = {
        "DATABASE_URL": "postgresql+asyncpg://u:p@db:5432/app",
        "KAFKA_BOOTSTRAP_SERVERS": "k:9092",
    }
    facts = _facts(_pip_project(tmp_path / "p"), tmp_path / "cache", given)
    services = await facts.get(SERVICES)
    assert services.database_url == given["DATABASE_URL"]
    assert services.env["KAFKA_BOOTSTRAP_SERVERS"] == "k:9092"
    assert "KAFKA_ENABLE_IDEMPOTENCE" not in services.env
    assert not services.embedded_database
    assert facts.cleanups == []


# ------------------------------------------------------------------ real installs


async def _install(project: Path, cache: Path) -> InstalledEnv:
    return await _facts(project, cache).get(INSTALLED_ENV)


@pytest.mark.slow
@pytest.mark.full
async def test_pip_install_is_cached_and_shared(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first, second = await asyncio.gather(
        _install(_pip_project(tmp_path / "a"), cache), _install(_pip_project(tmp_path / "b"), cache)
    )
    assert first.python == second.python
    assert first.installer == "pip"
    assert set(first.added_tools) == {"coverage", "pytest"}
    assert first.env["PYTHONPATH"].startswith(str(tmp_path / "a" / "src"))
    assert (first.python.parent.parent / COMPLETE_MARKER).is_file()
    assert [p.name for p in envs_root(cache).iterdir() if p.name.startswith(".build-")] == []
    started = time.monotonic()
    again = await _install(_pip_project(tmp_path / "c"), cache)
    assert again.reused
    assert time.monotonic() - started < 5
    check = await run([str(again.python), "-c", "import six, coverage, pytest"], cwd=tmp_path)
    assert check.ok, check.tail()


POETRY_PYPROJECT = (
    '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
    "dependencies = []\n\n[tool.poetry]\npackage-mode = false\n"
)
EMPTY_LOCK = (
    "# This file is automatically @generated by Poetry 2.5.1 and should not be changed by hand.\n"
    'package = []\n\n[metadata]\nlock-version = "2.1"\npython-versions = ">=3.11"\n'
    'content-hash = "0"\n'
)


# Writes poetry.lock's content hash for the project at argv[1], as `poetry lock` would.
LOCK_FOR = (
    "import sys, re, pathlib\n"
    "from poetry.factory import Factory\n"
    "root = pathlib.Path(sys.argv[1])\n"
    "digest = Factory().create_poetry(root).locker._get_content_hash()\n"
    "lock = root / 'poetry.lock'\n"
    "text = lock.read_text(encoding='utf-8')\n"
    "lock.write_text(text.replace('content-hash = \"0\"', f'content-hash = \"{digest}\"'))\n"
)


async def _poetry_project(root: Path) -> Path:
    """A dependency-free Poetry project, without sources, with a fresh lock file."""
    project = _pip_project(root, POETRY_PYPROJECT)
    (project / "poetry.lock").write_text(EMPTY_LOCK, encoding="utf-8")
    locked = await run([sys.executable, "-c", LOCK_FOR, str(project)], cwd=project)
    assert locked.ok, locked.tail()
    return project


@pytest.mark.slow
@pytest.mark.full
async def test_poetry_project_without_sources_installs(tmp_path: Path) -> None:
    project = await _poetry_project(tmp_path / "poetry")
    original = (project / "pyproject.toml").read_bytes()
    installed = await _install(project, tmp_path / "cache")
    assert installed.installer == "poetry"
    assert installed.python.is_file()
    assert (project / "pyproject.toml").read_bytes() == original


@pytest.mark.slow
@pytest.mark.full
async def test_stale_poetry_lock_is_the_projects_fault(tmp_path: Path) -> None:
    project = await _poetry_project(tmp_path / "stale")
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    (project / "pyproject.toml").write_text(text.replace("[]", '["six"]'), encoding="utf-8")
    with pytest.raises(InstallError) as caught:
        await _install(project, tmp_path / "cache")
    assert caught.value.project_fault
    outcome = install_failure(caught.value)
    assert outcome.status is Status.FAIL
    assert outcome.findings[0].path == "poetry.lock"


def test_install_failure_reraises_harness_faults() -> None:
    error = InstallError("installing the project failed: network down")
    with pytest.raises(InstallError):
        install_failure(error)


# ------------------------------------------------------------------ embedded services


async def _check_services(services: Services, tmp_path: Path) -> None:
    """Both services answer; fresh databases are distinct and usable."""
    assert services.embedded_database
    assert services.env["KAFKA_ENABLE_IDEMPOTENCE"] == "false"
    first, second = await asyncio.gather(
        services.fresh_database("one"), services.fresh_database("one")
    )
    assert first != second
    query = await run([str(psql_path()), libpq_url(second), "-qAtc", "SELECT 1"], cwd=tmp_path)
    assert query.stdout.strip() == "1", query.tail()
    host, port = services.kafka_bootstrap.split(":")
    _reader, writer = await asyncio.open_connection(host, int(port))
    writer.close()


@pytest.mark.slow
@pytest.mark.full
async def test_embedded_services_start_serve_and_stop(tmp_path: Path) -> None:
    facts = _facts(_pip_project(tmp_path / "p"), tmp_path / "cache")
    try:
        services: Services = await facts.get(SERVICES)
        await _check_services(services, tmp_path)
    finally:
        await run_cleanups(facts)
    host, port = services.kafka_bootstrap.split(":")
    with pytest.raises(OSError):
        await asyncio.open_connection(host, int(port))


# ------------------------------------------------------------------ project kinds

INSTALLER_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "projects" / "installers"


def _copy_fixture(name: str, root: Path) -> Path:
    """A copy of the installer fixture project ``name`` under ``root``."""
    return Path(shutil.copytree(INSTALLER_FIXTURES / name, root / name))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("uv_locked", Recipe("uv", ("uv.lock",), locked=True)),
        ("hypercorn_groups", Recipe("uv")),
        ("pip_dev_extra", Recipe("pip")),
        (
            "requirements_only",
            Recipe("pip", ("requirements-dev.txt", "requirements.txt", "requirements/base.txt")),
        ),
        ("poetry_python_caret", Recipe("poetry")),
        ("poetry1_dev_dependencies", Recipe("poetry")),
    ],
)
def test_recipe_follows_the_project_files(name: str, expected: Recipe) -> None:
    assert detect_recipe(INSTALLER_FIXTURES / name) == expected


def test_a_poetry_lock_wins_over_a_uv_lock(tmp_path: Path) -> None:
    project = _copy_fixture("uv_locked", tmp_path)
    (project / "poetry.lock").write_text("# lock\n", encoding="utf-8")
    assert detect_recipe(project) == Recipe("poetry", ("poetry.lock",), locked=True)


def test_poetry_groups_alone_call_for_poetry(tmp_path: Path) -> None:
    text = PEP621 + '[tool.poetry.group.dev.dependencies]\npytest = "*"\n'
    assert installer_for(_pip_project(tmp_path / "p", text)) == "poetry"


@pytest.mark.parametrize(
    ("name", "read_file"),
    [("uv_locked", "uv.lock"), ("requirements_only", "requirements/base.txt")],
)
def test_fingerprint_covers_the_files_the_installer_reads(
    tmp_path: Path, name: str, read_file: str
) -> None:
    project = _copy_fixture(name, tmp_path)
    before = dependency_fingerprint(project)
    with (project / read_file).open("a", encoding="utf-8") as handle:
        handle.write("\n# changed\n")
    assert dependency_fingerprint(project) != before


def test_fingerprint_ignores_files_the_installer_does_not_read(tmp_path: Path) -> None:
    project = _copy_fixture("uv_locked", tmp_path)
    before = dependency_fingerprint(project)
    (project / "requirements.txt").write_text("flask\n", encoding="utf-8")
    assert dependency_fingerprint(project) == before


@pytest.mark.parametrize(
    "groups",
    [
        '[dependency-groups]\ndev = [{include-group = "dev"}]\n',
        '[dependency-groups]\ndev = [{include-group = "missing"}]\n',
    ],
)
def test_broken_group_includes_are_the_projects_fault(tmp_path: Path, groups: str) -> None:
    project = _pip_project(tmp_path / "p", PEP621 + groups)
    with pytest.raises(InstallError) as caught:
        pip_requirements(project)
    assert caught.value.project_fault


@pytest.mark.parametrize(
    ("output", "blamed"),
    [
        ("error: No solution found when resolving dependencies\n  cause: unsatisfiable", True),
        ("error: Failed to parse: `six>>1`", True),
        (
            "error: Request failed after 3 retries: Failed to fetch: `https://pypi.org/simple/six/`",
            False,
        ),
    ],
)
def test_uv_failures_are_blamed_on_their_cause(output: str, blamed: bool) -> None:
    result = ProcResult(("uv", "sync"), 1, "", output, False, False, 0.1)
    assert fail("uv sync", result).project_fault is blamed


def test_server_note_names_the_projects_own_server() -> None:
    assert server_note(["uvicorn", "granian", "daphne"]) == (
        "uvicorn added by the harness to serve the app; the project declares hypercorn"
    )
    assert server_note(["uvicorn", *OTHER_ASGI_SERVERS]).endswith("declares no ASGI server")


# ------------------------------------------------------------------ requires-python


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("^3.11", ((">=3.11", "<4"),)),
        ("^0.2.3", ((">=0.2.3", "<0.3"),)),
        ("^0.0", ((">=0.0", "<0.1"),)),
        ("~3.11", ((">=3.11", "<3.12"),)),
        ("~3.11.2", ((">=3.11.2", "<3.12"),)),
        ("~3", ((">=3", "<4"),)),
        ("~=3.10", (("~=3.10",),)),
        ("3.11.*", (("==3.11.*",),)),
        ("3.11", (("==3.11",),)),
        ("*", ((),)),
        (">= 3.8, < 4.0", ((">=3.8", "<4.0"),)),
        (">=3.11,<3.13 || >=3.14", ((">=3.11", "<3.13"), (">=3.14",))),
    ],
)
def test_poetry_constraints_translate_to_pep440(
    constraint: str, expected: tuple[tuple[str, ...], ...]
) -> None:
    assert poetry_alternatives(constraint) == expected


POETRY_CASES = ["^3.11", "^3.12", "~3.11", "~3.10", "3.11.*", "3.11", "3.11.7", ">=3.11 <3.12"]
POETRY_CASES += ["^3", "~3", "~=3.10", "*", ">=3.8,<3.11 || >=3.11.5", "^3.11.8", "=3.11.7"]


@pytest.mark.parametrize("constraint", POETRY_CASES)
@pytest.mark.parametrize("version", ["3.11.7", "3.12.0", "4.0.0"])
def test_poetry_constraints_agree_with_poetry_core(constraint: str, version: str) -> None:
    poetry_version = pytest.importorskip("poetry.core.constraints.version")
    theirs = poetry_version.parse_constraint(constraint).allows(
        poetry_version.Version.parse(version)
    )
    ours = PythonRequirement("python", constraint, poetry_alternatives(constraint))
    assert ours.allows(version) == theirs


def test_requires_python_is_described_in_words(tmp_path: Path) -> None:
    text = PEP621.replace(
        'version = "0.1.0"', 'version = "0.1.0"\nrequires-python = ">=3.11,<3.14"'
    )
    (requirement,) = python_requirements(_pip_project(tmp_path / "p", text))
    assert requirement.describe() == ">= 3.11, < 3.14"
    assert requirement.allows("3.11.7")
    assert not requirement.allows("3.14.0")


def test_both_declarations_must_accept_the_interpreter(tmp_path: Path) -> None:
    text = PEP621.replace("[project]", '[project]\nrequires-python = ">=3.10"') + (
        '[tool.poetry.dependencies]\npython = "~3.10"\n'
    )
    project = _pip_project(tmp_path / "p", text)
    check_python(project, "3.10.4")
    with pytest.raises(InstallError, match=r"needs Python >= 3.10, < 3.11 \(\[tool.poetry"):
        check_python(project, "3.11.7")


def test_invalid_requires_python_is_the_projects_fault(tmp_path: Path) -> None:
    text = PEP621.replace("[project]", '[project]\nrequires-python = "3.11+"')
    with pytest.raises(InstallError, match="not a valid Python version constraint") as caught:
        check_python(_pip_project(tmp_path / "p", text))
    assert caught.value.project_fault


@pytest.fixture
def no_installs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every install step fail the test: the harness must not get that far."""

    async def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("an installer ran")

    monkeypatch.setattr(environment, "install_dependencies", forbidden)
    monkeypatch.setattr(environment, "step", forbidden)


@pytest.mark.usefixtures("no_installs")
@pytest.mark.parametrize(
    ("name", "declared"),
    [
        ("python_too_new", "needs Python >= 3.14 (requires-python = '>=3.14')"),
        (
            "poetry_python_caret",
            "needs Python >= 3.12, < 4 ([tool.poetry.dependencies] python = '^3.12')",
        ),
    ],
)
async def test_a_project_for_another_python_is_a_harness_error(
    tmp_path: Path, name: str, declared: str
) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(InstallError) as caught:
        await _install(_copy_fixture(name, tmp_path), cache)
    assert not caught.value.project_fault  # checks report error, not fail
    assert declared in str(caught.value)
    assert f"the harness runs {platform.python_version()}" in str(caught.value)
    assert not envs_root(cache).exists()


# ------------------------------------------------------------------ real installs per kind


@pytest.fixture(scope="module")
def kinds_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One environment cache for the project-kind installs of this module."""
    return tmp_path_factory.mktemp("kinds-cache")


async def _imports(installed: InstalledEnv, modules: str, cwd: Path) -> None:
    """Assert that the installed environment imports ``modules`` (comma-separated)."""
    result = await run([str(installed.python), "-c", f"import {modules}"], cwd=cwd)
    assert result.ok, result.tail()


@pytest.mark.slow
@pytest.mark.full
@pytest.mark.parametrize(
    ("name", "installer"),
    [("uv_locked", "uv"), ("pip_dev_extra", "pip"), ("requirements_only", "pip")],
)
async def test_runtime_and_dev_dependencies_are_installed(
    tmp_path: Path, kinds_cache: Path, name: str, installer: str
) -> None:
    project = _copy_fixture(name, tmp_path)
    installed = await _install(project, kinds_cache)
    assert installed.installer == installer
    await _imports(installed, "six, idna, pytest, coverage, uvicorn", tmp_path)
    assert installed.notes == (
        "uvicorn added by the harness to serve the app; the project declares no ASGI server",
    )
    assert installed.env["PYTHONPATH"].split(os.pathsep) == [str(project / "src"), str(project)]


@pytest.mark.slow
@pytest.mark.full
async def test_a_project_serving_with_hypercorn_gets_uvicorn_and_a_note(
    tmp_path: Path, kinds_cache: Path
) -> None:
    installed = await _install(_copy_fixture("hypercorn_groups", tmp_path), kinds_cache)
    assert installed.installer == "uv"
    await _imports(installed, "hypercorn, idna, uvicorn", tmp_path)
    assert installed.notes == (
        "uvicorn added by the harness to serve the app; the project declares hypercorn",
    )
    again = await _install(_copy_fixture("hypercorn_groups", tmp_path / "again"), kinds_cache)
    assert again.reused
    assert again.notes[: len(installed.notes)] == installed.notes
    assert [note.split(":")[0] for note in again.notes[len(installed.notes) :]] == [
        "cached environment verified"
    ]


@pytest.mark.slow
@pytest.mark.full
async def test_a_poetry1_project_without_a_lock_installs_its_dev_dependencies(
    tmp_path: Path, kinds_cache: Path
) -> None:
    project = _copy_fixture("poetry1_dev_dependencies", tmp_path)
    installed = await _install(project, kinds_cache)
    assert installed.installer == "poetry"
    await _imports(installed, "six, idna", tmp_path)
    assert sorted(p.name for p in project.iterdir()) == ["pyproject.toml"]


@pytest.mark.slow
@pytest.mark.full
async def test_a_stale_uv_lock_is_the_projects_fault(tmp_path: Path, kinds_cache: Path) -> None:
    """``uv sync --locked`` refuses a lock that no longer matches pyproject.toml."""
    project = _copy_fixture("uv_locked", tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('["six"]', '["six", "idna"]'))
    with pytest.raises(InstallError) as caught:
        await _install(project, kinds_cache)
    assert caught.value.project_fault, str(caught.value)
