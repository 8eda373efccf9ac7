"""The consumer and shutdown experiments of the resilience items (full tier).

``consumer_crash`` pauses the consumer, lets a backlog of consumed events (poison values
among them) build, resumes it and kills it with SIGKILL as soon as its group commits an
offset, twice. ``graceful_shutdown`` sends SIGTERM to every process in turn while writes
and consumed events flow and restarts it. Both then count what the API and the topics show.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from evals.context import FactNotApplicable
from evals.contract import Topic
from evals.facts.kafka_io import PARTITIONS, Publisher, TopicWatcher, wait_for_group
from evals.facts.process_control import project_pids, signal_all, terminate
from evals.facts.resilience_lab import (
    CONSUMER_NAMES,
    WEB,
    Lab,
    Writes,
    keyed,
    not_applied,
    produce_effects,
    wait_for_keys,
    write_many,
    write_until,
)
from evals.facts.resilience_runs import (
    KILLS,
    PAUSE_S,
    POLL_S,
    RECOVER_S,
    Verdict,
    delivery_verdict,
    kill_all,
    restart_all,
)

ORDERS, POISON = 120, 5
APPLY_S = 60.0
GROUP_S = 45.0
BOUND_S = 10.0
WORK_S = 1.0
CLEAN_CODES = (0, 143)


@dataclass(frozen=True)
class Consumed:
    """The consumed topic of the experiment and what surrounds it.

    Attributes:
        topic: The consumed topic.
        group: Its consumer group.
        dead_letter: Its dead letter topic ("" when the design names none).
        reaction: The reaction event (topic, type), or None.
    """

    topic: str
    group: str
    dead_letter: str
    reaction: tuple[str, str] | None

    @property
    def watched(self) -> tuple[str, ...]:
        """The topics to read: consumed, dead letter and reaction."""
        names = [self.topic, self.dead_letter, self.reaction[0] if self.reaction else ""]
        return tuple(dict.fromkeys(n for n in names if n))


def consumed_of(lab: Lab) -> Consumed:
    """The consumed topic the contract's effect produces to.

    Raises:
        FactNotApplicable: When the design consumes no topic.
    """
    effect = lab.plan.effect
    if effect is None:
        raise FactNotApplicable("the design consumes no topic (no effect in the contract)")
    name = effect["produce"]["topic"]
    topic = lab.stack.contract.topic(name) or Topic(name, "consumed")
    reaction = effect.get("reaction")
    pair = (reaction["topic"], reaction["type"]) if reaction else None
    return Consumed(name, topic.group, topic.dead_letter, pair)


async def committed(admin: AIOKafkaAdminClient, consumed: Consumed) -> int:
    """The group's committed offsets on the consumed topic, summed (-1 if unreadable)."""
    partitions = [TopicPartition(consumed.topic, p) for p in range(PARTITIONS)]
    try:
        offsets = await admin.list_consumer_group_offsets(consumed.group, partitions=partitions)
    except KafkaError:
        return -1
    return sum(max(meta.offset, 0) for meta in offsets.values())


def end_of(watcher: TopicWatcher, topic: str) -> int:
    """The end offsets of ``topic`` as read, summed."""
    ends: dict[int, int] = {}
    for record in watcher.records(topic):
        ends[record.partition] = max(ends.get(record.partition, 0), record.offset + 1)
    return sum(ends.values())


async def kill_on_commit(
    lab: Lab, names: list[str], admin: AIOKafkaAdminClient, consumed: Consumed, total: int
) -> bool:
    """``kill -9`` the consumer as soon as its committed offset moves, if work is left."""
    last, deadline = await committed(admin, consumed), time.monotonic() + GROUP_S
    while time.monotonic() < deadline and last < total:
        now = await committed(admin, consumed)
        if now > last >= 0:
            await kill_all(lab, names)
            await restart_all(lab, names)
            return True
        last = now if last < 0 else last
        await asyncio.sleep(POLL_S)
    return False


async def backlog(lab: Lab, names: list[str], keys: list[str]) -> int:
    """Pause the consumer, produce one event per key and the poison values, resume it."""
    pids = [pid for name in names if (p := lab.process(name)) for pid in project_pids(p.pid)]
    signal_all(pids, signal.SIGSTOP)
    publisher = Publisher(lab.stack.bootstrap)
    try:
        return await produce_effects(lab, publisher, keys, POISON)
    finally:
        await publisher.stop()
        signal_all(pids, signal.SIGCONT)


