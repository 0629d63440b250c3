#!/usr/bin/env python3
"""A test exporter: kube-state-metrics-shaped and application series with values the test
sets, so each of nodefleet's default queries can be checked against a known answer.

    exporter.py PORTFILE      serve on 127.0.0.1 (a free port, written to PORTFILE)

GET /metrics serves the current state; POST /set merges a JSON object into it:
  nodes          kube_node_info series (one per node)
  pending        pods in phase Pending (kube_pod_status_phase), running: pods Running
  queue_depth    app_queue_depth{queue="default"} (null: not exported)
  latency_rates  {le: cumulative requests/s} for http_request_duration_seconds_bucket
  request_rates  {status: requests/s} for http_requests_total
  gauges         {name: value} extra gauges, exported as is
Counters grow at their rates from the moment a rate is set, so rate() is exact.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from procs import serve  # noqa: E402

lock = threading.Lock()
state = {"nodes": 3, "pending": 0, "running": 6, "queue_depth": None, "latency_rates": {},
         "request_rates": {}, "gauges": {}}
counters = {}  # key -> [base, rate, since]


def counter(key, rate):
    now = time.time()
    c = counters.get(key)
    if c is None:
        c = counters[key] = [0.0, rate, now]
    elif c[1] != rate:
        c[0] += c[1] * (now - c[2])
        c[1], c[2] = rate, now
    return c[0] + c[1] * (now - c[2])


def render():
    out = []
    with lock:
        s = json.loads(json.dumps(state))
    out.append("# TYPE kube_node_info gauge")
    for i in range(s["nodes"]):
        out.append('kube_node_info{node="node-%d"} 1' % i)
    out.append("# TYPE kube_pod_status_phase gauge")
    pods = [("Pending", s["pending"]), ("Running", s["running"])]
    n = 0
    for phase, count in pods:
        for _ in range(count):
            for p in ("Pending", "Running", "Succeeded", "Failed", "Unknown"):
                out.append('kube_pod_status_phase{namespace="shop",pod="web-%d",phase="%s"} %d'
                           % (n, p, 1 if p == phase else 0))
            n += 1
    if s["queue_depth"] is not None:
        out.append("# TYPE app_queue_depth gauge")
        out.append('app_queue_depth{queue="default"} %r' % float(s["queue_depth"]))
    if s["latency_rates"]:
        out.append("# TYPE http_request_duration_seconds histogram")
        for le, rate in s["latency_rates"].items():
            out.append('http_request_duration_seconds_bucket{le="%s"} %r'
                       % (le, counter(("lat", le), float(rate))))
    if s["request_rates"]:
        out.append("# TYPE http_requests_total counter")
        for status, rate in s["request_rates"].items():
            out.append('http_requests_total{status="%s"} %r'
                       % (status, counter(("req", status), float(rate))))
    for name, value in s["gauges"].items():
        out.append("# TYPE %s gauge" % name)
        out.append("%s %r" % (name, float(value)))
    return ("\n".join(out) + "\n").encode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path != "/metrics":
            self.send_error(404)
            return
        body = render()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        if self.path != "/set":
            self.send_error(404)
            return
        data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with lock:
            state.update(data)
        self.send_response(204)
        self.end_headers()


def main():
    serve(Handler, sys.argv[1])


if __name__ == "__main__":
    main()
