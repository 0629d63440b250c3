#!/usr/bin/env python3
"""bench_e2e.py BUILD_DIR - the controller's figures against the end-to-end lab
(tests/e2e/e2elab.py: moto, our API server and its world, a real Prometheus):

- one full cycle with nothing to do (lease, observe cloud + cluster + metrics, decide,
  record, release), from `nodefleet run`'s own per-cycle timing;
- pods going pending -> the cycle that decides to scale up -> RunInstances returned, with
  the shipped defaults (policy `default`, interval 30 s: only the lab's own settings are
  given - its Prometheus query, CloudWatch namespace and port), and again with `seed` at its
  shipped defaults (it waits scale_up_for, 180 s, before it buys);
- peak RSS of `nodefleet run` over all of it (launches, joins, steady cycles)."""
import datetime
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import e2elab  # noqa: E402

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
print("starting the lab (moto, API server, Prometheus)...", file=sys.stderr)
L = e2elab.Lab(build)


def epoch(ts):
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def ready():
    return [n for n in L.nodes() if n["status"]["conditions"][0]["status"] == "True"]


def wait(check, what, timeout):
    if not e2elab.poll(check, timeout, every=0.2):
        sys.exit("bench_e2e: timed out waiting for " + what)


def rss_mb(h):
    """Peak RSS of the running process: VmHWM belongs to its own address space (made new by
    exec), so Python's footprint is not in it."""
    with open("/proc/%d/status" % h.p.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(h):
    with open("/proc/%d/stat" % h.p.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# 1. steady cycles: two workers, eight pods, nothing to do
h = L.run("log_level=debug")
wait(lambda: len(ready()) == 2, "two Ready workers", 90)
L.scale(6)
wait(lambda: all(p["spec"].get("nodeName") for p in L.pods()) and len(L.pods()) == 6,
     "pods running", 30)
time.sleep(3)
mark = len(h.records())
cpu0 = cpu_s(h)
wait(lambda: len([r for r in h.records()[mark:] if r.get("msg") == "cycle finished"]) >= 60,
     "60 cycles", 120)
cpu = cpu_s(h) - cpu0
done = [r for r in h.records()[mark:] if r.get("msg") == "cycle finished"]
took = sorted(r["took_ms"] for r in done if r.get("action") == "none")
rss = [rss_mb(h)]
h.stop()
p95 = took[int(len(took) * 0.95) - 1]
print("one full cycle, nothing to do (lease, observe EC2 + Kubernetes + 5 Prometheus signals, "
      "decide, record, release), %d cycles: median %.1f ms, p95 %.1f ms   [< 100 ms]; "
      "nodefleet's own CPU %.1f ms per cycle (the rest is moto, the API server, Prometheus)"
      % (len(took), statistics.median(took), p95, cpu * 1000 / len(done)))

# 2. reaction: pods pending -> decision -> RunInstances, with the shipped defaults


def reaction(policy, trials):
    lat, dec = [], []
    for trial in range(trials):
        L.clean_slate()
        h = L.run("policy=" + policy, name="react", base=L.LAB_SETTINGS)
        wait(lambda: len(ready()) == 2, "two Ready workers", 90)
        # land the burst at a different point of the interval each time, as traffic does
        time.sleep(3 + trial * 9)
        t0 = time.time()
        L.scale(16)  # 8 CPU of pods on 4 CPU of workers: pending at once
        wait(lambda: [r for r in h.records() if r.get("msg") == "Step 5: Launching EC2 instances"
                      and epoch(r["ts"]) > t0], "the launch", 400)
        d = next(r for r in h.records() if r.get("msg") == "Step 4: Decision=scale_up"
                 and epoch(r["ts"]) > t0)
        launched = next(r for r in h.records() if r.get("msg") == "Step 5: Launching EC2 instances"
                        and epoch(r["ts"]) > t0)
        dec.append(epoch(launched["ts"]) - epoch(d["ts"]))
        lat.append(epoch(launched["ts"]) - t0)
        wait(lambda: len(ready()) >= 4, "the new workers Ready", 120)
        rss.append(rss_mb(h))
        h.stop()
    return lat, dec


lat, dec = reaction("default", 3)
print("pods pending -> RunInstances returned, shipped defaults (policy default, interval 30 s), "
      "3 bursts at different points of the interval: %s s (the decision's own cycle: decide -> "
      "launched %.0f-%.0f ms)   [within one interval, 30 s]"
      % (", ".join("%.1f" % x for x in lat), min(dec) * 1000, max(dec) * 1000))
lat, dec = reaction("seed", 1)
print("the same with policy seed at its shipped defaults (scale_up_for 180 s): %s s"
      % ", ".join("%.1f" % x for x in lat))
print("nodefleet run, peak RSS (VmHWM) over steady cycles, launches and joins: %.1f MB   [< 20 MB]"
      % max(rss))
