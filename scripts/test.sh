#!/usr/bin/env bash
# Run the whole test suite (SQLite by default; set DATABASE_URL=postgres://... for PostgreSQL).
# Browser tests drive /usr/bin/chromium and are skipped, with the reason shown, where it is missing.
source "$(dirname "$0")/_venv.sh"
ensure_venv requirements-dev.txt
# One worker per core (pytest-xdist); PYTEST_WORKERS=0 runs everything in one process.
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-auto}" "$@"
