"""Following the project's own imports and calls: which code a given module can reach.

The domain checks judge a property of the code wherever it is implemented: validation of
consumed messages may live in ``kafka/handlers.py`` rather than ``kafka/consumer.py``.
This module offers a small import graph over :data:`~evals.facts.ast_index.IMPORTS`
restricted to the application code (see :mod:`evals.facts.layout`), and a name-based
call graph over the functions of those modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from evals.facts.ast_index import FunctionInfo, ImportRef, module_name, walk_body
from evals.facts.layout import ProjectLayout
from evals.facts.source import PythonModule


def code_modules(modules: Iterable[PythonModule], layout: ProjectLayout) -> list[PythonModule]:
    """The parsed modules of the application code (under the layout's code root)."""
    return [m for m in modules if m.tree is not None and layout.in_code(m.path)]


def module_paths(modules: Iterable[PythonModule]) -> dict[str, str]:
    """Dotted module name -> file path, for ``modules``."""
    return {module_name(m.path): m.path for m in modules}


def import_graph(imports: Iterable[ImportRef], paths: dict[str, str]) -> dict[str, set[str]]:
    """File path -> the project files it imports (``from x import y`` may import ``x.y``).

    Args:
        imports: Every import statement (:data:`~evals.facts.ast_index.IMPORTS`).
        paths: Dotted name -> path of the modules the graph is restricted to.

    Returns:
        The edges of the graph, for the importing modules among ``paths``.
    """
    known = set(paths.values())
    graph: dict[str, set[str]] = {}
    for ref in imports:
        if ref.path in known:
            targets = {paths[t] for t in ref.targets if t in paths}
            graph.setdefault(ref.path, set()).update(targets)
    return graph


def reachable(starts: Iterable[str], graph: dict[str, set[str]]) -> set[str]:
    """``starts`` and every node reachable from them in ``graph``."""
    seen = set(starts)
    stack = list(seen)
    while stack:
        for target in graph.get(stack.pop(), ()):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def referenced_names(function: FunctionInfo) -> set[str]:
    """Names and attributes a function's own body refers to (called or passed on)."""
    names: set[str] = set()
    for node in walk_body(function.node):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


@dataclass(frozen=True)
class CallGraph:
    """Functions of a set of modules, indexed by name, with nested functions by parent.

    Attributes:
        by_name: Function name -> the functions of that name.
        nested: ``(path, qualname)`` of a function -> the functions defined in it.
    """

    by_name: dict[str, list[FunctionInfo]]
    nested: dict[tuple[str, str], list[FunctionInfo]]

    @classmethod
    def of(cls, functions: Iterable[FunctionInfo]) -> CallGraph:
        """Index ``functions``."""
        by_name: dict[str, list[FunctionInfo]] = {}
        nested: dict[tuple[str, str], list[FunctionInfo]] = {}
        for function in functions:
            by_name.setdefault(function.name, []).append(function)
            parent = function.qualname.rpartition(".")[0]
            nested.setdefault((function.path, parent), []).append(function)
        return cls(by_name, nested)

    def callees(self, function: FunctionInfo) -> list[FunctionInfo]:
        """Functions ``function`` may call: by referenced name, and those nested in it."""
        found = list(self.nested.get((function.path, function.qualname), []))
        for name in referenced_names(function):
            found.extend(self.by_name.get(name, []))
        return found

    def closure(self, starts: Iterable[FunctionInfo]) -> list[FunctionInfo]:
        """``starts`` and every function reachable from them by (name-resolved) calls."""
        seen = {id(f): f for f in starts}
        stack = list(seen.values())
        while stack:
            for callee in self.callees(stack.pop()):
                if id(callee) not in seen:
                    seen[id(callee)] = callee
                    stack.append(callee)
        return list(seen.values())


def module_level_names(module: PythonModule) -> set[str]:
    """Names referenced by a module's top-level statements (``HANDLERS = {"x": handle_x}``)."""
    skipped = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
    statements = [n for n in module.tree.body if not isinstance(n, skipped)] if module.tree else []
    return {
        n.id if isinstance(n, ast.Name) else n.attr
        for statement in statements
        for n in ast.walk(statement)
        if isinstance(n, ast.Name | ast.Attribute)
    }


def reached_functions(
    starts: set[str],
    modules: list[PythonModule],
    imports: Iterable[ImportRef],
    functions: Iterable[FunctionInfo],
) -> list[FunctionInfo]:
    """Functions reachable from the functions of the ``starts`` files.

    Calls are followed by name into the modules the start files import, directly or
    transitively, among ``modules`` (the application code).
    """
    graph = import_graph(imports, module_paths(modules))
    scope = reachable(starts, graph)
    candidates = [f for f in functions if f.path in scope]
    names = {n for m in modules if m.path in starts for n in module_level_names(m)}
    roots = [
        f for f in candidates if f.path in starts or (f.name in names and "." not in f.qualname)
    ]
    return CallGraph.of(candidates).closure(roots)


def _identifier(node: ast.AST) -> str | None:
    """A Name's id or an Attribute's attr."""
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def after_yield(function: FunctionInfo) -> list[ast.AST]:
    """Nodes of a generator function's body after its first ``yield`` (its shutdown part)."""
    nodes = list(walk_body(function.node))
    yields = [n.lineno for n in nodes if isinstance(n, ast.Yield)]
    return [n for n in nodes if yields and getattr(n, "lineno", 0) > min(yields)]


def lifespan_names(calls: Iterable[ast.Call]) -> set[str]:
    """``lifespan`` and the names passed as ``lifespan=`` (``FastAPI(lifespan=...)``)."""
    passed = (kw.value for call in calls for kw in call.keywords if kw.arg == "lifespan")
    return {"lifespan"} | {name for value in passed if (name := _identifier(value))}


def on_shutdown(function: FunctionInfo) -> bool:
    """Whether a function is registered with ``@<app>.on_event("shutdown")``."""
    return any(
        isinstance(d, ast.Call)
        and _identifier(d.func) == "on_event"
        and any(isinstance(a, ast.Constant) and a.value == "shutdown" for a in d.args)
        for d in function.node.decorator_list
    )


def shutdown_path(functions: list[FunctionInfo], calls: Iterable[ast.Call]) -> list[ast.AST]:
    """Nodes run when the ASGI server shuts the app down (after it handled SIGTERM/SIGINT).

    That is the code after ``yield`` in the lifespan, ``on_event("shutdown")`` handlers,
    and the bodies of every function of ``functions`` they reach by calls.
    """
    names = lifespan_names(calls)
    tails = [n for f in functions if f.name in names for n in after_yield(f)]
    graph = CallGraph.of(functions)
    starts = [g for n in tails if (name := _identifier(n)) for g in graph.by_name.get(name, [])]
    reached = graph.closure([*starts, *(f for f in functions if on_shutdown(f))])
    return tails + [n for f in reached for n in walk_body(f.node)]
