"""The project installed into an isolated, cached virtual environment (toolchain and full tiers).

Poetry installs the locked dependencies when ``poetry.lock`` exists, or resolves the
``[tool.poetry]`` dependencies when there is no lock (all groups, without the project
itself); otherwise pip installs the PEP 621 dependencies, the dev/test
extras and the dependency groups. The project's own code is found through
``PYTHONPATH=<project>/src``, so one environment serves every copy of a project with the
same dependencies. Environments are cached under ``<cache_dir>/envs/<key>`` where the key
hashes the dependency-relevant parts of ``pyproject.toml``, the lock file and the Python
version; a build happens in a temporary directory under a file lock and is renamed into
place, so concurrent runs never see a half-built environment.
"""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import sys
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.context import Facts, FactUnavailable
from evals.model import Finding, Outcome
from evals.procs import ProcResult, run
from evals.registry import FactKey, provides
from evals.workspace import default_cache_dir

# Bump when the way environments are built changes, so old cache entries are not reused.
RECIPE_VERSION = "1"
PYPI_SIMPLE = "https://pypi.org/simple/"
REQUIRED_TOOLS = {"coverage": "coverage[toml]>=7.5", "pytest": "pytest>=8"}
DEV_EXTRAS = ("dev", "test", "tests", "testing")
INSTALL_TIMEOUT_S = 1200.0
POETRY_KEYS = ("dependencies", "group", "source", "extras", "dev-dependencies")
PROJECT_KEYS = ("dependencies", "optional-dependencies", "requires-python")
COMPLETE_MARKER = ".evals-complete.json"
# Variables of the harness's own process that would reconfigure the project's Python,
# pytest or coverage (e.g. pytest-cov's subprocess hooks when the harness is under test).
LEAKY_ENV_PREFIXES = ("PYTHONHOME", "PYTHONPATH", "PYTEST_", "COV_CORE_", "COVERAGE_")


class InstallError(FactUnavailable):
    """The project's dependencies could not be installed into a fresh environment.

    Attributes:
        project_fault: Whether the output shows the project's own defect (a stale lock,
            unsatisfiable or invalid requirements) rather than a harness or network
            problem; checks report such failures as ``fail``, not ``error``.
    """

    def __init__(self, message: str, *, project_fault: bool = False) -> None:
        """Create the error; ``project_fault`` says who is to blame."""
        super().__init__(message)
        self.project_fault = project_fault


# Output of pip / Poetry that means the project's dependency declaration is broken.
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
)


@dataclass(frozen=True)
class InstalledEnv:
    """A virtual environment holding the project's dependencies.

    Attributes:
        python: The environment's interpreter.
        bin_dir: Its ``bin`` directory (console scripts such as alembic, uvicorn).
        site_packages: Its purelib directory, when found.
        env: Environment for the project's processes: ``PATH`` with ``bin_dir`` first,
            ``PYTHONPATH`` with ``<project>/src``, ``VIRTUAL_ENV``; no service variables.
        installer: ``poetry`` or ``pip``.
        added_tools: Packages the harness had to add because the project lacks them
            (coverage, pytest).
        reused: Whether the environment came from the cache.
    """

    python: Path
    bin_dir: Path
    site_packages: Path | None
    env: dict[str, str]
    installer: str = "pip"
    added_tools: tuple[str, ...] = ()
    reused: bool = False


INSTALLED_ENV: FactKey[InstalledEnv] = FactKey("installed_env")


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; an unreadable file reads as empty."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def dependency_fingerprint(project: Path) -> str:
    """Hash of everything that decides the installed environment's contents.

    The dependency tables of ``pyproject.toml`` (not tool settings such as ``[tool.mypy]``,
    so weakening a linter config reuses the environment), the whole lock file, the Python
    version and the build recipe version.
    """
    data = _read_toml(project / "pyproject.toml")
    poetry = data.get("tool", {}).get("poetry", {})
    relevant = {
        "project": {k: data.get("project", {}).get(k) for k in PROJECT_KEYS},
        "poetry": {k: poetry.get(k) for k in POETRY_KEYS},
        "groups": data.get("dependency-groups"),
    }
    digest = hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode())
    for name in ("poetry.lock", "requirements.txt", "requirements-dev.txt"):
        path = project / name
        digest.update(f"\0{name}\0".encode() + (path.read_bytes() if path.is_file() else b""))
    digest.update(f"\0{sys.version_info[:3]}\0{RECIPE_VERSION}".encode())
    return digest.hexdigest()


def envs_root(cache_dir: Path | None) -> Path:
    """Directory holding the cached environments for a run's ``cache_dir`` option."""
    return (cache_dir or default_cache_dir()) / "envs"


def site_packages_of(venv: Path) -> Path | None:
    """The ``site-packages`` directory of ``venv``, when it exists."""
    found = sorted(venv.glob("lib/python3*/site-packages"))
    return found[0] if found else None


