"""Every checklist item is proven by at least one mutation of the reference."""

from __future__ import annotations

import importlib
import pkgutil

import tests.mutations
from evals.checklist import load_checklist
from tests.mutations.helpers import Mutation

# Items that no edit of the project can make fail on this machine, with the reason and what
# proves the check instead.
NOT_MUTABLE_HERE = {
    "security.dependencies": (
        "pip-audit's vulnerability service is unreachable here, so the check reports error "
        "whatever the project holds (test_security_dependencies_is_never_pass_offline); a canned "
        "vulnerable report proves the fail path in tests/checks/test_toolchain_checks.py"
    ),
}


def all_mutations() -> list[Mutation]:
    found: list[Mutation] = []
    for info in pkgutil.iter_modules(tests.mutations.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"tests.mutations.{info.name}")
        for value in vars(module).values():
            candidates = value if isinstance(value, list) else [value]
            found.extend(m for m in candidates if isinstance(m, Mutation))
    return found


def test_every_checklist_item_has_a_mutation() -> None:
    targeted = {target for mutation in all_mutations() for target in mutation.targets}
    items = {item.id for item in load_checklist().items}
    assert items - targeted == set(NOT_MUTABLE_HERE)


def test_mutations_only_target_checklist_items() -> None:
    targeted = {target for mutation in all_mutations() for target in mutation.targets}
    assert targeted <= {item.id for item in load_checklist().items}
