#!/usr/bin/env python3
"""A fake Firebase Cloud Messaging (HTTP v1) and Google OAuth token endpoint, for tests.

POST /token
    RFC 7523 JWT-bearer grant, form-encoded. The assertion's RS256 signature is verified with
    the service account's public key; `aud` must be this endpoint, `scope` must include the
    FCM scope, `iat`/`exp` must be current and at most an hour apart. Answers
    {"access_token": "...", "expires_in": 3600, "token_type": "Bearer"}, or 400 invalid_grant.

POST /v1/projects/<project>/messages:send
    Needs `Authorization: Bearer <a token issued above>` (else 401 UNAUTHENTICATED) and the
    project of the account (else 403). Device tokens choose the answer:
        gone-*     404 NOT_FOUND, errorCode UNREGISTERED
        invalid-*  400 INVALID_ARGUMENT about message.token
        flaky-*    503 UNAVAILABLE the first time, then 200
        revoke-*   the first time: forgets every access token issued so far and answers 401
        other      200 {"name": "projects/<project>/messages/<n>"}
    Data keys FCM reserves (from, notification, message_type, google.*, gcm.*) get a 400
    INVALID_ARGUMENT about message.data.

Every request is recorded as one JSON line in --record: {"kind": "token", "claims": {...}},
{"kind": "token-refused", "reason": ...} or {"kind": "send", "status": ..., "project": ...,
"message": {...}}.

Keys: --public-key PEM verifies assertions against an existing key (give --project-id and
--token-uri to check those too); --make-account DIR generates a throwaway RSA key and writes
DIR/service-account.json (token_uri pointing at this server) and DIR/public.pem.

Runs in the foreground until SIGTERM or SIGINT, or until the process that started it exits.
--port 0 picks a free port; --port-file FILE receives it once the server accepts requests.

    python3 infra/testing/fake_fcm.py --make-account /tmp/fcm --record /tmp/fcm/record.jsonl --port 9099
    FCM_SERVICE_ACCOUNT_FILE=/tmp/fcm/service-account.json FCM_BASE_URL=http://127.0.0.1:9099 ...

Needs the Python package `cryptography` (pip install -r infra/testing/requirements.txt).
"""

import base64
import binascii
import json
import os
import re
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

