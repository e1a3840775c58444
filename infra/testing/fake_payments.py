#!/usr/bin/env python3
"""A fake Razorpay (Orders API) and Stripe (Checkout Sessions API) on one port, for tests.

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
GET /v1/orders/<id>
    The order as it is now: "paid" (amount_paid, amount_due updated) after a captured payment,
    "attempted" after only failed ones; attempts counts payments. Unknown id: 404
    BAD_REQUEST_ERROR "The id provided does not exist".

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
POST /_fake/behaviour          {"razorpay_orders": "ok" | "error" | "slow", "stripe_sessions":
                               ..., "slow_seconds": 15}: "error" answers 500 (SERVER_ERROR,
                               api_error), "slow" sleeps first. Applies to creating and fetching.
                               Answers the behaviour now; GET /_fake/behaviour shows it.
GET /_fake/requests            The provider API requests so far, oldest first: [{"kind",
                               "method", "path", "query", "headers" (no Authorization),
                               "auth_scheme", "body" (parsed: JSON, or Stripe's form as nested
                               objects), "status"}]. DELETE /_fake/requests forgets them.
Anything else: 404 {"error": {...}} readable as either provider's error.

Webhooks go to <--webhook-base-url>/api/v1/webhooks/razorpay and .../stripe (10 s timeout; an
HTTP error status is an answer like any other); without --webhook-base-url nothing is sent and
the signed webhooks are only returned. --record FILE receives one JSON line per request
({"kind": "razorpay.order.create" | "razorpay.order.fetch" | "stripe.session.create" |
"stripe.session.fetch" | "stripe.checkout-page" | "control" | "not-found", "method", "path",
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

BEHAVIOURS = ("ok", "error", "slow")
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
        stripe_metadata(payment_intent_data.get("metadata"), "payment_intent_data[metadata]")
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
        "expires_at": expires_at,
    }


class State:
    """What the server remembers between requests; handlers run in threads."""

    def __init__(self, options):
        self.options = options  # holds the secrets: never recorded
        base = options.webhook_base_url
        self.webhook_base = base.rstrip("/") if base else None
        self.record_path = options.record
        self.lock = threading.Lock()
        self.orders = {}
        self.sessions = {}
        self.idempotency = {}  # key -> {"params", "response", "request_id"}
        self.in_progress = set()  # idempotency keys whose first request is running
        self.requests = []
        self.used_ids = set()
        self.behaviour = {"razorpay_orders": "ok", "stripe_sessions": "ok", "slow_seconds": 15}
        # Webhooks go straight to our server, never through an http_proxy from the environment.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

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
    ("POST", re.compile(r"^/v1/checkout/sessions$"), "stripe.session.create", "stripe_create_session"),
    ("GET", re.compile(r"^/v1/checkout/sessions/([^/]+)$"), "stripe.session.fetch", "stripe_fetch_session"),
    ("GET", re.compile(r"^/checkout/([^/]+)$"), "stripe.checkout-page", "checkout_page"),
    ("POST", re.compile(r"^/_fake/razorpay/orders/([^/]+)/pay$"), "control", "razorpay_pay"),
    ("POST", re.compile(r"^/_fake/razorpay/sign$"), "control", "razorpay_sign"),
    ("POST", re.compile(r"^/_fake/razorpay/deliver$"), "control", "razorpay_deliver"),
    ("POST", re.compile(r"^/_fake/stripe/sessions/([^/]+)/pay$"), "control", "stripe_pay"),
    ("POST", re.compile(r"^/_fake/stripe/sign$"), "control", "stripe_sign"),
    ("POST", re.compile(r"^/_fake/stripe/deliver$"), "control", "stripe_deliver"),
    ("GET", re.compile(r"^/_fake/behaviour$"), "control", "get_behaviour"),
    ("POST", re.compile(r"^/_fake/behaviour$"), "control", "set_behaviour"),
    ("GET", re.compile(r"^/_fake/requests$"), "control", "list_requests"),
    ("DELETE", re.compile(r"^/_fake/requests$"), "control", "clear_requests"),
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
        with self.state.lock:
            mode, seconds = self.state.behaviour[which], self.state.behaviour["slow_seconds"]
        if mode == "error":
            raise outage
        if mode == "slow":
            time.sleep(seconds)

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
        if self.headers.get_content_type() != "application/json":
            raise razorpay_error(400, "The request must be JSON (Content-Type: application/json).")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise razorpay_error(400, "The request body is not valid JSON.")
        if not isinstance(body, dict):
            raise razorpay_error(400, "The request body must be a JSON object.")
        body = {key: value for key, value in body.items() if value is not None}
        for key in body:
            if key not in RAZORPAY_ORDER_FIELDS:
                raise razorpay_error(400, f"{key} is/are not required and should not be sent", key)
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

    def razorpay_webhook(self, body, event, event_id=None, signature=None):
        event_id = event_id or self.state.new_id("evt_", 14)
        if signature is None:
            signature = hex_hmac(self.options.razorpay_webhook_secret, body)
        headers = {
            "Content-Type": "application/json", "X-Razorpay-Signature": signature, "X-Razorpay-Event-Id": event_id,
            "User-Agent": RAZORPAY_USER_AGENT,
        }
        return {"event": event, "event_id": event_id, "headers": headers, "body": body, "status": None, "response": None}

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
            document = {
                "entity": "event", "account_id": RAZORPAY_ACCOUNT, "event": event, "contains": contains,
                "payload": payload, "created_at": now,
            }
            webhooks.append(self.razorpay_webhook(json.dumps(document, separators=(",", ":"), ensure_ascii=False), event))
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
        key = self.headers.get("Idempotency-Key")
        request_id = self.state.new_id("req_", 14)
        if key is not None:
            if not key.strip() or len(key) > 255:
                raise stripe_error(400, "Idempotency-Key must be 1 to 255 characters.", kind="idempotency_error")
            with self.state.lock:
                saved = self.state.idempotency.get(key)
                busy = key in self.state.in_progress
                if saved is None and not busy:
                    self.state.in_progress.add(key)
            if saved is not None:
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
                self.state.sessions[session_id] = {"session": session, "items": checked["items"]}
                answer = copy.deepcopy(session)
                if key is not None:
                    self.state.idempotency[key] = {"params": params, "response": copy.deepcopy(session), "request_id": request_id}
        finally:
            if key is not None:
                with self.state.lock:
                    self.state.in_progress.discard(key)
        headers = {"Request-Id": request_id}
        if key is not None:
            headers["Idempotency-Key"] = key
        self.reply(200, answer, headers)

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
            answer = copy.deepcopy(session)
        webhooks = []
        for event, snapshot in snapshots:
            event_id = self.state.new_id("evt_", 24)
            document = {
                "id": event_id, "object": "event", "api_version": STRIPE_API_VERSION, "created": int(time.time()),
                "data": {"object": snapshot}, "livemode": False, "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None}, "type": event,
            }
            body = json.dumps(document, indent=2, ensure_ascii=False)
            webhooks.append(self.stripe_webhook(body, event, event_id, self.stripe_signature_header(body, options.get("timestamp"))))
        if deliver:
            for webhook in webhooks:
                self.state.deliver("stripe", webhook)
        self.reply(200, {"session": answer, "webhooks": webhooks})

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
        options = self.control_json(raw, ("razorpay_orders", "stripe_sessions", "slow_seconds"))
        for name in ("razorpay_orders", "stripe_sessions"):
            if name in options and options[name] not in BEHAVIOURS:
                raise control_error(400, f"{name} must be one of {', '.join(BEHAVIOURS)}")
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


def main():
    parser = service.arguments("Fake Razorpay Orders and Stripe Checkout Sessions APIs with signed webhooks, for tests.")
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
