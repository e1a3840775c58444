#!/usr/bin/env python3
"""Asks the official Razorpay and Stripe Python SDKs whether they accept signatures, so tests can
show that what our server and fake_payments.py sign is what the providers' own code verifies.

Reads one JSON document from stdin, {"cases": [...]}, each case one of
    {"kind": "razorpay_payment", "key_secret", "order_id", "payment_id", "signature"}
        razorpay.Client(auth=(..., key_secret)).utility.verify_payment_signature(...): the
        checkout handler's razorpay_signature over "order_id|payment_id"
    {"kind": "razorpay_webhook", "secret", "body", "signature"}
        .utility.verify_webhook_signature(body, signature, secret): X-Razorpay-Signature
    {"kind": "stripe_webhook", "secret", "body", "header", "tolerance": 300}
        stripe.Webhook.construct_event(body, header, secret, tolerance=...): Stripe-Signature,
        including its age (tolerance defaults to 300 seconds, as Stripe's libraries)
and prints {"results": [true | false, ...]}, one per case: whether the SDK accepts it. A
signature the SDK refuses (its SignatureVerificationError, or any other error it raises on
that input) is false; with --verbose the reason goes to stderr. A malformed case (unknown kind,
a missing or non-string field) exits 2 with a message, so a broken test does not read as a
refused signature.

    echo '{"cases": [{"kind": "razorpay_webhook", "secret": "s", "body": "{}", "signature": "00"}]}' |
        python3 infra/testing/provider_sdk_check.py

Needs the Python packages `razorpay` and `stripe` (pip install -r infra/testing/requirements.txt).
"""

import argparse
import json
import sys

try:
    import razorpay
    import stripe
except ImportError as error:
    sys.stderr.write(
        "provider_sdk_check.py: the Python packages 'razorpay' and 'stripe' are required "
        f"(pip install -r infra/testing/requirements.txt): {error}\n"
    )
    sys.exit(3)

# Where the SDKs keep their verification errors differs between versions.
RAZORPAY_SIGNATURE_ERROR = razorpay.errors.SignatureVerificationError
STRIPE_SIGNATURE_ERROR = getattr(stripe, "SignatureVerificationError", None) or stripe.error.SignatureVerificationError

FIELDS = {
    "razorpay_payment": ("key_secret", "order_id", "payment_id", "signature"),
    "razorpay_webhook": ("secret", "body", "signature"),
    "stripe_webhook": ("secret", "body", "header"),
}


class Malformed(Exception):
    pass


def check_case(case):
    """Whether the SDK accepts the case; raises SDK errors as they come."""
    if case["kind"] == "razorpay_payment":
        client = razorpay.Client(auth=("rzp_key_id_unused", case["key_secret"]))
        result = client.utility.verify_payment_signature({
            "razorpay_order_id": case["order_id"],
            "razorpay_payment_id": case["payment_id"],
            "razorpay_signature": case["signature"],
        })
    elif case["kind"] == "razorpay_webhook":
        client = razorpay.Client(auth=("rzp_key_id_unused", "unused"))
        result = client.utility.verify_webhook_signature(case["body"], case["signature"], case["secret"])
    else:
        result = stripe.Webhook.construct_event(case["body"], case["header"], case["secret"], tolerance=case["tolerance"])
    # Razorpay's SDK returns True (older versions None) and raises on a mismatch; Stripe's
    # returns the event. Only an explicit False would be a refusal without an exception.
    return result is not False


def validated(case, index):
    if not isinstance(case, dict) or case.get("kind") not in FIELDS:
        raise Malformed(f"case {index}: kind must be one of {', '.join(FIELDS)}")
    for field in FIELDS[case["kind"]]:
        if not isinstance(case.get(field), str):
            raise Malformed(f"case {index} ({case['kind']}): {field} must be a string")
    if case["kind"] == "stripe_webhook":
        case = dict(case)
        case.setdefault("tolerance", 300)
        if isinstance(case["tolerance"], bool) or not isinstance(case["tolerance"], int) or case["tolerance"] < 0:
            raise Malformed(f"case {index}: tolerance must be a non-negative integer")
    return case


def main():
    parser = argparse.ArgumentParser(description="Checks signatures with the official Razorpay and Stripe SDKs.")
    parser.add_argument("--verbose", action="store_true", help="write why each refused case was refused to stderr")
    options = parser.parse_args()
    try:
        document = json.load(sys.stdin)
        cases = document["cases"]
        if not isinstance(cases, list):
            raise Malformed("cases must be a list")
        cases = [validated(case, index) for index, case in enumerate(cases)]
    except (ValueError, KeyError, TypeError, Malformed) as error:
        sys.stderr.write(f"provider_sdk_check.py: expected {{\"cases\": [...]}} on stdin: {error}\n")
        sys.exit(2)
    results = []
    for index, case in enumerate(cases):
        try:
            accepted = check_case(case)
            reason = "the SDK returned False"
        except (RAZORPAY_SIGNATURE_ERROR, STRIPE_SIGNATURE_ERROR) as error:
            accepted, reason = False, f"{type(error).__name__}: {error}"
        except Exception as error:  # e.g. a body that is not JSON once the signature matched
            accepted, reason = False, f"{type(error).__name__}: {error}"
        if not accepted and options.verbose:
            sys.stderr.write(f"case {index} ({case['kind']}) refused: {reason}\n")
        results.append(accepted)
    json.dump({"results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
