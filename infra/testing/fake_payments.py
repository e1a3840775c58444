#!/usr/bin/env python3
"""A fake Razorpay (Orders, Refunds) and Stripe (Checkout Sessions, Refunds) on one port, for tests.

Both speak the real request shapes and check them strictly, and sign webhooks with the real
schemes, so what passes here also passes against the providers (provider_sdk_check.py
cross-checks the signatures with the official SDKs). Everything lives in memory.

Razorpay (https://razorpay.com/docs/api/orders/), HTTP Basic auth <key id>:<key secret>, else
401 BAD_REQUEST_ERROR "Authentication failed":
POST /v1/orders
    JSON body (Content-Type application/json): amount (integer paise/cents >= 100; not a bool,
    not 100.0), currency (INR USD EUR GBP SGD AED), receipt (optional string <= 40 chars),
    notes (optional object, <= 15 keys, string values <= 256 chars), partial_payment (optional
    bool), first_payment_min_amount (optional integer, with partial_payment). Any other field,
    as Razorpay: "<field> is/are not required and should not be sent". null counts as absent.
    A violation is 400 {"error": {"code": "BAD_REQUEST_ERROR", "description", "field", ...}}.
    200: the order {"id": "order_<14 alnum>", "entity": "order", "amount", "amount_paid": 0,
    "amount_due", "currency", "receipt", "offer_id": null, "status": "created", "attempts": 0,
    "notes": {...} or [] when empty (as Razorpay), "created_at"}.
GET /v1/orders/<id>/payments
    The order's payments made by the pay control, oldest first: {"entity": "collection",
    "count", "items": [payment entities]} (our reconciliation job reads it). Unknown order: 404.
GET /v1/orders/<id>
    The order as it is now: "paid" (amount_paid, amount_due updated) after a captured payment,
    "attempted" after only failed ones; attempts counts payments. Unknown id: 404
    BAD_REQUEST_ERROR "The id provided does not exist".
POST /v1/payments/<payment id>/refund
    (https://razorpay.com/docs/api/refunds/normal-refunds-idempotent) Refunds a payment made
    with the pay control below. JSON body, every field optional (an empty body is {}): amount
    (integer >= 100; absent: all that is left), speed ("normal" | "optimum"), receipt and notes
    (as orders); other fields, null and errors as orders. What is left is the payment's amount
    less its processed and pending refunds (a pending refund holds its amount, a failed one
    gives it back). 400 BAD_REQUEST_ERROR: unknown payment "The id provided does not exist"; a
    failed payment "The payment has not been captured"; nothing left "The payment has been fully
    refunded already"; more than is left "The refund amount provided is greater than amount
    captured" (field amount).
    X-Refund-Idempotency (optional; at least 10 of A-Z a-z 0-9 _ -, else 400): the same key with
    the same payment and body answers the refund it made (as it is now); with another payment or
    body 400 "Different request with the same idempotency key has already been processed."
    (source, step, reason "NA"); while the first request is still running (slow behaviour) 409
    BAD_REQUEST_ERROR. Only successes are kept, as Stripe's keys below.
    200: the refund {"id": "rfnd_<14 alnum>", "entity": "refund", "amount", "currency",
    "payment_id", "notes": {...} or [], "receipt", "acquirer_data": {"arn": null}, "created_at",
    "batch_id": null, "status": "processed" ("pending" under the pending and fail behaviours),
    "speed_processed": "normal", "speed_requested" (default "normal")}. A processed refund
    updates the payment (amount_refunded, refund_status "partial" | "full", status "refunded"
    once full) and makes the webhook refund.processed: {"contains": ["refund", "payment"],
    "payload": {"refund": {"entity"}, "payment": {"entity"}}}, signed as the pay control's. It is
    listed in GET /_fake/webhooks before the answer goes out, and sent after it when
    --webhook-base-url is given (webhooks of API calls go out from one thread, in order).
GET /v1/refunds/rfnd_<...>
    The refund as it is now. Unknown id: 404 "The id provided does not exist". (/v1/refunds/<id>
    is Razorpay's for ids starting rfnd_, Stripe's for any other.)

Stripe (https://docs.stripe.com/api/checkout/sessions/create), `Authorization: Bearer <secret
key>` (or Basic with the key as user), else 401 invalid_request_error:
POST /v1/checkout/sessions
    Form-encoded with Stripe's bracket notation (line_items[0][price_data][currency]=inr).
    mode=payment; success_url and cancel_url http(s); line_items[i] with quantity (positive
    integer) and price_data[currency] (3 lower-case letters, one currency for all items),
    price_data[unit_amount] (integer >= 0), price_data[product_data][name] (non-empty);
    optional client_reference_id (<= 200 chars), metadata[...] (<= 50 keys, keys <= 40 chars,
    values <= 500 chars; an empty value unsets, as Stripe), payment_intent_data[metadata][...],
    customer_email, expires_at (30 minutes to 24 hours from now). Parameters Stripe does not
    know: "Received unknown parameter: ..."; other real Stripe parameters are accepted
    unchecked. A violation is 400 {"error": {"type": "invalid_request_error", "message",
    "param": "<bracket form>"}}.
    Idempotency-Key: the same key with the same parameters replays the first answer (same id,
    headers Idempotent-Replayed: true and Original-Request); with other parameters 400
    idempotency_error; while the first request is still running (slow behaviour) 409
    idempotency_error. Only successes are kept, so a retry after an "error" outage goes through.
    200: the Checkout Session {"id": "cs_test_<24 alnum>", "object": "checkout.session", "url":
    "http://<Host>/checkout/<id>", "mode": "payment", "status": "open", "payment_status":
    "unpaid", "amount_subtotal", "amount_total", "currency", "client_reference_id",
    "customer_email", "metadata", "payment_intent": null, "success_url", "cancel_url",
    "created", "expires_at", "livemode": false}.
GET /v1/checkout/sessions/<id>
    The session as it is now (url becomes null once complete or expired, as Stripe's). Unknown
    id: 404 "No such checkout.session: '<id>'" (code resource_missing).
GET /checkout/<id>
    A small HTML page "Fake Stripe Checkout", for people trying things by hand.
POST /v1/refunds
    (https://docs.stripe.com/api/refunds/create) Form-encoded: payment_intent (required here:
    the pi_ of a Checkout Session paid with the pay control below; refunds by charge are refused
    with param charge), amount (optional positive integer; absent: all that is left), reason
    (optional: duplicate | fraudulent | requested_by_customer), metadata[...] (as sessions); the
    other real parameters (currency, expand, instructions_email, ...) are accepted unchecked.
    What is left is counted as for Razorpay (a pending refund holds its amount). 400
    invalid_request_error: unknown "No such payment_intent: '<id>'" (param payment_intent, code
    resource_missing); a payment intent of a session that was not paid: code
    charge_not_refundable; nothing left "Charge <ch_> has already been refunded." (code
    charge_already_refunded); more than is left "Refund amount ($X.XX) is greater than
    unrefunded amount on charge ($Y.YY)" (the symbol of usd eur gbp inr, else "XYZ "; no
    decimals for jpy and the other zero-decimal currencies; param amount, code
    amount_too_large). Idempotency-Key exactly as sessions; a key is bound to the endpoint it
    was first used on (another endpoint: 400 idempotency_error).
    200: the refund {"id": "re_<24 alnum>", "object": "refund", "amount", "balance_transaction":
    "txn_<24 alnum>", "charge": "ch_<24 alnum>", "created", "currency" (lower case), "metadata",
    "payment_intent", "reason", "status": "succeeded" ("pending" under the pending and fail
    behaviours)}. A paid session has one charge, made when the pay control paid it. A succeeded
    refund makes the event charge.refunded (signed as the pay control's; its "request" is {"id":
    the Request-Id of the refund call, "idempotency_key"}) whose data.object is the charge
    {"id", "object": "charge", "amount", "amount_captured", "amount_refunded" (all succeeded
    refunds), "currency", "payment_intent", "refunded" (true once full), "status": "succeeded",
    "metadata" (the session's payment_intent_data[metadata]), "refunds": {"object": "list",
    "data": [every refund of the charge as it is now, newest first], "has_more": false,
    "total_count"}}; listed and sent as Razorpay's refund.processed.
GET /v1/refunds/<id>
    The refund as it is now. Unknown id: 404 "No such refund: '<id>'" (code resource_missing).

Test controls (no auth, JSON bodies; unknown fields are refused so typos do not go unnoticed):
POST /_fake/razorpay/orders/<order id>/pay
    {"outcome": "captured" (default) | "failed", "events": [...] (default ["payment.captured",
    "order.paid"], for failed ["payment.failed"]; also "payment.authorized"), "amount": int and
    "currency": str put into the payment instead of the order's, "deliver": bool (default: true
    when --webhook-base-url is given)}. Makes a payment "pay_<14 alnum>" and answers
    {"checkout": {"razorpay_order_id", "razorpay_payment_id", "razorpay_signature"} (hex
    HMAC-SHA256(key secret, "<order id>|<payment id>"); null for a failed payment),
    "payment": {...}, "order": {...}, "webhooks": [{"event", "event_id", "headers", "body" (the
    exact raw JSON text), "status" (our server's answer, null when not delivered), "response"}]}.
    Each webhook is {"entity": "event", "account_id", "event", "contains", "payload":
    {"payment": {"entity"}} (order.paid: also "order"), "created_at"}, signed with
    X-Razorpay-Signature = hex HMAC-SHA256(webhook secret, raw body) and a fresh
    X-Razorpay-Event-Id. A second captured payment of a paid order: 400.
POST /_fake/razorpay/sign      {"body": "<raw text>"} -> {"signature": "<hex>"}
POST /_fake/razorpay/deliver   {"body", "event_id" (default fresh), "signature" (default: the
                               right one)} -> {"status", "response", "event_id", "headers"}
POST /_fake/stripe/sessions/<session id>/pay
    {"outcome": "paid" (default) | "async_succeeded" | "async_failed" | "unpaid" | "expired",
    "amount_total", "currency" (put into the session), "timestamp" (the t= of the signatures,
    to test stale ones), "deliver"}. Only an open session. Events: paid -> completed (paid);
    async_succeeded -> completed (unpaid), async_payment_succeeded (paid); async_failed ->
    completed (unpaid), async_payment_failed; unpaid -> completed (unpaid); expired -> expired.
    Each is {"id": "evt_<24 alnum>", "object": "event", "api_version", "created", "data":
    {"object": <session>}, "livemode": false, "pending_webhooks": 1, "request", "type"} as
    pretty-printed JSON, with Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 keyed with the
    whole whsec_ secret over "<t>.<raw body>">. Answers {"session", "webhooks": [...]}.
POST /_fake/stripe/sign        {"body", "timestamp" (default now)} -> {"header": "t=...,v1=..."}
POST /_fake/stripe/deliver     {"body", "header" (default: signed now, or at "timestamp")}
                               -> {"status", "response", "event_id", "headers"}
POST /_fake/razorpay/refunds/<refund id>/settle
    {"outcome": "processed" (default) | "failed", "deliver"}: finishes a pending refund (another:
    400; unknown: 404). processed: as a refund processed at once above (the payment updated,
    refund.processed); failed: status "failed", its amount no longer held, the webhook
    refund.failed (contains refund and payment, the payment unchanged). Answers {"refund",
    "webhooks": [...]} as the pay control.
POST /_fake/stripe/refunds/<refund id>/settle
    {"outcome": "succeeded" (default) | "failed", "timestamp", "deliver"}: finishes a pending
    refund. succeeded: the charge updated, charge.refunded as above; failed: status "failed",
    "failure_reason": "unknown", its amount no longer held, the event charge.refund.updated whose
    data.object is the refund. Answers {"refund", "webhooks": [...]} as the pay control.
POST /_fake/behaviour          {"razorpay_orders": "ok" | "error" | "slow", "stripe_sessions":
                               ..., "razorpay_refunds": "ok" | "error" | "slow" | "pending" |
                               "fail", "stripe_refunds": ..., "slow_seconds": 15}: "error"
                               answers 500 (SERVER_ERROR, api_error), "slow" sleeps first; both
                               apply to creating and fetching. "pending" answers new refunds
                               with status "pending" and sends no webhook until the settle
                               control; "fail" is the same (for a test that settles them as
                               failed). Answers the behaviour now; GET /_fake/behaviour shows it.
GET /_fake/requests            The provider API requests so far, oldest first: [{"kind",
                               "method", "path", "query", "headers" (no Authorization),
                               "auth_scheme", "body" (parsed: JSON, or Stripe's form as nested
                               objects), "status"}]. DELETE /_fake/requests forgets them.
GET /_fake/webhooks            Every webhook the fake has made (pay and settle controls, refund
                               API calls), delivered or not, oldest first: [{"provider":
                               "razorpay" | "stripe", "event", "event_id", "headers", "body",
                               "status", "response"}] as the pay controls' "webhooks" ("status"
                               null until delivered; "error" when delivery failed). Not the
                               bodies sent with the deliver controls. DELETE forgets them.
Anything else: 404 {"error": {...}} readable as either provider's error.

Webhooks go to <--webhook-base-url>/api/v1/webhooks/razorpay and .../stripe (10 s timeout; an
HTTP error status is an answer like any other); without --webhook-base-url nothing is sent and
the signed webhooks are only returned. --record FILE receives one JSON line per request
({"kind": "razorpay.order.create" | "razorpay.order.fetch" | "razorpay.refund.create" |
"razorpay.refund.fetch" | "stripe.session.create" | "stripe.session.fetch" | "stripe.refund.create"
| "stripe.refund.fetch" | "stripe.checkout-page" | "control" | "not-found", "method", "path",
"status", ...}) and per webhook sent ({"kind": "webhook", "provider", "event", "event_id",
"url", "status", ...}); never a secret or an Authorization header.

Runs in the foreground until SIGTERM or SIGINT, or until the process that started it exits.
--port 0 picks a free port; --port-file FILE receives it once the server accepts requests.

    python3 infra/testing/fake_payments.py --port 9100 --webhook-base-url http://127.0.0.1:8080 \\
        --record /tmp/payments.jsonl
    RAZORPAY_API_URL=http://127.0.0.1:9100 RAZORPAY_KEY_ID=rzp_test_fake \\
    RAZORPAY_KEY_SECRET=fake_razorpay_secret RAZORPAY_WEBHOOK_SECRET=fake_razorpay_webhook_secret \\
    STRIPE_API_URL=http://127.0.0.1:9100 STRIPE_SECRET_KEY=sk_test_fake STRIPE_WEBHOOK_SECRET=whsec_fake ...

Standard library only.
"""

