"""The checklist is valid data and covers every checklist line of the original command."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evals.checklist import CHECKLIST_PATH, ChecklistError, load_checklist
from evals.model import Tier

SEED_MAP_PATH = CHECKLIST_PATH.with_name("seed_checklist.yaml")

# The seed's "Quality Gates" and "Code Quality Checklist", line by line, as the user wrote them.
QUALITY_GATES = (
    "Zero linting errors (Ruff)",
    "Code formatted with Black",
    "Type hints validated with mypy",
    "Test coverage ≥ 85%",
    "No security vulnerabilities (Bandit, Safety)",
    "API response time < 200ms",
    "Complete OpenAPI documentation with examples",
    "All pre-commit hooks passing",
)
CODE_QUALITY_CHECKLIST = (
    "All code passes Ruff linting",
    "All code is formatted with Black",
    "All functions have type hints",
    "Mypy type checking passes",
    "Test coverage ≥ 85%",
    "All tests pass",
    "Pre-commit hooks configured and passing",
    "OpenAPI documentation is complete",
    "README has setup instructions",
    "Docker Compose works for local development",
    "Database migrations are tested",
    "Kafka producers/consumers handle errors gracefully",
    "Async patterns are used correctly",
    "Connection pooling is configured",
    "Health check endpoints work",
    "Structured logging is implemented",
    "Exception handling is comprehensive",
)


def _seed_map() -> dict[str, dict[str, list[str]]]:
    document = yaml.safe_load(SEED_MAP_PATH.read_text(encoding="utf-8"))
    sections: dict[str, dict[str, list[str]]] = document["sections"]
    return sections


def test_checklist_loads_with_unique_ids_and_fingerprint() -> None:
    checklist = load_checklist()
    ids = [item.id for item in checklist.items]
    assert len(ids) == len(set(ids))
    assert len(checklist.items) >= 40
    assert len(checklist.sha256) == 64


def test_every_threshold_item_has_a_unit_and_tiers_parse() -> None:
    checklist = load_checklist()
    for item in checklist.items:
        assert isinstance(item.tier, Tier)
        assert (item.threshold is None) == (item.unit is None), item.id
    assert checklist.get("tests.coverage").threshold == 85
    assert checklist.get("perf.latency").threshold == 200
    assert checklist.get("code.function_length").threshold == 20


@pytest.mark.parametrize(
    ("section", "lines"),
    [("Quality Gates", QUALITY_GATES), ("Code Quality Checklist", CODE_QUALITY_CHECKLIST)],
)
def test_every_seed_checklist_line_maps_to_items(section: str, lines: tuple[str, ...]) -> None:
    mapping = _seed_map()[section]
    ids = {item.id for item in load_checklist().items}
    assert set(mapping) == set(lines)
    for line in lines:
        assert mapping[line], f"{section}: {line!r} maps to no item"
        assert set(mapping[line]) <= ids, f"{section}: {line!r} maps to unknown ids"


def test_seed_map_and_checklist_agree_both_ways() -> None:
    """Every mapped id exists and every item quotes a seed line (its ``seed`` maps it).

    A new item needs no entry in seed_checklist.yaml: its own ``seed`` quote is its mapping,
    so adding an item touches the checklist, its check and its mutation test only.
    """
    checklist = load_checklist()
    sections = _seed_map()
    mapped_ids = {i for section in sections.values() for ids in section.values() for i in ids}
    all_lines = {line for section in sections.values() for line in section}
    assert mapped_ids <= {item.id for item in checklist.items}
    for item in checklist.items:
        assert item.seed in all_lines, f"{item.id}: seed quote {item.seed!r} is not a seed line"


def _write_checklist(tmp_path: Path, items: list[dict[str, object]]) -> Path:
    path = tmp_path / "checklist.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "items": items}), encoding="utf-8")
    return path


def _raw_items() -> list[dict[str, object]]:
    items: list[dict[str, object]] = yaml.safe_load(CHECKLIST_PATH.read_text("utf-8"))["items"]
    return items


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    items = _raw_items()
    path = _write_checklist(tmp_path, [*items, items[0]])
    with pytest.raises(ChecklistError, match=r"duplicate ids: structure\.layout"):
        load_checklist(path)


def test_schema_violation_names_its_location(tmp_path: Path) -> None:
    items = _raw_items()
    items[2] = {**items[2], "gate": "yes"}
    with pytest.raises(ChecklistError, match="items/2/gate"):
        load_checklist(_write_checklist(tmp_path, items))


def test_threshold_without_unit_is_refused(tmp_path: Path) -> None:
    items = _raw_items()
    item = dict(items[0])
    item["threshold"] = 3
    with pytest.raises(ChecklistError, match="unit"):
        load_checklist(_write_checklist(tmp_path, [item]))


def test_unreadable_checklist_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError, match="cannot read checklist"):
        load_checklist(tmp_path / "missing.yaml")
