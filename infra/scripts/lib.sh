#!/usr/bin/env bash
# Shared shell functions behind infra/up.sh, infra/test.sh and the benchmarks: install what is
# missing, then start and stop PostgreSQL, PgBouncer, fcgiwrap, the FastCGI functions and nginx
# for one "stack" folder. Everything runs as an unprivileged service user (PostgreSQL refuses
# root), and nginx workers run as that user too, so every socket is reachable.
set -euo pipefail

LMS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LMS_SERVICE_USER="${LMS_SERVICE_USER:-lms}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian packages the system needs at build and run time.
LMS_PACKAGES=(
  postgresql postgresql-contrib pgbouncer nginx-light fcgiwrap spawn-fcgi
  libpq-dev libssl-dev libargon2-dev libcurl4-openssl-dev libhpdf-dev pkg-config
  fonts-dejavu-core libqrencode-dev curl ca-certificates
  poppler-utils zbar-tools python3-fonttools jq
)

# Installs the missing packages (apt-get update first: a new machine has stale lists).
install_packages() {
  local missing=()
  for package in "${LMS_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the packaged services where it can; ours run from the stack folder instead.
  $sudo service nginx stop >/dev/null 2>&1 || true
  $sudo service pgbouncer stop >/dev/null 2>&1 || true
}

# fetch_pg_static: PostgreSQL's static support libraries (libpgcommon, libpgport) from Debian's
# postgresql-server-dev package, the same version as libpq-dev, into .deps/pg; with them
# Package.swift links libpq, OpenSSL and libargon2 statically. Only extracted, never installed
# (the package would pull in clang and LLVM). On any failure the build links dynamically.
fetch_pg_static() {
  local dir="$LMS_ROOT/.deps/pg" version major tmp sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  version="$(dpkg-query -W -f='${Version}' libpq-dev 2>/dev/null)" || return 0
  [ -f "$dir/libpgcommon_shlib.a" ] && [ "$(cat "$dir/version" 2>/dev/null)" = "$version" ] && return 0
  major="${version%%.*}"
  tmp="$(mktemp -d)"
  chmod 0777 "$tmp"
  if ! (cd "$tmp" && apt-get download -qq "postgresql-server-dev-$major=$version" >/dev/null 2>&1); then
    # That version has left the archive: move libpq to the archive's current one, then retry.
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpq-dev libpq5 >/dev/null 2>&1 || true
    version="$(dpkg-query -W -f='${Version}' libpq-dev)"
    (cd "$tmp" && apt-get download -qq "postgresql-server-dev-$major=$version" >/dev/null 2>&1) || {
      log "static libpq unavailable; linking shared libraries"
      rm -rf "$tmp"
      return 0
    }
  fi
  dpkg -x "$tmp"/postgresql-server-dev-*.deb "$tmp/x"
  mkdir -p "$dir"
  cp "$tmp/x/usr/lib/postgresql/$major/lib/libpgcommon_shlib.a" "$tmp/x/usr/lib/postgresql/$major/lib/libpgport_shlib.a" "$dir/"
  echo "$version" >"$dir/version"
  rm -rf "$tmp"
  # SwiftPM caches the evaluated manifest by content; make it look at .deps again.
  rm -f "$HOME"/.cache/org.swift.swiftpm/manifests/manifest.db* 2>/dev/null || true
}

