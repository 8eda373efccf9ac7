"""The contract inferred without a case: topics from the settings, a write from OpenAPI."""

from __future__ import annotations

from evals.facts.inferred_contract import (
    INFERRED_CASE,
    inferred_contract,
    representative_write,
    settings_topics,
)
from evals.facts.patterns import SettingsField

EXAMPLE = {"name": "bolt", "quantity": 3}


def _field(name: str, default: object) -> SettingsField:
    return SettingsField("src/app/core/config.py", "Settings", name, default, 1)


def _doc(*, example: bool = True, path: str = "/items") -> dict[str, object]:
    schema: dict[str, object] = {"type": "object"}
    if example:
        schema["example"] = EXAMPLE
    body = {"content": {"application/json": {"schema": schema}}}
    create = {"requestBody": body, "responses": {"201": {"description": "created"}}}
    search = {"requestBody": body, "responses": {"200": {"description": "found"}}}
    return {
        "openapi": "3.1.0",
        "paths": {"/items/{sku}/reserve": {"post": search}, path: {"post": create}},
    }


def test_topics_are_the_defaults_of_topic_settings_dead_letters_last() -> None:
    fields = (
        _field("dlq_topic", "items.v1.dlq"),
        _field("items_topic", "items.v1"),
        _field("kafka_bootstrap_servers", "localhost:9092"),
        _field("events_topic", None),
        _field("copy_topic", "items.v1"),
    )
    assert settings_topics(fields) == ["items.v1", "items.v1.dlq"]


def test_the_write_is_a_collection_post_with_an_example() -> None:
    found = representative_write(_doc())
    assert found is not None
    op, example, status = found
    assert (op.path, example, status) == ("/items", EXAMPLE, 201)


def test_no_example_means_no_write() -> None:
    assert representative_write(_doc(example=False)) is None


def test_the_inferred_scenario_writes_then_expects_a_record_on_the_topics() -> None:
    found = representative_write(_doc())
    assert found is not None
    contract = inferred_contract(["items.v1"], found)
    assert contract.case == INFERRED_CASE
    (scenario,) = contract.owned_by("kafka.publish_runtime")
    request, expectation = scenario.steps
    assert request["request"]["json"] == EXAMPLE and request["expect"] == {"status": 201}
    assert expectation["expect_any_event"]["topics"] == ["items.v1"]
