"""The calibrated performance gate: ratios, load generators, saturation and machine load."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from evals.checklist import load_checklist
from evals.checks.performance import DEFAULT_P99_RATIO, p99_ratio_limit
from evals.model import Status, Tier
from evals.perf.calibrate import (
    BARE,
    Calibration,
    Figures,
    Segment,
    Settings,
    ratios,
    saturation_problem,
)
from evals.perf.loadgen import (
    LoadGeneratorError,
    Sample,
    merge_pyload,
    parse_wrk,
    run_pyload,
    run_wrk,
)
from evals.perf.stress_check import cpu_hog, slow_service
from evals.perf.verdict import BARE_P95_BUDGET_MS, latency_outcome, throughput_outcome
from evals.runner import score_project
from tests.mutations.helpers import copy_reference

# Captured from `wrk -t2 -c64 -d3s --latency -s report.lua` (evals.perf.loadgen.WRK_SCRIPT).
WRK_SAMPLE = """\
Running 3s test @ http://127.0.0.1:18765/items/1
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   778.10us  774.64us  15.91ms   95.67%
    Req/Sec    45.56k     8.43k   53.17k    85.00%
  Latency Distribution
     50%  619.00us
     75%  734.00us
     90%    0.87ms
     99%    3.65ms
  271901 requests in 3.00s, 21.52MB read
Requests/sec:  90516.54
Transfer/sec:      7.16MB
"""
WRK_SAMPLE += (
    'EVALS_WRK {"requests": 271901, "duration_us": 3003882, "p50_us": 619, "p95_us": 1405,'
    ' "p99_us": 3646, "connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0,'
    ' "cpu_s": 2.149}\n'
)
SETTINGS = Settings(connections=64, duration_s=3.0, warmup_s=1.0, rounds=2)


def sample(rps: float, p95: float = 10.0, p99: float = 20.0, errors: int = 0) -> Sample:
    """A 3 s sample with ``rps`` answered requests per second."""
    return Sample(ok=int(rps * 3), errors=errors, duration_s=3.0, p50_ms=p95 / 2, p95_ms=p95,
                  p99_ms=p99)  # fmt: skip


def calibration(bare: Sample, project: Sample, doubled: Sample | None = None) -> Calibration:
    """Two rounds of ``bare`` and ``project`` (GET by id), then ``doubled`` (bare, 2x)."""
    cal = Calibration("wrk", SETTINGS, {"by_id": "/orders/1", "health": "/health/live"})
    for number in (1, 2):
        cal.segments.append(Segment(BARE, "/items/1", number, 64, 0.5, bare))
        cal.segments.append(Segment("by_id", "/orders/1", number, 64, 0.5, project))
        cal.segments.append(Segment("health", "/health/live", number, 64, 0.5, sample(9000)))
    cal.saturation = Segment(BARE, "/items/1", 0, 128, 0.5, doubled or bare)
    return cal


def test_ratios_are_project_over_bare() -> None:
    project = Figures(rps=1500.0, p50_ms=10.0, p95_ms=20.0, p99_ms=40.0, errors=0)
    bare = Figures(rps=5000.0, p50_ms=5.0, p95_ms=8.0, p99_ms=10.0, errors=0)
    assert ratios(project, bare) == pytest.approx((0.3, 4.0))
    assert ratios(project, Figures(0.0, 0.0, 0.0, 0.0, 0)) == (0.0, float("inf"))


def test_figures_average_the_rounds() -> None:
    cal = calibration(sample(4000), sample(2000))
    cal.segments[0] = Segment(BARE, "/items/1", 1, 64, 0.5, sample(6000, p99=30.0))
    assert cal.figures(BARE).rps == pytest.approx(5000.0)
    assert cal.figures(BARE).p99_ms == pytest.approx(25.0)
    assert cal.ratios() == pytest.approx((0.4, (20 / 30 + 20 / 20) / 2))


def test_p99_ratio_is_the_median_round() -> None:
    cal = calibration(sample(4000, p99=20.0), sample(2000, p99=40.0))
    cal.segments.append(Segment(BARE, "/items/1", 3, 64, 0.5, sample(4000, p99=20.0)))
    cal.segments.append(Segment("by_id", "/orders/1", 3, 64, 0.5, sample(2000, p99=400.0)))
    assert cal.round_p99_ratios() == pytest.approx([2.0, 2.0, 20.0])
    assert cal.ratios() == pytest.approx((0.5, 2.0))  # one descheduled round does not decide
    outcome = throughput_outcome(cal, 0.3, 5.0)
    assert outcome.status is Status.PASS, outcome.reason
    assert outcome.metrics["p99_ratio_3"] == pytest.approx(20.0)


def test_wrk_summary_is_parsed() -> None:
    parsed = parse_wrk(WRK_SAMPLE)
    assert parsed.generator_cpu == pytest.approx(2.149 / 3.003882 / 2)
    assert (parsed.ok, parsed.errors) == (271901, 0)
    assert parsed.rps == pytest.approx(90517, abs=1)
    assert (parsed.p50_ms, parsed.p99_ms) == (0.619, 3.646)
    assert 0 < parsed.p50_ms <= parsed.p95_ms <= parsed.p99_ms
    assert parsed.duration_s == pytest.approx(3.0, abs=0.2)


def test_wrk_status_errors_are_not_throughput() -> None:
    line = (
        'EVALS_WRK {"requests": 3000, "duration_us": 2000000, "p50_us": 1000, "p95_us": 2000,'
        ' "p99_us": 3000, "connect": 1, "read": 2, "write": 0, "status": 1000, "timeout": 3}'
    )
    parsed = parse_wrk("Running 2s test\n" + line + "\n")
    assert (parsed.ok, parsed.errors, parsed.rps) == (2000, 1006, 1000.0)
    assert (parsed.p50_ms, parsed.p95_ms, parsed.p99_ms) == (1.0, 2.0, 3.0)


def test_wrk_output_without_summary_is_an_error() -> None:
    with pytest.raises(LoadGeneratorError, match="no summary"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_python_generator_outputs_are_merged() -> None:
    one = '{"latencies_ms": [1.0, 2.0, 3.0], "errors": 1, "elapsed_s": 2.0, "cpu_s": 1.0}'
    two = '{"latencies_ms": [4.0], "errors": 0, "elapsed_s": 2.0, "cpu_s": 1.9}'
    merged = merge_pyload([one, two])
    assert (merged.ok, merged.errors, merged.rps, merged.p50_ms) == (4, 1, 2.0, 2.0)
    assert merged.generator_cpu == pytest.approx(0.95)


def with_cpu(measured: Sample, cpu: float) -> Sample:
    """``measured`` with the generator's CPU figure set to ``cpu``."""
    return Sample(measured.ok, measured.errors, measured.duration_s, measured.p50_ms,
                  measured.p95_ms, measured.p99_ms, generator_cpu=cpu)  # fmt: skip