# build_release: release binaries into $LMS_BUILD_DIR. With the static libraries of
# fetch_pg_static, every function and lmsctl is a fully static executable (no dynamic loader:
# ~1.5 ms less per CGI request). Workers use libcurl, which Debian ships only as a shared
# library, so they are built separately ($LMS_WORKER_BUILD_DIR, .build-workers) with the C
# libraries linked dynamically; they are long-lived, so their start-up does not matter.
build_release() {
  local flags=(-c release --static-swift-stdlib) product
  if [ -f "$LMS_ROOT/.deps/pg/libpgcommon_shlib.a" ]; then
    flags+=(-Xswiftc -static-executable)
    swift build "${flags[@]}" --product lmsctl 2>&1 | release_build_output || die "release build failed"
    LMS_BUILD_DIR="$(swift build "${flags[@]}" --show-bin-path)"
    if [ -n "${LMS_BUILD_ONLY:-}" ]; then
      # A benchmark being iterated on: only these products (and lmsctl) are rebuilt; every other
      # function is installed as last built, and workers are not installed.
      for product in $LMS_BUILD_ONLY; do
        swift build "${flags[@]}" --product "$product" 2>&1 | release_build_output || die "release build of $product failed"
      done
      LMS_WORKER_BUILD_DIR="$LMS_BUILD_DIR"
      return
    fi
    for product in $(function_names | grep -vxF -f <(curl_function_names; echo /)) queue-bench; do
      swift build "${flags[@]}" --product "$product" 2>&1 | release_build_output || die "release build of $product failed"
    done
    local workers=(-c release --static-swift-stdlib --scratch-path "$LMS_ROOT/.build-workers" --manifest-cache none)
    # The certificate benchmark renders with libharu too, and the functions that call a payment
    # provider link libcurl: built with the workers.
    for product in $(ls "$LMS_ROOT/Workers" | sed 's/^/worker-/') achievements-bench $(curl_function_names); do
      LMS_DYNAMIC_LINKING=1 swift build "${workers[@]}" --product "$product" 2>&1 | release_build_output ||
        die "release build of $product failed"
    done
    LMS_WORKER_BUILD_DIR="$(LMS_DYNAMIC_LINKING=1 swift build "${workers[@]}" --show-bin-path)"
  else
    swift build "${flags[@]}" 2>&1 | release_build_output || die "release build failed"
    LMS_BUILD_DIR="$(swift build "${flags[@]}" --show-bin-path)"
    LMS_WORKER_BUILD_DIR="$LMS_BUILD_DIR"
  fi
}

# function_names: every function executable, from the folders under Functions/ that hold a main.swift.
function_names() {
  (cd "$LMS_ROOT/Functions" && find . -name main.swift | sed -e 's|^\./||' -e 's|/main\.swift$||' -e 's|/|-|g' | sort)
}

