"""Checks of the event-driven parts: topics, message schemas, producer, consumer, DLQ, lag.

All are syntax-tree pattern checks over the application code, wherever the layout fact
(:mod:`evals.facts.layout`) finds it (see :mod:`evals.facts.patterns`). They judge the
property, not one shape of it: the usual variants (literals, module constants, settings
attributes, ``**`` dicts, factories, helpers reached through imports and calls) are
accepted, and a check fails when the mechanism is absent.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable

from evals.context import CheckContext
from evals.facts.ast_index import (
    FUNCTIONS,
    IMPORTS,
    FunctionInfo,
    ImportRef,
    dotted_name,
    in_dir,
    last_name,
    walk_body,
)
from evals.facts.callgraph import code_modules, reached_functions, shutdown_path
from evals.facts.factories import Construction as ProducerSite
from evals.facts.factories import construction_sites
from evals.facts.layout import LAYOUT, ProjectLayout
from evals.facts.patterns import (
    CALL_SITES,
    MODULE_CONSTANTS,
    SETTINGS_FIELDS,
    UNKNOWN,
    CallSite,
    SettingsField,
    calls_named,
    handler_names,
    identifiers,
    resolve,
    subclasses,
)
from evals.facts.source import PYTHON_MODULES, PythonModule
from evals.model import Finding, Outcome
from evals.registry import check

VERSIONED_TOPIC = re.compile(r"[\w-]\.v\d+\b")
DLQ = re.compile(r"dlq|dead_?letter|deadletter|\.dlt\b", re.IGNORECASE)
EVENT_MODEL = re.compile(r"event|envelope|payload|message", re.IGNORECASE)
EVENT_ID = re.compile(r"^(event|message|msg|dedup\w*|idempotency)_?(id|key)$", re.IGNORECASE)
LEDGER_CLASS = re.compile(r"processed|inbox|idempot|dedup", re.IGNORECASE)
DUPLICATE_CHECK = re.compile(r"processed|duplicate|already|seen", re.IGNORECASE)
LAG = re.compile(r"(?<![a-z])lag")
KAFKA_ERROR = re.compile(r"^(Kafka\w*Error|Exception|BaseException)$")
VALIDATORS = frozenset(
    {"model_validate", "model_validate_json", "validate_python", "validate_json", "TypeAdapter"}
)
# Methods only a Kafka consumer has: calling one marks the receiver as the consumer.
CONSUMER_ONLY_METHODS = frozenset(
    {"getmany", "getone", "subscribe", "seek", "seek_to_committed", "seek_to_beginning"}
    | {"seek_to_end", "committed", "highwater", "position", "assignment", "last_stable_offset"}
)
SENDS = frozenset({"send", "send_and_wait", "send_batch", "publish", "publish_many", "produce"})
METRICS = frozenset({"Gauge", "Histogram", "Summary", "Counter"})
LOG_CALLS = frozenset({"debug", "info", "warning", "error", "exception", "log", "set"})
ACKS_ALL = ("all", -1, "-1")
RETRY_OPTIONS = ("retry_backoff_ms", "request_timeout_ms", "enable_idempotence", "retries")
Resolver = Callable[[ast.expr | None], object]


def consumer_modules(modules: Iterable[PythonModule]) -> list[PythonModule]:
    """Those of ``modules`` that implement a consumer (by file name or client class)."""
    return [
        m
        for m in modules
        if "consum" in m.path.rsplit("/", 1)[-1] or "AIOKafkaConsumer" in m.source
    ]


def dlq_settings(fields: Iterable[SettingsField]) -> list[SettingsField]:
    """Settings fields naming a dead letter topic (by field name or default)."""
    return [
        f
        for f in fields
        if DLQ.search(f.name) or (isinstance(f.default, str) and DLQ.search(f.default))
    ]


async def application(ctx: CheckContext) -> tuple[ProjectLayout, list[PythonModule]]:
    """The project layout and the parsed modules of its application code."""
    layout = await ctx.fact(LAYOUT)
    parsed: tuple[PythonModule, ...] = await ctx.fact(PYTHON_MODULES)
    return layout, code_modules(parsed, layout)


def where(layout: ProjectLayout) -> str:
    """The application code's directory, for messages (``src/``, ``app/``)."""
    return f"{layout.code_root}/" if layout.code_root else "the project (no package found)"


