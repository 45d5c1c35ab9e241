"""A partner's webhook receiver: each event verified with standardwebhooks (the raw body,
the secret shown when the subscription was made), then printed.

    WEBHOOK_SECRET=whsec_... python examples/webhook_receiver.py --port 8765 [--count 1]

With --count it stops after that many events, or after a minute with none.
"""

import argparse
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

hook = Webhook(os.environ["WEBHOOK_SECRET"])


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            event = hook.verify(body, dict(self.headers))  # refuses a tampered or stale one
        except WebhookVerificationError:
            self.send_response(400)
            self.end_headers()
            return
        actions = ",".join(c["action"] for c in event["data"].get("changes", []))
        print("verified", event["type"], event.get("subject", ""), actions, flush=True)
        self.send_response(204)
        self.end_headers()
        self.server.received += 1  # type: ignore[attr-defined]

    def do_GET(self) -> None:  # "are you up?"
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--count", type=int, help="stop after this many events")
    args = parser.parse_args()
    server = HTTPServer(("127.0.0.1", args.port), Receiver)
    server.received = 0  # type: ignore[attr-defined]
    if args.count is None:
        server.serve_forever()
    server.timeout = 60
    server.handle_timeout = lambda: exit("no event within a minute")  # type: ignore[method-assign]
    while server.received < args.count:  # type: ignore[attr-defined]
        server.handle_request()
