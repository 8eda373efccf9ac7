"""The resilience stack and the traffic the experiments drive through it (full tier).

A stack of its own (:func:`~evals.facts.design_stack.build_stack` named ``resilience``),
so that breaking it never disturbs the scenarios: a fresh database, an embedded broker the
harness can stop and start again on the same port behind a gate, the Procfile processes
and the web app. One experiment at a time holds it; each leaves every process running.
The case contract's ``resilience`` section says which write to drive (its event keyed by
the created id) and, when the design consumes a topic, which event to produce per created
entity and how its effect shows.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from evals.context import FactNotApplicable, Facts
from evals.contract import Resilience
from evals.facts.design_stack import (
    NO_CONTRACT,
    DesignStack,
    ProjectProcess,
    StackControl,
    build_stack,
    start_process,
)
from evals.facts.kafka_io import Publisher, Record, TopicWatcher
from evals.facts.matching import ScenarioError, mismatches, pick, substitute
from evals.facts.scenarios import api_prefix, decoded, event_type, openapi_paths
from evals.facts.server import LIVE_SERVER, start
from evals.registry import FactKey, provides

CLIENTS = 8
PUBLISHER_NAMES = re.compile(r"relay|outbox|publish", re.IGNORECASE)
CONSUMER_NAMES = re.compile(r"consum", re.IGNORECASE)
WEB = "web"


@dataclass
class Lab:
    """The resilience stack and what the contract says to drive.

    Attributes:
        stack: The running service (its processes are replaced as they restart).
        control: How to restart its processes and broker.
        plan: The contract's resilience section.
        prefix: The path prefix the service serves the design's paths under.
        lock: Held by the experiment running.
    """

    stack: DesignStack
    control: StackControl
    plan: Resilience
    prefix: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def event(self) -> tuple[str, str]:
        """The write's event: topic and type."""
        return self.plan.write["event"]["topic"], self.plan.write["event"]["type"]

    def named(self, pattern: re.Pattern[str]) -> list[str]:
        """Procfile processes matching ``pattern``, else all of them, else the web app."""
        names = [p.name for p in self.stack.processes]
        return [n for n in names if pattern.search(n)] or names or [WEB]

    def process(self, name: str) -> asyncio.subprocess.Process | None:
        """The running process called ``name`` (``web``: the web app)."""
        if name == WEB:
            return self.stack.server.process
        return next((p.process for p in self.stack.processes if p.name == name), None)

    async def restart(self, name: str) -> None:
        """Start the (stopped) process ``name`` again."""
        launch = self.control.launch
        if name == WEB and self.stack.server.target is not None:
            server = await start(launch, self.stack.server.target)
            server.gate = self.stack.server.gate
            self.stack.server = server
            return
        old = next(p for p in self.stack.processes if p.name == name)
        new = await start_process(launch, name, old.command)
        self.stack.processes = tuple(new if p is old else p for p in self.stack.processes)


RESILIENCE_LAB: FactKey[Lab] = FactKey("resilience_lab")


@provides(RESILIENCE_LAB)
async def resilience_lab(facts: Facts) -> Lab:
    """Start the resilience stack while no load is being measured.

    Raises:
        FactNotApplicable: Without a contract or its resilience section, or a stack.
    """
    contract = facts.options.contract
    if contract is None:
        raise FactNotApplicable(NO_CONTRACT)
    if contract.resilience is None:
        raise FactNotApplicable("the case contract has no resilience section")
    live = await facts.get(LIVE_SERVER)
    async with live.gate.shared():
        stack = await build_stack(facts, contract, live, "resilience", gated=True)
    assert stack.control is not None  # noqa: S101 - build_stack always sets it
    prefix = api_prefix(contract, await openapi_paths(stack))
    return Lab(stack, stack.control, contract.resilience, prefix)