@check("kafka.topics")
async def topic_structure(ctx: CheckContext) -> Outcome:
    """Settings have topic fields, one default is versioned (``orders.v1``), and a DLQ topic."""
    fields = await ctx.fact(SETTINGS_FIELDS)
    topics = [f for f in fields if "topic" in f.name.lower()]
    if not topics:
        return Outcome.failed("no settings field names a topic (fields named *topic*)")
    path, line = topics[0].path, topics[0].line
    findings = []
    defaults = [f.default for f in topics if isinstance(f.default, str)]
    if not any(VERSIONED_TOPIC.search(d) for d in defaults):
        findings.append(Finding("no topic default is versioned (<name>.v<N>)", path, line))
    if not dlq_settings(fields):
        findings.append(Finding("no dead letter topic setting", path, line))
    return Outcome.from_findings(findings, "topic configuration problems", topics=len(topics))


def event_models(modules: Iterable[PythonModule]) -> list[tuple[PythonModule, ast.ClassDef]]:
    """Pydantic models of events among ``modules`` in ``schemas``, ``kafka`` or ``events``."""
    places = [m for m in modules if re.search(r"(^|/)(schemas|kafka|events)[/.]", m.path)]
    return [
        (module, node)
        for module, node in subclasses(places, ("BaseModel",))
        if EVENT_MODEL.search(node.name) or EVENT_MODEL.search(module.path.rsplit("/", 1)[-1])
    ]


def validates(function: FunctionInfo) -> bool:
    """Whether a function's own body validates with Pydantic (model_validate*, TypeAdapter)."""
    return any(
        isinstance(n, ast.Call) and last_name(n.func) in VALIDATORS
        for n in walk_body(function.node)
    )


async def consume_path(ctx: CheckContext, consumers: set[str]) -> list[FunctionInfo]:
    """Functions of the consumer modules and those they reach through imports and calls."""
    layout, modules = await application(ctx)
    functions = [f for f in await ctx.fact(FUNCTIONS) if layout.in_code(f.path)]
    imports: tuple[ImportRef, ...] = await ctx.fact(IMPORTS)
    return reached_functions(consumers, modules, imports, functions)


@check("kafka.message_schemas")
async def message_schemas(ctx: CheckContext) -> Outcome:
    """Event models are Pydantic classes, and the consume path validates messages with them."""
    layout, modules = await application(ctx)
    consumers = {m.path for m in consumer_modules(modules)}
    findings = []
    if not event_models(modules):
        findings.append(Finding("no Pydantic event/envelope/payload model in schemas/ or kafka/"))
    if not consumers:
        findings.append(Finding(f"no consumer module in {where(layout)}"))
    elif not any(validates(f) for f in await consume_path(ctx, consumers)):
        message = "the consumer never validates messages (model_validate*/TypeAdapter)"
        path = min(consumers, key=lambda p: ("consum" not in p.rsplit("/", 1)[-1], p))
        findings.append(Finding(message, path=path))
    return Outcome.from_findings(findings, "message schema problems")


def send_guarded_by_handler(modules: Iterable[PythonModule]) -> bool:
    """Whether some ``try`` around a send catches KafkaError (or a broader exception)."""
    for module in modules:
        for node in ast.walk(module.tree) if module.tree else ():
            if not isinstance(node, ast.Try):
                continue
            body = ast.Module(body=node.body, type_ignores=[])
            sends = any(
                isinstance(n, ast.Call) and last_name(n.func) in SENDS for n in ast.walk(body)
            )
            caught = {name for h in node.handlers for name in handler_names(h)}
            if sends and any(KAFKA_ERROR.match(name) for name in caught):
                return True
    return False


