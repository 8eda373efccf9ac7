"""Where a project keeps its code: the project locator, computed once per run.

The seed's contract puts the application package at ``src/app`` with the ASGI app at
``app.main:app``. Real projects differ (``app/`` at the root, ``src/<name>/``, an app
factory only), and every check must judge the code wherever it lives. This fact finds the
application package by where the FastAPI app (or its factory) is defined, falling back to
the usual directories; every check reads paths through it, and ``structure.layout`` alone
judges the deviations it records.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from evals.context import Facts
from evals.evaluation_contract import EVALUATION
from evals.facts.ast_index import in_dir, module_name
from evals.facts.project_config import ALEMBIC
from evals.facts.source import PROJECT_FILES, PYTHON_MODULES, PythonModule
from evals.model import Finding
from evals.registry import FactKey, provides

CONTRACT_PACKAGE_DIR = EVALUATION.package_dir
CONTRACT_MODULE = EVALUATION.app_module
CONTRACT_ATTR = EVALUATION.app_attr
APP_CLASSES = frozenset({"FastAPI", "Starlette"})
FACTORY_NAMES = frozenset({"create_app", "make_app", "build_app", "get_app", "app_factory"})
NOT_CODE_DIRS = frozenset({"tests", "test", "alembic", "migrations", "docs", "scripts", "examples"})
FALLBACK_PACKAGE_DIRS = ("src/app", "app")
TEST_DIRS = ("tests", "test")


@dataclass(frozen=True)
class AppTarget:
    """An ASGI app or app factory, as uvicorn names it.

    Attributes:
        module: Dotted module name, e.g. ``app.main``.
        attr: Attribute holding the app or factory.
        factory: Whether uvicorn must call it (``--factory``).
    """

    module: str
    attr: str
    factory: bool = False

    @property
    def spec(self) -> str:
        """``module:attr`` as uvicorn expects it."""
        return f"{self.module}:{self.attr}"


CONTRACT_TARGET = AppTarget(CONTRACT_MODULE, CONTRACT_ATTR)


@dataclass(frozen=True)
class AppDefinition:
    """An app or factory found in the syntax trees.

    Attributes:
        target: How uvicorn would serve it.
        path: The defining file, relative to the project root.
        line: Line of the definition.
    """

    target: AppTarget
    path: str
    line: int


@dataclass(frozen=True)
class ProjectLayout:
    """Where the project's code, tests and migrations are.

    Attributes:
        package_dir: The application package (``src/app``, ``app``, ``src/orders``), or
            ``""`` when none was found.
        code_root: The directory whose Python files are application code: ``src`` for a
            src layout, else the package directory itself.
        apps: Every app or factory defined in the application code, the preferred first.
        tests_dir: The tests folder (``tests`` unless only ``test`` exists).
        alembic_dir: Alembic's script location, or None without Alembic configuration.
    """

    package_dir: str
    code_root: str
    apps: tuple[AppDefinition, ...] = ()
    tests_dir: str = "tests"
    alembic_dir: str | None = None

    @property
    def package(self) -> str:
        """The package's import name (``app``), empty when there is none."""
        return module_name(f"{self.package_dir}/__init__.py") if self.package_dir else ""

    @property
    def app(self) -> AppDefinition | None:
        """The preferred app or factory definition."""
        return self.apps[0] if self.apps else None

    def in_code(self, path: str) -> bool:
        """Whether ``path`` is application code (under the code root)."""
        return bool(self.code_root) and in_dir(path, self.code_root)

    def in_package(self, path: str) -> bool:
        """Whether ``path`` lies inside the application package."""
        return bool(self.package_dir) and in_dir(path, self.package_dir)

    def path(self, relative: str) -> str:
        """``relative`` inside the package (``core/config.py`` -> ``src/app/core/config.py``)."""
        return f"{self.package_dir}/{relative}" if self.package_dir else relative

    def module(self, relative: str) -> str:
        """Dotted name inside the package (``repositories`` -> ``app.repositories``)."""
        return f"{self.package}.{relative}" if self.package else relative

    def deviations(self) -> list[Finding]:
        """Departures from the contract's ``src/app`` package and ``app.main:app``."""
        found: list[Finding] = []
        if self.package_dir and self.package_dir != CONTRACT_PACKAGE_DIR:
            message = f"application package is at {self.package_dir}/, expected src/app/"
            found.append(Finding(message, path=self.package_dir))
        app = self.app
        if app is not None and app.target != CONTRACT_TARGET:
            kind = "app factory" if app.target.factory else "app"
            message = f"the {kind} is {app.target.spec}, expected app.main:app"
            found.append(Finding(message, path=app.path, line=app.line))
        return found


