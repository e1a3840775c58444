#!/usr/bin/env bash
# The catalog benchmark: 1,000,000 users and 100,000 published courses (lmsctl seed-scale),
# then through nginx in FastCGI mode with wrk: a search with a text query and two filters,
# and course details; plus EXPLAIN ANALYZE of the search. Prints figures; asserts nothing.
# Usage: infra/bench/catalog.sh [seconds per run] [users] [courses]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$LMS_ROOT"
DURATION="${1:-10}"
USERS="${2:-1000000}"
COURSES="${3:-100000}"

install_packages wrk
fetch_pg_static
ensure_service_user
log "building release binaries"
build_release

BENCH="$(mktemp -d /tmp/lms-catalog.XXXXXX)"
chmod 0755 "$BENCH"
stack_init "$BENCH"
trap 'stop_instance main || true; stop_postgres || true; rm -rf "$BENCH"' EXIT
start_postgres
start_pgbouncer
lmsctl migrate >/dev/null
log "generating $USERS users and $COURSES courses"
start=$(date +%s)
lmsctl seed-scale "$USERS" "$COURSES"
echo "generated in $(( $(date +%s) - start )) s"
write_env_file "LMS_ENV=production" "JWT_SECRET=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')" "LOG_REQUESTS=false"
install_binaries
start_instance main 18095 manifest AUTH_RATE_LIMIT=100000r/s RATE_LIMIT_EXEMPT=127.0.0.1

psql_() { as_service "$(pg_bin)/psql" "$DATABASE_URL" -Atc "$1"; }
COURSE_ID=$(psql_ "SELECT id FROM courses WHERE status = 'published' ORDER BY published_at DESC OFFSET 5000 LIMIT 1")
SEARCH="/api/v1/courses?q=swift%20python&level=beginner&language=en"
curl -fsS "http://127.0.0.1:18095$SEARCH" >/dev/null || die "search failed"
curl -fsS "http://127.0.0.1:18095/api/v1/courses/$COURSE_ID" >/dev/null || die "details failed: $COURSE_ID $(curl -sS "http://127.0.0.1:18095/api/v1/courses/$COURSE_ID" | head -c 300)"

run() {
  local name="$1" url="$2" connections="${3:-16}" out
  out=$(wrk -t2 -c"$connections" -d"${DURATION}s" --latency "$url")
  printf '%-40s %10s req/s   p50 %8s   p99 %8s\n' "$name" \
    "$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')" \
    "$(printf '%s\n' "$out" | awk '$1 == "50%" {print $2}')" "$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')"
}
echo
echo "== through nginx, FastCGI, 16 connections, ${DURATION}s each ($(psql_ "SELECT count(*) FROM courses") courses, $(psql_ "SELECT count(*) FROM users") users)"
run "search: q + level + language" "http://127.0.0.1:18095$SEARCH"
run "course details" "http://127.0.0.1:18095/api/v1/courses/$COURSE_ID"
run "search: one broad word (python) + 2 filters" "http://127.0.0.1:18095/api/v1/courses?q=python&level=beginner&language=en"
run "search: prefix (pyth) + 2 filters" "http://127.0.0.1:18095/api/v1/courses?q=pyth&level=beginner&language=en"
echo "== the same search and details with 4 connections (a lighter load)"
run "search: q + level + language" "http://127.0.0.1:18095$SEARCH" 4
run "course details" "http://127.0.0.1:18095/api/v1/courses/$COURSE_ID" 4
psql_ "SELECT 'courses matching: swift python ' || count(*) FILTER (WHERE search @@ 'swift & python'::tsquery)
  || ', python ' || count(*) FILTER (WHERE search @@ 'python'::tsquery)
  || ', python beginner en ' || count(*) FILTER (WHERE search @@ 'python'::tsquery AND level = 'beginner' AND language = 'en')
  FROM courses WHERE status = 'published'"

echo
echo "== EXPLAIN ANALYZE of the search (the handler's statement with these values)"
as_service "$(pg_bin)/psql" "$DATABASE_URL" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT c.id, c.title, u.name AS instructor_name, k.slug AS category, c.rank
FROM (SELECT c.id, c.title, c.category_id, c.instructor_id, ts_rank(c.rank_vector, to_tsquery('simple', 'swift:* & python:*')) AS rank
      FROM courses c
      WHERE c.status = 'published' AND c.level = 'beginner' AND c.language = 'en'
        AND c.search @@ (
            SELECT string_agg(coalesce(e.alternatives, quote_literal(t.word) || ':*'), ' & ' ORDER BY t.i)::tsquery
            FROM unnest(ARRAY['swift', 'python']) WITH ORDINALITY AS t (word, i)
            CROSS JOIN LATERAL (
                SELECT CASE WHEN count(*) BETWEEN 1 AND 32 THEN '(' || string_agg(quote_literal(x.word), ' | ') || ')' END AS alternatives
                FROM (SELECT w.word FROM catalog_words w
                      WHERE w.word >= t.word AND w.word < t.word || chr(1114111) ORDER BY w.word LIMIT 33) AS x) AS e)
      ORDER BY rank DESC, c.id DESC LIMIT 21) c
JOIN users u ON u.id = c.instructor_id LEFT JOIN categories k ON k.id = c.category_id
ORDER BY c.rank DESC, c.id DESC"
echo
echo "== EXPLAIN ANALYZE of course details (the course row)"
as_service "$(pg_bin)/psql" "$DATABASE_URL" -c "EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM courses WHERE id = '$COURSE_ID'"
