#!/usr/bin/env bash
# Install the eval harness for action.yml, exactly as poetry.lock pins it.
#   scripts/ci_install.sh PYTHON
# Poetry gets a venv of its own (.ci-poetry/); the harness goes into .venv/ of this checkout
# (POETRY_VIRTUALENVS_IN_PROJECT). `poetry install` refuses a poetry.lock that does not match
# pyproject.toml and installs the locked versions only, so CI scores with what the lock says.
# Writes python=<the harness's interpreter> to $GITHUB_OUTPUT (stdout without it).
set -euo pipefail
python=${1:?usage: scripts/ci_install.sh PYTHON}
cd "$(dirname "$0")/.."
"$python" -m venv .ci-poetry
.ci-poetry/bin/python -m pip install --quiet --disable-pip-version-check 'poetry>=2.0,<3.0'
export POETRY_VIRTUALENVS_IN_PROJECT=true POETRY_NO_INTERACTION=1
.ci-poetry/bin/poetry env use --quiet "$python"
.ci-poetry/bin/poetry install --only main --no-ansi
echo "python=$PWD/.venv/bin/python" >>"${GITHUB_OUTPUT:-/dev/stdout}"
