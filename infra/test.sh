#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, starts a throwaway PostgreSQL cluster with
# PgBouncer, and two nginx front ends over the real function binaries (every route as CGI
# through fcgiwrap on one, every route as a FastCGI process on the other), then runs the unit,
# handler and end-to-end tests. Leaves nothing running. Usage: infra/test.sh [swift test args]
source "$(dirname "$0")/scripts/lib.sh"
cd "$LMS_ROOT"

install_packages
fetch_pg_static
# Python packages of the fakes the tests start (SMTP capture, fake FCM), the providers' SDKs
# (signature cross-checks) and the OpenAPI check.
if ! python3 -c 'import cryptography, aiosmtpd, openapi_spec_validator, razorpay, stripe' 2>/dev/null; then
  log "installing Python test dependencies"
  python3 -m pip --version >/dev/null 2>&1 || install_packages python3-pip
  python3 -m pip install --quiet --disable-pip-version-check -r infra/testing/requirements.txt 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check --break-system-packages -r infra/testing/requirements.txt
fi
ensure_service_user

log "checking the format (swift format lint, .swift-format)"
swift format lint --strict --parallel -r Package.swift Shared Functions Workers Tests infra/lmsctl infra/bench ||
  die "swift format lint found problems: run swift format format -i -r Package.swift Shared Functions Workers Tests infra"

log "building (debug)"
# (pipefail: a failed build fails the pipeline; the filter itself never does.)
swift build --build-tests 2>&1 | { grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Linking|Write|Planning|Applying)' || true; } ||
  die "build failed"
LMS_BUILD_DIR="$(swift build --show-bin-path)"

