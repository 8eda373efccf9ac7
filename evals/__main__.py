"""``python -m evals``: the harness's command line (see :mod:`evals.cli`)."""

from evals.cli import main

raise SystemExit(main())
