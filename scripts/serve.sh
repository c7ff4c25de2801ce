#!/usr/bin/env bash
# Install the portal's Python packages, then build the portal and serve it on http://127.0.0.1:8000/ with live reload.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e .
exec python3 build.py serve "$@"
