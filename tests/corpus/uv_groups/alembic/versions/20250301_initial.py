"""initial inventory schema

Revision ID: 7c2d9e41b0aa
Revises:
Create Date: 2025-03-01 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "7c2d9e41b0aa"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create warehouses, items, the outbox and the handled-event ledger."""
    op.create_table(
        "warehouse",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(12), nullable=False, unique=True),
    )
    op.create_table(
        "stock_item",
        sa.Column("sku", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), sa.ForeignKey("warehouse.id"), nullable=False),
        sa.CheckConstraint("quantity >= 0", name="ck_stock_item_quantity"),
    )
    op.create_index("ix_stock_item_warehouse_id", "stock_item", ["warehouse_id"])
    op.create_table(
        "pending_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("topic", sa.String(120), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_pending_message_sent_at", "pending_message", ["sent_at"])
    op.create_table(
        "handled_event",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column(
            "handled_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )


def downgrade() -> None:
    """Drop the schema."""
    op.drop_table("handled_event")
    op.drop_index("ix_pending_message_sent_at", table_name="pending_message")
    op.drop_table("pending_message")
    op.drop_index("ix_stock_item_warehouse_id", table_name="stock_item")
    op.drop_table("stock_item")
    op.drop_table("warehouse")
