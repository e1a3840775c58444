#!/usr/bin/env bash
# The job queue's benchmark beside pgqueuer 1.6.0, on the same throwaway PostgreSQL with the
# same settings: drain of 50,000 no-op jobs by 5 consumer processes (same batch size),
# enqueue-and-work at once, enqueue-to-start latency on an idle queue, and (ours) the time
# until a SIGKILLed worker's job runs again. Prints figures; asserts nothing.
# Usage: infra/bench/queue.sh [batch size, default 10]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$LMS_ROOT"
BATCH="${1:-10}"

install_packages
fetch_pg_static
ensure_service_user
log "building release binaries"
build_release
python3 -c 'import pgqueuer, asyncpg' 2>/dev/null ||
  python3 -m pip install --quiet --disable-pip-version-check "pgqueuer==1.6.0" asyncpg

BENCH="$(mktemp -d /tmp/lms-queue-bench.XXXXXX)"
chmod 0755 "$BENCH"
stack_init "$BENCH"
trap 'stop_postgres || true; rm -rf "$BENCH"' EXIT
start_postgres
lmsctl migrate >/dev/null
PGQ_DSN="postgresql://$LMS_SERVICE_USER@/lms?host=$PG_SOCKET_DIR&port=$PG_PORT"
python3 infra/bench/pgqueuer_bench.py --dsn "$PGQ_DSN" --install >/dev/null

export DATABASE_URL PROBE_BIN="$LMS_WORKER_BUILD_DIR/worker-probe"
bench() { "$LMS_BUILD_DIR/queue-bench" "$@"; }
pgq() { python3 infra/bench/pgqueuer_bench.py --dsn "$PGQ_DSN" "$@"; }

echo
echo "== enqueue-to-start latency on an idle queue (one consumer, batch 1; measured first, before the
   heavy runs leave autovacuum busy)"
bench latency --samples 300
pgq latency --samples 300 --batch-size 1
echo
echo "== drain 50,000 no-op jobs, 5 consumer processes, batch $BATCH"
bench drain --jobs 50000 --consumers 5 --batch-size "$BATCH"
pgq drain --jobs 50000 --consumers 5 --batch-size "$BATCH"
echo
echo "== enqueue and work at the same time (10 s at 10,000 jobs/s offered)"
bench concurrent --seconds 10 --rate 10000 --consumers 5 --batch-size "$BATCH"
pgq concurrent --seconds 10 --rate 10000 --consumers 5 --batch-size "$BATCH"
echo
echo "== a SIGKILLed worker's job runs again"
bench requeue
