#!/usr/bin/env bash
# Set everything up and serve the portal with demo data on SQLite at http://127.0.0.1:8000.
source "$(dirname "$0")/_venv.sh"
ensure_venv requirements.txt
export DJANGO_DEBUG="${DJANGO_DEBUG:-true}"
.venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py seed_demo
echo
echo "Portal:  http://127.0.0.1:8000/portal/    Admin:  http://127.0.0.1:8000/admin/"
echo "Stop with Ctrl-C."
exec .venv/bin/python manage.py runserver 127.0.0.1:8000
