"""The perf lab's registry and table (fast) and a short run of two variants (slow)."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, fields
from pathlib import Path

import pytest

from evals.perf.calibrate import BARE, Calibration, Segment, Settings
from evals.perf.loadgen import Sample
from evals.perf_lab.__main__ import main, parser, settings_of
from evals.perf_lab.cpu import cpu_seconds, tree_cpu_seconds
from evals.perf_lab.report import COLUMNS, Context, CpuSegment, Row, render
from evals.perf_lab.runner import Lab, variant_argv, variant_env
from evals.perf_lab.variants import BASELINE, VARIANTS, Choices, select


def test_every_variant_differs_from_the_baseline_in_one_choice() -> None:
    assert VARIANTS[0].name == BASELINE
    assert VARIANTS[0].choices == Choices()
    base = asdict(Choices())
    for variant in VARIANTS[1:]:
        changed = [k for k, v in asdict(variant.choices).items() if v != base[k]]
        assert len(changed) == 1, (variant.name, changed)
    assert len({variant.name for variant in VARIANTS}) == len(VARIANTS)


def test_the_issue_s_choices_are_all_covered() -> None:
    changed = {
        field.name
        for variant in VARIANTS[1:]
        for field in fields(Choices)
        if getattr(variant.choices, field.name) != getattr(Choices(), field.name)
    }
    assert changed == {field.name for field in fields(Choices)}
    pools = {variant.choices.pool_size for variant in VARIANTS}
    assert pools == {5, 20, 64}


def test_select_keeps_the_baseline_and_rejects_unknown_names() -> None:
    assert [v.name for v in select(["core_select"])] == [BASELINE, "core_select"]
    assert select([]) == list(VARIANTS)
    with pytest.raises(ValueError, match="nope"):
        select(["nope"])


def test_choices_travel_as_json_and_pick_the_server() -> None:
    choices = Choices(orm=False, pool_size=5, uvloop=False)
    assert Choices.from_json(choices.to_json()) == choices
    assert Choices.from_json("") == Choices()
    lab = Lab("wrk", Settings(), Path("scratch"), dsn="postgresql://x/db", site=Path("/site"))
    variant = select(["asyncio_h11"])[1]
    argv = variant_argv(variant, 8000)
    assert "--factory" in argv and argv[argv.index("--loop") + 1] == "asyncio"
    env = variant_env(variant, lab)
    assert env["PYTHONPATH"].startswith("/site")
    assert Choices.from_json(env["EVALS_PERF_LAB_CHOICES"]) == variant.choices


def _segment(target: str, number: int, rps: float, p99_ms: float) -> Segment:
    sample = Sample(int(rps * 2), 0, 2.0, p99_ms / 4, p99_ms / 2, p99_ms)
    return Segment(target, "/items/1", number, 64, 1.0, sample)


def _calibration(name: str, rps: list[float], p99: list[float]) -> Calibration:
    """Rounds of bare app (1000 req/s, p99 10 ms), baseline (300, 50) and ``name``."""
    cal = Calibration("wrk", Settings(), {name: "/items/1"})
    for number, (mine, tail) in enumerate(zip(rps, p99, strict=True), start=1):
        cal.segments += [_segment(BARE, number, 1000.0, 10.0)]
        cal.segments += [
            _segment(BASELINE, number, 300.0, 50.0),
            _segment(name, number, mine, tail),
        ]
    return cal


def test_rows_are_medians_of_per_round_ratios() -> None:
    cal = _calibration("core_select", [200.0, 450.0, 900.0], [30.0, 25.0, 500.0])
    row = Row.of(VARIANTS[1], [cal])
    assert row.rps == pytest.approx(450.0)
    assert row.ratio == pytest.approx(0.45)
    assert row.p99_ms == pytest.approx(30.0)
    assert row.p99_ratio == pytest.approx(3.0)
    assert row.bare_rps == pytest.approx(1000.0)
    assert row.delta_rps == pytest.approx(0.5)
    assert row.delta_p99 == pytest.approx(-0.4)
    base = Row.of(VARIANTS[0], [cal, _calibration("pool_5", [1.0], [1.0])])
    assert base.rps == pytest.approx(300.0) and base.delta_rps is None


def test_the_table_has_a_header_every_variant_and_differences() -> None:
    cal = _calibration("core_select", [450.0, 450.0], [25.0, 25.0])
    base, other = Row.of(VARIANTS[0], [cal]), Row.of(VARIANTS[1], [cal])
    context = Context("2026-12-07 00:00", 2, (1.0, 2.0, 3.0), (1.5, 2.0, 3.0), "wrk",
                      Settings(rounds=4), "python -m evals.perf_lab", ["a note"])  # fmt: skip
    table = render([base, other], context)
    assert "2 cores" in table and "load average 1.00/2.00/3.00" in table and "wrk" in table
    assert "2026-12-07 00:00 UTC" in table and "`python -m evals.perf_lab`" in table
    assert "| " + " | ".join(COLUMNS) + " |" in table
    assert re.search(
        r"\| `core_select` \|.*\| 0\.45x \|.*\| \+50% \[\+50, \+50\] \| -50% \[-50, -50\] \|", table
    )
    assert re.search(r"\| `idiomatic` \|.*\| — \| — \|", table)
    assert "- a note" in table


def test_cpu_per_request_is_paired_with_the_baseline() -> None:
    cal = Calibration("wrk", Settings(), {"core_select": "/items/1"})
    for number in (1, 2):
        sample = Sample(1000, 0, 2.0, 1.0, 2.0, 3.0)
        cal.segments += [CpuSegment(BASELINE, "/items/1", number, 64, 1.0, sample, 1.0, 0.2)]
        cal.segments += [CpuSegment("core_select", "/items/1", number, 64, 1.0, sample, 0.6, 0.3)]
    row = Row.of(VARIANTS[1], [cal])
    assert [row.app_cpu_ms, row.db_cpu_ms] == pytest.approx([0.6, 0.3])
    assert list(row.cpu_changes) == pytest.approx([-0.25, -0.25])


def test_cpu_seconds_come_from_proc() -> None:
    sum(range(2_000_000))
    assert cpu_seconds(os.getpid()) > 0
    assert tree_cpu_seconds(os.getpid()) >= cpu_seconds(os.getpid())
    assert cpu_seconds(-1) == 0.0


def test_the_defaults_are_the_documented_ones() -> None:
    settings = settings_of(parser().parse_args([]))
    assert (settings.connections, settings.rounds, settings.duration_s) == (64, 4, 2.0)


def _table_rows(table: str) -> dict[str, list[str]]:
    rows = {}
    for line in table.splitlines():
        match = re.match(r"\| `([a-z_0-9]+)` \|", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in line.strip("|").split("|")]
    return rows


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_two_variants_run_against_the_bare_app(tmp_path: Path) -> None:
    output = tmp_path / "results.md"
    argv = ["--variants", "core_select", "--duration", "1", "--rounds", "2", "--warmup", "1"]
    assert main([*argv, "--output", str(output)]) == 0
    rows = _table_rows(output.read_text(encoding="utf-8"))
    assert set(rows) == {BASELINE, "core_select", "bare"}
    for cells in rows.values():
        assert float(cells[COLUMNS.index("req/s")]) > 0
        assert float(cells[COLUMNS.index("bare req/s")]) > 0
