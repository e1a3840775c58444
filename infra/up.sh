#!/usr/bin/env bash
# Brings the whole system up on this machine: installs what is missing, builds release
# binaries (static Swift stdlib), creates or reuses a PostgreSQL cluster in .data/ (run as an
# unprivileged user), migrates, starts PgBouncer, fcgiwrap, the FastCGI function processes,
# nginx and the workers (each supervised: one that dies is started again), and prints the URL.
# Ctrl-C (or `infra/up.sh stop` from another shell) stops it all; data stays in .data/ for the
# next run.
#
# Settings (environment or ./.env): LMS_PORT (8080), LMS_DATA_DIR (.data), LMS_BUILD
# (release|debug), CORS_ORIGINS, AUTH_RATE_LIMIT, AUTH_RATE_BURST, LMS_FASTCGI_SCALE, and
# every function setting in .env.example (passed on to the functions).
source "$(dirname "$0")/scripts/lib.sh"
cd "$LMS_ROOT"

# ./.env supplies settings (plain KEY=value lines) for this script, not exported (services
# read their configuration from .data/lms.env, which gets these lines first); variables
# already set in the environment win.
if [ -f .env ]; then
  while IFS= read -r line; do
    key="${line%%=*}"
    [ -n "${!key:-}" ] || declare "$line"
  done < <(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' .env)
fi

DATA="${LMS_DATA_DIR:-$LMS_ROOT/.data}"
PORT="${LMS_PORT:-8080}"
ensure_service_user
stack_init "$DATA"

stop_all() {
  log "stopping"
  stop_workers || true
  stop_fake_payments || true
  stop_instance main || true
  stop_postgres || true
}

if [ "${1:-}" = "stop" ]; then
  stop_all
  exit 0
fi

install_packages
fetch_pg_static
if [ "${LMS_BUILD:-release}" = "release" ]; then
  log "building release binaries"
  build_release
else
  log "building debug binaries"
  swift build 2>&1 | { grep -E 'error|Build complete' || true; } || die "build failed"
  LMS_BUILD_DIR="$(swift build --show-bin-path)"
fi

# Stop what a previous run left behind, then start afresh.
stop_workers || true
stop_fake_payments || true
stop_instance main || true
log "starting PostgreSQL and PgBouncer (data in $DATA)"
start_postgres
start_pgbouncer
lmsctl migrate

# The JWT secret is made once per data folder so sessions survive restarts.
if [ ! -f "$DATA/secret.env" ]; then
  printf 'JWT_SECRET=%s\n' "$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$DATA/secret.env"
  chmod 0600 "$DATA/secret.env"
fi
# Media links are signed with their own secret, also kept across restarts.
grep -q '^MEDIA_SIGNING_SECRET=' "$DATA/secret.env" ||
  printf 'MEDIA_SIGNING_SECRET=%s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >>"$DATA/secret.env"
extra=()
if [ -f .env ]; then
  while IFS= read -r line; do extra+=("$line"); done < <(grep -E '^[A-Z_][A-Z0-9_]*=.' .env | grep -vE '^(DATABASE_URL|DATABASE_POOL_URL)=')
fi
# Payments: the fake Razorpay and Stripe (infra/testing/fake_payments.py) unless real keys are
# in .env; they send their webhooks to this stack. A provider with real keys keeps its real API.
payments=()
FAKE_PAYMENTS_PORT="${LMS_FAKE_PAYMENTS_PORT:-$((PORT + 10))}"
if [ -z "${RAZORPAY_KEY_ID:-}" ] || [ -z "${STRIPE_SECRET_KEY:-}" ]; then
  mapfile -t payments < <(fake_payments_env)
  [ -z "${RAZORPAY_KEY_ID:-}" ] && payments+=("RAZORPAY_API_URL=http://127.0.0.1:$FAKE_PAYMENTS_PORT")
  [ -z "${STRIPE_SECRET_KEY:-}" ] && payments+=("STRIPE_API_URL=http://127.0.0.1:$FAKE_PAYMENTS_PORT")
fi
# The first line for a key wins: the operator's .env lines (non-empty ones) come first.
write_env_file "${extra[@]}" "${payments[@]}" "LMS_ENV=${LMS_ENV:-development}" $(cat "$DATA/secret.env") \
  "COOKIE_SECURE=${COOKIE_SECURE:-false}" "PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://127.0.0.1:$PORT}" \
  "LMS_MAIL_DIR=$DATA/mail" "LMS_PUSH_DIR=$DATA/push"
install_binaries

# A first admin for local use (production: `lmsctl create-admin`, see README).
if [ ! -f "$DATA/admin-password" ]; then
  head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DATA/admin-password"
  chmod 0600 "$DATA/admin-password"
  LMS_ADMIN_PASSWORD="$(cat "$DATA/admin-password")" lmsctl create-admin admin@lms.local "Local Admin" >/dev/null
fi

# Demo courses and accounts (idempotent), unless LMS_DEMO=0.
if [ "${LMS_DEMO:-1}" = 1 ]; then
  LMS_DEMO_PASSWORD="${LMS_DEMO_PASSWORD:-demo-password}" lmsctl seed-demo >"$DATA/demo.txt"
fi

log "starting nginx, fcgiwrap and the FastCGI functions"
start_instance main "$PORT" manifest CORS_ORIGINS="${CORS_ORIGINS:-http://localhost:3000,http://127.0.0.1:3000}" \
  ${AUTH_RATE_LIMIT:+AUTH_RATE_LIMIT=$AUTH_RATE_LIMIT} ${AUTH_RATE_BURST:+AUTH_RATE_BURST=$AUTH_RATE_BURST}

log "starting the workers (supervised)"
start_workers
if [ ${#payments[@]} -gt 0 ]; then
  log "starting the fake payment providers on :$FAKE_PAYMENTS_PORT"
  start_fake_payments "$FAKE_PAYMENTS_PORT" "http://127.0.0.1:$PORT"
fi

curl -fsS "http://127.0.0.1:$PORT/api/v1/health" >/dev/null || die "health check failed (logs in $DATA/log)"
cat <<MSG

  LMS API is up:  http://127.0.0.1:$PORT/api/v1/health
  Admin sign-in:  admin@lms.local / $(cat "$DATA/admin-password")
  Demo accounts:  $(cat "$DATA/demo.txt" 2>/dev/null || echo "none (LMS_DEMO=0)")
  Logs:           $DATA/log/   (JSON lines; nginx access log included)
  Emails:         $DATA/mail/  (.eml files; set SMTP_URL in .env to send for real)
  Payments:       $([ ${#payments[@]} -gt 0 ] && echo "fake Razorpay and Stripe on http://127.0.0.1:$FAKE_PAYMENTS_PORT (README: Buying a course)" || echo "the real providers (keys in .env)")
  Stop:           Ctrl-C here, or infra/up.sh stop

MSG

if [ "${LMS_DETACH:-}" = 1 ]; then exit 0; fi
trap 'stop_all; exit 0' INT TERM
while true; do sleep 3600 & wait $!; done
