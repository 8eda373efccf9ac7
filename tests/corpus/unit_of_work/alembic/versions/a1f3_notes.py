"""Notes, revisions, outbox and inbox.

Revision ID: a1f3c0de0001
Revises:
Create Date: 2025-03-01 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a1f3c0de0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the schema."""
    op.create_table(
        "notes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("author", sa.String(80), nullable=False),
        sa.Column("title", sa.String(160), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notes_state", "notes", ["state"])
    op.create_index("ix_notes_author_created", "notes", ["author", "created_at"])
    op.create_table(
        "note_revisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("note_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["notes.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_note_revisions_note_id", "note_revisions", ["note_id"])
    create_messaging()


def create_messaging() -> None:
    """Create the outbox and inbox tables."""
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("partition_key", sa.String(80), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("relayed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_events_relayed", "outbox_events", ["relayed"])
    op.create_table(
        "inbox_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )


def downgrade() -> None:
    """Drop the schema."""
    for table in ("inbox_messages", "outbox_events", "note_revisions", "notes"):
        op.drop_table(table)
