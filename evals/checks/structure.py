"""Checks of the project's layout and layering."""

from __future__ import annotations

from evals.context import CheckContext
from evals.facts.source import PROJECT_FILES
from evals.model import Finding, Outcome
from evals.registry import check

REQUIRED_PATHS = (
    "src/app/api/routes/",
    "src/app/api/dependencies.py",
    "src/app/api/middleware.py",
    "src/app/services/",
    "src/app/repositories/",
    "src/app/models/",
    "src/app/schemas/",
    "src/app/kafka/producer.py",
    "src/app/kafka/consumer.py",
    "src/app/core/config.py",
    "src/app/core/database.py",
    "src/app/core/logging.py",
    "src/app/exceptions/",
    "src/app/main.py",
    "tests/unit/",
    "tests/integration/",
    "tests/conftest.py",
    "alembic/",
    "docker/",
    "docker-compose.yml",
    "pyproject.toml",
    "Makefile",
    ".pre-commit-config.yaml",
    "README.md",
)


def _present(required: str, files: tuple[str, ...]) -> bool:
    if required.endswith("/"):
        return any(f.startswith(required) for f in files)
    return required in files


@check("structure.layout")
async def required_layout(ctx: CheckContext) -> Outcome:
    """Every path of the seed's project structure exists (directories must hold a file)."""
    files = await ctx.fact(PROJECT_FILES)
    missing = [
        Finding(f"missing {path}", path=path)
        for path in REQUIRED_PATHS
        if not _present(path, files)
    ]
    return Outcome.from_findings(missing, "required paths missing")
