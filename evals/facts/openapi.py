"""The running app's OpenAPI document and helpers to read and exercise its operations.

Helpers here are pure functions over the parsed document (operations, ``$ref``
resolution, examples, sample path values) plus :func:`resolve_by_id_paths`, which turns
``GET /things/{thing_id}`` into a concrete path using the first item of ``GET /things``
(creating one resource from the documented request example when the list is empty).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from evals.context import FactNotApplicable, Facts
from evals.facts.openapi_values import MARKER, missing_value
from evals.facts.server import LIVE_SERVER
from evals.registry import FactKey, provides

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
OPENAPI_PATHS = ("/openapi.json", "/api/openapi.json", "/api/v1/openapi.json", "/docs/openapi.json")
LIST_KEYS = ("items", "data", "results", "records", "content", "rows", "entries")
MAX_REF_DEPTH = 32

JsonObject = dict[str, Any]


class OpenApiUnavailable(FactNotApplicable):
    """The running app serves no OpenAPI document (``docs.openapi`` fails on this)."""


@dataclass(frozen=True)
class Operation:
    """One operation of the document.

    Attributes:
        method: Upper-case HTTP method.
        path: Path template, e.g. ``/orders/{order_id}``.
        spec: The operation object.
        params: Parameters of the path item and the operation (resolved).
    """

    method: str
    path: str
    spec: JsonObject
    params: tuple[JsonObject, ...] = ()

    @property
    def label(self) -> str:
        """``METHOD /path`` for findings."""
        return f"{self.method} {self.path}"

    def params_in(self, location: str, *, required_only: bool = False) -> list[JsonObject]:
        """Parameters in ``location`` (path, query, header, cookie)."""
        return [
            p
            for p in self.params
            if p.get("in") == location and (p.get("required") or not required_only)
        ]

    @property
    def path_params(self) -> list[str]:
        """Names of the path parameters."""
        return [str(p.get("name")) for p in self.params_in("path")]

    @property
    def parameterless(self) -> bool:
        """No path parameter and no required query, header or cookie parameter."""
        required = [p for p in self.params if p.get("required") or p.get("in") == "path"]
        return not required


def resolve(doc: JsonObject, node: object) -> JsonObject:
    """``node`` with local ``$ref`` pointers followed (an empty dict when unresolvable)."""
    for _ in range(MAX_REF_DEPTH):
        if not isinstance(node, dict):
            return {}
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        node = _pointer(doc, ref)
    return {}


def _pointer(doc: JsonObject, ref: str) -> object:
    """The value at the JSON pointer ``ref`` (``#/a/b``) in ``doc``, or None."""
    node: object = doc
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        node = node.get(part) if isinstance(node, dict) else None
    return node


def parameter(doc: JsonObject, node: object) -> JsonObject:
    """A parameter object with ``$ref`` followed, in it and in its schema's alternatives."""
    param = resolve(doc, node)
    schema = resolve(doc, param.get("schema"))
    for key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(key), list):
            schema = {**schema, key: [resolve(doc, member) for member in schema[key]]}
    return {**param, "schema": schema} if "schema" in param else param


def operations(doc: JsonObject) -> list[Operation]:
    """Every operation of the document, in document order."""
    found: list[Operation] = []
    paths = doc.get("paths")
    for path, raw_item in (paths if isinstance(paths, dict) else {}).items():
        item = resolve(doc, raw_item)
        shared = [parameter(doc, p) for p in item.get("parameters", []) or []]
        for method in HTTP_METHODS:
            spec = item.get(method)
            if isinstance(spec, dict):
                own = [parameter(doc, p) for p in spec.get("parameters", []) or []]
                names = {(p.get("in"), p.get("name")) for p in own}
                merged = own + [p for p in shared if (p.get("in"), p.get("name")) not in names]
                found.append(Operation(method.upper(), str(path), spec, tuple(merged)))
    return found


def json_media(doc: JsonObject, container: object) -> JsonObject | None:
    """The JSON media type object of a request body or response, if it has one."""
    content = resolve(doc, container).get("content")
    if not isinstance(content, dict):
        return None
    for media_type, media in content.items():
        base = str(media_type).split(";")[0].strip().lower()
        if base == "application/json" or base.endswith("+json"):
            return media if isinstance(media, dict) else {}
    return None


