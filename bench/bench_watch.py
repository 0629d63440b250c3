#!/usr/bin/env python3
"""bench_watch.py BUILD_DIR [NODES PODS SECONDS] - `nodefleet run`'s steady cycle against our
test API server holding a 1,000-node, 30,000-pod cluster (Deployments of 30, a budget on one in
five), with a real Prometheus: the cycle's wall time after the first (from its own "cycle
finished" log lines) and the process's peak RSS, with the watched cache (kube.watch, the
default) and with a list every cycle (kube.watch=false); then with the cache under a churn of
100 pod changes a second. A dry run with no cloud: everything is observed and decided, nothing
is launched. The API server is Python on the same 2 cores: the churn's own cost is in the
figures."""
import json
import os
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "kube"))
import kubelab as K  # noqa: E402
from procs import need, start, free_port, wait_for, http_get  # noqa: E402

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
nodes, pods = (int(sys.argv[2]), int(sys.argv[3])) if len(sys.argv) > 3 else (1000, 30000)
seconds = int(sys.argv[4]) if len(sys.argv) > 4 else 25
L = K.KubeLab(build)
print("building the cluster in the test API server...", file=sys.stderr)
L.control("/__bulk", {"nodes": nodes, "pods": pods})
L.mode(bookmark_s=60)

prom_port = free_port()
cfg = os.path.join(L.dir, "prometheus.yml")
with open(cfg, "w") as f:
    f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n"
            "    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % prom_port)
start([need("prometheus"), "--config.file=" + cfg, "--storage.tsdb.path=" + L.dir + "/tsdb",
       "--web.listen-address=127.0.0.1:%d" % prom_port, "--log.level=warn"])
prom = "http://127.0.0.1:%d" % prom_port
wait_for(lambda: http_get(prom + "/-/ready")[0] == 200, "prometheus ready")


def run(watch, churn_per_s=0):
    env = L.env(PROMETHEUS_URL=prom, CLUSTER_ID="bench", NODEFLEET_LOG_LEVEL="debug")
    args = [L.nodefleet, "run", "--dry-run", "--set", "cloud=none", "--set", "interval=1s",
            "--set", "kube.watch=%s" % ("true" if watch else "false"), "--set",
            "store=sqlite:" + os.path.join(L.dir, "bench.db"), "--set", "prometheus.timeout=2"]
    log_path = os.path.join(L.dir, "run-%s-%d.log" % (watch, churn_per_s))
    with open(log_path, "w") as log:
        p = subprocess.Popen(args, env=env, stdout=log, stderr=log)
    stop = threading.Event()

    def churner():
        while not stop.is_set():
            t = time.monotonic()
            L.control("/__churn", {"changes": churn_per_s // 10})
            time.sleep(max(0, 0.1 - (time.monotonic() - t)))
    th = None
    if churn_per_s:
        th = threading.Thread(target=churner, daemon=True)
        th.start()
    time.sleep(seconds)
    with open("/proc/%d/status" % p.pid) as f:
        hwm = next(int(x.split()[1]) for x in f if x.startswith("VmHWM"))
    stop.set()
    if th:
        th.join()
    p.terminate()
    p.wait(timeout=30)
    took = []
    with open(log_path) as f:
        for line in f:
            if line.startswith("{"):
                r = json.loads(line)
                if r.get("msg") == "cycle finished":
                    took.append(r["took_ms"])
    if len(took) < 3:
        sys.exit("bench_watch: fewer than 3 cycles; see " + log_path)
    steady = sorted(took[1:])
    return took[0], statistics.median(steady), steady[int(len(steady) * 0.9)], hwm / 1024, len(took)


label = "%d nodes x %d pods" % (nodes, pods)
first, med, p90, rss, n = run(False)
print("run, list every cycle (kube.watch=false), %s: cycle median %.0f ms, p90 %.0f ms "
      "(%d cycles); peak RSS %.1f MB" % (label, med, p90, n, rss))
first, med, p90, rss, n = run(True)
print("run, watched cache (default), %s: first cycle %.0f ms (the lists), then median %.1f ms, "
      "p90 %.1f ms (%d cycles); peak RSS %.1f MB   [< 100 ms, < 64 MB]"
      % (label, first, med, p90, n, rss))
first, med, p90, rss, n = run(True, 100)
print("run, watched cache, 100 pod changes a second: median %.1f ms, p90 %.1f ms (%d cycles); "
      "peak RSS %.1f MB   [< 150 ms]" % (med, p90, n, rss))
