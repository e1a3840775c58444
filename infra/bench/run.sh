#!/usr/bin/env bash
# Benchmarks of the platform, printed as figures (never asserted): start-up and memory of a
# release function, and GET /api/v1/users/me (JWT check + one indexed query) through nginx
# with wrk, in FastCGI mode (16 connections) and CGI mode (4 connections) beside a trivial
# "hello" CGI binary behind the same fcgiwrap. Usage: infra/bench/run.sh [seconds per run]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$LMS_ROOT"
DURATION="${1:-10}"

install_packages wrk hyperfine procps
fetch_pg_static
ensure_service_user
log "building release binaries"
build_release

BENCH="$(mktemp -d /tmp/lms-bench.XXXXXX)"
chmod 0755 "$BENCH"
stack_init "$BENCH"
trap 'stop_instance fastcgi || true; stop_instance cgi || true; stop_postgres || true; rm -rf "$BENCH"' EXIT
start_postgres
start_pgbouncer
lmsctl migrate >/dev/null
write_env_file "LMS_ENV=production" "JWT_SECRET=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')" "LOG_REQUESTS=false"
install_binaries
# The baseline, built the way the functions are (fully static when the static C libraries are
# there, as build_release does), installed beside them; it declares its own route.
hello_flags=(-O -static-stdlib)
[ -f "$LMS_ROOT/.deps/pg/libpgcommon_shlib.a" ] && hello_flags=(-O -static-executable)
swiftc "${hello_flags[@]}" infra/bench/hello.swift -o "$BENCH/functions/bench-hello" 2>&1 | release_build_output
limits=(AUTH_RATE_LIMIT=100000r/s RATE_LIMIT_EXEMPT=127.0.0.1 NGINX_WORKERS=1)
start_instance fastcgi 18091 manifest "${limits[@]}"
start_instance cgi 18092 cgi "${limits[@]}"

signup=$(curl -fsS -X POST http://127.0.0.1:18091/api/v1/auth/signup -H 'Content-Type: application/json' \
  -d '{"name":"Bench User","email":"bench@example.test","password":"benchmark password"}')
TOKEN=$(printf '%s' "$signup" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ] || die "could not sign up the benchmark user: $signup"
curl -fsS -H "Authorization: Bearer $TOKEN" http://127.0.0.1:18092/api/v1/users/me >/dev/null || die "CGI route failed"

# wrk_run KEY NAME CONNECTIONS URL [wrk options]: prints requests/s and latency percentiles,
# and keeps requests/s in $rps_KEY.
wrk_run() {
  local key="$1" name="$2" connections="$3" url="$4"; shift 4
  local out
  out=$(wrk -t2 -c"$connections" -d"${DURATION}s" --latency "$@" "$url")
  local rps p50 p99 errors
  rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(printf '%s\n' "$out" | awk '$1 == "50%" {print $2}')
  p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
  errors=$(printf '%s\n' "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
  printf '%-44s %10s req/s   p50 %8s   p99 %8s  %s\n' "$name" "$rps" "$p50" "$p99" "$errors"
  printf -v "rps_$key" '%s' "$rps"
}

echo
echo "== GET /api/v1/users/me through nginx (wrk, ${DURATION}s each, $(nproc) cores shared by everything)"
wrk_run fastcgi "fastcgi users/me (16 connections)" 16 http://127.0.0.1:18091/api/v1/users/me -H "Authorization: Bearer $TOKEN"
wrk_run cgi "cgi users/me (4 connections)" 4 http://127.0.0.1:18092/api/v1/users/me -H "Authorization: Bearer $TOKEN"
wrk_run hello "cgi static hello (4 connections)" 4 http://127.0.0.1:18092/api/v1/bench/hello
awk -v a="$rps_cgi" -v b="$rps_hello" \
  'BEGIN { if (b > 0) printf "cgi users/me / hello throughput: %.2f\n", a / b }'

echo
echo "== Start-up of a release function (exec to exit, no database: GET /users/me without a token)"
# The CGI variables reach the binary through hyperfine's own environment (no wrapper exec).
env -i PATH="$PATH" HOME=/tmp REQUEST_METHOD=GET REQUEST_URI=/api/v1/users/me LOG_REQUESTS=false SWIFT_BACKTRACE=enable=no \
  hyperfine -N --warmup 30 --runs 500 --style basic "$BENCH/functions/users-get-me" "$BENCH/functions/bench-hello" 2>&1 |
  grep -E 'Benchmark|Time'

echo
echo "== Resident memory of FastCGI function processes after the load (a supervisor and its servers)"
for pid in $(pgrep -f "^$BENCH/functions/users-get-me\$"); do
  # RssFile is the binary's pages, shared by every process that maps it; RssAnon is the process's own.
  printf 'users-get-me pid %s (parent %s): %s\n' "$pid" "$(ps -o ppid= -p "$pid" | tr -d ' ')" \
    "$(grep -E '^(VmRSS|RssAnon|RssFile)' "/proc/$pid/status" | tr -s ' \t' ' ' | tr '\n' ' ')"
done
