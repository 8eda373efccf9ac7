"""Mutations of reference_impl/ that the project-file and domain-pattern checks must catch.

Each mutation edits a temporary copy of the reference through parsing (YAML documents,
Makefile rules, syntax trees) or through regular expressions that must match, so a
mutation that no longer applies raises instead of silently testing nothing. The copy is
scored with the static tier: the targets must fail and every other static gate must pass.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from evals.checks.infrastructure import KAFKA_IMAGES
from evals.checks.project_files import README_SECTIONS
from evals.facts.project_config import is_dockerfile, makefile_targets
from evals.model import Tier
from evals.runner import score_project
from tests.mutations.helpers import (
    Mutation,
    MutationError,
    assert_caught,
    copy_reference,
    not_passing,
)

SENDS = frozenset({"send", "send_and_wait", "send_batch", "publish", "publish_many", "produce"})
DLQ = re.compile(r"dlq|dead_?letter", re.IGNORECASE)


# ---------------------------------------------------------------- text and file helpers


def python_files(root: Path, *directories: str) -> list[Path]:
    """Python files under the given directories of the copy, sorted."""
    return sorted(p for d in directories for p in (root / d).rglob("*.py"))


def substitute(files: list[Path], pattern: str, replacement: str) -> None:
    """Apply ``re.sub`` to every file.

    Raises:
        MutationError: If nothing matched in any file.
    """
    total = 0
    for path in files:
        text, count = re.subn(pattern, replacement, path.read_text(encoding="utf-8"))
        if count:
            if path.suffix == ".py":
                ast.parse(text)  # a mutation must leave valid Python behind
            path.write_text(text, encoding="utf-8")
            total += count
    if not total:
        raise MutationError(f"pattern {pattern!r} matched nothing in {len(files)} files")


def edit_yaml(path: Path, edit: Callable[[dict[str, object]], int]) -> None:
    """Load a YAML mapping, apply ``edit`` (returns how many things it changed), dump it.

    Raises:
        MutationError: If the file is not a mapping or ``edit`` changed nothing.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not edit(data):
        raise MutationError(f"YAML edit of {path} changed nothing")
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def offsets(text: str) -> list[int]:
    """Offset of the start of every line (index 0 is line 1)."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def node_spans(text: str, select: Callable[[ast.AST], bool]) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the nodes of ``text`` that ``select`` picks."""
    starts = offsets(text)
    return [
        (starts[n.lineno - 1] + n.col_offset, starts[n.end_lineno - 1] + n.end_col_offset)
        for n in ast.walk(ast.parse(text))
        if select(n)
        and isinstance(n, ast.expr | ast.stmt)
        and n.end_lineno is not None
        and n.end_col_offset is not None
    ]


def outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans not nested in another, last first (so replacing them keeps offsets valid)."""
    kept = [s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)]
    return sorted(set(kept), reverse=True)


def replace_nodes(path: Path, select: Callable[[ast.AST], bool], replacement: str) -> None:
    """Replace the source of every node ``select`` picks (outermost ones) by ``replacement``.

    Raises:
        MutationError: If no node was selected.
    """
    text = path.read_text(encoding="utf-8")
    spans = outermost(node_spans(text, select))
    if not spans:
        raise MutationError(f"no matching node in {path}")
    for begin, end in spans:
        text = text[:begin] + replacement + text[end:]
    ast.parse(text)
    path.write_text(text, encoding="utf-8")


def call_named(*names: str) -> Callable[[ast.AST], bool]:
    """A node selector for calls whose callee's last identifier is one of ``names``."""

    def select(node: ast.AST) -> bool:
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in names

    return select


def replace_in_project(
    root: Path, directories: tuple[str, ...], select: Callable[[ast.AST], bool], replacement: str
) -> None:
    """:func:`replace_nodes` on every file of ``directories`` that has a matching node.

    Raises:
        MutationError: If no file had one.
    """
    changed = 0
    for path in python_files(root, *directories):
        try:
            replace_nodes(path, select, replacement)
        except MutationError:
            continue
        changed += 1
    if not changed:
        raise MutationError(f"no matching node under {directories}")


# ---------------------------------------------------------------- project-file mutations


