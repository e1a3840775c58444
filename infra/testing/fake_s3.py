#!/usr/bin/env python3
"""A fake S3-compatible object store that checks presigned URLs (AWS Signature Version 4), for tests.

One bucket (--bucket, default lms-media), path-style: http://127.0.0.1:PORT/<bucket>/<key>.
Objects live in memory and are gone when the server stops.

PUT /<bucket>/<key>
    With `If-None-Match: *`, only when the key is free (else 412 PreconditionFailed).
    Stores exactly Content-Length bytes (no Content-Length: 411 MissingContentLength; chunked
    Transfer-Encoding: 501 NotImplemented) with the request's Content-Type (default
    binary/octet-stream). A Content-MD5 header is checked (400 BadDigest). 200 with the ETag.
GET /<bucket>/<key>
    The object; a single `Range: bytes=a-b` (or `a-`, `-n`) gives 206 with Content-Range, an
    unsatisfiable one 416 InvalidRange. The query parameters response-content-type,
    response-content-disposition, response-content-language, response-content-encoding,
    response-cache-control and response-expires replace those response headers, as in S3.
HEAD /<bucket>/<key>
    The GET headers (Content-Length, Content-Type, ETag, Last-Modified), no body.
DELETE /<bucket>/<key>
    204, also when there was no such key.
Another bucket: 404 NoSuchBucket; a key that is not there: 404 NoSuchKey; a bucket-level
request (no key): 501 NotImplemented; every error is an S3 XML <Error> document.

Every S3 request must be presigned (query-string authentication, as S3 checks it):
X-Amz-Algorithm=AWS4-HMAC-SHA256, X-Amz-Credential=<access key>/<yyyymmdd>/<region>/s3/aws4_request,
X-Amz-Date=<yyyymmddTHHMMSSZ>, X-Amz-Expires (1..604800), X-Amz-SignedHeaders (with host) and
X-Amz-Signature over the canonical request with payload hash UNSIGNED-PAYLOAD. Signed headers
are taken from the request as it arrives, so a presigned PUT that signs content-length or
content-type only accepts those values. Answers, as S3 does:
    no X-Amz-* authentication at all          403 AccessDenied
    malformed or incomplete parameters        400 AuthorizationQueryParametersError
    another access key                        403 InvalidAccessKeyId
    X-Amz-Date + X-Amz-Expires in the past    403 AccessDenied "Request has expired"
    X-Amz-Date over 15 minutes in the future  403 AccessDenied "Request is not valid yet"
    unsigned x-amz-* request headers          403 AccessDenied (HeadersNotSigned)
    another signature                         403 SignatureDoesNotMatch, with the server's
                                              CanonicalRequest and StringToSign in the XML

For tests, without authentication:
GET /_objects     JSON [{"bucket", "key", "size", "content_type"}] sorted by key
GET /_requests    JSON [{"method", "path", "status", "error"}], the last 200 S3 requests, oldest
                  first (path without the query string; error is the S3 error code or null)

Runs in the foreground until SIGTERM or SIGINT, or until the process that started it exits.
--port 0 picks a free port; --port-file FILE receives it once the server accepts requests
(service.py). Requests are logged to stderr.

    python3 infra/testing/fake_s3.py --port 9000 --access-key AK --secret-key SK --region us-east-1
    S3_ENDPOINT=http://127.0.0.1:9000 S3_BUCKET=lms-media ...

Standard library only.
"""

import base64
import binascii
import collections
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from datetime import datetime, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from urllib.parse import quote, unquote_to_bytes
from xml.sax.saxutils import escape

import service

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
AUTH_PARAMETERS = (
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature",
)
MAX_EXPIRES = 604800  # a week, S3's limit for SigV4 presigned URLs
MAX_CLOCK_SKEW = 15 * 60
MAX_OBJECT_SIZE = 5 * 1024**3  # S3's limit for a single PUT
AMZ_DATE = re.compile(r"^\d{8}T\d{6}Z$")
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}
ADMIN_PATHS = ("/_objects", "/_requests")
WHITESPACE_RUN = re.compile(r"\s+")


