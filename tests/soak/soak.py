#!/usr/bin/env python3
"""soak.py - the chaos soak (issue 19): the end-to-end lab (moto behind the fault proxy, our
API server and its world, a real Prometheus) under a load that follows a real trace, with
faults drawn from a seeded schedule, and invariants checked all the time from the cloud's, the
cluster's and the store's own state - never from nodefleet's logs.

    soak.py BUILD_DIR [--minutes M] [--seed S] [--report FILE]

`make soak` (SOAK_MINUTES, default 30; SOAK_SEED) runs it; `make test` a short one. The same
seed gives the same schedule of faults (their kinds, lengths and gaps), so a violation can be
replayed. Exit 0: no invariant violated; 1: violations (listed with the seed and the time).
"""
import argparse
import json
import os
import random
import signal
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2elab  # noqa: E402
import procs  # noqa: E402

TRACE = os.path.join(HERE, "..", "..", "data", "traces", "nasa_jul95_1min.csv")
MIN_NODES, MAX_NODES = 2, 6
PROVISION_S, INTERVAL_S, LEASE_S = 40, 1, 8
# nodefleet's own policy at the lab's pace; the CPU triggers kept out (the lab's CPU is this
# machine's); an interruption-free pool of the template's type
SETTINGS = ["policy=default", "interval=1s", "max_nodes=%d" % MAX_NODES,
            "scale_down_unneeded_time=6s", "peak_window=10s", "scale_up_for=600s",
            "scale_up_threshold_cpu=99", "cooldown_scale_up=3s", "cooldown_scale_down=3s",
            "spot_percentage=50", "provision_timeout=%ds" % PROVISION_S,
            "kube.drain_timeout=20s", "kube.eviction_retry=1s",
            "lease_ttl=%ds" % LEASE_S] + e2elab.Lab.LAB_SETTINGS
CAPACITY_ERROR = ("<Response><Errors><Error><Code>InsufficientInstanceCapacity</Code>"
                  "<Message>No capacity (soak).</Message></Error></Errors>"
                  "<RequestID>soak</RequestID></Response>")


class Load(threading.Thread):
    """The web Deployment's replicas follow the trace, a day every `day_s` seconds: between 1
    and what MAX_NODES workers hold (3 pods of 500m on 2 CPU beside the DaemonSet's 100m)."""

    def __init__(self, lab, day_s, offset):
        super().__init__(daemon=True)
        with open(TRACE) as f:
            vals = [float(line.split(",")[1]) for line in f.read().splitlines()[1:] if line]
        top = sorted(vals)[int(len(vals) * 0.99)]
        self.vals, self.top, self.lab, self.day_s = vals, top, lab, day_s
        self.offset = offset  # the schedule's seed picks the day it starts on
        self.stop = threading.Event()
        self.replicas = None

    def at(self, t):
        minute = self.offset + int(t / self.day_s * 1440)
        v = self.vals[minute % len(self.vals)]
        return max(1, min(3 * MAX_NODES - 2, round(v / self.top * (3 * MAX_NODES - 2))))

    def run(self):
        t0 = time.monotonic()
        while not self.stop.wait(1.0):
            n = self.at(time.monotonic() - t0)
            if n != self.replicas:
                try:
                    self.lab.scale(n)
                    self.replicas = n
                except Exception:  # noqa: BLE001 - the API server is down: a fault, try again
                    pass


