"""The project installed into an isolated, cached virtual environment (toolchain and full tiers).

The installer follows the project's files (:mod:`evals.facts.declared`): Poetry for
``poetry.lock`` or ``[tool.poetry]`` dependencies, uv for ``uv.lock`` or PEP 735 dependency
groups, pip for PEP 621 dependencies and ``requirements*.txt`` files. Before anything is
installed the project's ``requires-python`` (or Poetry ``python``) must accept the
harness's interpreter (:mod:`evals.facts.requires_python`). The harness adds what it needs
and the project lacks: coverage and pytest to run the tests, uvicorn to serve the app.
The project's own code is found through ``PYTHONPATH=<project>/src:<project>``, so one
environment serves every copy of a project with the same dependencies. Environments are
cached under ``<cache_dir>/envs/<key>`` where the key hashes the dependency-relevant parts
of ``pyproject.toml``, the files the installer reads (lock, requirements files) and the
Python version; a build happens in a temporary directory under a file lock and is renamed
into place, so concurrent runs never see a half-built environment. Right before the rename
the harness records a hash manifest of the environment (:mod:`evals.facts.env_manifest`);
a cached environment is hashed again before every reuse, and one that no longer matches
is discarded and rebuilt, with a note in ``build.install``'s reason. Runs only ever see
the cache read-only (the sandbox binds it so).
"""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import shutil
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from evals.context import Facts
from evals.facts.declared import InstallError, Recipe, detect_recipe, read_toml
from evals.facts.env_manifest import Verification, verify_manifest, write_manifest
from evals.facts.installers import install_dependencies, step
from evals.facts.requires_python import check_python
from evals.procs import run
from evals.registry import FactKey, provides
from evals.sandbox import SANDBOX_HOME, Sandbox, run_sandbox
from evals.workspace import default_cache_dir

__all__ = [
    "COMPLETE_MARKER",
    "INSTALLED_ENV",
    "InstallError",
    "InstalledEnv",
    "build_environment",
    "dependency_fingerprint",
    "envs_root",
    "install_project",
    "installed_env",
    "installer_for",
    "project_env",
    "relocate",
    "server_note",
    "site_packages_of",
]

LOG = logging.getLogger(__name__)
# Bump when the way environments are built changes, so old cache entries are not reused.
RECIPE_VERSION = "3"
REQUIRED_TOOLS = {"coverage": "coverage[toml]>=7.5", "pytest": "pytest>=8"}
SERVER_TOOL = ("uvicorn", "uvicorn>=0.30")
OTHER_ASGI_SERVERS = ("hypercorn", "granian", "daphne")
POETRY_KEYS = ("dependencies", "group", "source", "extras", "dev-dependencies")
PROJECT_KEYS = ("dependencies", "optional-dependencies", "requires-python")
COMPLETE_MARKER = ".evals-complete.json"
# The project's processes start from an empty environment: these, the venv's variables,
# the services and what the caller adds; nothing of the harness's own environment.
BASE_ENV = {
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TZ": "UTC",
    "HOME": str(SANDBOX_HOME),
    "TMPDIR": "/tmp",  # noqa: S108 - the sandbox's private /tmp
    "PYTHONUNBUFFERED": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}
SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
# What installers take from the harness's environment: index, proxy and certificate settings.
INSTALLER_PREFIXES = ("PIP_", "UV_", "POETRY_")
INSTALLER_NAMES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
PROXY_NAMES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
# Prints which of the modules named in argv the interpreter cannot find (without importing).
_ABSENT_PROBE = (
    "import importlib.util, json, sys\n"
    "print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]))\n"
)


@dataclass(frozen=True)
class InstalledEnv:
    """A virtual environment holding the project's dependencies.

    Attributes:
        python: The environment's interpreter.
        bin_dir: Its ``bin`` directory (console scripts such as alembic, uvicorn).
        site_packages: Its purelib directory, when found.
        env: Environment for the project's processes: ``PATH`` with ``bin_dir`` first,
            ``PYTHONPATH`` with ``<project>/src`` and ``<project>``, ``VIRTUAL_ENV``; no
            service variables.
        installer: ``poetry``, ``uv`` or ``pip``.
        added_tools: Test tools the harness had to add because the project lacks them
            (coverage, pytest).
        notes: What the harness changed beyond the project's declarations, e.g. that it
            added uvicorn to serve the app.
        reused: Whether the environment came from the cache.
    """

    python: Path
    bin_dir: Path
    site_packages: Path | None
    env: dict[str, str]
    installer: str = "pip"
    added_tools: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    reused: bool = False


