#!/usr/bin/env python3
"""soak.py - the chaos soak (issue 19): the end-to-end lab (moto behind the fault proxy, our
API server and its world, a real Prometheus) under a load that follows a real trace, with
faults drawn from a seeded schedule, and invariants checked all the time from the cloud's, the
cluster's and the store's own state - never from nodefleet's logs (checker.py).

    soak.py BUILD_DIR [--minutes M] [--seed S] [--mode daemon|lambda] [--faults W,...]
            [--report FILE]

Daemon mode runs two `nodefleet run` on one lease, as an operator runs a standby: `steady`
is never killed (it is frozen past the lease; its RSS, descriptors and threads are the
trend judged over the whole soak), `crashy` is killed with -9 and started again. Lambda mode
runs `nodefleet lambda` behind a Runtime API that invokes it every second and kills it at
its deadline, as Lambda does.

`make soak` (SOAK_MINUTES, default 30; SOAK_SEED; SOAK_MODE) runs it; `make test` a short
one of each mode. The same seed gives the same schedule of faults (their kinds, lengths and
gaps), so a violation can be replayed. Exit 0: no invariant violated; 1: violations (listed
with the seed and the time).
"""
import argparse
import json
import os
import random
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import e2elab  # noqa: E402
import report  # noqa: E402
from actors import (SHAPES, NORMAL_DEADLINE_S, Load, LambdaService,  # noqa: E402
                    spot_warning)
from checker import Checker, MIN_NODES, MAX_NODES, PROVISION_S, LEASE_S  # noqa: E402

# nodefleet's own policy at the lab's pace; the CPU triggers kept out (the lab's CPU is this
# machine's)
SETTINGS = ["policy=default", "interval=1s", "max_nodes=%d" % MAX_NODES,
            "scale_down_unneeded_time=6s", "peak_window=10s", "scale_up_for=600s",
            "scale_up_threshold_cpu=99", "cooldown_scale_up=3s", "cooldown_scale_down=3s",
            "spot_percentage=50", "provision_timeout=%ds" % PROVISION_S,
            "kube.drain_timeout=20s", "kube.eviction_retry=1s",
            "lease_ttl=%ds" % LEASE_S] + e2elab.Lab.LAB_SETTINGS
CAPACITY_ERROR = ("<Response><Errors><Error><Code>InsufficientInstanceCapacity</Code>"
                  "<Message>No capacity (soak).</Message></Error></Errors>"
                  "<RequestID>soak</RequestID></Response>")
THROTTLED = ("<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>soak"
             "</Message></Error></Errors></Response>")


