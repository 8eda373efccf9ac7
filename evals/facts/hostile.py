"""Hostile requests built from the running app's OpenAPI document (``api.abuse``).

Every operation gets requests that differ from a valid one in one place: a string field or
parameter holding a NUL byte, a 100k-character string, SQL metacharacters or Unicode
oddities; a number holding 1e20, 10**30, -10**30, NaN or Infinity; a path id that is not
an id; an opaque token (``cursor``, ``token``, ``page``...) that decodes to wrong types,
deeply nested JSON or out-of-range timestamps; an unknown field; a 5 MB body; a deeply
nested body. Bodies start from the documented example (else one generated from the schema
with hypothesis-jsonschema) and change one field at a time, plus bodies that put every
number at the top of its range at once (a total that overflows its column). Nothing here
talks to the app: :mod:`evals.checks.abuse` sends the requests.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

from evals.facts.openapi import (
    JsonObject,
    Operation,
    example_of,
    fill_path,
    operations,
    request_media,
    resolve,
)
from evals.facts.openapi_values import (
    UUID_MARKER,
    candidates,
    generated,
    plain_schema,
    schema_check,
)

LONG_BODY_CHARS = 100_000
LONG_URL_CHARS = 8_000
NESTING_DEPTH = 100_000
TOKEN_NESTING_DEPTH = 20_000
BIG_BODY_BYTES = 5 * 1024 * 1024
UNKNOWN_FIELD = "evals_unknown_field"
SLOT = "evals-raw-literal-5b1d"
TOKEN_NAME = re.compile(r"cursor|token|page|after|before|continuation|next|marker", re.I)
MAX_DEPTH = 4

STRINGS: tuple[tuple[str, str], ...] = (
    ("a NUL byte", "evals\x00nul"),
    ("SQL metacharacters", "' OR 1=1--"),
    ("a quote and a statement", "x'); DROP TABLE evals;--"),
    ("a lone surrogate", "\ud800"),
    ("bidi, zero-width and combining characters", "\u202eevals\u200b\u0301\U0001f600"),
    ("a noncharacter", "\uffff\ufffe"),
    ("an empty string", ""),
    ("a path traversal", "../../../../etc/passwd"),
    ("markup", "<script>alert(1)</script>"),
    ("format and template directives", "%s%n{0}${jndi:ldap://evals}"),
)
NUMBERS: tuple[tuple[str, str], ...] = (
    ("1e20", "1e20"),
    ("10**30", str(10**30)),
    ("-10**30", str(-(10**30))),
    ("2**31 (beyond a 32-bit integer)", str(2**31)),
    ("2**63 (beyond a 64-bit integer)", str(2**63)),
    ("-2**63-1", str(-(2**63) - 1)),
    ("-1", "-1"),
    ("1e400 (beyond a double)", "1e400"),
    ("NaN", "NaN"),
    ("Infinity", "Infinity"),
    ("-Infinity", "-Infinity"),
)
NUMBER_STRINGS: tuple[tuple[str, str], ...] = (
    ("the string NaN", "NaN"),
    ("the string Infinity", "Infinity"),
    ("the string 1e400", "1e400"),
)
OVERFLOW_DIGITS = (6, 9, 10, 12, 15, 18, 20)
PATH_IDS: tuple[tuple[str, str], ...] = (
    ("an id that is not one", "evals-not-an-id"),
    ("a NUL byte", "%00"),
    ("an 8000-character id", "a" * LONG_URL_CHARS),
    ("SQL metacharacters", quote("' OR 1=1--", safe="")),
    ("an invalid UTF-8 sequence", "%ED%A0%80"),
    ("-10**30", str(-(10**30))),
)
TOKEN_KEYS = (("c", "i"), ("created_at", "id"), ("offset", "last_id"))
TIMESTAMPS = ("0001-01-01T00:00+14:00", "9999-12-31T23:59:59-14:00", "2025-13-45T99:99:99")


@dataclass(frozen=True)
class HostileRequest:
    """One hostile request.

    Attributes:
        label: The operation it targets (``POST /orders``).
        method: Upper-case HTTP method.
        target: Path and query, already percent-encoded.
        what: What is hostile about it (``a NUL byte in body field customer_id``).
        content: The JSON body as bytes, or None.
    """

    label: str
    method: str
    target: str
    what: str
    content: bytes | None = None


def encode_query(params: list[tuple[str, str]]) -> str:
    """``params`` as a query string; lone surrogates become invalid UTF-8 escapes."""
    return "&".join(
        f"{quote(name, safe='')}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}"
        for name, value in params
    )


def kinds(doc: JsonObject, schema: object) -> set[str]:
    """The JSON types a schema admits (through ``$ref`` and ``anyOf``/``oneOf``/``allOf``)."""
    node = resolve(doc, schema)
    found: set[str] = set()
    kind = node.get("type")
    found.update(kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else [])
    if "enum" in node or "const" in node:
        found.add("string")
    for key in ("anyOf", "oneOf", "allOf"):
        for member in node.get(key) or []:
            found |= kinds(doc, member)
    return found - {"null"}


def _object_schema(doc: JsonObject, schema: object) -> JsonObject:
    """The object member of ``schema`` (itself, or the first object member of anyOf/allOf)."""
    node = resolve(doc, schema)
    if isinstance(node.get("properties"), dict):
        return node
    for key in ("allOf", "anyOf", "oneOf"):
        for member in node.get(key) or []:
            found = _object_schema(doc, member)
            if found:
                return found
    return {}


def _item_schema(doc: JsonObject, schema: object) -> object:
    """The ``items`` schema of an array schema (through anyOf), or None."""
    node = resolve(doc, schema)
    if node.get("items") is not None:
        return node["items"]
    members = [m for key in ("anyOf", "oneOf") for m in node.get(key) or []]
    return next((resolve(doc, m)["items"] for m in members if resolve(doc, m).get("items")), None)


Leaf = tuple[tuple[str | int, ...], object]


def leaves(doc: JsonObject, schema: object, value: object, depth: int = 0) -> Iterator[Leaf]:
    """Every scalar field of ``value`` (a body valid under ``schema``) with its schema.

    Objects are followed through their properties, arrays through their first element.
    """
    if depth > MAX_DEPTH:
        return
    if isinstance(value, dict):
        properties = _object_schema(doc, schema).get("properties", {})
        for name, child in value.items():
            for path, found in leaves(doc, properties.get(name), child, depth + 1):
                yield (name, *path), found
    elif isinstance(value, list) and value:
        for path, found in leaves(doc, _item_schema(doc, schema), value[0], depth + 1):
            yield (0, *path), found
    else:
        yield (), schema


def with_value(body: object, path: tuple[str | int, ...], value: object) -> object:
    """A copy of ``body`` with the field at ``path`` set to ``value``."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(body, dict) and isinstance(head, str):
        return {**body, head: with_value(body.get(head), rest, value)}
    if isinstance(body, list) and isinstance(head, int) and body:
        return [with_value(body[0], rest, value), *body[1:]]
    return body