INSTALLED_ENV: FactKey[InstalledEnv] = FactKey("installed_env")


def _file_digest(project: Path, names: tuple[str, ...]) -> bytes:
    """The names and contents of the project files ``names``, for hashing."""
    parts = []
    for name in names:
        path = project / name
        parts.append(f"\0{name}\0".encode() + (path.read_bytes() if path.is_file() else b""))
    return b"".join(parts)


def dependency_fingerprint(project: Path, recipe: Recipe | None = None) -> str:
    """Hash of everything that decides the installed environment's contents.

    The dependency tables of ``pyproject.toml`` (not tool settings such as ``[tool.mypy]``,
    so weakening a linter config reuses the environment), the installer and the files it
    reads (lock, requirements files), the Python version and the build recipe version.
    """
    recipe = recipe or detect_recipe(project)
    data = read_toml(project / "pyproject.toml")
    poetry = data.get("tool", {}).get("poetry", {})
    relevant = {
        "project": {k: data.get("project", {}).get(k) for k in PROJECT_KEYS},
        "poetry": {k: poetry.get(k) for k in POETRY_KEYS},
        "uv": data.get("tool", {}).get("uv"),
        "groups": data.get("dependency-groups"),
        "installer": recipe.installer,
    }
    digest = hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode())
    digest.update(_file_digest(project, recipe.files))
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
    """The environment for running the project's code with the venv at ``venv``.

    Built from nothing (:data:`BASE_ENV`), never from the harness's own environment:
    ``extra`` holds what the caller adds (the user's service settings).
    """
    env = {**BASE_ENV, **extra}
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *SYSTEM_PATH])
    env["PYTHONPATH"] = os.pathsep.join([str(project / "src"), str(project)])
    return env


def installer_settings(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The harness's index, proxy and certificate settings that installers need."""
    source = os.environ if environ is None else environ
    proxies = {*PROXY_NAMES, *(n.lower() for n in PROXY_NAMES)}
    return {
        k: v
        for k, v in source.items()
        if k.startswith(INSTALLER_PREFIXES) or k in INSTALLER_NAMES or k in proxies
    }


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
        notes=tuple(meta.get("notes", ())),
    )


# Installer configuration in the harness user's HOME (hidden in the sandbox), by the
# variable that points the installer at it.
USER_CONFIGS = {
    "PIP_CONFIG_FILE": Path(".config/pip/pip.conf"),
    "POETRY_CONFIG_DIR": Path(".config/pypoetry"),
    "UV_CONFIG_FILE": Path(".config/uv/uv.toml"),
}


def user_configs() -> dict[str, Path]:
    """The installer configurations of the harness's user that exist, by variable."""
    home = Path.home()
    return {name: home / path for name, path in USER_CONFIGS.items() if (home / path).exists()}


def downloads_dir(venv: Path) -> Path:
    """The cache's download area for installers building ``venv`` (``<cache>/downloads``)."""
    return venv.parent.parent / "downloads"


def installer_sandbox(base: Sandbox, project: Path, building: Path) -> Sandbox:
    """``base`` for installers: host network, the build's directories writable.

    The project is readable; the environment being built, the Poetry stage next to it
    and the cache's download area are writable; the cache's tool area (uv) is readable,
    writable only to the step installing uv (:func:`~evals.facts.installers.uv_executable`),
    so one project's install cannot replace the uv that later builds run; the user's
    installer configuration is readable.
    """
    cache = building.parent.parent
    stage = building.with_name(building.name + "-stage")
    writable = (building, stage, downloads_dir(building))
    readable = (project, cache / "tools", *user_configs().values())
    sandbox = base.allowing(writable=writable, readable=readable, network=True)
    return dataclasses.replace(sandbox, kept_env=INSTALLER_PREFIXES)


