"""Anti-gaming: the project cannot rewrite its own test verdict or reach outside itself.

``tests.integrity`` fails when a module pytest may load as a plugin (a ``conftest.py``, a
plugin declared with ``pytest_plugins``, ``-p`` or a ``pytest11`` entry point, or any other
module of the project: a hook defined anywhere in it can be registered at run time) defines
a hook that can alter what pytest reports:

* always: ``pytest_runtest_makereport``, ``pytest_report_teststatus``,
  ``pytest_runtest_protocol``, ``pytest_runtest_call``, ``pytest_pyfunc_call``,
  ``pytest_make_collect_report`` and ``pytest_ignore_collect``;
* ``pytest_runtest_logreport`` when it mutates the report (stores into it, ``setattr``);
* ``pytest_collection_modifyitems`` when it deselects or removes items
  (``config.hook.pytest_deselected``, ``items.clear()``, ``items[:] = ...`` other than a
  reordering, ``del items[...]``, ``items.remove``/``pop``) or marks them skip/xfail;
  reordering and other markers are fine;
* ``pytest_sessionfinish``, ``pytest_unconfigure`` and ``pytest_terminal_summary`` when
  they assign the exit status or end the process, and a terminal summary that edits
  ``stats``.

A hook is found by its name or a ``hookimpl(specname=...)``; importing a hook by name or
naming one in a string (a dynamic definition) counts too, and so does patching pytest
itself (``TestReport.outcome = ...``, ``setattr(_pytest.runner, ...)``,
``monkeypatch.setattr("_pytest....", ...)``). Every Python file of the copy is inspected,
also under ``build/`` and ``dist/``, which the other checks skip. It also fails on every symbolic
link the workspace did not copy because it leaves the project or dangles.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from evals.context import CheckContext
from evals.facts.ast_index import FunctionNode, dotted_name
from evals.facts.pytest_hooks import HOOK_MODULES, PYTEST_PLUGINS, SKIPPED_LINKS
from evals.facts.source import PythonModule
from evals.model import Finding, Outcome
from evals.registry import check

ALWAYS_ALTERING = {
    "pytest_runtest_makereport": "builds every test report, so it can turn a failure into a pass",
    "pytest_report_teststatus": "decides the outcome shown for every report",
    "pytest_runtest_protocol": "can replace a test's whole run and the reports it produces",
    "pytest_runtest_call": "wraps every test call, so it can swallow the test's exception",
    "pytest_pyfunc_call": "can answer for a test function without calling it",
    "pytest_make_collect_report": "builds collection reports, so it can hide collection errors",
    "pytest_ignore_collect": "removes test files from collection",
}
REMOVING_METHODS = frozenset({"clear", "remove", "pop", "__delitem__", "__setitem__", "__init__"})
STATS_EDITS = REMOVING_METHODS | {"update", "setdefault", "popitem", "append", "extend", "insert"}
SKIPPING_MARKS = frozenset({"skip", "skipif", "xfail"})
EXITS = frozenset({"os._exit", "sys.exit", "pytest.exit", "exit", "quit", "os.kill", "os.abort"})
REORDERING = frozenset({"sorted", "reversed", "list"})
PYTEST_MODULES = frozenset({"pytest", "_pytest", "pluggy"})
Problem = tuple[int, str]
Inspector = Callable[[FunctionNode], "Problem | None"]


def _targets(node: ast.stmt) -> list[ast.expr]:
    """The expressions ``node`` stores into or deletes (tuples flattened)."""
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        targets = [node.target]
    elif isinstance(node, ast.Delete):
        targets = list(node.targets)
    else:
        return []
    flat: list[ast.expr] = []
    for target in targets:
        flat += list(target.elts) if isinstance(target, ast.Tuple | ast.List) else [target]
    return flat


def chain(node: ast.expr) -> tuple[str | None, list[str]]:
    """The root name of an attribute/subscript/call chain and its attribute names, in order."""
    attributes: list[str] = []
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        if isinstance(node, ast.Attribute):
            attributes.insert(0, node.attr)
        node = node.func if isinstance(node, ast.Call) else node.value
    return (node.id if isinstance(node, ast.Name) else None), attributes


def _stores(function: FunctionNode) -> Iterator[tuple[ast.stmt, ast.expr]]:
    """Every (statement, target) pair of the assignments and deletions in ``function``."""
    statements = (node for node in ast.walk(function) if isinstance(node, ast.stmt))
    for statement in statements:
        for target in _targets(statement):
            yield statement, target


def _calls(function: FunctionNode) -> Iterator[ast.Call]:
    """Every call in ``function``."""
    return (node for node in ast.walk(function) if isinstance(node, ast.Call))


def _own_state(target: ast.expr) -> bool:
    """Whether ``target`` is the plugin's own state: ``self.x`` or ``self.x[key]``."""
    root, attributes = chain(target)
    return root == "self" and len(attributes) == 1