class Faults:
    """The seeded schedule: after a quiet gap, one fault for a while, then the next. Each
    kind is (name, start(), end()) - end undoes what start did."""

    def __init__(self, soak, rng):
        self.soak, self.rng = soak, rng
        self.count = {}
        self.blind = []  # (start, end) of faults during which nodefleet cannot reconcile

    def kinds(self):
        L = self.soak.lab
        aws = lambda **m: (lambda: L.aws.fault(**m))  # noqa: E731
        passing = lambda: L.aws.fault(mode="pass")  # noqa: E731
        return [
            ("kill -9 and restart", self.soak.kill9, self.soak.restart, True),
            ("SIGSTOP past the lease, SIGCONT", self.soak.sigstop, self.soak.sigcont, True),
            ("a second nodefleet", self.soak.start_twin, self.soak.stop_twin, False),
            ("Prometheus stopped", L.stop_prometheus, L.start_prometheus, False),
            ("AWS answers 500", aws(mode="status", status=500), passing, True),
            ("AWS throttles", aws(mode="reply", status=400, content_type="text/xml",
                                  body="<Response><Errors><Error><Code>RequestLimitExceeded"
                                       "</Code><Message>soak</Message></Error></Errors>"
                                       "</Response>"), passing, True),
            ("AWS slow (3 s a request)", aws(mode="delay", delay_s=3), passing, True),
            ("AWS malformed", aws(mode="reply", status=200,
                                  content_type="application/x-amz-json-1.0",
                                  body='{"truncated'), passing, True),
            ("spot capacity errors", aws(mode="reply", status=500, body=CAPACITY_ERROR,
                                         match=["Action=RunInstances", "MarketType=spot"]),
             passing, False),
            ("API server slow (2 s a request)", lambda: L.kube.mode(latency_s=2),
             lambda: L.kube.mode(latency_s=0), True),
            ("API server cuts every watch, history gone (410)", self.soak.cut_watches,
             lambda: None, False),
            ("evictions refused (a PodDisruptionBudget)", self.soak.pdb_on, self.soak.pdb_off,
             False),
            ("workers never join", lambda: L.kube.control("/__lab", {"join": False}),
             lambda: L.kube.control("/__lab", {"join": True}), False),
        ]

    def run(self, until):
        kinds = self.kinds()
        while time.monotonic() < until - 20:
            self.soak.sleep(self.rng.uniform(8, 20))
            name, start, end, blinds = self.rng.choice(kinds)
            length = self.rng.uniform(3, 15) if "join" not in name else self.rng.uniform(20, 50)
            if "SIGSTOP" in name:
                length = LEASE_S + self.rng.uniform(1, 5)
            if time.monotonic() + length > until - 15:
                break
            t0 = time.time()
            self.soak.event("fault", name=name, length_s=round(length, 1))
            if blinds:
                self.soak.fault_t0 = t0
            start()
            self.soak.sleep(length)
            end()
            self.count[name] = self.count.get(name, 0) + 1
            if blinds:
                self.blind.append((t0, time.time()))
            self.soak.fault_t0 = None
            self.soak.event("fault over", name=name)