def _build_env(venv: Path) -> dict[str, str]:
    """Environment of install commands targeting ``venv`` (download caches in the cache)."""
    env = project_env(venv, venv, installer_settings())
    env.pop("PYTHONPATH", None)
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
    downloads = downloads_dir(venv)
    env.update({k: str(v) for k, v in user_configs().items() if k not in env})
    env.update(
        PIP_CACHE_DIR=str(downloads / "pip"),
        POETRY_CACHE_DIR=str(downloads / "poetry"),
        UV_CACHE_DIR=str(downloads / "uv"),
        POETRY_VIRTUALENVS_CREATE="false",
        POETRY_VIRTUALENVS_IN_PROJECT="false",
        POETRY_NO_INTERACTION="1",
        PIP_NO_INPUT="1",
    )
    return env


async def absent_modules(
    venv: Path, modules: list[str], sandbox: Sandbox | None = None
) -> list[str]:
    """The ``modules`` that the environment at ``venv`` cannot find (asked in ``sandbox``).

    Raises:
        InstallError: If the environment's interpreter cannot run the probe.
    """
    argv = [str(venv / "bin" / "python"), "-c", _ABSENT_PROBE, *modules]
    result = await run(argv, cwd=venv, env=_build_env(venv), timeout_s=60, sandbox=sandbox)
    if not result.ok:
        raise InstallError(f"the new environment's Python does not run:\n{result.tail()}")
    absent: list[str] = json.loads(result.stdout)
    return absent


def server_note(absent: list[str]) -> str:
    """The note saying that the harness added uvicorn, naming the project's own server."""
    others = [name for name in OTHER_ASGI_SERVERS if name not in absent]
    declared = f"declares {', '.join(others)}" if others else "declares no ASGI server"
    return f"uvicorn added by the harness to serve the app; the project {declared}"


async def _add_tools(venv: Path, sandbox: Sandbox | None) -> tuple[list[str], list[str]]:
    """Install coverage, pytest and uvicorn where the project lacks them.

    Returns:
        The test tools added, and notes (on uvicorn added to serve the app).
    """
    server, requirement = SERVER_TOOL
    absent = await absent_modules(venv, [*REQUIRED_TOOLS, server, *OTHER_ASGI_SERVERS], sandbox)
    tools = [REQUIRED_TOOLS[m] for m in REQUIRED_TOOLS if m in absent]
    tools += [requirement] if server in absent else []
    if tools:
        argv = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *tools]
        await step("installing the harness's tools", argv, venv, _build_env(venv), sandbox)
    notes = [server_note(absent)] if server in absent else []
    return [m for m in REQUIRED_TOOLS if m in absent], notes


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
    """The installer the project's files call for: ``poetry``, ``uv`` or ``pip``."""
    return detect_recipe(project).installer


@dataclass(frozen=True)
class _Build:
    """What one environment build needs: the project, its recipe, the tool area, the sandbox."""

    project: Path
    recipe: Recipe
    tools: Path
    sandbox: Sandbox | None = None


async def _populate(build: _Build, venv: Path) -> None:
    """Create the venv at ``venv`` and install the dependencies and the harness's tools."""
    env = _build_env(venv)
    sandbox = build.sandbox and installer_sandbox(build.sandbox, build.project, venv)
    create = [sys.executable, "-m", "venv", str(venv)]
    await step("creating the virtual environment", create, build.project, env, sandbox)
    await install_dependencies(build.project, venv, build.recipe, env, build.tools, sandbox=sandbox)
    added, notes = await _add_tools(venv, sandbox)
    meta = {
        "installer": build.recipe.installer,
        "added_tools": added,
        "notes": notes,
        "python": sys.version.split()[0],
    }
    await asyncio.to_thread((venv / COMPLETE_MARKER).write_text, json.dumps(meta), "utf-8")