def demote_deployment_headings(root: Path) -> None:
    """Turn every README heading that would count as a deployment section into plain text."""
    pattern = README_SECTIONS["deployment"].pattern
    substitute([root / "README.md"], rf"(?im)^ {{0,3}}#{{1,6}}\s+(.*(?:{pattern}).*)$", r"\1")


def drop_mypy_hook(root: Path) -> None:
    """Remove every mypy hook from the pre-commit configuration."""

    def edit(data: dict[str, object]) -> int:
        removed = 0
        repos = data.get("repos")
        for repo in repos if isinstance(repos, list) else []:
            hooks = repo.get("hooks", []) if isinstance(repo, dict) else []
            kept = [h for h in hooks if "mypy" not in str(h.get("id", "")).lower()]
            removed += len(hooks) - len(kept)
            if isinstance(repo, dict):
                repo["hooks"] = kept
        return removed

    edit_yaml(root / ".pre-commit-config.yaml", edit)


def makefile_lines(root: Path) -> tuple[Path, list[str], dict[str, int]]:
    """The Makefile, its lines and its parsed targets."""
    path = root / "Makefile"
    text = path.read_text(encoding="utf-8")
    return path, text.splitlines(keepends=True), makefile_targets(text)[0]


def drop_make_target(root: Path, target: str = "db-migrate") -> None:
    """Delete ``target``'s rule (only its name, on a multi-target line) and its recipe."""
    path, lines, targets = makefile_lines(root)
    if target not in targets:
        raise MutationError(f"Makefile has no {target!r} target")
    index = targets[target] - 1
    head, sep, rest = lines[index].partition(":")
    names = [n for n in head.split() if n != target]
    if names:
        lines[index] = " ".join(names) + sep + rest
    else:
        end = index + 1
        while end < len(lines) and lines[end].startswith("\t"):
            end += 1
        del lines[index:end]
    path.write_text("".join(lines), encoding="utf-8")


def break_make_target(root: Path, target: str = "lint") -> None:
    """Give ``target`` a prerequisite no rule can make, so ``make -n`` fails."""
    path, lines, targets = makefile_lines(root)
    if target not in targets:
        raise MutationError(f"Makefile has no {target!r} target")
    index = targets[target] - 1
    head, sep, rest = lines[index].partition(":")
    lines[index] = f"{head}{sep} mutation-missing-prerequisite.txt{rest}"
    path.write_text("".join(lines), encoding="utf-8")


def remove_kafka_healthcheck(root: Path) -> None:
    """Delete the healthcheck of the Kafka service in docker-compose.yml."""

    def edit(data: dict[str, object]) -> int:
        services = data.get("services")
        kafka = [
            s
            for s in (services.values() if isinstance(services, dict) else [])
            if isinstance(s, dict)
            and any(k in str(s.get("image", "")).lower() for k in KAFKA_IMAGES)
        ]
        return sum(1 for s in kafka if s.pop("healthcheck", None) is not None)

    edit_yaml(root / "docker-compose.yml", edit)


def add_unknown_service_key(root: Path) -> None:
    """Give the first service a key the Compose Specification does not define."""

    def edit(data: dict[str, object]) -> int:
        services = data.get("services")
        if not isinstance(services, dict) or not services:
            return 0
        first = next(iter(services.values()))
        first["restart_policy"] = "always"
        return 1

    edit_yaml(root / "docker-compose.yml", edit)


def drop_dockerfile_users(root: Path) -> None:
    """Remove every USER instruction from the Dockerfiles under docker/."""
    files = [p for p in (root / "docker").rglob("*") if p.is_file() and is_dockerfile(p.name)]
    substitute(files, r"(?im)^\s*USER\s+.*\n", "")


# ---------------------------------------------------------------- Kafka mutations