# curl_function_names: the functions that call out over HTTP (their main imports HTTPClient, so
# they link libcurl, which Debian ships only as a shared library): built with the dynamically
# linked workers and deployed from $LMS_WORKER_BUILD_DIR. They run as FastCGI, so their
# start-up is paid once per process.
curl_function_names() {
  (cd "$LMS_ROOT/Functions" && grep -lx 'import HTTPClient' */*/main.swift | sed -e 's|/main\.swift$||' -e 's|/|-|g' | sort)
}

# function_binaries: NAME=BINARY for every function, from whichever build made it.
function_binaries() {
  local name curl
  curl="$(curl_function_names)"
  for name in $(function_names); do
    if grep -qx -- "$name" <<<"$curl"; then
      echo "$name=${LMS_WORKER_BUILD_DIR:-$LMS_BUILD_DIR}/$name"
    else
      echo "$name=$LMS_BUILD_DIR/$name"
    fi
  done
}

# Shows errors and warnings of a build, except glibc's known notes on static programs.
# (pipefail makes a failed build fail the pipeline.)
release_build_output() {
  grep -E '(error|warning):' | grep -vE 'statically linked applications|mktemp' || true
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# Root runs services as $LMS_SERVICE_USER (created if needed); anyone else runs them as themselves.
ensure_service_user() {
  if [ "$(id -u)" -eq 0 ]; then
    id -u "$LMS_SERVICE_USER" >/dev/null 2>&1 ||
      useradd --system --no-create-home --shell /usr/sbin/nologin "$LMS_SERVICE_USER"
  else
    LMS_SERVICE_USER="$(id -un)"
  fi
}

# From /: PostgreSQL's tools change back to the starting folder, which the service user may
# not be allowed to enter (a clone under /root).
as_service() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u "$LMS_SERVICE_USER" -- "$@"); else "$@"; fi
}

# stack_init DIR: the folder layout of one stack and the variables every other function uses.
stack_init() {
  STACK="$1"
  mkdir -p "$STACK"/{pg,run,log,bin,functions,releases,mail,push,media}
  [ "$(id -u)" -eq 0 ] && chown -R "$LMS_SERVICE_USER" "$STACK"
  as_service test -w "$STACK/run" ||
    die "$LMS_SERVICE_USER cannot write to $STACK (set LMS_DATA_DIR to a folder it can reach)"
  PG_SOCKET_DIR="$STACK/run"
  PG_PORT=5432
  BOUNCER_PORT=6432
  DATABASE_URL="postgresql:///lms?host=$PG_SOCKET_DIR&port=$PG_PORT&user=$LMS_SERVICE_USER"
  DATABASE_POOL_URL="postgresql:///lms?host=$PG_SOCKET_DIR&port=$BOUNCER_PORT&user=$LMS_SERVICE_USER"
}

# hold_stack NAME KEY=VALUE...: with LMS_BENCH_HOLD=1, a benchmark keeps its stack up for a
# profiler (perf record -a ...) until interrupted; the values a profiling run needs are printed
# and written to /tmp/lms-NAME-hold.env.
hold_stack() {
  [ -n "${LMS_BENCH_HOLD:-}" ] || return 0
  local name="$1"; shift
  printf '%s\n' "$@" | tee "/tmp/lms-$name-hold.env"
  log "holding the stack (interrupt to stop)"
  sleep infinity
}

# start_postgres [fast]: creates the cluster on first use; "fast" trades durability for speed (tests).
start_postgres() {
  local bin; bin="$(pg_bin)"
  [ -n "$bin" ] || die "PostgreSQL is not installed"
  if [ ! -f "$STACK/pg/PG_VERSION" ]; then
    log "creating PostgreSQL cluster in $STACK/pg"
    as_service "$bin/initdb" -D "$STACK/pg" -E UTF8 --locale=C.UTF-8 -A trust -U "$LMS_SERVICE_USER" >"$STACK/log/initdb.log"
    cat >>"$STACK/pg/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$PG_SOCKET_DIR'
port = $PG_PORT
max_connections = 200
shared_buffers = 256MB
timezone = 'UTC'
datestyle = 'iso, ymd'
log_min_duration_statement = 500
CONF
    if [ "${1:-}" = "fast" ]; then
      # Room for the tests' bursts (100 concurrent confirmations, 50 carts) overlapping on a
      # many-core runner, where swift-testing runs more tests at once.
      printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 600\n' >>"$STACK/pg/postgresql.conf"
    fi
  fi
  if ! as_service "$bin/pg_ctl" -D "$STACK/pg" status >/dev/null 2>&1; then
    as_service "$bin/pg_ctl" -D "$STACK/pg" -l "$STACK/log/postgresql.log" -w -t 60 start >/dev/null
  fi
  as_service "$bin/psql" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -d postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = 'lms'" | grep -q 1 ||
    as_service "$bin/createdb" -h "$PG_SOCKET_DIR" -p "$PG_PORT" lms
}

# PgBouncer in transaction mode between the CGI functions and PostgreSQL.
start_pgbouncer() {
  cat >"$STACK/run/pgbouncer.ini" <<CONF
[databases]
lms = host=$PG_SOCKET_DIR port=$PG_PORT dbname=lms
[pgbouncer]
listen_addr =
unix_socket_dir = $STACK/run
listen_port = $BOUNCER_PORT
auth_type = trust
auth_file = $STACK/run/pgbouncer-users.txt
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
; After PostgreSQL restarts: a login that failed while it was down is retried after 1 s, not 15 s
; (clients arriving meanwhile are refused), and a server connection idle for over 1 s is checked
; before a client gets it, so a dead one is dropped instead of failing the client's transaction.
server_login_retry = 1
server_check_delay = 1
server_check_query = select 1
logfile = $STACK/log/pgbouncer.log
pidfile = $STACK/run/pgbouncer.pid
CONF
  printf '"%s" ""\n' "$LMS_SERVICE_USER" >"$STACK/run/pgbouncer-users.txt"
  [ "$(id -u)" -eq 0 ] && chown "$LMS_SERVICE_USER" "$STACK/run/pgbouncer.ini" "$STACK/run/pgbouncer-users.txt"
  stop_pid "$STACK/run/pgbouncer.pid"
  as_service pgbouncer -d -q "$STACK/run/pgbouncer.ini"
  wait_for_socket "$STACK/run/.s.PGSQL.$BOUNCER_PORT"
}

# lmsctl [KEY=VALUE...] COMMAND...: lmsctl from the build, with the stack's settings (its
# folder, the build, the overrides) and any leading settings of the caller.
lmsctl() {
  local settings=()
  while [[ "${1:-}" == [A-Z]*=* ]]; do settings+=("$1"); shift; done
  env DATABASE_URL="$DATABASE_URL" LMS_STACK_DIR="$STACK" LMS_BUILD_DIR="$LMS_BUILD_DIR" \
    LMS_FUNCTIONS_CONF="${LMS_FUNCTIONS_CONF:-$LMS_ROOT/infra/functions.conf}" \
    LMS_MIGRATIONS_DIR="$LMS_ROOT/infra/migrations" "${settings[@]}" "$LMS_BUILD_DIR/lmsctl" "$@"
}

# install_binaries: deploys every function executable into the stack (functions/NAME -> the
# checked release under releases/NAME/), copies lmsctl and the workers into bin/. Deploying one
# function later is `lmsctl deploy NAME` (see the README).
install_binaries() {
  local functions=()
  mapfile -t functions < <(function_binaries)
  # With LMS_BUILD_ONLY, a function never built (one linking libcurl) is left out.
  [ -z "${LMS_BUILD_ONLY:-}" ] || mapfile -t functions < <(for f in "${functions[@]}"; do [ ! -x "${f#*=}" ] || echo "$f"; done)
  lmsctl deploy --route-change "${functions[@]}" >/dev/null || die "could not install the functions"
  [ "$(id -u)" -eq 0 ] && chown -R "$LMS_SERVICE_USER" "$STACK/functions" "$STACK/releases"
  install -m 0755 "$LMS_BUILD_DIR/lmsctl" "$STACK/bin/lmsctl.new"
  mv -f "$STACK/bin/lmsctl.new" "$STACK/bin/lmsctl"
  local worker
  for worker in "${LMS_WORKER_BUILD_DIR:-$LMS_BUILD_DIR}"/worker-*; do
    [ -f "$worker" ] && [ -x "$worker" ] || continue
    install -m 0755 "$worker" "$STACK/bin/$(basename "$worker").new"
    mv -f "$STACK/bin/$(basename "$worker").new" "$STACK/bin/$(basename "$worker")"
  done
}

# start_instance NAME PORT MODE(manifest|cgi|fastcgi) [extra env for nginx-config...]
# One nginx + fcgiwrap + the FastCGI processes, with its own run folder.
start_instance() {
  local name="$1" port="$2" mode="$3"; shift 3
  local run="$STACK/run/$name"
  mkdir -p "$run" && [ "$(id -u)" -eq 0 ] && chown "$LMS_SERVICE_USER" "$run"
  local mode_env=()
  [ "$mode" = "manifest" ] || mode_env=(LMS_MODE="$mode")

  as_service env LMS_ENV_FILE="$STACK/lms.env" fcgiwrap -c "${FCGIWRAP_CHILDREN:-4}" -s "unix:$run/fcgiwrap.sock" \
    >>"$STACK/log/fcgiwrap-$name.log" 2>&1 &

  local function count
  while read -r function count; do
    # One supervising process per function that starts $count servers, restarts any that dies,
    # and replaces them on SIGHUP (lmsctl deploy finds it by the pid file).
    as_service env LMS_ENV_FILE="$STACK/lms.env" FASTCGI_CHILDREN="$count" FASTCGI_STATUS_FILE="$run/fn-$function.status" \
      spawn-fcgi -s "$run/fn-$function.sock" -M 0600 -P "$run/fn-$function.pid" \
      -F 1 -- "$STACK/functions/$function" >/dev/null 2>>"$STACK/log/functions-$name.log"
  done < <(lmsctl "${mode_env[@]}" LMS_FASTCGI_SCALE="${LMS_FASTCGI_SCALE:-1}" fastcgi-functions)

  local user_env=()
  [ "$(id -u)" -eq 0 ] && user_env=(NGINX_USER="$LMS_SERVICE_USER")
  # 0600: the config holds MEDIA_SIGNING_SECRET; only nginx's master (root, or this user) reads it.
  (umask 077 && lmsctl "${mode_env[@]}" "${user_env[@]}" "$@" LMS_RUN_DIR="$run" LMS_LOG_DIR="$STACK/log" \
    LMS_ENV_FILE="$STACK/lms.env" NGINX_LISTEN="127.0.0.1:$port" nginx-config >"$run/nginx.conf.new") ||
    die "lmsctl nginx-config failed"
  chmod 0600 "$run/nginx.conf.new"
  mv -f "$run/nginx.conf.new" "$run/nginx.conf"
  nginx -t -q -c "$run/nginx.conf" -p "$run" -e "$STACK/log/nginx-error.log" 2>>"$STACK/log/nginx-error.log" ||
    die "generated nginx config is invalid (see $STACK/log/nginx-error.log)"
  nginx -c "$run/nginx.conf" -p "$run" -e "$STACK/log/nginx-error.log"
  wait_for_socket "$run/fcgiwrap.sock"
}

stop_instance() {
  local run="$STACK/run/$1"
  [ -d "$run" ] || return 0
  [ -f "$run/nginx.pid" ] && nginx -c "$run/nginx.conf" -p "$run" -e "$STACK/log/nginx-error.log" -s quit 2>/dev/null || true
  # Processes are found by what they run: fcgiwrap by its socket, functions by their binary.
  stop_matching "fcgiwrap .*unix:$run/fcgiwrap.sock"
  local function
  for function in $(ls "$run" 2>/dev/null | sed -n 's/^fn-\(.*\)\.sock$/\1/p'); do
    stop_matching "^$STACK/functions/$function\$"
  done
  rm -f "$run"/*.sock "$run"/*.pid "$run"/*.status
}

# stop_matching PATTERN: SIGTERM the processes whose command line matches, SIGKILL after 5 s.
stop_matching() {
  pkill -TERM -f -- "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do
    pgrep -f -- "$1" >/dev/null || return 0
    sleep 0.1
  done
  pkill -KILL -f -- "$1" 2>/dev/null || true
}

# start_workers: every worker executable in the bin folder but the probe, as the service user,
# each under its own supervisor, logging JSON lines to log/worker-<name>.log.
start_workers() {
  local worker
  for worker in "$STACK"/bin/worker-*; do
    [ -x "$worker" ] || continue
    [ "$(basename "$worker")" = worker-probe ] && continue
    start_worker "$(basename "$worker")"
  done
}

# start_worker NAME [KEY=VALUE...]: one worker as the service user under infra/scripts/supervise.sh,
# which starts it again a second after it dies and passes SIGTERM on (stop_workers).
start_worker() {
  local name="$1"; shift
  local user=()
  # setpriv, not runuser: runuser would stay in between and SIGKILL the worker 2 s after a signal.
  [ "$(id -u)" -eq 0 ] &&
    user=(setpriv --reuid="$LMS_SERVICE_USER" --regid="$(id -g "$LMS_SERVICE_USER")" --init-groups --)
  (cd / && exec "$LMS_ROOT/infra/scripts/supervise.sh" "${user[@]}" env LMS_ENV_FILE="$STACK/lms.env" "$@" \
    "$STACK/bin/$name" >>"$STACK/log/$name.log" 2>&1) &
}

# stop_workers: SIGTERM the supervisors (each passes it on to its worker, which finishes or
# releases its jobs within its grace period) and any worker left without one, then SIGKILL.
stop_workers() {
  local supervisors="supervise\.sh .*$STACK/bin/worker-"
  pkill -TERM -f -- "$supervisors" 2>/dev/null || true
  pkill -TERM -f -- "^$STACK/bin/worker-" 2>/dev/null || true
  for _ in $(seq 300); do
    pgrep -f -- "^$STACK/bin/worker-|$supervisors" >/dev/null || return 0
    sleep 0.1
  done
  pkill -KILL -f -- "^$STACK/bin/worker-|$supervisors" 2>/dev/null || true
}

# What the benchmarks read from wrk's --latency output: wrk_field OUTPUT 50% (a percentile's
# latency), wrk_problems OUTPUT (non-2xx answers and socket errors, to print beside a row).
wrk_field() { printf '%s\n' "$1" | awk -v key="$2" '$1 == key {print $2}'; }
wrk_problems() {
  printf '%s\n' "$1" | awk '/Non-2xx/ {printf " %s non-2xx", $NF} /Socket errors/ {gsub(",", ""); printf " errors: %s", $0}'
}

# fake_payments_env: the keys of the local fake payment providers, made once per stack
# ($STACK/payments.env), as KEY=value lines for write_env_file.
fake_payments_env() {
  if [ ! -f "$STACK/payments.env" ]; then
    local r; r() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
    (umask 077 && printf '%s\n' "RAZORPAY_KEY_ID=rzp_test_$(r 7)" "RAZORPAY_KEY_SECRET=$(r 12)" "RAZORPAY_WEBHOOK_SECRET=$(r 12)" \
      "STRIPE_SECRET_KEY=sk_test_$(r 12)" "STRIPE_WEBHOOK_SECRET=whsec_$(r 16)" >"$STACK/payments.env")
  fi
  cat "$STACK/payments.env"
}

# start_fake_payments PORT WEBHOOK_BASE_URL: the fake Razorpay and Stripe of
# infra/testing/fake_payments.py on 127.0.0.1:PORT with the keys of fake_payments_env, sending
# their webhooks to WEBHOOK_BASE_URL; supervised like a worker (so it outlives a detached
# infra/up.sh), stopped by stop_fake_payments. Requests are logged to log/fake-payments.jsonl.
start_fake_payments() {
  local port="$1" base="$2" key value
  local args=(--host 127.0.0.1 --port "$port" --webhook-base-url "$base")
  while IFS='=' read -r key value; do
    args+=("--$(tr 'A-Z_' 'a-z-' <<<"$key")" "$value")
  done < <(fake_payments_env)
  # Last, so that supervise.sh's messages (which name the last argument) show no key.
  args+=(--record "$STACK/log/fake-payments.jsonl")
  # The system's Python (standard library only): a root-only pyenv is not the service user's.
  local user=() python=python3
  if [ "$(id -u)" -eq 0 ]; then
    user=(setpriv --reuid="$LMS_SERVICE_USER" --regid="$(id -g "$LMS_SERVICE_USER")" --init-groups --)
    [ -x /usr/bin/python3 ] && python=/usr/bin/python3
  fi
  (cd / && exec "$LMS_ROOT/infra/scripts/supervise.sh" "${user[@]}" "$python" "$LMS_ROOT/infra/testing/fake_payments.py" "${args[@]}" \
    >>"$STACK/log/fake-payments.log" 2>&1) &
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/_fake/behaviour" 2>/dev/null && return 0
    sleep 0.1
  done
  die "the fake payment providers did not start (see $STACK/log/fake-payments.log)"
}

stop_fake_payments() {
  local pattern="fake_payments\.py .*--record $STACK/log/"
  pkill -TERM -f -- "$pattern" 2>/dev/null || true
  for _ in $(seq 50); do
    pgrep -f -- "$pattern" >/dev/null || return 0
    sleep 0.1
  done
  pkill -KILL -f -- "$pattern" 2>/dev/null || true
}

stop_postgres() {
  stop_pid "$STACK/run/pgbouncer.pid"
  local bin; bin="$(pg_bin)"
  if [ -n "$bin" ] && [ -f "$STACK/pg/postmaster.pid" ]; then
    as_service "$bin/pg_ctl" -D "$STACK/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

# load_statement_tools: restarts the stack's PostgreSQL with pg_stat_statements and auto_explain
# loaded (auto_explain logs nothing until explain_request turns it on), for the benchmarks.
load_statement_tools() {
  cat >>"$STACK/pg/postgresql.conf" <<CONF
shared_preload_libraries = 'pg_stat_statements,auto_explain'
pg_stat_statements.track_planning = on
auto_explain.log_min_duration = 0
auto_explain.log_analyze = on
auto_explain.log_buffers = on
auto_explain.log_nested_statements = off
auto_explain.sample_rate = 0
CONF
  stop_postgres
  start_postgres
}

# explain_request NAME CURL_ARGS...: the plans of the statements one request runs, as the
# handler ran them (its values, its plans): auto_explain logs EXPLAIN (ANALYZE, BUFFERS) of
# every statement while sample_rate is 1, for this one request; the servers' sessions pick the
# setting up at their next statement. Needs load_statement_tools.
explain_request() {
  local name="$1" log="$STACK/log/postgresql.log" start
  shift
  local sql=(as_service "$(pg_bin)/psql" "$DATABASE_URL" -qAtc)
  start=$(stat -c %s "$log")
  "${sql[@]}" "ALTER SYSTEM SET auto_explain.sample_rate = 1" >/dev/null && "${sql[@]}" "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
  curl -fsS -o /dev/null "$@" || echo "(the request failed: $*)"
  "${sql[@]}" "ALTER SYSTEM SET auto_explain.sample_rate = 0" >/dev/null && "${sql[@]}" "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
  echo
  echo "== plans of one request: $name (${*: -1})"
  tail -c +"$((start + 1))" "$log" | grep -v -e "parameter \"auto_explain" -e "received SIGHUP" -e "ALTER SYSTEM" -e "pg_reload_conf" |
    sed -e 's/^[0-9-]* [0-9:.]* UTC \[[0-9]*\] LOG:  //' | grep -v '^\s*$' | grep -v 'pg_stat_statements'
}

# stop_pid FILE: SIGTERM every pid in the file, then SIGKILL what is left after 5 s.
stop_pid() {
  [ -f "$1" ] || return 0
  local pids; pids="$(tr -s ' \n' ' ' <"$1")"
  [ -n "${pids// /}" ] && kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 $pids 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL $pids 2>/dev/null || true
  rm -f "$1"
}

wait_for_socket() {
  for _ in $(seq 100); do
    [ -S "$1" ] && return 0
    sleep 0.1
  done
  die "timed out waiting for $1"
}

# write_env_file KEY=VALUE...: the stack's configuration, read by every function (LMS_ENV_FILE).
# The certificate and invoice workers' fast font: Debian's DejaVu Sans cut down (fontTools) to the scripts
# of PDFFont.subsetRanges, so libharu parses and embeds a fifth of it per PDF; the
# renderer takes the whole font for any other character. Made once into .deps/fonts.
CERTIFICATE_FONT_RANGES="U+0020-007E,U+00A0-052F,U+1E00-1FFF,U+2000-206F,U+20A0-20CF,U+2100-214F"
certificate_font() {
  local out="$LMS_ROOT/.deps/fonts/DejaVuSans-certificate.ttf"
  if [ ! -s "$out" ]; then
    mkdir -p "$(dirname "$out")"
    /usr/bin/python3 -m fontTools.subset /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf \
      --unicodes="$CERTIFICATE_FONT_RANGES" --layout-features='*' --output-file="$out.new" 2>/dev/null &&
      mv -f "$out.new" "$out" || { rm -f "$out.new"; return 0; }
  fi
  mkdir -p "$STACK/fonts"
  install -m 0644 "$out" "$STACK/fonts/DejaVuSans-certificate.ttf"
  echo "CERTIFICATE_SUBSET_FONT=$STACK/fonts/DejaVuSans-certificate.ttf"
}

write_env_file() {
  local file="$STACK/lms.env"
  {
    echo "# Generated by infra/scripts/lib.sh for $STACK"
    echo "DATABASE_URL=$DATABASE_URL"
    echo "DATABASE_POOL_URL=$DATABASE_POOL_URL"
    printf '%s\n' "$@"
    # Defaults, after the caller's lines (the first line for a key wins): the local media store.
    echo "MEDIA_DIR=$STACK/media"
    certificate_font
    echo "MEDIA_SIGNING_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  } >"$file.new"
  chmod 0600 "$file.new"
  [ "$(id -u)" -eq 0 ] && chown "$LMS_SERVICE_USER" "$file.new"
  mv -f "$file.new" "$file"
}