async def build_environment(
    project: Path, final: Path, recipe: Recipe | None = None, sandbox: Sandbox | None = None
) -> None:
    """Build the environment for ``project`` in a temporary directory, then move it to ``final``.

    The installers run in ``sandbox`` (with the host's network); unconfined when None.

    Raises:
        InstallError: If a step of the installation fails.
    """
    chosen = await asyncio.to_thread(detect_recipe, project) if recipe is None else recipe
    tools = final.parent.parent / "tools"  # next to envs/: the cache's tool area (uv)
    build = _Build(project, chosen, tools, sandbox)
    building = final.with_name(f".build-{final.name}-{uuid.uuid4().hex[:8]}")
    await asyncio.to_thread(_remove_leftovers, final)
    await asyncio.to_thread(_make_dirs, building, tools, downloads_dir(building))
    try:
        await _populate(build, building)
        await asyncio.to_thread(_move_into_place, building, final)
    finally:
        await asyncio.to_thread(shutil.rmtree, building, True)


def _make_dirs(*paths: Path) -> None:
    """Create ``paths`` (so they can be bound into the installers' sandbox)."""
    for path in paths:
        path.mkdir(parents=True, exist_ok=True)


def _remove_leftovers(final: Path) -> None:
    """Delete builds of ``final`` that a killed run left behind (we hold the key's lock)."""
    for leftover in final.parent.glob(f".build-{final.name}-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _move_into_place(building: Path, final: Path) -> None:
    """Point the build's scripts at ``final``, record its manifest, rename it there."""
    relocate(building, building, final)
    write_manifest(building)
    if final.exists():
        shutil.rmtree(final, ignore_errors=True)
    building.rename(final)


def _plan(project: Path, root: Path) -> tuple[Recipe, Path]:
    """Check the project's Python requirement, then pick its recipe and cache entry.

    Raises:
        InstallError: If the project does not accept the harness's Python.
    """
    check_python(project)
    recipe = detect_recipe(project)
    root.mkdir(parents=True, exist_ok=True)
    return recipe, root / dependency_fingerprint(project, recipe)[:24]


async def cached_check(final: Path) -> Verification | None:
    """The manifest check of the finished environment at ``final``; None when there is none."""
    if not await asyncio.to_thread((final / COMPLETE_MARKER).is_file):
        return None
    return await asyncio.to_thread(verify_manifest, final)


def discard(final: Path) -> None:
    """Move the environment at ``final`` aside and delete it."""
    aside = final.with_name(f".discarded-{final.name}-{uuid.uuid4().hex[:8]}")
    final.rename(aside)
    shutil.rmtree(aside, ignore_errors=True)


def mismatch_note(final: Path, check: Verification) -> str:
    """The report's note on a cached environment that failed its check."""
    return (
        f"the cached environment {final.name} did not match its hash manifest "
        f"({check.problem}): discarded and rebuilt"
    )


async def _build_locked(facts: Facts, recipe: Recipe, final: Path) -> list[str]:
    """Build the environment under its key's lock unless a concurrent run did; the notes."""
    sandbox = await run_sandbox(facts)
    async with _FileLock(final.parent / f"{final.name}.lock"):
        check = await cached_check(final)
        if check is not None and check.ok:
            return []
        if check is not None:
            LOG.warning(mismatch_note(final, check))
            await asyncio.to_thread(discard, final)
        await build_environment(facts.project, final, recipe, sandbox)
    return [] if check is None else [mismatch_note(final, check)]


@provides(INSTALLED_ENV)
async def install_project(facts: Facts) -> InstalledEnv:
    """Install the project copy's dependencies into a cached virtual environment.

    A cached environment is reused only when it still matches its hash manifest.

    Raises:
        InstallError: If the project does not accept the harness's Python, or the
            dependencies cannot be installed (the output tail says why).
    """
    root = envs_root(facts.options.cache_dir)
    recipe, final = await asyncio.to_thread(_plan, facts.project, root)
    check = await cached_check(final)
    reused = check is not None and check.ok
    notes = [] if reused else await _build_locked(facts, recipe, final)
    if check is not None and check.ok:
        notes.append(f"cached environment verified: {check.entries} entries in {check.seconds}s")
    env = installed_env(final, facts.project, facts.options.env)
    return dataclasses.replace(env, reused=reused, notes=(*env.notes, *notes))
