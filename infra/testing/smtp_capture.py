#!/usr/bin/env python3
"""An SMTP server that captures what it receives, for tests of the mail library.

Every accepted message becomes two files in --folder, written atomically, the JSON last:
    NNNN.eml    the DATA exactly as received (CRLF line endings, dot-unstuffed)
    NNNN.json   the envelope: {"mail_from", "rcpt_tos", "mail_options", "rcpt_options",
                "auth_mechanism", "auth_login", "peer", "helo", "eml": "NNNN.eml"}

Options that shape the answers:
    --username U --password P   require AUTH (PLAIN or LOGIN, without TLS) with these
                                credentials; a wrong pair gets 535, MAIL before AUTH gets 530
    --auth-mechanism M          offer only mechanism M (repeatable: PLAIN, LOGIN)
    --fail-first N              answer the first N deliveries (end of DATA) with
                                `451 4.3.0 try later`; nothing is written for them
    --reject-recipient ADDR     answer RCPT TO:<ADDR> with `550 5.1.1 no such user`
                                (repeatable)

Runs in the foreground until SIGTERM or SIGINT, or until the process that started it exits.
--port 0 picks a free port; --port-file FILE receives it once the server accepts connections.

    python3 infra/testing/smtp_capture.py --folder /tmp/mail --port 2525
    SMTP_URL=smtp://127.0.0.1:2525 ...

Needs the Python package `aiosmtpd` (python3 -m pip install aiosmtpd).
"""

import asyncio
import json
import logging
import os
import sys
import warnings

import service

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError as error:
    sys.stderr.write(
        "smtp_capture.py: the Python package 'aiosmtpd' is required "
        f"(python3 -m pip install aiosmtpd): {error}\n"
    )
    sys.exit(3)


class Capture:
    """The aiosmtpd handler: decides the answers and writes what it accepts."""

    def __init__(self, folder, fail_first, rejected):
        self.folder = folder
        self.failures_left = fail_first
        self.rejected = {address.lower() for address in rejected}
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.rejected:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.failures_left > 0:
            self.failures_left -= 1
            return "451 4.3.0 try later"
        self.count += 1
        name = f"{self.count:04d}"
        auth = session.auth_data if isinstance(session.auth_data, dict) else {}
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "rcpt_options": envelope.rcpt_options,
            "auth_mechanism": auth.get("mechanism"),
            "auth_login": auth.get("login"),
            "peer": list(session.peer) if session.peer else None,
            "helo": session.host_name,
            "eml": f"{name}.eml",
        }
        service.write_file(os.path.join(self.folder, f"{name}.eml"), envelope.original_content)
        service.write_file(os.path.join(self.folder, f"{name}.json"), json.dumps(record, indent=2).encode())
        return "250 2.0.0 OK captured"


def authenticator_for(username, password):
    expected = LoginPassword(username.encode(), password.encode())

    def authenticate(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data == expected:
            return AuthResult(success=True, auth_data={"mechanism": mechanism, "login": username})
        return AuthResult(success=False, handled=False)

    return authenticate


def smtp_options(arguments):
    options = {"hostname": "capture.local", "enable_SMTPUTF8": True}
    if arguments.username is not None:
        # Plain-text AUTH is the point here: the server only ever listens on loopback in tests.
        options.update(
            authenticator=authenticator_for(arguments.username, arguments.password or ""),
            auth_required=True,
            auth_require_tls=False,
        )
        if arguments.auth_mechanism:
            offered = {mechanism.upper() for mechanism in arguments.auth_mechanism}
            options["auth_exclude_mechanism"] = [m for m in ("PLAIN", "LOGIN") if m not in offered]
    return options


def main():
    parser = service.arguments("Capture SMTP deliveries as files (tests only).", default_port=2525)
    parser.add_argument("--folder", required=True, help="where NNNN.eml and NNNN.json go")
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--auth-mechanism", action="append", choices=["PLAIN", "LOGIN"])
    parser.add_argument("--fail-first", type=int, default=0, metavar="N")
    parser.add_argument("--reject-recipient", action="append", default=[], metavar="ADDR")
    arguments = parser.parse_args()
    os.makedirs(arguments.folder, exist_ok=True)
    # aiosmtpd warns that AUTH without TLS is insecure (intended here) and about its own
    # deprecated attributes: noise in test logs.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    handler = Capture(arguments.folder, arguments.fail_first, arguments.reject_recipient)
    options = smtp_options(arguments)
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(handler, loop=loop, **options), host=arguments.host, port=arguments.port)
    )
    port = server.sockets[0].getsockname()[1]
    service.run(arguments, "smtp_capture.py", port, loop.run_forever, f", writing to {arguments.folder}")


if __name__ == "__main__":
    main()
