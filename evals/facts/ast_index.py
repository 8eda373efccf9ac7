"""Shared syntax-tree facts: functions, imports, route handlers and lexical line data.

Every fact here is derived from :data:`~evals.facts.source.PYTHON_MODULES`, so each file
is parsed once per run. The small helpers (:func:`dotted_name`, :func:`import_aliases`,
:func:`qualified_call_name`, :func:`walk_body`, :func:`in_dir`) are public so that other
static checks can reuse them.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass

from evals.context import Facts
from evals.facts.source import PYTHON_MODULES, PythonModule
from evals.model import Finding, Outcome
from evals.registry import FactKey, provides

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
HTTP_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route"}
)
_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
UNPARSABLE = "does not parse,"
_NON_CODE_TOKENS = frozenset(
    {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
)


@dataclass(frozen=True, eq=False)
class FunctionInfo:
    """One ``def`` or ``async def`` anywhere in a parsed module.

    Attributes:
        path: File path relative to the project root.
        qualname: Dotted name inside the module (``Class.method``, ``outer.inner``).
        node: The function's syntax node.
        class_name: Name of the class whose body defines it directly, if any.
    """

    path: str
    qualname: str
    node: FunctionNode
    class_name: str | None = None

    @property
    def name(self) -> str:
        """The function's own name."""
        return self.node.name

    @property
    def line(self) -> int:
        """Line of the ``def`` keyword (decorators excluded)."""
        return self.node.lineno

    @property
    def end_line(self) -> int:
        """Last line of the function."""
        return self.node.end_lineno or self.node.lineno

    @property
    def is_async(self) -> bool:
        """Whether it is an ``async def``."""
        return isinstance(self.node, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class ImportRef:
    """One ``import``/``from ... import`` statement, resolved to absolute module names.

    Attributes:
        path: File path of the importing module.
        line: Line of the statement.
        module: Absolute module imported (relative imports resolved; ``""`` if unresolvable).
        names: Names imported by a ``from`` import; empty for ``import x``.
        level: The statement's relative level (0 for absolute imports).
    """

    path: str
    line: int
    module: str
    names: tuple[str, ...] = ()
    level: int = 0

    @property
    def targets(self) -> tuple[str, ...]:
        """The module and, for ``from`` imports, ``module.name`` for each name (maybe a module)."""
        prefix = f"{self.module}." if self.module else ""
        return (self.module, *(prefix + name for name in self.names if name != "*"))

    def touches(self, package: str) -> bool:
        """Whether this import reaches ``package`` or one of its submodules."""
        return any(is_module_within(target, package) for target in self.targets)


@dataclass(frozen=True)
class RouteHandler:
    """A function decorated as an HTTP route (``@router.get(...)``, ``@app.post(...)``).

    Attributes:
        function: The decorated function.
        method: The decorator's method name (``get``, ``post``, ..., ``api_route``).
        route_path: The path literal given to the decorator, when it is a literal.
        line: Line of the decorator.
    """

    function: FunctionInfo
    method: str
    route_path: str | None
    line: int


@dataclass(frozen=True)
class LexicalInfo:
    """Line-level facts from tokenizing one module.

    Attributes:
        code_lines: Lines holding at least one code token (strings included).
        comments: ``(line, text)`` of every comment token.
    """

    code_lines: frozenset[int]
    comments: tuple[tuple[int, str], ...]


FUNCTIONS: FactKey[tuple[FunctionInfo, ...]] = FactKey("ast_functions")
IMPORTS: FactKey[tuple[ImportRef, ...]] = FactKey("ast_imports")
ROUTE_HANDLERS: FactKey[tuple[RouteHandler, ...]] = FactKey("ast_route_handlers")
LEXICAL: FactKey[dict[str, LexicalInfo]] = FactKey("lexical_info")


def in_dir(path: str, directory: str) -> bool:
    """Whether the relative POSIX ``path`` lies under ``directory`` (e.g. ``"src/app"``)."""
    return path.startswith(directory.rstrip("/") + "/")


def is_module_within(module: str, package: str) -> bool:
    """Whether dotted ``module`` is ``package`` itself or inside it."""
    return module == package or module.startswith(package + ".")


def unparsable(modules: tuple[PythonModule, ...], *directories: str) -> list[Finding]:
    """Findings for files under ``directories`` that do not parse (so were not analysed)."""
    return [
        Finding(f"{UNPARSABLE} so it was not analysed: {module.syntax_error}", module.path)
        for module in modules
        if module.tree is None and any(in_dir(module.path, d) for d in directories)
    ]


def verdict(findings: list[Finding], what: str, **metrics: float | int | str) -> Outcome:
    """Like :meth:`Outcome.from_findings`, but the reason also counts files that do not parse."""
    broken = sum(1 for finding in findings if finding.message.startswith(UNPARSABLE))
    if not broken:
        return Outcome.from_findings(findings, what, **metrics)
    rest = len(findings) - broken
    reason = f"{broken} files do not parse" + (f"; {rest} {what}" if rest else "")
    return Outcome.failed(reason, findings, **metrics)


def module_name(path: str) -> str:
    """Dotted module name of a project file (``src/app/api/x.py`` -> ``app.api.x``)."""
    parts = path.removesuffix(".py").split("/")
    if parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain; the callee's name for a call; else None."""
    if isinstance(node, ast.Call):
        return dotted_name(node.func)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def last_name(node: ast.expr) -> str | None:
    """The final identifier of a Name/Attribute/Call chain (``obj.stop()`` -> ``stop``)."""
    name = dotted_name(node)
    return name.rsplit(".", 1)[-1] if name else None


def _resolve_base(path: str, level: int) -> str:
    """The package a relative import of ``level`` starts from, inside file ``path``."""
    package = module_name(path)
    if not path.endswith("__init__.py"):
        package = package.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return package


def _import_refs(module: PythonModule, node: ast.Import | ast.ImportFrom) -> list[ImportRef]:
    if isinstance(node, ast.Import):
        return [ImportRef(module.path, node.lineno, alias.name) for alias in node.names]
    base = node.module or ""
    if node.level:
        package = _resolve_base(module.path, node.level)
        base = ".".join(part for part in (package, node.module) if part)
    names = tuple(alias.name for alias in node.names)
    return [ImportRef(module.path, node.lineno, base, names, node.level)]


def module_imports(module: PythonModule) -> list[ImportRef]:
    """Every import statement of ``module`` (anywhere in it, also inside functions)."""
    if module.tree is None:
        return []
    refs: list[ImportRef] = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            refs.extend(_import_refs(module, node))
    return sorted(refs, key=lambda ref: ref.line)


def import_aliases(module: PythonModule) -> dict[str, str]:
    """Map each local name bound by an import to the qualified name it stands for.

    ``import time`` -> ``{"time": "time"}``; ``from time import sleep as nap`` ->
    ``{"nap": "time.sleep"}``; ``import a.b`` -> ``{"a": "a"}``.
    """
    aliases: dict[str, str] = {}
    for node in ast.walk(module.tree) if module.tree else ():
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            base = _import_refs(module, node)[0].module
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
    return aliases


def qualified_call_name(call: ast.Call, aliases: dict[str, str]) -> str | None:
    """The callee's dotted name with its first part replaced by what it was imported as."""
    name = dotted_name(call.func)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    head = aliases.get(head, head)
    return f"{head}.{rest}" if rest else head


def walk_body(function: FunctionNode) -> Iterator[ast.AST]:
    """Walk the nodes of ``function``'s body without entering nested defs, lambdas or classes."""
    stack: list[ast.AST] = list(reversed(function.body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPE_NODES):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def docstring_lines(function: FunctionNode) -> range:
    """Lines taken by the function's docstring (empty range when it has none)."""
    first = function.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return range(first.lineno, (first.end_lineno or first.lineno) + 1)
    return range(0)


def _functions_in(
    path: str, body: list[ast.stmt], prefix: str, owner: str | None
) -> list[FunctionInfo]:
    found: list[FunctionInfo] = []
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            qualname = prefix + node.name
            found.append(FunctionInfo(path, qualname, node, owner))
            found.extend(_functions_in(path, node.body, qualname + ".", None))
        elif isinstance(node, ast.ClassDef):
            found.extend(_functions_in(path, node.body, prefix + node.name + ".", node.name))
        else:
            found.extend(_functions_in(path, _child_statements(node), prefix, owner))
    return found


def _child_statements(node: ast.AST) -> list[ast.stmt]:
    """Statements nested in a compound statement (if/with/try/match/loop bodies, handlers)."""
    statements: list[ast.stmt] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt):
            statements.append(child)
        elif isinstance(child, ast.excepthandler | ast.match_case):
            statements.extend(_child_statements(child))
    return statements


def module_functions(module: PythonModule) -> list[FunctionInfo]:
    """Every function and method of ``module``, outer functions before their nested ones."""
    if module.tree is None:
        return []
    return _functions_in(module.path, module.tree.body, "", None)


def _route_decorator(decorator: ast.expr) -> tuple[str, str | None] | None:
    """``(method, path)`` when ``decorator`` looks like ``@<router>.<method>(...)``."""
    if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
        return None
    method = decorator.func.attr
    if method not in HTTP_METHODS or dotted_name(decorator.func.value) is None:
        return None
    first = decorator.args[0] if decorator.args else None
    for keyword in decorator.keywords:
        if keyword.arg == "path":
            first = keyword.value
    literal = first.value if isinstance(first, ast.Constant) else None
    return method, literal if isinstance(literal, str) else None


def route_handlers_of(module: PythonModule) -> list[RouteHandler]:
    """Functions of ``module`` with an HTTP route decorator, if the module uses FastAPI.

    Only modules that import ``fastapi`` are considered, so an unrelated ``@cache.get``
    decorator elsewhere is not mistaken for a route.
    """
    if not any(ref.touches("fastapi") for ref in module_imports(module)):
        return []
    handlers: list[RouteHandler] = []
    for function in module_functions(module):
        for decorator in function.node.decorator_list:
            route = _route_decorator(decorator)
            if route is not None:
                handlers.append(RouteHandler(function, route[0], route[1], decorator.lineno))
    return handlers


def lexical_info(source: str) -> LexicalInfo:
    """Tokenize ``source``; on a tokenizer error fall back to a per-line approximation."""
    code: set[int] = set()
    comments: list[tuple[int, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments.append((token.start[0], token.string))
            elif token.type not in _NON_CODE_TOKENS and token.type != tokenize.ENDMARKER:
                code.update(range(token.start[0], token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        return _approximate_lexical(source)
    return LexicalInfo(frozenset(code), tuple(comments))


def _approximate_lexical(source: str) -> LexicalInfo:
    code: set[int] = set()
    comments: list[tuple[int, str]] = []
    for number, text in enumerate(source.splitlines(), start=1):
        stripped = text.strip()
        if stripped and not stripped.startswith("#"):
            code.add(number)
        if "#" in text:
            comments.append((number, text[text.index("#") :]))
    return LexicalInfo(frozenset(code), tuple(comments))


@provides(FUNCTIONS)
async def functions(facts: Facts) -> tuple[FunctionInfo, ...]:
    """Every function and method of every parsed Python file of the project."""
    modules = await facts.get(PYTHON_MODULES)
    return tuple(info for module in modules for info in module_functions(module))


@provides(IMPORTS)
async def imports(facts: Facts) -> tuple[ImportRef, ...]:
    """Every import statement of every parsed Python file, resolved to absolute names."""
    modules = await facts.get(PYTHON_MODULES)
    return tuple(ref for module in modules for ref in module_imports(module))


@provides(ROUTE_HANDLERS)
async def route_handlers(facts: Facts) -> tuple[RouteHandler, ...]:
    """Functions of every module decorated with ``@<router or app>.<http method>(...)``.

    Checks keep the handlers of the application code (see :mod:`evals.facts.layout`).
    """
    modules = await facts.get(PYTHON_MODULES)
    return tuple(handler for module in modules for handler in route_handlers_of(module))


@provides(LEXICAL)
async def lexical(facts: Facts) -> dict[str, LexicalInfo]:
    """Code lines and comments of every Python file, keyed by path."""
    modules = await facts.get(PYTHON_MODULES)
    return {module.path: lexical_info(module.source) for module in modules}