def dump(body: object, raw: str | None = None) -> bytes:
    """``body`` as JSON bytes; the slot string, when present, becomes the literal ``raw``."""
    text = json.dumps(body)
    return (text.replace(json.dumps(SLOT), raw) if raw is not None else text).encode()


def field_name(path: tuple[str | int, ...]) -> str:
    """``items[0].sku`` for ``("items", 0, "sku")``."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return text.lstrip(".") or "(the body)"


def field_values(found: set[str]) -> list[tuple[str, object, str | None]]:
    """``(what, value, raw literal)`` to put in a field admitting the JSON types ``found``."""
    values: list[tuple[str, object, str | None]] = []
    if "string" in found:
        values += [(what, text, None) for what, text in STRINGS]
        values.append(
            (f"a {LONG_BODY_CHARS // 1000}k-character string", "A" * LONG_BODY_CHARS, None)
        )
    if found & {"integer", "number"}:
        values += [(what, SLOT, raw) for what, raw in NUMBERS]
        if "string" in found:
            values += [(what, text, None) for what, text in NUMBER_STRINGS]
    return values


def _maximum(doc: JsonObject, schema: object) -> float | None:
    """The largest value ``schema`` allows (``maximum``, ``exclusiveMaximum``), if bounded."""
    node = resolve(doc, schema)
    members = [node, *(resolve(doc, m) for k in ("anyOf", "oneOf") for m in node.get(k) or [])]
    for member in members:
        if isinstance(member.get("maximum"), int | float):
            return float(member["maximum"])
        if isinstance(member.get("exclusiveMaximum"), int | float):
            return float(member["exclusiveMaximum"]) - 1
    return None


def top_value(doc: JsonObject, schema: object, digits: int) -> object:
    """A value of about ``digits`` digits for a numeric field, capped by its maximum.

    Integers get ``10**digits - 1``; other numbers ``10**(digits-2) - 0.01`` (two decimals),
    as a string when the schema admits strings (how decimals often travel).
    """
    found = kinds(doc, schema)
    bound = _maximum(doc, schema)
    if "integer" in found and "number" not in found:
        top = 10**digits - 1
        return top if bound is None else min(top, int(bound))
    amount = float(10 ** (digits - 2)) - 0.01
    amount = amount if bound is None else min(amount, bound)
    return f"{amount:.2f}" if "string" in found else round(amount, 2)


def overflow_bodies(doc: JsonObject, schema: object, base: object) -> list[tuple[str, bytes]]:
    """Bodies with every numeric field at the top of its range at once, for growing sizes.

    A quantity at its maximum times a price of ten digits overflows a ``Numeric(14,2)``
    total that no single field's validation can see.
    """
    numeric = [
        (path, node)
        for path, node in leaves(doc, schema, base)
        if kinds(doc, node) & {"integer", "number"}
    ]
    if not numeric:
        return []
    bodies = []
    for digits in OVERFLOW_DIGITS:
        body = base
        for path, node in numeric:
            body = with_value(body, path, top_value(doc, node, digits))
        bodies.append((f"every number at about {digits} digits", dump(body)))
    return bodies


def field_bodies(doc: JsonObject, schema: object, base: object) -> list[tuple[str, bytes]]:
    """Bodies that each change one scalar field of ``base`` to a hostile value."""
    bodies = []
    for path, node in leaves(doc, schema, base):
        for what, value, raw in field_values(kinds(doc, node)):
            body = with_value(base, path, value)
            bodies.append((f"{what} in body field {field_name(path)}", dump(body, raw)))
    return bodies


def nested(depth: int) -> str:
    """A JSON array nested ``depth`` levels deep."""
    return "[" * depth + "]" * depth


def whole_bodies(base: object) -> list[tuple[str, bytes]]:
    """Bodies hostile as a whole: an unknown field, 5 MB, deep nesting, not JSON."""
    padded = {**base, "evals_padding": "A" * BIG_BODY_BYTES} if isinstance(base, dict) else None
    bodies = [
        ("a deeply nested JSON body", nested(NESTING_DEPTH).encode()),
        ("a body that is not JSON", b'{"evals": \x00\xff'),
        ("a JSON body of a bare NaN", b"NaN"),
    ]
    if isinstance(base, dict):
        bodies.append(("an unknown field", dump({**base, UNKNOWN_FIELD: "evals"})))
        bodies.append(("a 5 MB body", dump(padded)))
    return bodies


def _scalar(node: JsonObject) -> object:
    """A readable scalar valid under ``node`` (a marker, else one Hypothesis finds)."""
    schema = plain_schema(node)
    valid = schema_check(schema)
    if valid is None:
        return None
    value = next((c for c in candidates(schema) if valid(c)), None)
    return value if value is not None else generated(schema, valid)


def sample_value(doc: JsonObject, schema: object, depth: int = 0) -> object:
    """A value valid under ``schema``, built field by field (None when none is found).

    Objects get every property, arrays one element; scalars come from :func:`_scalar`.
    """
    obj = _object_schema(doc, schema)
    if obj and depth <= MAX_DEPTH:
        properties = obj.get("properties", {})
        return {str(n): sample_value(doc, p, depth + 1) for n, p in properties.items()}
    items = _item_schema(doc, schema)
    if items is not None and depth <= MAX_DEPTH:
        return [sample_value(doc, items, depth + 1)]
    node = resolve(doc, schema)
    members = [resolve(doc, m) for k in ("anyOf", "oneOf") for m in node.get(k) or []]
    return _scalar(next((m for m in members if m.get("type") != "null"), node))


def base_body(doc: JsonObject, media: JsonObject) -> object:
    """The valid body hostile bodies start from: the documented example, else a generated one."""
    example = example_of(doc, media)
    return example if example is not None else sample_value(doc, media.get("schema"))


def body_requests(doc: JsonObject, op: Operation, target: str) -> list[HostileRequest]:
    """Hostile bodies for ``op`` (none when it takes no JSON body)."""
    media = request_media(doc, op) if op.method in {"POST", "PUT", "PATCH"} else None
    if media is None:
        return []
    schema = media.get("schema")
    base = base_body(doc, media)
    bodies = whole_bodies(base)
    if base is not None:
        bodies = field_bodies(doc, schema, base) + overflow_bodies(doc, schema, base) + bodies
    return [HostileRequest(op.label, op.method, target, what, body) for what, body in bodies]


def b64(data: bytes) -> str:
    """URL-safe base64 without padding, as opaque tokens usually are."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _token_objects() -> Iterator[tuple[str, object]]:
    """Decoded tokens with wrong types or out-of-range timestamps, for common key pairs."""
    for first, second in TOKEN_KEYS:
        yield f"{{{first!r}: 123, {second!r}: 123}}", {first: 123, second: 123}
        yield f"{{{second!r}: 123}}", {second: 123}
        yield f"{{{first!r}: [], {second!r}: {{}}}}", {first: [], second: {}}
        yield f"{{{first!r}: a valid time, {second!r}: 123}}", {
            first: "2025-01-01T00:00:00+00:00",
            second: 123,
        }
        for stamp in TIMESTAMPS:
            yield f"{{{first!r}: {stamp!r}, {second!r}: a UUID}}", {
                first: stamp,
                second: UUID_MARKER,
            }


