#!/usr/bin/env python3
# webhook_receiver.py - a webhook receiver for the tests: it appends one
# JSON line per request to LOG (the headers the sender sets, the body as
# received, and whether the signature is the HMAC-SHA256 of the body with
# SECRET) and answers STATUS. Usage:
#
#	webhook_receiver.py PORT STATUS LOG SECRET
#
# It listens on 127.0.0.1 only and runs until it is killed.
import hashlib
import hmac
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    port, status, log, secret = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            sig = self.headers.get("X-Ticket-Signature", "")
            want = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            record = {
                "path": self.path,
                "type": self.headers.get("Content-Type"),
                "event": self.headers.get("X-Ticket-Event"),
                "delivery": self.headers.get("X-Ticket-Delivery"),
                "signature": sig,
                "signed": hmac.compare_digest(sig, want),
                "status": status,
                "body": body.decode("utf-8"),
            }
            with open(log, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