def project_env(venv: Path, project: Path, extra: dict[str, str]) -> dict[str, str]:
    """The environment for running the project's code with the venv at ``venv``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(LEAKY_ENV_PREFIXES)}
    env.update(extra)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", os.defpath)])
    env["PYTHONPATH"] = os.pathsep.join([str(project / "src"), str(project)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
    return env


def installed_env(venv: Path, project: Path, extra: dict[str, str]) -> InstalledEnv:
    """Describe the finished environment at ``venv`` for the project copy at ``project``."""
    meta = json.loads((venv / COMPLETE_MARKER).read_text(encoding="utf-8"))
    return InstalledEnv(
        python=venv / "bin" / "python",
        bin_dir=venv / "bin",
        site_packages=site_packages_of(venv),
        env=project_env(venv, project, extra),
        installer=str(meta.get("installer", "pip")),
        added_tools=tuple(meta.get("added_tools", ())),
    )


def _fail(what: str, result: ProcResult) -> InstallError:
    """An :class:`InstallError` for a failed install step, with the output's tail."""
    status = "timed out" if result.timed_out else f"exited {result.returncode}"
    text = result.stdout + result.stderr
    blamed = any(marker in text for marker in PROJECT_FAULT_MARKERS)
    message = f"installing the project failed: {what} {status}\n{result.tail(30)}"
    return InstallError(message, project_fault=blamed)


async def _step(what: str, argv: list[str], cwd: Path, env: dict[str, str]) -> ProcResult:
    """Run one install step, raising :class:`InstallError` when it fails."""
    result = await run(argv, cwd=cwd, env=env, timeout_s=INSTALL_TIMEOUT_S)
    if not result.ok:
        raise _fail(what, result)
    return result


def _build_env(venv: Path) -> dict[str, str]:
    """Environment of install commands targeting ``venv``."""
    env = project_env(venv, venv, {})
    env.pop("PYTHONPATH", None)
    env.update(
        POETRY_VIRTUALENVS_CREATE="false",
        POETRY_VIRTUALENVS_IN_PROJECT="false",
        POETRY_NO_INTERACTION="1",
        PIP_NO_INPUT="1",
    )
    return env


def _with_pypi_simple(pyproject: dict[str, Any], text: str) -> str:
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
    edited = _with_pypi_simple(_read_toml(project / "pyproject.toml"), text)
    (stage / "pyproject.toml").write_text(edited, encoding="utf-8")
    for extra in [project / "poetry.lock", *project.glob("README*")]:
        if extra.is_file():
            shutil.copyfile(extra, stage / extra.name)
    return edited != text and (project / "poetry.lock").is_file()


async def _stage_poetry_project(project: Path, stage: Path, env: dict[str, str]) -> None:
    """Stage the Poetry files in ``stage``, re-hashing the lock when a source was added."""
    if await asyncio.to_thread(_write_stage, project, stage):
        rehash = [sys.executable, "-c", _REHASH, str(project), str(stage)]
        await _step("re-hashing poetry.lock", rehash, stage, env)


def poetry_executable() -> Path:
    """The ``poetry`` installed next to the harness's own interpreter."""
    return Path(sys.executable).parent / "poetry"


async def _install_poetry(project: Path, venv: Path, stage: Path) -> None:
    """Install the locked dependencies (all groups, not the project) into ``venv``."""
    env = _build_env(venv)
    await _stage_poetry_project(project, stage, env)
    argv = [str(poetry_executable()), "install", "--no-root", "--all-groups", "--no-interaction"]
    await _step("poetry install", argv, stage, env)


def pip_requirements(project: Path) -> list[str]:
    """Requirement strings for pip: PEP 621 deps, dev/test extras and dependency groups."""
    data = _read_toml(project / "pyproject.toml")
    meta = data.get("project", {})
    wanted = [str(r) for r in meta.get("dependencies", [])]
    extras = meta.get("optional-dependencies", {})
    for name in DEV_EXTRAS:
        wanted.extend(str(r) for r in extras.get(name, []))
    for group in data.get("dependency-groups", {}).values():
        wanted.extend(r for r in group if isinstance(r, str))
    return wanted


async def _install_pip(project: Path, venv: Path, stage: Path) -> None:
    """Install the project's declared dependencies with pip into ``venv``."""
    del stage  # pip needs no staging: requirements are passed on the command line
    env = _build_env(venv)
    argv = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    requirements = pip_requirements(project)
    for name in ("requirements.txt", "requirements-dev.txt"):
        if (project / name).is_file():
            argv += ["-r", str(project / name)]
    if requirements or "-r" in argv:
        await _step("pip install", argv + requirements, project, env)