def request_media(doc: JsonObject, op: Operation) -> JsonObject | None:
    """The JSON request body media object of ``op``, if it takes a JSON body."""
    body = op.spec.get("requestBody")
    return json_media(doc, body) if body is not None else None


def responses(op: Operation) -> dict[str, Any]:
    """The operation's responses object (status code strings to response objects)."""
    found = op.spec.get("responses")
    return {str(k): v for k, v in found.items()} if isinstance(found, dict) else {}


def success_media(doc: JsonObject, op: Operation) -> list[tuple[str, JsonObject]]:
    """``(status, media)`` of every documented 2xx response with JSON content."""
    found = []
    for status, response in responses(op).items():
        media = json_media(doc, response) if status.startswith("2") else None
        if media is not None:
            found.append((status, media))
    return found


def _schema_has_example(doc: JsonObject, schema: object, depth: int = 0) -> bool:
    """Whether ``schema`` (through ``$ref``, array items and combinators) carries examples."""
    node = resolve(doc, schema)
    if node.get("example") is not None or node.get("examples"):
        return True
    if depth >= MAX_REF_DEPTH:
        return False
    members = [node.get("items")] if node.get("type") == "array" else []
    for key in ("allOf", "anyOf", "oneOf"):
        members.extend(node.get(key) or [])
    return any(_schema_has_example(doc, m, depth + 1) for m in members if m)


def has_example(doc: JsonObject, media: JsonObject) -> bool:
    """Whether a media type object has an example, itself or on its schema."""
    if media.get("example") is not None or media.get("examples"):
        return True
    return _schema_has_example(doc, media.get("schema"))


def example_of(doc: JsonObject, media: JsonObject) -> object:
    """The first example of a media type object (media examples first), or None."""
    if media.get("example") is not None:
        return media["example"]
    examples = media.get("examples")
    if isinstance(examples, dict) and examples:
        first = resolve(doc, next(iter(examples.values())))
        return first.get("value")
    schema = resolve(doc, media.get("schema"))
    listed = schema.get("examples")
    if isinstance(listed, list) and listed:
        return listed[0]
    return schema.get("example")


def sample_missing_value(schema: object) -> str | None:
    """A value valid under the parameter's schema that names no existing resource.

    See :func:`evals.facts.openapi_values.missing_value`; None when there is no such value.
    """
    return missing_value(schema)


def _path_values(op: Operation, values: dict[str, str] | None) -> dict[str, str | None]:
    """Each path parameter's given value, else a valid value that names nothing."""
    given = values or {}
    return {
        str(p.get("name")): given.get(str(p.get("name"))) or missing_value(p.get("schema"))
        for p in op.params_in("path")
    }


def _substitute(path: str, values: dict[str, str]) -> str:
    """``path`` with each ``{name}`` replaced by its value."""
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def missing_path(op: Operation, values: dict[str, str] | None = None) -> str | None:
    """``op.path`` with ``values``, other parameters valid but naming nothing (or None).

    None when some parameter's schema admits no value this harness can produce.
    """
    filled = _path_values(op, values)
    complete = {name: value for name, value in filled.items() if value is not None}
    return _substitute(op.path, complete) if len(complete) == len(filled) else None


def fill_path(op: Operation, values: dict[str, str] | None = None) -> str:
    """``op.path`` with ``values``, other parameters valid but naming nothing.

    A parameter whose schema admits no producible value gets a plain marker instead.
    """
    filled = _path_values(op, values)
    return _substitute(op.path, {name: value or MARKER for name, value in filled.items()})


def by_id_gets(ops: list[Operation]) -> list[Operation]:
    """``GET /things/{id}`` operations: one path parameter, as the last segment."""
    found = []
    for op in ops:
        last = op.path.rstrip("/").rsplit("/", 1)[-1]
        names = op.path_params
        if op.method == "GET" and len(names) == 1 and last == "{" + names[0] + "}":
            found.append(op)
    return found


def collection_path(op: Operation) -> str:
    """The path of the collection a by-id path belongs to (``/orders`` for ``/orders/{id}``)."""
    return op.path.rstrip("/").rsplit("/", 1)[0] or "/"


def find_op(ops: list[Operation], method: str, path: str) -> Operation | None:
    """The operation with ``method`` on ``path`` (trailing slash ignored), if any."""
    for op in ops:
        if op.method == method and op.path.rstrip("/") == path.rstrip("/"):
            return op
    return None


