#!/usr/bin/env bash
# The payment webhook benchmark, through nginx in FastCGI mode (the routes' declared mode) on a
# throwaway stack, with wrk at 16 connections (and 4, for latency):
#   - the same Razorpay `payment.captured` delivered again and again: signature check on the raw
#     body, then the idempotent insert that finds the event (the issue's figure);
#   - a new Razorpay event each request (unique event ids, about an order that is already paid):
#     signature check, the event recorded, the order found paid;
#   - the same Stripe `checkout.session.completed` again and again (Stripe-Signature, t=now);
# then, with the workers running and idle, paid webhook -> invoice emailed: 40 orders paid one
# after another by their `payment.captured`, each time from the webhook's arrival (payment_events)
# to the invoice email sent by the email worker (sent_emails), the invoice rendered by
# worker-invoice in between: p50, p90, max.
# Bodies are real-sized provider events signed here (Python's hmac) with the stack's secrets.
# Prints figures; asserts nothing. Usage: infra/bench/webhooks.sh [seconds per run]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$LMS_ROOT"
DURATION="${1:-10}"
EVENTS=60000
LATENCY_ORDERS=40

install_packages wrk
fetch_pg_static
ensure_service_user
log "building release binaries"
build_release

BENCH="$(mktemp -d /tmp/lms-webhooks.XXXXXX)"
chmod 0755 "$BENCH"
stack_init "$BENCH"
trap 'stop_workers || true; stop_instance main || true; stop_postgres || true; rm -rf "$BENCH"' EXIT
start_postgres
start_pgbouncer
lmsctl migrate >/dev/null
RAZORPAY_SECRET="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
STRIPE_SECRET="whsec_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
write_env_file "LMS_ENV=production" "JWT_SECRET=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')" "LOG_REQUESTS=false" \
  "RAZORPAY_KEY_ID=rzp_test_bench" "RAZORPAY_KEY_SECRET=bench" "RAZORPAY_WEBHOOK_SECRET=$RAZORPAY_SECRET" \
  "STRIPE_SECRET_KEY=sk_test_bench" "STRIPE_WEBHOOK_SECRET=$STRIPE_SECRET" "LMS_MAIL_DIR=$BENCH/mail"
install_binaries
start_instance main 18098 manifest RATE_LIMIT_EXEMPT=127.0.0.1
BASE="http://127.0.0.1:18098"
psql_() { as_service "$(pg_bin)/psql" "$DATABASE_URL" -v ON_ERROR_STOP=1 -Atqc "$1"; }

log "making a paid course, a buyer, a pending Razorpay order and a pending Stripe order"
psql_ "
INSERT INTO users (id, email, name, role, email_verified_at) VALUES
  ('00000000-0000-4000-8000-00000000b001', 'teacher@bench.test', 'Teacher', 'instructor', now()),
  ('00000000-0000-4000-8000-00000000b002', 'buyer@bench.test', 'Buyer', 'student', now());
INSERT INTO courses (id, instructor_id, title, price_minor, currency, status, published_at) VALUES
  ('00000000-0000-4000-8000-00000000c001', '00000000-0000-4000-8000-00000000b001', 'Benchmark course', 49900, 'INR', 'published', now()),
  ('00000000-0000-4000-8000-00000000c002', '00000000-0000-4000-8000-00000000b001', 'Benchmark course 2', 1999, 'USD', 'published', now());
INSERT INTO orders (id, user_id, provider, currency, amount_minor, provider_order_id) VALUES
  ('00000000-0000-4000-8000-0000000000d1', '00000000-0000-4000-8000-00000000b002', 'razorpay', 'INR', 49900, 'order_BenchOrder0001'),
  ('00000000-0000-4000-8000-0000000000d2', '00000000-0000-4000-8000-00000000b002', 'stripe', 'USD', 1999, 'cs_test_BenchSession00000000000000001');
INSERT INTO order_items (order_id, course_id, title, instructor_id, list_price_minor, price_minor, currency, position) VALUES
  ('00000000-0000-4000-8000-0000000000d1', '00000000-0000-4000-8000-00000000c001', 'Benchmark course', '00000000-0000-4000-8000-00000000b001', 49900, 49900, 'INR', 0),
  ('00000000-0000-4000-8000-0000000000d2', '00000000-0000-4000-8000-00000000c002', 'Benchmark course 2', '00000000-0000-4000-8000-00000000b001', 1999, 1999, 'USD', 0);
-- The orders of the invoice latency run: order_Latency0001... of 499.00 INR each.
INSERT INTO orders (id, user_id, provider, currency, amount_minor, provider_order_id, tax_label, tax_rate_bp)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(4096 + n), 12, '0'))::uuid, '00000000-0000-4000-8000-00000000b002', 'razorpay',
       'INR', 49900, 'order_Latency' || lpad(n::text, 4, '0'), 'GST', 1800