def has_retry_loop(modules: Iterable[PythonModule]) -> bool:
    """Whether a ``for``/``while`` loop retries a send inside ``try``."""
    for module in modules:
        for loop in ast.walk(module.tree) if module.tree else ():
            if not isinstance(loop, ast.For | ast.AsyncFor | ast.While):
                continue
            tries = [n for n in ast.walk(loop) if isinstance(n, ast.Try)]
            for node in tries:
                calls = ast.walk(ast.Module(body=node.body, type_ignores=[]))
                if any(isinstance(c, ast.Call) and last_name(c.func) in SENDS for c in calls):
                    return True
    return False


def acks_finding(producer: ProducerSite, values: Resolver) -> Finding | None:
    """A finding unless acks resolves to "all"/-1 (or idempotence implies it)."""
    node = producer.keywords.get("acks")
    if node is None and producer.opaque:
        return None
    if node is None and values(producer.keywords.get("enable_idempotence")) is True:
        return None  # aiokafka defaults acks to "all" when idempotence is on
    acks = values(node)
    if node is not None and (acks is UNKNOWN or acks in ACKS_ALL):
        return None
    shown = "missing" if node is None else repr(acks)
    return Finding(f'producer acks is {shown}, not "all"', producer.path, producer.line)


def retry_configured(producer: ProducerSite, values: Resolver) -> bool:
    """Whether the producer sets a retry option (idempotence must not resolve to False)."""
    if producer.opaque:
        return True
    keys = [k for k in RETRY_OPTIONS if k in producer.keywords]
    return any(k != "enable_idempotence" or values(producer.keywords[k]) is not False for k in keys)


async def producer_findings(ctx: CheckContext, producer: ProducerSite) -> list[Finding]:
    """Findings on one producer construction: acks and retry/backoff settings."""
    constants = await ctx.fact(MODULE_CONSTANTS)
    fields = await ctx.fact(SETTINGS_FIELDS)

    def values(node: ast.expr | None) -> object:
        return resolve(node, producer.path, constants, fields) if node is not None else None

    findings = [f for f in [acks_finding(producer, values)] if f is not None]
    _, modules = await application(ctx)
    if not retry_configured(producer, values) and not has_retry_loop(modules):
        message = f"no retry option ({'/'.join(RETRY_OPTIONS)}) nor retry loop"
        findings.append(Finding(message, producer.path, producer.line))
    return findings


@check("kafka.producer_retries")
async def producer_retries(ctx: CheckContext) -> Outcome:
    """A producer uses acks="all" with retry/backoff settings, and send errors are caught."""
    layout, modules = await application(ctx)
    producers = construction_sites(modules, "AIOKafkaProducer")
    if not producers:
        return Outcome.failed(f"no AIOKafkaProducer is constructed in {where(layout)}")
    findings = [f for producer in producers for f in await producer_findings(ctx, producer)]
    if not send_guarded_by_handler(modules):
        message = "no send is wrapped in try/except KafkaError"
        findings.append(Finding(message, path=producers[0].path, line=producers[0].line))
    return Outcome.from_findings(findings, "producer reliability problems")


def consumer_factories(functions: Iterable[FunctionInfo]) -> set[str]:
    """``AIOKafkaConsumer`` and those of ``functions`` that return one."""
    return {"AIOKafkaConsumer"} | {
        f.name
        for f in functions
        if any(
            isinstance(n, ast.Return)
            and isinstance(n.value, ast.Call)
            and last_name(n.value.func) == "AIOKafkaConsumer"
            for n in walk_body(f.node)
        )
    }


def _consumer_method_receiver(node: ast.AST) -> str:
    """The receiver of a consumer-only method call (``self._client`` in ``.getmany()``)."""
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Attribute) and func.attr in CONSUMER_ONLY_METHODS:
        return dotted_name(func.value) or ""
    return ""