import service

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
except ImportError as error:
    sys.stderr.write(
        "fake_fcm.py: the Python package 'cryptography' is required "
        f"(pip install -r infra/testing/requirements.txt): {error}\n"
    )
    sys.exit(3)

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
RESERVED_DATA_KEYS = {"from", "notification", "message_type"}
SEND_PATH = re.compile(r"^/v1/projects/([^/]+)/messages:send$")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class State:
    """What the server remembers between requests; handlers run in threads."""

    def __init__(self, public_key, project_id, token_uri, client_email, record_path):
        self.public_key = public_key
        self.project_id = project_id
        self.token_uri = token_uri
        self.client_email = client_email
        self.record_path = record_path
        self.lock = threading.Lock()
        self.access_tokens = set()
        self.seen_tokens = set()  # device tokens whose first-time behaviour has happened
        self.sent = 0

    def record(self, entry):
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.lock, open(self.record_path, "a", encoding="utf-8") as file:
            file.write(line)

    def first_time(self, device_token):
        with self.lock:
            if device_token in self.seen_tokens:
                return False
            self.seen_tokens.add(device_token)
            return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as FCM; every answer has a Content-Length
    server_version = "fake-fcm"

    @property
    def state(self):
        return self.server.state

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def fcm_error(self, status, code, message, details=()):
        self.reply(status, {"error": {"code": status, "message": message, "status": code, "details": list(details)}})

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def do_POST(self):
        body = self.read_body()
        if self.path == "/token":
            self.token(body)
        elif match := SEND_PATH.match(self.path):
            self.send_message(match.group(1), body)
        else:
            self.fcm_error(404, "NOT_FOUND", f"no such path {self.path}")

    def do_GET(self):
        self.read_body()
        self.fcm_error(404, "NOT_FOUND", f"no such path {self.path}")

    # OAuth token endpoint.

    def token(self, body):
        try:
            claims = self.check_assertion(body)
        except ValueError as reason:
            self.state.record({"kind": "token-refused", "reason": str(reason)})
            self.reply(400, {"error": "invalid_grant", "error_description": str(reason)})
            return
        access_token = "fake-access-" + secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.access_tokens.add(access_token)
        self.state.record({"kind": "token", "claims": claims})
        self.reply(200, {"access_token": access_token, "expires_in": 3600, "token_type": "Bearer"})

    def check_assertion(self, body):
        if not (self.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
            raise ValueError("the request is not form-encoded")
        form = parse_qs(body.decode("utf-8", "replace"), strict_parsing=True)
        if form.get("grant_type") != [JWT_BEARER]:
            raise ValueError(f"grant_type must be {JWT_BEARER}")
        assertion = (form.get("assertion") or [""])[0]
        parts = assertion.split(".")
        if len(parts) != 3:
            raise ValueError("the assertion is not a JWT")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except (ValueError, binascii.Error) as error:
            raise ValueError(f"the assertion cannot be decoded: {error}")
        if header.get("alg") != "RS256":
            raise ValueError(f"alg must be RS256, not {header.get('alg')}")
        try:
            self.state.public_key.verify(
                signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            raise ValueError("the assertion's signature does not verify")
        now = int(time.time())
        if self.state.token_uri and claims.get("aud") != self.state.token_uri:
            raise ValueError(f"aud must be {self.state.token_uri}, not {claims.get('aud')}")
        if FCM_SCOPE not in str(claims.get("scope", "")).split():
            raise ValueError(f"scope must include {FCM_SCOPE}")
        if self.state.client_email and claims.get("iss") != self.state.client_email:
            raise ValueError(f"iss must be {self.state.client_email}")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int):
            raise ValueError("iat and exp must be integers")
        if exp <= now:
            raise ValueError("the assertion has expired")
        if iat > now + 60 or exp - iat > 3600:
            raise ValueError("iat must not be in the future and exp at most an hour after it")
        return claims

    # FCM messages:send.

    def send_message(self, project, body):
        authorization = self.headers.get("Authorization") or ""
        with self.state.lock:
            authorized = authorization.startswith("Bearer ") and authorization[7:] in self.state.access_tokens
        if not authorized:
            self.state.record({"kind": "send", "status": 401, "project": project})
            self.fcm_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
            return
        if self.state.project_id and project != self.state.project_id:
            self.state.record({"kind": "send", "status": 403, "project": project})
            self.fcm_error(403, "PERMISSION_DENIED", f"Permission denied on project {project}.")
            return
        try:
            message = json.loads(body)["message"]
            device_token = message["token"]
            notification = message.get("notification", {})
            data = message.get("data", {})
            if not isinstance(device_token, str) or not device_token:
                raise ValueError("message.token must be a non-empty string")
            if not all(isinstance(notification.get(key, ""), str) for key in ("title", "body")):
                raise ValueError("notification title and body must be strings")
            if not isinstance(data, dict) or not all(isinstance(value, str) for value in data.values()):
                raise ValueError("data values must be strings")
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            self.state.record({"kind": "send", "status": 400, "project": project})
            self.fcm_error(400, "INVALID_ARGUMENT", f"Invalid JSON payload received. {error}")
            return
        status = self.answer_for(device_token, data)
        self.state.record({"kind": "send", "status": status, "project": project, "message": message})

    def answer_for(self, device_token, data):
        fcm_error = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
        bad_request = "type.googleapis.com/google.rpc.BadRequest"
        reserved = [key for key in data if key in RESERVED_DATA_KEYS or key.startswith(("google", "gcm"))]
        if reserved:
            self.fcm_error(
                400, "INVALID_ARGUMENT", f"Invalid data payload key: {reserved[0]}",
                [{"@type": fcm_error, "errorCode": "INVALID_ARGUMENT"},
                 {"@type": bad_request, "fieldViolations": [{"field": "message.data", "description": "reserved key"}]}],
            )
            return 400
        if device_token.startswith("gone-"):
            self.fcm_error(404, "NOT_FOUND", "Requested entity was not found.",
                           [{"@type": fcm_error, "errorCode": "UNREGISTERED"}])
            return 404
        if device_token.startswith("invalid-"):
            self.fcm_error(
                400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token",
                [{"@type": fcm_error, "errorCode": "INVALID_ARGUMENT"},
                 {"@type": bad_request, "fieldViolations": [{"field": "message.token", "description": "Invalid registration token"}]}],
            )
            return 400
        if device_token.startswith("flaky-") and self.state.first_time(device_token):
            self.fcm_error(503, "UNAVAILABLE", "The service is currently unavailable.",
                           [{"@type": fcm_error, "errorCode": "UNAVAILABLE"}])
            return 503
        if device_token.startswith("revoke-") and self.state.first_time(device_token):
            with self.state.lock:
                self.state.access_tokens.clear()
            self.fcm_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
            return 401
        with self.state.lock:
            self.state.sent += 1
            number = self.state.sent
        self.reply(200, {"name": f"projects/{self.state.project_id or 'fake'}/messages/{number}"})
        return 200


def make_account(directory, project_id, token_uri):
    """A throwaway RSA key; returns (public key, client_email)."""
    os.makedirs(directory, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    client_email = f"fake-fcm@{project_id}.iam.gserviceaccount.com"
    account = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": secrets.token_hex(20),
        "private_key": private_pem,
        "client_email": client_email,
        "client_id": str(secrets.randbelow(10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    }
    service.write_file(os.path.join(directory, "public.pem"), public_pem, 0o644)
    service.write_file(os.path.join(directory, "service-account.json"), json.dumps(account, indent=2).encode(), 0o600)
    return key.public_key(), client_email


def main():
    parser = service.arguments("Fake FCM HTTP v1 and OAuth token server for tests.")
    keys = parser.add_mutually_exclusive_group(required=True)
    keys.add_argument("--public-key", help="PEM public key that verifies the assertions")
    keys.add_argument("--make-account", metavar="DIR", help="write a throwaway service account into DIR")
    parser.add_argument("--record", required=True, help="file that receives one JSON line per request")
    parser.add_argument("--project-id", help="the only project accepted (default: any, or fake-project with --make-account)")
    parser.add_argument("--token-uri", help="the aud assertions must carry (default: this server's /token)")
    parser.add_argument("--client-email", help="the iss assertions must carry (default: any, or the made account's)")
    options = parser.parse_args()

    server = service.http_server(options, Handler)
    port = server.server_address[1]
    token_uri = options.token_uri or f"http://{options.host}:{port}/token"
    project_id = options.project_id
    client_email = options.client_email
    if options.make_account:
        project_id = project_id or "fake-project"
        public_key, made_email = make_account(options.make_account, project_id, token_uri)
        client_email = client_email or made_email
    else:
        with open(options.public_key, "rb") as file:
            public_key = serialization.load_pem_public_key(file.read())
    open(options.record, "a").close()
    server.state = State(public_key, project_id, token_uri, client_email, options.record)
    service.run(options, "fake_fcm.py", port, server.serve_forever, f" (token_uri {token_uri})")


if __name__ == "__main__":
    main()