FROM generate_series(1, $LATENCY_ORDERS) n;
INSERT INTO order_items (order_id, course_id, title, instructor_id, list_price_minor, tax_minor, price_minor, currency, position)
SELECT o.id, '00000000-0000-4000-8000-00000000c001', 'Benchmark course', '00000000-0000-4000-8000-00000000b001', 49900, 7612, 49900, 'INR', 0
FROM orders o WHERE o.provider_order_id LIKE 'order_Latency%';"

log "signing $EVENTS Razorpay events and one Stripe event"
python3 - "$BENCH" "$RAZORPAY_SECRET" "$STRIPE_SECRET" "$EVENTS" "$LATENCY_ORDERS" <<'PY'
import hashlib, hmac, json, sys, time
folder, razorpay_secret, stripe_secret, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
latency_orders = int(sys.argv[5])

def razorpay_event(number, order="order_BenchOrder0001", order_id="00000000-0000-4000-8000-0000000000d1"):
    payment = {
        "id": "pay_Bench%09d" % number, "entity": "payment", "amount": 49900, "currency": "INR", "status": "captured",
        "order_id": order, "invoice_id": None, "international": False, "method": "card",
        "amount_refunded": 0, "refund_status": None, "captured": True, "description": "Benchmark course",
        "card_id": "card_Bench0000000001", "bank": None, "wallet": None, "vpa": None, "email": "buyer@bench.test",
        "contact": "+919000090000", "notes": {"order_id": order_id,
        "user_id": "00000000-0000-4000-8000-00000000b002"}, "fee": 998, "tax": 152, "error_code": None,
        "error_description": None, "acquirer_data": {"auth_code": "123456"}, "created_at": int(time.time()),
    }
    body = json.dumps({"entity": "event", "account_id": "acc_Bench0000000001", "event": "payment.captured",
                       "contains": ["payment"], "payload": {"payment": {"entity": payment}},
                       "created_at": int(time.time())}, separators=(",", ":"))
    signature = hmac.new(razorpay_secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return body, signature

with open(folder + "/razorpay-events.txt", "w") as out:
    for number in range(count):
        body, signature = razorpay_event(number)
        out.write("evt_Bench%09d %s %s\n" % (number, signature, body))
with open(folder + "/latency-events.txt", "w") as out:
    for n in range(1, latency_orders + 1):
        body, signature = razorpay_event(10_000_000 + n, "order_Latency%04d" % n, "00000000-0000-4000-8000-%012x" % (4096 + n))
        out.write("evt_Lat%04d %s %s\n" % (n, signature, body))
body, signature = razorpay_event(0)
with open(folder + "/razorpay-one.json", "w") as out:
    out.write(body)
with open(folder + "/razorpay-one.sig", "w") as out:
    out.write(signature)

session = {"id": "cs_test_BenchSession00000000000000001", "object": "checkout.session", "mode": "payment",
           "status": "complete", "payment_status": "paid", "amount_subtotal": 1999, "amount_total": 1999,
           "currency": "usd", "client_reference_id": "00000000-0000-4000-8000-0000000000d2",
           "customer_email": "buyer@bench.test", "metadata": {"order_id": "00000000-0000-4000-8000-0000000000d2"},
           "payment_intent": "pi_BenchIntent000000000000001", "livemode": False}
body = json.dumps({"id": "evt_BenchStripe0000000001", "object": "event", "api_version": "2024-06-20",
                   "created": int(time.time()), "data": {"object": session}, "livemode": False,
                   "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
                   "type": "checkout.session.completed"}, indent=2)
stamp = int(time.time())
signature = hmac.new(stripe_secret.encode(), ("%d.%s" % (stamp, body)).encode(), hashlib.sha256).hexdigest()
with open(folder + "/stripe-one.json", "w") as out:
    out.write(body)
with open(folder + "/stripe-one.sig", "w") as out:
    out.write("t=%d,v1=%s" % (stamp, signature))
PY

deliver() {  # deliver PATH BODY_FILE HEADER... -> the response body
  curl -sS -X POST -H 'Content-Type: application/json' "${@:3}" --data-binary "@$2" "$BASE$1"
}
first=$(deliver /api/v1/webhooks/razorpay "$BENCH/razorpay-one.json" -H "X-Razorpay-Signature: $(cat "$BENCH/razorpay-one.sig")" \
  -H "X-Razorpay-Event-Id: evt_Bench000000000")
grep -q '"outcome":"fulfilled"' <<<"$first" || die "the first Razorpay delivery did not pay the order: $first"
first=$(deliver /api/v1/webhooks/stripe "$BENCH/stripe-one.json" -H "Stripe-Signature: $(cat "$BENCH/stripe-one.sig")")
grep -q '"outcome":"fulfilled"' <<<"$first" || die "the first Stripe delivery did not pay the order: $first"

lua_string() { python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
cat >"$BENCH/razorpay-duplicate.lua" <<LUA
wrk.method = "POST"
wrk.body = $(lua_string "$BENCH/razorpay-one.json")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Razorpay-Signature"] = "$(cat "$BENCH/razorpay-one.sig")"
wrk.headers["X-Razorpay-Event-Id"] = "evt_Bench000000000"
LUA
cat >"$BENCH/stripe-duplicate.lua" <<LUA
wrk.method = "POST"
wrk.body = $(lua_string "$BENCH/stripe-one.json")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Stripe-Signature"] = "$(cat "$BENCH/stripe-one.sig")"
LUA
# New events: thread n (of the two) sends events n, n + 2, ... (skipping the first, already sent).
cat >"$BENCH/razorpay-new.lua" <<LUA
local events = {}
for line in io.lines("$BENCH/razorpay-events.txt") do
  local id, signature, body = line:match("(%S+) (%S+) (.*)")
  events[#events + 1] = { id = id, signature = signature, body = body }
end
local counter = 2
function setup(thread)
  thread:set("first", counter)
  counter = counter + 1
end
function init(args)
  next_index = first
end
function request()
  local event = events[next_index]
  next_index = next_index + 2
  if event == nil then event = events[2] end
  return wrk.format("POST", "/api/v1/webhooks/razorpay", { ["Content-Type"] = "application/json",
    ["X-Razorpay-Signature"] = event.signature, ["X-Razorpay-Event-Id"] = event.id }, event.body)
end
LUA

row() {
  local name="$1" connections="$2" out
  shift 2
  out=$(wrk -t2 -c"$connections" -d"${DURATION}s" --timeout 10s --latency "$@")
  printf '| %-44s | %5s | %9s | %9s | %9s |%s\n' "$name" "$connections" \
    "$(printf '%s\n' "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')" "$(wrk_field "$out" 50%)" "$(wrk_field "$out" 99%)" "$(wrk_problems "$out")"
}
events_before=$(psql_ "SELECT count(*) FROM payment_events")
echo
echo "== through nginx, FastCGI, wrk -t2 ${DURATION}s per run ($(nproc) cores shared by everything)"
printf '| %-44s | %5s | %9s | %9s | %9s |\n' "delivery" "conns" "req/s" "p50" "p99"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "-------" "-----------" "-----------" "-----------"
for connections in 16 4; do
  row "Razorpay, the same event again (duplicate)" "$connections" -s "$BENCH/razorpay-duplicate.lua" "$BASE/api/v1/webhooks/razorpay"
  row "Stripe, the same event again (duplicate)" "$connections" -s "$BENCH/stripe-duplicate.lua" "$BASE/api/v1/webhooks/stripe"
done
row "Razorpay, a new event each (order paid)" 16 -s "$BENCH/razorpay-new.lua" "$BASE/api/v1/webhooks/razorpay"
recorded=$(( $(psql_ "SELECT count(*) FROM payment_events") - events_before ))
echo "(new events: $recorded recorded of $EVENTS prepared; past them, requests repeat one; payments: $(psql_ "SELECT count(*) FROM payments"), enrollments: $(psql_ "SELECT count(*) FROM enrollments"))"

log "paid webhook -> invoice emailed, with the workers running and idle ($LATENCY_ORDERS orders, one at a time)"
start_workers
sleep 2
while read -r id signature body; do
  printf '%s' "$body" >"$BENCH/latency-body.json"
  answer=$(deliver /api/v1/webhooks/razorpay "$BENCH/latency-body.json" -H "X-Razorpay-Signature: $signature" -H "X-Razorpay-Event-Id: $id")
  grep -q '"outcome":"fulfilled"' <<<"$answer" || die "a latency order was not paid: $answer"
  order=$(grep -o '"order_id":"[^"]*"' <<<"$answer" | head -n 1 | cut -d'"' -f4)
  for _ in $(seq 200); do
    [ "$(psql_ "SELECT count(*) FROM sent_emails s JOIN invoices i ON s.message_key = 'invoice:' || i.id WHERE i.order_id = '$order'")" = 1 ] && break
    sleep 0.05
  done
done <"$BENCH/latency-events.txt"
psql_ "
SELECT format('| paid webhook -> invoice emailed | %s of %s | p50 %s ms | p90 %s ms | max %s ms |', count(*), $LATENCY_ORDERS,
              round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)), round(percentile_cont(0.9) WITHIN GROUP (ORDER BY ms)), round(max(ms)))
FROM (SELECT extract(epoch FROM s.sent_at - e.received_at) * 1000 AS ms
      FROM payment_events e JOIN invoices i ON i.order_id = e.order_id AND i.kind = 'invoice'
      JOIN sent_emails s ON s.message_key = 'invoice:' || i.id
      WHERE e.event_id LIKE 'evt_Lat%' AND e.outcome = 'fulfilled') t"
echo "(the invoice PDFs are in $BENCH/media/private/invoices, the emails in $BENCH/mail; both removed on exit)"
