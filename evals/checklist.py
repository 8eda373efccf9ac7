"""Load and validate the checklist (``evals/checklist.yaml``), the single source of truth."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from evals.model import Tier

CHECKLIST_PATH = Path(__file__).with_name("checklist.yaml")
SCHEMA_PATH = Path(__file__).with_name("checklist.schema.json")


class ChecklistError(Exception):
    """The checklist file is missing, unreadable or does not match its schema."""


@dataclass(frozen=True)
class ChecklistItem:
    """One quality item of the checklist.

    Attributes:
        id: Stable dotted identifier, e.g. ``tests.coverage``.
        title: Short human-readable name.
        category: Group used by reports and the prompt.
        gate: Whether failing this item fails the verdict.
        weight: Relative weight in the score.
        tier: The cheapest harness tier that evaluates it.
        rationale: Why the item matters.
        seed: The line of the original command this item comes from.
        how: How the harness verifies it.
        verification: ``automated`` or ``inspection``.
        threshold: Numeric bar for measured items, if any.
        unit: Unit of ``threshold``.
    """

    id: str
    title: str
    category: str
    gate: bool
    weight: float
    tier: Tier
    rationale: str
    seed: str
    how: str
    verification: str = "automated"
    threshold: float | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Checklist:
    """The loaded checklist with its fingerprint.

    Attributes:
        items: Items in file order.
        sha256: Hex SHA-256 of the file's bytes, recorded in every result.
        version: The file format version.
    """

    items: tuple[ChecklistItem, ...]
    sha256: str
    version: int

    def get(self, item_id: str) -> ChecklistItem:
        """Return the item with ``item_id``.

        Raises:
            KeyError: If no item has that id.
        """
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


def _item_from_mapping(raw: dict[str, Any]) -> ChecklistItem:
    fields = dict(raw)
    fields["tier"] = Tier.parse(str(fields["tier"]))
    return ChecklistItem(**fields)


def validate_document(document: object) -> None:
    """Validate a parsed checklist document against the JSON Schema and id uniqueness.

    Raises:
        ChecklistError: With the first schema violation or the duplicated id.
    """
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    try:
        jsonschema.validate(document, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "<root>"
        raise ChecklistError(f"checklist invalid at {where}: {exc.message}") from None
    assert isinstance(document, dict)  # noqa: S101 - guaranteed by the schema
    ids = [item["id"] for item in document["items"]]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ChecklistError(f"checklist has duplicate ids: {', '.join(duplicates)}")


def load_checklist(path: Path = CHECKLIST_PATH) -> Checklist:
    """Read, validate and fingerprint the checklist at ``path``.

    Raises:
        ChecklistError: If the file cannot be read, parsed or validated.
    """
    try:
        raw = path.read_bytes()
        document = yaml.safe_load(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise ChecklistError(f"cannot read checklist {path}: {exc}") from None
    validate_document(document)
    items = tuple(_item_from_mapping(entry) for entry in document["items"])
    return Checklist(items, hashlib.sha256(raw).hexdigest(), int(document["version"]))
