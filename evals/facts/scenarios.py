"""Run the case contract's scenarios against the design stack (full tier).

Every scenario runs once, in order, with its own captured values; a scenario stops at its
first failing step. The run records every HTTP call (method, path template, status) so
``design.endpoints`` can tell which endpoints answered, and every failure with the step,
what was expected and what came back. Checks read their own scenarios' results: one
verdict per scenario, reported by the item the contract names as its owner.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from evals.context import Facts
from evals.contract import Contract, Scenario, Step, Topic, path_template
from evals.facts.design_stack import DESIGN_STACK, DesignStack
from evals.facts.kafka_io import KafkaIOError, Publisher, Record, TopicWatcher
from evals.facts.matching import Json, ScenarioError, carries, mismatches, pick, substitute
from evals.model import clean_text
from evals.registry import FactKey, provides

POLL_S = 0.3
DEFAULT_WITHIN_S = 15.0
BODY_LIMIT = 300
# Every step kind; ScenarioSession runs kind ``k`` with its method ``k_step``.
STEP_KINDS = (
    "request",
    "produce",
    "produce_raw",
    "redeliver",
    "expect_event",
    "expect_no_event",
    "expect_dlq",
    "expect_any_event",
)


@dataclass(frozen=True)
class Call:
    """One HTTP call a scenario made.

    Attributes:
        method: HTTP method.
        template: The path with its parameters written ``{}``.
        status: The answer's status (0 when there was none).
        scenario: The scenario's name.
    """

    method: str
    template: str
    status: int
    scenario: str


@dataclass(frozen=True)
class StepFailure:
    """Why a scenario stopped.

    Attributes:
        index: The failing step (1-based).
        kind: The step's kind (``request``, ``expect_event``, ...).
        detail: What was done, what was expected and what came back.
    """

    index: int
    kind: str
    detail: str


@dataclass(frozen=True)
class ScenarioResult:
    """The outcome of one scenario.

    Attributes:
        scenario: The scenario.
        failure: Why it stopped; None when every step passed.
        duration_s: How long it ran.
    """

    scenario: Scenario
    failure: StepFailure | None
    duration_s: float

    @property
    def passed(self) -> bool:
        """Whether every step passed."""
        return self.failure is None


@dataclass(frozen=True)
class ScenarioRun:
    """Every scenario's outcome and every HTTP call made.

    Attributes:
        stack: The stack they ran against.
        results: In contract order.
        calls: Every HTTP call, in order.
        prefix: The path prefix the service serves the design's paths under ("" for none).
        served: The path templates of the stack's live OpenAPI document (read once).
    """

    stack: DesignStack
    results: tuple[ScenarioResult, ...]
    calls: tuple[Call, ...]
    prefix: str = ""
    served: frozenset[str] = frozenset()

    def owned_by(self, item_id: str) -> tuple[ScenarioResult, ...]:
        """The results item ``item_id`` reports."""
        return tuple(r for r in self.results if r.scenario.owner == item_id)


SCENARIO_RUN: FactKey[ScenarioRun] = FactKey("scenario_run")


class StepFailed(Exception):
    """A step's expectation was not met (the message says how)."""


def _body_text(response: httpx.Response) -> str:
    """The response body, trimmed and made safe for reports."""
    text = clean_text(response.text)
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + "…"


def _json_or_none(response: httpx.Response) -> Json:
    """The response's JSON body, or None."""
    try:
        return response.json()
    except ValueError:
        return None


def response_problems(expect: dict[str, Any], response: httpx.Response) -> list[str]:
    """What in ``response`` differs from the step's ``expect``."""
    problems = []
    if response.status_code != expect["status"]:
        problems.append(f"status {response.status_code}, expected {expect['status']}")
    missing = [h for h in expect.get("headers", ()) if h not in response.headers]
    problems += [f"header {name} missing" for name in missing]
    if "json" in expect and not problems:
        problems += mismatches(expect["json"], _json_or_none(response))
    return problems


