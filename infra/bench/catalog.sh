#!/usr/bin/env bash
# The catalog benchmark: 1,000,000 users and 100,000 published courses (lmsctl seed-scale),
# then, through nginx in FastCGI mode with wrk, a spread of search shapes whose words are drawn
# from the generated vocabulary by document frequency (ts_stat over courses.search): the most
# frequent word, words in ~50%, ~5.5% and ~0.75% of courses, two and four words together, a
# prefix, a typo, pages 2 and 50 (following next_cursor), browsing without text under every
# sort, the old narrow query (two narrow words + level + language), one word + two filters;
# and course details, each with the function's answer cache off (every request a query the
# process has not seen). One row per shape: the query string, its matches, req/s, p50 and p99 at
# 16 connections, p99 at 4, and what one request costs PostgreSQL (pg_stat_statements: the
# statements it runs and their planning + execution time). Then, for a few shapes, the plans
# of the very statements the handler ran (auto_explain: EXPLAIN ANALYZE with buffers, logged
# for one request). Prints figures; asserts nothing. Words are picked deterministically (closest share, then alphabetical), so runs over
# the same data are comparable.
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
# LMS_BENCH_KEEP=1: leave the stack running at the end (to look into a query), and say where.
if [ -n "${LMS_BENCH_KEEP:-}" ]; then
  trap 'echo "kept running: $BENCH (nginx :18095; stop: stop_instance main, stop_postgres with STACK=$BENCH)"' EXIT
else
  trap 'stop_instance main || true; stop_postgres || true; rm -rf "$BENCH"' EXIT
fi
# LMS_BENCH_PARTS: which parts to run, of "table explain mix cache" (all by default).
PARTS=" ${LMS_BENCH_PARTS:-table explain mix cache} "
part() { [[ "$PARTS" == *" $1 "* ]]; }
start_postgres
# What each request costs the database, and the plans of the statements it runs.
load_statement_tools
start_pgbouncer
lmsctl migrate >/dev/null
psql_() { as_service "$(pg_bin)/psql" "$DATABASE_URL" -v ON_ERROR_STOP=1 -Atc "$1"; }
psql_ "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
log "generating $USERS users and $COURSES courses"
start=$(date +%s)
lmsctl seed-scale "$USERS" "$COURSES"
echo "generated in $(( $(date +%s) - start )) s"
JWT_SECRET_VALUE="$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# The table and the plans: every request a query the process has not seen (its answer cache off).
write_env_file "LMS_ENV=production" "JWT_SECRET=$JWT_SECRET_VALUE" "LOG_REQUESTS=false" "CATALOG_CACHE_SECONDS=0"
install_binaries
start_instance main 18095 manifest AUTH_RATE_LIMIT=100000r/s RATE_LIMIT_EXEMPT=127.0.0.1
BASE="http://127.0.0.1:18095"


