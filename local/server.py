"""The local HTTP front: every route of template.yaml on 127.0.0.1, served by several worker
processes, each like one Lambda container.

python -m local.server            # embedded DynamoDB (moto), demo data loaded
WORKERS=4 python -m local.server  # four workers (default 2)
DYNAMODB_ENDPOINT_URL=http://127.0.0.1:8000 python -m local.server
TABLE_NAME=<deployed table> python -m local.server   # real DynamoDB, no demo data

This process (the master) prepares the store (the embedded DynamoDB runs in it: one store
for every worker), listens on the port, and starts WORKERS worker processes that accept
connections on that one socket. A worker serves one request at a time, with its own
imported handler modules and DynamoDB client, as one Lambda container does (Powertools'
resolver keeps the current event in class-level state: in-process threads cannot be
containers); requests are served concurrently by as many workers. A worker that dies is
replaced; the workers exit with the master.

What it mirrors of API Gateway in front of the handlers: the event's Host is the API's
own (here the address the front is bound to), never the caller's; X-Forwarded-Proto and
X-Forwarded-For are set; a body over 10 MiB gets API Gateway's REQUEST_TOO_LARGE answer
(413 `{"message":"Request Too Long"}`, which a template cannot customise); a header line
ending in a bare CR or LF, or folded, is refused (400) rather than split (RFC 9112).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import (
    WSGIRequestHandler,
    get_sockaddr,
    make_server,
    select_address_family,
)
from werkzeug.wrappers import Request, Response

from local import gateway, template

MAX_PAYLOAD = 10 * 1024 * 1024  # API Gateway's own limit
TOO_LARGE = b'{"message":"Request Too Long"}'  # its REQUEST_TOO_LARGE answer
DEFAULT_TABLE = "loyalty-memberships-local"
RAW_HEADERS = "loyalty.raw_headers"
DEFAULT_WORKERS = 2
MAX_WORKERS = 64
READY_WITHIN = 60.0  # seconds a worker may take to start listening


class _Serving:
    worker = 0  # this process's worker number (from 1); 0 outside a worker


serving = _Serving()


class _LineRecorder:
    """A request's input stream that remembers the lines read from it."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.lines: list[bytes] = []

    def readline(self, *args: Any) -> bytes:
        line: bytes = self.stream.readline(*args)
        self.lines.append(line)
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def well_formed(header_lines: list[bytes]) -> bool:
    """Each header line ends in CRLF, holds no other CR or LF, and is not folded."""
    return all(
        line.endswith(b"\r\n")
        and b"\r" not in line[:-2]
        and b"\n" not in line[:-2]
        and not line.startswith((b" ", b"\t"))
        for line in header_lines
    )


class RequestHandler(WSGIRequestHandler):
    """Keep headers exactly as sent: werkzeug drops names with "_", API Gateway does not
    (the Locomote seed sends X-USER_TOKEN); refuse header lines that are not well formed,
    which Python's parser would otherwise split into headers of their own."""

    protocol_version = "HTTP/1.1"  # as API Gateway answers (one request per connection)

    def parse_request(self) -> bool:
        recorder = _LineRecorder(self.rfile)
        self.rfile = recorder
        try:
            parsed = super().parse_request()
        finally:
            self.rfile = recorder.stream
        if parsed and not well_formed(recorder.lines):
            self.close_connection = True
            body = b'{"message":"Bad Request"}'
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            return False
        return parsed

    def make_environ(self) -> Any:
        environ = super().make_environ()
        environ[RAW_HEADERS] = list(self.headers.items())
        return environ


def own_host(environ: dict[str, Any]) -> str:
    """The front's own host:port, as API Gateway puts the API's own host in every event."""
    name = environ.get("SERVER_NAME") or "127.0.0.1"
    if name in ("0.0.0.0", "::"):  # bound to every interface: name one of them
        name = "localhost"
    elif ":" in name:
        name = f"[{name}]"
    return f"{name}:{environ.get('SERVER_PORT')}"


