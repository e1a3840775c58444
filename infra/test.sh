#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, starts a throwaway PostgreSQL cluster with
# PgBouncer, and two nginx front ends over the real function binaries (every route as CGI
# through fcgiwrap on one, every route as a FastCGI process on the other), then runs the unit,
# handler and end-to-end tests. Leaves nothing running. Usage: infra/test.sh [swift test args]
source "$(dirname "$0")/scripts/lib.sh"
cd "$LMS_ROOT"

install_packages
fetch_pg_static
# Python packages of the fakes the tests start (SMTP capture, fake FCM) and the OpenAPI check.
if ! python3 -c 'import cryptography, aiosmtpd, openapi_spec_validator' 2>/dev/null; then
  log "installing Python test dependencies"
  python3 -m pip --version >/dev/null 2>&1 || install_packages python3-pip
  python3 -m pip install --quiet --disable-pip-version-check -r infra/testing/requirements.txt 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check --break-system-packages -r infra/testing/requirements.txt
fi
ensure_service_user

log "building (debug)"
swift build --build-tests 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Linking|Write|Planning|Applying)' || true
[ "${PIPESTATUS[0]}" -eq 0 ] || die "build failed"
LMS_BUILD_DIR="$(swift build --show-bin-path)"

# Ports of the two nginx front ends (LMS_TEST_PORT and the next one), so two checkouts can test at once.
CGI_PORT="${LMS_TEST_PORT:-18081}"
FASTCGI_PORT=$((CGI_PORT + 1))
TEST_STACK="$(mktemp -d /tmp/lms-test.XXXXXX)"
chmod 0755 "$TEST_STACK"
stack_init "$TEST_STACK"
cleanup() {
  local status=$?
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

JWT_SECRET_VALUE="$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')"
MEDIA_SECRET_VALUE="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
write_env_file "LMS_ENV=test" "JWT_SECRET=$JWT_SECRET_VALUE" "COOKIE_SECURE=false" "LOG_REQUESTS=true" \
  "MEDIA_SIGNING_SECRET=$MEDIA_SECRET_VALUE" "PUBLIC_BASE_URL=http://127.0.0.1:$CGI_PORT"
install_binaries

# Strict auth rate limit for the rate-limit test, which sends from 127.0.0.2; the rest of the
# suite sends from 127.0.0.1, which the test instances exempt.
limits=(AUTH_RATE_LIMIT=2r/s AUTH_RATE_BURST=5 RATE_LIMIT_EXEMPT=127.0.0.1 CORS_ORIGINS=https://app.example.test)
log "starting nginx: all-CGI on :$CGI_PORT, all-FastCGI on :$FASTCGI_PORT"
start_instance cgi "$CGI_PORT" cgi "${limits[@]}"
start_instance fastcgi "$FASTCGI_PORT" fastcgi "${limits[@]}"

log "running tests"
env TEST_DATABASE_URL="$DATABASE_URL" TEST_JWT_SECRET="$JWT_SECRET_VALUE" \
  TEST_MEDIA_SECRET="$MEDIA_SECRET_VALUE" TEST_MEDIA_DIR="$STACK/handler-media" \
  E2E_CGI_URL="http://127.0.0.1:$CGI_PORT" E2E_FASTCGI_URL="http://127.0.0.1:$FASTCGI_PORT" \
  E2E_FASTCGI_RUN="$STACK/run/fastcgi" E2E_BIN_DIR="$STACK/bin" E2E_FUNCTIONS_DIR="$STACK/functions" \
  E2E_STACK_DIR="$STACK" E2E_ENV_FILE="$STACK/lms.env" \
  LMS_ROOT="$LMS_ROOT" swift test --skip-build --skip DeliveryFlowTests "$@" 2>&1 | tee "$STACK/log/swift-test.log"
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || exit "$status"

# Second phase, alone: each of these starts its own email or push worker on the shared queues,
# which would take the jobs other tests inspect.
if [ $# -eq 0 ]; then
  log "running the delivery flow tests (workers, SMTP capture, fake FCM)"
  env TEST_DATABASE_URL="$DATABASE_URL" TEST_JWT_SECRET="$JWT_SECRET_VALUE" \
    TEST_MEDIA_SECRET="$MEDIA_SECRET_VALUE" TEST_MEDIA_DIR="$STACK/handler-media" \
    E2E_CGI_URL="http://127.0.0.1:$CGI_PORT" E2E_FASTCGI_URL="http://127.0.0.1:$FASTCGI_PORT" E2E_BIN_DIR="$STACK/bin" E2E_FUNCTIONS_DIR="$STACK/functions" \
    LMS_ROOT="$LMS_ROOT" swift test --skip-build --filter DeliveryFlowTests 2>&1 | tee -a "$STACK/log/swift-test.log"
  status=${PIPESTATUS[0]}
  [ "$status" -eq 0 ] || exit "$status"
fi

log "validating infra/openapi.json"
python3 -m openapi_spec_validator infra/openapi.json