def sends_to_dead_letter(node: ast.AST) -> bool:
    """Whether a function refers to a dead letter topic (its name aside) and sends."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    body = ast.Module(body=node.body, type_ignores=[])
    texts = [getattr(n, "attr", getattr(n, "id", getattr(n, "value", ""))) for n in ast.walk(body)]
    return any(isinstance(t, str) and DLQ.search(t) for t in texts)


def dead_letter_sends(tree: ast.Module) -> set[tuple[int, int]]:
    """Positions of the send statements inside functions that dead-letter."""
    is_send = call_named(*SENDS)
    return {
        (statement.lineno, statement.col_offset)
        for function in ast.walk(tree)
        if sends_to_dead_letter(function)
        for statement in ast.walk(function)
        if isinstance(statement, ast.Expr)
        and is_send(getattr(statement.value, "value", statement.value))
    }


def statement_at(positions: set[tuple[int, int]], node: ast.AST) -> bool:
    """Whether ``node`` is a statement starting at one of ``positions``."""
    return isinstance(node, ast.stmt) and (node.lineno, node.col_offset) in positions


def drop_dead_letter_sends(root: Path) -> None:
    """Replace the send statements of every function that dead-letters by ``pass``."""
    changed = 0
    for path in python_files(root, "src/app"):
        sends = dead_letter_sends(ast.parse(path.read_text(encoding="utf-8")))
        if sends:
            replace_nodes(path, functools.partial(statement_at, sends), "pass")
            changed += 1
    if not changed:
        raise MutationError("no dead-letter send found")


def stop_validating(root: Path) -> None:
    """Replace Pydantic validation calls in the Kafka/consumer modules by ``dict(...)``."""
    files = [
        p for p in python_files(root, "src/app") if "consum" in p.name or p.parent.name == "kafka"
    ]
    pattern = r"\b[\w.]+\.(?:model_validate(?:_json)?|validate_python|validate_json)\("
    substitute(files, pattern, "dict(")


def names_sigint(path: Path) -> bool:
    """Whether the code of ``path`` (not its docstrings or comments) refers to SIGINT."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        getattr(node, "attr", getattr(node, "id", None)) == "SIGINT" for node in ast.walk(tree)
    )


def remove_sigint(root: Path) -> None:
    """Stop handling SIGINT in every module that installs signal handlers."""
    files = [
        p
        for p in python_files(root, "src/app")
        if re.search(r"add_signal_handler|signal\.signal\(", p.read_text(encoding="utf-8"))
    ]
    substitute(files, r",\s*signal\.SIGINT\b|\bsignal\.SIGINT\s*,\s*", "")
    if any(names_sigint(p) for p in files):
        raise MutationError("SIGINT is still referenced after the edit")


def without_on_conflict(text: str) -> str:
    """``text`` with every ``<insert>.on_conflict_do_nothing(...)`` reduced to ``<insert>``."""
    calls = [n for n in ast.walk(ast.parse(text)) if call_named("on_conflict_do_nothing")(n)]
    for call in calls:
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
            inner = ast.get_source_segment(text, call.func.value) or ""
            text = text.replace(ast.get_source_segment(text, call) or inner, inner, 1)
    return text


def strip_on_conflict(root: Path) -> None:
    """Turn every ``.on_conflict_do_nothing(...)`` under src/app into a plain insert."""
    changed = 0
    for path in python_files(root, "src/app"):
        text = path.read_text(encoding="utf-8")
        if "on_conflict_do_nothing" in text:
            path.write_text(without_on_conflict(text), encoding="utf-8")
            changed += 1
    if not changed:
        raise MutationError("no on_conflict_do_nothing call under src/app")


# ---------------------------------------------------------------- database mutations


def empty_downgrades(root: Path) -> None:
    """Make every revision's downgrade() do nothing."""
    versions = python_files(root, "alembic/versions")
    for path in versions:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        functions = [
            n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "downgrade"
        ]
        if not functions:
            raise MutationError(f"{path} has no downgrade()")
        body = functions[0].body
        lines = text.splitlines(keepends=True)
        indent = " " * body[0].col_offset
        lines[body[0].lineno - 1 : body[-1].end_lineno] = [f"{indent}pass\n"]
        path.write_text("".join(lines), encoding="utf-8")
    if not versions:
        raise MutationError("no revision to mutate")


def is_index(node: ast.AST) -> bool:
    """``Index(...)`` or ``op.create_index(...)``."""
    return call_named("Index", "create_index")(node)


def drop_indexes(root: Path) -> None:
    """Remove every index from models and migrations."""
    replace_in_project(root, ("src/app/models", "alembic/versions"), is_index, "None")
    try:
        substitute(
            python_files(root, "src/app/models", "alembic/versions"), r"\bindex=True", "index=False"
        )
    except MutationError:
        return


