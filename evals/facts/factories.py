"""Where a client class is constructed: directly, through an injectable factory, or a wrapper.

A project may build ``AIOKafkaProducer`` as ``AIOKafkaProducer(acks="all")``, through a
parameter or attribute holding the class (``factory: Callable[..., Any] =
AIOKafkaProducer`` then ``self._factory(**options)``), ``functools.partial``, an import
alias or a subclass. :func:`construction_sites` finds all of them with the keyword
options passed, expanding ``**options`` dicts built by a display, ``dict(...)``, item
assignments, ``.update(...)`` or a helper function returning a dict.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from evals.facts.ast_index import dotted_name, import_aliases, last_name
from evals.facts.patterns import dict_display_entries, subclasses
from evals.facts.source import PythonModule


@dataclass(frozen=True)
class Construction:
    """One construction of the class.

    Attributes:
        path: File of the call.
        line: Line of the call.
        keywords: Options passed by keyword (``**`` dicts expanded where known).
        opaque: Whether some ``**`` splat could not be expanded.
    """

    path: str
    line: int
    keywords: dict[str, ast.expr] = field(default_factory=dict)
    opaque: bool = False


def stands_for(node: ast.expr | None, holders: set[str]) -> bool:
    """Whether ``node`` (not a call) is one of ``holders`` (also in ``f or Class``)."""
    if isinstance(node, ast.BoolOp):
        return any(stands_for(value, holders) for value in node.values)
    if isinstance(node, ast.IfExp):
        return stands_for(node.body, holders) or stands_for(node.orelse, holders)
    if isinstance(node, ast.Name | ast.Attribute):
        return (dotted_name(node) or "") in holders
    return False


def _defaults(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[tuple[str, ast.expr]]:
    """``(parameter, default)`` pairs of a function's signature."""
    positional = [*node.args.posonlyargs, *node.args.args]
    with_default = positional[len(positional) - len(node.args.defaults) :]
    pairs = zip(with_default, node.args.defaults, strict=True)
    yield from ((arg.arg, default) for arg, default in pairs)
    keyword_pairs = zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
    yield from ((arg.arg, default) for arg, default in keyword_pairs if default is not None)


def _bindings(tree: ast.Module) -> Iterator[tuple[list[str], ast.expr | None]]:
    """``(names bound, value)`` of parameters with defaults and of assignments."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from (([name], default) for name, default in _defaults(node))
        elif isinstance(node, ast.Assign):
            yield [n for t in node.targets if (n := dotted_name(t))], node.value
        elif isinstance(node, ast.AnnAssign):
            yield [n for n in [dotted_name(node.target)] if n], node.value


def holders_in(module: PythonModule, class_name: str) -> set[str]:
    """Names in ``module`` that stand for ``class_name`` (aliases, factories, attributes)."""
    aliases = import_aliases(module)
    holders = {class_name} | {
        local for local, qualified in aliases.items() if qualified.endswith(f".{class_name}")
    }
    holders |= {f"{module_alias}.{class_name}" for module_alias in aliases}
    bindings = list(_bindings(module.tree)) if module.tree else []
    changed = True
    while changed:
        before = len(holders)
        for names, value in bindings:
            if stands_for(value, holders):
                holders.update(names, (f"self.{n}" for n in names if "." not in n))
        changed = len(holders) != before
    return holders


def _constructs(call: ast.Call, holders: set[str]) -> bool:
    """A call of a holder, ``partial(<holder>, ...)`` or ``super().__init__`` in a subclass."""
    if last_name(call.func) == "partial" and call.args:
        return stands_for(call.args[0], holders)
    return stands_for(call.func, holders)


def _calls(node: ast.AST) -> Iterator[ast.Call]:
    """Every call in ``node``'s subtree."""
    return (n for n in ast.walk(node) if isinstance(n, ast.Call))


def _super_inits(module: PythonModule, class_name: str) -> list[ast.Call]:
    """``super().__init__(...)`` calls in the subclasses of ``class_name`` in ``module``."""
    classes = [node for _, node in subclasses([module], (class_name,))]
    return [c for node in classes for c in _calls(node) if dotted_name(c.func) == "super.__init__"]


def _returned_dict(module: PythonModule, name: str) -> dict[str, ast.expr] | None:
    """Entries of the dict display a function ``name`` of ``module`` returns."""
    for node in ast.walk(module.tree) if module.tree else ():
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            returns = [n for n in ast.walk(node) if isinstance(n, ast.Return)]
            found = [e for r in returns if (e := dict_display_entries(r.value)) is not None]
            return {k: v for entries in found for k, v in entries.items()} if found else None
    return None


def _item_stores(tree: ast.Module, name: str) -> Iterator[dict[str, ast.expr]]:
    """Entries given to dict ``name`` by displays, ``name["k"] = v`` and ``name.update``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                yield from _store_entries(target, node.value, name)
        elif isinstance(node, ast.Call) and dotted_name(node.func) == f"{name}.update":
            yield {kw.arg: kw.value for kw in node.keywords if kw.arg}
            yield from (e for a in node.args if (e := dict_display_entries(a)) is not None)


def _store_entries(target: ast.expr, value: ast.expr, name: str) -> Iterator[dict[str, ast.expr]]:
    """Entries one assignment gives to dict ``name``."""
    if dotted_name(target) == name and (entries := dict_display_entries(value)) is not None:
        yield entries
    if isinstance(target, ast.Subscript) and dotted_name(target.value) == name:
        key = target.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            yield {key.value: value}


def splat_entries(module: PythonModule, splat: ast.expr) -> dict[str, ast.expr] | None:
    """The keywords a ``**splat`` passes, or None when they cannot be known."""
    if (entries := dict_display_entries(splat)) is not None:
        return entries
    if isinstance(splat, ast.Call):
        return _returned_dict(module, last_name(splat.func) or "")
    name = dotted_name(splat)
    stores = list(_item_stores(module.tree, name)) if name and module.tree else []
    return {k: v for entries in stores for k, v in entries.items()} if stores else None


def construction(module: PythonModule, call: ast.Call) -> Construction:
    """The options of one construction call, ``**`` splats expanded where possible."""
    keywords: dict[str, ast.expr] = {}
    opaque = False
    for keyword in call.keywords:
        if keyword.arg is not None:
            keywords[keyword.arg] = keyword.value
        elif (entries := splat_entries(module, keyword.value)) is not None:
            keywords.update(entries)
        else:
            opaque = True
    return Construction(module.path, call.lineno, keywords, opaque)


def construction_sites(modules: Iterable[PythonModule], class_name: str) -> list[Construction]:
    """Every construction of ``class_name`` in ``modules`` (subclasses: their super() call)."""
    found = []
    for module in modules:
        if module.tree is None:
            continue
        holders = holders_in(module, class_name)
        calls = [c for c in _calls(module.tree) if _constructs(c, holders)]
        calls += _super_inits(module, class_name)
        found += [construction(module, call) for call in calls]
    return found
