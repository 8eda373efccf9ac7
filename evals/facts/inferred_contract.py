"""A contract inferred from the project itself, for ``kafka.publish_runtime`` without a case.

Without a tech design the harness still knows two things: the topics the project's settings
declare (fields named ``*topic*`` with a string default) and, from its OpenAPI document, a
write it can make (the first POST to a collection, with no path parameter, whose JSON body
has a documented example). The inferred contract has one scenario: make that write, expect a
success status, then expect a record on one of those topics. It judges only that a state
change reaches the broker; keys, envelopes and consumed events need the design's contract.
"""

from __future__ import annotations

from pathlib import Path

from evals.context import FactNotApplicable, Facts
from evals.contract import Contract, Endpoint, Scenario, Topic
from evals.facts.openapi import (
    OPENAPI,
    JsonObject,
    Operation,
    example_of,
    operations,
    request_media,
    responses,
)
from evals.facts.patterns import SETTINGS_FIELDS, SettingsField
from evals.registry import FactKey, provides

INFERRED_CASE = "inferred"
INFERRED_SOURCE = Path("<inferred from the settings and the OpenAPI document>")
PUBLISH_WITHIN_S = 20.0
DEAD_LETTER_WORDS = ("dlq", "dead")

INFERRED_CONTRACT: FactKey[Contract] = FactKey("inferred_contract")


def settings_topics(fields: tuple[SettingsField, ...]) -> list[str]:
    """Topic names the settings declare (defaults of ``*topic*`` fields), dead letters last."""
    names = [f.default for f in fields if "topic" in f.name.lower() and isinstance(f.default, str)]
    unique = list(dict.fromkeys(name for name in names if name))
    return sorted(unique, key=lambda name: any(w in name.lower() for w in DEAD_LETTER_WORDS))


def representative_write(doc: JsonObject) -> tuple[Operation, object, int] | None:
    """The first POST to a collection with a documented body example, and its success status."""
    for op in operations(doc):
        to_collection = op.method == "POST" and "{" not in op.path and not op.path_params
        media = request_media(doc, op) if to_collection else None
        example = example_of(doc, media) if media is not None else None
        codes = sorted(int(c) for c in responses(op) if c.isdigit() and c.startswith("2"))
        if example is not None and codes:
            return op, example, codes[0]
    return None


def inferred_contract(topics: list[str], write: tuple[Operation, object, int]) -> Contract:
    """The one-scenario contract: the write, then a record on one of ``topics``."""
    op, example, status = write
    steps = (
        {
            "request": {"method": "POST", "path": op.path, "json": example},
            "expect": {"status": status},
        },
        {"expect_any_event": {"topics": topics, "within_s": PUBLISH_WITHIN_S}},
    )
    scenario = Scenario(f"POST {op.path} publishes an event", "kafka.publish_runtime", steps)
    produced = tuple(Topic(name, "produced") for name in topics)
    endpoint = Endpoint("POST", op.path, status)
    return Contract(INFERRED_CASE, INFERRED_SOURCE, (endpoint,), (), produced, (scenario,))


@provides(INFERRED_CONTRACT)
async def infer_contract(facts: Facts) -> Contract:
    """Infer the contract (see the module docstring).

    Raises:
        FactNotApplicable: If the settings declare no topic or the document has no such write.
    """
    topics = settings_topics(await facts.get(SETTINGS_FIELDS))
    if not topics:
        raise FactNotApplicable("no case contract, and no settings field declares a topic")
    write = representative_write(await facts.get(OPENAPI))
    if write is None:
        raise FactNotApplicable(
            "no case contract, and the OpenAPI document has no POST to a collection with a "
            "documented request example to drive"
        )
    return inferred_contract(topics, write)
