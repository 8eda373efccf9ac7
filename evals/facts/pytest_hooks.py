"""What may change how the project's tests are reported: its pytest plugins and skipped links.

``PYTEST_PLUGINS`` lists the plugins the project declares: ``pytest_plugins`` in any of
its modules, ``-p`` in the ``addopts`` of pyproject.toml, pytest.ini, setup.cfg or tox.ini,
and ``pytest11`` entry points (PEP 621, Poetry, setup.cfg), each resolved to a file of the
project when it is one. ``HOOK_MODULES`` is every Python file of the copy: the parsed
modules plus the files the source walk leaves out (``build/``, ``dist/``), so a hook cannot
hide there. ``SKIPPED_LINKS`` reads the links the workspace did not copy from the record
:func:`evals.workspace.copy_project` writes at the workspace root (``facts.options.workdir``).
"""

from __future__ import annotations

import ast
import asyncio
import itertools
import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.context import Facts
from evals.facts.project_config import (
    INI_CONFIGS,
    PYPROJECT,
    IniSections,
    parse_ini,
    read_text,
)
from evals.facts.source import PYTHON_MODULES, PythonModule
from evals.registry import FactKey, provides
from evals.workspace import SKIPPED_LINKS_FILE, SkippedLink, read_skipped_links

INI_PYTEST_SECTIONS = {"pytest.ini": "pytest", "tox.ini": "pytest", "setup.cfg": "tool:pytest"}
DEFAULT_IMPORT_ROOTS = ("", "src")


@dataclass(frozen=True)
class DeclaredPlugin:
    """A pytest plugin the project asks pytest to load.

    Attributes:
        module: Its dotted module name.
        declared_in: The file declaring it.
        line: Line of the declaration, when known.
        path: The project file it resolves to, or None (a third-party plugin).
    """

    module: str
    declared_in: str
    line: int | None = None
    path: str | None = None


PYTEST_PLUGINS: FactKey[tuple[DeclaredPlugin, ...]] = FactKey("pytest_plugins")
HOOK_MODULES: FactKey[tuple[PythonModule, ...]] = FactKey("pytest_hook_modules")
SKIPPED_LINKS: FactKey[tuple[SkippedLink, ...]] = FactKey("workspace_skipped_links")


