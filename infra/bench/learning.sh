#!/usr/bin/env bash
# The learning benchmark, through nginx in FastCGI mode (the routes' declared mode) on a
# throwaway stack, with wrk at 16 connections:
#   - PUT /api/v1/lessons/{id}/position (players call it every few seconds): req/s, p50, p99;
#   - GET /api/v1/courses/{id}/progress of a 200-lesson course (10 modules of 20), half done,
#     with a quiz and an assignment: req/s, p50, p99; the same for a 10-lesson course; and "cold":
#     one learner going round 300 courses shaped like the large one, more than a FastCGI process
#     keeps outlines of, so that every request reads its course's outline afresh;
#   - POST /api/v1/attempts/{id}/submit of a 50-question quiz (every question kind), each
#     request scoring a fresh attempt whose 50 answers were saved beforehand: req/s, p50, p99.
# The data is made with SQL (200 learners, 40 unsubmitted attempts each); tokens are signed
# here with the stack's JWT secret. Prints figures; asserts nothing. It also prints how many
# position saves were HOT updates. With EXPLAIN=1, the plans of the statements that one
# request of each kind really ran (auto_explain: EXPLAIN ANALYZE with buffers): the position
# save, the progress page warm and cold, the instructor's learner list and a submit.
# Usage: [EXPLAIN=1] infra/bench/learning.sh [seconds per run]
# Every row first runs wrk for WARMUP seconds (1) on processes that have served at most one
# request: its p99 is printed as "p99 at start" (a process's first requests connect, prepare
# statements and fill its caches); the row's other figures come from the run after it.
# The submit's warm-up scores attempts from the last third of the list, so the measured run
# starts with each learner's first attempt (a first pass: an XP event and a completion check).
# LMS_BENCH_ATTEMPTS: unsubmitted attempts per learner (20 per second of the runs, at least 40:
# enough that no request of either run finds its attempt already scored);
# LMS_BENCH_HOLD=1: keep the stack up afterwards (for perf) until interrupted.
source "$(dirname "$0")/../scripts/lib.sh"
cd "$LMS_ROOT"
DURATION="${1:-10}"
LEARNERS=200
WARMUP=1
ATTEMPTS_PER_LEARNER="${LMS_BENCH_ATTEMPTS:-$(( (DURATION + WARMUP) * 20 > 40 ? (DURATION + WARMUP) * 20 : 40 ))}"

install_packages wrk openssl
fetch_pg_static
ensure_service_user
log "building release binaries"
build_release

BENCH="$(mktemp -d /tmp/lms-learning.XXXXXX)"
chmod 0755 "$BENCH"
stack_init "$BENCH"
trap 'stop_instance main || true; stop_postgres || true; rm -rf "$BENCH"' EXIT
start_postgres
[ "${EXPLAIN:-0}" = 1 ] && load_statement_tools
start_pgbouncer
lmsctl migrate >/dev/null
SECRET="$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')"
write_env_file "LMS_ENV=production" "JWT_SECRET=$SECRET" "LOG_REQUESTS=false"
install_binaries
start_instance main 18097 manifest AUTH_RATE_LIMIT=100000r/s RATE_LIMIT_EXEMPT=127.0.0.1
BASE="http://127.0.0.1:18097"
psql_() { as_service "$(pg_bin)/psql" "$DATABASE_URL" -v ON_ERROR_STOP=1 -Atqc "$1"; }