class Faults:
    """The seeded schedule: after a quiet gap, one fault for a while, then the next. Each
    kind is (name, start(), end(), blinds) - end undoes what start did; `blinds`: nodefleet
    cannot reconcile meanwhile, so the checker's windows grow by its length."""

    def __init__(self, soak, rng):
        self.soak, self.rng = soak, rng
        self.count = {}
        self.blind = []  # (start, end) of faults during which nodefleet cannot reconcile
        self.slowed = []  # (start, end) of faults that hold back new capacity (joins)
        self.slow_t0 = None
        self.length = 0.0

    def slowed_since(self, t):
        """Seconds since `t` during which new workers could not join."""
        now = time.time()
        spans = self.slowed + ([(self.slow_t0, now)] if self.slow_t0 else [])
        return sum(max(0, min(e, now) - max(s, t)) for s, e in spans)

    def kinds(self):
        S, L = self.soak, self.soak.lab
        aws = lambda **m: (lambda: L.aws.fault(**m))  # noqa: E731
        passing = S.aws_normal
        kinds = [
            ("kill -9 and restart", S.kill9, S.restart, True),
            ("SIGSTOP past the lease, SIGCONT", S.sigstop, S.sigcont, True),
            ("another nodefleet at once", S.start_twin, S.stop_twin, False),
            ("Prometheus stopped", L.stop_prometheus, L.start_prometheus, False),
            ("AWS answers 500", aws(mode="status", status=500), passing, True),
            ("AWS throttles", aws(mode="reply", status=400, content_type="text/xml",
                                  body=THROTTLED), passing, True),
            ("AWS slow (3 s a request)", aws(mode="delay", delay_s=3), passing, True),
            ("AWS malformed", aws(mode="reply", status=200,
                                  content_type="application/x-amz-json-1.0",
                                  body='{"truncated'), passing, True),
            ("the store unavailable (DynamoDB 503)",
             aws(mode="status", status=503, match="DynamoDB_20120810"), passing, True),
            ("AWS's clock skewed", lambda: L.aws.fault(
                mode="skew", skew_s=self.rng.choice([-1, 1]) * self.rng.uniform(400, 3600)),
             passing, False),
            ("spot capacity errors", aws(mode="reply", status=500, body=CAPACITY_ERROR,
                                         match=["Action=RunInstances", "MarketType=spot"]),
             passing, False),
            ("a spot interruption warning", S.spot_warn, S.spot_reclaim, False),
            ("API server slow (2 s a request)", lambda: L.kube.mode(latency_s=2),
             lambda: L.kube.mode(latency_s=0), True),
            ("API server restarted", S.api_down, S.api_up, True),
            ("API server cuts every watch, history gone (410)", S.cut_watches,
             lambda: None, False),
            ("evictions refused (a PodDisruptionBudget)", S.pdb_on, S.pdb_off, False),
            ("workers never join", lambda: L.kube.control("/__lab", {"join": False}),
             lambda: L.kube.control("/__lab", {"join": True}), False),
        ]
        if S.mode == "lambda":
            kinds.append(("invocations cut at their deadline", S.deadline_on, S.deadline_off,
                          True))
        return kinds

    def pick_length(self, name):
        if "join" in name:
            return self.rng.uniform(20, 50)
        if "SIGSTOP" in name:
            return LEASE_S + self.rng.uniform(1, 5)
        if "interruption" in name:  # the warning comes late: 20-60 s left of its two minutes
            return self.rng.uniform(20, 60)
        if "restarted" in name:  # down that long
            return self.rng.uniform(1, 8)
        return self.rng.uniform(3, 15)

    def run(self, until, only=None):
        kinds = [k for k in self.kinds() if not only or any(o in k[0] for o in only)]
        if not kinds:
            raise SystemExit("soak: no fault is named like %s" % only)
        while time.monotonic() < until - 20 and self.soak.cut_short is None:
            self.soak.sleep(self.rng.uniform(8, 20))
            name, start, end, blinds = self.rng.choice(kinds)
            length = self.length = self.pick_length(name)
            if time.monotonic() + length > until - 15:
                break
            t0 = time.time()
            self.soak.event("fault", name=name, length_s=round(length, 1))
            if blinds:
                self.soak.fault_t0 = t0
            if "join" in name:
                self.slow_t0 = t0
            start()
            self.soak.sleep(length)
            end()
            self.count[name] = self.count.get(name, 0) + 1
            if blinds:
                self.blind.append((t0, time.time()))
            if "join" in name:
                self.slowed.append((t0, time.time()))
            self.slow_t0 = None
            self.soak.fault_t0 = None
            self.soak.event("fault over", name=name)