async def settled_effects(
    lab: Lab, watcher: TopicWatcher, consumed: Consumed, keys: list[str], admin: AIOKafkaAdminClient
) -> float:
    """Wait until the reactions are out and the group caught up; seconds waited."""
    started = time.monotonic()
    if consumed.reaction:
        await wait_for_keys([watcher], consumed.reaction[0], (consumed.reaction[1], keys), APPLY_S)
    while time.monotonic() - started < APPLY_S:
        if await committed(admin, consumed) >= end_of(watcher, consumed.topic):
            break
        await asyncio.sleep(0.5)
    return round(time.monotonic() - started, 1)


def dead_lettered(watcher: TopicWatcher, consumed: Consumed) -> int:
    """Distinct poison values on the dead letter topic with an error header."""
    records = watcher.records(consumed.dead_letter) if consumed.dead_letter else []
    return len(
        {
            r.key
            for r in records
            if (r.key or "").startswith("poison-")
            and any(h.startswith("dlq_") or "error" in h for h in r.headers)
        }
    )


def twice_applied(watcher: TopicWatcher, consumed: Consumed, keys: list[str]) -> list[str]:
    """Keys with more than one distinct reaction event (none without a reaction)."""
    if consumed.reaction is None:
        return []
    reactions = keyed(watcher.records(consumed.reaction[0]), consumed.reaction[1])
    return [key for key in keys if reactions[key] > 1]


def effect_problems(missing: list[str], twice: list[str], parked: int, poisoned: int) -> list[str]:
    """What the effect counts say went wrong."""
    problems = []
    if missing:
        problems.append(f"{len(missing)} consumed events never took effect, e.g. for {missing[0]}")
    if twice:
        problems.append(f"{len(twice)} events applied twice (two reactions), e.g. for {twice[0]}")
    if parked < poisoned:
        problems.append(f"{poisoned - parked} of {poisoned} poison values not dead-lettered")
    return problems


async def effect_verdict(
    lab: Lab, watcher: TopicWatcher, consumed: Consumed, keys: list[str], poisoned: int
) -> Verdict:
    """Counts of applied, missing, applied twice and dead-lettered events."""
    missing = await not_applied(lab, keys)
    twice, parked = twice_applied(watcher, consumed, keys), dead_lettered(watcher, consumed)
    metrics: dict[str, float | int | str] = {"sent": len(keys), "poison": poisoned}
    metrics |= {"applied": len(keys) - len(missing), "missing": len(missing)}
    metrics |= {"applied_twice": len(twice), "dead_lettered": parked}
    return Verdict(metrics, effect_problems(missing, twice, parked, poisoned))


async def crash_consumer(
    lab: Lab, consumed: Consumed, watcher: TopicWatcher, keys: list[str]
) -> tuple[Verdict, AIOKafkaAdminClient]:
    """Build the backlog, kill the consumer twice as it commits; the effects' verdict."""
    names = lab.named(CONSUMER_NAMES)
    admin = AIOKafkaAdminClient(bootstrap_servers=lab.stack.bootstrap, client_id="evals-admin")
    await admin.start()
    poisoned = await backlog(lab, names, keys)
    total = len(keys) + poisoned
    kills = [await kill_on_commit(lab, names, admin, consumed, total) for _ in range(KILLS)]
    seconds = await settled_effects(lab, watcher, consumed, keys, admin)
    verdict = await effect_verdict(lab, watcher, consumed, keys, poisoned)
    lag = end_of(watcher, consumed.topic) - await committed(admin, consumed)
    verdict.metrics = {"kills": sum(kills), **verdict.metrics, "lag": lag, "seconds": seconds}
    if lag > 0:
        verdict.problems.append(f"the consumer group is {lag} records behind after {seconds:g} s")
    return verdict, admin


async def consumer_crash(lab: Lab) -> Verdict:
    """Kill the consumer twice mid-stream; every event applied once, poison parked."""
    consumed = consumed_of(lab)
    writes = await write_many(lab, ORDERS)
    await wait_for_group(lab.stack.bootstrap, consumed.group, GROUP_S)
    watcher = TopicWatcher(lab.stack.bootstrap, consumed.watched)
    await watcher.start()
    try:
        verdict, admin = await crash_consumer(lab, consumed, watcher, writes.created())
        await admin.close()
    finally:
        await watcher.stop()
    return verdict


