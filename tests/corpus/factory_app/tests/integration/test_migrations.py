"""The migrations go down and up again."""

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory


def test_downgrade_and_upgrade(alembic_config: Config, migrated: None) -> None:
    command.downgrade(alembic_config, "base")
    command.upgrade(alembic_config, "head")
    head = ScriptDirectory.from_config(alembic_config).get_current_head()
    assert head == "0001"
