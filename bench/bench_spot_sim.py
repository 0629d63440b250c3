#!/usr/bin/env python3
"""bench_spot_sim.py [BUILD_DIR] - the simulator's spot interruptions: every shipped trace,
policies default and seed, at three interruption rates
(5 %: the Spot Instance Advisor's lowest band and the simulator's default; 20 %; and a stress
case of 0.02 an hour, every spot worker reclaimed about every two days), once with the warning acted on (sim.interruption_response=replace:
nodefleet with an interruption queue drains and replaces at once) and once without
(wait: the pods go pending and the policy buys for them, the Cluster Autoscaler's way).
Prints, per case summed over the traces, the interruptions, the pods they disrupted,
pod-seconds pending, overload minutes and cost; the same seed for both, so the interruptions
fall alike until the two pools differ."""
import glob
import json
import os
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = sys.argv[1:]
build = os.path.join(root, "build")
if args and os.path.isdir(args[0]):
    build = args.pop(0)
cases = [("5 %/month", "sim.spot_interruption_pct_month=5"),
         ("20 %/month", "sim.spot_interruption_pct_month=20"),
         ("stress: 0.02/h", "sim.spot_interruptions_per_hour=0.02")]
nodefleet = os.path.join(build, "nodefleet")
traces = sorted(glob.glob(os.path.join(root, "data", "traces", "*.csv")) +
                glob.glob(os.path.join(root, "data", "traces", "synthetic", "*.csv")))
KEYS = ("spot_interruptions", "interrupted_pods", "pending_pod_seconds", "overload_minutes",
        "cost_usd")


def sim(trace, policy, setting, response):
    out = subprocess.run([nodefleet, "simulate", "--trace", trace, "--policy", policy, "--json",
                          "--set", setting, "--set", "sim.interruption_response=" + response],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["policies"][0]


print("Summed over the %d shipped traces (each run on its own trace, same seed):" % len(traces))
print("| rate | policy | on the warning | interruptions | pods disrupted | pending pod-s | "
      "overload min | cost $ |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for label, setting in cases:
    for pol in ("default", "seed"):
        for resp in ("replace", "wait"):
            tot = dict.fromkeys(KEYS, 0)
            for t in traces:
                m = sim(t, pol, setting, resp)
                for k in KEYS:
                    tot[k] += m[k]
            print("| %s | %s | %s | %d | %d | %.0f | %.1f | %.2f |" % (
                label, pol, resp, tot["spot_interruptions"], tot["interrupted_pods"],
                tot["pending_pod_seconds"], tot["overload_minutes"], tot["cost_usd"]))