@dataclass
class Writes:
    """What the representative writes did.

    Attributes:
        sent: Requests made.
        ids: (monotonic time the request was sent, captured id) of each committed write.
        failures: Why the others failed (status or exception).
    """

    sent: int = 0
    ids: list[tuple[float, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def created(self) -> list[str]:
        """The captured ids."""
        return [key for _, key in self.ids]


async def write_once(lab: Lab, client: httpx.AsyncClient, writes: Writes) -> None:
    """Make the representative write once and record what came of it."""
    write, variables = lab.plan.write, dict[str, Any]()
    request = substitute(write["request"], variables)
    sent_at, writes.sent = time.monotonic(), writes.sent + 1
    try:
        response = await client.request(
            request["method"], lab.prefix + request["path"], json=request.get("json")
        )
        if response.status_code != write["status"]:
            writes.failures.append(f"status {response.status_code}: {response.text[:200]}")
            return
        writes.ids.append((sent_at, str(pick(response.json(), write["capture"]))))
    except (httpx.HTTPError, ValueError, ScenarioError) as exc:
        writes.failures.append(f"no usable answer ({type(exc).__name__}: {exc})")


async def write_until(lab: Lab, writes: Writes, until: float, pause_s: float) -> None:
    """Write from :data:`CLIENTS` clients, each pausing ``pause_s``, until ``until``."""

    async def one_client(client: httpx.AsyncClient) -> None:
        while time.monotonic() < until:
            await write_once(lab, client, writes)
            await asyncio.sleep(pause_s)

    async with lab.stack.server.client(timeout_s=30.0, connections=CLIENTS) as client:
        await asyncio.gather(*(one_client(client) for _ in range(CLIENTS)))


async def write_many(lab: Lab, count: int) -> Writes:
    """Make ``count`` representative writes from :data:`CLIENTS` clients."""
    writes, slots = Writes(), iter(range(count))

    async def one_client(client: httpx.AsyncClient) -> None:
        for _ in slots:
            await write_once(lab, client, writes)

    async with lab.stack.server.client(timeout_s=30.0, connections=CLIENTS) as client:
        await asyncio.gather(*(one_client(client) for _ in range(CLIENTS)))
    return writes


def keyed(records: list[Record], wanted_type: str) -> Counter[str]:
    """How many distinct events (by ``event_id``) of ``wanted_type`` each key has."""
    seen: set[tuple[str, str]] = set()
    for record in records:
        if event_type(record) != wanted_type or record.key is None:
            continue
        value = decoded(record)
        event_id = value.get("event_id") if isinstance(value, dict) else None
        seen.add((record.key, str(event_id or f"{record.partition}/{record.offset}")))
    return Counter(key for key, _ in seen)


async def wait_for_keys(
    watchers: list[TopicWatcher], topic: str, wanted: tuple[str, list[str]], within_s: float
) -> tuple[Counter[str], float]:
    """Wait until every key of ``wanted`` (type, keys) has an event; counts and seconds."""
    started, (kind, keys) = time.monotonic(), wanted
    while True:
        counts = keyed([r for w in watchers for r in w.records(topic)], kind)
        done = all(counts[key] for key in keys)
        if done or time.monotonic() - started >= within_s:
            return counts, round(time.monotonic() - started, 1)
        await asyncio.sleep(0.3)


async def produce_effects(lab: Lab, publisher: Publisher, keys: list[str], poison: int) -> int:
    """Produce the consumed event for every key, ``poison`` poison values spread among them.

    Returns:
        How many poison values were produced.
    """
    effect = lab.plan.effect or {}
    body, every = effect["produce"], max(len(keys) // max(poison, 1), 1)
    sends, poisoned = [], 0
    for index, key in enumerate(keys):
        variables: dict[str, Any] = {"id": key}
        value = substitute(body["payload"], variables)
        sends.append(publisher.send(body["topic"], key, envelope(body["type"], value), {}))
        if poison and index % every == every - 1 and poisoned < poison and "poison" in effect:
            poisoned += 1
            raw = str(effect["poison"]).encode()
            sends.append(publisher.send(body["topic"], f"poison-{uuid.uuid4()}", raw, {}))
    await asyncio.gather(*sends)
    return poisoned


def envelope(kind: str, payload: object) -> bytes:
    """An event in the design's envelope (as the scenarios produce them)."""
    value = {
        "event_id": str(uuid.uuid4()),
        "event_type": kind,
        "event_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": str(uuid.uuid4()),
        "payload": payload,
    }
    return json.dumps(value).encode()


async def not_applied(lab: Lab, keys: list[str]) -> list[str]:
    """Keys whose effect the API does not show (the contract's ``observe`` request)."""
    observe = (lab.plan.effect or {})["observe"]
    missing = []
    async with lab.stack.server.client(timeout_s=30.0, connections=CLIENTS) as client:
        for key in keys:
            path = substitute(observe["path"], {"id": key})
            try:
                response = await client.request(observe["method"], lab.prefix + path)
                body = response.json()
            except (httpx.HTTPError, ValueError):
                body = None
            if mismatches(observe["json"], body):
                missing.append(key)
    return missing


def project_process(lab: Lab, name: str) -> ProjectProcess | None:
    """The Procfile process ``name``, if it runs."""
    return next((p for p in lab.stack.processes if p.name == name), None)