class S3Error(Exception):
    """An answer in S3's XML error format; `extra` become more elements of <Error>."""

    def __init__(self, status, code, message, headers=None, **extra):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra


def uri_encode(data, encode_slash=True):
    """AWS's UriEncode: unreserved A-Za-z0-9-._~ as they are, every other byte %XX (uppercase)."""
    return quote(data, safe="~" if encode_slash else "/~")


def decode_query(raw_query):
    """[(name, value)] in order, percent-decoded; '+' is a space, as S3 reads it."""
    pairs = []
    for part in raw_query.split("&") if raw_query else []:
        if not part:
            continue
        name, _, value = part.partition("=")
        try:
            name = unquote_to_bytes(name.replace("+", " ")).decode("utf-8")
            value = unquote_to_bytes(value.replace("+", " ")).decode("utf-8")
        except UnicodeDecodeError:
            raise S3Error(400, "InvalidArgument", "The query string is not valid UTF-8 once percent-decoded.")
        pairs.append((name, value))
    return pairs


def signing_key(secret_key, date, region):
    key = hmac.new(("AWS4" + secret_key).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def spaced_hex(text):
    return " ".join(f"{byte:02x}" for byte in text.encode("utf-8", "surrogateescape"))


class State:
    """What the server remembers between requests; handlers run in threads."""

    def __init__(self, access_key, secret_key, region, bucket):
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.bucket = bucket
        self.lock = threading.Lock()
        self.objects = {}  # key -> StoredObject
        self.requests = collections.deque(maxlen=200)


StoredObject = collections.namedtuple("StoredObject", "data content_type etag last_modified")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as S3; every answer has a Content-Length
    server_version = "fake-s3"

    @property
    def state(self):
        return self.server.state

    def send_response(self, code, message=None):
        self.status = code
        super().send_response(code, message)

    def do_PUT(self):
        self.s3_request()

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path in ADMIN_PATHS:
            self.read_body()
            self.admin(path)
        else:
            self.s3_request()

    def do_HEAD(self):
        self.s3_request()

    def do_DELETE(self):
        self.s3_request()

    def do_POST(self):
        self.s3_request()

    # Answers.

    def send_headers(self, status, headers):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, header_text(value))
        self.send_header("x-amz-request-id", self.request_id)
        self.end_headers()

    def reply(self, status, body=b"", headers=None, content_length=None):
        headers = dict(headers or {})
        headers["Content-Length"] = str(len(body) if content_length is None else content_length)
        self.send_headers(status, headers)
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def s3_error(self, error):
        self.error_code = error.code
        resource = self.path.split("?", 1)[0]
        parts = [f"<Code>{escape(error.code)}</Code>", f"<Message>{escape(error.message)}</Message>"]
        parts += [f"<{name}>{escape(str(value))}</{name}>" for name, value in error.extra.items()]
        parts += [f"<Resource>{escape(resource)}</Resource>", f"<RequestId>{self.request_id}</RequestId>"]
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + "".join(parts) + "</Error>").encode()
        headers = {"Content-Type": "application/xml"}
        headers.update(error.headers)
        if self.close_connection:
            headers["Connection"] = "close"
        # A HEAD answer has no body, and S3 says no more than the status then.
        self.reply(error.status, body, headers, content_length=0 if self.command == "HEAD" else None)

    def log_refusal(self, error):
        self.log_message("%s %s refused: %s %s", self.command, self.path.split("?", 1)[0], error.code, error.message)

    # Admin endpoints.

    def admin(self, path):
        with self.state.lock:
            if path == "/_objects":
                listing = [
                    {"bucket": self.state.bucket, "key": key, "size": len(item.data), "content_type": item.content_type}
                    for key, item in sorted(self.state.objects.items())
                ]
            else:
                listing = list(self.state.requests)
        body = json.dumps(listing).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    # S3.

    def s3_request(self):
        self.request_id = secrets.token_hex(8).upper()
        self.status = None
        self.error_code = None
        try:
            try:
                body = self.read_body()
                query = decode_query(self.path.partition("?")[2])
                raw_path = self.path.split("?", 1)[0]
                try:
                    path = unquote_to_bytes(raw_path).decode("utf-8")
                except UnicodeDecodeError:
                    raise S3Error(400, "InvalidURI", "Couldn't parse the specified URI.")
                if not path.startswith("/"):
                    raise S3Error(400, "InvalidURI", "Couldn't parse the specified URI.")
                self.authenticate(path, query)
                bucket, _, key = path[1:].partition("/")
                if bucket != self.state.bucket:
                    raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket)
                if not key:
                    raise S3Error(501, "NotImplemented", "fake_s3.py only implements object requests.")
                if self.command == "PUT":
                    self.put_object(key, body)
                elif self.command in ("GET", "HEAD"):
                    self.get_object(key, dict(query))
                elif self.command == "DELETE":
                    with self.state.lock:
                        self.state.objects.pop(key, None)
                    self.reply(204)
                else:
                    raise S3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
                                  Method=self.command, ResourceType="OBJECT")
            except S3Error as error:
                self.log_refusal(error)
                self.s3_error(error)
        finally:
            with self.state.lock:
                self.state.requests.append({
                    "method": self.command, "path": self.path.split("?", 1)[0], "status": self.status,
                    "error": self.error_code,
                })

    def read_body(self):
        """Exactly Content-Length bytes, before anything can fail: the connection stays usable."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise S3Error(501, "NotImplemented", "A header you provided implies functionality that is not implemented",
                          Header="Transfer-Encoding")
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            if self.command == "PUT":
                self.close_connection = True
                raise S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
            return b""
        if not length_text.strip().isdigit():
            self.close_connection = True
            raise S3Error(400, "InvalidArgument", "Content-Length must be a non-negative integer.")
        length = int(length_text)
        if length > MAX_OBJECT_SIZE:
            self.close_connection = True
            raise S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
                          ProposedSize=length, MaxSizeAllowed=MAX_OBJECT_SIZE)
        chunks, remaining = [], length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                self.close_connection = True
                raise S3Error(400, "IncompleteBody",
                              "You did not provide the number of bytes specified by the Content-Length HTTP header")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def header_value(self, name):
        """A request header as S3 signs it: every occurrence joined by ',', trimmed, inner
        whitespace runs collapsed; the bytes as received (http.server decodes them as Latin-1)."""
        values = self.headers.get_all(name) or []
        values = [raw_header(value) for value in values]
        return ",".join(WHITESPACE_RUN.sub(" ", value.strip()) for value in values)

    def authenticate(self, path, query):
        parameters = {}
        for name, value in query:
            if name in AUTH_PARAMETERS:
                if name in parameters:
                    raise query_error(f"{name} appears more than once.")
                parameters[name] = value
        if not parameters:
            raise S3Error(403, "AccessDenied", "Access Denied")
        missing = [name for name in AUTH_PARAMETERS if name not in parameters]
        if missing:
            raise query_error(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
                f" Missing: {', '.join(missing)}."
            )
        if parameters["X-Amz-Algorithm"] != ALGORITHM:
            raise query_error(f'X-Amz-Algorithm only supports "{ALGORITHM}"')

        credential = parameters["X-Amz-Credential"].split("/")
        if len(credential) != 5:
            raise query_error(
                "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
                'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
            )
        access_key, scope_date, region, service, terminator = credential
        amz_date = parameters["X-Amz-Date"]
        if not AMZ_DATE.match(amz_date):
            raise query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        try:
            signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        if scope_date != amz_date[:8]:
            raise query_error(
                f"Invalid credential date \"{scope_date}\". This date is not the same as X-Amz-Date: \"{amz_date[:8]}\"."
            )
        if region != self.state.region:
            raise query_error(
                f"Error parsing the X-Amz-Credential parameter; the region '{region}' is wrong; "
                f"expecting '{self.state.region}'", Region=self.state.region,
            )
        if service != "s3":
            raise query_error(
                f"Error parsing the X-Amz-Credential parameter; incorrect service \"{service}\". "
                "This endpoint belongs to \"s3\"."
            )
        if terminator != "aws4_request":
            raise query_error(
                f"Error parsing the X-Amz-Credential parameter; incorrect terminal \"{terminator}\". "
                "This endpoint uses \"aws4_request\"."
            )
        expires_text = parameters["X-Amz-Expires"]
        if not expires_text.isdigit() or not expires_text.isascii():
            raise query_error("X-Amz-Expires should be a number")
        expires = int(expires_text)
        if expires < 1:
            raise query_error("X-Amz-Expires must be non-negative")
        if expires > MAX_EXPIRES:
            raise query_error(f"X-Amz-Expires must be less than a week (in seconds) that is; {MAX_EXPIRES}")
        signed_headers = parameters["X-Amz-SignedHeaders"]
        header_names = signed_headers.split(";")
        if "host" not in header_names:
            raise query_error("X-Amz-SignedHeaders must include the host header.")
        if any(not name for name in header_names):
            raise query_error("X-Amz-SignedHeaders is mal-formed.")

        if access_key != self.state.access_key:
            raise S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.",
                          AWSAccessKeyId=access_key)
        now = time.time()
        if now > signed_at + expires:
            raise S3Error(403, "AccessDenied", "Request has expired", **{
                "X-Amz-Expires": expires,
                "Expires": iso8601(signed_at + expires),
                "ServerTime": iso8601(now),
            })
        if signed_at > now + MAX_CLOCK_SKEW:
            raise S3Error(403, "AccessDenied", "Request is not valid yet", **{
                "X-Amz-Date": amz_date, "ServerTime": iso8601(now),
            })
        lowered = {name.lower() for name in header_names}
        unsigned = sorted({name.lower() for name in self.headers.keys()
                           if name.lower().startswith("x-amz-") and name.lower() not in lowered})
        if unsigned:
            raise S3Error(403, "AccessDenied", "There were headers present in the request which were not signed",
                          HeadersNotSigned=", ".join(unsigned))

        canonical_uri = uri_encode(path.encode("utf-8"), encode_slash=False)
        encoded = sorted(
            (uri_encode(name.encode("utf-8")), uri_encode(value.encode("utf-8")))
            for name, value in query if name != "X-Amz-Signature"
        )
        canonical_query = "&".join(f"{name}={value}" for name, value in encoded)
        canonical_headers = "".join(f"{name.lower()}:{self.header_value(name)}\n" for name in header_names)
        canonical_request = "\n".join(
            [self.command, canonical_uri, canonical_query, canonical_headers, signed_headers, UNSIGNED_PAYLOAD]
        )
        scope = f"{scope_date}/{region}/s3/aws4_request"
        string_to_sign = "\n".join([
            ALGORITHM, amz_date, scope,
            hashlib.sha256(canonical_request.encode("utf-8", "surrogateescape")).hexdigest(),
        ])
        expected = hmac.new(
            signing_key(self.state.secret_key, scope_date, region), string_to_sign.encode(), hashlib.sha256
        ).hexdigest()
        provided = parameters["X-Amz-Signature"]
        if not hmac.compare_digest(expected.encode(), provided.encode("utf-8")):
            raise S3Error(
                403, "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method.",
                AWSAccessKeyId=access_key, StringToSign=string_to_sign, SignatureProvided=provided,
                StringToSignBytes=spaced_hex(string_to_sign), CanonicalRequest=canonical_request,
                CanonicalRequestBytes=spaced_hex(canonical_request),
            )

    def put_object(self, key, body):
        if len(key.encode("utf-8")) > 1024:
            raise S3Error(400, "KeyTooLongError", "Your key is too long")
        content_md5 = self.headers.get("Content-MD5")
        if content_md5 is not None:
            try:
                digest = base64.b64decode(content_md5.strip(), validate=True)
            except (ValueError, binascii.Error):
                digest = b""
            if len(digest) != 16:
                raise S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
            if digest != hashlib.md5(body).digest():
                raise S3Error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.")
        content_type = self.header_value("Content-Type") or "binary/octet-stream"
        etag = '"' + hashlib.md5(body).hexdigest() + '"'
        # Conditional write, as S3 has it: `If-None-Match: *` only creates, never replaces.
        # Absent is not the same as empty: a PUT without the header replaces the object.
        if_none_match = self.header_value("If-None-Match") if self.headers.get("If-None-Match") is not None else None
        if if_none_match is not None and if_none_match.strip() != "*":
            raise S3Error(501, "NotImplemented", "If-None-Match only supports *")
        with self.state.lock:
            if if_none_match is not None and key in self.state.objects:
                raise S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                              Condition="If-None-Match")
            self.state.objects[key] = StoredObject(body, content_type, etag, time.time())
        self.reply(200, headers={"ETag": etag})

    def get_object(self, key, query):
        with self.state.lock:
            item = self.state.objects.get(key)
        if item is None:
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
        headers = {
            "Content-Type": item.content_type,
            "ETag": item.etag,
            "Last-Modified": formatdate(item.last_modified, usegmt=True),
            "Accept-Ranges": "bytes",
        }
        for parameter, header in RESPONSE_OVERRIDES.items():
            if parameter in query:
                if any(ord(character) < 32 or ord(character) == 127 for character in query[parameter]):
                    raise S3Error(400, "InvalidArgument", f"{parameter} has control characters.",
                                  ArgumentName=parameter)
                headers[header] = query[parameter]
        size = len(item.data)
        selected = self.byte_range(size)
        if selected is None:
            self.reply(200, item.data, headers)
            return
        start, end = selected
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        self.reply(206, item.data[start:end + 1], headers)

    def byte_range(self, size):
        """(first, last) for a single satisfiable Range header; None to send everything (no
        header, or one S3 ignores: several ranges, or not bytes=); 416 when unsatisfiable."""
        value = self.headers.get("Range")
        if value is None:
            return None
        match = RANGE.match(value.strip())
        if not match or not (match.group(1) or match.group(2)):
            return None
        first, last = match.group(1), match.group(2)
        if first:
            start = int(first)
            end = int(last) if last else size - 1
            if last and end < start:
                return None  # syntactically invalid: ignored, as RFC 9110 says
            if start >= size:
                raise self.invalid_range(size)
            return start, min(end, size - 1)
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise self.invalid_range(size)
        return max(0, size - suffix), size - 1

    def invalid_range(self, size):
        return S3Error(416, "InvalidRange", "The requested range is not satisfiable",
                       headers={"Content-Range": f"bytes */{size}"},
                       RangeRequested=self.headers.get("Range"), ActualObjectSize=size)


def query_error(message, **extra):
    return S3Error(400, "AuthorizationQueryParametersError", message, **extra)


def iso8601(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def raw_header(value):
    """http.server decodes header bytes as Latin-1; back to the UTF-8 text they were sent as."""
    return value.encode("latin-1", "replace").decode("utf-8", "surrogateescape")


def header_text(value):
    """A response header value as http.server writes it (Latin-1): UTF-8 text goes out as its bytes."""
    return str(value).encode("utf-8", "surrogateescape").decode("latin-1")


def main():
    parser = service.arguments("Fake S3 object store checking presigned URLs (SigV4), for tests.")
    parser.add_argument("--access-key", required=True, help="the only access key id accepted")
    parser.add_argument("--secret-key", required=True, help="its secret access key")
    parser.add_argument("--region", required=True, help="the region presigned URLs must be scoped to")
    parser.add_argument("--bucket", default="lms-media", help="the one bucket (default: lms-media)")
    options = parser.parse_args()

    server = service.http_server(options, Handler)
    server.state = State(options.access_key, options.secret_key, options.region, options.bucket)
    detail = f" (bucket {options.bucket}, region {options.region})"
    service.run(options, "fake_s3.py", server.server_address[1], server.serve_forever, detail)


if __name__ == "__main__":
    main()