def polled_receivers(modules: Iterable[PythonModule]) -> set[str]:
    """Names/attributes used as a consumer: polled, iterated with ``async for``, or seeked.

    A consumer injected through a constructor parameter (``self._client = client``) is
    known by what is done with it, whatever it is called.
    """
    found: set[str] = set()
    for module in modules:
        for node in ast.walk(module.tree) if module.tree else ():
            if isinstance(node, ast.AsyncFor):
                found.add(dotted_name(node.iter) or "")
            else:
                found.add(_consumer_method_receiver(node))
    return found - {""}


def consumer_targets(modules: Iterable[PythonModule], factories: set[str]) -> set[str]:
    """Names/attributes assigned a consumer built by one of ``factories``, or polled like one."""
    modules = list(modules)
    targets: set[str] = polled_receivers(modules)
    for module in modules:
        for node in ast.walk(module.tree) if module.tree else ():
            value: ast.expr | None
            if isinstance(node, ast.Assign):
                assigned, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign):
                assigned, value = [node.target], node.value
            else:
                continue
            if isinstance(value, ast.Call) and last_name(value.func) in factories:
                targets |= {name for t in assigned if (name := dotted_name(t))}
    return targets


def context_managed(
    modules: Iterable[PythonModule], targets: set[str], factories: set[str]
) -> bool:
    """Whether a consumer is used as ``async with`` (which stops it on exit)."""
    return any(
        isinstance(node, ast.AsyncWith)
        and any(
            (last_name(item.context_expr) or "") in factories
            or is_consumer(dotted_name(item.context_expr) or "", targets)
            for item in node.items
        )
        for module in modules
        for node in (ast.walk(module.tree) if module.tree else ())
    )


def is_consumer(receiver: str, targets: set[str]) -> bool:
    """Whether a call's receiver is (by name or assignment) a Kafka consumer."""
    return "consumer" in receiver.lower() or receiver in targets


def shutdown_call_ids(modules: Iterable[PythonModule]) -> set[int]:
    """Identities of the call nodes inside ``finally`` blocks of ``modules``."""
    ids: set[int] = set()
    for module in modules:
        for node in ast.walk(module.tree) if module.tree else ():
            if isinstance(node, ast.Try | ast.TryStar):
                final = ast.Module(body=node.finalbody, type_ignores=[])
                ids |= {id(n) for n in ast.walk(final) if isinstance(n, ast.Call)}
    return ids


def signal_findings(modules: list[PythonModule], sites: list[CallSite]) -> list[Finding]:
    """Findings for SIGTERM/SIGINT not handled by ``add_signal_handler``/``signal.signal``."""
    installers = [
        s for s in sites if s.last == "add_signal_handler" or s.name in {"signal.signal", "signal"}
    ]
    paths = {s.path for s in installers}
    names = {n for m in modules if m.path in paths and m.tree for n in identifiers(m.tree)}
    return [
        Finding(f"no {sig} handler (add_signal_handler / signal.signal)")
        for sig in ("SIGTERM", "SIGINT")
        if sig.lower() not in names
    ]


def stopped_in_shutdown_path(
    modules: list[PythonModule], sites: list[CallSite], targets: set[str]
) -> bool:
    """Whether ``<consumer>.stop()`` runs in a ``finally`` block or a shutdown function."""
    final_ids = shutdown_call_ids(modules)
    return any(
        s.last == "stop"
        and is_consumer(s.receiver, targets)
        and (id(s.node) in final_ids or re.search(r"shutdown|stop|close|aexit", s.function or ""))
        for s in sites
    )


