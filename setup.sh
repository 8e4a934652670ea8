#!/usr/bin/env bash
# Set-up: a virtual environment in .venv with the project, its test tools and the server extra, installed through
# pyproject.toml only. durable-rules comes as the wheel in wheels/ (built from the PyPI sdist with
# the project's patch, see wheels/README.md), so no compiler is needed; CPython 3.11 to 3.13.
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.12 python3.11 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null; then
      PY="$candidate"; break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "Python 3.11, 3.12 eller 3.13 behövs." >&2
  exit 1
fi
# One line per step; pip says only errors (-qq: its warnings are about the machine's pip settings, not
# the project, and pyproject.toml is written so that setuptools has nothing to warn about).
if [ ! -x .venv/bin/python ]; then
  echo "1/3 Skapar .venv med $PY"
  "$PY" -m venv .venv
else
  echo "1/3 .venv finns redan"
fi
echo "2/3 Uppdaterar pip"
.venv/bin/python -m pip install -qq --upgrade pip
echo "3/3 Installerar projektet med test- och serverpaket (kan ta en minut)"
.venv/bin/python -m pip install -qq --find-links wheels -e ".[test,server]"
echo "Klart: .venv/bin/vp --help"
