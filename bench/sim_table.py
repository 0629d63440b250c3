#!/usr/bin/env python3
"""sim_table.py [BUILD_DIR] [POLICY...] - every shipped trace under the given policies (default:
static:5 and seed) against the fair oracle, as the Markdown table in the README's simulator
section: cost and node-hours as multiples of the oracle's, overload minutes, unsafe removals.

The traces: data/traces/ and data/traces/synthetic/ (in the repository), and ../shared/traces/
when it is there (the recorded Azure and Wikipedia traces)."""
import glob
import json
import os
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build")
policies = sys.argv[2:] or ["static:5", "seed"]
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
print(head)
print(rule)
for t in traces:
    argv = [nf, "simulate", "--trace", t, "--json"]
    for p in policies:
        argv += ["--policy", p]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    name = os.path.relpath(t, root).replace("../shared/", "shared/")
    row = "| %s | %.0f |" % (name, j["oracle"]["overload_minutes"])
    for r in j["policies"]:
        row += " %.2fx / %.2fx | %.0f | %d |" % (r["cost_vs_oracle"], r["node_hours_vs_oracle"],
                                               r["overload_minutes"], r["unsafe_removals"])
    print(row)
