"""Unit tests of the project-file checks (README, pre-commit, Makefile, Poetry, Compose, Docker).

Each test writes a tiny project into tmp_path and runs one check on it with
``compute_check``; cases are named after the verdict they must produce.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from evals.checks.infrastructure import COMPOSE_SCHEMA, compose_validator
from evals.checks.project_files import MAKE_TARGETS
from evals.facts.project_config import makefile_targets, parse_dockerfile, parse_markdown
from evals.model import Outcome, Status, Tier
from evals.testing import compute_check

README_OK = """\
# Order service

## Architecture

```mermaid
flowchart LR
  api --> db
```

## Installation
## Usage
## Configuration
## Testing
## Deployment
"""
PRECOMMIT_OK = """\
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.6.9
    hooks:
      - id: ruff
      - id: ruff-format
  - repo: https://github.com/psf/black
    rev: 24.8.0
    hooks:
      - id: black
  - repo: https://github.com/pre-commit/mirrors-mypy
    rev: v1.11.2
    hooks:
      - id: mypy
"""
MAKEFILE_OK = """\
PYTEST := pytest -q
SRC = src tests
.PHONY: lint format type-check test test-unit test-integration run-local db-migrate clean

define HELP
lint: not a target
endef

lint: ## Lint
\t@echo ruff check $(SRC)
format:
\t@echo black $(SRC)
type-check:
\t@echo mypy src
test: test-unit test-integration
test-unit test-integration:
\t@echo $(PYTEST) tests/$(subst test-,,$@)
run-local:
\t@echo uvicorn app.main:app
db-migrate:
\t@echo alembic upgrade head
clean:
\t@echo rm -rf .cache
"""
PYPROJECT_OK = """\
[project]
name = "order-service"
version = "1.0.0"
dependencies = ["asyncpg>=0.29"]
"""
LOCK_OK = """\
[[package]]
name = "asyncpg"
version = "0.29.0"

[metadata]
lock-version = "2.1"
content-hash = "abc"
"""
COMPOSE_OK = """\
name: order-service
services:
  postgres:
    image: postgres:16
    healthcheck:
      test: ["CMD", "pg_isready"]
      interval: 5s
  kafka:
    image: apache/kafka:3.8.0
    healthcheck:
      test: ["CMD-SHELL", "kafka-topics.sh --list"]
  migrate:
    build: .
    command: alembic upgrade head
    depends_on:
      postgres:
        condition: service_healthy
  api:
    build:
      context: .
      dockerfile: docker/Dockerfile
    ports:
      - "8000:8000"
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000/health/live"]
    depends_on:
      postgres:
        condition: service_healthy
      kafka:
        condition: service_healthy
      migrate:
        condition: service_completed_successfully
"""
DOCKERFILE_OK = """\
FROM python:3.11-slim AS build
RUN pip wheel --wheel-dir /wheels .

FROM python:3.11-slim
COPY --from=build /wheels /wheels
RUN useradd --create-home app
USER app
HEALTHCHECK --interval=10s \\
  CMD python -c "print('ok')"
CMD ["uvicorn", "app.main:app"]
"""


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``root`` plus a pyproject; return root."""
    files = {"pyproject.toml": PYPROJECT_OK, **files}
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


async def run_check(item_id: str, root: Path, files: dict[str, str]) -> Outcome:
    """Write a tiny project and run one static check on it."""
    return await compute_check(item_id, write_project(root, files), tier=Tier.STATIC)


def messages(outcome: Outcome) -> str:
    """All finding messages of an outcome, one per line."""
    return "\n".join(f.message for f in outcome.findings)


# ---------------------------------------------------------------- docs.readme


async def test_readme_with_all_sections_and_diagram_passes(tmp_path: Path) -> None:
    outcome = await run_check("docs.readme", tmp_path, {"README.md": README_OK})
    assert outcome.status is Status.PASS, outcome


async def test_readme_without_deployment_and_diagram_fails(tmp_path: Path) -> None:
    text = README_OK.replace("## Deployment\n", "").replace("```mermaid", "```text")
    outcome = await run_check("docs.readme", tmp_path, {"README.md": text})
    assert outcome.status is Status.FAIL
    assert "no deployment section" in messages(outcome)
    assert "no architecture diagram" in messages(outcome)
    assert len(outcome.findings) == 2


async def test_missing_readme_fails(tmp_path: Path) -> None:
    outcome = await run_check("docs.readme", tmp_path, {})
    assert outcome.status is Status.FAIL
    assert "no README.md" in messages(outcome)


def test_markdown_headings_skip_code_blocks_and_read_setext() -> None:
    text = "Setup\n=====\n\n```bash\n# not a heading\n```\n\n![arch](docs/arch.png)\n"
    readme = parse_markdown("README.md", text)
    assert [(h.level, h.text, h.line) for h in readme.headings] == [(1, "Setup", 1)]
    assert readme.diagram_line == 8


