#!/usr/bin/env python3
"""bench_interrupt.py BUILD_DIR [N] - issue 15's figure: from a spot interruption warning
landing in the queue (moto's SQS; timed from just before the AWS CLI that sends it starts,
so its own start-up, about half a second, is counted in) to the
replacement's RunInstances (the time nodefleet logs "Step 5: Launching EC2 instances"), with `nodefleet run` in
the lab (a 60 s interval: the reaction comes from the long poll between cycles, not from the
next cycle). N warnings (default 20), each for the newest worker once the pool is back to two
Ready workers; prints the median and the worst."""
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import e2elab  # noqa: E402

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
print("starting the lab (moto, API server, Prometheus)...", file=sys.stderr)
L = e2elab.Lab(build)
q = L.aws.aws("sqs", "create-queue", "--queue-name", "nf-bench-interruptions")["QueueUrl"]
h = L.run("interval=60s", "lease_ttl=120s", "min_nodes=2", "max_nodes=6",
          "aws.interruption_queue_url=" + q)
with open(os.path.join(HERE, "..", "tests", "vectors", "aws", "examples",
                       "eventbridge-spot-interruption-warning.nth-example.json")) as f:
    template = json.load(f)


def ready_workers():
    return [x for x in L.nodes() if x["status"]["conditions"][0]["status"] == "True"
            and not x["spec"].get("unschedulable")]


def stamp(r):
    """A log record's time, Unix s (its "ts" is RFC 3339 UTC with milliseconds)."""
    import calendar
    t = time.strptime(r["ts"][:19], "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) + float("0" + r["ts"][19:-1])


took = []
for k in range(n):
    if not e2elab.poll(lambda: len(ready_workers()) >= 2, 180, every=0.5):
        sys.exit("bench_interrupt: the pool did not come back to two Ready workers")
    before = {i["InstanceId"] for i in L.instances()}
    victim = ready_workers()[-1]["spec"]["providerID"].rsplit("/", 1)[-1]
    ev = json.loads(json.dumps(template))
    ev["id"] = "bench-%d" % k
    ev["detail"]["instance-id"] = victim
    ev["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    sent = time.time()  # before the AWS CLI starts: its own start-up (~0.5 s) is counted in
    L.aws.aws("sqs", "send-message", "--queue-url", q, "--message-body", json.dumps(ev))

    def launched():
        for r in h.records():
            if r.get("msg") == "Step 5: Launching EC2 instances" and stamp(r) > sent:
                return stamp(r)
        return None
    at = e2elab.poll(launched, 60, every=0.2)
    if not at:
        sys.exit("bench_interrupt: no replacement within 60 s:\n" + h.text()[-3000:])
    took.append(at - sent)
h.stop()
took.sort()
print("spot interruption warning in the queue -> the replacement's RunInstances, `run` with a "
      "60 s interval (%d warnings): median %.1f s, worst %.1f s   [< 5 s]"
      % (n, statistics.median(took), took[-1]))