def mutates_report(function: FunctionNode) -> Problem | None:
    """Where a ``pytest_runtest_logreport`` changes an object (the report) it was given."""
    for statement, target in _stores(function):
        if isinstance(target, ast.Attribute | ast.Subscript) and not _own_state(target):
            return statement.lineno, "changes the report it is given"
    for call in _calls(function):
        if dotted_name(call.func) in {"setattr", "delattr", "object.__setattr__"}:
            return call.lineno, "changes the report it is given (setattr)"
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and node.attr in {"__dict__", "__setattr__"}:
            return node.lineno, f"changes the report it is given ({node.attr})"
    return None


def _aliases(function: FunctionNode, name: str) -> set[str]:
    """``name`` and the local names bound to it (``selected = items``)."""
    found = {name}
    for statement, target in _stores(function):
        value = getattr(statement, "value", None)
        if isinstance(target, ast.Name) and isinstance(value, ast.Name) and value.id in found:
            found.add(target.id)
    return found


def _is_reordering(value: ast.expr | None, aliases: set[str]) -> bool:
    """Whether ``value`` is the same items reordered: ``sorted(items, ...)``, ``items[::-1]``."""
    if isinstance(value, ast.Subscript):
        return chain(value)[0] in aliases and isinstance(value.slice, ast.Slice)
    if not isinstance(value, ast.Call) or dotted_name(value.func) not in REORDERING:
        return False
    first = value.args[0] if value.args else None
    return (isinstance(first, ast.Name) and first.id in aliases) or _is_reordering(first, aliases)


def _removing_store(function: FunctionNode, aliases: set[str]) -> Problem | None:
    """A store into or deletion from the items list that is not a reordering."""
    for statement, target in _stores(function):
        if isinstance(target, ast.Attribute) and target.attr == "items":
            return statement.lineno, "replaces the session's items"
        if not isinstance(target, ast.Subscript) or chain(target)[0] not in aliases:
            continue
        value = getattr(statement, "value", None)
        if isinstance(statement, ast.Delete) or not _is_reordering(value, aliases):
            return statement.lineno, "removes or replaces collected items"
    return None


def _skipping_marker(call: ast.Call) -> bool:
    """Whether ``call`` is ``item.add_marker(...)`` with a skip, skipif or xfail mark."""
    if not isinstance(call.func, ast.Attribute) or call.func.attr != "add_marker":
        return False
    for node in (n for arg in call.args for n in ast.walk(arg)):
        if isinstance(node, ast.Attribute) and node.attr in SKIPPING_MARKS:
            return True
        if isinstance(node, ast.Constant) and node.value in SKIPPING_MARKS:
            return True
    return False


def removes_items(function: FunctionNode) -> Problem | None:
    """Where a ``pytest_collection_modifyitems`` deselects, removes or skips items."""
    aliases = _aliases(function, "items")
    for call in _calls(function):
        name = dotted_name(call.func) or ""
        if name.endswith("pytest_deselected"):
            return call.lineno, "deselects collected items"
        method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
        if method in REMOVING_METHODS and chain(call.func)[0] in aliases:
            return call.lineno, f"removes collected items (.{method})"
        if _skipping_marker(call):
            return call.lineno, "marks collected items skip or xfail"
    return _removing_store(function, aliases)


def overrides_exit(function: FunctionNode) -> Problem | None:
    """Where a session hook assigns the exit status or ends the process itself."""
    for statement, target in _stores(function):
        name = target.id if isinstance(target, ast.Name) else chain(target)[1][-1:]
        if name in ("exitstatus", ["exitstatus"]):
            return statement.lineno, "assigns the exit status"
    for call in _calls(function):
        if dotted_name(call.func) in EXITS:
            return call.lineno, f"ends the process itself ({dotted_name(call.func)})"
    return None


def edits_stats(function: FunctionNode) -> Problem | None:
    """Where a ``pytest_terminal_summary`` edits the reporter's stats or the exit status."""
    for statement, target in _stores(function):
        if "stats" in chain(target)[1] or chain(target)[0] == "stats":
            return statement.lineno, "edits the terminal reporter's stats"
    for call in _calls(function):
        root, attributes = chain(call.func)
        edits = attributes[-1:] and attributes[-1] in STATS_EDITS
        if edits and ("stats" in attributes[:-1] or root == "stats"):
            return call.lineno, "edits the terminal reporter's stats"
    return overrides_exit(function)


INSPECTED: dict[str, Inspector] = {
    "pytest_runtest_logreport": mutates_report,
    "pytest_collection_modifyitems": removes_items,
    "pytest_sessionfinish": overrides_exit,
    "pytest_unconfigure": overrides_exit,
    "pytest_terminal_summary": edits_stats,
}
HOOK_NAMES = frozenset(ALWAYS_ALTERING) | frozenset(INSPECTED)


def hook_name(function: FunctionNode) -> str:
    """The hook ``function`` implements: its ``hookimpl(specname=...)``, else its name."""
    for decorator in function.decorator_list:
        for keyword in decorator.keywords if isinstance(decorator, ast.Call) else []:
            if keyword.arg == "specname" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
    return function.name


