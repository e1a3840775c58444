#!/usr/bin/env bash
# Certificates and leaderboards (issue 11): certificate render alone (PDFs per second on one
# thread, file size), completion -> certificate downloadable with the worker idle (p50), then at
# scale (lmsctl seed-scale USERS + seed-scale-xp EVENTS: 1,000,000 users and 10,000,000 XP events
# by default) the close of last week's snapshot, a from-scratch refresh of the current boards,
# and GET /api/v1/leaderboards through nginx (FastCGI) with wrk at 16 connections, with the
# caller's own rank (a user in the middle of the board) and anonymous, with the CPU time each
# request costs the function and PostgreSQL. Prints figures; asserts nothing.
# Usage: infra/bench/achievements.sh [seconds per wrk run] [users] [events]
# LMS_BENCH_DIR=/some/folder: the stack lives there and is kept; a later run reuses its data
# (seeding takes over 10 minutes) and measures the close again. LMS_BENCH_PARTS=leaderboards:
# only the leaderboards (default "certificates leaderboards").
source "$(dirname "$0")/../scripts/lib.sh"
cd "$LMS_ROOT"
DURATION="${1:-10}"
USERS="${2:-1000000}"
EVENTS="${3:-10000000}"

install_packages wrk
fetch_pg_static
ensure_service_user
# LMS_BENCH_HOLD=1: keep the stack up afterwards (for perf) until interrupted.
# LMS_BENCH_BUILD_DIR: binaries already built there (e.g. the debug build of infra/test.sh)
# instead of a release build.
if [ -z "${LMS_BENCH_BUILD_DIR:-}" ]; then
  log "building release binaries"
  build_release
else
  LMS_BUILD_DIR="$LMS_BENCH_BUILD_DIR"
  LMS_WORKER_BUILD_DIR="$LMS_BENCH_BUILD_DIR"
fi

PARTS="${LMS_BENCH_PARTS:-certificates leaderboards}"
if [ -n "${LMS_BENCH_DIR:-}" ]; then
  BENCH="$LMS_BENCH_DIR"
  LMS_BENCH_KEEP=1
  mkdir -p "$BENCH"
else
  BENCH="$(mktemp -d /tmp/lms-achievements.XXXXXX)"
fi
chmod 0755 "$BENCH"
stack_init "$BENCH"
trap 'stop_workers || true; stop_instance main || true; stop_postgres || true; [ -n "${LMS_BENCH_KEEP:-}" ] || rm -rf "$BENCH"' EXIT
start_postgres
start_pgbouncer
lmsctl migrate >/dev/null
lmsctl seed-demo >/dev/null
JWT_SECRET_VALUE="$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')"
write_env_file "LMS_ENV=production" "JWT_SECRET=$JWT_SECRET_VALUE" "LOG_REQUESTS=false" "PUBLIC_APP_URL=https://app.example.com"
install_binaries
bench() { env DATABASE_URL="$DATABASE_URL" JWT_SECRET="$JWT_SECRET_VALUE" "$LMS_WORKER_BUILD_DIR/achievements-bench" "$@"; }
# The fast font when the stack has one (CERTIFICATE_SUBSET_FONT=... bench render), else the whole font.

if [[ " $PARTS " == *" certificates "* ]]; then
  echo "== certificates ($(nproc) cores shared with whatever else runs: figures taken under that load)"
  CERTIFICATE_SUBSET_FONT="$STACK/fonts/DejaVuSans-certificate.ttf" bench render --count 500
  bench render --count 300
  start_worker worker-certificate
  sleep 2
  bench issue --samples 25
  stop_workers
fi
[[ " $PARTS " == *" leaderboards "* ]] || exit 0

echo "== leaderboards at scale: $USERS users, $EVENTS XP events ($(nproc) cores shared with whatever else runs)"
psql_lms() { as_service "$(pg_bin)/psql" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -d lms -Atqc "$1"; }
if [ "$(psql_lms "SELECT count(*) FROM users WHERE email LIKE 'scale-%'")" -ge "$USERS" ] &&
  [ "$(psql_lms "SELECT count(*) FROM xp WHERE source LIKE 'lesson:scale-%'")" -gt 0 ]; then
  echo "reusing the scale data of $BENCH"
  bench reopen