@dataclass
class ScenarioSession:
    """The state of one scenario: captured values, the last produced record, the clients.

    Attributes:
        stack: The running service.
        client: HTTP client bound to the web app.
        watcher: Reads the produced and dead-letter topics.
        publisher: Produces to consumed topics.
        prefix: Path prefix for the design's paths.
        calls: Where HTTP calls are recorded.
        scenario: The scenario's name.
    """

    stack: DesignStack
    client: httpx.AsyncClient
    watcher: TopicWatcher
    publisher: Publisher
    prefix: str
    calls: list[Call]
    scenario: str = ""
    variables: dict[str, Any] = field(default_factory=dict)
    last_sent: tuple[str, str | None, bytes, dict[str, str]] | None = None
    sent: dict[str, bytes] = field(default_factory=dict)

    async def send(self, request: dict[str, Any]) -> httpx.Response:
        """Make one HTTP call and record it."""
        method, path = request["method"], substitute(request["path"], self.variables)
        kwargs = {
            k: substitute(request[k], self.variables) for k in ("json", "headers") if k in request
        }
        params = substitute(request.get("query", {}), self.variables)
        try:
            response = await self.client.request(
                method, self.prefix + path, params=params, **kwargs
            )
        except httpx.HTTPError as exc:
            self.calls.append(Call(method, path_template(request["path"]), 0, self.scenario))
            raise StepFailed(f"{method} {path}: no answer ({type(exc).__name__})") from exc
        self.calls.append(
            Call(method, path_template(request["path"]), response.status_code, self.scenario)
        )
        return response

    async def request_step(self, step: Step) -> None:
        """Call the API (again, until ``within_s``) until the answer is as expected."""
        request, deadline = step["request"], time.monotonic() + step.get("within_s", 0)
        while True:
            response = await self.send(request)
            problems = response_problems(substitute(step["expect"], self.variables), response)
            if not problems or time.monotonic() >= deadline:
                break
            await asyncio.sleep(POLL_S)
        if problems:
            what = f"{request['method']} {substitute(request['path'], self.variables)}"
            raise StepFailed(f"{what}: {'; '.join(problems)}; body: {_body_text(response)}")
        for name, dotted in step.get("capture", {}).items():
            self.variables[name] = pick(_json_or_none(response), dotted)

    def _envelope(self, body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """An event (value and headers) for a ``produce`` step, shaped as its topic says."""
        correlation = str(uuid.uuid4())
        payload = substitute(body["payload"], self.variables)
        shape = topic_shape(self.stack.contract, body["topic"])
        value = event_value(shape, body["type"], payload, correlation)
        headers = {"event_type": body["type"], "correlation_id": correlation}
        return json.dumps(value).encode(), headers

    async def _produce(
        self, topic: str, key: str | None, value: bytes, headers: dict[str, str]
    ) -> None:
        """Send one record and remember it for ``redeliver``."""
        try:
            await self.publisher.send(topic, key, value, headers)
        except KafkaIOError as exc:
            raise StepFailed(str(exc)) from exc
        self.last_sent = (topic, key, value, headers)
        if key is not None:
            self.sent[key] = value

    async def produce_step(self, step: Step) -> None:
        """Produce an event in its topic's shape to a consumed topic.

        The key is read before the payload, as a contract writes them, so a ``${new:...}``
        in the key can be used in the payload.
        """
        body = step["produce"]
        key = substitute(body["key"], self.variables) if "key" in body else None
        value, headers = self._envelope(body)
        await self._produce(body["topic"], key, value, headers)

    async def produce_raw_step(self, step: Step) -> None:
        """Produce a raw value (for example one that is not JSON)."""
        body = substitute(step["produce_raw"], self.variables)
        await self._produce(body["topic"], body.get("key"), body["value"].encode(), {})

    async def redeliver_step(self, step: Step) -> None:
        """Send the last produced record again, byte for byte."""
        if self.last_sent is None:
            raise ScenarioError("redeliver before any produce step")
        await self._produce(*self.last_sent)

    async def _records(
        self, topic: str, accept: Callable[[Record], bool], within_s: float
    ) -> list[Record]:
        """Records of ``topic`` that ``accept`` takes, waiting up to ``within_s`` for one."""
        deadline = time.monotonic() + within_s
        while True:
            found = [r for r in self.watcher.records(topic) if accept(r)]
            if found or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(POLL_S)

    async def expect_event_step(self, step: Step) -> None:
        """An event of the type (and key) appears, in the envelope, with the fields."""
        want = substitute(step["expect_event"], self.variables)
        within, name = want.get("within_s", DEFAULT_WITHIN_S), self._type_field(want["topic"])
        candidates = await self._records(want["topic"], lambda r: is_wanted(r, want, name), within)
        if not candidates:
            records = self.watcher.records(want["topic"])
            typed = [r for r in records if event_type(r, name) == want["type"]]
            raise StepFailed(missing_event(want, typed, within))
        problems = [event_problems(r, want, self.stack.contract) for r in candidates]
        if all(problems):
            raise StepFailed(f"{want['type']} on {want['topic']}: {'; '.join(problems[0])}")

    async def expect_no_event_step(self, step: Step) -> None:
        """After ``within_s``, at most ``count`` events of the type have this key."""
        want = substitute(step["expect_no_event"], self.variables)
        await asyncio.sleep(want.get("within_s", 2.0))
        name = self._type_field(want["topic"])
        same = [r for r in self.watcher.records(want["topic"]) if is_wanted(r, want, name)]
        if len(same) > want.get("count", 0):
            raise StepFailed(
                f"{len(same)} {want['type']} events with key {want['key']} on {want['topic']}, "
                f"at most {want.get('count', 0)} expected (applied more than once)"
            )

    async def expect_dlq_step(self, step: Step) -> None:
        """A record with the key reaches the dead-letter topic with the error headers."""
        want = substitute(step["expect_dlq"], self.variables)
        within, sent = want.get("within_s", DEFAULT_WITHIN_S), self.sent.get(want["key"])
        found = await self._records(
            want["topic"], lambda r: dead_lettered(r, want["key"], sent), within
        )
        if not found:
            raise StepFailed(
                f"no record keyed {want['key']} or carrying the record sent with that key on "
                f"the dead-letter topic {want['topic']} within {within:g} s"
            )
        missing = [h for h in want.get("headers", ()) if h not in found[0].headers]
        if missing:
            raise StepFailed(f"dead-letter record without the headers {', '.join(missing)}")

    def _type_field(self, topic: str) -> str:
        """The field naming the event type in ``topic``'s values."""
        return topic_shape(self.stack.contract, topic).type_field

    async def expect_any_event_step(self, step: Step) -> None:
        """Some record appears on one of the topics (a contract inferred without a design)."""
        want = substitute(step["expect_any_event"], self.variables)
        within, topics = want.get("within_s", DEFAULT_WITHIN_S), list(want["topics"])
        deadline = time.monotonic() + within
        while not any(self.watcher.records(topic) for topic in topics):
            if time.monotonic() >= deadline:
                raise StepFailed(f"no record on {', '.join(topics)} within {within:g} s")
            await asyncio.sleep(POLL_S)

    def handler(self, step: Step) -> tuple[str, Callable[[Step], Awaitable[None]]]:
        """The kind of ``step`` and the method that runs it.

        Raises:
            ScenarioError: If the step has no known kind.
        """
        kind = next((k for k in STEP_KINDS if k in step), "")
        if not kind:
            raise ScenarioError(f"unknown step {sorted(step)}")
        method: Callable[[Step], Awaitable[None]] = getattr(self, f"{kind}_step")
        return kind, method


def decoded(record: Record) -> Json:
    """The record's value as JSON, or None."""
    try:
        return json.loads(record.value)
    except ValueError:
        return None


def topic_shape(contract: Contract, name: str) -> Topic:
    """The contract's topic ``name``, or one with the default envelope when undeclared."""
    return contract.topic(name) or Topic(name, "produced")


def event_value(topic: Topic, event: str, payload: dict[str, Any], correlation: str) -> Json:
    """The value of a produced event: in the topic's envelope, or flat with its type field."""
    typed = {topic.type_field: event} if topic.type_field else {}
    if not topic.payload_field:
        return {**typed, **payload}
    envelope = {
        "event_id": str(uuid.uuid4()),
        "event_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": correlation,
    }
    return {**envelope, **typed, topic.payload_field: payload}


def event_type(record: Record, type_field: str = "event_type") -> str:
    """The event type from the value's ``type_field``, else from the ``event_type`` header."""
    value = decoded(record)
    if type_field and isinstance(value, dict) and isinstance(value.get(type_field), str):
        return str(value[type_field])
    return record.headers.get("event_type", "")


def is_wanted(record: Record, want: dict[str, Json], type_field: str = "event_type") -> bool:
    """Whether ``record`` has the expected event type and (when given) key."""
    right_type = event_type(record, type_field) == want["type"]
    return right_type and ("key" not in want or record.key == want["key"])


def dead_lettered(record: Record, key: str, sent: bytes | None) -> bool:
    """Whether a dead-letter ``record`` is the one sent with ``key``.

    Keyed like the original, or (when the consumer keys dead letters otherwise: by offset,
    by a constant) carrying the original value, as is or wrapped (see ``carries``).
    """
    return record.key == key or (sent is not None and carries(record.value, sent))


def missing_event(want: dict[str, Any], typed: list[Record], within: float) -> str:
    """Why no record matched: none of the type, or none with the key."""
    where = f"on {want['topic']} within {within:g} s"
    if not typed:
        return f"no {want['type']} event {where}"
    keys = sorted({str(r.key) for r in typed})[:5]
    return f"no {want['type']} event keyed {want.get('key')} {where} (keys seen: {', '.join(keys)})"


def _header_problems(record: Record, want: dict[str, Any], required: tuple[str, ...]) -> list[str]:
    """Missing required headers and header values that differ."""
    problems = [f"header {name} missing" for name in required if name not in record.headers]
    for name, value in want.get("headers", {}).items():
        if record.headers.get(name) != value:
            problems.append(f"header {name} is {record.headers.get(name)!r}, expected {value!r}")
    return problems


def event_problems(record: Record, want: dict[str, Any], contract: Contract) -> list[str]:
    """What in ``record`` breaks the envelope, the design's fields or the expectation."""
    value = decoded(record)
    if not isinstance(value, dict):
        return ["the value is not a JSON object"]
    problems = [f"envelope field {f} missing" for f in contract.envelope if f not in value]
    topic = topic_shape(contract, want["topic"])
    problems += _header_problems(record, want, topic.headers)
    payload = value.get(topic.payload_field, value) if topic.payload_field else value
    fields = topic.fields_of(want["type"])
    problems += [
        f"payload field {f} missing"
        for f in fields
        if not isinstance(payload, dict) or f not in payload
    ]
    problems += mismatches(want.get("payload", {}), payload, "payload")
    return problems


async def run_scenario(session: ScenarioSession, scenario: Scenario) -> ScenarioResult:
    """Run ``scenario``'s steps until one fails."""
    started = time.monotonic()
    session.scenario, session.variables, session.last_sent = scenario.name, {}, None
    session.sent = {}
    for index, step in enumerate(scenario.steps, start=1):
        kind = "step"
        try:
            kind, handler = session.handler(step)
            await handler(step)
        except (StepFailed, ScenarioError) as exc:
            failure = StepFailure(index, kind, clean_text(str(exc)))
            return ScenarioResult(scenario, failure, round(time.monotonic() - started, 3))
    return ScenarioResult(scenario, None, round(time.monotonic() - started, 3))


def watched_topics(contract: Contract) -> tuple[str, ...]:
    """The topics the harness reads: what the project produces and dead-letters."""
    return tuple(t.name for t in contract.topics if t.role in ("produced", "dead_letter"))


async def run_all(stack: DesignStack, served: frozenset[str]) -> ScenarioRun:
    """Run every scenario of the stack's contract, in order, under ``served``'s prefix."""
    prefix = api_prefix(stack.contract, served)
    watcher = TopicWatcher(stack.bootstrap, watched_topics(stack.contract))
    publisher, calls = Publisher(stack.bootstrap), list[Call]()
    await watcher.start()
    try:
        async with stack.server.gate.shared(), stack.server.client(timeout_s=15.0) as client:
            session = ScenarioSession(stack, client, watcher, publisher, prefix, calls)
            results = [await run_scenario(session, s) for s in stack.contract.scenarios]
    finally:
        await publisher.stop()
        await watcher.stop()
    return ScenarioRun(stack, tuple(results), tuple(calls), prefix, served)


async def openapi_paths(stack: DesignStack) -> frozenset[str]:
    """The path templates of the stack's live OpenAPI document (empty when it has none)."""
    async with stack.server.client() as client:
        try:
            response = await client.get("/openapi.json")
            paths = response.json().get("paths", {})
        except (httpx.HTTPError, ValueError, AttributeError):
            return frozenset()
    return frozenset(path_template(p) for p in paths) if isinstance(paths, dict) else frozenset()


def api_prefix(contract: Contract, served: AbstractSet[str]) -> str:
    """The one prefix (``/api/v1``) under which the service serves every design path, or ""."""
    wanted = [e.template for e in contract.endpoints if e.openapi]
    if not served or any(t in served for t in wanted):
        return ""
    prefixes = {p[: -len(t)] for t in wanted for p in served if p.endswith(t) and p != t}
    return prefixes.pop() if len(prefixes) == 1 else ""


@provides(SCENARIO_RUN)
async def scenario_run(facts: Facts) -> ScenarioRun:
    """Start the design stack and run the contract's scenarios against it."""
    stack = await facts.get(DESIGN_STACK)
    return await run_all(stack, await openapi_paths(stack))