MUTATIONS = [
    Mutation("README loses its deployment section", ("docs.readme",), demote_deployment_headings),
    Mutation("pre-commit without mypy", ("precommit.config",), drop_mypy_hook),
    Mutation("Makefile without db-migrate", ("make.targets",), drop_make_target),
    Mutation("lint target cannot be dry-run", ("make.targets",), break_make_target),
    Mutation(
        # Corrupted rather than deleted: the Makefile's setup rule needs the file to exist.
        "poetry.lock does not parse",
        ("build.poetry",),
        lambda root: substitute([root / "poetry.lock"], r"(?m)^\[metadata\]$", "[metadata"),
    ),
    Mutation(
        "unversioned topic names",
        ("kafka.topics",),
        lambda root: substitute([root / "src/app/core/config.py"], r'("[\w-]+)\.v\d+', r"\1"),
    ),
    Mutation("consumer stops validating events", ("kafka.message_schemas",), stop_validating),
    Mutation(
        "producer acks=1",
        ("kafka.producer_retries",),
        lambda root: substitute(
            python_files(root, "src/app"), r"""\backs\s*=\s*(?:"all"|'all'|-1)""", "acks=1"
        ),
    ),
    Mutation(
        "send errors no longer caught",
        ("kafka.producer_retries",),
        lambda root: substitute(
            python_files(root, "src/app"),
            r"(?m)^(\s*except\b[^:\n]*?)\bKafka\w*Error\b",
            r"\1ValueError",
        ),
    ),
    Mutation("SIGINT not handled", ("kafka.consumer_shutdown",), remove_sigint),
    Mutation(
        "consumer auto-commits",
        ("kafka.consumer_shutdown",),
        lambda root: substitute(
            python_files(root, "src/app"),
            r"enable_auto_commit\s*=\s*False",
            "enable_auto_commit=True",
        ),
    ),
    Mutation("plain insert of processed events", ("kafka.idempotency",), strip_on_conflict),
    Mutation("failed messages are not dead-lettered", ("kafka.dlq",), drop_dead_letter_sends),
    Mutation(
        "lag not computed",
        ("kafka.lag_monitoring",),
        lambda root: substitute(
            python_files(root, "src/app"), r"\.(?:highwater|end_offsets)\(", ".last_seen_offset("
        ),
    ),
    Mutation(
        "asyncpg not a dependency",
        ("db.async_driver",),
        lambda root: substitute(
            [root / "pyproject.toml"], r'(?m)^\s*"asyncpg[^"\n]*",?[ \t]*\n', ""
        ),
    ),
    Mutation(
        "engine without pool_pre_ping",
        ("db.pool",),
        lambda root: substitute(
            python_files(root, "src/app"), r"(?m)^\s*pool_pre_ping\s*=.*\n", ""
        ),
    ),
    Mutation("downgrade does nothing", ("db.alembic",), empty_downgrades),
    Mutation(
        "session never rolled back",
        ("db.transactions",),
        lambda root: substitute(
            python_files(root, "src/app/core", "src/app/api"),
            r"await\s+[\w.]+\.rollback\(\)",
            "pass",
        ),
    ),
    Mutation("no indexes", ("db.indexes",), drop_indexes),
    Mutation(
        "models without relationships",
        ("db.models",),
        lambda root: replace_in_project(
            root, ("src/app/models",), call_named("relationship"), "None"
        ),
    ),
    Mutation("kafka without healthcheck", ("infra.docker_compose",), remove_kafka_healthcheck),
    Mutation("compose schema violation", ("infra.docker_compose",), add_unknown_service_key),
    Mutation("Dockerfile runs as root", ("infra.dockerfile",), drop_dockerfile_users),
]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=str)
async def test_static_project_mutation_is_caught(mutation: Mutation, tmp_path: Path) -> None:
    project = copy_reference(tmp_path / "project")
    mutation.apply(project)
    result = await score_project(project, tier=Tier.STATIC)
    assert_caught(result, mutation)


async def test_reference_passes_every_project_item(reference_copy: Path) -> None:
    my_items = sorted({target for mutation in MUTATIONS for target in mutation.targets})
    result = await score_project(reference_copy, tier=Tier.STATIC, select=my_items)
    assert not not_passing(result)
