#!/usr/bin/env python3
"""bench_prom.py BUILD_DIR - the Prometheus issue's figures (targets in brackets):
one observation of every default signal against a local Prometheus, /metrics throughput
under wrk, and the peak RSS of an idle `nodefleet run`. Starts its own lab (tests/prom)."""
import json
import os
import re
import statistics
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "prom"))
import harness  # noqa: E402

build = sys.argv[1] if len(sys.argv) > 1 else "build"
nf = os.path.abspath(os.path.join(build, "nodefleet"))
maxrss = os.path.abspath(os.path.join(build, "bench", "maxrss"))
wrk = harness.need("wrk")

lab = harness.Lab()
lab.set(nodes=5, pending=1, queue_depth=3,
        latency_rates={"0.1": 50, "0.5": 90, "1": 99, "+Inf": 100},
        request_rates={"200": 99, "500": 1})
time.sleep(3)
env = {"PATH": os.environ["PATH"]}
base = ["--set", "prometheus_url=" + lab.url]
# `run` without a cloud: the metrics alone, the state in a file (the shipped defaults are EC2
# and DynamoDB)
run_base = base + ["--set", "cluster=prometheus", "--set", "cloud=none",
                   "--set", "store=sqlite:" + os.path.join(lab.dir, "state.db")]

walls = []
for _ in range(20):
    t0 = time.perf_counter()
    r = subprocess.run([nf, "observe"] + base, env=env, capture_output=True, text=True)
    walls.append(time.perf_counter() - t0)
    assert r.returncode == 0, r.stderr
walls.sort()
print("observe, every default signal (6 range queries over the 10-min window at 15 s + the "
      "node count), as a process: median %.1f ms, p95 %.1f ms   [< 50 ms]"
      % (statistics.median(walls) * 1e3, walls[18] * 1e3))

# /metrics under load
log = open(os.path.join(lab.dir, "run.log"), "w+")
run = subprocess.Popen([nf, "run", "--set", "server.listen=127.0.0.1:0", "--set", "interval=1s"]
                       + run_base, env=env, stderr=log, stdout=subprocess.DEVNULL)


def port():
    log.flush()
    with open(log.name) as f:
        for line in f:
            rec = json.loads(line)
            if rec["msg"] == "nodefleet started":
                return rec["port"]
    return None


p = harness.wait_for(port, "nodefleet run")
time.sleep(2)
out = subprocess.run([wrk, "-t2", "-c16", "-d5s", "http://127.0.0.1:%d/metrics" % p],
                     capture_output=True, text=True).stdout
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
lat = re.search(r"Latency\s+(\S+)", out).group(1)
size = len(harness.http_get("http://127.0.0.1:%d/metrics" % p)[1])
print("/metrics under wrk (2 threads, 16 connections, 5 s, %d-byte page): %.0f requests/s, "
      "mean latency %s   [>= 2,000/s]" % (size, rps, lat))
run.terminate()
run.wait()

# idle daemon, 20 cycles at 1 s, under the RSS launcher
r = subprocess.run([maxrss, nf, "run", "--cycles", "20", "--set", "interval=1s",
                    "--set", "server.listen=127.0.0.1:0"] + run_base, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
kb = int(r.stderr.strip().splitlines()[-1].split()[0].split("=")[1])
print("nodefleet run, idle, 20 cycles with /metrics up: peak RSS %.1f MB   [< 10 MB]" % (kb / 1024))