def _strings(node: ast.expr | None) -> list[str]:
    """The string constants of a string, list or tuple expression."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple):
        return [s for element in node.elts for s in _strings(element)]
    return []


def _assigned_value(node: ast.stmt, name: str) -> ast.expr | None:
    """The value ``node`` assigns (or adds) to the module-level ``name``, if it does."""
    if isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == name for t in node.targets
    ):
        return node.value
    if isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
        return node.value if node.target.id == name else None
    return None


def module_plugins(module: PythonModule) -> list[DeclaredPlugin]:
    """Plugins a module declares with ``pytest_plugins = [...]`` (or ``+=``)."""
    statements = module.tree.body if module.tree else []
    return [
        DeclaredPlugin(name, module.path, statement.lineno)
        for statement in statements
        for name in _strings(_assigned_value(statement, "pytest_plugins"))
    ]


def addopts_plugins(addopts: object) -> list[str]:
    """The modules named by ``-p`` in an ``addopts`` value (string or list), minus ``no:``."""
    if isinstance(addopts, list):
        tokens = [str(token) for token in addopts]
    else:
        try:
            tokens = shlex.split(str(addopts or ""))
        except ValueError:
            tokens = str(addopts).split()
    names = [b for a, b in itertools.pairwise(tokens) if a == "-p"]
    names += [t[2:].lstrip("=") for t in tokens if t.startswith("-p") and len(t) > len("-p")]
    return [name for name in names if name and not name.startswith("no:")]


def _entry_point_modules(entries: object) -> list[str]:
    """Module names of a ``pytest11`` entry-point table (``name = "module:attr"``)."""
    values = entries.values() if isinstance(entries, dict) else []
    return [str(value).split(":")[0].strip() for value in values]


def pyproject_plugins(data: dict[str, Any]) -> list[DeclaredPlugin]:
    """Plugins pyproject.toml declares: pytest ``addopts`` and ``pytest11`` entry points."""
    tool = data.get("tool", {})
    addopts = tool.get("pytest", {}).get("ini_options", {}).get("addopts")
    names = addopts_plugins(addopts)
    names += _entry_point_modules(data.get("project", {}).get("entry-points", {}).get("pytest11"))
    names += _entry_point_modules(tool.get("poetry", {}).get("plugins", {}).get("pytest11"))
    return [DeclaredPlugin(name, "pyproject.toml") for name in names if name]


def ini_plugins(name: str, sections: IniSections) -> list[DeclaredPlugin]:
    """Plugins an INI file declares: ``-p`` in its pytest section, setup.cfg entry points."""
    section = sections.get(INI_PYTEST_SECTIONS.get(name, ""), {})
    names = addopts_plugins(section.get("addopts", ""))
    entry_points = sections.get("options.entry_points", {}).get("pytest11", "")
    names += [line.partition("=")[2].split(":")[0].strip() for line in entry_points.splitlines()]
    return [DeclaredPlugin(plugin, name) for plugin in names if plugin]


def import_roots(pyproject: dict[str, Any], modules: tuple[PythonModule, ...]) -> list[str]:
    """Directories pytest may import plugins from: root, src, ``pythonpath``, conftest dirs."""
    options = pyproject.get("tool", {}).get("pytest", {}).get("ini_options", {})
    pythonpath = options.get("pythonpath", [])
    extra = pythonpath.split() if isinstance(pythonpath, str) else [str(p) for p in pythonpath]
    conftest_dirs = [m.path.rpartition("/")[0] for m in modules if m.path.endswith("conftest.py")]
    roots = [*DEFAULT_IMPORT_ROOTS, *extra, *conftest_dirs]
    return list(dict.fromkeys(root.strip("./") for root in roots))


def resolve(project: Path, module: str, roots: list[str]) -> str | None:
    """The project file of the dotted ``module`` under one of ``roots``, if there is one."""
    base = module.replace(".", "/")
    for root in roots:
        for candidate in (f"{base}.py", f"{base}/__init__.py"):
            relative = f"{root}/{candidate}" if root else candidate
            if (project / relative).is_file():
                return relative
    return None


async def _declarations(facts: Facts) -> list[DeclaredPlugin]:
    """Every plugin declaration of the project, unresolved."""
    modules = await facts.get(PYTHON_MODULES)
    found = [plugin for module in modules for plugin in module_plugins(module)]
    pyproject = await facts.get(PYPROJECT)
    if isinstance(pyproject.data, dict):
        found += pyproject_plugins(pyproject.data)
    configs: dict[str, IniSections] = await facts.get(INI_CONFIGS)
    inis = dict(configs)
    text = await asyncio.to_thread(read_text, facts.project, "pytest.ini")
    if text is not None:
        inis["pytest.ini"] = parse_ini(text)
    return found + [
        plugin for name, sections in inis.items() for plugin in ini_plugins(name, sections)
    ]


@provides(PYTEST_PLUGINS)
async def pytest_plugins(facts: Facts) -> tuple[DeclaredPlugin, ...]:
    """The plugins the project declares, resolved to its files where they are its own."""
    declared = await _declarations(facts)
    pyproject = await facts.get(PYPROJECT)
    data = pyproject.data if isinstance(pyproject.data, dict) else {}
    roots = import_roots(data, await facts.get(PYTHON_MODULES))

    def resolve_all() -> tuple[DeclaredPlugin, ...]:
        return tuple(
            DeclaredPlugin(p.module, p.declared_in, p.line, resolve(facts.project, p.module, roots))
            for p in declared
        )

    return await asyncio.to_thread(resolve_all)


def parse_module(project: Path, relative: str) -> PythonModule:
    """Read and parse one project file (a syntax error is recorded, not raised)."""
    source = (project / relative).read_text(encoding="utf-8", errors="replace")
    try:
        return PythonModule(relative, source, ast.parse(source, filename=relative))
    except (SyntaxError, ValueError) as exc:
        return PythonModule(relative, source, None, f"{type(exc).__name__}: {exc}")


def all_python_files(project: Path) -> list[str]:
    """Every ``.py`` file of the copy, also under build/ and dist/ (links are not followed)."""
    found = []
    for directory, _dirs, names in os.walk(project):
        base = Path(directory).relative_to(project)
        found += [(base / name).as_posix() for name in names if name.endswith(".py")]
    return sorted(found)


def _parse_missing(project: Path, plugins: list[str], parsed: set[str]) -> list[PythonModule]:
    """Parse the declared plugins and other ``.py`` files not among ``parsed``."""
    paths = {p for p in [*plugins, *all_python_files(project)] if p not in parsed}
    return [parse_module(project, p) for p in sorted(paths) if (project / p).is_file()]


@provides(HOOK_MODULES)
async def hook_modules(facts: Facts) -> tuple[PythonModule, ...]:
    """Every module pytest may take hooks from: all of the copy's Python files and plugins."""
    modules = await facts.get(PYTHON_MODULES)
    plugins = [p.path for p in await facts.get(PYTEST_PLUGINS) if p.path is not None]
    parsed = {module.path for module in modules}
    extra = await asyncio.to_thread(_parse_missing, facts.project, plugins, parsed)
    return modules + tuple(extra)


def _read_record(path: Path) -> tuple[SkippedLink, ...]:
    """The skipped links at ``path``; an altered record is itself reported as one."""
    try:
        return read_skipped_links(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        reason = f"the workspace's record of skipped links is unreadable or altered: {exc}"
        return (SkippedLink(SKIPPED_LINKS_FILE, "", reason),)


@provides(SKIPPED_LINKS)
async def skipped_links(facts: Facts) -> tuple[SkippedLink, ...]:
    """The project's symbolic links the workspace did not copy (they leave the project)."""
    return await asyncio.to_thread(_read_record, facts.options.workdir / SKIPPED_LINKS_FILE)
