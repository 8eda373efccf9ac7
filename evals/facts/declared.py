"""What a project declares about its dependencies, and which installer reads it.

Detection, first match wins:

* ``poetry``: a ``poetry.lock``, or Poetry-only dependency tables (``[tool.poetry]``
  ``dependencies``, ``group`` or ``dev-dependencies``; Poetry 1 and 2);
* ``uv``: a ``uv.lock`` (installed with ``uv sync --locked``), or PEP 735
  ``[dependency-groups]`` / ``[tool.uv]`` without a lock (``uv pip install``);
* ``pip``: PEP 621 ``[project]`` dependencies and/or ``requirements*.txt`` files.

The uv-without-lock and pip recipes install the same list: the PEP 621 dependencies, the
dev/test extras, every dependency group (``{include-group = ...}`` resolved here, since
pip cannot read groups) and the requirements files.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.context import FactUnavailable

DEV_EXTRAS = ("dev", "test", "tests", "testing")
POETRY_ONLY_KEYS = ("dependencies", "group", "dev-dependencies")
REQUIREMENT_GLOBS = (
    "requirements*.txt",
    "dev-requirements.txt",
    "test-requirements.txt",
    "requirements/*.txt",
)


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


@dataclass(frozen=True)
class Recipe:
    """How the project's dependencies get installed.

    Attributes:
        installer: ``poetry``, ``uv`` or ``pip``.
        files: Project-relative files the installer reads besides ``pyproject.toml``
            (lock files, requirements files); they are part of the cache key.
        locked: Whether the installer installs from a lock file.
    """

    installer: str
    files: tuple[str, ...] = ()
    locked: bool = False


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; an unreadable or missing file reads as empty."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def requirement_files(project: Path) -> tuple[str, ...]:
    """The project's requirements files (``requirements*.txt``, ``requirements/*.txt``...)."""
    found = {
        path.relative_to(project).as_posix()
        for pattern in REQUIREMENT_GLOBS
        for path in project.glob(pattern)
        if path.is_file()
    }
    return tuple(sorted(found))


def _declares_poetry_dependencies(data: dict[str, Any]) -> bool:
    """Whether ``[tool.poetry]`` holds dependency tables that only Poetry reads."""
    poetry = data.get("tool", {}).get("poetry", {})
    return any(poetry.get(key) for key in POETRY_ONLY_KEYS)


def _declares_uv(data: dict[str, Any]) -> bool:
    """Whether the pyproject uses PEP 735 dependency groups or configures uv."""
    return bool(data.get("dependency-groups")) or "uv" in data.get("tool", {})


def detect_recipe(project: Path) -> Recipe:
    """The installer for ``project``, decided by its files (see the module docstring)."""
    data = read_toml(project / "pyproject.toml")
    if (project / "poetry.lock").is_file():
        return Recipe("poetry", ("poetry.lock",), locked=True)
    if _declares_poetry_dependencies(data):
        return Recipe("poetry")
    if (project / "uv.lock").is_file():
        return Recipe("uv", ("uv.lock",), locked=True)
    installer = "uv" if _declares_uv(data) else "pip"
    return Recipe(installer, requirement_files(project))


def _group_requirements(groups: dict[str, Any], name: str, stack: tuple[str, ...]) -> list[str]:
    """The requirements of dependency group ``name``, its included groups resolved.

    Raises:
        InstallError: If the group is unknown or includes itself (the project's fault).
    """
    if name not in groups or name in stack:
        problem = "includes itself" if name in stack else "is not defined"
        message = f"dependency group {name!r} {problem} in [dependency-groups]"
        raise InstallError(message, project_fault=True)
    wanted: list[str] = []
    for item in groups[name]:
        if isinstance(item, dict) and "include-group" in item:
            wanted += _group_requirements(groups, str(item["include-group"]), (*stack, name))
        elif isinstance(item, str):
            wanted.append(item)
    return wanted


def group_requirements(data: dict[str, Any]) -> list[str]:
    """The requirements of every PEP 735 dependency group of the parsed pyproject ``data``.

    Raises:
        InstallError: If a group includes an unknown group or itself.
    """
    groups = data.get("dependency-groups", {})
    return [req for name in groups for req in _group_requirements(groups, name, ())]


def pip_requirements(project: Path) -> list[str]:
    """Requirement strings for pip: PEP 621 deps, dev/test extras and dependency groups.

    Raises:
        InstallError: If the dependency groups include an unknown group or themselves.
    """
    data = read_toml(project / "pyproject.toml")
    meta = data.get("project", {})
    wanted = [str(r) for r in meta.get("dependencies", [])]
    extras = meta.get("optional-dependencies", {})
    for name in DEV_EXTRAS:
        wanted.extend(str(r) for r in extras.get(name, []))
    wanted += group_requirements(data)
    return list(dict.fromkeys(wanted))


def dev_extras(project: Path) -> list[str]:
    """The dev/test extras that the project's ``[project.optional-dependencies]`` defines."""
    extras = read_toml(project / "pyproject.toml").get("project", {})
    defined = extras.get("optional-dependencies", {})
    return [name for name in DEV_EXTRAS if name in defined]