def hook_problem(function: FunctionNode) -> Problem | None:
    """Why ``function`` (a hook implementation or not) may alter what pytest reports."""
    name = hook_name(function)
    if name in ALWAYS_ALTERING:
        return function.lineno, ALWAYS_ALTERING[name]
    inspector = INSPECTED.get(name)
    return inspector(function) if inspector else None


def _definitions(module: PythonModule) -> Iterator[Finding]:
    """Report-altering hooks defined in ``module`` (functions and methods, any depth)."""
    for node in ast.walk(module.tree) if module.tree else ():
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            problem = hook_problem(node)
            if problem is not None:
                line, what = problem
                yield Finding(f"pytest hook {hook_name(node)} {what}", module.path, line)


def _references(module: PythonModule) -> Iterator[Finding]:
    """Hooks imported by name or named in a string (other than a ``specname``)."""
    nodes = list(ast.walk(module.tree)) if module.tree else []
    specnames = {id(n.value) for n in nodes if isinstance(n, ast.keyword) and n.arg == "specname"}
    for node in (n for n in nodes if isinstance(n, ast.ImportFrom)):
        for alias in (a for a in node.names if a.name in HOOK_NAMES):
            yield Finding(f"imports the pytest hook {alias.name}", module.path, node.lineno)
    strings = [n for n in nodes if isinstance(n, ast.Constant) and n.value in HOOK_NAMES]
    for string in (s for s in strings if id(s) not in specnames):
        what = f"names the pytest hook {string.value!s} in a string (a dynamic definition)"
        yield Finding(what, module.path, string.lineno)


def _pytest_names(module: PythonModule) -> set[str]:
    """Names bound to pytest, _pytest or pluggy (modules or their members) in ``module``."""
    names: set[str] = set()
    for node in ast.walk(module.tree) if module.tree else ():
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name.split(".")[0] for a in node.names if _is_pytest(a.name)}
        elif isinstance(node, ast.ImportFrom) and _is_pytest(node.module or ""):
            names |= {alias.asname or alias.name for alias in node.names}
    return names


def _is_pytest(module: str) -> bool:
    """Whether ``module`` is pytest's, its internals' or pluggy's."""
    return module.split(".", maxsplit=1)[0] in PYTEST_MODULES


def _patch_target(node: ast.AST, names: set[str]) -> ast.expr | None:
    """What ``node`` patches when it changes pytest: ``X.attr = ...``, ``setattr(X, ...)``."""
    if isinstance(node, ast.stmt):
        stored = [t for t in _targets(node) if isinstance(t, ast.Attribute | ast.Subscript)]
        return next((t for t in stored if chain(t)[0] in names), None)
    if isinstance(node, ast.Call) and node.args and dotted_name(node.func) == "setattr":
        return node.args[0] if chain(node.args[0])[0] in names else None
    if isinstance(node, ast.Call) and (dotted_name(node.func) or "").endswith("setattr"):
        first = node.args[0] if node.args else None
        named = isinstance(first, ast.Constant) and _is_pytest(str(first.value))
        return first if named else None
    return None


def _patches(module: PythonModule) -> Iterator[Finding]:
    """Places where ``module`` changes pytest's own code or objects (monkeypatching it)."""
    names = _pytest_names(module)
    for node in ast.walk(module.tree) if module.tree and names else ():
        target = _patch_target(node, names)
        if target is not None:
            what = f"patches pytest itself ({ast.unparse(target)[:80]})"
            yield Finding(what, module.path, getattr(node, "lineno", None))


def hook_findings(modules: tuple[PythonModule, ...], plugin_paths: set[str]) -> list[Finding]:
    """Report-altering hooks in ``modules``; conftest and plugin files that do not parse."""
    findings: list[Finding] = []
    for module in modules:
        plugin = module.path.endswith("conftest.py") or module.path in plugin_paths
        if module.tree is None and plugin:
            why = f"pytest plugin does not parse, its hooks go uninspected: {module.syntax_error}"
            findings.append(Finding(why, module.path))
        findings += [*_definitions(module), *_references(module), *_patches(module)]
    return findings


@check("tests.integrity")
async def tests_integrity(ctx: CheckContext) -> Outcome:
    """No pytest hook that can alter test reports, and no symbolic link leaving the project."""
    plugins = await ctx.fact(PYTEST_PLUGINS)
    own = {plugin.path for plugin in plugins if plugin.path is not None}
    hooks = hook_findings(await ctx.fact(HOOK_MODULES), own)
    links = [
        Finding(f"symbolic link {link.reason}: -> {link.target}", link.path)
        for link in await ctx.fact(SKIPPED_LINKS)
    ]
    metrics = {"hooks": len(hooks), "escaping_links": len(links), "declared_plugins": len(plugins)}
    if not hooks and not links:
        return Outcome.passed("no report-altering pytest hook, no escaping link", **metrics)
    reason = f"{len(hooks)} report-altering pytest hooks, {len(links)} links leaving the project"
    return Outcome.failed(reason, hooks + links, **metrics)
