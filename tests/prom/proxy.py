#!/usr/bin/env python3
"""A fault-injecting HTTP proxy, put between nodefleet and a real server.

    proxy.py UPSTREAM PORTFILE     e.g. proxy.py http://127.0.0.1:9090 /tmp/port

POST /__mode with {"mode": M, ...} sets what it does to each request (other paths are
forwarded to UPSTREAM):
  pass       forward unchanged
  delay      wait "delay_s" seconds, then forward
  huge       answer 200 with "size" bytes of a JSON-looking body
  malformed  answer 200, application/json, with a body that is not JSON
  status     answer "status" (e.g. 500 or 429) with a short text body
  down       close the connection without answering
"match" (optional) limits the fault to requests whose path contains that text.
GET /__stats returns {"requests": N, "faulted": N}.
"""
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

upstream = sys.argv[1].rstrip("/")
lock = threading.Lock()
mode = {"mode": "pass"}
stats = {"requests": 0, "faulted": 0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, ctype, body):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        if self.path == "/__mode":
            data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                mode.clear()
                mode.update(data)
            self.reply(200, "text/plain", b"ok\n")
            return
        self.forward()

    def do_GET(self):
        if self.path == "/__stats":
            with lock:
                body = json.dumps(stats).encode()
            self.reply(200, "application/json", body)
            return
        self.forward()

    def forward(self):
        with lock:
            m = dict(mode)
            stats["requests"] += 1
        faulty = m["mode"] != "pass" and m.get("match", "") in self.path
        if faulty:
            with lock:
                stats["faulted"] += 1
            if m["mode"] == "delay":
                time.sleep(float(m.get("delay_s", 3)))
            elif m["mode"] == "huge":
                size = int(m.get("size", 20 * 1024 * 1024))
                self.reply(200, "application/json", b'{"status":"success","data":"' +
                           b"x" * size + b'"}')
                return
            elif m["mode"] == "malformed":
                self.reply(200, "application/json", b'{"status":"success","data":{"resultT')
                return
            elif m["mode"] == "status":
                self.reply(int(m.get("status", 500)), "text/plain", b"injected failure\n")
                return
            elif m["mode"] == "down":
                self.close_connection = True
                return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        req = urllib.request.Request(upstream + self.path, data=body, method=self.command)
        for h in ("Authorization", "Content-Type"):
            if self.headers.get(h):
                req.add_header(h, self.headers[h])
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                self.reply(r.status, r.headers.get("Content-Type", ""), r.read())
        except urllib.error.HTTPError as e:
            self.reply(e.code, e.headers.get("Content-Type", ""), e.read())
        except OSError:
            self.close_connection = True


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    srv.serve_forever()


if __name__ == "__main__":
    main()
