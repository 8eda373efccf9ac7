"""The real registry and checklist agree: one check per item, one item per check."""

from __future__ import annotations

from evals import registry
from evals.checklist import load_checklist
from evals.runner import verify_registry


def test_every_item_has_a_check_and_every_check_an_item() -> None:
    registry.load_all()
    checklist = load_checklist()
    verify_registry(checklist, registry.CHECKS)  # raises RegistryMismatchError, naming the ids
    assert {item.id for item in checklist.items} == set(registry.CHECKS)


def test_requirements_name_registered_checks() -> None:
    registry.load_all()
    dangling = {
        (spec.item_id, required)
        for spec in registry.CHECKS.values()
        for required in spec.requires
        if required not in registry.CHECKS
    }
    assert dangling == set()