def test_markdown_reads_html_images_mermaid_and_ignores_indented_code() -> None:
    text = "# Title\n\n    # indented code, not a heading\n\n<img src='a.png'>\n\n## Run\n"
    readme = parse_markdown("README.md", text)
    assert [(h.level, h.text) for h in readme.headings] == [(1, "Title"), (2, "Run")]
    assert readme.diagram_line == 5
    mermaid = parse_markdown("README.md", "Intro\n\n~~~mermaid\ngraph TD\n~~~\n")
    assert (mermaid.headings, mermaid.diagram_line) == ((), 3)


# ---------------------------------------------------------------- precommit.config


async def test_precommit_with_ruff_black_mypy_passes(tmp_path: Path) -> None:
    files = {".pre-commit-config.yaml": PRECOMMIT_OK}
    outcome = await run_check("precommit.config", tmp_path, files)
    assert outcome.status is Status.PASS, outcome


async def test_precommit_without_mypy_fails(tmp_path: Path) -> None:
    text = PRECOMMIT_OK.replace("      - id: mypy\n", "      - id: check-yaml\n")
    outcome = await run_check("precommit.config", tmp_path, {".pre-commit-config.yaml": text})
    assert outcome.status is Status.FAIL
    assert messages(outcome) == "no mypy hook"
    assert outcome.findings[0].path == ".pre-commit-config.yaml"


async def test_precommit_invalid_yaml_fails_with_line(tmp_path: Path) -> None:
    text = "repos:\n  - repo: x\n    hooks: [\n"
    outcome = await run_check("precommit.config", tmp_path, {".pre-commit-config.yaml": text})
    assert outcome.status is Status.FAIL
    assert "invalid YAML" in messages(outcome)
    assert outcome.findings[0].line is not None


# ---------------------------------------------------------------- make.targets


def test_makefile_parser_reads_rules_and_ignores_assignments() -> None:
    targets, includes = makefile_targets(MAKEFILE_OK + "include extra.mk\nTEST_X: Y = 1\n")
    assert set(targets) == set(MAKE_TARGETS)
    assert targets["test-unit"] == targets["test-integration"] == 16
    assert includes == ["extra.mk"]


@pytest.mark.slow
async def test_makefile_with_nine_targets_passes(tmp_path: Path) -> None:
    outcome = await run_check("make.targets", tmp_path, {"Makefile": MAKEFILE_OK})
    assert outcome.status is Status.PASS, outcome
    assert outcome.metrics["targets"] == 9


@pytest.mark.slow
async def test_makefile_without_clean_fails(tmp_path: Path) -> None:
    text = MAKEFILE_OK.replace("clean:\n\t@echo rm -rf .cache\n", "")
    outcome = await run_check("make.targets", tmp_path, {"Makefile": text})
    assert outcome.status is Status.FAIL
    assert messages(outcome) == "target 'clean' not defined"