LAYOUT: FactKey[ProjectLayout] = FactKey("project_layout")


def _called_name(node: ast.expr | None) -> str:
    """The simple name a call expression calls (``FastAPI`` for ``fastapi.FastAPI(...)``)."""
    if isinstance(node, ast.Call):
        func = node.func
        return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return ""


def _builds_app(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a top-level function is an app factory (by name, annotation or body)."""
    returns = ast.unparse(node.returns).split(".")[-1] if node.returns else ""
    if node.name in FACTORY_NAMES or returns in APP_CLASSES:
        return True
    calls = (n for n in ast.walk(node) if isinstance(n, ast.Call))
    return any(_called_name(call) in APP_CLASSES for call in calls) and "app" in node.name


def _assigned_names(node: ast.stmt, callees: set[str]) -> list[str]:
    """Names bound at top level to a call of one of ``callees`` (``app = FastAPI()``)."""
    if not isinstance(node, ast.Assign | ast.AnnAssign) or _called_name(node.value) not in callees:
        return []
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def apps_in(module: PythonModule) -> list[AppDefinition]:
    """App instances and factories defined at the top level of one module.

    An instance is a name bound to ``FastAPI(...)``/``Starlette(...)`` or to a call of a
    factory; a factory is a function named like one, annotated to return an app, or
    whose name mentions ``app`` and whose body builds one.
    """
    body = module.tree.body if module.tree else []
    name = module_name(module.path)
    factories = [n for n in body if isinstance(n, ast.FunctionDef) and _builds_app(n)]
    callees = set(APP_CLASSES) | FACTORY_NAMES | {f.name for f in factories}
    found = [
        AppDefinition(AppTarget(name, bound), module.path, node.lineno)
        for node in body
        for bound in _assigned_names(node, callees)
    ]
    found += [
        AppDefinition(AppTarget(name, f.name, factory=True), module.path, f.lineno)
        for f in factories
    ]
    return found


def _is_code_candidate(path: str) -> bool:
    """Whether a file may hold application code (not tests, migrations, docs or hidden)."""
    parts = path.split("/")
    return not any(part in NOT_CODE_DIRS or part.startswith(".") for part in parts[:-1])


def _rank(definition: AppDefinition) -> tuple[int, int, int, int, str]:
    """Sort key: the contract first, then instances over factories, main modules, shallow."""
    target = definition.target
    return (
        target != CONTRACT_TARGET,
        target.factory,
        not definition.path.endswith("main.py"),
        definition.path.count("/"),
        definition.path,
    )


def package_dir_of(path: str) -> str:
    """The top-level package directory holding ``path`` (``src/x`` or ``x``; root: ``""``)."""
    parts = path.split("/")
    if parts[0] == "src" and len(parts) > len(("src", "pkg")):
        return "/".join(parts[:2])
    return parts[0] if len(parts) > 1 and parts[0] != "src" else ""


def _fallback_package(files: tuple[str, ...]) -> str:
    """The package directory when no app is defined: src/app, app, or a lone src/<pkg>."""
    for candidate in FALLBACK_PACKAGE_DIRS:
        if any(in_dir(f, candidate) and f.endswith(".py") for f in files):
            return candidate
    inits = sorted({package_dir_of(f) for f in files if f.startswith("src/") and f.endswith(".py")})
    return inits[0] if len(inits) == 1 else ""


def locate(
    modules: tuple[PythonModule, ...], files: tuple[str, ...], alembic_dir: str | None
) -> ProjectLayout:
    """Build the :class:`ProjectLayout` of a project from its files and syntax trees."""
    apps = sorted((d for m in modules if _is_code_candidate(m.path) for d in apps_in(m)), key=_rank)
    package_dir = package_dir_of(apps[0].path) if apps else _fallback_package(files)
    in_package = [a for a in apps if not package_dir or in_dir(a.path, package_dir)]
    code_root = "src" if package_dir.startswith("src/") else package_dir
    tests = next((d for d in TEST_DIRS if any(in_dir(f, d) for f in files)), TEST_DIRS[0])
    return ProjectLayout(package_dir, code_root, tuple(in_package), tests, alembic_dir)


@provides(LAYOUT)
async def project_layout(facts: Facts) -> ProjectLayout:
    """Locate the application package, its app, the tests and the migrations once."""
    modules = await facts.get(PYTHON_MODULES)
    files = await facts.get(PROJECT_FILES)
    alembic = await facts.get(ALEMBIC)
    alembic_dir = alembic.script_location if alembic.exists else None
    return locate(modules, files, alembic_dir)