def judge_exit(name: str, seconds: float | None, code: int | None, verdict: Verdict) -> None:
    """Record how ``name`` exited after SIGTERM; a problem unless in time and clean."""
    verdict.metrics[f"{name}_exit_s"] = seconds if seconds is not None else f">{BOUND_S:g}"
    verdict.metrics[f"{name}_code"] = code if code is not None else "killed"
    if seconds is None:
        verdict.problems.append(f"{name} did not exit within {BOUND_S:g} s of SIGTERM (killed)")
    elif code not in CLEAN_CODES:
        verdict.problems.append(f"{name} exited with code {code} after SIGTERM")


async def stop_and_restart(
    lab: Lab, name: str, verdict: Verdict, then: Callable[[], object] | None = None
) -> None:
    """SIGTERM ``name``, judge its exit, call ``then``, start it again."""
    process = lab.process(name)
    if process is not None:
        seconds = await terminate(process, BOUND_S)
        judge_exit(name, seconds, process.returncode, verdict)
    if then is not None:
        then()
    if process is not None:
        await lab.restart(name)


async def working(lab: Lab, publisher: Publisher, writes: Writes, produced: list[str]) -> None:
    """Produce events for the new writes in two halves, the second once the first commits.

    So the consumer is past any group join and has the second half in hand when stopped.
    """
    consumed = consumed_of(lab)
    fresh = [k for k in writes.created() if k not in set(produced)]
    produced += fresh
    admin = AIOKafkaAdminClient(bootstrap_servers=lab.stack.bootstrap, client_id="evals-admin")
    await admin.start()
    try:
        before = await committed(admin, consumed)
        await produce_effects(lab, publisher, fresh[: len(fresh) // 2], 0)
        for _ in range(int(GROUP_S / POLL_S)):
            if await committed(admin, consumed) > before:
                break
            await asyncio.sleep(POLL_S)
        await produce_effects(lab, publisher, fresh[len(fresh) // 2 :], 0)
    finally:
        await admin.close()


async def terminate_each(
    lab: Lab, writes: Writes, produced: list[str], verdict: Verdict
) -> asyncio.Future[Any]:
    """SIGTERM every Procfile process in turn during work; the writing task, still running."""
    writing = asyncio.ensure_future(write_until(lab, writes, time.monotonic() + 180.0, PAUSE_S))
    publisher = Publisher(lab.stack.bootstrap)
    for process in list(lab.stack.processes):
        await asyncio.sleep(WORK_S)
        if lab.plan.effect and CONSUMER_NAMES.search(process.name):
            await working(lab, publisher, writes, produced)
        await stop_and_restart(lab, process.name, verdict)
    await publisher.stop()
    return writing


async def graceful_shutdown(lab: Lab) -> Verdict:
    """SIGTERM each process during work; bounded clean exits, nothing lost after restart."""
    topic, kind = lab.event
    consumed = consumed_of(lab) if lab.plan.effect else None
    watcher = TopicWatcher(
        lab.stack.bootstrap, tuple(dict.fromkeys([topic, *(consumed.watched if consumed else ())]))
    )
    await watcher.start()
    writes, produced, verdict = Writes(), list[str](), Verdict()
    writing = await terminate_each(lab, writes, produced, verdict)
    await asyncio.sleep(WORK_S)
    await stop_and_restart(lab, WEB, verdict, writing.cancel)
    _, seconds = await wait_for_keys([watcher], topic, (kind, writes.created()), RECOVER_S)
    delivered = delivery_verdict(writes, [watcher], lab, seconds)
    verdict.metrics.update({k: v for k, v in delivered.metrics.items() if k != "failed"})
    verdict.problems += delivered.problems
    if consumed and produced:
        await add_effects(lab, watcher, consumed, produced, verdict)
    await watcher.stop()
    return verdict


async def add_effects(
    lab: Lab, watcher: TopicWatcher, consumed: Consumed, keys: list[str], verdict: Verdict
) -> None:
    """Wait for the consumed events' effects and add their counts to ``verdict``."""
    if consumed.reaction:
        await wait_for_keys([watcher], consumed.reaction[0], (consumed.reaction[1], keys), APPLY_S)
    effects = await effect_verdict(lab, watcher, consumed, keys, 0)
    verdict.metrics.update(
        {
            f"effects_{k}": v
            for k, v in effects.metrics.items()
            if k in ("sent", "missing", "applied_twice")
        }
    )
    verdict.problems += effects.problems
