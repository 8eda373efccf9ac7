"""Inventory schema.

Revision ID: 001_inventory
Revises:
Create Date: 2026-04-02 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "001_inventory"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create products, reservations, outbox_records and handled_events."""
    op.create_table(
        "products",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("sku", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("product_id", sa.Uuid(), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("order_ref", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
    )
    op.create_index("ix_reservations_product_id", "reservations", ["product_id"])
    op.create_index("ix_reservations_order_ref", "reservations", ["order_ref"])
    op.create_table(
        "outbox_records",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("topic", sa.String(100), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", postgresql.JSONB(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index(
        "ix_outbox_records_unpublished",
        "outbox_records",
        ["id"],
        postgresql_where=sa.text("published IS false"),
    )
    op.create_table(
        "handled_events",
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "handled_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )


def downgrade() -> None:
    """Drop the inventory schema."""
    op.drop_table("handled_events")
    op.drop_index("ix_outbox_records_unpublished", table_name="outbox_records")
    op.drop_table("outbox_records")
    op.drop_index("ix_reservations_order_ref", table_name="reservations")
    op.drop_index("ix_reservations_product_id", table_name="reservations")
    op.drop_table("reservations")
    op.drop_table("products")
