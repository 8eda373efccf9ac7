"""Checks of the container setup: the Compose file and the production Dockerfile."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema

from evals.context import CheckContext, FactUnavailable
from evals.facts.project_config import COMPOSE, DOCKERFILES, PYPROJECT, ConfigDocument, Dockerfile
from evals.model import Finding, Outcome
from evals.registry import check

COMPOSE_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "compose-spec.json"
MAX_SCHEMA_FINDINGS = 10
POSTGRES_IMAGES = ("postgres", "postgis")
KAFKA_IMAGES = ("kafka", "redpanda", "tansu")
MIN_STAGES = 2
ROOT_USERS = frozenset({"root", "0", "root:root", "0:0"})


@functools.cache
def compose_validator() -> jsonschema.protocols.Validator:
    """A validator for the vendored Compose Specification schema (loaded once).

    Raises:
        FactUnavailable: If the vendored schema is missing or invalid.
    """
    try:
        schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
    except (OSError, ValueError, jsonschema.SchemaError) as exc:
        raise FactUnavailable(f"vendored Compose schema unusable: {exc}") from None
    validator: jsonschema.protocols.Validator = validator_class(schema)
    return validator


def error_keys(error: jsonschema.ValidationError) -> list[str]:
    """The key path of a schema error, down to the unexpected key for ``additionalProperties``."""
    keys = [str(part) for part in error.absolute_path]
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return keys
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = set(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    extra = [
        str(key)
        for key in error.instance
        if key not in known and not any(p.search(str(key)) for p in patterns)
    ]
    return keys + extra[:1]


def schema_findings(document: ConfigDocument) -> list[Finding]:
    """Violations of the Compose Specification schema, with the line of the offending key."""
    errors = sorted(
        compose_validator().iter_errors(document.data),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    findings = []
    for error in errors[:MAX_SCHEMA_FINDINGS]:
        keys = error_keys(error)
        where = "/".join(str(part) for part in error.absolute_path) or "<root>"
        message = f"schema violation at {where}: {error.message}"
        findings.append(Finding(message, path=document.path, line=document.line_of(*keys)))
    return findings


def _image(service: object) -> str:
    """A service's image name, lower case (empty when it has none)."""
    return str(service.get("image", "")).lower() if isinstance(service, dict) else ""


def app_services(services: dict[str, Any], project_name: str) -> list[str]:
    """Services built from the project (``build:``) or running the project's image."""
    name = project_name.lower()
    return [
        key
        for key, service in services.items()
        if isinstance(service, dict) and ("build" in service or (name and name in _image(service)))
    ]


def one_shot_services(services: dict[str, Any]) -> set[str]:
    """Services others wait on with ``service_completed_successfully`` (jobs, not daemons)."""
    jobs: set[str] = set()
    for service in services.values():
        depends = service.get("depends_on") if isinstance(service, dict) else None
        for name, spec in depends.items() if isinstance(depends, dict) else ():
            if isinstance(spec, dict) and spec.get("condition") == "service_completed_successfully":
                jobs.add(name)
    return jobs


def has_healthcheck(service: object) -> bool:
    """Whether a service defines a healthcheck that is not disabled."""
    spec = service.get("healthcheck") if isinstance(service, dict) else None
    if not isinstance(spec, dict) or spec.get("disable") is True:
        return False
    return spec.get("test") not in (["NONE"], "NONE")


def healthcheck_findings(document: ConfigDocument, services: dict[str, Any]) -> list[Finding]:
    """Long-running services without an enabled healthcheck."""
    jobs = one_shot_services(services)
    return [
        Finding(
            f"service {name!r} has no healthcheck",
            document.path,
            document.line_of("services", name),
        )
        for name, service in services.items()
        if name not in jobs and not has_healthcheck(service)
    ]


def start_order_problems(depends: object) -> list[str]:
    """What is wrong with one app service's ``depends_on`` (empty when it waits for health)."""
    if not isinstance(depends, dict) or not depends:
        return ["depends_on without conditions"]
    conditions = {d: spec.get("condition") for d, spec in depends.items() if isinstance(spec, dict)}
    problems = []
    if "service_healthy" not in conditions.values():
        problems.append("no depends_on with condition service_healthy")
    started = sorted(d for d in depends if conditions.get(d) in (None, "service_started"))
    if started:
        problems.append(f"only waits for {', '.join(started)} to start")
    return problems


