"""Mutations of reference_impl caught by the resilience items (case order-service).

Each mutation edits a temporary copy of the reference, scores only its target item on the
full tier with the order-service case contract (the resilience stack: a fresh database, an
embedded broker behind the harness's gate, the Procfile's relay and consumer in the
sandbox) and asserts it fails.

Not here, because no experiment can see it: dropping the processed-events insert. The
reference's consumer also guards the order's state machine, so an event delivered again
after a crash finds the order no longer PENDING and changes nothing, with or without the
insert; from outside (the API, the topics) the two behave the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.contract import case_contract
from evals.model import Tier
from tests.mutations.helpers import Mutation, assert_caught, replace_in_file, score_mutation

RELAY_SERVICE = "src/app/services/outbox_relay.py"
OUTBOX_REPOSITORY = "src/app/repositories/outbox.py"
CONSUMER = "src/app/kafka/consumer.py"


def failed_publishes_marked_sent(root: Path) -> None:
    """The relay marks every claimed row sent whatever the broker answered (fire and forget)."""
    path = root / RELAY_SERVICE
    replace_in_file(
        path,
        "sent = [r.message_id for r in results if r.error is None]",
        "sent = [r.message_id for r in results]",
    )
    replace_in_file(
        path,
        "failed = [r for r in results if r.error is not None]",
        "failed: list[PublishResult] = []",
    )


def marked_sent_when_claimed(root: Path) -> None:
    """The relay marks rows sent when it claims them, before the broker acknowledged them."""
    replace_in_file(
        root / OUTBOX_REPOSITORY,
        "                locked_until=func.now() + lease,\n",
        "                locked_until=func.now() + lease,\n                sent_at=func.now(),\n",
    )


def offset_committed_first(root: Path) -> None:
    """The consumer commits a partition's offset before its database transaction."""
    old = (
        "            await self._process_partition_records(records)\n"
        "            await self._consumer.commit({partition: records[-1].offset + 1})\n"
    )
    new = (
        "            await self._consumer.commit({partition: records[-1].offset + 1})\n"
        "            await self._process_partition_records(records)\n"
    )
    replace_in_file(root / CONSUMER, old, new)


def sigterm_ignored(root: Path) -> None:
    """The relay and the consumer ignore SIGTERM."""
    replace_in_file(
        root / CONSUMER,
        "loop.add_signal_handler(sig, stop.set)",
        "loop.add_signal_handler(sig, lambda: None)",
    )


RESILIENCE_MUTATIONS = [
    Mutation(
        "failed publishes marked sent", ("resilience.broker_outage",), failed_publishes_marked_sent
    ),
    Mutation(
        "outbox rows marked sent when claimed",
        ("resilience.publisher_crash",),
        marked_sent_when_claimed,
    ),
    Mutation(
        "offset committed before the transaction",
        ("resilience.consumer_crash",),
        offset_committed_first,
    ),
    Mutation("SIGTERM ignored", ("resilience.graceful_shutdown",), sigterm_ignored),
]


@pytest.mark.slow
@pytest.mark.full
@pytest.mark.parametrize("mutation", RESILIENCE_MUTATIONS, ids=str)
async def test_resilience_mutation_is_caught(mutation: Mutation, tmp_path: Path) -> None:
    contract = case_contract("order-service")
    result = await score_mutation(mutation, tmp_path / "project", tier=Tier.FULL, contract=contract)
    assert_caught(result, mutation)


@pytest.mark.slow
@pytest.mark.full
async def test_without_a_case_the_resilience_items_skip_and_say_why(tmp_path: Path) -> None:
    unchanged = Mutation("unchanged", (), lambda _root: None)
    select = ("resilience.broker_outage", "resilience.consumer_crash")
    result = await score_mutation(unchanged, tmp_path / "project", select=select)
    for item in select:
        check = result.by_id(item)
        assert check.status.value == "skip" and "--case" in check.outcome.reason, check
