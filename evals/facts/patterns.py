"""Syntax-tree patterns for the domain checks: calls with their keywords, constants, classes.

Built on :mod:`evals.facts.ast_index` (names and imports) over the modules parsed once by
:data:`~evals.facts.source.PYTHON_MODULES`. Values are resolved tolerantly: a keyword may be
a literal, a module-level constant, a ``**`` dict literal or a settings attribute whose
field has a literal default; what cannot be resolved is :data:`UNKNOWN`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from evals.context import Facts
from evals.facts.ast_index import dotted_name, in_dir, last_name
from evals.facts.layout import LAYOUT, ProjectLayout
from evals.facts.source import PYTHON_MODULES, PythonModule
from evals.registry import FactKey, provides

UNKNOWN = object()
"""Sentinel: the value of an expression could not be determined statically."""


@dataclass(frozen=True, eq=False)
class CallSite:
    """One call expression in a module.

    Attributes:
        path: File path relative to the project root.
        node: The call node.
        keywords: Keyword arguments by name, including those of a ``**`` dict literal.
        function: Name of the innermost enclosing function, if any.
        opaque: Whether a ``**`` splat could not be expanded (any keyword may hide in it).
    """

    path: str
    node: ast.Call
    keywords: dict[str, ast.expr] = field(default_factory=dict)
    function: str | None = None
    opaque: bool = False

    def passes(self, keyword: str) -> bool:
        """Whether the call passes ``keyword`` (or may, through an opaque splat)."""
        return keyword in self.keywords or self.opaque

    @property
    def name(self) -> str:
        """The callee as written (``self._consumer.commit``), empty when not a name chain."""
        return dotted_name(self.node.func) or ""

    @property
    def last(self) -> str:
        """The callee's final identifier (``commit``)."""
        return last_name(self.node.func) or ""

    @property
    def receiver(self) -> str:
        """What the method is called on (``self._consumer``), empty for plain functions."""
        func = self.node.func
        return (dotted_name(func.value) or "") if isinstance(func, ast.Attribute) else ""

    @property
    def line(self) -> int:
        """Line of the call."""
        return self.node.lineno


@dataclass(frozen=True)
class SettingsField:
    """A field of a pydantic-settings class.

    Attributes:
        path: File defining the class.
        class_name: The settings class.
        name: Field name.
        default: The literal default, :data:`UNKNOWN` when not a literal, None when absent.
        line: Line of the field.
    """

    path: str
    class_name: str
    name: str
    default: object
    line: int


CALL_SITES: FactKey[tuple[CallSite, ...]] = FactKey("pattern_call_sites")
MODULE_CONSTANTS: FactKey[dict[str, dict[str, object]]] = FactKey("pattern_module_constants")
SETTINGS_FIELDS: FactKey[tuple[SettingsField, ...]] = FactKey("pattern_settings_fields")


def under(path: str, *directories: str) -> bool:
    """Whether ``path`` lies in one of ``directories`` (e.g. the layout's code root)."""
    return any(in_dir(path, directory) for directory in directories)


def literal(node: ast.expr | None) -> object:
    """The Python value of a literal (also ``-1`` and tuples/lists of literals), else UNKNOWN."""
    if node is None:
        return UNKNOWN
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return UNKNOWN


