"""Placeholders, subset matching and event checks of the scenario runner (unit tests)."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace
from typing import Any, cast

import pytest

from evals.checks.design import endpoint_finding, reaches
from evals.contract import Endpoint, Topic, case_contract
from evals.facts.design_stack import DesignStack
from evals.facts.kafka_io import Record
from evals.facts.matching import ScenarioError, carries, mismatches, pick, substitute
from evals.facts.scenarios import (
    Call,
    ScenarioSession,
    api_prefix,
    dead_lettered,
    event_problems,
    event_type,
    event_value,
    is_wanted,
)


def test_new_placeholders_make_and_capture_a_uuid() -> None:
    variables: dict[str, object] = {}
    value = substitute({"id": "${new:x}", "path": "/o/${x}"}, variables)
    assert value["path"] == f"/o/{variables['x']}" and value["id"] == variables["x"]
    assert len(str(variables["x"])) == 36


def test_a_lone_placeholder_keeps_the_captured_type() -> None:
    assert substitute("${n}", {"n": 3}) == 3
    assert substitute("n=${n}", {"n": 3}) == "n=3"


def test_an_unknown_placeholder_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="before a step captured it"):
        substitute("/orders/${missing}", {})


def test_subset_matching_accepts_extra_keys_and_numbers_as_decimal_strings() -> None:
    assert (
        mismatches(
            {"total": "40.00", "items": [{"id": 1}]}, {"total": 40, "items": [{"id": 1, "z": 2}]}
        )
        == []
    )


def test_subset_matching_reports_each_difference() -> None:
    found = mismatches({"status": "PENDING", "items": [], "id": "1"}, {"status": "X", "items": [1]})
    assert found == [
        "status: expected 'PENDING', got 'X'",
        "items: expected 0 element(s), got 1",
        "id: missing",
    ]


def test_strings_are_not_compared_as_numbers() -> None:
    assert mismatches("1", "1.0") != []
    assert mismatches(True, 1) != []


def test_pick_follows_dotted_paths() -> None:
    assert pick({"items": [{"id": "a"}]}, "items.0.id") == "a"
    with pytest.raises(ScenarioError, match=r"no 'items.1.id'"):
        pick({"items": [{"id": "a"}]}, "items.1.id")


def _record(value: object, key: str = "o-1", **headers: str) -> Record:
    return Record("orders.v1", 0, 0, key, json.dumps(value).encode(), dict(headers))


def _envelope(**payload: object) -> dict[str, object]:
    return {
        "event_id": "e",
        "event_type": "OrderCancelled",
        "event_version": 1,
        "occurred_at": "t",
        "correlation_id": None,
        "payload": payload,
    }


def test_an_event_in_the_design_envelope_passes() -> None:
    contract = case_contract("order-service")
    record = _record(
        _envelope(order_id="o-1", status="CANCELLED"),
        event_type="OrderCancelled",
        correlation_id="c",
    )
    want = {
        "topic": "orders.v1",
        "type": "OrderCancelled",
        "key": "o-1",
        "payload": {"status": "CANCELLED"},
    }
    assert is_wanted(record, want)
    assert event_problems(record, want, contract) == []


def test_event_problems_name_missing_headers_fields_and_values() -> None:
    contract = case_contract("order-service")
    envelope = _envelope(order_id="o-1", status="PENDING")
    del envelope["occurred_at"]
    record = _record(envelope, event_type="OrderCancelled")
    want = {"topic": "orders.v1", "type": "OrderCancelled", "payload": {"status": "CANCELLED"}}
    assert event_problems(record, want, contract) == [
        "envelope field occurred_at missing",
        "header correlation_id missing",
        "payload.status: expected 'CANCELLED', got 'PENDING'",
    ]


def test_the_event_type_falls_back_to_the_header() -> None:
    assert event_type(Record("t", 0, 0, None, b"not json", {"event_type": "X"})) == "X"


def test_an_endpoint_is_served_when_one_call_got_its_success_status() -> None:
    endpoint = Endpoint("POST", "/orders/{order_id}/cancel", 200)
    ok = [Call("POST", "/orders/{}/cancel", 409, "s"), Call("POST", "/orders/{}/cancel", 200, "s")]
    assert endpoint_finding(endpoint, ok) is None
    missing = endpoint_finding(endpoint, [Call("POST", "/orders/{}/cancel", 404, "s")])
    assert missing is not None and "answered 404, never 200" in missing.message
    unreached = endpoint_finding(endpoint, [])
    assert unreached is not None and "no scenario reached it" in unreached.message


def test_one_common_prefix_is_found() -> None:
    contract = case_contract("order-service")
    served = {
        "/api/v1/orders",
        "/api/v1/orders/{}",
        "/api/v1/orders/{}/cancel",
        "/api/v1/health/live",
    }
    assert api_prefix(contract, served) == "/api/v1"
    assert api_prefix(contract, {"/orders", "/api/v1/orders/{}"}) == ""


FLAT = Topic("notes.v1", "produced", type_field="kind", payload_field="")


def test_a_flat_event_is_typed_by_its_own_field_and_carries_its_payload() -> None:
    contract = dataclasses.replace(case_contract("order-service"), envelope=(), topics=(FLAT,))
    record = _record({"event_id": "e", "kind": "note.published", "note_id": "n-1"}, key="n-1")
    want = {"topic": "notes.v1", "type": "note.published", "payload": {"note_id": "n-1"}}
    assert event_type(record) == "" and event_type(record, "kind") == "note.published"
    assert is_wanted(record, want, "kind")
    assert event_problems(record, want, contract) == []


def test_produced_events_take_the_topic_s_shape() -> None:
    flat = event_value(FLAT, "note.published", {"note_id": "n"}, "c")
    assert flat == {"kind": "note.published", "note_id": "n"}
    bare = event_value(Topic("v", "consumed", type_field="", payload_field=""), "V", {"a": 1}, "c")
    assert bare == {"a": 1}
    enveloped = event_value(Topic("orders.v1", "consumed"), "Paid", {"a": 1}, "c")
    assert enveloped["event_type"] == "Paid" and enveloped["payload"] == {"a": 1}
    assert enveloped["correlation_id"] == "c" and "event_id" in enveloped


def test_a_dead_letter_is_found_by_its_key_or_by_the_original_it_carries() -> None:
    raw = b"{not json"
    keyed_by_offset = Record("d", 0, 0, "17", json.dumps({"payload": raw.decode()}).encode(), {})
    assert dead_lettered(keyed_by_offset, "poison-1", raw)
    assert dead_lettered(Record("d", 0, 0, "poison-1", b"x", {}), "poison-1", None)
    assert dead_lettered(Record("d", 0, 0, "dlq", raw, {}), "poison-1", raw)
    assert not dead_lettered(keyed_by_offset, "poison-2", b"{other")


def test_carries_finds_the_original_as_text_or_as_a_parsed_object() -> None:
    original = json.dumps({"message_id": "m", "decision": "reject"}).encode()
    as_text = json.dumps({"raw": original.decode(), "error": "x"}).encode()
    as_object = json.dumps({"original": json.loads(original), "error": "x"}).encode()
    assert carries(as_text, original) and carries(as_object, original)
    assert not carries(json.dumps({"raw": "other"}).encode(), original)
    assert not carries(b"not json", original) and not carries(b"{}", b"")


def test_a_call_with_a_literal_id_reaches_the_parameterised_endpoint() -> None:
    endpoint = Endpoint("GET", "/items/{sku}", 200)
    assert reaches(Call("GET", "/items/BOLT-1", 200, "s"), endpoint)
    assert reaches(Call("GET", "/items/{}", 200, "s"), endpoint)
    assert not reaches(Call("GET", "/items", 200, "s"), endpoint)
    assert not reaches(Call("POST", "/items/BOLT-1", 200, "s"), endpoint)
    assert not reaches(Call("GET", "/items/{}", 200, "s"), Endpoint("GET", "/items/search", 200))
    assert endpoint_finding(endpoint, [Call("GET", "/items/BOLT-1", 200, "s")]) is None


@dataclasses.dataclass
class _Publisher:
    sent: list[tuple[str, str | None, bytes]] = dataclasses.field(default_factory=list)

    async def send(self, topic: str, key: str | None, value: bytes, _: dict[str, str]) -> None:
        self.sent.append((topic, key, value))


async def test_a_produce_step_reads_its_key_before_its_payload() -> None:
    publisher = _Publisher()
    stack = cast(DesignStack, SimpleNamespace(contract=case_contract("order-service")))
    session = ScenarioSession(stack, cast(Any, None), cast(Any, None), cast(Any, publisher), "", [])
    step = {
        "produce": {
            "topic": "payments.v1",
            "key": "${new:order}",
            "type": "PaymentSucceeded",
            "payload": {"order_id": "${order}"},
        }
    }
    await session.produce_step(step)
    [(topic, key, value)] = publisher.sent
    assert topic == "payments.v1" and key == session.variables["order"]
    assert json.loads(value)["payload"] == {"order_id": key}
    assert session.sent == {key: value}
