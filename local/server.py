"""The local HTTP front: every route of template.yaml on 127.0.0.1, handlers in-process.

python -m local.server            # embedded DynamoDB (moto), demo data loaded
DYNAMODB_ENDPOINT_URL=http://127.0.0.1:8000 python -m local.server
TABLE_NAME=<deployed table> python -m local.server   # real DynamoDB, no demo data

What it mirrors of API Gateway in front of the handlers: the event's Host is the API's
own (here the address the front is bound to), never the caller's; X-Forwarded-Proto and
X-Forwarded-For are set; a body over 10 MiB gets API Gateway's REQUEST_TOO_LARGE answer
(413 `{"message":"Request Too Long"}`, which a template cannot customise); a header line
ending in a bare CR or LF, or folded, is refused (400) rather than split (RFC 9112).
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from local import gateway, template

MAX_PAYLOAD = 10 * 1024 * 1024  # API Gateway's own limit
TOO_LARGE = b'{"message":"Request Too Long"}'  # its REQUEST_TOO_LARGE answer
DEFAULT_TABLE = "loyalty-memberships-local"
RAW_HEADERS = "loyalty.raw_headers"


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
    print(f"{request.method} {request.full_path.rstrip('?')} -> {answer.status}", flush=True)
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
    if moto_server is not None:  # webhooks: queues and key in the embedded server
        from local import webhooks

        base = f"http://{env.get('HOST', '127.0.0.1')}:{env.get('PORT', '3000')}"
        webhooks.prepare(endpoint, base)
    return {"endpoint": endpoint, "table": table, "seeded": seeded, "server": moto_server}


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
            "Try it from this folder (demo credentials, see README):",
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
        ]
    )


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "3000"))
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
    server = make_server(host, port, wsgi_app, threaded=True, request_handler=RequestHandler)
    pump = None
    if setup["server"] is not None:  # webhooks: the stream and the queue of the embedded store
        from local import webhooks

        pump = webhooks.Pump(setup["endpoint"], setup["table"]).start()
        print(
            "Webhooks: the stream and the delivery queue are pumped in-process (README, Webhooks)"
        )
    if setup["endpoint"]:
        print(
            "Admin CLI against it (another shell):\n"
            f"  DYNAMODB_ENDPOINT_URL={setup['endpoint']} TABLE_NAME={setup['table']} "
            ".venv/bin/python -m local.admin --help"
        )
    print(f"API reference (Swagger UI, demo credentials in README): {base}/docs")
    print(examples(base))
    print("Ready (Ctrl-C stops).", flush=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # our own access line instead
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if pump is not None:
            pump.stop()
        if setup["server"] is not None:
            setup["server"].stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