import base64
import binascii
import copy
import hashlib
import hmac
import http.client
import json
import queue
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from html import escape
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, unquote, urlsplit

import service

ALPHANUMERIC = string.ascii_letters + string.digits
MAX_BODY = 1024 * 1024
WEBHOOK_TIMEOUT = 10

RAZORPAY_CURRENCIES = ("INR", "USD", "EUR", "GBP", "SGD", "AED")
RAZORPAY_ORDER_FIELDS = {"amount", "currency", "receipt", "notes", "partial_payment", "first_payment_min_amount"}
RAZORPAY_REFUND_FIELDS = {"amount", "speed", "notes", "receipt"}
RAZORPAY_REFUND_SPEEDS = ("normal", "optimum")
RAZORPAY_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{10,}$")
RAZORPAY_EVENTS = ("payment.authorized", "payment.captured", "payment.failed", "order.paid")
RAZORPAY_ACCOUNT = "acc_FakeAccount0001"
RAZORPAY_USER_AGENT = "Razorpay-Webhook/v1"

STRIPE_API_VERSION = "2024-06-20"
STRIPE_USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
STRIPE_SESSION_TTL = 24 * 3600
STRIPE_MIN_EXPIRY = 30 * 60
# Parameters of POST /v1/checkout/sessions that Stripe knows; the ones the fake does not check
# are accepted as they are.
STRIPE_SESSION_PARAMETERS = {
    "adaptive_pricing", "after_expiration", "allow_promotion_codes", "automatic_tax",
    "billing_address_collection", "cancel_url", "client_reference_id", "consent_collection",
    "currency", "custom_fields", "custom_text", "customer", "customer_creation", "customer_email",
    "customer_update", "discounts", "expand", "expires_at", "invoice_creation", "line_items", "locale",
    "metadata", "mode", "payment_intent_data", "payment_method_collection",
    "payment_method_configuration", "payment_method_data", "payment_method_options",
    "payment_method_types", "phone_number_collection", "redirect_on_completion", "return_url",
    "saved_payment_method_options", "setup_intent_data", "shipping_address_collection",
    "shipping_options", "submit_type", "subscription_data", "success_url", "tax_id_collection", "ui_mode",
}
STRIPE_LINE_ITEM_PARAMETERS = {"adjustable_quantity", "dynamic_tax_rates", "price", "price_data", "quantity", "tax_rates"}
STRIPE_PRICE_DATA_PARAMETERS = {"currency", "product", "product_data", "recurring", "tax_behavior", "unit_amount", "unit_amount_decimal"}
STRIPE_PRODUCT_DATA_PARAMETERS = {"name", "description", "images", "metadata", "tax_code"}
STRIPE_PAYMENT_INTENT_PARAMETERS = {
    "application_fee_amount", "capture_method", "description", "metadata", "on_behalf_of", "receipt_email",
    "setup_future_usage", "shipping", "statement_descriptor", "statement_descriptor_suffix", "transfer_data",
    "transfer_group",
}
STRIPE_OUTCOMES = ("paid", "async_succeeded", "async_failed", "unpaid", "expired")
# Parameters of POST /v1/refunds; charge is refused (the fake refunds by payment_intent), the
# ones the fake does not check are accepted as they are.
STRIPE_REFUND_PARAMETERS = {
    "amount", "charge", "currency", "customer", "expand", "instructions_email", "metadata", "origin", "payment_intent",
    "reason", "refund_application_fee", "reverse_transfer",
}
STRIPE_REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
STRIPE_CURRENCY_SYMBOLS = {"usd": "$", "eur": "\u20ac", "gbp": "\u00a3", "inr": "\u20b9"}
STRIPE_ZERO_DECIMAL = {
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
}

