"""Perf lab: which choices of a layered FastAPI service move throughput and p99 the most.

``python -m evals.perf_lab`` serves small variants of one GET-by-id endpoint of an idiomatic
router → service → repository service (SQLAlchemy 2 async + asyncpg, a Pydantic v2 response
model, a 10-column table of 1,000 rows; :mod:`evals.perf_lab.service`), each differing from
the baseline in one choice (:mod:`evals.perf_lab.variants`), and measures every variant
against the bare app of :mod:`evals.perf.bare_app` and the baseline, back to back in every
round, with the harness's load generator and figures (:mod:`evals.perf.loadgen`,
:mod:`evals.perf.calibrate`) on one embedded PostgreSQL (:mod:`evals.perf_lab.runner`),
plus the CPU each app and the database spend per request (:mod:`evals.perf_lab.cpu`). It
prints a Markdown table (:mod:`evals.perf_lab.report`); ``RESULTS.md`` holds two runs.
"""