log "making a 200-lesson course, a 50-question quiz, $LEARNERS learners and their attempts"
psql_ "
SET statement_timeout = 0;
-- No passwords: the benchmark signs its own access tokens.
INSERT INTO users (email, name, role, email_verified_at)
SELECT 'learner' || n || '@bench.test', 'Learner ' || n, 'student', now() FROM generate_series(1, $LEARNERS) n;
INSERT INTO users (email, name, role, email_verified_at) VALUES ('teacher@bench.test', 'Teacher', 'instructor', now());
INSERT INTO courses (id, instructor_id, title, status, published_at)
SELECT '00000000-0000-4000-8000-00000000c0de', id, 'Benchmark course', 'published', now() FROM users WHERE email = 'teacher@bench.test';
INSERT INTO modules (course_id, title, position)
SELECT '00000000-0000-4000-8000-00000000c0de', 'Module ' || m, m FROM generate_series(1, 10) m;
INSERT INTO lessons (module_id, course_id, title, kind, duration_seconds, position)
SELECT mo.id, mo.course_id, 'Lesson ' || mo.position || '.' || l, 'video', 600, l FROM modules mo, generate_series(1, 20) l;
INSERT INTO enrollments (user_id, course_id, source) SELECT id, '00000000-0000-4000-8000-00000000c0de', 'free' FROM users WHERE role = 'student';
-- Each learner has done the first 100 lessons and stopped in the 101st.
INSERT INTO lesson_progress (user_id, lesson_id, course_id, position_seconds, completed_at)
SELECT e.user_id, l.id, l.course_id, CASE WHEN r.n <= 100 THEN 600 ELSE 120 END, CASE WHEN r.n <= 100 THEN now() END
FROM enrollments e
JOIN (SELECT l.id, row_number() OVER (ORDER BY m.position, l.position) n FROM lessons l JOIN modules m ON m.id = l.module_id) r ON r.n <= 101
JOIN lessons l ON l.id = r.id;
INSERT INTO quizzes (id, module_id, course_id, title, pass_percent)
SELECT '00000000-0000-4000-8000-0000000000a1', id, course_id, 'Fifty questions', 60 FROM modules WHERE position = 1;
INSERT INTO quiz_questions (quiz_id, position, kind, prompt, options, correct, points)
SELECT '00000000-0000-4000-8000-0000000000a1', n,
       (ARRAY['single_choice', 'multiple_choice', 'true_false', 'short_answer'])[n % 4 + 1], 'Question ' || n,
       CASE WHEN n % 4 IN (0, 1) THEN '[\"a\", \"b\", \"c\", \"d\"]'::jsonb ELSE '[]'::jsonb END,
       (ARRAY['2', '[0, 3]', 'true', '[\"answer\", \"the answer\"]'])[n % 4 + 1]::jsonb, 2
FROM generate_series(1, 50) n;
INSERT INTO assignments (module_id, course_id, title) SELECT id, course_id, 'Homework' FROM modules WHERE position = 10;
INSERT INTO quiz_attempts (quiz_id, user_id, course_id, number, layout)
SELECT '00000000-0000-4000-8000-0000000000a1', e.user_id, e.course_id, k,
       (SELECT jsonb_agg(jsonb_build_object('question', q.id, 'options',
                 CASE WHEN jsonb_array_length(q.options) > 0 THEN '[0, 1, 2, 3]'::jsonb ELSE '[]'::jsonb END) ORDER BY q.position)
        FROM quiz_questions q WHERE q.quiz_id = '00000000-0000-4000-8000-0000000000a1')
FROM enrollments e, generate_series(1, $ATTEMPTS_PER_LEARNER) k;
-- The learner whose progress page and position saves are measured has 3 attempts, as a learner
-- may (the page counts a learner's attempts: the submit's supply would make theirs heavier).
DELETE FROM quiz_attempts a USING users u WHERE u.id = a.user_id AND u.email = 'learner1@bench.test' AND a.number > 3;
-- Every attempt has its 50 answers saved (about three in four right).
INSERT INTO quiz_answers (attempt_id, question_id, answer)
SELECT a.id, q.id, CASE WHEN q.position % 5 = 0 THEN '\"wrong\"'::jsonb ELSE
         (ARRAY['2', '[0, 3]', 'true', '\" The  Answer \"'])[q.position % 4 + 1]::jsonb END
FROM quiz_attempts a, quiz_questions q WHERE q.quiz_id = a.quiz_id;
ANALYZE;"