else
  start=$(date +%s)
  lmsctl seed-scale "$USERS" 1000 >/dev/null
  echo "users generated in $(($(date +%s) - start)) s"
  start=$(date +%s)
  lmsctl seed-scale-xp "$EVENTS" >/dev/null
  echo "XP events and scores generated in $(($(date +%s) - start)) s"
fi
bench close
bench close
bench reopen
bench close --ranked
bench refresh
TOKEN="$(bench token)"
start_instance main 18096 manifest AUTH_RATE_LIMIT=100000r/s RATE_LIMIT_EXEMPT=127.0.0.1
BASE="http://127.0.0.1:18096"
WRK=(wrk -t2 -c16 --timeout 10s --latency)
# Each run first warms up for WARMUP seconds on processes that have served at most a request or
# two: its p99 is printed as "p99 at start" (a process's first requests connect, prepare
# statements and fill its caches); the other figures come from the run after it.
WARMUP=1
# CPU time (clock ticks) of some processes: the function's FastCGI servers, this stack's
# PostgreSQL (its server's children: backends and background processes).
ticks() {
  local total=0 pid
  for pid in "$@"; do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0))); done
  echo "$total"
}
function_pids() { pgrep -f -- "^$STACK/functions/leaderboards-get" || true; }
postgres_pids() { pgrep -P "$(head -n 1 "$STACK/pg/postmaster.pid")" || true; }
run() {
  local name="$1" out warm function0 postgres0 function1 postgres1 requests tick; shift
  tick=$((1000000 / $(getconf CLK_TCK)))
  warm=$("${WRK[@]}" -d"${WARMUP}s" "$@")
  function0=$(ticks $(function_pids)) postgres0=$(ticks $(postgres_pids))
  out=$("${WRK[@]}" -d"${DURATION}s" "$@")
  function1=$(ticks $(function_pids)) postgres1=$(ticks $(postgres_pids))
  requests=$(printf '%s\n' "$out" | awk '/requests in/ {print $1}')
  printf '%-44s %6s req/s  p50 %8s  p99 %8s  CPU per request: function %4s us, PostgreSQL %4s us  (p99 at start %8s)%s\n' \
    "$name" "$(printf '%s\n' "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')" "$(wrk_field "$out" 50%)" "$(wrk_field "$out" 99%)" \
    "$(((function1 - function0) * tick / requests))" "$(((postgres1 - postgres0) * tick / requests))" "$(wrk_field "$warm" 99%)" \
    "$(printf '%s\n' "$out" | awk '/Non-2xx/ {printf "  %s non-2xx", $NF}')"
}
curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/leaderboards?period=week&limit=10" | head -c 400
echo
echo "GET /api/v1/leaderboards through nginx, FastCGI, wrk 16 connections, ${WARMUP}s warm-up then ${DURATION}s:"
run "week top 10 + own rank (signed in)" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/leaderboards?period=week&limit=10"
run "week top 100 + own rank (signed in)" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/leaderboards?period=week&limit=100"
run "last week's snapshot + own rank (signed in)" -H "Authorization: Bearer $TOKEN" \
  "$BASE/api/v1/leaderboards?period=week&at=$(bench_week=$(date -u -d '7 days ago' +%G-W%V); echo "$bench_week")&limit=10"
run "month top 10 (anonymous)" "$BASE/api/v1/leaderboards?period=month&limit=10"
# What this machine's load leaves of the latency anyway: the same function refusing a bad
# parameter (422) without reaching PostgreSQL.
run "floor: a 422 without PostgreSQL" "$BASE/api/v1/leaderboards?period=day"

hold_stack achievements "BASE=$BASE" "TOKEN=$TOKEN"
