"""Case contracts: what a tech design promises, in a form the harness can run.

A case lives in ``evals/cases/<case>/``: the tech design (Markdown, for people and for the
command) and ``contract.yaml`` (for the harness), which ``contract.schema.json`` describes:
the endpoints with their success and error statuses, the topics with their roles and event
types, and scenarios of HTTP calls and Kafka steps. ``evals score PATH --case NAME`` (or
``--contract FILE``) selects one; the design-conformance items run its scenarios.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CASES_DIR = Path(__file__).with_name("cases")
SCHEMA_PATH = Path(__file__).with_name("contract.schema.json")
CONTRACT_FILE = "contract.yaml"
_PARAM = re.compile(r"\{[^}/]*\}|\$\{[^}]*\}")

Step = dict[str, Any]


class ContractError(Exception):
    """A case contract is missing, unreadable or does not match its schema."""


def path_template(path: str) -> str:
    """``path`` with every parameter (``{order_id}`` or ``${order_id}``) written ``{}``."""
    return _PARAM.sub("{}", path)


@dataclass(frozen=True)
class Endpoint:
    """One operation the design names.

    Attributes:
        method: HTTP method, upper case.
        path: Path template, e.g. ``/orders/{order_id}``.
        success: The status a successful call answers.
        errors: The error statuses the design names.
        openapi: Whether the design puts it in the OpenAPI document.
    """

    method: str
    path: str
    success: int
    errors: tuple[int, ...] = ()
    openapi: bool = True

    @property
    def label(self) -> str:
        """``METHOD /path`` for findings."""
        return f"{self.method} {self.path}"

    @property
    def template(self) -> str:
        """The path with its parameters written ``{}`` (names do not matter)."""
        return path_template(self.path)


@dataclass(frozen=True)
class Topic:
    """One topic of the design.

    Attributes:
        name: Topic name.
        role: ``produced``, ``consumed`` or ``dead_letter``.
        key: The payload field whose value keys the records.
        group: The consumer group the design names (consumed topics).
        dead_letter: Where the consumer sends what it cannot process.
        headers: Headers every record carries.
        events: Event type → payload fields.
        type_field: The value's field naming the event type ("" when the value has none).
        payload_field: The value's field holding the payload ("" for a flat event, whose
            payload fields are the value's own).
    """

    name: str
    role: str
    key: str = ""
    group: str = ""
    dead_letter: str = ""
    headers: tuple[str, ...] = ()
    events: tuple[tuple[str, tuple[str, ...]], ...] = ()
    type_field: str = "event_type"
    payload_field: str = "payload"

    def fields_of(self, event_type: str) -> tuple[str, ...]:
        """The payload fields of ``event_type`` (empty when the design lists none)."""
        return dict(self.events).get(event_type, ())


@dataclass(frozen=True)
class Scenario:
    """Ordered steps; a failure is reported by the item that owns the scenario.

    Attributes:
        name: What it shows.
        owner: The checklist item that reports it.
        steps: The steps as the contract writes them (see the schema).
    """

    name: str
    owner: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Resilience:
    """What the resilience experiments drive and observe (see the schema).

    Attributes:
        write: The representative write (request, status, capture, event).
        effect: A consumed event per written entity and how its effect shows; None when
            the design consumes nothing.
    """

    write: Step
    effect: Step | None = None


@dataclass(frozen=True)
class Contract:
    """A loaded case contract.

    Attributes:
        case: The case's name.
        source: The file it was read from.
        endpoints: The design's operations.
        envelope: Fields every event value has.
        topics: The design's topics.
        scenarios: What the harness runs.
        resilience: What the resilience experiments need; None when the contract says not.
    """

    case: str
    source: Path
    endpoints: tuple[Endpoint, ...]
    envelope: tuple[str, ...]
    topics: tuple[Topic, ...]
    scenarios: tuple[Scenario, ...]
    resilience: Resilience | None = None

    def topic(self, name: str) -> Topic | None:
        """The topic called ``name``, if the design has it."""
        return next((topic for topic in self.topics if topic.name == name), None)

    def with_role(self, role: str) -> tuple[Topic, ...]:
        """The topics of one role."""
        return tuple(topic for topic in self.topics if topic.role == role)

    def owned_by(self, item_id: str) -> tuple[Scenario, ...]:
        """The scenarios item ``item_id`` reports."""
        return tuple(s for s in self.scenarios if s.owner == item_id)


def _read(path: Path) -> dict[str, Any]:
    """The YAML document at ``path``, validated against the schema.

    Raises:
        ContractError: If it cannot be read or does not match the schema.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ContractError(f"cannot read the contract {path}: {exc}") from exc
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(data)
    )
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ContractError(f"{path}: {where}: {error.message}")
    return dict(data)


