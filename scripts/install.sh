#!/bin/sh
# Install the rendered /development-backend-python-fastapi command into Claude Code.
# Thin wrapper around `python -m scripts.install`; same options:
#   scripts/install.sh [--project PATH] [--force] [--uninstall]
# Uses the repository's .venv (created by `make setup`) unless PYTHON is set.
set -eu
repo_root=$(cd "$(dirname "$0")/.." && pwd)
python_bin=${PYTHON:-"$repo_root/.venv/bin/python"}
if [ ! -x "$python_bin" ]; then
    echo "error: $python_bin not found; run 'make setup' first or set PYTHON" >&2
    exit 1
fi
cd "$repo_root"
exec "$python_bin" -m scripts.install "$@"
