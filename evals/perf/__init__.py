"""Calibrated load measurement: a bare FastAPI + asyncpg app measured alongside the project.

The project's figures are judged against a bare app served on the same machine and the same
database server in the same run (:mod:`evals.perf.calibrate`), with a load generator that
runs outside the harness's event loop (:mod:`evals.perf.loadgen`): ``wrk`` when it is on
``PATH``, else the harness's own lean client in separate processes (:mod:`evals.perf.pyload`).
"""