log "making a 10-lesson course and 300 more 200-lesson courses for the cold run"
SMALL=00000000-0000-4000-8000-0000000005a1
psql_ "
SET statement_timeout = 0;
INSERT INTO courses (id, instructor_id, title, status, published_at)
SELECT '$SMALL', id, 'Small course', 'published', now() FROM users WHERE email = 'teacher@bench.test';
INSERT INTO modules (course_id, title, position) SELECT '$SMALL', 'Module ' || m, m FROM generate_series(1, 2) m;
INSERT INTO lessons (module_id, course_id, title, kind, duration_seconds, position)
SELECT mo.id, mo.course_id, 'Lesson ' || mo.position || '.' || l, 'video', 600, l
FROM modules mo, generate_series(1, 5) l WHERE mo.course_id = '$SMALL';
INSERT INTO quizzes (module_id, course_id, title) SELECT id, course_id, 'Small quiz' FROM modules WHERE course_id = '$SMALL' AND position = 2;
INSERT INTO enrollments (user_id, course_id, source) SELECT id, '$SMALL', 'free' FROM users WHERE role = 'student';
-- Each learner has done the first module.
INSERT INTO lesson_progress (user_id, lesson_id, course_id, position_seconds, completed_at)
SELECT e.user_id, l.id, l.course_id, 600, now()
FROM enrollments e JOIN lessons l ON l.course_id = e.course_id JOIN modules m ON m.id = l.module_id AND m.position = 1
WHERE e.course_id = '$SMALL';
-- The cold run: 300 courses of 10 modules of 20 lessons; the first learner is enrolled in each,
-- has done the first 100 lessons and stopped in the 101st.
INSERT INTO courses (instructor_id, title, status, published_at)
SELECT id, 'Cold course ' || n, 'published', now() FROM users, generate_series(1, 300) n WHERE email = 'teacher@bench.test';
INSERT INTO modules (course_id, title, position)
SELECT c.id, 'Module ' || m, m FROM courses c, generate_series(1, 10) m WHERE c.title LIKE 'Cold course %';
INSERT INTO lessons (module_id, course_id, title, kind, duration_seconds, position)
SELECT mo.id, mo.course_id, 'Lesson ' || mo.position || '.' || l, 'video', 600, l
FROM modules mo JOIN courses c ON c.id = mo.course_id AND c.title LIKE 'Cold course %', generate_series(1, 20) l;
INSERT INTO enrollments (user_id, course_id, source)
SELECT u.id, c.id, 'free' FROM users u, courses c WHERE u.email = 'learner1@bench.test' AND c.title LIKE 'Cold course %';
INSERT INTO lesson_progress (user_id, lesson_id, course_id, position_seconds, completed_at)
SELECT e.user_id, l.id, l.course_id, CASE WHEN n <= 100 THEN 600 ELSE 120 END, CASE WHEN n <= 100 THEN now() END
FROM enrollments e
JOIN courses c ON c.id = e.course_id AND c.title LIKE 'Cold course %'
JOIN modules m ON m.course_id = c.id
JOIN lessons l ON l.module_id = m.id
CROSS JOIN LATERAL (SELECT (m.position - 1) * 20 + l.position AS n) r
WHERE r.n <= 101;
ANALYZE;"
psql_ "SELECT id FROM courses WHERE title LIKE 'Cold course %' ORDER BY id" >"$BENCH/cold-courses.txt"

# token USER_ID [ROLE]: an access token signed as the functions check it (HS256, ver 0, one hour).
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
token() {
  local now header payload signature
  now=$(date +%s)
  header=$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | b64url)
  payload=$(printf '{"sub":"%s","role":"%s","iat":%d,"exp":%d,"ver":0}' "$1" "${2:-student}" "$now" $((now + 3600)) | b64url)
  signature=$(printf '%s' "$header.$payload" | openssl dgst -sha256 -hmac "$SECRET" -binary | b64url)
  printf '%s.%s.%s' "$header" "$payload" "$signature"
}
COURSE=00000000-0000-4000-8000-00000000c0de
FIRST=$(psql_ "SELECT id FROM users WHERE email = 'learner1@bench.test'")
TOKEN=$(token "$FIRST")
LESSON=$(psql_ "SELECT l.id FROM lessons l JOIN modules m ON m.id = l.module_id WHERE l.course_id = '$COURSE' ORDER BY m.position, l.position OFFSET 100 LIMIT 1")
check() { [ "$(curl -sS -o /dev/null -w '%{http_code}' "$@")" = 200 ] || die "request failed: $* -> $(curl -sS "$@" | head -c 300)"; }
check -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"seconds":42}' "$BASE/api/v1/lessons/$LESSON/position"
check -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/courses/$COURSE/progress"
check -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/courses/$SMALL/progress"
check -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/courses/$(head -n 1 "$BENCH/cold-courses.txt")/progress"