def _topic(data: dict[str, Any]) -> Topic:
    """A :class:`Topic` from its YAML mapping."""
    events = tuple((name, tuple(fields)) for name, fields in data.get("events", {}).items())
    headers = tuple(data.get("headers", ()))
    names = ("name", "role", "key", "group", "dead_letter", "type_field", "payload_field")
    plain = {k: data[k] for k in names if k in data}
    return Topic(**plain, headers=headers, events=events)


def _resilience(data: dict[str, Any] | None) -> Resilience | None:
    """A :class:`Resilience` from its YAML mapping, if there is one."""
    return None if data is None else Resilience(data["write"], data.get("effect"))


def _endpoint(data: dict[str, Any]) -> Endpoint:
    """An :class:`Endpoint` from its YAML mapping."""
    errors = tuple(data.get("errors", ()))
    return Endpoint(
        data["method"], data["path"], data["success"], errors, data.get("openapi", True)
    )


def _resilience_bodies(resilience: Resilience | None) -> list[Step]:
    """The parts of the resilience section that name a topic."""
    if resilience is None:
        return []
    effect = resilience.effect or {}
    bodies = [resilience.write["event"], effect.get("produce"), effect.get("reaction")]
    return [body for body in bodies if body]


def undeclared_topics(contract: Contract) -> list[str]:
    """Topics that scenario steps or the resilience section name but are not declared."""
    named = {
        body["topic"]
        for scenario in contract.scenarios
        for step in scenario.steps
        for body in step.values()
        if isinstance(body, dict) and "topic" in body
    }
    named |= {
        name
        for scenario in contract.scenarios
        for step in scenario.steps
        for name in step.get("expect_any_event", {}).get("topics", ())
    }
    named |= {body["topic"] for body in _resilience_bodies(contract.resilience)}
    return sorted(name for name in named if contract.topic(name) is None)


def load_contract(path: Path) -> Contract:
    """Load and validate the contract at ``path``.

    Raises:
        ContractError: If it is unreadable, invalid, or names topics it does not declare.
    """
    data = _read(path)
    scenarios = tuple(Scenario(s["name"], s["owner"], tuple(s["steps"])) for s in data["scenarios"])
    contract = Contract(
        case=data["case"],
        source=path,
        endpoints=tuple(_endpoint(e) for e in data["endpoints"]),
        envelope=tuple(data.get("envelope", ())),
        topics=tuple(_topic(t) for t in data.get("topics", ())),
        scenarios=scenarios,
        resilience=_resilience(data.get("resilience")),
    )
    if missing := undeclared_topics(contract):
        raise ContractError(f"{path}: scenarios use undeclared topics: {', '.join(missing)}")
    return contract


def known_cases() -> list[str]:
    """The cases shipped with the harness (directories with a contract)."""
    return sorted(p.parent.name for p in CASES_DIR.glob(f"*/{CONTRACT_FILE}"))


def case_contract(name: str) -> Contract:
    """The contract of the shipped case ``name``.

    Raises:
        ContractError: If there is no such case.
    """
    if name not in known_cases():
        known = ", ".join(known_cases()) or "none"
        raise ContractError(f"unknown case {name!r} (known cases: {known})")
    return load_contract(CASES_DIR / name / CONTRACT_FILE)
