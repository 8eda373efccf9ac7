"""What a check sees: its checklist item, the project under test, and shared facts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from evals.checklist import ChecklistItem
from evals.contract import Contract
from evals.model import Tier
from evals.registry import FACTS, FactKey, RegistryError
from evals.sandbox import Sandbox, SandboxMode

T = TypeVar("T")


class FactUnavailable(Exception):
    """The harness could not establish a fact; dependent checks report ``error``.

    Use it for the harness's own failures (a tool missing, a service that would not
    start, a network service unreachable), never for the project's shortcomings.
    """


class FactNotApplicable(Exception):
    """A fact does not apply to this project; dependent checks report ``skip``."""


async def cancel_and_wait(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel the unfinished ``tasks`` and wait until they have all stopped."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


@dataclass
class RunOptions:
    """Settings of one harness run that facts may need.

    Attributes:
        tier: The deepest tier of this run.
        workdir: Scratch directory owned by this run (the project copy lives inside it).
        env: Extra environment for subprocesses (e.g. DATABASE_URL given by the user).
        cache_dir: Where installed environments are cached between runs.
        timeout_s: Default timeout of one subprocess.
        sandbox_mode: How the project's processes are confined (see
            :class:`~evals.sandbox.SandboxMode`).
        sandbox: The run's sandbox once opened (:func:`evals.sandbox.run_sandbox`).
        contract: The case contract the design items check against (``--case``), if any.
    """

    tier: Tier
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    cache_dir: Path | None = None
    timeout_s: float = 600.0
    sandbox_mode: SandboxMode = SandboxMode.AUTO
    sandbox: Sandbox | None = None
    contract: Contract | None = None


class Facts:
    """Lazily computed, memoised facts about one project, shared by all checks of a run.

    Each fact is computed at most once, even when many checks ask for it at the same
    time; a failure is remembered and re-raised to every caller.
    """

    def __init__(self, project: Path, options: RunOptions) -> None:
        """Create the fact store for the project copy at ``project``."""
        self.project = project
        self.options = options
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self.cleanups: list[Any] = []

    async def get(self, key: FactKey[T]) -> T:
        """Return the value of ``key``, computing it on first use.

        Raises:
            RegistryError: If no provider is registered for ``key``.
            FactUnavailable: If the harness could not compute it.
            FactNotApplicable: If it does not apply to this project.
        """
        task = self._tasks.get(key.name)
        if task is None:
            provider = FACTS.get(key.name)
            if provider is None:
                raise RegistryError(f"no provider registered for fact {key.name!r}")
            task = asyncio.ensure_future(provider(self))
            self._tasks[key.name] = task
        return cast(T, await asyncio.shield(task))

    async def cancel_pending(self) -> None:
        """Cancel every fact still being computed and wait until they have stopped."""
        await cancel_and_wait(self._tasks.values())


@dataclass
class CheckContext:
    """The argument of every check.

    Attributes:
        item: The checklist item being evaluated (threshold, title, ...).
        facts: The run's shared facts.
    """

    item: ChecklistItem
    facts: Facts

    @property
    def project(self) -> Path:
        """Root of the (copied) project under test."""
        return self.facts.project

    @property
    def threshold(self) -> float:
        """The item's threshold.

        Raises:
            ValueError: If the item has no threshold.
        """
        if self.item.threshold is None:
            raise ValueError(f"checklist item {self.item.id} has no threshold")
        return self.item.threshold

    async def fact(self, key: FactKey[T]) -> T:
        """Shortcut for ``await self.facts.get(key)``."""
        return await self.facts.get(key)
