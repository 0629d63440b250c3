#!/usr/bin/env python3
"""sim_table.py [BUILD_DIR] [--seeds 1,2,3] [--set NAME=VALUE]... [POLICY...] - every shipped
trace under the given policies (default: static:5 and seed) against the fair oracle, as the
Markdown table in the README's simulator section: cost and node-hours as multiples of the
oracle's, overload minutes, unsafe removals. With several seeds each figure is the worst of
them, and a last column says whether the issue-13 bar holds for the first policy on every seed:
cost and node-hours at most 1.40x the oracle's, overload at most the oracle's plus 0.5 % of the
trace's duration, no unsafe removal.

The traces: data/traces/ and data/traces/synthetic/ (in the repository), and ../shared/traces/
when it is there (the recorded Azure and Wikipedia traces)."""
import glob
import json
import os
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = sys.argv[1:]
build = os.path.join(root, "build")
if args and not args[0].startswith("-") and os.path.isdir(args[0]):
    build = args.pop(0)
seeds, sets, policies = ["1"], [], []
while args:
    a = args.pop(0)
    if a == "--seeds":
        seeds = args.pop(0).split(",")
    elif a == "--set":
        sets += ["--set", args.pop(0)]
    else:
        policies.append(a)
policies = policies or ["static:5", "seed"]
nf = os.path.join(build, "nodefleet")
traces = sorted(glob.glob(os.path.join(root, "data", "traces", "*.csv")))
traces += sorted(glob.glob(os.path.join(root, "data", "traces", "synthetic", "*.csv")))
shared = os.path.join(root, "..", "shared", "traces")
traces += [t for t in sorted(glob.glob(os.path.join(shared, "*.csv")))
           if os.path.basename(t) not in {os.path.basename(x) for x in traces}]

head = "| trace | oracle overload min |"
rule = "| --- | ---: |"
for p in policies:
    head += " %s cost / node-h vs oracle | overload min | unsafe |" % p
    rule += " ---: | ---: | ---: |"
if len(seeds) > 1:
    head += " bar (%s) |" % policies[0]
    rule += " :---: |"
print(head)
print(rule)
for t in traces:
    worst = {}
    oracle_ov, bar = 0.0, True
    for sd in seeds:
        argv = [nf, "simulate", "--trace", t, "--json", "--seed", sd] + sets
        for p in policies:
            argv += ["--policy", p]
        j = json.loads(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)
        oracle_ov = max(oracle_ov, j["oracle"]["overload_minutes"])
        allowed = j["oracle"]["overload_minutes"] + 0.005 * j["trace"]["span_s"] / 60
        for i, r in enumerate(j["policies"]):
            w = worst.setdefault(i, [0, 0, 0, 0])
            w[0] = max(w[0], r["cost_vs_oracle"])
            w[1] = max(w[1], r["node_hours_vs_oracle"])
            w[2] = max(w[2], r["overload_minutes"])
            w[3] = max(w[3], r["unsafe_removals"])
            if i == 0:
                bar &= (r["cost_vs_oracle"] <= 1.40 and r["node_hours_vs_oracle"] <= 1.40 and
                        r["overload_minutes"] <= allowed and r["unsafe_removals"] == 0)
    name = os.path.relpath(t, root).replace("../shared/", "shared/")
    row = "| %s | %.0f |" % (name, oracle_ov)
    for i in range(len(policies)):
        c, n, o, u = worst[i]
        row += " %.2fx / %.2fx | %.0f | %d |" % (c, n, o, u)
    if len(seeds) > 1:
        row += " %s |" % ("met" if bar else "missed")
    print(row)