BEHAVIOURS = ("ok", "error", "slow")
REFUND_BEHAVIOURS = ("ok", "error", "slow", "pending", "fail")
FORM_NAME = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
FORM_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
DIGITS = re.compile(r"^[0-9]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Answer(Exception):
    """An answer decided early (an error, or a replay): status, JSON body, extra headers."""

    def __init__(self, status, body, headers=None):
        super().__init__(f"{status}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def razorpay_error(status, description, field=None, code="BAD_REQUEST_ERROR", validation=True):
    error = {"code": code, "description": description}
    if validation:
        error.update(source="business", step="payment_initiation", reason="input_validation_failed")
    else:
        error.update(source="NA", step="NA", reason="NA")
    error["metadata"] = {}
    if field is not None:
        error["field"] = field
    return Answer(status, {"error": error})


def stripe_error(status, message, param=None, kind="invalid_request_error", code=None):
    error = {"type": kind, "message": message}
    if param is not None:
        error["param"] = param
    if code is not None:
        error["code"] = code
    return Answer(status, {"error": error})


def control_error(status, message):
    return Answer(status, {"error": {"message": message}})


RAZORPAY_UNAUTHORIZED = razorpay_error(401, "Authentication failed", validation=False)
RAZORPAY_OUTAGE = razorpay_error(
    500, "The server encountered an error. The incident has been reported to admins.", code="SERVER_ERROR",
    validation=False)
STRIPE_OUTAGE = stripe_error(
    500, "An unknown error occurred while processing your request (a simulated outage of the fake).", kind="api_error")


def hex_hmac(key, data):
    return hmac.new(key.encode("utf-8"), data if isinstance(data, bytes) else data.encode("utf-8"), hashlib.sha256).hexdigest()


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def razorpay_json(headers, raw, empty=None):
    """A Razorpay JSON object body with nulls dropped (null counts as absent); `empty` (when
    given) stands for an empty body. Raises Answer (400) otherwise."""
    if empty is not None and not raw.strip():
        return empty
    if headers.get_content_type() != "application/json":
        raise razorpay_error(400, "The request must be JSON (Content-Type: application/json).")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise razorpay_error(400, "The request body is not valid JSON.")
    if not isinstance(body, dict):
        raise razorpay_error(400, "The request body must be a JSON object.")
    return {key: value for key, value in body.items() if value is not None}


def razorpay_fields(body, allowed):
    for key in body:
        if key not in allowed:
            raise razorpay_error(400, f"{key} is/are not required and should not be sent", key)


def razorpay_receipt_notes(body):
    """The receipt (<= 40 chars) and notes (<= 15 string values <= 256 chars) of orders and refunds."""
    receipt = body.get("receipt")
    if receipt is not None:
        if not isinstance(receipt, str):
            raise razorpay_error(400, "The receipt must be a string.", "receipt")
        if len(receipt) > 40:
            raise razorpay_error(400, "The receipt may not be greater than 40 characters.", "receipt")
    notes = body.get("notes", {})
    if not isinstance(notes, dict):
        raise razorpay_error(400, "The notes must be an object.", "notes")
    if len(notes) > 15:
        raise razorpay_error(400, "Number of notes cannot exceed 15.", "notes")
    for key, value in notes.items():
        if not isinstance(value, str):
            raise razorpay_error(400, f"The notes.{key} must be a string.", "notes")
        if len(value) > 256:
            raise razorpay_error(400, f"The notes.{key} may not be greater than 256 characters.", "notes")
    return receipt, notes


def razorpay_refund_request(body):
    """Checks the body of POST /v1/payments/<id>/refund (amount against the payment comes later)."""
    razorpay_fields(body, RAZORPAY_REFUND_FIELDS)
    amount = body.get("amount")
    if amount is not None and not is_int(amount):
        raise razorpay_error(400, "The amount must be an integer.", "amount")
    speed = body.get("speed", "normal")
    if speed not in RAZORPAY_REFUND_SPEEDS:
        raise razorpay_error(400, "The selected speed is invalid.", "speed")
    receipt, notes = razorpay_receipt_notes(body)
    return {"amount": amount, "speed": speed, "receipt": receipt, "notes": notes}


def bracket_name(path):
    return path[0] + "".join(f"[{part}]" for part in path[1:])


def stripe_form(raw):
    """Stripe's form encoding as nested objects: a[b][0][c]=x -> {"a": {"b": [{"c": "x"}]}}.
    Raises Answer (400) for what Stripe would not read."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise stripe_error(400, "The request body is not valid UTF-8.")
    root = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        match = FORM_NAME.match(name)
        if not match:
            raise stripe_error(400, f"Invalid parameter name: {name}", name)
        path = [match.group(1)] + FORM_SEGMENT.findall(match.group(2))
        node = root
        for depth, key in enumerate(path):
            if key == "":  # name[] appends
                key = str(len(node))
            if depth == len(path) - 1:
                if key in node:
                    raise stripe_error(400, f"Received the parameter {bracket_name(path)} more than once.", bracket_name(path))
                node[key] = value
            else:
                child = node.setdefault(key, {})
                if not isinstance(child, dict):
                    raise stripe_error(400, f"Invalid object: {bracket_name(path[:depth + 1])} is a string and an object.",
                                       bracket_name(path[:depth + 1]))
                node = child
    return listify(root, [])


def listify(node, path):
    """Objects whose keys are all indices become lists (not under metadata, whose keys are free)."""
    if not isinstance(node, dict):
        return node
    converted = {key: listify(value, path + [key]) for key, value in node.items()}
    if converted and (not path or path[-1] != "metadata") and path and all(DIGITS.match(key) for key in converted):
        by_index = {int(key): value for key, value in converted.items()}
        if len(by_index) != len(converted) or sorted(by_index) != list(range(len(by_index))):
            raise stripe_error(400, f"Invalid array: the indices of {bracket_name(path)} must be 0, 1, 2, ...", bracket_name(path))
        return [by_index[index] for index in range(len(by_index))]
    return converted


def stripe_unknown(params, known, path):
    for key in params:
        if key not in known:
            name = bracket_name(path + [key]) if path else key
            raise stripe_error(400, f"Received unknown parameter: {name}", name)


def stripe_integer(value, param, minimum=0):
    if not isinstance(value, str) or not DIGITS.match(value) or int(value) < minimum:
        what = "positive integer" if minimum > 0 else "non-negative integer"
        raise stripe_error(400, f"Invalid {what}: {value!r}", param)
    return int(value)


def stripe_metadata(value, param):
    """Stripe's metadata rules; empty values unset keys, as Stripe reads them."""
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise stripe_error(400, "Invalid object", param)
    if len(value) > 50:
        raise stripe_error(400, f"Invalid {param}: metadata can have at most 50 keys, but you passed in {len(value)}.", param)
    metadata = {}
    for key, text in value.items():
        name = f"{param}[{key}]"
        if len(key) > 40:
            raise stripe_error(400, f"Metadata keys can have up to 40 characters, but you passed in a key that is {len(key)} characters.", name)
        if not isinstance(text, str):
            raise stripe_error(400, "Invalid string: metadata values must be strings.", name)
        if len(text) > 500:
            raise stripe_error(400, f"Metadata values can have up to 500 characters, but you passed in a value that is {len(text)} characters.", name)
        if text != "":
            metadata[key] = text
    return metadata


def stripe_url(params, name):
    value = params.get(name)
    if value is None:
        raise stripe_error(400, f"Missing required param: {name}.", name)
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise stripe_error(400, "Not a valid URL", name)
    return value


def stripe_session_request(params, now):
    """Checks the parameters of POST /v1/checkout/sessions; returns what the session needs."""
    stripe_unknown(params, STRIPE_SESSION_PARAMETERS, [])
    mode = params.get("mode")
    if mode is None:
        raise stripe_error(400, "Missing required param: mode.", "mode")
    if mode in ("setup", "subscription"):
        raise stripe_error(400, f"The fake only implements mode=payment, not {mode}.", "mode")
    if mode != "payment":
        raise stripe_error(400, f"Invalid mode: must be one of payment, setup, or subscription (not {mode!r})", "mode")
    success_url = stripe_url(params, "success_url")
    cancel_url = stripe_url(params, "cancel_url")
    line_items = params.get("line_items")
    if line_items is None:
        raise stripe_error(400, "You must specify `line_items` in `payment` mode.", "line_items")
    if not isinstance(line_items, list) or not line_items:
        raise stripe_error(400, "Invalid array", "line_items")
    items, currencies, total = [], set(), 0
    for index, item in enumerate(line_items):
        path = ["line_items", str(index)]
        if not isinstance(item, dict):
            raise stripe_error(400, "Invalid object", bracket_name(path))
        stripe_unknown(item, STRIPE_LINE_ITEM_PARAMETERS, path)
        if "price" in item:
            raise stripe_error(400, "The fake only implements line items with price_data, not prices by id.",
                               bracket_name(path + ["price"]))
        if "quantity" not in item:
            raise stripe_error(400, f"Missing required param: {bracket_name(path + ['quantity'])}.", bracket_name(path + ["quantity"]))
        quantity = stripe_integer(item["quantity"], bracket_name(path + ["quantity"]), minimum=1)
        price_data = item.get("price_data")
        path = path + ["price_data"]
        if not isinstance(price_data, dict):
            raise stripe_error(400, f"Missing required param: {bracket_name(path)}.", bracket_name(path))
        stripe_unknown(price_data, STRIPE_PRICE_DATA_PARAMETERS, path)
        currency = price_data.get("currency")
        if currency is None:
            raise stripe_error(400, f"Missing required param: {bracket_name(path + ['currency'])}.", bracket_name(path + ["currency"]))
        if not isinstance(currency, str) or not re.fullmatch(r"[a-z]{3}", currency):
            raise stripe_error(400, f"Invalid currency: {currency}. Stripe expects a three-letter ISO currency code in lower case.",
                               bracket_name(path + ["currency"]))
        if "unit_amount" not in price_data:
            raise stripe_error(400, f"Missing required param: {bracket_name(path + ['unit_amount'])}.", bracket_name(path + ["unit_amount"]))
        unit_amount = stripe_integer(price_data["unit_amount"], bracket_name(path + ["unit_amount"]))
        product_data = price_data.get("product_data")
        if not isinstance(product_data, dict):
            raise stripe_error(400, f"Missing required param: {bracket_name(path + ['product_data'])}.", bracket_name(path + ["product_data"]))
        stripe_unknown(product_data, STRIPE_PRODUCT_DATA_PARAMETERS, path + ["product_data"])
        name = product_data.get("name")
        name_param = bracket_name(path + ["product_data", "name"])
        if not isinstance(name, str) or not name.strip():
            raise stripe_error(400, f"Missing required param: {name_param}.", name_param)
        stripe_metadata(product_data.get("metadata"), bracket_name(path + ["product_data", "metadata"]))
        currencies.add(currency)
        total += unit_amount * quantity
        items.append({"name": name, "quantity": quantity, "unit_amount": unit_amount, "currency": currency})
    if len(currencies) > 1:
        raise stripe_error(400, "All line items must use the same currency.", "line_items")
    currency = currencies.pop()
    if "currency" in params and params["currency"] != currency:
        raise stripe_error(400, "currency must be the currency of the line items.", "currency")
    client_reference_id = params.get("client_reference_id")
    if client_reference_id is not None and (not isinstance(client_reference_id, str) or len(client_reference_id) > 200):
        raise stripe_error(400, "Invalid string: client_reference_id must be at most 200 characters.", "client_reference_id")
    metadata = stripe_metadata(params.get("metadata"), "metadata")
    payment_intent_data = params.get("payment_intent_data")
    if payment_intent_data is not None:
        if not isinstance(payment_intent_data, dict):
            raise stripe_error(400, "Invalid object", "payment_intent_data")
        stripe_unknown(payment_intent_data, STRIPE_PAYMENT_INTENT_PARAMETERS, ["payment_intent_data"])
    payment_intent_metadata = stripe_metadata((payment_intent_data or {}).get("metadata"), "payment_intent_data[metadata]")
    customer_email = params.get("customer_email")
    if customer_email is not None and (not isinstance(customer_email, str) or not EMAIL.match(customer_email)):
        raise stripe_error(400, f"Invalid email address: {customer_email}", "customer_email")
    expires_at = now + STRIPE_SESSION_TTL
    if "expires_at" in params:
        expires_at = stripe_integer(params["expires_at"], "expires_at")
        if expires_at > now + STRIPE_SESSION_TTL:
            raise stripe_error(400, "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.", "expires_at")
        if expires_at < now + STRIPE_MIN_EXPIRY:
            raise stripe_error(400, "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.", "expires_at")
    return {
        "success_url": success_url, "cancel_url": cancel_url, "items": items, "currency": currency, "total": total,
        "client_reference_id": client_reference_id, "metadata": metadata, "customer_email": customer_email,
        "expires_at": expires_at, "payment_intent_metadata": payment_intent_metadata,
    }


def stripe_refund_request(params):
    """Checks the parameters of POST /v1/refunds (the amount against the charge comes later)."""
    stripe_unknown(params, STRIPE_REFUND_PARAMETERS, [])
    if "charge" in params:
        raise stripe_error(400, "The fake only implements refunds by payment_intent, not by charge.", "charge")
    payment_intent = params.get("payment_intent")
    if payment_intent is None or payment_intent == "":
        raise stripe_error(400, "One of the following params should be provided for this request: payment_intent or charge.",
                           "payment_intent")
    if not isinstance(payment_intent, str):
        raise stripe_error(400, "Invalid string: payment_intent must be the id of a PaymentIntent.", "payment_intent")
    amount = stripe_integer(params["amount"], "amount", minimum=1) if "amount" in params else None
    reason = params.get("reason") or None
    if reason is not None and reason not in STRIPE_REFUND_REASONS:
        raise stripe_error(400, "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer", "reason")
    return {"payment_intent": payment_intent, "amount": amount, "reason": reason,
            "metadata": stripe_metadata(params.get("metadata"), "metadata")}


def stripe_money(amount, currency):
    """An amount in minor units as Stripe writes it in messages: $12.50, the rupee sign then 100.00, JPY 500."""
    symbol = STRIPE_CURRENCY_SYMBOLS.get(currency, f"{currency.upper()} ")
    if currency in STRIPE_ZERO_DECIMAL:
        return f"{symbol}{amount}"
    return f"{symbol}{amount // 100}.{amount % 100:02d}"


class State:
    """What the server remembers between requests; handlers run in threads."""

    def __init__(self, options):
        self.options = options  # holds the secrets: never recorded
        base = options.webhook_base_url
        self.webhook_base = base.rstrip("/") if base else None
        self.record_path = options.record
        self.lock = threading.Lock()
        self.orders = {}
        self.payments = {}  # Razorpay payments made by the pay control
        self.razorpay_refunds = {}
        self.refund_keys = {}  # X-Refund-Idempotency -> {"payment_id", "body", "refund_id"}
        self.refund_keys_in_progress = set()
        self.sessions = {}
        self.payment_intents = {}  # pi_ -> {"session_id", "charge_id" (None unless paid)}
        self.charges = {}  # ch_ -> {"charge" (without refunds), "refunds": [re_ ids, oldest first]}
        self.stripe_refunds = {}
        self.idempotency = {}  # Stripe key -> {"path", "params", "response", "request_id"}
        self.in_progress = set()  # idempotency keys whose first request is running
        self.requests = []
        self.webhooks = []  # [(provider, webhook)] every webhook made, oldest first
        self.used_ids = set()
        self.behaviour = {
            "razorpay_orders": "ok", "stripe_sessions": "ok", "razorpay_refunds": "ok", "stripe_refunds": "ok",
            "slow_seconds": 15,
        }
        # Webhooks go straight to our server, never through an http_proxy from the environment.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        # Webhooks that API calls cause go out from one thread, in order, after the answer.
        self.outbox = queue.Queue()
        if self.webhook_base:
            threading.Thread(target=self.send_outbox, daemon=True).start()

    def new_id(self, prefix, length):
        with self.lock:
            while True:
                candidate = prefix + "".join(secrets.choice(ALPHANUMERIC) for _ in range(length))
                if candidate not in self.used_ids:
                    self.used_ids.add(candidate)
                    return candidate

    def record(self, entry):
        if not self.record_path:
            return
        line = json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n"
        with self.lock, open(self.record_path, "a", encoding="utf-8") as file:
            file.write(line)

    def remember(self, provider, webhooks):
        """Lists webhooks the fake made in GET /_fake/webhooks (the same objects: delivery fills them in)."""
        with self.lock:
            self.webhooks.extend((provider, webhook) for webhook in webhooks)

    def send_later(self, provider, webhooks):
        """Queues webhooks for the delivery thread (not at all without --webhook-base-url). The
        providers send them after answering; our server may call the fake while handling them."""
        if self.webhook_base:
            for webhook in webhooks:
                self.outbox.put((provider, webhook))

    def send_outbox(self):
        while True:
            provider, webhook = self.outbox.get()
            self.deliver(provider, webhook)

    def deliver(self, provider, webhook):
        """POSTs one signed webhook to our server; fills in its status and response."""
        url = f"{self.webhook_base}/api/v1/webhooks/{provider}"
        request = urllib.request.Request(url, data=webhook["body"].encode("utf-8"), headers=webhook["headers"], method="POST")
        failure = None
        try:
            with self.opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
                status, answer = response.status, response.read()
        except urllib.error.HTTPError as error:
            status = error.code
            try:
                answer = error.read()
            except (OSError, http.client.HTTPException):
                answer = b""
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            status, answer, failure = None, None, str(getattr(error, "reason", error))
        with self.lock:  # GET /_fake/webhooks may be copying it
            webhook["status"] = status
            webhook["response"] = answer.decode("utf-8", "replace") if answer is not None else None
            if failure is not None:
                webhook["error"] = failure
        self.record({
            "kind": "webhook", "provider": provider, "url": url, "event": webhook["event"],
            "event_id": webhook["event_id"], "status": status, "response": webhook["response"], "error": failure,
            "body": webhook["body"],
        })
        return webhook


ROUTES = [
    ("POST", re.compile(r"^/v1/orders$"), "razorpay.order.create", "razorpay_create_order"),
    ("GET", re.compile(r"^/v1/orders/([^/]+)$"), "razorpay.order.fetch", "razorpay_fetch_order"),
    ("GET", re.compile(r"^/v1/orders/([^/]+)/payments$"), "razorpay.order.payments", "razorpay_order_payments"),
    ("POST", re.compile(r"^/v1/payments/([^/]+)/refund$"), "razorpay.refund.create", "razorpay_create_refund"),
    ("GET", re.compile(r"^/v1/refunds/(rfnd_[^/]*)$"), "razorpay.refund.fetch", "razorpay_fetch_refund"),
    ("POST", re.compile(r"^/v1/checkout/sessions$"), "stripe.session.create", "stripe_create_session"),
    ("GET", re.compile(r"^/v1/checkout/sessions/([^/]+)$"), "stripe.session.fetch", "stripe_fetch_session"),
    ("POST", re.compile(r"^/v1/refunds$"), "stripe.refund.create", "stripe_create_refund"),
    ("GET", re.compile(r"^/v1/refunds/([^/]+)$"), "stripe.refund.fetch", "stripe_fetch_refund"),
    ("GET", re.compile(r"^/checkout/([^/]+)$"), "stripe.checkout-page", "checkout_page"),
    ("POST", re.compile(r"^/_fake/razorpay/orders/([^/]+)/pay$"), "control", "razorpay_pay"),
    ("POST", re.compile(r"^/_fake/razorpay/sign$"), "control", "razorpay_sign"),
    ("POST", re.compile(r"^/_fake/razorpay/deliver$"), "control", "razorpay_deliver"),
    ("POST", re.compile(r"^/_fake/razorpay/refunds/([^/]+)/settle$"), "control", "razorpay_settle"),
    ("POST", re.compile(r"^/_fake/stripe/sessions/([^/]+)/pay$"), "control", "stripe_pay"),
    ("POST", re.compile(r"^/_fake/stripe/sign$"), "control", "stripe_sign"),
    ("POST", re.compile(r"^/_fake/stripe/deliver$"), "control", "stripe_deliver"),
    ("POST", re.compile(r"^/_fake/stripe/refunds/([^/]+)/settle$"), "control", "stripe_settle"),
    ("GET", re.compile(r"^/_fake/behaviour$"), "control", "get_behaviour"),
    ("POST", re.compile(r"^/_fake/behaviour$"), "control", "set_behaviour"),
    ("GET", re.compile(r"^/_fake/requests$"), "control", "list_requests"),
    ("DELETE", re.compile(r"^/_fake/requests$"), "control", "clear_requests"),
    ("GET", re.compile(r"^/_fake/webhooks$"), "control", "list_webhooks"),
    ("DELETE", re.compile(r"^/_fake/webhooks$"), "control", "clear_webhooks"),
]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the providers; every answer has a Content-Length
    server_version = "fake-payments"

    @property
    def state(self):
        return self.server.state

    @property
    def options(self):
        return self.server.state.options

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    # Plumbing.

    def dispatch(self, method):
        self.entry = None
        parts = urlsplit(self.path)
        path = parts.path
        try:
            raw = self.read_body()
        except ValueError as error:
            self.close_connection = True
            self.reply(400, {"error": {"message": str(error)}})
            return
        kind, action, groups = "not-found", None, ()
        for route_method, pattern, route_kind, route_action in ROUTES:
            match = pattern.match(path)
            if match and route_method == method:
                kind, action, groups = route_kind, route_action, tuple(unquote(group) for group in match.groups())
                break
        authorization = self.headers.get("Authorization") or ""
        self.entry = {
            "kind": kind, "method": method, "path": path, "query": parts.query or None,
            "headers": {name: value for name, value in self.headers.items() if name.lower() != "authorization"},
            "auth_scheme": authorization.split(" ", 1)[0] if authorization else None,
            "body": self.parsed_for_record(raw), "status": None,
        }
        if not path.startswith("/_fake/"):
            with self.state.lock:
                self.state.requests.append(self.entry)
        try:
            if action is None:
                text = f"Unrecognized request URL ({method}: {path})."
                raise Answer(404, {"error": {
                    "code": "BAD_REQUEST_ERROR", "description": "The requested URL was not found on the server.",
                    "type": "invalid_request_error", "message": text}})
            getattr(self, action)(raw, *groups)
        except Answer as answer:
            self.reply(answer.status, answer.body, answer.headers)

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    raise ValueError("malformed chunked body")
                if size == 0:
                    while self.rfile.readline(1024).strip():
                        pass  # trailers
                    return data
                if len(data) + size > MAX_BODY:
                    raise ValueError("the body is too large")
                data += self.rfile.read(size)
                self.rfile.readline(1024)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise ValueError("malformed Content-Length")
        if length > MAX_BODY:
            raise ValueError("the body is too large")
        return self.rfile.read(length) if length > 0 else b""

    def parsed_for_record(self, raw):
        if not raw:
            return None
        if self.headers.get_content_type() == "application/x-www-form-urlencoded":
            try:
                return stripe_form(raw)
            except Answer:
                pass
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace")

    def reply(self, status, body, headers=None, content_type="application/json"):
        if isinstance(body, (bytes, str)):
            data = body.encode("utf-8") if isinstance(body, str) else body
        else:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            content_type = "application/json"
        if self.entry is not None:
            with self.state.lock:
                self.entry["status"] = status
                entry = copy.deepcopy(self.entry)
            self.state.record(entry)
        try:
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout during "slow")

    def control_json(self, raw, allowed):
        if not raw.strip():
            return {}
        try:
            options = json.loads(raw)
        except ValueError as error:
            raise control_error(400, f"the body is not JSON: {error}")
        if not isinstance(options, dict):
            raise control_error(400, "the body must be a JSON object")
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise control_error(400, f"unknown fields {unknown}; allowed: {sorted(allowed)}")
        return options

    def deliver_option(self, options):
        deliver = options.get("deliver", self.state.webhook_base is not None)
        if not isinstance(deliver, bool):
            raise control_error(400, "deliver must be true or false")
        if deliver and self.state.webhook_base is None:
            raise control_error(400, "deliver needs --webhook-base-url")
        return deliver

    def misbehave(self, which, outage):
        """Raises the outage or sleeps as the behaviour says; returns the behaviour."""
        with self.state.lock:
            mode, seconds = self.state.behaviour[which], self.state.behaviour["slow_seconds"]
        if mode == "error":
            raise outage
        if mode == "slow":
            time.sleep(seconds)
        return mode

    # Razorpay.

    def require_razorpay_auth(self):
        authorization = self.headers.get("Authorization") or ""
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
            except (ValueError, binascii.Error):
                user, password = "", ""
            if (hmac.compare_digest(user.encode(), self.options.razorpay_key_id.encode())
                    and hmac.compare_digest(password.encode(), self.options.razorpay_key_secret.encode())):
                return
        raise RAZORPAY_UNAUTHORIZED

    def razorpay_create_order(self, raw):
        self.require_razorpay_auth()
        self.misbehave("razorpay_orders", RAZORPAY_OUTAGE)
        body = razorpay_json(self.headers, raw)
        razorpay_fields(body, RAZORPAY_ORDER_FIELDS)
        currency = body.get("currency")
        if currency is None:
            raise razorpay_error(400, "The currency field is required.", "currency")
        if not isinstance(currency, str) or currency not in RAZORPAY_CURRENCIES:
            raise razorpay_error(400, f"The selected currency is invalid (one of {', '.join(RAZORPAY_CURRENCIES)}).", "currency")
        amount = body.get("amount")
        if amount is None:
            raise razorpay_error(400, "The amount field is required.", "amount")
        if not is_int(amount):
            raise razorpay_error(400, "The amount must be an integer.", "amount")
        if amount < 100:
            raise razorpay_error(400, f"The amount must be atleast {currency} 1.00", "amount")
        receipt, notes = razorpay_receipt_notes(body)
        partial_payment = body.get("partial_payment", False)
        if not isinstance(partial_payment, bool):
            raise razorpay_error(400, "The partial payment field must be true or false.", "partial_payment")
        minimum = body.get("first_payment_min_amount")
        if minimum is not None and (not partial_payment or not is_int(minimum) or not 100 <= minimum <= amount):
            raise razorpay_error(
                400, "first_payment_min_amount needs partial_payment and an integer between 100 and the amount.",
                "first_payment_min_amount")
        order = {
            "id": self.state.new_id("order_", 14), "entity": "order", "amount": amount, "amount_paid": 0,
            "amount_due": amount, "currency": currency, "receipt": receipt, "offer_id": None, "status": "created",
            "attempts": 0, "notes": dict(notes) if notes else [], "created_at": int(time.time()),
        }
        with self.state.lock:
            self.state.orders[order["id"]] = order
            answer = copy.deepcopy(order)
        self.reply(200, answer)

    def razorpay_fetch_order(self, raw, order_id):
        self.require_razorpay_auth()
        self.misbehave("razorpay_orders", RAZORPAY_OUTAGE)
        with self.state.lock:
            order = copy.deepcopy(self.state.orders.get(order_id))
        if order is None:
            raise razorpay_error(404, "The id provided does not exist", validation=False)
        self.reply(200, order)

    def razorpay_order_payments(self, raw, order_id):
        """The order's payments, oldest first, as Razorpay's `GET /v1/orders/:id/payments`."""
        self.require_razorpay_auth()
        self.misbehave("razorpay_orders", RAZORPAY_OUTAGE)
        with self.state.lock:
            if order_id not in self.state.orders:
                raise razorpay_error(404, "The id provided does not exist", validation=False)
            items = [copy.deepcopy(p) for p in self.state.payments.values() if p.get("order_id") == order_id]
        items.sort(key=lambda p: p.get("created_at", 0))
        self.reply(200, {"entity": "collection", "count": len(items), "items": items})

    def razorpay_webhook(self, body, event, event_id=None, signature=None):
        event_id = event_id or self.state.new_id("evt_", 14)
        if signature is None:
            signature = hex_hmac(self.options.razorpay_webhook_secret, body)
        headers = {
            "Content-Type": "application/json", "X-Razorpay-Signature": signature, "X-Razorpay-Event-Id": event_id,
            "User-Agent": RAZORPAY_USER_AGENT,
        }
        return {"event": event, "event_id": event_id, "headers": headers, "body": body, "status": None, "response": None}

    def razorpay_event(self, event, contains, payload, now):
        """A signed webhook {"entity": "event", ...} as Razorpay sends them (compact JSON)."""
        document = {
            "entity": "event", "account_id": RAZORPAY_ACCOUNT, "event": event, "contains": contains,
            "payload": payload, "created_at": now,
        }
        return self.razorpay_webhook(json.dumps(document, separators=(",", ":"), ensure_ascii=False), event)

    def razorpay_pay(self, raw, order_id):
        options = self.control_json(raw, ("outcome", "events", "amount", "currency", "deliver"))
        outcome = options.get("outcome", "captured")
        if outcome not in ("captured", "failed"):
            raise control_error(400, "outcome must be captured or failed")
        events = options.get("events", ["payment.captured", "order.paid"] if outcome == "captured" else ["payment.failed"])
        if not isinstance(events, list) or not all(event in RAZORPAY_EVENTS for event in events):
            raise control_error(400, f"events must be a list of {', '.join(RAZORPAY_EVENTS)}")
        if "amount" in options and not is_int(options["amount"]):
            raise control_error(400, "amount must be an integer")
        if "currency" in options and not isinstance(options["currency"], str):
            raise control_error(400, "currency must be a string")
        deliver = self.deliver_option(options)
        captured = outcome == "captured"
        payment_id = self.state.new_id("pay_", 14)
        now = int(time.time())
        with self.state.lock:
            order = self.state.orders.get(order_id)
            if order is None:
                raise razorpay_error(404, "The id provided does not exist", validation=False)
            if captured and order["status"] == "paid":
                raise razorpay_error(400, "Order is already paid; to send its webhooks again use /_fake/razorpay/deliver")
            amount = options.get("amount", order["amount"])
            payment = {
                "id": payment_id, "entity": "payment", "amount": amount, "currency": options.get("currency", order["currency"]),
                "status": "captured" if captured else "failed", "order_id": order_id, "invoice_id": None,
                "international": False, "method": "card", "amount_refunded": 0, "refund_status": None,
                "captured": captured, "description": None, "email": "buyer@example.com", "contact": "+919000090000",
                "notes": copy.deepcopy(order["notes"]), "fee": amount * 2 // 100 if captured else None, "tax": None,
                "error_code": None if captured else "BAD_REQUEST_ERROR",
                "error_description": None if captured else "Payment failed", "created_at": now,
            }
            self.state.payments[payment_id] = copy.deepcopy(payment)
            order["attempts"] += 1
            if captured:
                order.update(status="paid", amount_paid=amount, amount_due=max(0, order["amount"] - amount))
            elif order["status"] == "created":
                order["status"] = "attempted"
            order_snapshot = copy.deepcopy(order)
        webhooks = []
        for event in events:
            entity = copy.deepcopy(payment)
            if event == "payment.authorized":
                entity.update(status="authorized", captured=False, fee=None)
            contains, payload = ["payment"], {"payment": {"entity": entity}}
            if event == "order.paid":
                contains.append("order")
                payload["order"] = {"entity": copy.deepcopy(order_snapshot)}
            webhooks.append(self.razorpay_event(event, contains, payload, now))
        self.state.remember("razorpay", webhooks)
        if deliver:
            for webhook in webhooks:
                self.state.deliver("razorpay", webhook)
        checkout = None
        if captured:
            checkout = {
                "razorpay_order_id": order_id, "razorpay_payment_id": payment_id,
                "razorpay_signature": hex_hmac(self.options.razorpay_key_secret, f"{order_id}|{payment_id}"),
            }
        self.reply(200, {"checkout": checkout, "payment": payment, "order": order_snapshot, "webhooks": webhooks})

    def razorpay_refund_key(self, payment_id, body):
        """X-Refund-Idempotency: raises the replay (the refund as it is now) or the refusal;
        otherwise marks the key in progress (razorpay_create_refund discards it) and returns it,
        None without the header."""
        key = self.headers.get("X-Refund-Idempotency")
        if key is None:
            return None
        if not RAZORPAY_IDEMPOTENCY_KEY.match(key):
            raise razorpay_error(400, "The idempotency key must be at least 10 characters long and contain only letters, "
                                      "digits, hyphens and underscores.", validation=False)
        with self.state.lock:
            saved = self.state.refund_keys.get(key)
            busy = key in self.state.refund_keys_in_progress
            if saved is None and not busy:
                self.state.refund_keys_in_progress.add(key)
            refund = copy.deepcopy(self.state.razorpay_refunds[saved["refund_id"]]) if saved is not None else None
        if saved is not None:
            if saved["payment_id"] != payment_id or saved["body"] != body:
                raise razorpay_error(400, "Different request with the same idempotency key has already been processed.",
                                     validation=False)
            with self.state.lock:
                self.entry["replayed"] = True
            raise Answer(200, refund)
        if busy:
            raise razorpay_error(409, "A request with the same idempotency key is being processed; retry it later.",
                                 validation=False)
        return key

    def razorpay_refund_processed(self, refund):
        """Applies a processed refund to its payment (the caller holds the lock); returns the payment."""
        payment = self.state.payments[refund["payment_id"]]
        payment["amount_refunded"] += refund["amount"]
        full = payment["amount_refunded"] >= payment["amount"]
        payment["refund_status"] = "full" if full else "partial"
        if full:
            payment["status"] = "refunded"
        return payment

    def razorpay_refund_event(self, event, refund, payment):
        payload = {"refund": {"entity": copy.deepcopy(refund)}, "payment": {"entity": copy.deepcopy(payment)}}
        return self.razorpay_event(event, ["refund", "payment"], payload, int(time.time()))

    def razorpay_create_refund(self, raw, payment_id):
        self.require_razorpay_auth()
        body = razorpay_json(self.headers, raw, empty={})
        key = self.razorpay_refund_key(payment_id, body)
        refund_id = self.state.new_id("rfnd_", 14)
        try:
            mode = self.misbehave("razorpay_refunds", RAZORPAY_OUTAGE)
            checked = razorpay_refund_request(body)
            with self.state.lock:
                payment = self.state.payments.get(payment_id)
                if payment is None:
                    raise razorpay_error(400, "The id provided does not exist", validation=False)
                if not payment["captured"]:
                    raise razorpay_error(400, "The payment has not been captured")
                held = sum(refund["amount"] for refund in self.state.razorpay_refunds.values()
                           if refund["payment_id"] == payment_id and refund["status"] == "pending")
                left = payment["amount"] - payment["amount_refunded"] - held
                amount = checked["amount"]
                if amount is None and left <= 0:
                    raise razorpay_error(400, "The payment has been fully refunded already")
                if amount is None:
                    amount = left
                elif amount < 100:
                    raise razorpay_error(400, f"The amount must be atleast {payment['currency']} 1.00", "amount")
                if amount > left:
                    raise razorpay_error(400, "The refund amount provided is greater than amount captured", "amount")
                refund = {
                    "id": refund_id, "entity": "refund", "amount": amount, "currency": payment["currency"],
                    "payment_id": payment_id, "notes": dict(checked["notes"]) if checked["notes"] else [],
                    "receipt": checked["receipt"], "acquirer_data": {"arn": None}, "created_at": int(time.time()),
                    "batch_id": None, "status": "pending" if mode in ("pending", "fail") else "processed",
                    "speed_processed": "normal", "speed_requested": checked["speed"],
                }
                self.state.razorpay_refunds[refund_id] = refund
                answer = copy.deepcopy(refund)
                payment_snapshot = None
                if refund["status"] == "processed":
                    payment_snapshot = copy.deepcopy(self.razorpay_refund_processed(refund))
                if key is not None:
                    self.state.refund_keys[key] = {"payment_id": payment_id, "body": body, "refund_id": refund_id}
        finally:
            if key is not None:
                with self.state.lock:
                    self.state.refund_keys_in_progress.discard(key)
        webhooks = []
        if payment_snapshot is not None:
            webhooks.append(self.razorpay_refund_event("refund.processed", answer, payment_snapshot))
        self.state.remember("razorpay", webhooks)
        self.reply(200, answer)
        self.state.send_later("razorpay", webhooks)

    def razorpay_fetch_refund(self, raw, refund_id):
        self.require_razorpay_auth()
        self.misbehave("razorpay_refunds", RAZORPAY_OUTAGE)
        with self.state.lock:
            refund = copy.deepcopy(self.state.razorpay_refunds.get(refund_id))
        if refund is None:
            raise razorpay_error(404, "The id provided does not exist", validation=False)
        self.reply(200, refund)

    def razorpay_settle(self, raw, refund_id):
        options = self.control_json(raw, ("outcome", "deliver"))
        outcome = options.get("outcome", "processed")
        if outcome not in ("processed", "failed"):
            raise control_error(400, "outcome must be processed or failed")
        deliver = self.deliver_option(options)
        with self.state.lock:
            refund = self.state.razorpay_refunds.get(refund_id)
            if refund is None:
                raise razorpay_error(404, "The id provided does not exist", validation=False)
            if refund["status"] != "pending":
                raise razorpay_error(400, f"The refund is {refund['status']}, not pending; to send its webhook again use "
                                          "/_fake/razorpay/deliver.")
            refund["status"] = outcome
            if outcome == "processed":
                payment = self.razorpay_refund_processed(refund)
            else:
                payment = self.state.payments[refund["payment_id"]]
            answer, payment_snapshot = copy.deepcopy(refund), copy.deepcopy(payment)
        webhooks = [self.razorpay_refund_event(f"refund.{outcome}", answer, payment_snapshot)]
        self.state.remember("razorpay", webhooks)
        if deliver:
            for webhook in webhooks:
                self.state.deliver("razorpay", webhook)
        self.reply(200, {"refund": answer, "webhooks": webhooks})

    def raw_body_option(self, options):
        body = options.get("body")
        if not isinstance(body, str):
            raise control_error(400, "body must be the raw webhook text (a string)")
        return body

    def razorpay_sign(self, raw):
        options = self.control_json(raw, ("body",))
        body = self.raw_body_option(options)
        self.reply(200, {"signature": hex_hmac(self.options.razorpay_webhook_secret, body)})

    def razorpay_deliver(self, raw):
        options = self.control_json(raw, ("body", "event_id", "signature"))
        body = self.raw_body_option(options)
        for name in ("event_id", "signature"):
            if options.get(name) is not None and not isinstance(options[name], str):
                raise control_error(400, f"{name} must be a string")
        self.deliver_option({"deliver": True})
        try:
            event = json.loads(body).get("event")
        except (ValueError, AttributeError):
            event = None
        webhook = self.state.deliver(
            "razorpay", self.razorpay_webhook(body, event, options.get("event_id"), options.get("signature")))
        self.reply(200, {key: webhook.get(key) for key in ("status", "response", "error", "event_id", "headers")})

    # Stripe.

    def require_stripe_auth(self):
        authorization = self.headers.get("Authorization") or ""
        scheme, _, credential = authorization.partition(" ")
        key = None
        if scheme.lower() == "bearer":
            key = credential.strip()
        elif scheme.lower() == "basic":
            try:
                key = base64.b64decode(credential.strip(), validate=True).decode("utf-8").partition(":")[0]
            except (ValueError, binascii.Error):
                key = ""
        if key is None or key == "":
            raise stripe_error(401, "You did not provide an API key. You need to provide your API key in the Authorization "
                                    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
        if not hmac.compare_digest(key.encode(), self.options.stripe_secret_key.encode()):
            shown = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else "*" * len(key)
            raise stripe_error(401, f"Invalid API Key provided: {shown}")

    def stripe_create_session(self, raw):
        self.require_stripe_auth()
        if self.headers.get_content_type() != "application/x-www-form-urlencoded":
            raise stripe_error(400, "Stripe's API takes form-encoded bodies (Content-Type: application/x-www-form-urlencoded).")
        params = stripe_form(raw)
        request_id = self.state.new_id("req_", 14)
        key = self.stripe_idempotency(params, request_id)
        try:
            self.misbehave("stripe_sessions", STRIPE_OUTAGE)
            now = int(time.time())
            checked = stripe_session_request(params, now)
            session_id = self.state.new_id("cs_test_", 24)
            host = self.headers.get("Host") or f"{self.options.host}:{self.server.server_address[1]}"
            session = {
                "id": session_id, "object": "checkout.session", "url": f"http://{host}/checkout/{session_id}",
                "mode": "payment", "status": "open", "payment_status": "unpaid", "amount_subtotal": checked["total"],
                "amount_total": checked["total"], "currency": checked["currency"],
                "client_reference_id": checked["client_reference_id"], "customer_email": checked["customer_email"],
                "metadata": checked["metadata"], "payment_intent": None, "success_url": checked["success_url"],
                "cancel_url": checked["cancel_url"], "created": now, "expires_at": checked["expires_at"], "livemode": False,
            }
            with self.state.lock:
                self.state.sessions[session_id] = {
                    "session": session, "items": checked["items"], "payment_intent_metadata": checked["payment_intent_metadata"]}
                answer = copy.deepcopy(session)
                if key is not None:
                    self.state.idempotency[key] = {
                        "path": self.entry["path"], "params": params, "response": copy.deepcopy(session), "request_id": request_id}
        finally:
            if key is not None:
                with self.state.lock:
                    self.state.in_progress.discard(key)
        headers = {"Request-Id": request_id}
        if key is not None:
            headers["Idempotency-Key"] = key
        self.reply(200, answer, headers)

    def stripe_idempotency(self, params, request_id):
        """Idempotency-Key of a Stripe POST: raises the replay of the kept answer or the refusal;
        otherwise marks the key in progress (the caller discards it from in_progress when done)
        and returns it, None without the header. A key belongs to the endpoint it was first used on."""
        key = self.headers.get("Idempotency-Key")
        if key is None:
            return None
        if not key.strip() or len(key) > 255:
            raise stripe_error(400, "Idempotency-Key must be 1 to 255 characters.", kind="idempotency_error")
        with self.state.lock:
            saved = self.state.idempotency.get(key)
            busy = key in self.state.in_progress
            if saved is None and not busy:
                self.state.in_progress.add(key)
        if saved is not None:
            if saved["path"] != self.entry["path"]:
                raise stripe_error(
                    400, "Keys for idempotent requests can only be used for the same endpoint they were first used for "
                         f"('{saved['path']}' vs '{self.entry['path']}'). Try using a key other than '{key}' if you meant to "
                         "execute a different request.", kind="idempotency_error")
            if saved["params"] != params:
                raise stripe_error(
                    400, "Keys for idempotent requests can only be used with the same parameters they were first used "
                         f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                    kind="idempotency_error")
            with self.state.lock:
                self.entry["replayed"] = True
            raise Answer(200, saved["response"], {
                "Idempotency-Key": key, "Idempotent-Replayed": "true", "Original-Request": saved["request_id"],
                "Request-Id": request_id})
        if busy:
            raise stripe_error(
                409, "There is currently another in-progress request using this Idempotency Key (that probably means "
                     "you submitted twice, and the other request is still going through): " f"{key}. Please try again later.",
                kind="idempotency_error")
        return key

    def stripe_missing(self, session_id):
        return stripe_error(404, f"No such checkout.session: '{session_id}'", "id", code="resource_missing")

    def stripe_fetch_session(self, raw, session_id):
        self.require_stripe_auth()
        self.misbehave("stripe_sessions", STRIPE_OUTAGE)
        with self.state.lock:
            stored = copy.deepcopy(self.state.sessions.get(session_id))
        if stored is None:
            raise self.stripe_missing(session_id)
        self.reply(200, stored["session"], {"Request-Id": self.state.new_id("req_", 14)})

    def checkout_page(self, raw, session_id):
        with self.state.lock:
            stored = copy.deepcopy(self.state.sessions.get(session_id))
        if stored is None:
            self.reply(404, "<!doctype html><title>Fake Stripe Checkout</title><p>No such Checkout Session.</p>\n",
                       content_type="text/html")
            return
        session = stored["session"]
        rows = "".join(
            f"<tr><td>{escape(item['name'])}</td><td>{item['quantity']}</td><td>{item['unit_amount']}</td></tr>"
            for item in stored["items"])
        page = (
            "<!doctype html><meta charset=utf-8><title>Fake Stripe Checkout</title>\n"
            "<h1>Fake Stripe Checkout</h1>\n"
            f"<p>Session <code>{escape(session['id'])}</code>: {escape(session['status'])}, {escape(session['payment_status'])}.</p>\n"
            f"<table><tr><th>Item</th><th>Quantity</th><th>Unit amount</th></tr>{rows}</table>\n"
            f"<p>Total: {session['amount_total']} {escape(session['currency'])} (minor units).</p>\n"
            f"<p>Pay with <code>POST /_fake/stripe/sessions/{escape(session['id'])}/pay</code>, then go to "
            f"<a href=\"{escape(session['success_url'])}\">the success URL</a> or "
            f"<a href=\"{escape(session['cancel_url'])}\">cancel</a>.</p>\n"
        )
        self.reply(200, page, content_type="text/html")

    def stripe_signature_header(self, body, timestamp=None):
        timestamp = int(time.time()) if timestamp is None else timestamp
        return f"t={timestamp},v1={hex_hmac(self.options.stripe_webhook_secret, f'{timestamp}.{body}')}"

    def stripe_webhook(self, body, event, event_id, header):
        headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": header, "User-Agent": STRIPE_USER_AGENT}
        return {"event": event, "event_id": event_id, "headers": headers, "body": body, "status": None, "response": None}

    def stripe_event(self, event, snapshot, timestamp=None, request_id=None, key=None):
        """A signed webhook {"object": "event", ...} as Stripe sends them (pretty-printed JSON)."""
        event_id = self.state.new_id("evt_", 24)
        document = {
            "id": event_id, "object": "event", "api_version": STRIPE_API_VERSION, "created": int(time.time()),
            "data": {"object": snapshot}, "livemode": False, "pending_webhooks": 1,
            "request": {"id": request_id, "idempotency_key": key}, "type": event,
        }
        body = json.dumps(document, indent=2, ensure_ascii=False)
        return self.stripe_webhook(body, event, event_id, self.stripe_signature_header(body, timestamp))

    def stripe_pay(self, raw, session_id):
        options = self.control_json(raw, ("outcome", "amount_total", "currency", "timestamp", "deliver"))
        outcome = options.get("outcome", "paid")
        if outcome not in STRIPE_OUTCOMES:
            raise control_error(400, f"outcome must be one of {', '.join(STRIPE_OUTCOMES)}")
        for name in ("amount_total", "timestamp"):
            if name in options and not is_int(options[name]):
                raise control_error(400, f"{name} must be an integer")
        if "currency" in options and not isinstance(options["currency"], str):
            raise control_error(400, "currency must be a string")
        deliver = self.deliver_option(options)
        payment_intent = self.state.new_id("pi_", 24)
        charge_id = self.state.new_id("ch_", 24)
        snapshots = []
        with self.state.lock:
            stored = self.state.sessions.get(session_id)
            if stored is None:
                raise self.stripe_missing(session_id)
            session = stored["session"]
            if session["status"] != "open":
                raise stripe_error(400, f"The Checkout Session is {session['status']}, not open; to send its webhooks "
                                        "again use /_fake/stripe/deliver.")
            for name in ("amount_total", "currency"):
                if name in options:
                    session[name] = options[name]
            if outcome == "expired":
                session.update(status="expired", url=None)
                snapshots.append(("checkout.session.expired", copy.deepcopy(session)))
            else:
                session.update(status="complete", url=None, payment_intent=payment_intent,
                               payment_status="paid" if outcome == "paid" else "unpaid")
                snapshots.append(("checkout.session.completed", copy.deepcopy(session)))
                if outcome == "async_succeeded":
                    session["payment_status"] = "paid"
                    snapshots.append(("checkout.session.async_payment_succeeded", copy.deepcopy(session)))
                elif outcome == "async_failed":
                    snapshots.append(("checkout.session.async_payment_failed", copy.deepcopy(session)))
                paid = session["payment_status"] == "paid"
                self.state.payment_intents[payment_intent] = {"session_id": session_id, "charge_id": charge_id if paid else None}
                if paid:
                    self.state.charges[charge_id] = {"charge": {
                        "id": charge_id, "object": "charge", "amount": session["amount_total"],
                        "amount_captured": session["amount_total"], "amount_refunded": 0,
                        "currency": str(session["currency"]).lower(), "payment_intent": payment_intent, "refunded": False,
                        "status": "succeeded", "metadata": copy.deepcopy(stored.get("payment_intent_metadata", {})),
                    }, "refunds": []}
            answer = copy.deepcopy(session)
        webhooks = [self.stripe_event(event, snapshot, options.get("timestamp")) for event, snapshot in snapshots]
        self.state.remember("stripe", webhooks)
        if deliver:
            for webhook in webhooks:
                self.state.deliver("stripe", webhook)
        self.reply(200, {"session": answer, "webhooks": webhooks})

    def stripe_charge(self, charge_id):
        """The charge with its refunds, newest first (the caller holds the lock)."""
        stored = self.state.charges[charge_id]
        refunds = [copy.deepcopy(self.state.stripe_refunds[refund_id]) for refund_id in reversed(stored["refunds"])]
        charge = copy.deepcopy(stored["charge"])
        charge["refunds"] = {"object": "list", "data": refunds, "has_more": False, "total_count": len(refunds)}
        return charge

    def stripe_refund_succeeded(self, refund):
        """Applies a succeeded refund to its charge (the caller holds the lock); returns the charge."""
        charge = self.state.charges[refund["charge"]]["charge"]
        charge["amount_refunded"] += refund["amount"]
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        return self.stripe_charge(refund["charge"])

    def stripe_create_refund(self, raw):
        self.require_stripe_auth()
        if self.headers.get_content_type() != "application/x-www-form-urlencoded":
            raise stripe_error(400, "Stripe's API takes form-encoded bodies (Content-Type: application/x-www-form-urlencoded).")
        params = stripe_form(raw)
        request_id = self.state.new_id("req_", 14)
        key = self.stripe_idempotency(params, request_id)
        refund_id, transaction = self.state.new_id("re_", 24), self.state.new_id("txn_", 24)
        try:
            mode = self.misbehave("stripe_refunds", STRIPE_OUTAGE)
            checked = stripe_refund_request(params)
            payment_intent = checked["payment_intent"]
            with self.state.lock:
                intent = self.state.payment_intents.get(payment_intent)
                if intent is None:
                    raise stripe_error(400, f"No such payment_intent: '{payment_intent}'", "payment_intent", code="resource_missing")
                if intent["charge_id"] is None:
                    raise stripe_error(400, f"This PaymentIntent ({payment_intent}) does not have a successful charge to refund.",
                                       "payment_intent", code="charge_not_refundable")
                charge = self.state.charges[intent["charge_id"]]
                held = sum(self.state.stripe_refunds[other]["amount"] for other in charge["refunds"]
                           if self.state.stripe_refunds[other]["status"] == "pending")
                currency = charge["charge"]["currency"]
                left = charge["charge"]["amount"] - charge["charge"]["amount_refunded"] - held
                if left <= 0:
                    raise stripe_error(400, f"Charge {charge['charge']['id']} has already been refunded.",
                                       code="charge_already_refunded")
                amount = left if checked["amount"] is None else checked["amount"]
                if amount > left:
                    raise stripe_error(
                        400, f"Refund amount ({stripe_money(amount, currency)}) is greater than unrefunded amount on charge "
                             f"({stripe_money(left, currency)})", "amount", code="amount_too_large")
                refund = {
                    "id": refund_id, "object": "refund", "amount": amount, "balance_transaction": transaction,
                    "charge": charge["charge"]["id"], "created": int(time.time()), "currency": currency,
                    "metadata": checked["metadata"], "payment_intent": payment_intent, "reason": checked["reason"],
                    "status": "pending" if mode in ("pending", "fail") else "succeeded",
                }
                self.state.stripe_refunds[refund_id] = refund
                charge["refunds"].append(refund_id)
                answer = copy.deepcopy(refund)
                snapshot = self.stripe_refund_succeeded(refund) if refund["status"] == "succeeded" else None
                if key is not None:
                    self.state.idempotency[key] = {
                        "path": self.entry["path"], "params": params, "response": copy.deepcopy(refund), "request_id": request_id}
        finally:
            if key is not None:
                with self.state.lock:
                    self.state.in_progress.discard(key)
        webhooks = []
        if snapshot is not None:
            webhooks.append(self.stripe_event("charge.refunded", snapshot, request_id=request_id, key=key))
        self.state.remember("stripe", webhooks)
        headers = {"Request-Id": request_id}
        if key is not None:
            headers["Idempotency-Key"] = key
        self.reply(200, answer, headers)
        self.state.send_later("stripe", webhooks)

    def stripe_refund_missing(self, refund_id):
        return stripe_error(404, f"No such refund: '{refund_id}'", "id", code="resource_missing")

    def stripe_fetch_refund(self, raw, refund_id):
        self.require_stripe_auth()
        self.misbehave("stripe_refunds", STRIPE_OUTAGE)
        with self.state.lock:
            refund = copy.deepcopy(self.state.stripe_refunds.get(refund_id))
        if refund is None:
            raise self.stripe_refund_missing(refund_id)
        self.reply(200, refund, {"Request-Id": self.state.new_id("req_", 14)})

    def stripe_settle(self, raw, refund_id):
        options = self.control_json(raw, ("outcome", "timestamp", "deliver"))
        outcome = options.get("outcome", "succeeded")
        if outcome not in ("succeeded", "failed"):
            raise control_error(400, "outcome must be succeeded or failed")
        if "timestamp" in options and not is_int(options["timestamp"]):
            raise control_error(400, "timestamp must be an integer")
        deliver = self.deliver_option(options)
        with self.state.lock:
            refund = self.state.stripe_refunds.get(refund_id)
            if refund is None:
                raise self.stripe_refund_missing(refund_id)
            if refund["status"] != "pending":
                raise stripe_error(400, f"The refund is {refund['status']}, not pending; to send its webhook again use "
                                        "/_fake/stripe/deliver.")
            refund["status"] = outcome
            if outcome == "succeeded":
                event, snapshot = "charge.refunded", self.stripe_refund_succeeded(refund)
            else:
                refund["failure_reason"] = "unknown"
                event, snapshot = "charge.refund.updated", copy.deepcopy(refund)
            answer = copy.deepcopy(refund)
        webhooks = [self.stripe_event(event, snapshot, options.get("timestamp"))]
        self.state.remember("stripe", webhooks)
        if deliver:
            for webhook in webhooks:
                self.state.deliver("stripe", webhook)
        self.reply(200, {"refund": answer, "webhooks": webhooks})

    def stripe_sign(self, raw):
        options = self.control_json(raw, ("body", "timestamp"))
        body = self.raw_body_option(options)
        if options.get("timestamp") is not None and not is_int(options["timestamp"]):
            raise control_error(400, "timestamp must be an integer")
        self.reply(200, {"header": self.stripe_signature_header(body, options.get("timestamp"))})

    def stripe_deliver(self, raw):
        options = self.control_json(raw, ("body", "header", "timestamp"))
        body = self.raw_body_option(options)
        if options.get("header") is not None and not isinstance(options["header"], str):
            raise control_error(400, "header must be a string")
        if options.get("timestamp") is not None and not is_int(options["timestamp"]):
            raise control_error(400, "timestamp must be an integer")
        self.deliver_option({"deliver": True})
        try:
            document = json.loads(body)
            event, event_id = document.get("type"), document.get("id")
        except (ValueError, AttributeError):
            event, event_id = None, None
        header = options.get("header")
        if header is None:
            header = self.stripe_signature_header(body, options.get("timestamp"))
        webhook = self.state.deliver("stripe", self.stripe_webhook(body, event, event_id, header))
        self.reply(200, {key: webhook.get(key) for key in ("status", "response", "error", "event_id", "headers")})

    # Both.

    def get_behaviour(self, raw):
        with self.state.lock:
            behaviour = dict(self.state.behaviour)
        self.reply(200, behaviour)

    def set_behaviour(self, raw):
        options = self.control_json(raw, ("razorpay_orders", "stripe_sessions", "razorpay_refunds", "stripe_refunds",
                                          "slow_seconds"))
        for name in ("razorpay_orders", "stripe_sessions", "razorpay_refunds", "stripe_refunds"):
            allowed = REFUND_BEHAVIOURS if name.endswith("_refunds") else BEHAVIOURS
            if name in options and options[name] not in allowed:
                raise control_error(400, f"{name} must be one of {', '.join(allowed)}")
        seconds = options.get("slow_seconds")
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 600):
            raise control_error(400, "slow_seconds must be a number from 0 to 600")
        with self.state.lock:
            self.state.behaviour.update(options)
            behaviour = dict(self.state.behaviour)
        self.reply(200, behaviour)

    def list_requests(self, raw):
        with self.state.lock:
            requests = copy.deepcopy(self.state.requests)
        self.reply(200, requests)

    def clear_requests(self, raw):
        with self.state.lock:
            self.state.requests.clear()
        self.reply(200, [])

    def list_webhooks(self, raw):
        with self.state.lock:
            webhooks = [dict(provider=provider, **copy.deepcopy(webhook)) for provider, webhook in self.state.webhooks]
        self.reply(200, webhooks)

    def clear_webhooks(self, raw):
        with self.state.lock:
            self.state.webhooks.clear()
        self.reply(200, [])


def main():
    parser = service.arguments("Fake Razorpay Orders and Refunds and Stripe Checkout Sessions and Refunds APIs with signed "
                               "webhooks, for tests.")
    parser.add_argument("--razorpay-key-id", default="rzp_test_fake", help="Basic auth user (default: rzp_test_fake)")
    parser.add_argument("--razorpay-key-secret", default="fake_razorpay_secret",
                        help="Basic auth password, and the key of checkout signatures (default: fake_razorpay_secret)")
    parser.add_argument("--razorpay-webhook-secret", default="fake_razorpay_webhook_secret",
                        help="signs X-Razorpay-Signature (default: fake_razorpay_webhook_secret)")
    parser.add_argument("--stripe-secret-key", default="sk_test_fake", help="the Bearer API key (default: sk_test_fake)")
    parser.add_argument("--stripe-webhook-secret", default="whsec_fake", help="signs Stripe-Signature (default: whsec_fake)")
    parser.add_argument("--webhook-base-url", help="our server, e.g. http://127.0.0.1:8080; webhooks go to "
                                                   "<base>/api/v1/webhooks/razorpay and .../stripe (default: not sent)")
    parser.add_argument("--record", help="file that receives one JSON line per request and per webhook sent")
    options = parser.parse_args()
    if options.webhook_base_url:
        parts = urlsplit(options.webhook_base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            parser.error("--webhook-base-url must be an http(s) URL")
    if options.record:
        open(options.record, "a").close()

    server = service.http_server(options, Handler)
    server.state = State(options)
    detail = f" (webhooks to {server.state.webhook_base})" if server.state.webhook_base else " (webhooks not sent)"
    service.run(options, "fake_payments.py", server.server_address[1], server.serve_forever, detail)


if __name__ == "__main__":
    main()
