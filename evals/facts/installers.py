"""The installers that put a project's declared dependencies into a virtual environment.

``poetry install`` (the ``poetry`` next to the harness's interpreter) for Poetry projects,
``uv sync --locked`` for a ``uv.lock`` and ``uv pip install`` for dependency groups without
a lock (uv itself is installed from PyPI once, into the cache's tool area), and
``pip install`` for PEP 621 projects and requirements files. See
:mod:`evals.facts.declared` for which installer a project gets.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

from evals.facts.declared import (
    InstallError,
    Recipe,
    dev_extras,
    pip_requirements,
    read_toml,
)
from evals.procs import ProcResult, run
from evals.sandbox import Sandbox

PYPI_SIMPLE = "https://pypi.org/simple/"
UV_VERSION = "0.13.9"
INSTALL_TIMEOUT_S = 1200.0
# Output of pip / Poetry / uv that means the project's dependency declaration is broken.
PROJECT_FAULT_MARKERS = (
    "changed significantly since poetry.lock",
    "poetry.lock was last generated",
    "version solving failed",
    "SolverProblemError",
    "ResolutionImpossible",
    "conflicting dependencies",
    "Invalid requirement",
    "Could not parse version constraint",
    "TOMLDecodeError",
    "Invalid TOML",
    "No solution found when resolving",
    "Failed to parse",
    "needs to be updated",
)


def fail(what: str, result: ProcResult) -> InstallError:
    """An :class:`InstallError` for a failed install step, with the output's tail."""
    status = "timed out" if result.timed_out else f"exited {result.returncode}"
    text = result.stdout + result.stderr
    blamed = any(marker in text for marker in PROJECT_FAULT_MARKERS)
    message = f"installing the project failed: {what} {status}\n{result.tail(30)}"
    return InstallError(message, project_fault=blamed)


async def step(
    what: str, argv: list[str], cwd: Path, env: dict[str, str], sandbox: Sandbox | None = None
) -> ProcResult:
    """Run one install step (in ``sandbox``), raising :class:`InstallError` when it fails."""
    result = await run(argv, cwd=cwd, env=env, timeout_s=INSTALL_TIMEOUT_S, sandbox=sandbox)
    if not result.ok:
        raise fail(what, result)
    return result


def with_pypi_simple(pyproject: dict[str, Any], text: str) -> str:
    """``text`` plus PyPI's simple index as primary source, unless sources exist already."""
    sources = pyproject.get("tool", {}).get("poetry", {}).get("source")
    if sources:
        return text
    return (
        text.rstrip("\n")
        + "\n\n# Added by the eval harness: this registry serves only the simple index.\n"
        + f'[[tool.poetry.source]]\nname = "evals-pypi-simple"\nurl = "{PYPI_SIMPLE}"\n'
        + 'priority = "primary"\n'
    )


# Adding a source changes the lock's content hash. When the lock was fresh for the
# project's own pyproject, recompute the hash with Poetry itself so the unchanged lock
# stays valid for the edited copy; a stale lock is left stale for Poetry to report.
_REHASH = (
    "import sys, re, pathlib\n"
    "from poetry.factory import Factory\n"
    "original, stage = (pathlib.Path(p) for p in sys.argv[1:3])\n"
    "def content_hash(root):\n"
    "    return Factory().create_poetry(root).locker._get_content_hash()\n"
    "lock = stage / 'poetry.lock'\n"
    "text = lock.read_text(encoding='utf-8')\n"
    "found = re.search(r'(?m)^content-hash = \"(.*)\"$', text)\n"
    "if found and found.group(1) == content_hash(original):\n"
    "    new = f'content-hash = \"{content_hash(stage)}\"'\n"
    "    lock.write_text(text.replace(found.group(0), new), encoding='utf-8')\n"
)


def _write_stage(project: Path, stage: Path) -> bool:
    """Copy the Poetry files to ``stage``; True if a source was added to a locked project."""
    stage.mkdir(parents=True, exist_ok=True)
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    edited = with_pypi_simple(read_toml(project / "pyproject.toml"), text)
    (stage / "pyproject.toml").write_text(edited, encoding="utf-8")
    for extra in [project / "poetry.lock", *project.glob("README*")]:
        if extra.is_file():
            shutil.copyfile(extra, stage / extra.name)
    return edited != text and (project / "poetry.lock").is_file()


async def _stage_poetry_project(
    project: Path, stage: Path, env: dict[str, str], sandbox: Sandbox | None
) -> None:
    """Stage the Poetry files in ``stage``, re-hashing the lock when a source was added."""
    if await asyncio.to_thread(_write_stage, project, stage):
        rehash = [sys.executable, "-c", _REHASH, str(project), str(stage)]
        await step("re-hashing poetry.lock", rehash, stage, env, sandbox)


