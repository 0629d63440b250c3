#!/usr/bin/env python3
"""A fault-injecting HTTP proxy, put between nodefleet and a real server.

    proxy.py UPSTREAM PORTFILE [--serial]     e.g. proxy.py http://127.0.0.1:9090 /tmp/port

--serial forwards one request at a time. moto_server answers requests on many threads and
checks a DynamoDB ConditionExpression and applies the update without a lock, so two
concurrent conditional writes can both succeed there; real DynamoDB (and dynalite) apply each
one atomically. Serialising restores the guarantee the lease is written against.

POST /__mode with {"mode": M, ...} sets what it does to each request (other paths are
forwarded to UPSTREAM):
  pass       forward unchanged
  delay      wait "delay_s" seconds, then forward
  huge       answer 200 with "size" bytes of a JSON-looking body
  malformed  answer 200, application/json, with a body that is not JSON
  status     answer "status" (e.g. 500 or 429) with a short text body
  reply      answer "status" with "content_type", "body" (e.g. an AWS error document),
             optional "headers" and "date" (the Date header, to show a skewed clock)
  down       close the connection without answering
  skew       the server's clock is "skew_s" seconds off: a request whose X-Amz-Date is more
             than 5 minutes from it is refused as AWS refuses it (EC2: 400
             RequestTimeTooSkewed; a JSON service: 400 InvalidSignatureException "Signature
             expired"), each answer (refusals and the ones passed on) dated by that clock
"match" (optional) limits the fault to requests whose path, headers or body contain that
text, or every text of a list (an AWS JSON operation is named only in the X-Amz-Target header);
"count" (optional) faults only that many matching requests, then passes them again.
"latency_s" (optional, any mode) holds every request that long before it is handled: a
fixed network latency.
GET /__stats returns {"requests": N, "faulted": N}; GET /__log the requests seen, each
{"t0": start, "t1": answered (Unix s), "what": the AWS operation or the path}, and empties it.
"""
import calendar
import email.utils
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler

from procs import serve

upstream = sys.argv[1].rstrip("/")
lock = threading.Lock()
serial = threading.Lock() if "--serial" in sys.argv[3:] else None
mode = {"mode": "pass"}
stats = {"requests": 0, "faulted": 0}
seen = []


def what_of(path, headers, body):
    """The AWS operation (JSON target or Query Action) or the path, for the log."""
    target = headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1]
    for part in (body or b"").decode("utf-8", "replace").split("&"):
        if part.startswith("Action="):
            return part[7:]
    return path.split("?")[0]


def skew_refusal(headers, skew_s):
    """(status, content type, body) of AWS's refusal of a request signed too far from the
    server's clock (now + skew_s), or None when its X-Amz-Date is within 5 minutes."""
    stamp = headers.get("X-Amz-Date", "")
    try:
        signed = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        signed = 0
    server = time.time() + skew_s
    if abs(signed - server) <= 300:
        return None
    server_s = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(server))
    if headers.get("X-Amz-Target"):
        return (400, "application/x-amz-json-1.0", json.dumps({
            "__type": "com.amazon.coral.service#InvalidSignatureException",
            "message": "Signature expired: %s is now earlier than %s (%s - 5 min.)"
                       % (stamp, server_s, server_s)}).encode())
    return (400, "text/xml", ("<Response><Errors><Error><Code>RequestTimeTooSkewed</Code>"
                              "<Message>The difference between the request time and the current"
                              " time is too large.</Message></Error></Errors><RequestID>skew"
                              "</RequestID></Response>").encode())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, ctype, body, date=None, headers=None):
        if date is None:
            self.send_response(status)
        else:  # a chosen Date (to show a skewed server clock)
            self.send_response_only(status)
            self.send_header("Date", date)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reply_from(self, status, headers, body, skew_s=None):
        """Pass an upstream answer on, with the headers clients read (request ids, error
        types, Date for clock skew); with `skew_s`, dated by a clock that far off."""
        if skew_s is None:
            self.send_response(status)
        else:
            self.send_response_only(status)
            self.send_header("Date", email.utils.formatdate(time.time() + skew_s, usegmt=True))
        for h, v in headers.items():
            if h.lower() not in ("content-length", "transfer-encoding", "connection", "date",
                                 "server"):
                self.send_header(h, v)
        if headers.get("Date"):
            self.send_header("X-Upstream-Date", headers["Date"])
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

    def do_PUT(self):
        self.forward()

    def do_GET(self):
        if self.path in ("/__stats", "/__log"):
            with lock:
                body = json.dumps(stats if self.path == "/__stats" else seen).encode()
                if self.path == "/__log":
                    seen.clear()
            self.reply(200, "application/json", body)
            return
        self.forward()

    def forward(self):
        t0 = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        try:
            self.handle_forward(body)
        finally:
            with lock:
                seen.append({"t0": t0, "t1": time.time(),
                             "what": what_of(self.path, self.headers, body)})
                del seen[:-10000]

    def handle_forward(self, body):
        text = "%s\n%s\n%s" % (self.path, self.headers, (body or b"").decode("utf-8", "replace"))
        with lock:
            m = dict(mode)
            stats["requests"] += 1
            want = m.get("match", "")
            faulty = m["mode"] != "pass" and all(
                w in text for w in (want if isinstance(want, list) else [want]))
            if faulty and "count" in m:
                if mode.get("count", 0) <= 0:
                    faulty = False
                else:
                    mode["count"] -= 1
            if faulty:
                stats["faulted"] += 1
        if m.get("latency_s"):
            time.sleep(float(m["latency_s"]))
        if faulty:
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
            elif m["mode"] == "reply":
                self.reply(int(m.get("status", 400)), m.get("content_type", "text/xml"),
                           m.get("body", "").encode(), m.get("date"), m.get("headers"))
                return
            elif m["mode"] == "down":
                self.close_connection = True
                return
            elif m["mode"] == "skew":
                refusal = skew_refusal(self.headers, float(m.get("skew_s", 900)))
                if refusal:
                    self.reply(*refusal, date=email.utils.formatdate(
                        time.time() + float(m.get("skew_s", 900)), usegmt=True))
                    return
        req = urllib.request.Request(upstream + self.path, data=body, method=self.command)
        for h, v in self.headers.items():
            if h.lower() not in ("host", "content-length", "connection", "accept-encoding"):
                req.add_header(h, v)
        req.add_header("Host", self.headers.get("Host", ""))
        if serial:
            serial.acquire()
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, headers, answer = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, headers, answer = e.code, e.headers, e.read()
        except OSError:
            self.close_connection = True
            return
        finally:
            if serial:
                serial.release()
        self.reply_from(status, headers, answer,
                        float(m.get("skew_s", 900)) if faulty and m["mode"] == "skew" else None)


def main():
    serve(Handler, sys.argv[2])


if __name__ == "__main__":
    main()