def test_saturated_generator_passes_the_saturation_check() -> None:
    assert saturation_problem([sample(5000), sample(4600)], sample(5400)) == ""


def test_throughput_rising_with_connections_means_no_saturation() -> None:
    problem = saturation_problem([sample(5000), sample(4600)], sample(6000))
    assert "did not saturate" in problem
    assert "5000 to 6000" in problem


def test_an_idle_generator_is_not_the_bottleneck_whatever_the_load_swings() -> None:
    bare = [with_cpu(sample(2400), 0.2), with_cpu(sample(2300), 0.2)]
    assert saturation_problem(bare, with_cpu(sample(4000), 0.3)) == ""


def test_pegged_generator_means_no_saturation() -> None:
    bare = [with_cpu(sample(5000), 0.5), with_cpu(sample(5000), 0.97)]
    assert "pegged (97% of a core)" in saturation_problem(bare, with_cpu(sample(5000), 0.5))


def test_throughput_gate_passes_a_fast_project() -> None:
    outcome = throughput_outcome(calibration(sample(5000), sample(3500, p99=30.0)), 0.3, 5.0)
    assert outcome.status is Status.PASS, outcome.reason
    assert outcome.metrics["throughput_ratio"] == pytest.approx(0.7)
    assert outcome.metrics["p99_ratio"] == pytest.approx(1.5)
    assert outcome.metrics["generator"] == "wrk"
    assert outcome.metrics["load_avg_bare_1"] == pytest.approx(0.5)
    assert "throughput 0.70x bare" in outcome.reason
    assert "wrk, 64 connections" in outcome.reason


def test_throughput_gate_fails_low_throughput() -> None:
    outcome = throughput_outcome(calibration(sample(5000), sample(800, p99=60.0)), 0.3, 5.0)
    assert outcome.status is Status.FAIL
    assert "throughput 0.16x bare (>= 0.3x)" in outcome.reason


def test_throughput_gate_fails_a_long_tail() -> None:
    outcome = throughput_outcome(calibration(sample(5000), sample(4000, p99=870.0)), 0.3, 5.0)
    assert outcome.status is Status.FAIL
    assert "p99 43.5x bare (<= 5x; median of the rounds)" in outcome.reason


def test_throughput_gate_fails_on_errors_under_load() -> None:
    outcome = throughput_outcome(calibration(sample(5000), sample(4000, errors=3)), 0.3, 5.0)
    assert outcome.status is Status.FAIL
    assert "6 errors under load" in outcome.findings[0].message  # 3 in each round


def test_unsaturated_generator_is_an_error_never_a_pass() -> None:
    cal = calibration(sample(5000), sample(4000), doubled=sample(7000))
    for outcome in (throughput_outcome(cal, 0.3, 5.0), latency_outcome(cal, 200.0)):
        assert outcome.status is Status.ERROR
        assert "did not saturate" in outcome.reason
        assert outcome.metrics["bare_rps_2x"] == pytest.approx(7000.0)


def test_latency_is_judged_on_a_quiet_machine() -> None:
    cal = calibration(sample(5000, p95=12.0), sample(3000, p95=250.0, p99=300.0))
    outcome = latency_outcome(cal, 200.0)
    assert outcome.status is Status.FAIL
    assert "p95 of GET /orders/1 at 8 connections is 250.0 ms (>= 200 ms)" in outcome.reason
    quiet = latency_outcome(calibration(sample(5000, p95=12.0), sample(3000, p95=30.0)), 200.0)
    assert quiet.status is Status.PASS, quiet.reason


