"""Placeholders and subset matching for the case contract's scenarios.

``${name}`` is a value an earlier step captured; ``${new:name}`` makes a fresh UUID,
captures it as ``name`` and uses it. Expected JSON is matched as a subset: every expected
key must be present and match; lists match element by element and must have the same
length; a number and a decimal string match when they are the same number, so a project
that writes money as ``39.98`` and one that writes ``"39.98"`` are judged alike.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

Json = Any  # a JSON-like value: what json.loads returns, or a contract fragment
_NOT_JSON = object()
_PLACEHOLDER = re.compile(r"\$\{(new:)?([A-Za-z_][A-Za-z0-9_]*)\}")


class ScenarioError(Exception):
    """A scenario cannot run as written (an unknown placeholder, an unknown step)."""


def _replacement(match: re.Match[str], variables: dict[str, Any]) -> Json:
    """The value of one placeholder, making and capturing a UUID for ``${new:...}``."""
    fresh, name = match.group(1), match.group(2)
    if fresh:
        variables[name] = str(uuid.uuid4())
    if name not in variables:
        raise ScenarioError(f"placeholder ${{{name}}} is used before a step captured it")
    return variables[name]


def _substitute_text(text: str, variables: dict[str, Any]) -> Json:
    """``text`` with its placeholders replaced; a lone placeholder keeps the value's type."""
    whole = _PLACEHOLDER.fullmatch(text)
    if whole:
        return _replacement(whole, variables)
    return _PLACEHOLDER.sub(lambda m: str(_replacement(m, variables)), text)


def substitute(value: Json, variables: dict[str, Any]) -> Json:
    """``value`` (any JSON-like structure) with every placeholder replaced.

    Raises:
        ScenarioError: If a placeholder names nothing captured yet.
    """
    if isinstance(value, str):
        return _substitute_text(value, variables)
    if isinstance(value, dict):
        return {key: substitute(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    return value


def _number(value: Json) -> Decimal | None:
    """``value`` as a decimal when it is a number or a numeric string (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _scalar_matches(expected: Json, actual: Json) -> bool:
    """Equal, or the same number written as a number or a decimal string."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if expected == actual:
        return True
    if isinstance(expected, str) and isinstance(actual, str):
        return False  # "1.0" vs "1.00" as text are the same number, but ids are not numbers
    left, right = _number(expected), _number(actual)
    return left is not None and right is not None and left == right


def _list_mismatches(expected: list[Any], actual: Json, where: str) -> list[str]:
    """Mismatches of an expected list (same length, element by element)."""
    if not isinstance(actual, list):
        return [f"{where or 'body'}: expected a list, got {_short(actual)}"]
    if len(actual) != len(expected):
        return [f"{where or 'body'}: expected {len(expected)} element(s), got {len(actual)}"]
    found: list[str] = []
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        found += mismatches(want, got, f"{where}[{index}]")
    return found


def _dict_mismatches(expected: dict[str, Any], actual: Json, where: str) -> list[str]:
    """Mismatches of an expected object (every key present and matching)."""
    if not isinstance(actual, dict):
        return [f"{where or 'body'}: expected an object, got {_short(actual)}"]
    found: list[str] = []
    for key, want in expected.items():
        path = f"{where}.{key}" if where else key
        if key not in actual:
            found.append(f"{path}: missing")
        else:
            found += mismatches(want, actual[key], path)
    return found


def mismatches(expected: Json, actual: Json, where: str = "") -> list[str]:
    """Where ``actual`` does not contain ``expected`` (empty when it does)."""
    if isinstance(expected, dict):
        return _dict_mismatches(expected, actual, where)
    if isinstance(expected, list):
        return _list_mismatches(expected, actual, where)
    if _scalar_matches(expected, actual):
        return []
    return [f"{where or 'value'}: expected {_short(expected)}, got {_short(actual)}"]


def _short(value: Json, limit: int = 80) -> str:
    """``value``'s repr cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pick(data: Json, dotted: str) -> Json:
    """The value at ``dotted`` (``id``, ``items.0.id``) in ``data``.

    Raises:
        ScenarioError: If there is nothing there.
    """
    value = data
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise ScenarioError(f"the response has no {dotted!r} to capture")
    return value


def _loads(data: bytes) -> Json:
    """``data`` parsed as JSON, or the ``_NOT_JSON`` marker."""
    try:
        return json.loads(data)
    except ValueError:
        return _NOT_JSON


def _parts(value: Json) -> Iterator[Json]:
    """``value`` and every value nested in it, depth first."""
    yield value
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list):
        for child in children:
            yield from _parts(child)


def carries(value: bytes, sent: bytes) -> bool:
    """Whether a record's ``value`` is the record ``sent`` or wraps it.

    A dead-letter record may be the original bytes, or a JSON object of its own that keeps
    the original as text (``{"raw": "{not json", "error": ...}``) or as a parsed object,
    under a field name of its own choosing. Any of these shows the original was forwarded.
    """
    if value == sent or not sent:
        return value == sent
    document, original = _loads(value), _loads(sent)
    if document is _NOT_JSON:
        return False
    text = sent.decode("utf-8", errors="replace")
    nested = isinstance(original, dict | list) and bool(original)
    return any(part == text or (nested and part == original) for part in _parts(document))
