"""Checks of the project's layout and layering."""

from __future__ import annotations

from evals.context import CheckContext
from evals.facts.layout import CONTRACT_PACKAGE_DIR, LAYOUT
from evals.facts.source import PROJECT_FILES
from evals.model import Finding, Outcome
from evals.registry import check

PACKAGE_PATHS = (
    "api/routes/",
    "api/dependencies.py",
    "api/middleware.py",
    "services/",
    "repositories/",
    "models/",
    "schemas/",
    "kafka/producer.py",
    "kafka/consumer.py",
    "core/config.py",
    "core/database.py",
    "core/logging.py",
    "exceptions/",
    "main.py",
)
ROOT_PATHS = (
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
    """Every path of the seed's project structure exists (directories must hold a file).

    The application package is judged where the locator found it: a package at ``app/``
    is one deviation, not a missing file for every path inside ``src/app``.
    """
    files = await ctx.fact(PROJECT_FILES)
    layout = await ctx.fact(LAYOUT)
    package = layout.package_dir or CONTRACT_PACKAGE_DIR
    required = [f"{package}/{path}" for path in PACKAGE_PATHS]
    missing = [
        Finding(f"missing {path}", path=path)
        for path in (*required, *ROOT_PATHS)
        if not _present(path, files)
    ]
    findings = layout.deviations() + missing
    return Outcome.from_findings(findings, "departures from the required layout")
