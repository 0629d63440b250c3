"""actors.py - what moves in the chaos soak besides the faults: the load (Deployments of three
shapes whose replicas follow a real trace) and, in Lambda mode, the Lambda service (a
scheduled invocation a second into a warm sandbox, cut at its deadline as Lambda cuts it)."""
import os
import threading
import time

import e2elab
from checker import MAX_NODES, INTERVAL_S
from runtimeapi import RuntimeAPI

HERE = os.path.dirname(os.path.abspath(__file__))
TRACE = os.path.join(HERE, "..", "..", "data", "traces", "nasa_jul95_1min.csv")
# (name, CPU, memory, share of the load in 500m units, units a pod takes); with `web` and the
# bare pod they make pods of four shapes
NORMAL_DEADLINE_S = 60  # the stack's function timeout (deploy/aws/nodefleet.yaml)
SHAPES = [("batch", "1", "1Gi", 0.2, 2), ("cache", "250m", "768Mi", 0.2, 0.5)]


class Load(threading.Thread):
    """The trace, a day every `day_s` seconds, as U units of 500m CPU, from 1 to what MAX_NODES
    workers hold less two (3 units on 2 CPU beside the DaemonSet's 100m): `web` (500m) takes
    60 % of them, `batch` (1 CPU) and `cache` (250m, memory-heavy) 20 % each."""

    def __init__(self, lab, day_s, offset):
        super().__init__(daemon=True)
        with open(TRACE) as f:
            vals = [float(line.split(",")[1]) for line in f.read().splitlines()[1:] if line]
        top = sorted(vals)[int(len(vals) * 0.99)]
        self.vals, self.top, self.lab, self.day_s = vals, top, lab, day_s
        self.offset = offset  # the schedule's seed picks the day it starts on
        self.stop = threading.Event()
        self.replicas = {}

    def at(self, t):
        """{deployment: replicas} `t` seconds in."""
        minute = self.offset + int(t / self.day_s * 1440)
        v = self.vals[minute % len(self.vals)]
        units = max(1, min(3 * MAX_NODES - 2, round(v / self.top * (3 * MAX_NODES - 2))))
        want = {"web": max(1, round(units * 0.6))}
        for name, _, _, share, per_pod in SHAPES:
            want[name] = int(units * share / per_pod)
        return want

    def run(self):
        t0 = time.monotonic()
        last_sent = 0.0
        while not self.stop.wait(1.0):
            want = self.at(time.monotonic() - t0)
            # sent again every 15 s: a scale lost with a restarted API server is made again
            if want == self.replicas and time.monotonic() - last_sent < 15:
                continue
            try:
                for name, n in want.items():
                    self.lab.scale(n, name)
                self.replicas, last_sent = want, time.monotonic()
            except Exception:  # noqa: BLE001 - the API server is down: a fault, try again
                pass


class LambdaService(threading.Thread):
    """Lambda with reserved concurrency 1 and a schedule of one event a second: each event goes
    to the warm sandbox (`nodefleet lambda`), started cold when there is none; an invocation
    not answered by its deadline (plus Lambda's second of slack) has its sandbox killed, as
    Lambda kills a runtime that times out. `deadline_s` is each invocation's time."""

    def __init__(self, soak, name):
        super().__init__(daemon=True)
        self.soak, self.name = soak, name
        self.api = None
        self.deadline_s = NORMAL_DEADLINE_S
        self.error_bodies = []  # the first few distinct /error answers, for the report
        self.h = None
        self.stop = threading.Event()
        self.n = {"invocations": 0, "answered": 0, "errors": 0, "killed_at_deadline": 0,
                  "cold_starts": 0, "deadline_cut_answers": 0, "sandbox_died": 0}

    def sandbox(self):
        """The warm sandbox, or a cold one with a Runtime API of its own (a dead sandbox's
        pending `next` must not take the new one's event)."""
        if self.h is None or self.h.p.poll() is not None:
            if self.api is not None:
                self.api.close()
            self.api = RuntimeAPI()
            # a killed sandbox's `next` left waiting answers a closed socket: not news
            self.api.srv.handle_error = lambda request, address: None
            self.h = self.soak.start("lambda", self.name, AWS_LAMBDA_RUNTIME_API=self.api.addr)
            self.n["cold_starts"] += 1
        self.api.deadline_s = self.deadline_s
        return self.h

    def answer(self, rid):
        for p in reversed(self.api.posts):
            if "/%s/" % rid in p["path"]:
                return p
        return None

    def invoke(self, i):
        h = self.sandbox()
        rid = "%s-%d" % (self.name, i)
        self.api.event(rid)
        self.n["invocations"] += 1
        t0 = time.time()
        while not self.stop.is_set():
            post = self.answer(rid)
            handed = next((t for r, t in reversed(self.api.handed) if r == rid), None)
            if post:
                ok = post["path"].endswith("/response")
                self.n["answered" if ok else "errors"] += 1
                if not ok and len(self.error_bodies) < 5 and post["body"][:200] not in \
                        self.error_bodies:
                    self.error_bodies.append(post["body"][:200])
                if '"rule": "deadline"' in post["body"] or '"rule":"deadline"' in post["body"]:
                    self.n["deadline_cut_answers"] += 1
                return
            if h.p.poll() is not None:  # killed by a fault: the next event starts cold
                self.n["sandbox_died"] += 1
                return
            start = handed if handed is not None else t0
            if time.time() > start + self.deadline_s + 1:
                h.kill()  # Lambda's timeout: the runtime goes, the next event starts cold
                self.n["killed_at_deadline"] += 1
                return
            time.sleep(0.05)

    def run(self):
        i = 0
        while not self.stop.is_set():
            t0 = time.monotonic()
            self.invoke(i)
            i += 1
            self.stop.wait(max(0.0, INTERVAL_S - (time.monotonic() - t0)))

    def close(self):
        self.stop.set()
        self.join(30)
        if self.h is not None:
            self.h.kill()
        if self.api is not None:
            self.api.close()


def spot_warning(instance, seconds_left):
    """The warning for `instance`, delivered late enough that it has `seconds_left`."""
    return e2elab.spot_warning(instance, "soak-%s-%d" % (instance, time.time()),
                               at=time.time() + seconds_left - 120)