def test_latency_is_judged_at_the_light_concurrency() -> None:
    """A queue at 64 connections is perf.throughput's; response time is judged at 8."""
    cal = calibration(sample(5000, p95=12.0), sample(300, p95=450.0, p99=600.0))
    cal.latency = [
        Segment(BARE, "/items/1", -1, 8, 0.5, sample(4000, p95=3.0)),
        Segment("by_id", "/orders/1", -1, 8, 0.5, sample(900, p95=14.0)),
        Segment("health", "/health/live", -1, 8, 0.5, sample(3000, p95=6.0)),
    ]
    outcome = latency_outcome(cal, 200.0)
    assert outcome.status is Status.PASS, outcome.reason
    assert "p95 of GET /orders/1 at 8 connections is 14.0 ms" in outcome.reason
    cal.latency[1] = Segment("by_id", "/orders/1", -1, 8, 0.5, sample(40, p95=230.0))
    assert latency_outcome(cal, 200.0).status is Status.FAIL


def test_a_slow_list_is_reported_not_judged() -> None:
    cal = calibration(sample(5000, p95=12.0), sample(3000, p95=30.0))
    cal.paths["list"] = "/orders"
    for number in (1, 2):
        cal.segments.append(Segment("list", "/orders", number, 64, 0.5, sample(300, p95=450.0)))
    outcome = latency_outcome(cal, 200.0)
    assert outcome.status is Status.PASS, outcome.reason
    assert "list GET /orders: 300 req/s, p50/p95/p99 225.0/450.0/20.0 ms" in outcome.reason
    assert outcome.metrics["list_p95_ms"] == pytest.approx(450.0)


def test_loaded_machine_cannot_judge_absolute_latency() -> None:
    loaded = sample(3000, p95=BARE_P95_BUDGET_MS + 17.4, p99=90.0)
    outcome = latency_outcome(calibration(loaded, sample(2000, p95=90.0, p99=120.0)), 200.0)
    assert outcome.status is Status.ERROR
    assert outcome.reason.startswith(
        "machine too loaded to judge absolute latency: bare p95 67.4 ms"
    )


def test_checklist_records_both_ratio_thresholds() -> None:
    item = load_checklist().get("perf.throughput")
    assert item.threshold == pytest.approx(0.3)
    assert p99_ratio_limit(item.unit) == pytest.approx(8.0)
    assert p99_ratio_limit("x bare") == DEFAULT_P99_RATIO


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALS_PERF_CONNECTIONS", "32")
    monkeypatch.setenv("EVALS_PERF_ROUNDS", "1")
    monkeypatch.setenv("EVALS_PERF_SEGMENT_S", "nonsense")
    settings = Settings.from_env()
    assert (settings.connections, settings.rounds, settings.duration_s) == (32, 2, 2.0)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A keep-alive HTTP/1.1 server answering every request with a small JSON body."""
    body = b'{"ok": true}'
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n"
    try:
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(head + body)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


@contextlib.asynccontextmanager
async def tiny_server() -> AsyncIterator[str]:
    """The base URL of :func:`_answer` on a free port, served in the test's event loop."""
    server = await asyncio.start_server(_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"


async def test_python_generator_runs_in_separate_processes() -> None:
    async with tiny_server() as url:
        measured = await run_pyload(url, "/items/1", 4, 0.5)
    assert measured.ok > 0
    assert measured.errors == 0
    assert 0.0 < measured.generator_cpu <= 1.5


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
async def test_wrk_runs_and_is_parsed() -> None:
    async with tiny_server() as url:
        measured = await run_wrk(url, "/items/1", 4, 1.0)
    assert measured.ok > 0
    assert measured.errors == 0


async def _score_perf(project: Path) -> tuple[Status, str, dict[str, float | int | str]]:
    """Score perf.throughput on ``project``: its status, reason and metrics."""
    result = await score_project(project, tier=Tier.FULL, select=("perf.throughput",))
    check = result.by_id("perf.throughput")
    return check.status, check.outcome.reason, check.outcome.metrics


@pytest.mark.slow
@pytest.mark.full
async def test_reference_passes_with_one_core_busy(tmp_path: Path) -> None:
    with cpu_hog():
        for run in range(2):
            status, reason, metrics = await _score_perf(copy_reference(tmp_path / f"r{run}"))
            assert status is Status.PASS, reason
            assert float(metrics["throughput_ratio"]) >= 0.3


@pytest.mark.slow
@pytest.mark.full
async def test_slow_service_fails_the_ratio_gate(tmp_path: Path) -> None:
    for run in range(2):
        project = copy_reference(tmp_path / f"slow{run}")
        slow_service(project)
        status, reason, metrics = await _score_perf(project)
        assert status is Status.FAIL, reason
        assert float(metrics["throughput_ratio"]) < 0.3 or float(metrics["p99_ratio"]) > 5
