#!/bin/sh
# Container entrypoint: bring the schema up to date, then serve with N workers.
# `serve` (default) | `migrate` | any app.py command, e.g. `create-user --email ... --role admin`.
set -eu
PYTHON="${PYTHON:-python}"
cd "$(dirname "$0")/.."
case "${1:-serve}" in
  serve)
    if [ "${MIGRATE_ON_START:-true}" = "true" ]; then
      "$PYTHON" app.py migrate
    fi
    exec "$PYTHON" app.py serve --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}" --workers "${WORKERS:-2}"
    ;;
  *)
    exec "$PYTHON" app.py "$@"
    ;;
esac
