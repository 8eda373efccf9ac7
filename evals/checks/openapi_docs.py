"""Check of the running app's OpenAPI document: valid and complete, with examples."""

from __future__ import annotations

import asyncio

from openapi_spec_validator import validate
from openapi_spec_validator.exceptions import OpenAPISpecValidatorError
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from evals.checks.build import INSTALL_ITEM
from evals.context import CheckContext
from evals.facts.openapi import (
    OPENAPI,
    JsonObject,
    OpenApiUnavailable,
    Operation,
    has_example,
    operations,
    request_media,
    responses,
    success_media,
)
from evals.model import Finding, Outcome
from evals.registry import check

MAX_ERROR_CHARS = 300


def spec_error(doc: JsonObject) -> str:
    """Why ``doc`` is not a valid OpenAPI document (openapi-spec-validator); empty if valid."""
    try:
        validate(doc)
    except (OpenAPIValidationError, OpenAPISpecValidatorError, ValueError, LookupError) as exc:
        first = next(iter(str(exc).strip().splitlines()), "") or "no recognisable OpenAPI version"
        return f"{type(exc).__name__}: {first}"[:MAX_ERROR_CHARS]
    return ""


def _is_error_code(code: str) -> bool:
    """Whether a responses key documents an error (4xx, 5xx, their ranges or ``default``)."""
    return code[:1] in {"4", "5"} or code == "default"


def missing_parts(doc: JsonObject, op: Operation) -> list[str]:
    """What ``op`` lacks: summary, description, error responses, request/response examples."""
    missing = [key for key in ("summary", "description") if not str(op.spec.get(key, "")).strip()]
    if not any(_is_error_code(code) for code in responses(op)):
        missing.append("a documented error response")
    body = request_media(doc, op)
    if body is not None and not has_example(doc, body):
        missing.append("an example on the request body")
    success = success_media(doc, op)
    if success and not any(has_example(doc, media) for _, media in success):
        missing.append(f"an example on the {success[0][0]} response")
    return missing


def completeness(doc: JsonObject) -> tuple[float, list[Finding]]:
    """Percent of operations that are complete, and one finding per incomplete operation."""
    ops = operations(doc)
    findings = []
    for op in ops:
        missing = missing_parts(doc, op)
        if missing:
            findings.append(Finding(f"{op.label} lacks " + ", ".join(missing)))
    if not ops:
        return 0.0, [Finding("the document has no operations")]
    return round(100.0 * (len(ops) - len(findings)) / len(ops), 1), findings


@check("docs.openapi", requires=(INSTALL_ITEM,))
async def openapi_documentation(ctx: CheckContext) -> Outcome:
    """/openapi.json validates and enough operations are fully documented with examples."""
    try:
        doc = await ctx.fact(OPENAPI)
    except OpenApiUnavailable as exc:
        return Outcome.failed(str(exc))
    error = await asyncio.to_thread(spec_error, doc)
    percent, findings = completeness(doc)
    metrics = {"completeness_percent": percent, "operations": len(operations(doc))}
    if error:
        findings.insert(0, Finding(f"/openapi.json is not valid OpenAPI: {error}"))
        return Outcome.failed("the OpenAPI document does not validate", findings, **metrics)
    if percent < ctx.threshold:
        reason = f"{percent:g}% of operations are fully documented (< {ctx.threshold:g}%)"
        return Outcome.failed(reason, findings, **metrics)
    return Outcome.passed("", **metrics)
