"""Downgrade to base and back to head."""

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory


def test_round_trip(alembic_config: Config, migrated: None) -> None:
    command.downgrade(alembic_config, "base")
    command.upgrade(alembic_config, "head")
    assert ScriptDirectory.from_config(alembic_config).get_current_head() == "001_inventory"