def install_failure(exc: InstallError) -> Outcome:
    """The ``fail`` outcome for an install failure that is the project's fault.

    Checks that need the installed project call this in ``except InstallError``.

    Raises:
        InstallError: ``exc`` itself when the harness, not the project, is at fault.
    """
    if not exc.project_fault:
        raise exc
    head, _, tail = str(exc).partition("\n")
    where = "poetry.lock" if "poetry.lock" in tail else "pyproject.toml"
    return Outcome.failed(f"the project cannot be installed: {head}", [Finding(tail, where)])


async def _missing_tools(venv: Path) -> list[str]:
    """The required tools (coverage, pytest) that the environment cannot import."""
    python = str(venv / "bin" / "python")
    missing = []
    for module in REQUIRED_TOOLS:
        result = await run([python, "-c", f"import {module}"], cwd=venv, timeout_s=60)
        if not result.ok:
            missing.append(module)
    return missing


async def _add_tools(venv: Path) -> list[str]:
    """Install coverage/pytest when the project did not bring them; returns what was added."""
    missing = await _missing_tools(venv)
    if missing:
        argv = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        await _step(
            "installing test tools",
            argv + [REQUIRED_TOOLS[m] for m in missing],
            venv,
            _build_env(venv),
        )
    return missing


def relocate(directory: Path, old: Path, new: Path) -> None:
    """Rewrite venv paths in ``directory``'s scripts and ``pyvenv.cfg`` from ``old`` to ``new``.

    Console scripts carry their interpreter's absolute path in the shebang; the build
    happens under a temporary name, so they must name the final directory before the
    rename.
    """
    before, after = str(old).encode(), str(new).encode()
    candidates = [p for p in (directory / "bin").iterdir() if not p.is_symlink() and p.is_file()]
    for path in [*candidates, directory / "pyvenv.cfg"]:
        data = path.read_bytes()
        if before in data:
            path.write_bytes(data.replace(before, after))


class _FileLock:
    """An exclusive ``flock`` on a file, acquired without blocking the event loop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = -1

    async def __aenter__(self) -> None:
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        await asyncio.to_thread(fcntl.flock, self.fd, fcntl.LOCK_EX)

    async def __aexit__(self, *exc_info: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def installer_for(project: Path) -> str:
    """``poetry`` for a Poetry lock or Poetry-declared dependencies, else ``pip``."""
    if (project / "poetry.lock").is_file():
        return "poetry"
    poetry = _read_toml(project / "pyproject.toml").get("tool", {}).get("poetry", {})
    return "poetry" if poetry.get("dependencies") else "pip"


async def _populate(project: Path, venv: Path, installer: str) -> None:
    """Create the venv at ``venv`` and install the dependencies and test tools into it."""
    create = [sys.executable, "-m", "venv", str(venv)]
    await _step("creating the virtual environment", create, project, _build_env(venv))
    stage = venv.with_name(venv.name + "-stage")
    try:
        if installer == "poetry":
            await _install_poetry(project, venv, stage)
        else:
            await _install_pip(project, venv, stage)
    finally:
        await asyncio.to_thread(shutil.rmtree, stage, True)
    added = await _add_tools(venv)
    meta = {"installer": installer, "added_tools": added, "python": sys.version.split()[0]}
    await asyncio.to_thread((venv / COMPLETE_MARKER).write_text, json.dumps(meta), "utf-8")


async def build_environment(project: Path, final: Path) -> None:
    """Build the environment for ``project`` in a temporary directory, then move it to ``final``.

    Raises:
        InstallError: If a step of the installation fails.
    """
    building = final.with_name(f".build-{final.name}-{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(_remove_leftovers, final)
    try:
        await _populate(project, building, installer_for(project))
        await asyncio.to_thread(_move_into_place, building, final)
    finally:
        await asyncio.to_thread(shutil.rmtree, building, True)


def _remove_leftovers(final: Path) -> None:
    """Delete builds of ``final`` that a killed run left behind (we hold the key's lock)."""
    for leftover in final.parent.glob(f".build-{final.name}-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _move_into_place(building: Path, final: Path) -> None:
    """Point the build's scripts at ``final`` and rename it there (replacing any leftover)."""
    relocate(building, building, final)
    if final.exists():
        shutil.rmtree(final, ignore_errors=True)
    building.rename(final)


@provides(INSTALLED_ENV)
async def install_project(facts: Facts) -> InstalledEnv:
    """Install the project copy's dependencies into a cached virtual environment.

    Raises:
        InstallError: If the dependencies cannot be installed (the output tail says why).
    """
    root = envs_root(facts.options.cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    final = root / dependency_fingerprint(facts.project)[:24]
    reused = (final / COMPLETE_MARKER).is_file()
    if not reused:
        async with _FileLock(root / f"{final.name}.lock"):
            if not (final / COMPLETE_MARKER).is_file():
                await build_environment(facts.project, final)
    env = installed_env(final, facts.project, facts.options.env)
    return dataclasses.replace(env, reused=reused)
