"""runtimeapi.py - the Lambda Runtime API (2018-06-01) on loopback, for the tests that run
`nodefleet lambda` (tests/e2e/test_modes.py) and the chaos soak's Lambda mode."""
import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RuntimeAPI:
    """The Lambda Runtime API (2018-06-01) as the docs describe it: GET .../invocation/next
    blocks until an event and names it in Lambda-Runtime-Aws-Request-Id; answers go to
    .../invocation/{id}/response or /error, a failed start to .../init/error; each is
    acknowledged with 202 (or whatever `answer_status` says)."""

    def __init__(self):
        self.events = queue.Queue()
        self.posts = []
        self.answer_status = 202
        self.deadline_s = 60  # the invocation's time: Lambda-Runtime-Deadline-Ms from now
        self.handed = []  # (request id, Unix s handed out)
        api = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != "/2018-06-01/runtime/invocation/next":
                    return self.reply(404, b'{"errorMessage": "no such path"}')
                try:
                    rid, body = api.events.get(timeout=60)
                except queue.Empty:
                    return self.reply(500, b'{"errorMessage": "no event"}')
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Lambda-Runtime-Aws-Request-Id", rid)
                api.handed.append((rid, time.time()))
                self.send_header("Lambda-Runtime-Deadline-Ms",
                                 str(int((time.time() + api.deadline_s) * 1000)))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                                 "arn:aws:lambda:us-east-1:123456789012:function:nodefleet")
                self.send_header("Lambda-Runtime-Trace-Id",
                                 "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                api.posts.append({"path": self.path, "body": body.decode(), "t": time.time(),
                                  "error_type": self.headers.get(
                                      "Lambda-Runtime-Function-Error-Type")})
                self.reply(api.answer_status, b'{"status": "OK"}')

            def reply(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.addr = "127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def event(self, rid):
        """An EventBridge scheduled event, as Lambda delivers it."""
        body = json.dumps({"version": "0", "id": rid, "detail-type": "Scheduled Event",
                           "source": "aws.events", "account": "123456789012",
                           "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                           "region": "us-east-1", "resources": [
                               "arn:aws:events:us-east-1:123456789012:rule/nodefleet"],
                           "detail": {}}).encode()
        self.events.put((rid, body))

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()