def token_values() -> list[tuple[str, str]]:
    """Hostile opaque tokens: base64 of wrong-typed or nested JSON, and garbage."""
    values = [
        (f"a token decoding to {what}", b64(json.dumps(o).encode())) for what, o in _token_objects()
    ]
    values += [
        ("a token decoding to deeply nested JSON", b64(nested(TOKEN_NESTING_DEPTH).encode())),
        ("a token decoding to null", b64(b"null")),
        ("a token decoding to a bare number", b64(b"1e400")),
        ("a token decoding to invalid UTF-8", b64(b"\xff\xfe\x00")),
        ("a token that is not base64", "evals!!not*base64"),
        ("an empty token", ""),
        ("a token with a NUL byte", "eyJj\x00"),
        ("an 8000-character token", "A" * LONG_URL_CHARS),
    ]
    return values


def param_values(doc: JsonObject, param: JsonObject) -> list[tuple[str, str]]:
    """Hostile values for a query parameter, by its name and schema."""
    if TOKEN_NAME.search(str(param.get("name", ""))):
        return token_values()
    found = kinds(doc, param.get("schema"))
    values: list[tuple[str, str]] = []
    if "string" in found or not found:
        values += [*STRINGS, ("an 8000-character string", "A" * LONG_URL_CHARS)]
    if found & {"integer", "number"}:
        values += list(NUMBERS)
    return values


