"""A mutation of reference_impl caught by ``api.abuse`` (hostile input on the live app).

The list query's customer filter is written into the SQL text instead of being bound:
a quote in ``customer_id`` then breaks the statement and the app answers 500. The
mutation is unrelated to the reference's own known abuse bugs (NUL bytes, total overflow,
bad cursors, dropped keep-alive connections), so the test asserts the finding it causes,
not only that the item fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.model import Tier
from tests.mutations.helpers import Mutation, assert_caught, replace_in_file, score_mutation

REPOSITORY = "src/app/repositories/orders.py"
BOUND_FILTER = "statement.where(Order.customer_id == query.customer_id)"
INTERPOLATED_FILTER = "statement.where(text(f\"orders.customer_id = '{query.customer_id}'\"))"
EXPECTED_FINDING = "a quote and a statement in query parameter customer_id"


def interpolate_customer_filter(root: Path) -> None:
    """GET /orders?customer_id=... puts the value into the SQL text, quotes and all."""
    path = root / REPOSITORY
    replace_in_file(path, "from sqlalchemy import Select,", "from sqlalchemy import Select, text,")
    replace_in_file(path, BOUND_FILTER, INTERPOLATED_FILTER)


ABUSE_MUTATION = Mutation(
    "customer filter interpolated into SQL", ("api.abuse",), interpolate_customer_filter
)


@pytest.mark.slow
@pytest.mark.full
async def test_sql_built_from_input_is_caught(tmp_path: Path) -> None:
    result = await score_mutation(ABUSE_MUTATION, tmp_path / "project", tier=Tier.FULL)
    assert_caught(result, ABUSE_MUTATION)
    messages = [finding.message for finding in result.by_id("api.abuse").outcome.findings]
    assert any(
        message.startswith(f"GET /orders: {EXPECTED_FINDING} -> answered 500")
        for message in messages
    ), messages