def stopped_by_the_server(
    modules: list[PythonModule], functions: list[FunctionInfo], targets: set[str]
) -> bool:
    """Whether the consumer is stopped on the ASGI lifespan's shutdown path.

    The server (uvicorn) handles SIGTERM/SIGINT and then runs the lifespan's shutdown, so
    a consumer stopped there needs no signal handlers of its own.
    """
    trees = [m.tree for m in modules if m.tree is not None]
    calls = [n for tree in trees for n in ast.walk(tree) if isinstance(n, ast.Call)]
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "stop"
        and is_consumer(dotted_name(node.func.value) or "", targets)
        for node in shutdown_path(functions, calls)
    )


def consumer_findings(
    modules: list[PythonModule], sites: list[CallSite], factories: set[str]
) -> list[Finding]:
    """Findings for a consumer without a graceful stop or manual commits."""
    targets = consumer_targets(modules, factories)
    graceful = stopped_in_shutdown_path(modules, sites, targets) or context_managed(
        modules, targets, factories
    )
    commits = [
        s for s in sites if s.last == "commit" and (s.node.args or is_consumer(s.receiver, targets))
    ]
    findings = []
    if not graceful:
        findings.append(Finding("the consumer is not stopped in a finally/shutdown path"))
    if not commits:
        findings.append(Finding("offsets are never committed manually (consumer.commit())"))
    return findings


def auto_commit_off(
    consumer: ProducerSite,
    constants: dict[str, dict[str, object]],
    fields: tuple[SettingsField, ...],
) -> bool:
    """Whether a consumer is built with ``enable_auto_commit`` resolving to False (or unknown)."""
    node = consumer.keywords.get("enable_auto_commit")
    if node is None:
        return consumer.opaque
    value = resolve(node, consumer.path, constants, fields)
    return value is False or value is UNKNOWN


async def auto_commit_findings(ctx: CheckContext, consumers: list[ProducerSite]) -> list[Finding]:
    """Findings for consumers that do not pass ``enable_auto_commit=False``."""
    constants = await ctx.fact(MODULE_CONSTANTS)
    fields = await ctx.fact(SETTINGS_FIELDS)
    return [
        Finding("AIOKafkaConsumer without enable_auto_commit=False", path=c.path, line=c.line)
        for c in consumers
        if not auto_commit_off(c, constants, fields)
    ]


@check("kafka.consumer_shutdown")
async def consumer_shutdown(ctx: CheckContext) -> Outcome:
    """SIGTERM/SIGINT handlers, the consumer stopped in a finally path, manual offset commits."""
    layout, modules = await application(ctx)
    sites = calls_named(
        await ctx.fact(CALL_SITES),
        *{"add_signal_handler", "signal", "stop", "commit"},
        directories=(layout.code_root,),
    )
    consumers = construction_sites(modules, "AIOKafkaConsumer")
    if not consumers:
        return Outcome.failed(f"no AIOKafkaConsumer is constructed in {where(layout)}")
    functions = [f for f in await ctx.fact(FUNCTIONS) if layout.in_code(f.path)]
    factories = consumer_factories(functions)
    findings = []
    if not stopped_by_the_server(modules, functions, consumer_targets(modules, factories)):
        findings += signal_findings(modules, sites)
    findings += consumer_findings(modules, sites, factories)
    findings += await auto_commit_findings(ctx, consumers)
    return Outcome.from_findings(findings, "consumer shutdown problems")


def _is_true(call: ast.Call, *keywords: str) -> bool:
    """Whether any of ``keywords`` is passed as the literal ``True``."""
    return any(
        kw.arg in keywords and isinstance(kw.value, ast.Constant) and kw.value.value is True
        for kw in call.keywords
    )


def _column_strings(call: ast.Call) -> set[str]:
    """String literals among a call's positional arguments (lists/tuples flattened)."""
    values: set[str] = set()
    for arg in call.args:
        items = arg.elts if isinstance(arg, ast.List | ast.Tuple) else [arg]
        values |= {
            i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)
        }
    return values


