#!/usr/bin/env python3
"""bench_types_sim.py [BUILD_DIR] - several worker types in the simulator (sim.node_types):
every shipped trace under default and seed, once with one type (m5.large, us-east-1 list
prices and a spot price of the kind the Spot Instance Advisor shows) and once with three to
choose from (m5.large, c5.large, c5.2xlarge); the oracle keeps the first type. Prints cost and
overload summed over the traces, and each trace's cost ratio."""
import glob
import json
import os
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build")
nodefleet = os.path.join(build, "nodefleet")
traces = sorted(glob.glob(os.path.join(root, "data", "traces", "*.csv")) +
                glob.glob(os.path.join(root, "data", "traces", "synthetic", "*.csv")))
ONE = "m5.large:2:8192:0.096:0.035"
THREE = ONE + ",c5.large:2:4096:0.085:0.032,c5.2xlarge:8:16384:0.34:0.128"


def sim(trace, policy, types):
    out = subprocess.run([nodefleet, "simulate", "--trace", trace, "--policy", policy, "--json",
                          "--set", "sim.node_types=" + types],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["policies"][0]


print("| policy | types | cost $ (6 traces) | overload min | pending pod-s | per trace: cost "
      "with three / with one |")
print("| --- | --- | --- | --- | --- | --- |")
for pol in ("default", "seed"):
    res = {name: [sim(t, pol, types) for t in traces] for name, types in
           (("m5.large", ONE), ("three", THREE))}
    for name in ("m5.large", "three"):
        rs = res[name]
        ratios = ", ".join("%.2f" % (b["cost_usd"] / a["cost_usd"])
                           for a, b in zip(res["m5.large"], res["three"])) if name == "three" else ""
        print("| %s | %s | %.2f | %.1f | %.0f | %s |" % (
            pol, name, sum(r["cost_usd"] for r in rs), sum(r["overload_minutes"] for r in rs),
            sum(r["pending_pod_seconds"] for r in rs), ratios))