@pytest.mark.slow
async def test_makefile_target_whose_dry_run_fails_fails(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    text = MAKEFILE_OK.replace("lint: ## Lint\n", "lint: missing-file.txt\n")
    text = text.replace("clean:\n", f"clean:\n\ttouch {marker}\n")
    outcome = await run_check("make.targets", tmp_path / "project", {"Makefile": text})
    assert outcome.status is Status.FAIL
    assert "`make -n lint` failed" in messages(outcome)
    assert outcome.findings[0].line == 9
    assert not marker.exists(), "make -n must not run recipes"


# ---------------------------------------------------------------- build.poetry


async def test_poetry_project_with_lock_passes(tmp_path: Path) -> None:
    outcome = await run_check("build.poetry", tmp_path, {"poetry.lock": LOCK_OK})
    assert outcome.status is Status.PASS, outcome


async def test_tool_poetry_metadata_passes(tmp_path: Path) -> None:
    pyproject = '[tool.poetry]\nname = "svc"\nversion = "0.1.0"\n'
    files = {"pyproject.toml": pyproject, "poetry.lock": LOCK_OK}
    outcome = await run_check("build.poetry", tmp_path, files)
    assert outcome.status is Status.PASS, outcome


async def test_poetry_without_lock_fails(tmp_path: Path) -> None:
    outcome = await run_check("build.poetry", tmp_path, {})
    assert outcome.status is Status.FAIL
    assert messages(outcome) == "poetry.lock not found"


async def test_poetry_invalid_lock_and_missing_version_fail(tmp_path: Path) -> None:
    files = {"pyproject.toml": '[project]\nname = "svc"\n', "poetry.lock": "[metadata\n"}
    outcome = await run_check("build.poetry", tmp_path, files)
    assert outcome.status is Status.FAIL
    assert "no version in [project] or [tool.poetry]" in messages(outcome)
    assert "invalid TOML" in messages(outcome)


async def test_uv_lock_stands_in_for_poetry_lock(tmp_path: Path) -> None:
    uv_lock = 'version = 1\n\n[[package]]\nname = "six"\nversion = "1.16.0"\n'
    outcome = await run_check("build.poetry", tmp_path, {"uv.lock": uv_lock})
    assert outcome.status is Status.PASS, outcome
    assert "uv" in outcome.reason


async def test_uv_lock_without_packages_fails(tmp_path: Path) -> None:
    outcome = await run_check("build.poetry", tmp_path / "p", {"uv.lock": "version = 1\n"})
    assert outcome.status is Status.FAIL
    assert messages(outcome) == "uv.lock locks no [[package]]"


# ---------------------------------------------------------------- infra.docker_compose


async def test_compose_with_healthy_stack_passes(tmp_path: Path) -> None:
    outcome = await run_check("infra.docker_compose", tmp_path, {"docker-compose.yml": COMPOSE_OK})
    assert outcome.status is Status.PASS, outcome


async def test_compose_schema_violation_fails_with_line(tmp_path: Path) -> None:
    text = COMPOSE_OK.replace("    ports:\n", "    portz:\n")
    outcome = await run_check("infra.docker_compose", tmp_path, {"docker-compose.yml": text})
    assert outcome.status is Status.FAIL
    assert "schema violation at services/api" in messages(outcome)
    assert "portz" in messages(outcome)
    assert outcome.findings[0].line == 22


async def test_compose_without_kafka_healthcheck_and_conditions_fails(tmp_path: Path) -> None:
    text = COMPOSE_OK.replace(
        '    healthcheck:\n      test: ["CMD-SHELL", "kafka-topics.sh --list"]\n', ""
    ).replace(
        "      kafka:\n        condition: service_healthy\n",
        "      kafka:\n        condition: service_started\n",
    )
    outcome = await run_check("infra.docker_compose", tmp_path, {"docker-compose.yml": text})
    assert outcome.status is Status.FAIL
    assert "service 'kafka' has no healthcheck" in messages(outcome)
    assert "service 'api': only waits for kafka to start" in messages(outcome)


async def test_compose_without_postgres_and_list_depends_on_fails(tmp_path: Path) -> None:
    text = textwrap.dedent("""\
        services:
          kafka:
            image: bitnami/kafka
            healthcheck: {test: ["CMD", "true"]}
          api:
            build: .
            healthcheck: {test: ["CMD", "true"]}
            depends_on: [kafka]
        """)
    outcome = await run_check("infra.docker_compose", tmp_path, {"docker-compose.yml": text})
    assert outcome.status is Status.FAIL
    assert "no PostgreSQL service" in messages(outcome)
    assert "service 'api': depends_on without conditions" in messages(outcome)


async def test_missing_compose_file_fails(tmp_path: Path) -> None:
    outcome = await run_check("infra.docker_compose", tmp_path, {})
    assert outcome.status is Status.FAIL
    assert outcome.reason == "no Compose file"


# ---------------------------------------------------------------- infra.dockerfile


def test_dockerfile_parser_joins_continuations() -> None:
    dockerfile = parse_dockerfile("docker/Dockerfile", DOCKERFILE_OK)
    stages = dockerfile.stages()
    assert len(stages) == 2
    healthcheck = next(i for i in stages[1] if i.keyword == "HEALTHCHECK")
    assert healthcheck.line == 8
    assert "CMD python" in healthcheck.arguments


async def test_multistage_nonroot_dockerfile_passes(tmp_path: Path) -> None:
    outcome = await run_check("infra.dockerfile", tmp_path, {"docker/Dockerfile": DOCKERFILE_OK})
    assert outcome.status is Status.PASS, outcome


async def test_single_stage_root_dockerfile_fails(tmp_path: Path) -> None:
    text = 'FROM python:3.11-slim\nUSER root\nCMD ["python"]\n'
    outcome = await run_check("infra.dockerfile", tmp_path, {"docker/Dockerfile": text})
    assert outcome.status is Status.FAIL
    assert "single-stage build (1 FROM)" in messages(outcome)
    assert "final stage does not run as a non-root USER" in messages(outcome)
    assert "final stage has no HEALTHCHECK" in messages(outcome)


async def test_dockerfile_outside_docker_dir_fails(tmp_path: Path) -> None:
    outcome = await run_check("infra.dockerfile", tmp_path, {"Dockerfile": DOCKERFILE_OK})
    assert outcome.status is Status.FAIL
    assert outcome.reason == "no Dockerfile under docker/"


def test_vendored_compose_schema_is_the_compose_specification() -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"] == "Compose Specification"
    assert "services" in schema["properties"]
    assert compose_validator().is_valid({"services": {"api": {"image": "svc"}}})
    assert not compose_validator().is_valid({"services": {"api": {"imagex": "svc"}}})