class Checker(threading.Thread):
    """Every second: the invariants, from moto (directly, not through the fault proxy), the API
    server's own objects and the store item. Each has a grace window; time a fault kept
    nodefleet blind (it rightly does not act then) is added to it."""

    def __init__(self, soak):
        super().__init__(daemon=True)
        import boto3
        kw = dict(endpoint_url=soak.lab.aws.moto_url, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
        self.ec2, self.ddb = boto3.client("ec2", **kw), boto3.client("dynamodb", **kw)
        self.soak = soak
        self.stop = threading.Event()
        self.checks = 0
        self.below_min_since = None
        self.cordoned_since = {}
        self.reported = set()
        self.tokens = []  # (time, fencing token) of the store item
        self.intent_count = {}  # intent -> the count its launch record said
        self.intent_instances = {}  # intent -> instance ids seen with its tag
        self.pinned_node = None
        self.converged_at = []  # times the world was settled

    def violation(self, key, what):
        if key in self.reported:
            return
        self.reported.add(key)
        self.soak.event("VIOLATION", what=what)
        self.soak.violations.append({"t": round(time.time() - self.soak.t0, 1), "what": what,
                                     "seed": self.soak.seed})

    def blind_since(self, t):
        """Seconds of faults that kept nodefleet blind since `t` (wall clock)."""
        now = time.time()
        spans = self.soak.faults.blind + ([(self.soak.fault_t0, now)]
                                          if self.soak.fault_t0 else [])
        return sum(max(0, min(e, now) - max(s, t)) for s, e in spans)

    def world(self):
        r = self.ec2.describe_instances(Filters=[
            {"Name": "tag:nodefleet:cluster", "Values": [e2elab.POOL]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]}])
        insts = [i for res in r["Reservations"] for i in res["Instances"]]
        st = self.soak.lab.kube.state()
        item = self.ddb.get_item(TableName="nf-e2e", Key={"cluster_id": {"S": e2elab.POOL}},
                                 ConsistentRead=True).get("Item", {})
        return insts, st, item

    def run(self):
        while not self.stop.wait(1.0):
            try:
                insts, st, item = self.world()
            except Exception as e:  # noqa: BLE001 - the API server is down (a fault): skip
                self.soak.event("check skipped", why=str(e)[:120])
                continue
            self.checks += 1
            now = time.time()
            state = self.check_store(item, now)
            nodes = [n for n in st["nodes"]
                     if "node-role.kubernetes.io/control-plane" not in n["metadata"]["labels"]]
            self.check_counts(insts, nodes, now)
            self.check_joins(insts, nodes, now)
            self.check_cordons(nodes, state, now)
            self.check_pinned(st, nodes)
            self.check_intents(insts, state)
            pending = [p for p in st["pods"] if p["metadata"]["namespace"] == "shop"
                       and not p["spec"].get("nodeName")]
            if not pending and not any(n["spec"].get("unschedulable") for n in nodes) and \
                    len(nodes) == len(insts) and all(map(ready, nodes)):
                self.converged_at.append(now)

    def check_store(self, item, now):
        if not item:
            return {}
        tok = int(item.get("fencing_token", {}).get("N", "0"))
        if self.tokens and tok < self.tokens[-1][1]:
            self.violation(("token", tok), "the store's fencing token went back: %d after %d"
                           % (tok, self.tokens[-1][1]))
        self.tokens.append((now, tok))
        text = item.get("nodefleet_state", {}).get("S")
        if text is None:
            return {}
        try:
            state = json.loads(text)
        except ValueError as e:
            self.violation(("decode", now), "the state item does not decode: %s" % e)
            return {}
        for launch in state.get("launches", []):
            self.intent_count[launch["intent"]] = max(self.intent_count.get(launch["intent"], 0),
                                                      launch["count"])
        return state

    def check_counts(self, insts, nodes, now):
        if len(insts) > MAX_NODES:
            self.violation(("max", len(insts), int(now / 10)), "%d pool instances, max_nodes %d"
                           % (len(insts), MAX_NODES))
        if sum(map(ready, nodes)) >= MIN_NODES:
            self.below_min_since = None
            return
        self.below_min_since = self.below_min_since or now
        allowed = PROVISION_S + 20 + self.blind_since(self.below_min_since)
        if now - self.below_min_since > allowed:
            self.violation(("min", int(self.below_min_since)),
                           "fewer than %d Ready workers for %.0f s (allowed %.0f)"
                           % (MIN_NODES, now - self.below_min_since, allowed))

    def check_joins(self, insts, nodes, now):
        ready_ids = {n["spec"].get("providerID", "").rsplit("/", 1)[-1] for n in nodes
                     if ready(n)}
        for i in insts:
            if i["InstanceId"] in ready_ids:
                continue
            born = i["LaunchTime"].timestamp()
            allowed = PROVISION_S + 15 + self.blind_since(born)
            if now - born > allowed:
                self.violation(("join", i["InstanceId"]),
                               "instance %s not a Ready node %.0f s after its launch (allowed "
                               "%.0f)" % (i["InstanceId"], now - born, allowed))

    def check_cordons(self, nodes, state, now):
        draining = {d["node"] for d in state.get("drains", [])}
        for n in nodes:
            name = n["metadata"]["name"]
            if not n["spec"].get("unschedulable") or name in draining:
                self.cordoned_since.pop(name, None)
                continue
            since = self.cordoned_since.setdefault(name, now)
            allowed = 2 * INTERVAL_S + 5 + self.blind_since(since)
            if now - since > allowed:
                self.violation(("cordon", name), "node %s cordoned with no drain on record "
                               "for %.0f s" % (name, now - since))

    def check_pinned(self, st, nodes):
        pod = next((p for p in st["pods"] if p["metadata"]["name"] == "pinned-0"), None)
        where = pod and pod["spec"].get("nodeName")
        names = {n["metadata"]["name"] for n in nodes}
        if self.pinned_node and self.pinned_node not in names:
            self.violation(("pinned", self.pinned_node), "node %s removed while it held a pod "
                           "that may not be evicted" % self.pinned_node)
        self.pinned_node = where if where in names else None

    def check_intents(self, insts, state):
        del state
        launched = []
        for i in insts:
            tags = {t["Key"]: t["Value"] for t in i.get("Tags", [])}
            intent = tags.get("nodefleet:intent", "")
            self.intent_instances.setdefault(intent, set()).add(i["InstanceId"])
            want = self.intent_count.get(intent, MAX_NODES)
            if len(self.intent_instances[intent]) > want:
                self.violation(("intent", intent), "%d instances for launch intent %s of %d"
                               % (len(self.intent_instances[intent]), intent, want))
            if "-t" in intent:
                launched.append((i["LaunchTime"].timestamp(), int(intent.rsplit("-t", 1)[1]),
                                 intent))
        launched.sort()
        for (t1, tok1, a), (t2, tok2, b) in zip(launched, launched[1:]):
            if tok2 < tok1 and t2 > t1 + 1:
                self.violation(("fence", a, b), "launch %s (token %d) came after %s (token %d)"
                               % (b, tok2, a, tok1))


def ready(n):
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in n.get("status", {}).get("conditions", []))


