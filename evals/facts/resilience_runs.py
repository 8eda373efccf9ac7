"""The resilience experiments: break the broker and the processes, count what was lost.

Each takes the :class:`~evals.facts.resilience_lab.Lab` (one at a time) and returns a
:class:`Verdict`: the counts and what went wrong. Scaled to the full tier's time budget:
a few hundred writes, outages of a few seconds; the waits for recovery are bounded.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

from evals.context import FactNotApplicable
from evals.facts.kafka_io import Record, TopicWatcher, create_topics
from evals.facts.process_control import kill_hard
from evals.facts.resilience_lab import (
    PUBLISHER_NAMES,
    WEB,
    Lab,
    Writes,
    wait_for_keys,
    write_many,
    write_until,
)
from evals.facts.scenarios import event_type

BEFORE_S, OUTAGE_S, AFTER_S, PAUSE_S = 1.5, 15.0, 1.5, 0.5
RECOVER_S = 45.0
BACKLOG = 200
KILLS = 2
HOLD_S = 30.0
IN_FLIGHT_S = 1.0
ORDERS, POISON = 120, 5
APPLY_S = 60.0
BOUND_S = 10.0
CLEAN_CODES = (0, 143)
POLL_S = 0.05
DLQ_HEADERS = ("dlq_error",)


@dataclass
class Verdict:
    """What one experiment counted and what it found wrong.

    Attributes:
        metrics: The counts, for ``metrics`` and the reason.
        problems: What broke a promise; empty when it held.
        notes: What the harness could not do as designed.
    """

    metrics: dict[str, float | int | str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The counts as ``name=value`` pairs."""
        return ", ".join(f"{name} {value}" for name, value in self.metrics.items())


def raw_counts(records: list[Record], kind: str) -> Counter[str]:
    """How many records of ``kind`` each key has (duplicates included)."""
    return Counter(r.key for r in records if r.key is not None and event_type(r) == kind)


def delivery_verdict(
    writes: Writes, watchers: list[TopicWatcher], lab: Lab, seconds: float
) -> Verdict:
    """Counts of sent, committed, published, missing and duplicated events."""
    topic, kind = lab.event
    records = [r for w in watchers for r in w.records(topic)]
    counts, keys = raw_counts(records, kind), writes.created()
    missing = [k for k in keys if not counts[k]]
    published = sum(1 for k in keys if counts[k])
    metrics: dict[str, float | int | str] = {"sent": writes.sent, "committed": len(keys)}
    metrics |= {"failed": len(writes.failures), "published": published}
    metrics |= {"missing": len(missing), "duplicated": sum(max(counts[k] - 1, 0) for k in keys)}
    problems = [f"{len(missing)} committed writes never published, e.g. {k}" for k in missing[:1]]
    return Verdict({**metrics, "seconds_to_recover": seconds}, problems)


async def settled(watcher: TopicWatcher, topic: str, quiet_s: float = 1.0) -> None:
    """Wait until ``watcher`` read nothing new for ``quiet_s`` (at most 10 s)."""
    deadline, last, since = time.monotonic() + 10.0, -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(watcher.records(topic))
        if count != last:
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
        await asyncio.sleep(0.1)


async def outage(lab: Lab, first: TopicWatcher) -> TopicWatcher:
    """Cut the project off, stop the broker, start a fresh one with its topics; read it."""
    broker, gate, topic = lab.control.broker, lab.control.gate, lab.event[0]
    assert broker is not None  # noqa: S101 - checked by the caller
    if gate is not None:
        gate.close()
    await settled(first, topic)
    await first.stop()
    await broker.stop()
    await asyncio.sleep(OUTAGE_S)
    await broker.start()
    await create_topics(broker.bootstrap, [t.name for t in lab.stack.contract.topics])
    second = TopicWatcher(broker.bootstrap, (topic,))
    await second.start()
    if gate is not None:
        gate.open = True
    return second


async def broker_outage(lab: Lab) -> Verdict:
    """Writes flow while the broker is down for a few seconds; every event arrives.

    Raises:
        FactNotApplicable: With the user's broker (the harness cannot stop it).
    """
    if lab.control.broker is None:
        raise FactNotApplicable("needs the embedded broker: the user's broker is not stopped")
    topic, kind = lab.event
    first, writes = TopicWatcher(lab.stack.bootstrap, (topic,)), Writes()
    await first.start()
    until = time.monotonic() + BEFORE_S + OUTAGE_S + AFTER_S
    writing = asyncio.ensure_future(write_until(lab, writes, until, PAUSE_S))
    await asyncio.sleep(BEFORE_S)
    second = await outage(lab, first)
    await writing
    _, seconds = await wait_for_keys([first, second], topic, (kind, writes.created()), RECOVER_S)
    await second.stop()
    verdict = delivery_verdict(writes, [first, second], lab, seconds)
    verdict.problems += (
        [f"{len(writes.failures)} writes failed, first: {writes.failures[0]}"]
        if writes.failures
        else []
    )
    return verdict


async def kill_all(lab: Lab, names: list[str]) -> None:
    """``kill -9`` the processes ``names`` (with their sandboxes)."""
    for name in names:
        process = lab.process(name)
        if process is not None:
            await kill_hard(process)


async def restart_all(lab: Lab, names: list[str]) -> None:
    """Start the processes ``names`` again."""
    for name in names:
        await lab.restart(name)


async def kill_mid_publish(lab: Lab, names: list[str], watcher: TopicWatcher) -> bool:
    """Start the publisher with the gate held and kill it once its batch is in flight.

    Without a gate: killed as soon as the first events appear (often too late to matter).
    """
    gate = lab.control.gate
    if gate is not None:
        gate.hold()
    await restart_all(lab, names)
    deadline, topic = time.monotonic() + HOLD_S, lab.event[0]
    while time.monotonic() < deadline:
        if gate.held if gate is not None else watcher.records(topic):
            break
        await asyncio.sleep(POLL_S)
    await asyncio.sleep(IN_FLIGHT_S if gate is not None else 0)
    await kill_all(lab, names)
    if gate is not None:
        gate.release()
    await restart_all(lab, names)
    return time.monotonic() < deadline


async def crash_publisher(
    lab: Lab, names: list[str], watcher: TopicWatcher, writes: Writes
) -> bool:
    """Build the backlog with the publisher down and kill it mid-batch; whether it was.

    A publisher inside the web app cannot be down while writes are made: it is killed
    (and restarted) right after the backlog was written.
    """
    if WEB in names:
        writes.__dict__.update(vars(await write_many(lab, BACKLOG)))
        await kill_all(lab, names)
        await restart_all(lab, names)
        return True
    await kill_all(lab, names)
    writes.__dict__.update(vars(await write_many(lab, BACKLOG)))
    return await kill_mid_publish(lab, names, watcher)


async def publisher_crash(lab: Lab) -> Verdict:
    """A backlog builds while the publisher is down; it is killed with its batch in flight."""
    names = lab.named(PUBLISHER_NAMES)
    topic, kind = lab.event
    watcher = TopicWatcher(lab.stack.bootstrap, (topic,))
    await watcher.start()
    killed = await crash_publisher(lab, names, watcher, writes := Writes())
    _, seconds = await wait_for_keys([watcher], topic, (kind, writes.created()), RECOVER_S)
    await watcher.stop()
    verdict = delivery_verdict(writes, [watcher], lab, seconds)
    verdict.metrics = {"kills": int(killed), **verdict.metrics}
    if lab.control.gate is None:
        verdict.notes.append("no broker gate (no sandbox): the kill may miss the batch in flight")
    return verdict
