#!/usr/bin/env bash
# The catalog benchmark: 1,000,000 users and 100,000 published courses (lmsctl seed-scale),
# then, through nginx in FastCGI mode with wrk, a spread of search shapes whose words are drawn
# from the generated vocabulary by document frequency (ts_stat over courses.search): the most
# frequent word, words in ~50%, ~5.5% and ~0.75% of courses, two and four words together, a
# prefix, a typo, pages 2 and 50 (following next_cursor), browsing without text under every
# sort, the old narrow query (two narrow words + level + language), one word + two filters;
# and course details. One row per shape: the query string, its matches, req/s, p50 and p99 at
# 16 connections, p99 at 4. Then EXPLAIN (ANALYZE, BUFFERS) of the handler's statement for
# the broadest word, the no-text popular browse and the narrow query. Prints figures; asserts
# nothing. Words are picked deterministically (closest share, then alphabetical), so runs over
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
BASE="http://127.0.0.1:18095"

psql_() { as_service "$(pg_bin)/psql" "$DATABASE_URL" -v ON_ERROR_STOP=1 -Atc "$1"; }
explain() { as_service "$(pg_bin)/psql" "$DATABASE_URL" -v ON_ERROR_STOP=1 -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $1"; }

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
field() { printf '%s\n' "$1" | awk -v key="$2" '$1 == key {print $2}'; }
# problems WRK_OUTPUT: non-2xx responses and socket errors, if any.
problems() {
  printf '%s\n' "$1" | awk '/Non-2xx/ {printf " %s non-2xx", $NF} /Socket errors/ {gsub(",", ""); printf " errors: %s", $0}'
}
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
  printf '| %-38s | %-58s | %11s | %9s | %9s | %9s | %9s |%s\n' "$name" "${shown//%20/ }" "$matched" \
    "$(printf '%s\n' "$out16" | awk '/Requests\/sec/ {printf "%.0f", $2}')" "$(field "$out16" 50%)" "$(field "$out16" 99%)" \
    "$(field "$out4" 99%)" "$(problems "$out16")$(problems "$out4")"
}

S="/api/v1/courses?"
NARROW="q=swift%20python&level=beginner&language=en"
echo
echo "== through nginx, FastCGI, wrk -t2 ${DURATION}s per run ($(psql_ "SELECT count(*) FROM courses") courses, $(psql_ "SELECT count(*) FROM users") users)"
printf '| %-38s | %-58s | %11s | %9s | %9s | %9s | %9s |\n' "shape" "query" "matches" "req/s @16" "p50 @16" "p99 @16" "p99 @4"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..40})" "$(printf -- '-%.0s' {1..60})" "$(printf -- '-%.0s' {1..13})" \
  "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..11})"
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

# --- EXPLAIN --------------------------------------------------------------------------------
# The handler's statement (SearchCourses.select and its prefix expansion) with these values
# written in; the handler binds them as parameters.
# expanded WORDS: the tsquery the handler matches with (each word's indexed forms, up to 32).
expanded() {
  local words="" word
  for word in $1; do words+="${words:+, }'$word'"; done
  cat <<SQL
(SELECT string_agg(coalesce(e.alternatives, quote_literal(t.word) || ':*'), ' & ' ORDER BY t.i)::tsquery
 FROM unnest(ARRAY[$words]::text[]) WITH ORDINALITY AS t (word, i)
 CROSS JOIN LATERAL (
     SELECT CASE WHEN count(*) BETWEEN 1 AND 32 THEN '(' || string_agg(quote_literal(x.word), ' | ') || ')' END
            AS alternatives
     FROM (SELECT w.word FROM catalog_words w
           WHERE w.word >= t.word AND w.word < t.word || chr(1114111) ORDER BY w.word LIMIT 33) AS x) AS e)
SQL
}
# handler_sql RANK FILTERS ORDER: the first page (limit 20 + 1, offset 0).
handler_sql() {
  cat <<SQL
SELECT c.id, c.title, c.subtitle, k.slug AS category, c.level, c.language, c.price_minor, c.currency, c.thumbnail_url,
       c.rating_average::float8 AS rating_average, c.rating_count, c.enrollment_count, c.published_at,
       u.id AS instructor_id, u.name AS instructor_name, c.rank
FROM (SELECT c.id, c.title, c.subtitle, c.category_id, c.level, c.language, c.price_minor, c.currency, c.thumbnail_url,
             c.rating_average, c.rating_count, c.enrollment_count, c.published_at, c.instructor_id, $1 AS rank
      FROM courses c
      WHERE $2
      ORDER BY $3
      LIMIT 21 OFFSET 0) c
JOIN users u ON u.id = c.instructor_id
LEFT JOIN categories k ON k.id = c.category_id
ORDER BY $3
SQL
}
# text_sql WORDS [FILTERS]: a text query sorted by relevance.
text_sql() {
  local tsquery="" word
  for word in $1; do tsquery+="${tsquery:+ & }$word:*"; done
  handler_sql "ts_rank(c.rank_vector, to_tsquery('simple', '$tsquery'))" \
    "c.status = 'published'${2:+ AND $2} AND c.search @@ $(expanded "$1")" "rank DESC, c.id DESC"
}
echo
echo "== EXPLAIN (ANALYZE, BUFFERS) of the search for the top word ($TOP), sort=relevance"
explain "$(text_sql "$TOP")"
echo
echo "== EXPLAIN (ANALYZE, BUFFERS) of browsing without text: category=$CATEGORY, price_max=$PRICE_MAX, sort=popular"
explain "$(handler_sql 0 "c.status = 'published' AND c.category_id = (SELECT id FROM categories WHERE slug = '$CATEGORY') AND c.price_minor <= $PRICE_MAX" \
  "c.enrollment_count DESC, c.id DESC")"
echo
echo "== EXPLAIN (ANALYZE, BUFFERS) of the narrow search (swift python, level=beginner, language=en)"
explain "$(text_sql "swift python" "c.level = 'beginner' AND c.language = 'en'")"
echo
echo "== EXPLAIN ANALYZE of course details (the course row)"
explain "SELECT * FROM courses WHERE id = '$COURSE_ID'"
