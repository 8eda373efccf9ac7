"""The case contract: its schema, its loader, and the order-service contract's coverage."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evals.contract import (
    CASES_DIR,
    ContractError,
    case_contract,
    known_cases,
    load_contract,
    path_template,
)

ORDER_SERVICE = CASES_DIR / "order-service" / "contract.yaml"


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "contract.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _minimal() -> dict[str, object]:
    return {
        "case": "tiny",
        "endpoints": [{"method": "GET", "path": "/things", "success": 200}],
        "scenarios": [
            {
                "name": "list",
                "owner": "design.scenarios",
                "steps": [
                    {"request": {"method": "GET", "path": "/things"}, "expect": {"status": 200}}
                ],
            }
        ],
    }


def test_order_service_is_a_shipped_case() -> None:
    assert "order-service" in known_cases()
    contract = case_contract("order-service")
    assert contract.case == "order-service"
    assert {t.role for t in contract.topics} == {"produced", "consumed", "dead_letter"}


def test_unknown_case_names_the_known_ones() -> None:
    with pytest.raises(ContractError, match=r"unknown case 'nope'.*order-service"):
        case_contract("nope")


def test_a_minimal_contract_loads(tmp_path: Path) -> None:
    contract = load_contract(_write(tmp_path, _minimal()))
    assert contract.endpoints[0].label == "GET /things"
    assert contract.owned_by("design.scenarios")[0].name == "list"


def test_schema_errors_say_where(tmp_path: Path) -> None:
    data = _minimal()
    data["endpoints"] = [{"method": "FETCH", "path": "/things", "success": 200}]
    with pytest.raises(ContractError, match="endpoints/0/method"):
        load_contract(_write(tmp_path, data))


def test_unknown_step_kind_is_a_schema_error(tmp_path: Path) -> None:
    data = _minimal()
    data["scenarios"][0]["steps"] = [{"teleport": {}}]  # type: ignore[index]
    with pytest.raises(ContractError, match="scenarios/0/steps/0"):
        load_contract(_write(tmp_path, data))


def test_steps_may_only_use_declared_topics(tmp_path: Path) -> None:
    data = _minimal()
    step = {"produce": {"topic": "ghost.v1", "type": "X", "payload": {}}}
    data["scenarios"][0]["steps"] = [step]  # type: ignore[index]
    with pytest.raises(ContractError, match=r"undeclared topics: ghost.v1"):
        load_contract(_write(tmp_path, data))


def test_unreadable_yaml_is_a_contract_error(tmp_path: Path) -> None:
    path = tmp_path / "contract.yaml"
    path.write_text("case: [unclosed", encoding="utf-8")
    with pytest.raises(ContractError, match="cannot read the contract"):
        load_contract(path)


def test_path_templates_ignore_parameter_names() -> None:
    assert path_template("/orders/{order_id}/cancel") == path_template("/orders/${id}/cancel")
    assert path_template("/orders") == "/orders"


def test_order_service_scenarios_call_every_endpoint() -> None:
    contract = case_contract("order-service")
    called = {
        (step["request"]["method"], path_template(step["request"]["path"]))
        for scenario in contract.scenarios
        for step in scenario.steps
        if "request" in step
    }
    designed = {(e.method, e.template) for e in contract.endpoints}
    assert designed - called == set()


def test_order_service_scenarios_cover_every_event_of_the_design() -> None:
    contract = case_contract("order-service")
    steps = [step for scenario in contract.scenarios for step in scenario.steps]
    expected = {s["expect_event"]["type"] for s in steps if "expect_event" in s}
    produced = {s["produce"]["type"] for s in steps if "produce" in s}
    for topic in contract.with_role("produced"):
        assert {name for name, _ in topic.events} <= expected, topic.name
    for topic in contract.with_role("consumed"):
        assert {name for name, _ in topic.events} <= produced, topic.name
    assert any("expect_dlq" in s for s in steps) and any("redeliver" in s for s in steps)


def test_every_item_that_owns_scenarios_has_one() -> None:
    owners = {s.owner for s in case_contract("order-service").scenarios}
    assert owners == {"design.scenarios", "kafka.publish_runtime", "kafka.consume_runtime"}


def test_a_topic_may_name_its_type_and_payload_fields(tmp_path: Path) -> None:
    data = _minimal()
    data["topics"] = [
        {"name": "notes.v1", "role": "produced", "type_field": "kind", "payload_field": ""},
        {"name": "orders.v1", "role": "consumed"},
    ]
    contract = load_contract(_write(tmp_path, data))
    flat, enveloped = contract.topics
    assert (flat.type_field, flat.payload_field) == ("kind", "")
    assert (enveloped.type_field, enveloped.payload_field) == ("event_type", "payload")


def _write_section() -> dict[str, object]:
    return {
        "request": {"method": "POST", "path": "/things", "json": {"name": "${new:name}"}},
        "status": 201,
        "capture": "id",
        "event": {"topic": "things.v1", "type": "ThingCreated"},
    }


def test_a_contract_without_a_resilience_section_has_none(tmp_path: Path) -> None:
    assert load_contract(_write(tmp_path, _minimal())).resilience is None


def test_the_resilience_section_may_only_use_declared_topics(tmp_path: Path) -> None:
    data = {**_minimal(), "resilience": {"write": _write_section()}}
    with pytest.raises(ContractError, match=r"undeclared topics: things.v1"):
        load_contract(_write(tmp_path, data))
    data["topics"] = [{"name": "things.v1", "role": "produced"}]
    contract = load_contract(_write(tmp_path, data))
    assert contract.resilience is not None and contract.resilience.effect is None


def test_the_resilience_write_needs_its_event(tmp_path: Path) -> None:
    write = {k: v for k, v in _write_section().items() if k != "event"}
    data = {**_minimal(), "resilience": {"write": write}}
    with pytest.raises(ContractError, match="resilience/write"):
        load_contract(_write(tmp_path, data))


def test_order_service_resilience_drives_a_create_and_observes_a_payment() -> None:
    plan = case_contract("order-service").resilience
    assert plan is not None and plan.effect is not None
    assert plan.write["request"]["method"] == "POST" and plan.write["event"]["topic"] == "orders.v1"
    assert (
        plan.effect["produce"]["topic"] == "payments.v1"
        and "${id}" in plan.effect["observe"]["path"]
    )
