#!/usr/bin/env python3
"""bench_once.py BUILD_DIR - `nodefleet once` against the end-to-end lab (moto, our API server,
a real Prometheus): one whole cycle as a fresh process, the way cron or a timer runs it, with
nothing to do (two Ready workers, their pods placed). Shipped defaults, but for the lab's own
settings (its Prometheus query, CloudWatch namespace and port). Prints the median and p90 wall
time of 15 runs, and nodefleet's own CPU time - the rest is waiting on the three sources and
the store, which the cycle now observes at the same time (the cloud, the cluster, the
metrics)."""
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import e2elab  # noqa: E402

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
print("starting the lab (moto, API server, Prometheus)...", file=sys.stderr)
L = e2elab.Lab(build)
args = [L.nodefleet, "once", "--set", "min_nodes=2"]
for s in L.LAB_SETTINGS:
    args += ["--set", s]
# bring the pool to min_nodes and let it settle
for _ in range(60):
    subprocess.run(args, env=L.env(), capture_output=True, timeout=120)
    nodes = [n for n in L.nodes() if n["status"]["conditions"][0]["status"] == "True"]
    if len(nodes) == 2:
        break
    time.sleep(1)
L.scale(2)
time.sleep(3)
walls, cpus = [], []
for _ in range(15):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(args, env=L.env(), capture_output=True, text=True, timeout=120)
    walls.append(time.monotonic() - t0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    if r.returncode != 0:
        sys.exit("bench_once: once failed: " + r.stderr[-500:])
walls.sort()
print("nodefleet once against the lab, nothing to do, shipped defaults (15 runs): median %.1f ms, "
      "p90 %.1f ms wall; nodefleet's own CPU median %.1f ms   [< 50 ms median]"
      % (statistics.median(walls) * 1000, walls[int(len(walls) * 0.9) - 1] * 1000,
         statistics.median(cpus) * 1000))
