"""Registries of checks (one per checklist item) and facts (shared, computed once).

A check is an async function taking a :class:`~evals.context.CheckContext` and
returning an :class:`~evals.model.Outcome`; it is registered under its checklist id
with :func:`check`. A fact is an async function taking the
:class:`~evals.context.Facts` of a run and returning a value; it is registered under a
:class:`FactKey` with :func:`provides`. Modules in ``evals.checks`` and ``evals.facts``
are imported by :func:`load_all`, so adding a check never touches the runner.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from evals.context import CheckContext, Facts
    from evals.model import Outcome

T = TypeVar("T")
CheckFunc = Callable[["CheckContext"], Awaitable["Outcome"]]
FactFunc = Callable[["Facts"], Awaitable[Any]]


class RegistryError(Exception):
    """A check or fact was registered twice, or looked up but never registered."""


@dataclass(frozen=True)
class FactKey(Generic[T]):
    """A typed name for a shared fact; ``await facts.get(KEY)`` returns a ``T``.

    Attributes:
        name: Unique name of the fact, shown in error messages.
    """

    name: str


@dataclass(frozen=True)
class CheckSpec:
    """A registered check.

    Attributes:
        item_id: The checklist id it evaluates.
        func: The check itself.
        requires: Ids of checks that must pass first; otherwise this one is skipped.
    """

    item_id: str
    func: CheckFunc
    requires: tuple[str, ...] = ()


CHECKS: dict[str, CheckSpec] = {}
FACTS: dict[str, FactFunc] = {}


def check(item_id: str, *, requires: tuple[str, ...] = ()) -> Callable[[CheckFunc], CheckFunc]:
    """Register the decorated coroutine function as the check for ``item_id``.

    Args:
        item_id: The checklist id this check evaluates.
        requires: Checklist ids that must pass before this check is meaningful.

    Raises:
        RegistryError: If ``item_id`` already has a check.
    """

    def register(func: CheckFunc) -> CheckFunc:
        if item_id in CHECKS:
            raise RegistryError(f"two checks registered for {item_id!r}")
        CHECKS[item_id] = CheckSpec(item_id, func, requires)
        return func

    return register


def provides(
    key: FactKey[T],
) -> Callable[[Callable[[Facts], Awaitable[T]]], Callable[[Facts], Awaitable[T]]]:
    """Register the decorated coroutine function as the provider of ``key``.

    Raises:
        RegistryError: If ``key`` already has a provider.
    """

    def register(func: Callable[[Facts], Awaitable[T]]) -> Callable[[Facts], Awaitable[T]]:
        if key.name in FACTS:
            raise RegistryError(f"two providers registered for fact {key.name!r}")
        FACTS[key.name] = func
        return func

    return register


def load_all() -> None:
    """Import every module of ``evals.facts`` and ``evals.checks`` so they register."""
    for package_name in ("evals.facts", "evals.checks"):
        package = importlib.import_module(package_name)
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package_name}.{module.name}")
