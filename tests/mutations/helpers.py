"""Building blocks of mutation tests: copy reference_impl, mutate the copy, score, assert.

A mutation is a small edit of a temporary copy of ``reference_impl/`` together with the
checklist items it must make fail; every other evaluated gate item must still pass.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evals import registry
from evals.contract import Contract
from evals.model import CheckResult, Finding, RunResult, Status, Tier
from evals.runner import score_project
from evals.workspace import copy_project

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_IMPL = REPO_ROOT / "reference_impl"
# Items the harness legitimately cannot evaluate on our machines (pip-audit's
# vulnerability service is unreachable), so an ``error`` there is not a regression.
ALLOWED_ERRORS = frozenset({"security.dependencies"})


class MutationError(Exception):
    """A mutation could not be applied (it would silently do nothing)."""


@dataclass(frozen=True)
class Mutation:
    """One edit of a reference copy and the items it must make fail.

    Attributes:
        name: Short description, used as the pytest id.
        targets: Checklist ids that must fail after the edit.
        apply: Edits the project copy (its root is the argument) in place.
    """

    name: str
    targets: tuple[str, ...]
    apply: Callable[[Path], None]

    def __str__(self) -> str:
        """The name, so ``pytest.mark.parametrize(..., ids=str)`` reads well."""
        return self.name


def replace_in_file(path: Path, old: str, new: str) -> None:
    """Replace every occurrence of ``old`` by ``new`` in ``path``.

    Raises:
        MutationError: If ``path`` does not exist or does not contain ``old``.
    """
    if not path.is_file():
        raise MutationError(f"cannot mutate {path}: no such file")
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise MutationError(f"cannot mutate {path}: {old!r} not found")
    path.write_text(text.replace(old, new), encoding="utf-8")


def append_to_file(path: Path, text: str) -> None:
    """Append ``text`` to the existing file ``path``.

    Raises:
        MutationError: If ``path`` does not exist.
    """
    if not path.is_file():
        raise MutationError(f"cannot append to {path}: no such file")
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def remove_path(path: Path) -> None:
    """Delete the file or directory ``path``.

    Raises:
        MutationError: If ``path`` does not exist.
    """
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    else:
        raise MutationError(f"cannot remove {path}: no such file or directory")


def copy_reference(dest: Path) -> Path:
    """Copy ``reference_impl/`` to ``dest`` (created; must not exist), without venvs and caches.

    Returns:
        ``dest``, the root of the copy.
    """
    if not REFERENCE_IMPL.is_dir():
        raise MutationError(f"reference implementation not found at {REFERENCE_IMPL}")
    return copy_project(REFERENCE_IMPL, dest)


def mutated_reference(mutation: Mutation, dest: Path) -> Path:
    """Copy the reference to ``dest`` and apply ``mutation`` to the copy; returns ``dest``."""
    mutation.apply(copy_reference(dest))
    return dest


async def score_mutation(
    mutation: Mutation,
    dest: Path,
    *,
    tier: Tier = Tier.FULL,
    select: Sequence[str] | None = None,
    contract: Contract | None = None,
) -> RunResult:
    """Score a mutated copy of the reference, evaluating only ``select`` (default: the targets).

    Args:
        mutation: The mutation to apply.
        dest: Where to put the mutated copy (must not exist), e.g. ``tmp_path / "project"``.
        tier: Deepest tier of the run.
        select: Items or prefixes to evaluate; the mutation's targets when None.
        contract: The case contract for the design items.
    """
    project = mutated_reference(mutation, dest)
    chosen = mutation.targets if select is None else tuple(select)
    return await score_project(project, tier=tier, select=chosen, contract=contract)


def _skipped_by_target(item_id: str, targets: Iterable[str]) -> bool:
    """Whether ``item_id``'s check (transitively) requires one of ``targets``."""
    pending, seen, wanted = [item_id], set(), set(targets)
    while pending:
        spec = registry.CHECKS.get(pending.pop())
        for required in spec.requires if spec else ():
            if required in wanted:
                return True
            if required not in seen:
                seen.add(required)
                pending.append(required)
    return False


def _tolerated(check: CheckResult, mutation: Mutation, allowed_errors: frozenset[str]) -> bool:
    """Whether a non-target result is acceptable after ``mutation``."""
    if not check.gate or check.status is Status.PASS:
        return True
    if check.status is Status.ERROR:
        return check.id in allowed_errors
    return check.status is Status.SKIP and _skipped_by_target(check.id, mutation.targets)


def _unexpected(result: RunResult, mutation: Mutation, allowed_errors: frozenset[str]) -> list[str]:
    """Lines describing every way ``result`` differs from what ``mutation`` should produce."""
    problems = []
    for check in result.checks:
        status, why = check.status.value, check.outcome.reason
        if check.id in mutation.targets:
            if check.status is not Status.FAIL:
                problems.append(f"target {check.id} is {status}, expected fail ({why})")
        elif not _tolerated(check, mutation, allowed_errors):
            problems.append(f"unrelated gate {check.id} is {status} ({why})")
    return problems


def assert_caught(
    result: RunResult, mutation: Mutation, *, allowed_errors: frozenset[str] = ALLOWED_ERRORS
) -> None:
    """Assert every target failed and every other evaluated gate item passed.

    Tolerated besides: ``error`` on items in ``allowed_errors``, and ``skip`` on items that
    require a target (they are skipped because the target failed).

    Raises:
        AssertionError: Listing every unexpected status with its reason.
    """
    evaluated = {check.id for check in result.checks}
    missing = [t for t in mutation.targets if t not in evaluated]
    problems = [f"target {t} was not evaluated" for t in missing]
    problems += _unexpected(result, mutation, allowed_errors)
    if problems:
        raise AssertionError(f"mutation {mutation.name!r}:\n  " + "\n  ".join(problems))


def not_passing(result: RunResult) -> dict[str, tuple[str, tuple[Finding, ...]]]:
    """Each evaluated item that did not pass, with its reason and first findings."""
    return {
        check.id: (check.outcome.reason, check.outcome.findings[:5])
        for check in result.checks
        if check.status is not Status.PASS
    }
