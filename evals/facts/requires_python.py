"""The Python versions a project accepts, checked before anything is installed.

Two declarations count, and both must hold: PEP 621 ``[project].requires-python`` (a
PEP 440 specifier set) and Poetry's ``python`` dependency in ``[tool.poetry.dependencies]``,
whose caret (``^3.11`` means ``>=3.11,<4``) and tilde (``~3.11`` means ``>=3.11,<3.12``)
operators and ``||`` alternatives are translated to PEP 440 here, as poetry-core reads them.
"""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from evals.facts.declared import InstallError, read_toml

# Poetry allows blanks between an operator and its version (">= 3.8, < 4.0").
_OPERATOR_BLANKS = re.compile(r"([<>=!~^]+)\s+")
_PEP440_OPERATORS = ("~=", "==", "!=", "<=", ">=", "<", ">")


@dataclass(frozen=True)
class PythonRequirement:
    """One declaration of the Python versions the project accepts.

    Attributes:
        where: Where it is declared, e.g. ``requires-python``.
        text: The declaration as written.
        alternatives: PEP 440 specifier lists, any one of which must hold (Poetry's ``||``).
    """

    where: str
    text: str
    alternatives: tuple[tuple[str, ...], ...]

    def allows(self, version: str) -> bool:
        """Whether the interpreter ``version`` (e.g. ``3.11.7``) satisfies the declaration."""
        parsed = Version(version)
        return any(
            SpecifierSet(",".join(specs)).contains(parsed, prereleases=True)
            for specs in self.alternatives
        )

    def describe(self) -> str:
        """The accepted versions in words, e.g. ``>= 3.11, < 4`` (alternatives joined by or)."""
        described = []
        for specs in self.alternatives:
            parts = [f"{Specifier(s).operator} {Specifier(s).version}" for s in specs]
            described.append(", ".join(parts) or "any version")
        return " or ".join(described)


def _bump(release: tuple[int, ...], index: int) -> str:
    """``release`` cut after ``index`` with that component incremented (``3.11``, 0 → ``4``)."""
    return ".".join(str(n) for n in (*release[:index], release[index] + 1))


def caret_upper(release: tuple[int, ...]) -> str:
    """Poetry's exclusive upper bound of ``^release``: bump the first non-zero component."""
    for index, number in enumerate(release):
        if number or index == len(release) - 1:
            return _bump(release, index)
    raise ValueError("a caret constraint needs a version")


def tilde_upper(release: tuple[int, ...]) -> str:
    """Poetry's exclusive upper bound of ``~release``: the next minor (major if only one)."""
    return _bump(release, 0 if len(release) == 1 else 1)


def _release(version: str) -> tuple[int, ...]:
    """The numeric release of ``version`` (``3.11`` → ``(3, 11)``)."""
    return Version(version).release


def poetry_clause(clause: str) -> list[str]:
    """PEP 440 specifiers for one Poetry constraint such as ``^3.11``, ``~3.11`` or ``3.11.*``.

    Raises:
        InvalidVersion: If the version part is not a version.
    """
    if clause in ("*", ""):
        return []
    if clause.startswith("^"):
        return [f">={clause[1:]}", f"<{caret_upper(_release(clause[1:]))}"]
    if clause.startswith("~") and not clause.startswith("~="):
        return [f">={clause[1:]}", f"<{tilde_upper(_release(clause[1:]))}"]
    if clause.startswith(_PEP440_OPERATORS):
        return [clause]
    return [f"={clause}" if clause.startswith("=") else f"=={clause}"]


def poetry_alternatives(text: str) -> tuple[tuple[str, ...], ...]:
    """PEP 440 specifier lists for a Poetry constraint (``,`` or blank: and; ``||``: or).

    Raises:
        InvalidVersion: If a version in it is not a version.
    """
    alternatives = []
    for alternative in re.split(r"\|\|?", text):
        clauses = _OPERATOR_BLANKS.sub(r"\1", alternative).replace(",", " ").split()
        alternatives.append(tuple(s for clause in clauses for s in poetry_clause(clause)))
    return tuple(alternatives)


def _poetry_python(data: dict[str, Any]) -> str | None:
    """Poetry's ``python`` dependency as written (a string or ``{version = ...}``), if any."""
    python = data.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
    if isinstance(python, dict):
        python = python.get("version")
    return str(python) if python else None


def _parsed(where: str, text: str, poetry: bool) -> PythonRequirement:
    """The requirement ``text`` declared at ``where``, validated.

    Raises:
        InstallError: If it is not a valid constraint (the project's fault).
    """
    try:
        alternatives = poetry_alternatives(text) if poetry else (tuple(text.split(",")),)
        for specs in alternatives:
            SpecifierSet(",".join(specs))
    except (InvalidSpecifier, InvalidVersion, ValueError) as exc:
        message = f"{where} = {text!r} is not a valid Python version constraint: {exc}"
        raise InstallError(message, project_fault=True) from exc
    return PythonRequirement(where, text, tuple(tuple(s.strip() for s in a) for a in alternatives))


def python_requirements(project: Path) -> list[PythonRequirement]:
    """The project's declarations of the Python versions it accepts (maybe none).

    Raises:
        InstallError: If a declaration is not a valid constraint.
    """
    data = read_toml(project / "pyproject.toml")
    found = []
    requires = data.get("project", {}).get("requires-python")
    if requires:
        found.append(_parsed("requires-python", str(requires), poetry=False))
    poetry = _poetry_python(data)
    if poetry:
        found.append(_parsed("[tool.poetry.dependencies] python", poetry, poetry=True))
    return found


def check_python(project: Path, version: str | None = None) -> None:
    """Refuse a project whose declared Python versions exclude the harness's interpreter.

    Args:
        project: The project directory.
        version: The interpreter's version; the harness's own (``3.11.7``) when None.

    Raises:
        InstallError: Not the project's fault: the harness cannot run this project.
    """
    running = version or platform.python_version()
    for requirement in python_requirements(project):
        if not requirement.allows(running):
            raise InstallError(
                f"the project needs Python {requirement.describe()} "
                f"({requirement.where} = {requirement.text!r}); the harness runs {running}"
            )
