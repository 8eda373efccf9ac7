"""The lab's layered service: router → service → repository, SQLAlchemy 2 async + asyncpg.

Served by uvicorn with ``--factory evals.perf_lab.service.app:from_env``; what it does is
set by :class:`evals.perf_lab.variants.Choices` in the environment. SQLAlchemy is not a
dependency of the harness: the experiment puts it on ``PYTHONPATH`` (:mod:`evals.perf_lab.deps`).
"""