def depends_on_findings(
    document: ConfigDocument, services: dict[str, Any], apps: list[str]
) -> list[Finding]:
    """App services that do not wait for their dependencies to be healthy."""
    return [
        Finding(
            f"service {name!r}: {problem}",
            document.path,
            document.line_of("services", name, "depends_on"),
        )
        for name in apps
        for problem in start_order_problems(services[name].get("depends_on"))
    ]


def service_findings(document: ConfigDocument, project_name: str) -> list[Finding]:
    """Missing PostgreSQL/Kafka/app services, healthchecks and healthy start order."""
    services = document.data.get("services") if isinstance(document.data, dict) else None
    if not isinstance(services, dict) or not services:
        return [Finding("no services", path=document.path)]
    images = [_image(service) for service in services.values()]
    findings = [
        Finding(f"no {kind} service (image containing {' or '.join(names)})", path=document.path)
        for kind, names in (("PostgreSQL", POSTGRES_IMAGES), ("Kafka", KAFKA_IMAGES))
        if not any(n in image for n in names for image in images)
    ]
    apps = app_services(services, project_name)
    if not apps:
        findings.append(
            Finding("no application service (build: or the project's image)", path=document.path)
        )
    findings += healthcheck_findings(document, services)
    return findings + depends_on_findings(document, services, apps)


@check("infra.docker_compose")
async def docker_compose(ctx: CheckContext) -> Outcome:
    """The Compose file follows the Compose Specification and runs the stack healthily."""
    document = await ctx.fact(COMPOSE)
    if not document.exists:
        return Outcome.failed(
            "no Compose file", [Finding("docker-compose.yml not found", path=document.path)]
        )
    if document.error is not None:
        return Outcome.failed(
            "Compose file does not parse",
            [Finding(document.error, document.path, document.error_line)],
        )
    pyproject = await ctx.fact(PYPROJECT)
    project = pyproject.data.get("project", {}) if isinstance(pyproject.data, dict) else {}
    name = str(project.get("name", "")) if isinstance(project, dict) else ""
    findings = schema_findings(document) + service_findings(document, name)
    return Outcome.from_findings(findings, "Compose problems")


def dockerfile_findings(dockerfile: Dockerfile) -> list[Finding]:
    """Why a Dockerfile is not a multi-stage, non-root image with a healthcheck."""
    stages = dockerfile.stages()
    path = dockerfile.path
    findings = []
    if len(stages) < MIN_STAGES:
        findings.append(Finding(f"single-stage build ({len(stages)} FROM)", path=path))
    final = stages[-1] if stages else []
    users = [i for i in final if i.keyword == "USER"]
    if not users or users[-1].arguments.strip().lower() in ROOT_USERS:
        line = users[-1].line if users else None
        findings.append(Finding("final stage does not run as a non-root USER", path, line))
    checks = [
        i
        for i in final
        if i.keyword == "HEALTHCHECK" and not i.arguments.upper().startswith("NONE")
    ]
    if not checks:
        findings.append(Finding("final stage has no HEALTHCHECK", path=path))
    return findings


@check("infra.dockerfile")
async def production_dockerfile(ctx: CheckContext) -> Outcome:
    """A Dockerfile under docker/ is multi-stage, runs as a non-root USER and has a HEALTHCHECK."""
    dockerfiles = [d for d in await ctx.fact(DOCKERFILES) if d.path.startswith("docker/")]
    if not dockerfiles:
        return Outcome.failed(
            "no Dockerfile under docker/", [Finding("no Dockerfile", path="docker/")]
        )
    results = {d.path: dockerfile_findings(d) for d in dockerfiles}
    good = [path for path, findings in results.items() if not findings]
    if good:
        return Outcome.passed(f"{good[0]} is production-ready")
    findings = [f for found in results.values() for f in found]
    return Outcome.failed("no Dockerfile under docker/ is production-ready", findings)
