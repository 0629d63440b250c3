#!/usr/bin/env python3
"""bench_aws.py BUILD_DIR - AWS figures: the client-side cost of a DescribeInstances round
trip (bench_aws, no network), and a full launch + describe + terminate of one worker
against moto_server on loopback (in process, so no process start is counted).

moto answers from memory on this machine: the figure is nodefleet's own cost plus a local
HTTP exchange per call, a floor for what EC2 itself adds (typically 100s of ms a call).
"""
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "aws"))
import lab  # noqa: E402

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
subprocess.run([os.path.join(build, "bench", "bench_aws")], check=True)

L = lab.AwsLab(build)
ami = L.aws("ec2", "describe-images", "--owners", "amazon")["Images"][0]["ImageId"]
L.aws("ec2", "create-launch-template", "--launch-template-name", "bench-workers",
      "--launch-template-data", json.dumps({"ImageId": ami, "InstanceType": "t3.small"}))
subnets = L.aws("ec2", "describe-subnets")["Subnets"]
zones = {s["AvailabilityZone"]: s["SubnetId"] for s in subnets
         if s["AvailabilityZone"] in ("us-east-1a", "us-east-1b", "us-east-1c")}
env = L.env(CLUSTER_ID="bench", NODEFLEET_LAUNCH_TEMPLATE="bench-workers",
            NODEFLEET_SUBNETS=",".join("%s=%s" % kv for kv in sorted(zones.items())))
rounds = 30
r = subprocess.run([L.nfaws, "lifecycle", str(rounds)], env=env, capture_output=True,
                   text=True, timeout=600)
if r.returncode != 0:
    sys.exit("bench_aws: lifecycle failed: " + r.stderr)
rows = [json.loads(line) for line in r.stdout.splitlines()]
med = {k: statistics.median(x[k] for x in rows) for k in ("launch_ms", "list_ms", "terminate_ms")}
print("launch + describe + terminate one worker against moto_server (loopback, in process): "
      "median %.1f ms (launch %.1f, describe %.1f, terminate %.1f; %d rounds)"
      % (sum(med.values()), med["launch_ms"], med["list_ms"], med["terminate_ms"], rounds))
