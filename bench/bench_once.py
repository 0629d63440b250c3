#!/usr/bin/env python3
"""bench_once.py BUILD_DIR - `nodefleet once` against the end-to-end lab (moto, our API server,
a real Prometheus): one whole cycle as a fresh process, the way cron or a timer runs it, with
nothing to do (two Ready workers, their pods placed). Shipped defaults, but for the lab's own
settings (its Prometheus query, CloudWatch namespace and port). Prints the median and p90 wall
time of 15 runs, and nodefleet's own CPU time - the rest is waiting on the three sources and
the store, which the cycle now observes at the same time (the cloud, the cluster, the
metrics)."""
import json
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

# -- the same with a network's latency: 20 ms on every AWS and Prometheus request (proxies in
# front of moto and Prometheus), 50 ms on every API server request (the API server's own)
from procs import start as start_proc, port_from, http_post_json  # noqa: E402
AWS_MS, PROM_MS, KUBE_MS = 20, 20, 50
pproxy = start_proc([sys.executable, os.path.join(HERE, "..", "tests", "lib", "proxy.py"),
                     L.prom_url, os.path.join(L.dir, "pproxy.port")])
prom_proxy = "http://127.0.0.1:%d" % port_from(os.path.join(L.dir, "pproxy.port"), pproxy,
                                                "proxy")
for url, ms in ((L.aws.proxy_url, AWS_MS), (prom_proxy, PROM_MS)):
    http_post_json(url + "/__mode", {"mode": "pass", "latency_s": ms / 1000})
L.kube.mode(latency_s=KUBE_MS / 1000)
env = L.env(endpoint=L.aws.proxy_url, PROMETHEUS_URL=prom_proxy)
slow = []
for i in range(11):
    for url in (L.aws.proxy_url, prom_proxy):
        e2elab.http_get(url + "/__log")  # emptied
    kube_from = len(L.kube.log())
    t0 = time.time()
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    slow.append(time.time() - t0)
    if r.returncode != 0:
        sys.exit("bench_once: once failed with latency: " + r.stderr[-500:])
aws = json.loads(e2elab.http_get(L.aws.proxy_url + "/__log")[1])
prom = json.loads(e2elab.http_get(prom_proxy + "/__log")[1])
kube = [e for e in L.kube.log()[kube_from:] if not e["path"].startswith("/__")]
L.kube.mode(latency_s=0)
# the longest chain of dependent calls, as the issue defines it: the store's calls before the
# observation (the lease), the slowest observation (the cloud's calls one after another; the
# Kubernetes kinds at once, so one kind's pages; the signals at once, so one query), the
# store's calls after it (state, release); CloudWatch's publishing comes after the release
obs_start = min([e["t0"] for e in aws if e["what"].startswith("Describe")] +
                [e["t"] - KUBE_MS / 1000 for e in kube] + [e["t0"] for e in prom])
obs_end = max([e["t1"] for e in aws if e["what"].startswith("Describe")] +
              [e["t"] for e in kube] + [e["t1"] for e in prom])
before = [e for e in aws if e["t1"] <= obs_start + 0.001]
after = [e for e in aws if e["t0"] >= obs_end - 0.001 and e["what"] != "PutMetricData"]
publish = [e for e in aws if e["what"] == "PutMetricData"]
cloud = [e for e in aws if e["what"].startswith("Describe")]
pages = {}
for e in kube:
    pages[e["path"]] = pages.get(e["path"], 0) + 1
obs_ms = max(len(cloud) * AWS_MS, max(pages.values() or [0]) * KUBE_MS, PROM_MS if prom else 0)
chain = len(before) * AWS_MS + obs_ms + len(after) * AWS_MS
calls = len(aws) * AWS_MS + len(kube) * KUBE_MS + len(prom) * PROM_MS
t_first = min([e["t0"] for e in aws + prom] + [e["t"] - KUBE_MS / 1000 for e in kube])
t_last = max([e["t1"] for e in aws + prom] + [e["t"] for e in kube])
slow.sort()
print("nodefleet once with %d ms added to every AWS and Prometheus request and %d ms to every "
      "API server request (11 runs): median %.0f ms; the longest chain of dependent calls %d ms "
      "(%d store call, the slowest observation %d ms, %d store calls; then %d CloudWatch call "
      "after the release); %d calls in all, %d ms if made one after another; the last run's "
      "first request to its last answer %.0f ms   [< 1.5 x the chain = %d ms]"
      % (AWS_MS, KUBE_MS, statistics.median(slow) * 1000, chain, len(before), obs_ms, len(after),
         len(publish), len(aws) + len(kube) + len(prom), calls, (t_last - t_first) * 1000,
         1.5 * chain))
print("  AWS calls in order: " + ", ".join(e["what"] for e in sorted(aws, key=lambda e: e["t0"])))
timeline = sorted([(e["t0"], e["t1"], e["what"]) for e in aws + prom] +
                  [(e["t"] - KUBE_MS / 1000, e["t"], e["path"]) for e in kube])
print("  the last run, ms from its first request: " + "; ".join(
    "%s %.0f-%.0f" % (w.split("/")[-1], (a - t_first) * 1000, (b - t_first) * 1000)
    for a, b, w in timeline))