class Soak:
    def __init__(self, build, seed, minutes, mode, only=None):
        self.seed, self.minutes, self.mode, self.only = seed, minutes, mode, only
        self.rng = random.Random(seed)
        self.events, self.violations = [], []
        self.t0 = time.time()
        self.cut_short = None  # when SIGTERM or SIGINT ended the soak early (wall, from t0)
        self.api_restarts = 0  # even: the API server is up with its objects
        self.fault_t0 = None
        self.reclaimed_nodes = set()  # nodes whose instance the cloud took (spot)
        self.victim = None
        self.lab = e2elab.Lab(build)
        self.lab.reset_cluster(extra_pods=[pinned_pod()], shapes=[s[:3] for s in SHAPES] +
                               [("ledger", "250m", "256Mi")])
        self.lab.scale(1, "ledger")
        self.pdb("ledger-keep-one", "ledger", min_available=1)
        queue = self.lab.aws.aws("sqs", "create-queue", "--queue-name", "soak-interruptions")
        self.queue = queue["QueueUrl"]
        self.settings = SETTINGS + ["aws.interruption_queue_url=" + self.queue]
        self.steady = self.crashy = self.twin = self.fn = self.stopped = None
        self.samples = {}  # (role, pid) -> [(t, rss_kb, fds, threads)]
        self.faults = Faults(self, self.rng)

    def event(self, kind, **kw):
        e = dict(t=round(time.time() - self.t0, 1), kind=kind, **kw)
        self.events.append(e)
        print(json.dumps(e), flush=True)

    def sleep(self, s):
        end = time.monotonic() + s
        while time.monotonic() < end and self.cut_short is None:
            self.sample()
            time.sleep(min(1.0, max(0, end - time.monotonic())))

    def actors(self):
        """(role, handle) of the processes whose resources are watched."""
        if self.mode == "lambda":
            return [("lambda", self.fn.h if self.fn else None)]
        return [("steady", self.steady), ("crashy", self.crashy)]

    def sample(self):
        for role, h in self.actors():
            s = h and report.proc_sample(h.p)
            if s:
                self.samples.setdefault((role, h.p.pid), []).append(s)

    def start(self, cmd, name, **env):
        return self.lab.run(env=self.lab.env(endpoint=self.lab.aws.proxy_url, **env),
                            base=self.settings, min_nodes=MIN_NODES, name=name, cmd=cmd)

    # -- the faults' two halves
    def target(self, daemon):
        """The process a kill or a freeze hits: the Lambda sandbox in Lambda mode, else
        `daemon` (crashy is killed, steady frozen)."""
        return self.fn.h if self.mode == "lambda" else daemon

    def restart(self):
        if self.mode == "daemon":
            self.crashy = self.start("run", "crashy")
        # Lambda mode: the service starts a cold sandbox for the next event

    def kill9(self):
        h = self.target(self.crashy)
        if h is not None:
            h.kill()

    def sigstop(self):
        self.stopped = self.target(self.steady)
        if self.stopped is not None and self.stopped.p.poll() is None:
            self.stopped.p.send_signal(signal.SIGSTOP)

    def sigcont(self):
        if self.stopped is not None and self.stopped.p.poll() is None:
            self.stopped.p.send_signal(signal.SIGCONT)

    def start_twin(self):
        if self.mode == "lambda":  # a second sandbox: two invocations at once
            self.twin = LambdaService(self, "twin")
            self.twin.start()
        else:
            self.twin = self.start("run", "twin")

    def stop_twin(self):
        if self.mode == "lambda":
            self.twin.close()
        else:
            self.twin.kill()
        self.twin = None

    def cut_watches(self):
        self.lab.kube.control("/__drop_watches", {})
        self.lab.kube.control("/__expire", {})

    def pdb(self, name, app, **kw):
        import kubelab as K
        self.lab.kube.control("/__put", {"kind": "poddisruptionbudgets", "object": K.pdb(
            name, "shop", {"app": app}, **kw)})

    def pdb_on(self):
        self.pdb("soak-no-disruption", "web", max_unavailable=0)

    def pdb_off(self):
        self.lab.kube.kubectl_run("-n", "shop", "delete", "pdb", "soak-no-disruption")

    def api_down(self):
        self.api_restarts += 1  # odd while it restarts: the checker does not read it then
        self.saved_api = self.lab.kube_down()

    def api_up(self):
        self.lab.kube_up(self.saved_api)
        self.api_restarts += 1

    def deadline_on(self):
        """Each invocation has 8-16 s (aws.timeout is 10 s) while every AWS request takes
        0.5-3 s: cycles start and do not fit; nodefleet must end them before the deadline,
        or Lambda kills the sandbox."""
        self.fn.deadline_s = self.rng.uniform(8, 16)
        self.lab.aws.fault(mode="skew", skew_s=0, latency_s=self.rng.uniform(0.5, 3))

    def deadline_off(self):
        self.fn.deadline_s = NORMAL_DEADLINE_S
        self.aws_normal()

    def aws_normal(self):
        """AWS as it is between faults: passing everything on, but refusing a request signed
        more than 5 minutes from its clock, as AWS does (after a skew, nodefleet must
        correct back)."""
        self.lab.aws.fault(mode="skew", skew_s=0)

    def spot_warn(self):
        """EventBridge's two-minute warning for a running worker, into the queue nodefleet
        reads; the cloud takes the instance at the end, whatever runs there."""
        st = self.lab.kube.state()
        by_id = {n["spec"].get("providerID", "").rsplit("/", 1)[-1]: n["metadata"]["name"]
                 for n in st["nodes"]}
        ids = sorted(i for i in by_id if i.startswith("i-"))
        self.victim = self.rng.choice(ids) if ids else None
        if self.victim is None:
            self.event("no worker to interrupt")
            return
        self.reclaimed_nodes.add(by_id[self.victim])
        ev = spot_warning(self.victim, self.faults.length)
        self.lab.aws.aws("sqs", "send-message", "--queue-url", self.queue,
                         "--message-body", json.dumps(ev))

    def spot_reclaim(self):
        if self.victim:
            self.lab.aws.aws("ec2", "terminate-instances", "--instance-ids", self.victim)
        self.victim = None
        # the bare pod went with its node if it was there: its owner starts it again
        pods = {p["metadata"]["name"] for p in self.lab.kube.state()["pods"]}
        if "pinned-0" not in pods:
            self.lab.kube.control("/__put", {"kind": "pods", "object": pinned_pod()})

    def run(self):
        until = time.monotonic() + self.minutes * 60
        if self.mode == "lambda":
            self.fn = LambdaService(self, "lambda")
            self.fn.start()
        else:
            self.steady = self.start("run", "steady")
            self.crashy = self.start("run", "crashy")
        self.aws_normal()
        load = Load(self.lab, day_s=240, offset=self.rng.randrange(0, 27) * 1440)
        load.start()
        checker = Checker(self)
        checker.start()
        self.faults.run(until, self.only)
        self.fault_t0 = None
        self.sleep(max(0, until - time.monotonic()))
        load.stop.set()
        checker.stop.set()
        checker.join(10)
        self.finish()
        return report.build(self, checker)

    def finish(self):
        """Every process still there must have stayed up by itself."""
        procs = [("lambda", self.fn.h)] if self.mode == "lambda" else self.actors()
        for role, h in procs:
            if h is not None and h.p.poll() is not None and role != "lambda":
                self.violations.append({"t": round(time.time() - self.t0, 1), "seed": self.seed,
                                        "what": "nodefleet (%s) exited by itself: %s"
                                                % (role, h.text()[-500:])})
        if self.fn:
            self.fn.close()
        for role, h in self.actors():
            if h is not None:
                h.stop()


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
    ap.add_argument("--mode", choices=("daemon", "lambda"), default="daemon")
    ap.add_argument("--faults", default=None,
                    help="only the faults whose names contain one of these comma-separated "
                         "words (a regression case, or a look at one kind)")
    ap.add_argument("--report", default=None)
    a = ap.parse_args()
    if a.minutes < 1:
        ap.error("--minutes: at least 1")
    seed = a.seed if a.seed is not None else random.SystemRandom().randrange(1 << 30)
    print("soak: seed %d, %.1f minutes, %s mode (replay: --seed %d --mode %s)"
          % (seed, a.minutes, a.mode, seed, a.mode), flush=True)
    only = a.faults.split(",") if a.faults else None
    soak = Soak(os.path.abspath(a.build), seed, a.minutes, a.mode, only)

    def cut(signum, frame):  # stop early, but end the fault under way and write the report
        if soak.cut_short is None:
            soak.cut_short = round(time.time() - soak.t0, 1)
            soak.event("cut short", signal=signal.Signals(signum).name)
    signal.signal(signal.SIGTERM, cut)
    signal.signal(signal.SIGINT, cut)
    rep = soak.run()
    rep["cut_short_at_s"] = soak.cut_short
    text = json.dumps(rep, indent=2)
    print(text)
    if a.report:
        with open(a.report, "w") as f:
            f.write(text + "\n")
    sys.exit(1 if rep["violations"] else 0)


if __name__ == "__main__":
    main()
