"""``evals.testing.compute_check``: one real check on a project directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals import registry
from evals.model import Status, Tier
from evals.registry import RegistryError
from evals.testing import compute_check
from tests.harness.fakes import hash_tree


async def test_structure_layout_fails_on_a_bare_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'bare'\n")
    outcome = await compute_check("structure.layout", tmp_path, tier=Tier.STATIC)
    assert outcome.status is Status.FAIL
    assert any(f.path == "src/app/main.py" for f in outcome.findings)


async def test_compute_check_leaves_the_project_untouched(reference_copy: Path) -> None:
    before = hash_tree(reference_copy)
    outcome = await compute_check("structure.layout", reference_copy, tier=Tier.STATIC)
    assert outcome.status in (Status.PASS, Status.FAIL)
    assert hash_tree(reference_copy) == before


async def test_unknown_item_is_a_key_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        await compute_check("no.such_item", tmp_path)


async def test_item_without_check_is_a_registry_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(registry.CHECKS, "structure.layout")
    monkeypatch.setattr(registry, "load_all", lambda: None)
    with pytest.raises(RegistryError, match="no check registered"):
        await compute_check("structure.layout", tmp_path)