def unique_key_call(call: ast.Call) -> bool:
    """Whether a call declares a unique key on an event-id column (model or migration)."""
    name = last_name(call.func) or ""
    columns = {c for c in _column_strings(call) if EVENT_ID.match(c)}
    if name in {"Column", "mapped_column"}:
        return bool(columns) and _is_true(call, "unique", "primary_key")
    if name in {
        "UniqueConstraint",
        "PrimaryKeyConstraint",
        "create_unique_constraint",
        "create_primary_key",
    }:
        return bool(columns)
    return name in {"Index", "create_index"} and bool(columns) and _is_true(call, "unique")


def keyed_by_event_id(node: ast.ClassDef, statement: ast.AnnAssign) -> bool:
    """Whether an attribute is an event id (or a ledger's non-integer ``id``)."""
    name = statement.target.id if isinstance(statement.target, ast.Name) else ""
    if EVENT_ID.match(name):
        return True
    annotation = ast.unparse(statement.annotation).lower()
    return name == "id" and bool(LEDGER_CLASS.search(node.name)) and "int" not in annotation


def unique_key_field(node: ast.ClassDef) -> bool:
    """Whether a model class has an event-id attribute declared unique or primary key."""
    return any(
        isinstance(statement, ast.AnnAssign)
        and isinstance(statement.value, ast.Call)
        and keyed_by_event_id(node, statement)
        and _is_true(statement.value, "unique", "primary_key")
        for statement in node.body
    )


def has_unique_event_key(modules: Iterable[PythonModule]) -> bool:
    """Whether models or migrations declare a unique key on an event id."""
    for module in modules:
        for node in ast.walk(module.tree) if module.tree else ():
            if isinstance(node, ast.Call) and unique_key_call(node):
                return True
            if isinstance(node, ast.ClassDef) and unique_key_field(node):
                return True
    return False