# --- The vocabulary by document frequency -------------------------------------------------
# Candidates: lowercase ASCII words of 2+ characters (what a learner types; the handler keeps
# letters and digits) that are no other indexed word's prefix: the handler treats every word
# as a prefix, so for these the query matches exactly the courses holding the word.
log "drawing query words from the vocabulary by document frequency"
psql_ "CREATE TABLE bench_words AS
  SELECT s.word, s.ndoc, s.ndoc::float8 / n.n AS share
  FROM ts_stat(\$\$SELECT search FROM courses WHERE status = 'published'\$\$) AS s,
       (SELECT count(*) AS n FROM courses WHERE status = 'published') AS n
  WHERE s.word ~ '^[a-z0-9]{2,}\$'
    AND NOT EXISTS (SELECT 1 FROM catalog_words w
                    WHERE w.word > s.word COLLATE \"C\" AND w.word < (s.word || chr(1114111)) COLLATE \"C\")" >/dev/null
# pick SHARE [MIN_LENGTH] [EXCLUDED...]: the word whose share of courses is closest to SHARE.
pick() {
  local share="$1" min="${2:-2}" excluded="''" word; shift 2 || shift $#
  for word in "$@"; do excluded+=", '$word'"; done
  psql_ "SELECT word FROM bench_words WHERE length(word) >= $min AND word NOT IN ($excluded)
         ORDER BY abs(share - $share), word LIMIT 1"
}
TOP=$(psql_ "SELECT word FROM bench_words ORDER BY ndoc DESC, word LIMIT 1")
HALF=$(pick 0.5 2 "$TOP")
QUARTER=$(pick 0.25 2 "$TOP" "$HALF")
MID=$(pick 0.055 5 "$TOP" "$HALF" "$QUARTER")
RARE=$(pick 0.0075 2 "$TOP" "$HALF" "$QUARTER" "$MID")
PREFIX="${MID:0:4}"
# A typo of the mid word: two neighbouring inner letters swapped, the first swap that matches
# nothing by full text (the handler then falls back to trigram similarity on titles).
TYPO=""
for ((i = 1; i + 2 < ${#MID}; i++)); do
  candidate="${MID:0:i}${MID:i+1:1}${MID:i:1}${MID:i+2}"
  [ "$candidate" != "$MID" ] || continue
  if [ "$(psql_ "SELECT count(*) FROM courses WHERE status = 'published' AND search @@ to_tsquery('simple', '$candidate:*')")" = 0 ]; then
    TYPO="$candidate"
    break
  fi
done
[ -n "$TYPO" ] || die "no typo of $MID that matches nothing"
CATEGORY=$(psql_ "SELECT k.slug FROM categories k JOIN courses c ON c.category_id = k.id AND c.status = 'published'
                  GROUP BY k.slug ORDER BY count(*) DESC, k.slug LIMIT 1")
PRICE_MAX=199900 # prices are 0 (20%) or 109,900..499,900 in steps of 10,000: about 40% of courses
share() { psql_ "SELECT round(100 * share::numeric, 2) || '%' FROM bench_words WHERE word = '$1'"; }
echo "words: top $TOP ($(share "$TOP")), half $HALF ($(share "$HALF")), quarter $QUARTER ($(share "$QUARTER")),"\
  "mid $MID ($(share "$MID")), rare $RARE ($(share "$RARE")); prefix $PREFIX, typo $TYPO; category $CATEGORY"

# matches WORDS [SQL CONDITIONS]: published courses the handler's full-text condition (every
# word a prefix) and filters select; without words, the filters alone.
matches() {
  local condition="status = 'published'" tsquery="" word
  for word in $1; do tsquery+="${tsquery:+ & }$word:*"; done
  [ -n "$tsquery" ] && condition+=" AND search @@ to_tsquery('simple', '$tsquery')"
  [ -n "${2:-}" ] && condition+=" AND $2"
  psql_ "SELECT count(*) FROM courses WHERE $condition"
}
q() { printf 'q=%s' "${*// /%20}"; }

# cursor_for QUERY PAGE: the next_cursor that leads to page PAGE of QUERY (following every
# page before it, as a client does); fails when there are fewer pages.
cursor_for() {
  local query="$1" page="$2" cursor="" body i
  for ((i = 1; i < page; i++)); do
    body=$(curl -fsS "$BASE/api/v1/courses?$query${cursor:+&cursor=$cursor}") || return 1
    cursor=$(printf '%s' "$body" | sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p')
    [ -n "$cursor" ] || return 1
  done
  printf '%s' "$cursor"
}
PAGED="$MID"
if ! CURSOR2=$(cursor_for "$(q "$MID")" 2) || ! CURSOR50=$(cursor_for "$(q "$MID")" 50); then
  PAGED="$TOP" # small data: the mid word has fewer than 50 pages
  CURSOR2=$(cursor_for "$(q "$TOP")" 2) && CURSOR50=$(cursor_for "$(q "$TOP")" 50) ||
    die "the broadest word has fewer than 50 pages"
fi

COURSE_ID=$(psql_ "SELECT id FROM courses WHERE status = 'published' ORDER BY published_at DESC
                   OFFSET least(5000, (SELECT count(*) / 2 FROM courses WHERE status = 'published')) LIMIT 1")
curl -fsS "$BASE/api/v1/courses/$COURSE_ID" >/dev/null || die "details failed: $COURSE_ID $(curl -sS "$BASE/api/v1/courses/$COURSE_ID" | head -c 300)"

# --- The table ------------------------------------------------------------------------------
WRK=(wrk -t2 -d"${DURATION}s" --timeout 10s --latency) # a 10 s timeout: slow shapes are measured, not dropped
# stats on|off: pg_stat_statements tracks statements (and their planning) or not.
stats() {
  local track=none planning=off
  [ "$1" = on ] && track=top planning=on
  psql_ "ALTER SYSTEM SET pg_stat_statements.track = '$track'" >/dev/null
  psql_ "ALTER SYSTEM SET pg_stat_statements.track_planning = $planning" >/dev/null
  psql_ "SELECT pg_reload_conf()" >/dev/null
  sleep 0.3
}
stats off
# row NAME PATH_AND_QUERY MATCHES
row() {
  local name="$1" path="$2" matched="$3" status out16 out4 shown
  shown="${path#"/api/v1/courses?"}"
  status=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE$path")
  if [ "$status" != 200 ]; then
    printf '| %-38s | %-58s | %11s | HTTP %s |\n' "$name" "${shown//%20/ }" "$matched" "$status"
    return
  fi
  out16=$("${WRK[@]}" -c16 "$BASE$path")
  out4=$("${WRK[@]}" -c4 "$BASE$path")
  # Per request: statements and their planning + execution time, from a separate 2 s run at
  # 16 connections with pg_stat_statements tracking (its locks would slow the runs above).
  local counted requests cost
  stats on
  psql_ "SELECT pg_stat_statements_reset()" >/dev/null
  counted=$(wrk -t2 -d2s -c16 "$BASE$path")
  requests=$(printf '%s\n' "$counted" | awk '/requests in/ {print $1}')
  cost=$(psql_ "SELECT round(sum(calls)::numeric / $requests, 1) || ' | ' || round(sum(total_exec_time + total_plan_time)::numeric / $requests, 2)
                FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE 'SELECT CASE left(language%'")
  stats off
  printf '| %-38s | %-58s | %11s | %9s | %9s | %9s | %9s | %14s |%s\n' "$name" "${shown//%20/ }" "$matched" \
    "$(printf '%s\n' "$out16" | awk '/Requests\/sec/ {printf "%.0f", $2}')" "$(wrk_field "$out16" 50%)" "$(wrk_field "$out16" 99%)" \
    "$(wrk_field "$out4" 99%)" "$cost" "$(wrk_problems "$out16")$(wrk_problems "$out4")"
}

S="/api/v1/courses?"
NARROW="q=swift%20python&level=beginner&language=en"
if part table; then
  echo
  echo "== through nginx, FastCGI, wrk -t2 ${DURATION}s per run ($(psql_ "SELECT count(*) FROM courses") courses, $(psql_ "SELECT count(*) FROM users") users)"
  printf '| %-38s | %-58s | %11s | %9s | %9s | %9s | %9s | %s | %s |\n' "shape" "query" "matches" "req/s @16" "p50 @16" "p99 @16" "p99 @4" \
    "statements" "db ms"
  printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..40})" "$(printf -- '-%.0s' {1..60})" "$(printf -- '-%.0s' {1..13})" \
    "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..11})" \
    "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..7})"
  row "top word ($(share "$TOP"))" "$S$(q "$TOP")" "$(matches "$TOP")"
  row "word in ~50% ($(share "$HALF"))" "$S$(q "$HALF")" "$(matches "$HALF")"
  row "mid word ($(share "$MID"))" "$S$(q "$MID")" "$(matches "$MID")"
  row "rare word ($(share "$RARE"))" "$S$(q "$RARE")" "$(matches "$RARE")"
  row "mid + top word" "$S$(q "$MID $TOP")" "$(matches "$MID $TOP")"
  row "four words (mid, 50%, 25%, top)" "$S$(q "$MID $HALF $QUARTER $TOP")" "$(matches "$MID $HALF $QUARTER $TOP")"
  row "prefix of the mid word" "$S$(q "$PREFIX")" "$(matches "$PREFIX")"
  row "typo of the mid word (trigram)" "$S$(q "$TYPO")" \
    "0 (trgm $(psql_ "SELECT count(*) FROM courses WHERE status = 'published' AND title % '$TYPO'"))"
  row "page 2 of $PAGED (cursor)" "$S$(q "$PAGED")&cursor=$CURSOR2" "$(matches "$PAGED")"
  row "page 50 of $PAGED (cursor)" "$S$(q "$PAGED")&cursor=$CURSOR50" "$(matches "$PAGED")"
  row "mid word, sort=newest" "$S$(q "$MID")&sort=newest" "$(matches "$MID")"
  row "mid word + level + language" "$S$(q "$MID")&level=beginner&language=en" \
    "$(matches "$MID" "level = 'beginner' AND language = 'en'")"
  row "narrow: 2 words + level + language" "$S$NARROW" "$(matches "swift python" "level = 'beginner' AND language = 'en'")"
  row "browse: category + price_max, popular" "${S}category=$CATEGORY&price_max=$PRICE_MAX&sort=popular" \
    "$(matches "" "category_id = (SELECT id FROM categories WHERE slug = '$CATEGORY') AND price_minor <= $PRICE_MAX")"
  for sort in newest popular rating price_asc price_desc; do
    row "no text, sort=$sort" "${S}sort=$sort" "$(matches "")"
  done
  row "course details" "/api/v1/courses/$COURSE_ID" "-"
  echo "matches: published courses the full-text condition and filters select (without text, the filters);"
  echo "the typo's \"0 (trgm N)\": no full-text match, N titles similar by trigram (the handler's fallback)."
  echo "statements, db ms: per request at 16 connections, from pg_stat_statements (planning + execution, warm; a separate run)."
fi

# --- EXPLAIN --------------------------------------------------------------------------------
if part explain; then
  explain_request "top word ($TOP)" "$BASE$S$(q "$TOP")"
  explain_request "four words" "$BASE$S$(q "$MID $HALF $QUARTER $TOP")"
  explain_request "narrow: 2 words + level + language" "$BASE$S$NARROW"
  explain_request "typo ($TYPO)" "$BASE$S$(q "$TYPO")"
  explain_request "mid word, sort=newest" "$BASE$S$(q "$MID")&sort=newest"
  explain_request "browse: category + price_max, popular" "$BASE${S}category=$CATEGORY&price_max=$PRICE_MAX&sort=popular"
fi

# --- Every query of a mix, once -----------------------------------------------------------
# 5,000 distinct queries: every drawn word (each alone, or with a sort or a filter), in a fixed
# random order. Each is asked once, one after another (curl, one kept connection, the cache
# off): the spread of what single queries cost, and the slowest, to look into.
MIX="$BENCH/queries.txt"
psql_ "SELECT '/api/v1/courses?q=' || word || (ARRAY['', '&sort=newest', '&level=beginner', '&sort=popular', '&language=en'])[1 + (n % 5)]
       FROM (SELECT word, row_number() OVER (ORDER BY md5(word)) AS n FROM bench_words) w ORDER BY md5(word || n) LIMIT 5000" >"$MIX"
if part mix; then
  sed "s|^|url = \"$BASE|; s|\$|\"\noutput = \"/dev/null\"|" "$MIX" >"$BENCH/mix.curl"
  curl -sS -K "$BENCH/mix.curl" -w '%{time_total} %{http_code} %{url_effective}\n' | sort -n >"$BENCH/mix.times"
  echo
  echo "== each of $(wc -l <"$MIX") distinct queries once, one at a time (cache off): seconds per request"
  awk '{t[NR] = $1; if ($2 != 200) bad++} END {
    printf "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; %d answers not 200\n",
      1000 * t[int(NR * 0.5)], 1000 * t[int(NR * 0.9)], 1000 * t[int(NR * 0.99)], 1000 * t[NR], bad}' "$BENCH/mix.times"
  echo "the slowest:"
  tail -n 12 "$BENCH/mix.times" | sort -rn | awk '{printf "  %7.1f ms  %s\n", 1000 * $1, $3}' | sed "s|$BASE||"
fi

# --- With the answer cache (CATALOG_CACHE_SECONDS, default 5) --------------------------------
# Each FastCGI process keeps an answer for 5 s. Two cases: one query again and again (a popular
# word, the front page), and a mix of 5,000 distinct queries (every drawn word, each alone and
# with a filter or a sort) asked with Zipf-like popularity (the k-th most asked, 1/k), so most
# requests are of the few popular queries and the long tail is computed afresh.
part cache || exit 0
log "restarting the functions with the answer cache on (5 s)"
stop_instance main
write_env_file "LMS_ENV=production" "JWT_SECRET=$JWT_SECRET_VALUE" "LOG_REQUESTS=false" "CATALOG_CACHE_SECONDS=5"
start_instance main 18095 manifest AUTH_RATE_LIMIT=100000r/s RATE_LIMIT_EXEMPT=127.0.0.1
cat >"$BENCH/zipf.lua" <<LUA
local paths, weights, total = {}, {}, 0
for line in io.lines("$MIX") do
  paths[#paths + 1] = line
  total = total + 1 / #paths
  weights[#paths] = total
end
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  local x, lo, hi = math.random() * total, 1, #paths
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if weights[mid] < x then lo = mid + 1 else hi = mid end
  end
  return wrk.format("GET", paths[lo])
end
LUA
cached() {
  local name="$1" out16 out4
  shift
  out16=$("${WRK[@]}" -c16 "$@")
  out4=$("${WRK[@]}" -c4 "$@")
  printf '| %-44s | %9s | %9s | %9s | %9s |%s\n' "$name" "$(printf '%s\n' "$out16" | awk '/Requests\/sec/ {printf "%.0f", $2}')" \
    "$(wrk_field "$out16" 50%)" "$(wrk_field "$out16" 99%)" "$(wrk_field "$out4" 99%)" "$(wrk_problems "$out16")$(wrk_problems "$out4")"
}
echo
echo "== with the answer cache (5 s per process), wrk -t2 ${DURATION}s per run"
printf '| %-44s | %9s | %9s | %9s | %9s |\n' "requests" "req/s @16" "p50 @16" "p99 @16" "p99 @4"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..11})" \
  "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..11})"
cached "the same query: rare word" "$BASE$S$(q "$RARE")"
cached "the same query: browse category, popular" "$BASE${S}category=$CATEGORY&price_max=$PRICE_MAX&sort=popular"
cached "$(wc -l <"$MIX") distinct queries, Zipf popularity" -s "$BENCH/zipf.lua" "$BASE"