def poetry_executable() -> Path:
    """The ``poetry`` installed next to the harness's own interpreter."""
    return Path(sys.executable).parent / "poetry"


async def install_poetry(
    project: Path, venv: Path, env: dict[str, str], sandbox: Sandbox | None = None
) -> None:
    """Install the Poetry dependencies (all groups, not the project) into ``venv``."""
    stage = venv.with_name(venv.name + "-stage")
    try:
        await _stage_poetry_project(project, stage, env, sandbox)
        argv = [str(poetry_executable()), "install", "--no-root", "--all-groups"]
        await step("poetry install", [*argv, "--no-interaction"], stage, env, sandbox)
    finally:
        await asyncio.to_thread(shutil.rmtree, stage, True)


def _requirement_args(project: Path, recipe: Recipe) -> list[str]:
    """The requirements of a pip-style install: ``-r`` files, then declared requirements."""
    files = [arg for name in recipe.files for arg in ("-r", str(project / name))]
    return files + pip_requirements(project)


async def install_pip(
    project: Path, venv: Path, recipe: Recipe, env: dict[str, str], sandbox: Sandbox | None = None
) -> None:
    """Install the declared requirements (and requirements files) with pip into ``venv``."""
    wanted = await asyncio.to_thread(_requirement_args, project, recipe)
    if wanted:
        argv = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        await step("pip install", argv + wanted, project, env, sandbox)


def _place_tool(building: Path, final: Path) -> None:
    """Rename a finished tool install into place; a concurrent run may have won the race."""
    try:
        building.rename(final)
    except OSError:
        shutil.rmtree(building, ignore_errors=True)


async def uv_executable(tools: Path, env: dict[str, str], sandbox: Sandbox | None = None) -> Path:
    """The pinned ``uv`` in the tool area ``tools``, installed from PyPI on first use.

    Only the step installing it may write there (into its own new directory); every
    other install step sees the tool area read-only.
    """
    final = tools / f"uv-{UV_VERSION}"
    uv = final / "bin" / "uv"
    if await asyncio.to_thread(uv.is_file):
        return uv
    building = tools / f".build-uv-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(tools.mkdir, parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--prefix", str(building)]
    await asyncio.to_thread(building.mkdir)
    own = sandbox and sandbox.allowing(writable=[building])
    try:
        await step("installing uv", [*pip, f"uv=={UV_VERSION}"], tools, env, own)
        await asyncio.to_thread(_place_tool, building, final)
    finally:
        await asyncio.to_thread(shutil.rmtree, building, True)
    return uv


def _uv_env(venv: Path, env: dict[str, str]) -> dict[str, str]:
    """``env`` pointing uv at ``venv``, never downloading an interpreter."""
    python = str(venv / "bin" / "python")
    return {**env, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON": python}


async def install_uv(  # noqa: PLR0913 - the build's parts, passed through
    project: Path,
    venv: Path,
    recipe: Recipe,
    env: dict[str, str],
    tools: Path,
    *,
    sandbox: Sandbox | None = None,
) -> None:
    """Install with uv: ``uv sync --locked`` from ``uv.lock``, else ``uv pip install``."""
    uv_env = {**_uv_env(venv, env), "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    uv = str(await uv_executable(tools, env, sandbox))
    if recipe.locked:
        extras = [a for n in await asyncio.to_thread(dev_extras, project) for a in ("--extra", n)]
        sync = [uv, "sync", "--locked", "--inexact", "--no-install-project", "--all-groups"]
        await step("uv sync", sync + extras, project, uv_env, sandbox)
        return
    wanted = await asyncio.to_thread(_requirement_args, project, recipe)
    if wanted:
        argv = [uv, "pip", "install", "--python", uv_env["UV_PYTHON"]]
        await step("uv pip install", argv + wanted, project, uv_env, sandbox)


async def install_dependencies(  # noqa: PLR0913 - the build's parts, passed through
    project: Path,
    venv: Path,
    recipe: Recipe,
    env: dict[str, str],
    tools: Path,
    *,
    sandbox: Sandbox | None = None,
) -> None:
    """Install what ``project`` declares into the fresh ``venv`` following ``recipe``.

    Args:
        project: The project directory (read, never written).
        venv: The target virtual environment, already created.
        recipe: The detected installer and the files it reads.
        env: Environment of the install commands.
        tools: The cache's tool area (where uv is installed).
        sandbox: Where the install commands run; unconfined when None.

    Raises:
        InstallError: If an install step fails.
    """
    if recipe.installer == "poetry":
        await install_poetry(project, venv, env, sandbox)
    elif recipe.installer == "uv":
        await install_uv(project, venv, recipe, env, tools, sandbox=sandbox)
    else:
        await install_pip(project, venv, recipe, env, sandbox)