def _dict_literals(tree: ast.Module) -> dict[str, dict[str, ast.expr]]:
    """Names assigned a dict display or ``dict(...)`` call anywhere in the module."""
    found: dict[str, dict[str, ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            entries = _dict_entries(node.value)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = dotted_name(target)
                if name and entries:
                    found.setdefault(name, {}).update(entries)
    return found


def dict_display_entries(value: ast.expr | None) -> dict[str, ast.expr] | None:
    """String-keyed entries of a dict display or ``dict(...)`` call (None for anything else)."""
    if isinstance(value, ast.Dict):
        pairs = zip(value.keys, value.values, strict=True)
        return {
            k.value: v for k, v in pairs if isinstance(k, ast.Constant) and isinstance(k.value, str)
        }
    if isinstance(value, ast.Call) and dotted_name(value.func) == "dict":
        return {kw.arg: kw.value for kw in value.keywords if kw.arg}
    return None


def _dict_entries(value: ast.expr) -> dict[str, ast.expr]:
    return dict_display_entries(value) or {}


def _keywords(call: ast.Call, dicts: dict[str, dict[str, ast.expr]]) -> dict[str, ast.expr]:
    """Explicit keywords merged with those of ``**name`` / ``**{...}`` splats."""
    merged: dict[str, ast.expr] = {}
    for keyword in call.keywords:
        if keyword.arg is not None:
            merged[keyword.arg] = keyword.value
            continue
        entries = _dict_entries(keyword.value)
        name = dotted_name(keyword.value)
        merged.update(entries or (dicts.get(name, {}) if name else {}))
    return merged


def _walk_with_function(
    node: ast.AST, function: str | None
) -> Iterator[tuple[ast.AST, str | None]]:
    """Walk ``node``'s subtree, pairing each node with its innermost enclosing function."""
    for child in ast.iter_child_nodes(node):
        inner = (
            child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
        )
        yield child, inner
        yield from _walk_with_function(child, inner)


def module_call_sites(module: PythonModule) -> list[CallSite]:
    """Every call of ``module`` with its (splat-expanded) keywords."""
    if module.tree is None:
        return []
    dicts = _dict_literals(module.tree)
    return [
        CallSite(module.path, node, _keywords(node, dicts), function, _opaque(node, dicts))
        for node, function in _walk_with_function(module.tree, None)
        if isinstance(node, ast.Call)
    ]


def _opaque(call: ast.Call, dicts: dict[str, dict[str, ast.expr]]) -> bool:
    """Whether ``call`` has a ``**`` splat that is neither a dict display nor a known dict."""
    return any(
        keyword.arg is None
        and not _dict_entries(keyword.value)
        and (dotted_name(keyword.value) or "") not in dicts
        for keyword in call.keywords
    )


def calls_named(
    sites: tuple[CallSite, ...], *names: str, directories: tuple[str, ...]
) -> list[CallSite]:
    """Calls whose callee's final identifier is one of ``names``, in ``directories``."""
    wanted = set(names)
    return [s for s in sites if s.last in wanted and under(s.path, *directories)]


def module_constants(module: PythonModule) -> dict[str, object]:
    """Module-level ``NAME = <literal>`` assignments of ``module``."""
    constants: dict[str, object] = {}
    for node in module.tree.body if module.tree else ():
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        resolved = literal(value)
        for target in targets:
            if isinstance(target, ast.Name) and resolved is not UNKNOWN:
                constants[target.id] = resolved
    return constants


def resolve(
    node: ast.expr | None,
    path: str,
    constants: dict[str, dict[str, object]],
    fields: Iterable[SettingsField],
) -> object:
    """The value of ``node``: a literal, a known constant, or a settings field's default.

    Args:
        node: The expression (e.g. a keyword's value).
        path: The module it is in (its own constants are preferred).
        constants: :data:`MODULE_CONSTANTS`.
        fields: :data:`SETTINGS_FIELDS`.

    Returns:
        The value, or :data:`UNKNOWN`.
    """
    value = literal(node)
    if value is not UNKNOWN or node is None:
        return value
    name = last_name(node) if isinstance(node, ast.Name | ast.Attribute) else None
    if name is None:
        return UNKNOWN
    if name in constants.get(path, {}):
        return constants[path][name]
    defaults = [f.default for f in fields if f.name == name and f.default is not UNKNOWN]
    defaults += [c[name] for c in constants.values() if name in c]
    return defaults[0] if defaults else UNKNOWN


def identifiers(node: ast.AST) -> Iterator[str]:
    """Every name, attribute and string literal in ``node``'s subtree (lower case)."""
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            yield child.id.lower()
        elif isinstance(child, ast.Attribute):
            yield child.attr.lower()
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child.value.lower()


def class_defs(modules: Iterable[PythonModule]) -> Iterator[tuple[PythonModule, ast.ClassDef]]:
    """Every class definition of ``modules`` (nested ones too)."""
    for module in modules:
        for node in ast.walk(module.tree) if module.tree else ():
            if isinstance(node, ast.ClassDef):
                yield module, node


def base_names(node: ast.ClassDef) -> set[str]:
    """Final identifiers of a class's bases (``pydantic.BaseModel`` -> ``BaseModel``)."""
    return {name for base in node.bases if (name := last_name(base))}


def subclasses(
    modules: Iterable[PythonModule], roots: Iterable[str]
) -> list[tuple[PythonModule, ast.ClassDef]]:
    """Classes deriving from ``roots`` directly or through other classes of ``modules``."""
    classes = list(class_defs(modules))
    known = set(roots)
    found: dict[int, tuple[PythonModule, ast.ClassDef]] = {}
    changed = True
    while changed:
        changed = False
        for module, node in classes:
            if id(node) not in found and base_names(node) & known:
                found[id(node)] = (module, node)
                known.add(node.name)
                changed = True
    return list(found.values())


def _field_default(value: ast.expr | None) -> object:
    """The default of a field's right-hand side (a literal or ``Field(default)``)."""
    if value is None:
        return None
    if isinstance(value, ast.Call) and last_name(value.func) == "Field":
        keywords = {kw.arg: kw.value for kw in value.keywords if kw.arg}
        first = value.args[0] if value.args else keywords.get("default")
        return literal(first) if first is not None else None
    return literal(value)


def settings_fields_of(module: PythonModule, node: ast.ClassDef) -> list[SettingsField]:
    """The annotated (or assigned) fields of one settings class."""
    fields = []
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            name, value = statement.target.id, statement.value
        elif isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            name, value = statement.targets[0].id, statement.value
        else:
            continue
        if name != "model_config":
            default = _field_default(value)
            fields.append(SettingsField(module.path, node.name, name, default, statement.lineno))
    return fields


def handler_names(handler: ast.ExceptHandler) -> set[str]:
    """Final identifiers of the exception types an ``except`` clause catches."""
    if handler.type is None:
        return {"BaseException"}
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {name for node in types if (name := last_name(node))}


def code_modules(modules: Iterable[PythonModule], layout: ProjectLayout) -> list[PythonModule]:
    """The parsed modules of the application code (under the layout's code root)."""
    return [m for m in modules if m.tree is not None and layout.in_code(m.path)]


@provides(CALL_SITES)
async def call_sites(facts: Facts) -> tuple[CallSite, ...]:
    """Every call of every parsed module, with keywords expanded."""
    modules = await facts.get(PYTHON_MODULES)
    return tuple(site for module in modules for site in module_call_sites(module))


@provides(MODULE_CONSTANTS)
async def constants_by_module(facts: Facts) -> dict[str, dict[str, object]]:
    """Module-level literal constants of every application module, by path."""
    parsed: tuple[PythonModule, ...] = await facts.get(PYTHON_MODULES)
    modules = code_modules(parsed, await facts.get(LAYOUT))
    return {m.path: module_constants(m) for m in modules}


@provides(SETTINGS_FIELDS)
async def settings_fields(facts: Facts) -> tuple[SettingsField, ...]:
    """Fields of every ``BaseSettings`` subclass (direct or indirect) in the application code."""
    parsed: tuple[PythonModule, ...] = await facts.get(PYTHON_MODULES)
    modules = code_modules(parsed, await facts.get(LAYOUT))
    classes = subclasses(modules, ("BaseSettings",))
    return tuple(f for module, node in classes for f in settings_fields_of(module, node))