# Ports of the two nginx front ends (LMS_TEST_PORT and the next one), so two checkouts can test at once.
CGI_PORT="${LMS_TEST_PORT:-18081}"
FASTCGI_PORT=$((CGI_PORT + 1))
# The fake Razorpay and Stripe that the end-to-end purchase test pays through (webhooks to the CGI front end).
PAYMENTS_PORT=$((CGI_PORT + 2))
TEST_STACK="$(mktemp -d /tmp/lms-test.XXXXXX)"
chmod 0755 "$TEST_STACK"
stack_init "$TEST_STACK"
cleanup() {
  local status=$?
  stop_workers || true
  stop_fake_payments || true
  stop_instance cgi || true
  stop_instance fastcgi || true
  stop_postgres || true
  if [ $status -ne 0 ]; then
    log "tests failed; last log lines:"
    tail -n 20 "$STACK"/log/*.log 2>/dev/null || true
  fi
  [ "${LMS_KEEP_TEST_STACK:-}" = 1 ] || rm -rf "$TEST_STACK"
  exit $status
}
trap cleanup EXIT

# A worker under start_worker's supervisor that is killed with SIGKILL runs again within seconds,
# and stop_workers stops both the supervisor and the worker (which exits on SIGTERM, logging it).
check_worker_supervision() {
  log "checking that a killed worker is started again"
  local worker="^$STACK/bin/worker-probe" first="" second=""
  start_worker worker-probe PROBE_QUEUE=supervision-check
  for _ in $(seq 100); do
    first="$(pgrep -f -- "$worker" || true)"
    [ -n "$first" ] && break
    sleep 0.1
  done
  [ -n "$first" ] || die "the supervised worker did not start"
  kill -KILL "$first"
  for _ in $(seq 100); do
    second="$(pgrep -f -- "$worker" || true)"
    [ -n "$second" ] && [ "$second" != "$first" ] && break
    sleep 0.1
  done
  [ -n "$second" ] && [ "$second" != "$first" ] || die "the killed worker was not started again within 10 s"
  sleep 1  # let it finish starting, so the SIGTERM below meets its handler
  stop_workers
  ! pgrep -f -- "$worker|supervise\.sh .*$STACK/bin/" >/dev/null || die "stop_workers left processes running"
  tail -n 1 "$STACK/log/worker-probe.log" | grep -q '"worker stopped"' ||
    die "the worker did not stop on SIGTERM (see $STACK/log/worker-probe.log)"
}

log "starting throwaway PostgreSQL + PgBouncer in $TEST_STACK"
start_postgres fast
start_pgbouncer
lmsctl migrate
lmsctl migrate | grep -q "up to date" || die "second migrate run was not a no-op"
# Demo data loads, and loading it again changes nothing (before the tests, so none races it).
lmsctl seed-demo >/dev/null && lmsctl seed-demo >/dev/null
demo_courses=$(as_service "$(pg_bin)/psql" "$DATABASE_URL" -Atc \
  "SELECT count(*) FROM courses c JOIN users u ON u.id = c.instructor_id WHERE u.email LIKE '%@demo.lms.local'")
[ "$demo_courses" = 12 ] || die "demo data: expected 12 courses, found $demo_courses"
demo_orders=$(as_service "$(pg_bin)/psql" "$DATABASE_URL" -Atc \
  "SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email LIKE '%@demo.lms.local' AND o.status = 'paid'")
[ "$demo_orders" = 2 ] || die "demo data: expected 2 paid orders, found $demo_orders"

JWT_SECRET_VALUE="$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')"
MEDIA_SECRET_VALUE="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mapfile -t payment_keys < <(fake_payments_env)
write_env_file "${payment_keys[@]}" "RAZORPAY_API_URL=http://127.0.0.1:$PAYMENTS_PORT" "STRIPE_API_URL=http://127.0.0.1:$PAYMENTS_PORT" \
  "LMS_ENV=test" "JWT_SECRET=$JWT_SECRET_VALUE" "COOKIE_SECURE=false" "LOG_REQUESTS=true" \
  "MEDIA_SIGNING_SECRET=$MEDIA_SECRET_VALUE" "PUBLIC_BASE_URL=http://127.0.0.1:$CGI_PORT"
install_binaries

# Strict auth and lookup limits for the rate-limit tests, which send from 127.0.0.2 and
# 127.0.0.3; the rest of the suite sends from 127.0.0.1, which the test instances exempt. The
# buckets refill slowly (one request in 10 s), so the limit is reached however slow a machine is.
limits=(AUTH_RATE_LIMIT=6r/m AUTH_RATE_BURST=5 LOOKUP_RATE_LIMIT=6r/m RATE_LIMIT_EXEMPT=127.0.0.1
  CORS_ORIGINS=https://app.example.test)
log "starting nginx: all-CGI on :$CGI_PORT, all-FastCGI on :$FASTCGI_PORT"
start_instance cgi "$CGI_PORT" cgi "${limits[@]}"
start_instance fastcgi "$FASTCGI_PORT" fastcgi "${limits[@]}"

check_worker_supervision
start_fake_payments "$PAYMENTS_PORT" "http://127.0.0.1:$CGI_PORT"

# One environment for every `swift test` run: the database, the secrets of the running functions,
# the two front ends, and what DatabaseRestartTests needs to restart PostgreSQL.
test_env=(
  TEST_DATABASE_URL="$DATABASE_URL" TEST_JWT_SECRET="$JWT_SECRET_VALUE"
  TEST_MEDIA_SECRET="$MEDIA_SECRET_VALUE" TEST_MEDIA_DIR="$STACK/handler-media"
  E2E_CGI_URL="http://127.0.0.1:$CGI_PORT" E2E_FASTCGI_URL="http://127.0.0.1:$FASTCGI_PORT"
  E2E_FASTCGI_RUN="$STACK/run/fastcgi" E2E_BIN_DIR="$STACK/bin" E2E_FUNCTIONS_DIR="$STACK/functions"
  E2E_STACK_DIR="$STACK" E2E_ENV_FILE="$STACK/lms.env" E2E_PAYMENTS_URL="http://127.0.0.1:$PAYMENTS_PORT"
  E2E_PG_CTL="$(pg_bin)/pg_ctl" E2E_PG_DATA="$STACK/pg" E2E_PG_LOG="$STACK/log/postgresql.log"
  E2E_PG_USER="$LMS_SERVICE_USER" LMS_ROOT="$LMS_ROOT"
)
run_tests() {
  env "${test_env[@]}" swift test --skip-build "$@" 2>&1 | tee -a "$STACK/log/swift-test.log"
}

# Suites that run after the rest, each alone: DeliveryFlowTests starts email and push workers on
# the shared queues (they would take the jobs other tests inspect); DatabaseRestartTests
# restarts PostgreSQL; the FastCGI protocol and supervision tests and DeployTests kill and
# replace FastCGI servers that other suites' requests would be in flight on; CatalogBandTests
# measures the whole catalog and builds an index on it. Arguments (`--filter X`) select within
# both phases.
SERIAL_SUITES=(DeliveryFlowTests DatabaseRestartTests FastCGIProtocolTests FastCGISupervisionTests DeployTests CatalogBandTests)
log "running tests"
run_tests "$@" --skip "$(IFS='|'; echo "${SERIAL_SUITES[*]}")"
for suite in "${SERIAL_SUITES[@]}"; do
  log "running $suite alone"
  run_tests "$@" --skip "^(?!.*$suite)"
done

log "validating infra/openapi.json"
python3 -m openapi_spec_validator infra/openapi.json

