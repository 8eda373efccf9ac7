"""Parameter values that satisfy a parameter's schema yet name nothing that exists.

A not-found probe must send a value the operation accepts: a lowercase SKU sent where the
schema says ``pattern: ^[A-Z0-9-]{3,32}$`` is rightly answered 422, not 404. Marker values
(``evals-missing-7f3a9c2e``, a fixed UUID, 987654321, the top of an integer range) are
tried first, as they are readable and unlikely to exist; each is checked against the
schema with :mod:`jsonschema` (formats included). When none fits, a value is generated
from the schema with ``hypothesis-jsonschema`` (regular expressions through Hypothesis'
``from_regex``), deterministically: ``hypothesis.find`` with a derandomized search.
"""

from __future__ import annotations

import functools
import json
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

JsonObject = dict[str, Any]
Check = Callable[[object], bool]

MARKER = "evals-missing-7f3a9c2e"
UUID_MARKER = "7f3a9c2e-0d1b-4e5f-9a8b-6c7d8e9f0a1b"
STRING_MARKERS = (
    MARKER,
    MARKER.upper(),
    MARKER.replace("-", "_"),
    MARKER.replace("-", ""),
    MARKER.replace("-", "").upper(),
    UUID_MARKER,
    UUID_MARKER.upper(),
    "evalsmissing",
    "EVALSMISSING",
    "987654321",
)
INTEGER_MARKER = 987_654_321
HYPOTHESIS_HOME = Path(tempfile.gettempdir()) / "evals-hypothesis"
FIND_SETTINGS = settings(
    database=None,
    derandomize=True,
    max_examples=200,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
CUSTOM_FORMATS = {"uuid": st.uuids().map(str)}


def plain_schema(schema: object) -> JsonObject:
    """``schema`` without its null alternative (``Optional``) and 3.0 boolean bounds.

    ``anyOf``/``oneOf`` keeps its first non-null member, a type list its first non-null
    type; OpenAPI 3.0's ``exclusiveMaximum: true`` becomes the JSON Schema number form.
    """
    node = dict(schema) if isinstance(schema, dict) else {}
    node.pop("nullable", None)
    for key in ("anyOf", "oneOf"):
        members = [m for m in node.pop(key, None) or [] if isinstance(m, dict)]
        concrete = [m for m in members if m.get("type") != "null"]
        node = {**node, **concrete[0]} if concrete else node
    kinds = node.get("type")
    if isinstance(kinds, list):
        node["type"] = next((k for k in kinds if k != "null"), "string")
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if isinstance(node.get(exclusive), bool):
            flag = node.pop(exclusive)
            node.update({exclusive: node.pop(bound)} if flag and bound in node else {})
    return node


def is_enumerated(schema: object) -> bool:
    """Whether the schema lists its values (``enum``/``const``): every value names something."""
    node = plain_schema(schema)
    return "enum" in node or "const" in node


def schema_check(schema: JsonObject) -> Check | None:
    """A predicate for values valid under ``schema`` (None when the schema itself is invalid)."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return None
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def valid(value: object) -> bool:
        try:
            return bool(validator.is_valid(value))
        except Exception:  # unresolvable $ref or an odd pattern: not known to be valid
            return False

    return valid


def _fit(text: str, schema: JsonObject) -> str:
    """``text`` cut to ``maxLength`` and padded to ``minLength``."""
    longest = schema.get("maxLength")
    shortest = schema.get("minLength")
    if isinstance(longest, int):
        text = text[:longest]
    return text.ljust(shortest, "0") if isinstance(shortest, int) else text


def _number_candidates(schema: JsonObject) -> list[object]:
    """The integer marker, then the top of the schema's range."""
    found: list[object] = [INTEGER_MARKER]
    if isinstance(schema.get("maximum"), int | float):
        found.append(schema["maximum"])
    if isinstance(schema.get("exclusiveMaximum"), int | float):
        found.append(schema["exclusiveMaximum"] - 1)
    return found


def candidates(schema: JsonObject) -> list[object]:
    """Readable values to try first, most unlikely to exist first."""
    if "const" in schema:
        return [schema["const"]]
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return _number_candidates(schema)
    if kind == "boolean":
        return [True, False]
    if kind in ("string", None):
        return [*STRING_MARKERS, *(_fit(m, schema) for m in STRING_MARKERS)]
    return []


def _is_scalar(value: object) -> bool:
    """Whether ``value`` can stand in a URL path (a string, number or boolean)."""
    return isinstance(value, str | int | float)


def generated(schema: JsonObject, valid: Check) -> object | None:
    """The simplest scalar value Hypothesis finds for ``schema``; None when there is none."""
    set_hypothesis_home_dir(HYPOTHESIS_HOME)  # its caches, never in the working directory
    from hypothesis_jsonschema import from_schema  # noqa: PLC0415 - writes caches on import

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            strategy = from_schema(schema, custom_formats=CUSTOM_FORMATS).filter(valid)
            return find(strategy, _is_scalar, settings=FIND_SETTINGS)
    except Exception:  # unsatisfiable, unsupported or an invalid pattern: no value
        return None


def path_text(value: object) -> str:
    """``value`` as one URL path segment (booleans in JSON spelling, reserved chars quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return quote(str(value), safe="")


def missing_value(schema: object) -> str | None:
    """A path segment valid under ``schema`` that very likely names no existing resource.

    Returns:
        The value as path text, or None when no value could be found (an invalid or
        unsatisfiable schema).
    """
    return _missing_value(json.dumps(schema, sort_keys=True, default=str))


@functools.lru_cache(maxsize=256)
def _missing_value(schema_json: str) -> str | None:
    """:func:`missing_value` of a schema given as JSON text (so that results are cached)."""
    node = plain_schema(json.loads(schema_json))
    valid = schema_check(node)
    if valid is None:
        return None
    value = next((c for c in candidates(node) if valid(c)), None)
    if value is None:
        value = generated(node, valid)
    return None if value is None else path_text(value)