def first_item(body: object) -> JsonObject | None:
    """The first object of a list response (a JSON array or a page with an items list)."""
    if isinstance(body, dict):
        lists = [body[k] for k in LIST_KEYS if isinstance(body.get(k), list)]
        lists += [v for v in body.values() if isinstance(v, list)]
        body = lists[0] if lists else None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return body[0]
    return None


def item_id(item: JsonObject, param: str) -> str | None:
    """The identifier in ``item`` that fills path parameter ``param``."""
    for key in (param, "id", "uuid", "pk", "key"):
        value = item.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return None


@dataclass
class ByIdPaths:
    """Concrete paths for by-id GET operations.

    Attributes:
        paths: Operation label (``GET /orders/{order_id}``) to a concrete path.
        notes: What was done to get them (e.g. a resource was created).
        unfilled: Labels that could not be filled, with the reason.
    """

    paths: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unfilled: dict[str, str] = field(default_factory=dict)


async def _get_json(client: httpx.AsyncClient, path: str) -> object:
    """GET ``path`` and return its JSON body, or None on any failure."""
    try:
        response = await client.get(path)
        return response.json() if response.status_code == httpx.codes.OK else None
    except (httpx.HTTPError, ValueError):
        return None


async def create_from_example(
    client: httpx.AsyncClient, doc: JsonObject, ops: list[Operation], collection: str
) -> JsonObject | None:
    """POST the documented request example to ``collection``; the created object or None."""
    create = find_op(ops, "POST", collection)
    media = request_media(doc, create) if create else None
    example = example_of(doc, media) if media is not None else None
    if create is None or example is None:
        return None
    try:
        response = await client.post(fill_path(create), json=example)
        body = response.json() if response.is_success else None
    except (httpx.HTTPError, ValueError):
        return None
    return body if isinstance(body, dict) else None


async def _fill_one(
    client: httpx.AsyncClient, doc: JsonObject, ops: list[Operation], op: Operation
) -> tuple[str | None, str]:
    """A concrete path for by-id ``op`` and a note (or the reason it could not be filled)."""
    collection = collection_path(op)
    listing = find_op(ops, "GET", collection)
    if listing is None or not listing.parameterless:
        return None, f"no parameterless GET {collection} to take an id from"
    item = first_item(await _get_json(client, collection))
    note = ""
    if item is None:
        item = await create_from_example(client, doc, ops, collection)
        note = f"GET {collection} was empty: created one resource with POST {collection}"
    ident = item_id(item, op.path_params[0]) if item else None
    if ident is None:
        return None, f"GET {collection} gave no item with an id (and none could be created)"
    return fill_path(op, {op.path_params[0]: ident}), note


async def resolve_by_id_paths(client: httpx.AsyncClient, doc: JsonObject) -> ByIdPaths:
    """Fill every by-id GET path with the id of the first item of its collection."""
    ops = operations(doc)
    result = ByIdPaths()
    for op in by_id_gets(ops):
        path, note = await _fill_one(client, doc, ops, op)
        if path is None:
            result.unfilled[op.label] = note
            continue
        result.paths[op.label] = path
        if note:
            result.notes.append(note)
    return result


OPENAPI: FactKey[JsonObject] = FactKey("openapi")


async def fetch_openapi(client: httpx.AsyncClient) -> JsonObject:
    """The first OpenAPI document found at the usual paths.

    Raises:
        OpenApiUnavailable: If none of them serves a JSON object with ``paths``.
    """
    tried = []
    for path in OPENAPI_PATHS:
        try:
            response = await client.get(path)
            doc = response.json() if response.status_code == httpx.codes.OK else None
        except (httpx.HTTPError, ValueError) as exc:
            tried.append(f"{path}: {type(exc).__name__}")
            continue
        if isinstance(doc, dict) and isinstance(doc.get("paths"), dict):
            return doc
        tried.append(f"{path}: HTTP {response.status_code}")
    raise OpenApiUnavailable("the app serves no OpenAPI document (" + "; ".join(tried) + ")")


@provides(OPENAPI)
async def openapi_document(facts: Facts) -> JsonObject:
    """The running app's OpenAPI document (normally ``GET /openapi.json``).

    Raises:
        OpenApiUnavailable: If the app serves none.
    """
    server = await facts.get(LIVE_SERVER)
    async with server.gate.shared(), server.client() as client:
        return await fetch_openapi(client)