# The submit script: every request submits the next unsubmitted attempt, with its owner's token.
log "signing $LEARNERS tokens"
ATTEMPTS="$BENCH/attempts.txt"
declare -A TOKENS
while IFS='|' read -r user attempt; do
  [ -n "${TOKENS[$user]:-}" ] || TOKENS[$user]=$(token "$user")
  printf '%s %s\n' "$attempt" "${TOKENS[$user]}"
done < <(psql_ "SELECT user_id, id FROM quiz_attempts ORDER BY number, user_id") >"$ATTEMPTS"
cat >"$BENCH/submit.lua" <<LUA
local attempts = {}
for line in io.lines("$ATTEMPTS") do
  local id, token = line:match("(%S+) (%S+)")
  attempts[#attempts + 1] = { id = id, token = token }
end
-- Thread n (of the two) takes attempts skip + n, skip + n + 2, ... (skip: the first argument,
-- the attempts an earlier run scored); past the last, it goes round again (re-reading).
local counter = 1
function setup(thread)
  thread:set("first", counter)
  counter = counter + 1
end
function init(args)
  next_index = first + tonumber(args[1] or "0")
end
function request()
  local attempt = attempts[(next_index - 1) % #attempts + 1]
  next_index = next_index + 2
  return wrk.format("POST", "/api/v1/attempts/" .. attempt.id .. "/submit",
    { ["Authorization"] = "Bearer " .. attempt.token, ["Content-Type"] = "application/json" }, "{}")
end
LUA
first=$(head -n 1 "$ATTEMPTS")
check -X POST -H "Authorization: Bearer ${first#* }" -H 'Content-Type: application/json' -d '{}' "$BASE/api/v1/attempts/${first%% *}/submit"
cat >"$BENCH/cold.lua" <<LUA
local courses = {}
for line in io.lines("$BENCH/cold-courses.txt") do courses[#courses + 1] = line end
-- The two threads go round the courses half a round apart: a course comes back after ~300 other requests.
local counter = 0
function setup(thread)
  thread:set("first", counter)
  counter = counter + 1
end
function init(args)
  next_index = first * 150
end
function request()
  next_index = next_index % #courses + 1
  return wrk.format("GET", "/api/v1/courses/" .. courses[next_index] .. "/progress", { ["Authorization"] = "Bearer $TOKEN" })
end
LUA
cat >"$BENCH/position.lua" <<LUA
wrk.method = "PUT"
wrk.body = '{"seconds":137.5}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA

WRK=(wrk -t2 -c16 --timeout 10s --latency)
# stack_cpu_ticks: CPU time (clock ticks) used so far by this stack's server processes: nginx,
# the functions and PostgreSQL, found by the stack's folder in their command line, with their
# children (workers, backends). Per request, it moves much less than req/s with what else the
# machine runs (under a heavy other load it still rises: shared caches, a busier kernel).
stack_cpu_ticks() {
  local pids
  pids=$(for p in $(pgrep -f "$BENCH"); do echo "$p"; pgrep -P "$p"; done | sort -u)
  # shellcheck disable=SC2086
  (cd /proc && cat $(printf '%s/stat ' $pids) 2>/dev/null) | awk '{sub(/.*\) /, ""); total += $12 + $13} END {print total + 0}'
}
TICKS=$(getconf CLK_TCK)
# row NAME WRK-ARGS...: the warm-up, then the measured run. With WARMUP_ARG set, the warm-up
# gives its script that argument in place of the row's last one.
row() {
  local name="$1" out warm before after requests
  shift
  if [ -n "${WARMUP_ARG:-}" ]; then
    warm=$("${WRK[@]}" -d"${WARMUP}s" "${@:1:$(($# - 1))}" "$WARMUP_ARG")
  else
    warm=$("${WRK[@]}" -d"${WARMUP}s" "$@")
  fi
  before=$(stack_cpu_ticks)
  out=$("${WRK[@]}" -d"${DURATION}s" "$@")
  after=$(stack_cpu_ticks)
  requests=$(printf '%s\n' "$out" | awk '/requests in/ {print $1}')
  printf '| %-52s | %9s | %9s | %9s | %9s | %11s |%s\n' "$name" "$(printf '%s\n' "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')" \
    "$(wrk_field "$out" 50%)" "$(wrk_field "$out" 99%)" \
    "$(awk -v t=$((after - before)) -v n="$requests" -v hz="$TICKS" 'BEGIN {if (n > 0) printf "%.2fms", t * 1000 / hz / n}')" \
    "$(wrk_field "$warm" 99%)" "$(wrk_problems "$out")$(wrk_problems "$warm")"
}
echo
echo "== through nginx, FastCGI, wrk -t2 -c16, ${WARMUP}s warm-up then ${DURATION}s per row ($(nproc) cores shared by everything; load average $(cut -d' ' -f1 /proc/loadavg) before)"
echo "(CPU/req: CPU time of this stack's nginx, functions and PostgreSQL per request: steadier than req/s under another load;"
echo " p99 at start: the warm-up's, on processes that had served at most one request)"
printf '| %-52s | %9s | %9s | %9s | %9s | %11s |\n' "request" "req/s" "p50" "p99" "CPU/req" "p99 at start"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..54})" "-----------" "-----------" "-----------" "-----------" "-------------"
hot_before=$(psql_ "SELECT n_tup_upd || ' ' || n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'lesson_progress'")
row "PUT /lessons/{id}/position" -s "$BENCH/position.lua" "$BASE/api/v1/lessons/$LESSON/position"
row "GET /courses/{id}/progress (200 lessons, half done)" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/courses/$COURSE/progress"
row "GET /courses/{id}/progress (10 lessons, half done)" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/courses/$SMALL/progress"
row "GET /courses/{id}/progress (200 lessons, cold)" -s "$BENCH/cold.lua" "$BASE/"
submitted_before=$(psql_ "SELECT count(*) FROM quiz_attempts WHERE submitted_at IS NOT NULL")
# The check above scored the first attempt; the run starts after it.
WARMUP_ARG=$(($(wc -l <"$ATTEMPTS") * 2 / 3)) row "POST /attempts/{id}/submit (50 questions)" -s "$BENCH/submit.lua" "$BASE/" -- 1
submitted=$(( $(psql_ "SELECT count(*) FROM quiz_attempts WHERE submitted_at IS NOT NULL") - submitted_before ))
total=$(wc -l <"$ATTEMPTS")
echo "(submit: $submitted attempts scored, warm-up included, of $total prepared; past them, requests would re-read scored attempts)"
sleep 1 # the statistics collector reports at most every 0.5 s
hot_after=$(psql_ "SELECT n_tup_upd || ' ' || n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'lesson_progress'")
echo "(position saves: $(( ${hot_after#* } - ${hot_before#* } )) of $(( ${hot_after% *} - ${hot_before% *} )) updates of lesson_progress were HOT)"

if [ "${EXPLAIN:-0}" = 1 ]; then
  TEACHER=$(psql_ "SELECT id FROM users WHERE email = 'teacher@bench.test'")
  read -r OWNER ATTEMPT < <(psql_ "SELECT user_id || ' ' || id FROM quiz_attempts WHERE submitted_at IS NULL ORDER BY number DESC, user_id LIMIT 1")
  explain_request "position save" -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"seconds":42}' \
    "$BASE/api/v1/lessons/$LESSON/position"
  explain_request "progress page, 200 lessons half done (outline kept by the process, if this one has it)" -H "Authorization: Bearer $TOKEN" \
    "$BASE/api/v1/courses/$COURSE/progress"
  explain_request "progress page, a course whose outline the process has not kept" -H "Authorization: Bearer $TOKEN" \
    "$BASE/api/v1/courses/$(sed -n 7p "$BENCH/cold-courses.txt")/progress"
  explain_request "the instructor's learner list, first page of 20 (200 learners, 200 lessons)" \
    -H "Authorization: Bearer $(token "$TEACHER" instructor)" "$BASE/api/v1/instructor/courses/$COURSE/learners?limit=20"
  explain_request "a submit of 50 answers" -X POST -H "Authorization: Bearer $(token "$OWNER")" -H 'Content-Type: application/json' \
    -d '{}' "$BASE/api/v1/attempts/$ATTEMPT/submit"
fi

hold_stack learning "BASE=$BASE" "TOKEN=$TOKEN" "COURSE=$COURSE" "BENCH=$BENCH"
