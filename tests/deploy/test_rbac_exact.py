#!/usr/bin/env python3
"""The ClusterRole is exactly what nodefleet uses (issue 17). The Kubernetes and end-to-end
tests run nodefleet as the ServiceAccount of deploy/kubernetes/rbac - the test API server
enforces the rendered ClusterRole's rules (tests/kube/kubelab.py) - and record every
(group, resource, verb) it asked for in NF_RBAC_SEEN_DIR. Across those suites, what was
asked must equal what the role grants: no verb missing (the suites would have failed with
403), and none granted that nodefleet never uses.

    test_rbac_exact.py SEEN_DIR
"""
import glob
import json
import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = ("test_kube.py", "test_watch.py", "test_e2e.py", "test_modes.py")


def main(seen_dir):
    r = subprocess.run(["kubectl", "kustomize", os.path.join(HERE, "..", "..", "deploy",
                                                            "kubernetes", "rbac")],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        sys.exit("FAIL: kubectl kustomize deploy/kubernetes/rbac: " + r.stderr)
    role = next(d for d in yaml.safe_load_all(r.stdout) if d and d["kind"] == "ClusterRole")
    granted = {(g, res, v) for rule in role["rules"] for g in rule["apiGroups"]
               for res in rule["resources"] for v in rule["verbs"]}
    files = glob.glob(os.path.join(seen_dir, "*.json"))
    ran = {os.path.basename(json.load(open(f))["suite"]) for f in files}
    missing_suites = [s for s in SUITES if s not in ran]
    if missing_suites:
        sys.exit("FAIL: no record from %s in %s: run the Kubernetes and end-to-end tests "
                 "first (ctest runs them before this one)" % (", ".join(missing_suites), seen_dir))
    used = set()
    for f in files:
        used |= {tuple(x) for x in json.load(open(f))["seen"]}
    fmt = lambda s: ", ".join("%s %s%s" % (v, g + "/" if g else "", res) for g, res, v in sorted(s))
    problems = []
    if used - granted:
        problems.append("used but not granted: " + fmt(used - granted))
    if granted - used:
        problems.append("granted but never used: " + fmt(granted - used))
    if problems:
        sys.exit("FAIL: the ClusterRole is not exactly what nodefleet uses - " + "; ".join(problems))
    print("ok: %d (verb, resource) pairs, used = granted, over %d runs of %s"
          % (len(used), len(files), ", ".join(sorted(ran))))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: test_rbac_exact.py SEEN_DIR")
    main(sys.argv[1])