def skips_duplicates(node: ast.AST) -> bool:
    """An ``ON CONFLICT`` SQL string, a caught unique violation, or an ``if`` on a duplicate."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "on conflict" in node.value.lower()
    if isinstance(node, ast.ExceptHandler):
        return bool(handler_names(node) & {"IntegrityError", "UniqueViolationError"})
    if isinstance(node, ast.If):  # e.g. ``if await repo.is_processed(event_id): return``
        calls = [c for c in ast.walk(node.test) if isinstance(c, ast.Call)]
        return any(DUPLICATE_CHECK.search(last_name(c.func) or "") for c in calls)
    return False


def dedup_mechanism(modules: Iterable[PythonModule], sites: Iterable[CallSite]) -> bool:
    """ON CONFLICT DO NOTHING/UPDATE, a caught unique violation, or an explicit duplicate check."""
    if any(s.last in {"on_conflict_do_nothing", "on_conflict_do_update"} for s in sites):
        return True
    return any(
        skips_duplicates(node)
        for module in modules
        for node in (ast.walk(module.tree) if module.tree else ())
    )


async def migration_modules(ctx: CheckContext, layout: ProjectLayout) -> list[PythonModule]:
    """The parsed modules of the migrations (Alembic's script location, or migrations/)."""
    migrations = (layout.alembic_dir or "alembic", "migrations")
    parsed: tuple[PythonModule, ...] = await ctx.fact(PYTHON_MODULES)
    return [m for m in parsed if m.tree is not None and any(in_dir(m.path, d) for d in migrations)]


@check("kafka.idempotency")
async def idempotency(ctx: CheckContext) -> Outcome:
    """A unique key on processed event ids, and inserts that skip duplicates."""
    layout, sources = await application(ctx)
    schema = sources + await migration_modules(ctx, layout)
    sites = calls_named(
        await ctx.fact(CALL_SITES),
        "on_conflict_do_nothing",
        "on_conflict_do_update",
        directories=(layout.code_root,),
    )
    findings = []
    if not has_unique_event_key(schema):
        findings.append(
            Finding("no unique key/primary key on an event id column in models or migrations")
        )
    if not dedup_mechanism(sources, sites):
        findings.append(Finding("no ON CONFLICT DO NOTHING insert or duplicate check for events"))
    return Outcome.from_findings(findings, "idempotency problems")


def own_identifier(node: ast.AST) -> str:
    """A node's own name, attribute or string value (empty for other nodes)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    value = node.value if isinstance(node, ast.Constant) else None
    return value if isinstance(value, str) else ""


def _calls_any(function: FunctionInfo, names: set[str] | frozenset[str]) -> bool:
    """Whether the body of ``function`` calls a function or method named in ``names``."""
    nodes = walk_body(function.node)
    return any(isinstance(n, ast.Call) and last_name(n.func) in names for n in nodes)


def send_names(functions: list[FunctionInfo]) -> set[str]:
    """:data:`SENDS` plus the project's own functions that send (``deliver`` wrapping ``send``).

    Followed to a fixed point, so a wrapper of a wrapper counts too.
    """
    names = set(SENDS)
    while True:
        more = {f.name for f in functions if f.name not in names and _calls_any(f, names)}
        if not more:
            return names
        names |= more


def dead_letter_senders(functions: Iterable[FunctionInfo]) -> list[FunctionInfo]:
    """Those of ``functions`` that send something while referring to a dead letter topic."""
    functions = list(functions)
    senders = send_names(functions)
    found = []
    for function in functions:
        nodes = list(walk_body(function.node))
        sends = _calls_any(function, senders)
        if sends and any(DLQ.search(name) for name in map(own_identifier, nodes)):
            found.append(function)
    return found


def dlq_configured(
    fields: Iterable[SettingsField], constants: dict[str, dict[str, object]]
) -> bool:
    """Whether a settings field or module constant names a dead letter topic."""
    if dlq_settings(fields):
        return True
    return any(
        DLQ.search(name) or (isinstance(value, str) and DLQ.search(value))
        for table in constants.values()
        for name, value in table.items()
    )


@check("kafka.dlq")
async def dead_letter_queue(ctx: CheckContext) -> Outcome:
    """A dead letter topic is configured and the consumer code sends failed messages to it."""
    fields = await ctx.fact(SETTINGS_FIELDS)
    constants = await ctx.fact(MODULE_CONSTANTS)
    findings = []
    if not dlq_configured(fields, constants):
        findings.append(Finding("no dead letter topic in settings or constants"))
    layout = await ctx.fact(LAYOUT)
    functions = [f for f in await ctx.fact(FUNCTIONS) if layout.in_code(f.path)]
    if not dead_letter_senders(functions):
        findings.append(Finding("no code sends failed messages to the dead letter topic"))
    return Outcome.from_findings(findings, "DLQ problems")


def lag_exported(sites: Iterable[CallSite]) -> bool:
    """Whether a metric about lag is declared, or lag is set on a gauge or logged."""
    for site in sites:
        if site.last in METRICS | LOG_CALLS and any(LAG.search(i) for i in identifiers(site.node)):
            return True
    return False


@check("kafka.lag_monitoring")
async def lag_monitoring(ctx: CheckContext) -> Outcome:
    """Lag is computed from highwater()/end_offsets() and position()/committed(), and exported."""
    layout = await ctx.fact(LAYOUT)
    sites = calls_named(
        await ctx.fact(CALL_SITES),
        *METRICS | LOG_CALLS | {"highwater", "end_offsets", "position", "committed"},
        directories=(layout.code_root,),
    )
    findings = []
    if not any(s.last in {"highwater", "end_offsets"} for s in sites):
        findings.append(Finding("no highwater()/end_offsets() call"))
    if not any(s.last in {"position", "committed"} for s in sites):
        findings.append(Finding("no position()/committed() call"))
    if not lag_exported(sites):
        findings.append(Finding("lag is neither exported as a metric nor logged"))
    return Outcome.from_findings(findings, "lag monitoring gaps")