def valid_text(doc: JsonObject, schema: object) -> str:
    """A plausible valid value for a required query parameter."""
    node = resolve(doc, schema)
    if node.get("enum"):
        return str(node["enum"][0])
    found = kinds(doc, node)
    return "1" if found & {"integer", "number"} else "true" if "boolean" in found else "evals"


def query_requests(doc: JsonObject, op: Operation, path: str) -> list[HostileRequest]:
    """Requests that give one query parameter of ``op`` a hostile value each."""
    required = [
        (str(p.get("name")), valid_text(doc, p.get("schema")))
        for p in op.params_in("query", required_only=True)
    ]
    found = []
    for param in op.params_in("query"):
        name = str(param.get("name"))
        others = [(n, v) for n, v in required if n != name]
        for what, value in param_values(doc, param):
            target = f"{path}?{encode_query([*others, (name, value)])}"
            found.append(
                HostileRequest(op.label, op.method, target, f"{what} in query parameter {name}")
            )
    return found


def path_requests(op: Operation) -> list[HostileRequest]:
    """Requests that give one path parameter of ``op`` a hostile value each."""
    found = []
    for name in op.path_params:
        for what, value in PATH_IDS:
            target = fill_path(op, {name: value})
            found.append(
                HostileRequest(op.label, op.method, target, f"{what} as path parameter {name}")
            )
    return found


def operation_requests(doc: JsonObject, op: Operation) -> list[HostileRequest]:
    """Every hostile request for one operation."""
    path = fill_path(op)
    required = [
        (str(p.get("name")), valid_text(doc, p.get("schema")))
        for p in op.params_in("query", required_only=True)
    ]
    target = f"{path}?{encode_query(required)}" if required else path
    return path_requests(op) + query_requests(doc, op, path) + body_requests(doc, op, target)


def hostile_requests(doc: JsonObject) -> list[HostileRequest]:
    """Every hostile request for every operation of the document, in document order."""
    return [request for op in operations(doc) for request in operation_requests(doc, op)]
