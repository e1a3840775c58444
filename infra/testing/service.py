"""What every fake outside service in this folder shares: the command line (--host, --port,
--port-file), announcing the port once the server accepts connections, and running until
SIGTERM or SIGINT, or until the process that started it exits (a crashed test leaves nothing
behind). Tests start them through Tests/TestSupport/FakeService.swift.

A new fake is its request handler plus a main like this:

    options = service.arguments("A fake payment provider, for tests.").parse_args()
    server = service.http_server(options, Handler)
    service.run(options, "fake_pay.py", server.server_address[1], server.serve_forever)
"""

import argparse
import os
import signal
import sys
import threading
from http.server import ThreadingHTTPServer


def arguments(description, default_port=0):
    """A parser with the options every fake takes; add the service's own to it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port, help="0 picks a free port")
    parser.add_argument("--port-file", help="receives the port once the server accepts connections")
    return parser


def http_server(options, handler):
    """A threading HTTP server bound to --host and --port, not yet serving."""
    server = ThreadingHTTPServer((options.host, options.port), handler)
    server.daemon_threads = True
    return server


def write_file(path, data, mode=0o644):
    """Whole or not at all: a reader polling for the file never sees half of it."""
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def run(options, name, port, serve, detail=""):
    """Runs `serve` (the server's loop) in a thread, announces `port` on stderr and in
    --port-file, and returns on SIGTERM or SIGINT or once the parent has exited."""
    parent = os.getppid()
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    # A parent may have started us with these blocked (threads of a Swift test process do).
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    threading.Thread(target=serve, daemon=True).start()
    if options.port_file:
        write_file(options.port_file, f"{port}\n".encode())
    sys.stderr.write(f"{name}: listening on {options.host}:{port}{detail}\n")
    sys.stderr.flush()
    # Wakes twice a second to notice being re-parented; signal handlers run in between.
    while not stopped.wait(0.5):
        if os.getppid() != parent:
            break
