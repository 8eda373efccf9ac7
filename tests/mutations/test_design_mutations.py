"""Mutations of reference_impl caught by the design-conformance items (case order-service).

Each mutation edits a temporary copy of the reference, scores only its target items on the
full tier with the order-service case contract (the design stack: a fresh database, a broker
of its own, the Procfile's relay and consumer in the sandbox) and asserts they fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.contract import case_contract
from evals.model import Tier
from tests.mutations.helpers import Mutation, assert_caught, replace_in_file, score_mutation

ORDERS_ROUTES = "src/app/api/routes/orders.py"
ORDERS_SERVICE = "src/app/services/orders.py"
PAYMENTS_SERVICE = "src/app/services/payment_events.py"
CONSUMER = "src/app/kafka/consumer.py"


def relay_not_started(root: Path) -> None:
    """The Procfile no longer starts the outbox relay: nothing is ever published."""
    replace_in_file(root / "Procfile", "relay: python -m app.entrypoints relay\n", "")


def cancel_renamed(root: Path) -> None:
    """POST /orders/{order_id}/cancel moves to /orders/{order_id}/void."""
    replace_in_file(root / ORDERS_ROUTES, '"/{order_id}/cancel"', '"/{order_id}/void"')


def not_found_unhandled(root: Path) -> None:
    """GET of a missing order raises an unhandled error instead of the domain 404."""
    old = "        order = await self._views.get(order_id)\n        if order is None:\n"
    new = old + '            raise RuntimeError("order lookup failed")\n'
    replace_in_file(root / ORDERS_SERVICE, old, new)


def dead_letter_send_removed(root: Path) -> None:
    """The consumer logs a poison message as dead-lettered but never sends it."""
    replace_in_file(root / CONSUMER, "await self._dlq.publish(message)", "pass")


def redelivery_applied_again(root: Path) -> None:
    """Every delivery counts as new and payment results ignore the state machine."""
    replace_in_file(
        root / PAYMENTS_SERVICE,
        "flags.append(envelope.event_id in unseen)",
        "flags.append(True)",
    )
    replace_in_file(
        root / ORDERS_SERVICE,
        "if not can_transition(statuses[result.order_id], target):",
        "if False:",
    )


DESIGN_MUTATIONS = [
    Mutation("relay not in the Procfile", ("kafka.publish_runtime",), relay_not_started),
    Mutation("cancel endpoint renamed", ("design.endpoints",), cancel_renamed),
    Mutation("not-found path raises", ("design.scenarios",), not_found_unhandled),
    Mutation("dead-letter send removed", ("kafka.consume_runtime",), dead_letter_send_removed),
    Mutation(
        "redelivered payment applied again", ("kafka.consume_runtime",), redelivery_applied_again
    ),
]


@pytest.mark.slow
@pytest.mark.full
@pytest.mark.parametrize("mutation", DESIGN_MUTATIONS, ids=str)
async def test_design_mutation_is_caught(mutation: Mutation, tmp_path: Path) -> None:
    contract = case_contract("order-service")
    result = await score_mutation(mutation, tmp_path / "project", tier=Tier.FULL, contract=contract)
    assert_caught(result, mutation)


@pytest.mark.slow
@pytest.mark.full
async def test_without_a_case_the_design_items_skip_and_publishing_is_inferred(
    tmp_path: Path,
) -> None:
    unchanged = Mutation("unchanged", (), lambda _root: None)
    select = ("design.endpoints", "kafka.consume_runtime", "kafka.publish_runtime")
    result = await score_mutation(unchanged, tmp_path / "project", select=select)
    for item in select[:2]:
        check = result.by_id(item)
        assert check.status.value == "skip" and "--case" in check.outcome.reason, check
    published = result.by_id("kafka.publish_runtime")
    assert published.status.value == "pass", published.outcome
    assert "inferred" in published.outcome.findings[0].message


@pytest.mark.slow
@pytest.mark.full
async def test_without_a_case_a_relay_that_never_runs_fails_the_inferred_publish(
    tmp_path: Path,
) -> None:
    mutation = Mutation("relay not started, no case", ("kafka.publish_runtime",), relay_not_started)
    result = await score_mutation(mutation, tmp_path / "project", tier=Tier.FULL)
    assert_caught(result, mutation)
    assert "no record on orders.v1" in result.by_id("kafka.publish_runtime").outcome.reason