@Request.application  # type: ignore[arg-type]
def wsgi_app(request: Request) -> Response:
    request.max_content_length = MAX_PAYLOAD
    try:
        body = request.get_data()
    except RequestEntityTooLarge:
        return Response(TOO_LARGE, status=413, content_type="application/json")
    headers: dict[str, list[str]] = defaultdict(list)
    raw = request.environ.get(RAW_HEADERS) or list(request.headers.items())
    for name, value in raw:
        if name.lower() != "host":
            headers[name].append(value)
    # What API Gateway sets in front of every request.
    headers["Host"] = [own_host(request.environ)]
    headers["X-Forwarded-Proto"] = [request.scheme]
    headers["X-Forwarded-For"] = [request.remote_addr or "127.0.0.1"]
    answer = gateway.handle(request.method, request.path, headers, dict(request.args.lists()), body)
    where = f" (worker {serving.worker})" if serving.worker else ""
    print(f"{request.method} {request.full_path.rstrip('?')} -> {answer.status}{where}", flush=True)
    response = Response(answer.body, status=answer.status)
    response.headers.clear()
    for name, value in answer.headers:
        response.headers.add(name, value)
    return response


def prepare(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Point the layer at a DynamoDB (embedded unless told otherwise); create and seed it.

    Returns what was set up: {"endpoint", "table", "seeded", "server"}.
    """
    from local.admin import Admin
    from local.demo import seed, seed_memberships
    from local.dynamo import ensure_tables, start_embedded, use_local_credentials
    from loyalty_core import settings

    env = os.environ if environ is None else environ
    moto_server = None
    endpoint = env.get("DYNAMODB_ENDPOINT_URL")
    real_aws = bool(env.get("TABLE_NAME")) and not endpoint
    if not endpoint and not real_aws:
        moto_server, endpoint = start_embedded(int(env.get("DYNAMODB_PORT", "0")) or None)
    table = env.get("TABLE_NAME") or DEFAULT_TABLE
    for key, value in template.environment(table).items():
        if key != "TABLE_NAME":
            os.environ.setdefault(key, value)
    os.environ["TABLE_NAME"] = table
    if endpoint:
        os.environ["DYNAMODB_ENDPOINT_URL"] = endpoint
        use_local_credentials()
    settings.reset()
    seeded = False
    if not real_aws:
        admin = Admin()
        if ensure_tables(admin.client, table):
            seed(admin)
            seed_memberships()
            seeded = True
    jobs: dict[str, str] = {}
    if moto_server is not None:  # its S3 and SQS too: the company import and export jobs'
        from local import jobs as bulk
        from local import webhooks

        os.environ.setdefault("AWS_ENDPOINT_URL_S3", str(endpoint))
        os.environ.setdefault("AWS_ENDPOINT_URL_SQS", str(endpoint))
        settings.reset()
        jobs = bulk.prepare(*bulk.clients())
        os.environ.update(jobs)
        settings.reset()
        # webhooks: queues and key in the embedded server
        base = f"http://{env.get('HOST', '127.0.0.1')}:{env.get('PORT', '3000')}"
        webhooks.prepare(endpoint, base)
    return {
        "endpoint": endpoint,
        "table": table,
        "seeded": seeded,
        "server": moto_server,
        "jobs": jobs,
    }


def examples(base: str) -> str:
    users = f"{base}/api/users/098765/loyalty_memberships"
    concur = f"{base}/api/travelprofile/v1.0/loyalty"
    admin = "-H 'X-USER-USERNAME: admin@acme.example' -H 'X-USER-TOKEN: acme-admin-token'"
    body = (
        '{"data":{"type":"loyalty_memberships","attributes":{"account_number":"H66590214",'
        '"membership_name":"John Smith","level":"Gold","expires_on":"2031-01-01"},'
        '"relationships":{"user":{"data":{"id":"098765","type":"users"}},'
        '"loyalty_provider":{"data":{"id":"9c5b90ff-2cce-11e8-87f9-0662bed6e7db",'
        '"type":"loyalty_providers"}}}}}'
    )
    return "\n".join(
        [
            "Try it from this folder (demo credentials: docs/local.md):",
            f"  curl -s {admin} '{base}/api/loyalty_providers?filter%5Bcategory%5D=hotel'",
            f"  curl -si {admin} -H 'Content-Type: application/json' -X POST {users} -d '{body}'",
            f"  curl -s {admin} {users}",
            "  curl -s -H 'X-USER-USERNAME: john.smith@acme.example' "
            f"-H 'X-USER-TOKEN: john-token' {users}",
            "  curl -s -H 'Authorization: OAuth concur-supplier-token' "
            "-H 'Content-Type: application/xml' "
            f"--data-binary @examples/concur_supplier_update.xml {concur}",
            "  curl -s -H 'Authorization: OAuth concur-tmc-token' "
            "-H 'Content-Type: application/xml' "
            f"--data-binary @examples/concur_tmc_update.xml {concur}",
            f"  curl -s {admin} -H 'Content-Type: application/xml' "
            "--data-binary @examples/hotel_search_request.xml "
            f"'{base}/api/hotel/loyalty_cards/enrich?employee_id=112233'",
            f"  curl -s {admin} -H 'Content-Type: application/xml' "
            "--data-binary @examples/air_reservation_request.xml "
            f"{base}/api/loyalty_cards/enrich",
        ]
    )


def workers_wanted(environ: Mapping[str, str]) -> int:
    """WORKERS: how many worker processes (containers) serve requests at once."""
    text = environ.get("WORKERS", "").strip() or str(DEFAULT_WORKERS)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_WORKERS:
        raise ValueError(f"WORKERS must be a whole number from 1 to {MAX_WORKERS}, not {text!r}")
    return int(text)


def listen(host: str, port: int) -> socket.socket:
    """The front's one listening socket, which every worker accepts connections on."""
    family = select_address_family(host, port)
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(get_sockaddr(host, port, family))
    except OSError:
        listener.close()
        raise
    listener.listen(128)
    return listener


class Workers:
    """The worker processes: started on the listening socket, replaced when one dies, all
    stopped with the master (and each exits by itself if the master is gone)."""

    def __init__(self, listener: socket.socket, count: int) -> None:
        self.listener = listener
        self.processes: list[subprocess.Popen[bytes] | None] = [None] * count
        # Workers hold the read end; when the master exits, they read its end of file.
        self.lifeline, self._lifeline_held = os.pipe()
        self.stopping = False

    def _spawn(self, number: int) -> tuple[subprocess.Popen[bytes], int]:
        ready, ready_written = os.pipe()
        fds = (self.listener.fileno(), self.lifeline, ready_written)
        process = subprocess.Popen(  # noqa: S603 - this module, with numbers
            [sys.executable, "-m", "local.server", "--worker", str(number), *map(str, fds)],
            pass_fds=fds,
        )
        os.close(ready_written)
        return process, ready

    def _await_ready(self, process: subprocess.Popen[bytes], ready: int) -> bool:
        try:
            readable, _, _ = select.select([ready], [], [], READY_WITHIN)
            return bool(readable) and os.read(ready, 1) == b"1"
        finally:
            os.close(ready)

    def start(self) -> None:
        """Start every worker at once; return when all listen (raise if one cannot)."""
        spawned = [self._spawn(n) for n in range(len(self.processes))]
        for number, (process, ready) in enumerate(spawned):
            self.processes[number] = process
            if not self._await_ready(process, ready):
                raise RuntimeError(f"worker {number + 1} did not start (exit {process.poll()})")

    def watch(self, interval: float = 0.5) -> None:
        """Until stopped: replace a worker that died, as Lambda starts a new container."""
        while not self.stopping:
            time.sleep(interval)
            for number, process in enumerate(self.processes):
                if self.stopping or process is None or process.poll() is None:
                    continue
                print(f"worker {number + 1} exited ({process.returncode}); starting another")
                replacement, ready = self._spawn(number)
                self.processes[number] = replacement
                if not self._await_ready(replacement, ready):
                    raise RuntimeError(f"worker {number + 1} could not be restarted")

    def stop(self) -> None:
        self.stopping = True
        running = [p for p in self.processes if p is not None and p.poll() is None]
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        os.close(self._lifeline_held)


def serve_worker(number: int, listener: int, lifeline: int, ready: int) -> int:
    """One worker: serve requests from the master's socket, one at a time, until told to
    stop (SIGTERM, Ctrl-C) or the master is gone."""

    def exit_with_master() -> None:
        os.read(lifeline, 1)  # returns (end of file) only when the master has exited
        os._exit(0)

    threading.Thread(target=exit_with_master, daemon=True).start()
    serving.worker = number + 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # our own access line instead
    host = os.environ.get("HOST", "127.0.0.1")
    server = make_server(host, 0, wsgi_app, request_handler=RequestHandler, fd=listener)
    os.write(ready, b"1")
    os.close(ready)
    with contextlib.suppress(SystemExit):  # SIGTERM: stop between requests
        server.serve_forever()
    return 0


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "3000"))
    try:
        count = workers_wanted(os.environ)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        listener = listen(host, port)
    except OSError as err:
        print(f"error: cannot listen on {host}:{port}: {err.strerror}", file=sys.stderr)
        return 1
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the embedded DynamoDB's requests
    setup = prepare()
    routes = template.routes()
    base = f"http://{host}:{port}"
    print(
        f"DynamoDB: {setup['endpoint'] or 'AWS'} table {setup['table']}"
        + (" (demo data loaded)" if setup["seeded"] else "")
    )
    print(f"Serving {len(routes)} routes from template.yaml on {base}")
    for route in sorted(routes, key=lambda r: (r.path, r.method == "ANY", r.method)):
        print(f"  {route.method:7} {route.path}  -> {route.function}")
    if setup["endpoint"]:
        print(
            "Admin CLI against it (another shell):\n"
            f"  DYNAMODB_ENDPOINT_URL={setup['endpoint']} TABLE_NAME={setup['table']} "
            ".venv/bin/python -m local.admin --help"
        )
    print(f"API reference (Swagger UI, demo credentials in docs/local.md): {base}/docs")
    print(examples(base))
    pump = None
    if setup["server"] is not None:  # webhooks: the embedded store's stream and queue
        from local import webhooks

        pump = webhooks.Pump(setup["endpoint"], setup["table"]).start()
        print("Webhooks: the stream and the delivery queue are pumped here (docs/webhooks.md)")
    workers = Workers(listener, count)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    jobs_pump = None
    if setup["jobs"]:
        from local import jobs

        jobs_pump = jobs.start(setup["jobs"])
        print(
            f"Company import and export jobs: bucket {setup['jobs']['BULK_BUCKET']} (docs/bulk.md)"
        )
    try:
        workers.start()
        print(
            f"{count} workers, each one request at a time like a Lambda container "
            "(WORKERS=<n> to change)"
        )
        print("Ready (Ctrl-C stops).", flush=True)
        workers.watch()
    except (KeyboardInterrupt, SystemExit):  # Ctrl-C, SIGTERM
        pass
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        workers.stop()
        if jobs_pump is not None:
            jobs_pump.terminate()
        listener.close()
        if pump is not None:
            pump.stop()
        # The embedded store stops with this process (its thread is a daemon).
    return 0


def exit_now(code: int) -> None:
    """Exit without the interpreter's teardown: everything that had to stop has stopped, and
    tearing down the imported modules and the embedded store's state took up to a second of
    every `make run`'s end (and of every end-to-end test module's)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:  # started by the master: number, then its three fds
        exit_now(serve_worker(*map(int, sys.argv[2:6])))
    exit_now(main())
