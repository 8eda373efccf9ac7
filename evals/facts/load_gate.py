"""A run-wide gate that gives the latency measurement the machine to itself.

``perf.latency`` measures the app on the same (2-core) machine that runs the project's
tests, linters and the other probes; their CPU use would show up as latency. Work that
loads the machine or talks to the app holds :data:`LOAD_GATE` shared (``async with
machine_load(facts): ...`` around a test run or a linter); the load test holds it
exclusively, so it starts once running work is done and new work waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from evals.context import Facts
from evals.registry import FactKey, provides


class LoadGate:
    """A readers-writer gate: probes and heavy tools share the machine, a load test owns it."""

    def __init__(self) -> None:
        """Create an open gate."""
        self._condition = asyncio.Condition()
        self._readers = 0
        self._writer = False

    @asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        """Hold the gate together with other probes (waits while a load test runs)."""
        async with self._condition:
            await self._condition.wait_for(lambda: not self._writer)
            self._readers += 1
        try:
            yield
        finally:
            async with self._condition:
                self._readers -= 1
                self._condition.notify_all()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Hold the gate alone (waits until running probes are done)."""
        async with self._condition:
            await self._condition.wait_for(lambda: not self._writer and self._readers == 0)
            self._writer = True
        try:
            yield
        finally:
            async with self._condition:
                self._writer = False
                self._condition.notify_all()


LOAD_GATE: FactKey[LoadGate] = FactKey("load_gate")


@provides(LOAD_GATE)
async def load_gate(facts: Facts) -> LoadGate:
    """The run's one :class:`LoadGate`."""
    del facts  # one gate per run; nothing to compute
    return LoadGate()


@asynccontextmanager
async def machine_load(facts: Facts) -> AsyncIterator[None]:
    """Hold the run's gate shared around CPU-heavy work (the project's tests, linters).

    Args:
        facts: The run's facts (the gate is one of them).
    """
    gate = await facts.get(LOAD_GATE)
    async with gate.shared():
        yield
