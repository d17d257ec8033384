#!/bin/sh
# Entrypoint of every Nautilus container: wait for the database and the broker, prepare the
# Prometheus multiprocess directory, start the worker metrics exporter where asked, then exec the
# command so it runs as the main process and receives the stop signal itself.
#
# Migrations are not run here: the one-shot `migrate` service does that once, so scaled replicas of
# web and the workers never race on the schema.
set -eu

here=$(dirname "$0")

python "$here/probe.py" wait --timeout "${WAIT_FOR_DEPS_TIMEOUT:-120}"

if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    # prometheus_client requires an empty directory at start: files from a previous run would be
    # summed into the new one's figures.
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
    find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete
fi

if [ -n "${METRICS_EXPORTER_PORT:-}" ]; then
    # A worker container has no HTTP server of its own: this one serves its pool's metric files.
    python "$here/metrics_exporter.py" &
fi

exec "$@"