class Soak:
    def __init__(self, build, seed, minutes):
        self.seed, self.minutes = seed, minutes
        self.rng = random.Random(seed)
        self.events, self.violations = [], []
        self.t0 = time.time()
        self.fault_t0 = None
        self.lab = e2elab.Lab(build)
        self.lab.reset_cluster(extra_pods=[pinned_pod()])
        self.h = self.twin = None
        self.samples = {}  # pid -> [(t, rss_kb, fds, threads)]
        self.faults = Faults(self, self.rng)

    def event(self, kind, **kw):
        e = dict(t=round(time.time() - self.t0, 1), kind=kind, **kw)
        self.events.append(e)
        print(json.dumps(e), flush=True)

    def sleep(self, s):
        end = time.monotonic() + s
        while time.monotonic() < end:
            self.sample()
            time.sleep(min(1.0, max(0, end - time.monotonic())))

    def sample(self):
        h = self.h
        if h is None or h.p.poll() is not None:
            return
        pid = h.p.pid
        try:
            with open("/proc/%d/status" % pid) as f:
                st = dict(line.split(":", 1) for line in f if ":" in line)
            fds = len(os.listdir("/proc/%d/fd" % pid))
        except (FileNotFoundError, ProcessLookupError):
            return
        if st.get("State", "").strip().startswith("T"):
            return  # stopped: a fault
        self.samples.setdefault(pid, []).append(
            (time.time(), int(st["VmRSS"].split()[0]), fds, int(st["Threads"])))

    def env(self):
        return self.lab.env(endpoint=self.lab.aws.proxy_url)

    def restart(self):
        self.h = self.lab.run(env=self.env(), base=SETTINGS, min_nodes=MIN_NODES)

    def kill9(self):
        self.h.kill()

    def sigstop(self):
        self.h.p.send_signal(signal.SIGSTOP)

    def cut_watches(self):
        self.lab.kube.control("/__drop_watches", {})
        self.lab.kube.control("/__expire", {})

    def pdb_on(self):
        import kubelab as K
        self.lab.kube.control("/__put", {"kind": "poddisruptionbudgets", "object": K.pdb(
            "soak-no-disruption", "shop", {"app": "web"}, max_unavailable=0)})

    def pdb_off(self):
        self.lab.kube.kubectl_run("-n", "shop", "delete", "pdb", "soak-no-disruption")

    def sigcont(self):
        self.h.p.send_signal(signal.SIGCONT)

    def start_twin(self):
        self.twin = self.lab.run(env=self.env(), base=SETTINGS, min_nodes=MIN_NODES, name="twin")

    def stop_twin(self):
        self.twin.kill()
        self.twin = None

    def run(self):
        until = time.monotonic() + self.minutes * 60
        self.restart()
        load = Load(self.lab, day_s=240, offset=self.rng.randrange(0, 27) * 1440)
        load.start()
        checker = Checker(self)
        checker.start()
        self.faults.run(until)
        self.fault_t0 = None
        self.sleep(max(0, until - time.monotonic()))
        load.stop.set()
        checker.stop.set()
        checker.join(10)
        alive = self.h.p.poll() is None
        if not alive:
            self.violations.append({"t": round(time.time() - self.t0, 1), "seed": self.seed,
                                    "what": "nodefleet exited by itself: %s"
                                            % self.h.text()[-500:]})
        self.h.stop()
        return self.report(checker)

    def report(self, checker):
        conv = []
        for e in self.events:
            if e["kind"] == "fault over":
                t = self.t0 + e["t"]
                after = [c - t for c in checker.converged_at if c >= t]
                if after:
                    conv.append(after[0])
        res = {}
        for pid, s in self.samples.items():
            if s[-1][0] - s[0][0] < 60:
                continue
            first = [x for x in s if x[0] - s[0][0] < 30]
            last = [x for x in s if s[-1][0] - x[0] < 30]
            res[str(pid)] = {
                "seconds": round(s[-1][0] - s[0][0]),
                "rss_kb": [statistics.median(x[1] for x in first),
                           statistics.median(x[1] for x in last)],
                "fds": [statistics.median(x[2] for x in first),
                        statistics.median(x[2] for x in last)],
                "threads": [statistics.median(x[3] for x in first),
                            statistics.median(x[3] for x in last)]}
        return {"seed": self.seed, "minutes": self.minutes, "faults": self.faults.count,
                "checks": checker.checks, "violations": self.violations,
                "converged_after_fault_s": {
                    "n": len(conv), "median": round(statistics.median(conv), 1) if conv else None,
                    "max": round(max(conv), 1) if conv else None},
                "resources_first_and_last_30s": res}


def pinned_pod():
    """A bare pod (no controller): nodefleet must never remove the node it runs on."""
    import kubelab as K
    p = K.pod("pinned-0", "shop", None, cpu="100m", memory="64Mi")
    p["spec"].pop("nodeName", None)
    p["status"] = {"phase": "Pending"}
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--report", default=None)
    a = ap.parse_args()
    if a.minutes < 1:
        ap.error("--minutes: at least 1")
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
    print("soak: seed %d, %.1f minutes (replay: --seed %d)" % (seed, a.minutes, seed),
          flush=True)
    rep = Soak(os.path.abspath(a.build), seed, a.minutes).run()
    text = json.dumps(rep, indent=2)
    print(text)
    if a.report:
        with open(a.report, "w") as f:
            f.write(text + "\n")
    sys.exit(1 if rep["violations"] else 0)


if __name__ == "__main__":
    main()
