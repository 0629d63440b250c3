"""checker.py - the chaos soak's invariants (issue 19), checked every second from the cloud's,
the cluster's and the store's own state: moto read directly (not through the fault proxy), the
API server's objects, the store item. Never from nodefleet's logs."""
import json
import threading
import time

import e2elab

MIN_NODES, MAX_NODES = 2, 6
PROVISION_S, INTERVAL_S, LEASE_S = 40, 1, 8


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
        self.starved_since = None  # pods pending while the pool has room to grow
        self.late_joins = {}  # instance -> seen past its join window in the last check
        self.cordoned_since = {}
        self.reported = set()
        self.tokens = []  # (time, fencing token) of the store item
        self.intent_count = {}  # intent -> the count its launch record said
        self.intent_instances = {}  # intent -> instance ids seen with its tag
        self.protected_nodes = {}  # pod -> the node it is on, of the pods that may not go
        self.converged_at = []  # times the world was settled
        self.describe_ms = []  # (time, ms) of moto's DescribeInstances: its own slowing down

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

    def kept_from_joining(self, t):
        """Seconds workers were kept from joining since `t`, and a launch's time more when
        they were: a worker launched then never joins, so it is found only at its provision
        timeout and a new one takes a launch again."""
        slow = self.soak.faults.slowed_since(t)
        return slow + PROVISION_S if slow > 0 else 0

    def world(self):
        t0 = time.monotonic()
        r = self.ec2.describe_instances(Filters=[
            {"Name": "tag:nodefleet:cluster", "Values": [e2elab.POOL]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]}])
        self.describe_ms.append((time.time(), (time.monotonic() - t0) * 1000))
        insts = [i for res in r["Reservations"] for i in res["Instances"]]
        st = self.soak.lab.kube.state()
        item = self.ddb.get_item(TableName="nf-e2e", Key={"cluster_id": {"S": e2elab.POOL}},
                                 ConsistentRead=True).get("Item", {})
        return insts, st, item

    def run(self):
        while not self.stop.wait(1.0):
            before = self.soak.api_restarts
            try:
                insts, st, item = self.world()
            except Exception as e:  # noqa: BLE001 - the API server is down (a fault): skip
                self.soak.event("check skipped", why=str(e)[:120])
                continue
            if before % 2 or self.soak.api_restarts != before:
                # its test controls answer before its objects are loaded back: what the
                # checker read may be the empty server's
                self.soak.event("check skipped", why="the API server restarting")
                continue
            self.checks += 1
            now = time.time()
            state = self.check_store(item, now)
            nodes = [n for n in st["nodes"]
                     if "node-role.kubernetes.io/control-plane" not in n["metadata"]["labels"]]
            self.check_counts(insts, nodes, now)
            self.check_joins(insts, nodes, now)
            self.check_cordons(nodes, state, now)
            self.check_protected(st, nodes)
            self.check_intents(insts, state)
            pending = [p for p in st["pods"] if p["metadata"]["namespace"] == "shop"
                       and not p["spec"].get("nodeName")]
            self.check_liveness(insts, pending, now)
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
        # an interrupted worker's replacement may come before it goes (README: the pool may
        # pass max_nodes by the number of workers interrupted while they drain)
        interrupted = sum(1 for i in insts if i["InstanceId"] == self.soak.victim)
        if len(insts) > MAX_NODES + interrupted:
            self.violation(("max", len(insts), int(now / 10)), "%d pool instances, max_nodes %d"
                           % (len(insts), MAX_NODES))
        if sum(map(ready, nodes)) >= MIN_NODES:
            self.below_min_since = None
            return
        self.below_min_since = self.below_min_since or now
        allowed = PROVISION_S + 20 + self.blind_since(self.below_min_since) + \
            self.kept_from_joining(self.below_min_since)
        if now - self.below_min_since > allowed:
            self.violation(("min", int(self.below_min_since)),
                           "fewer than %d Ready workers for %.0f s (allowed %.0f)"
                           % (MIN_NODES, now - self.below_min_since, allowed))

    def check_liveness(self, insts, pending, now):
        """Pods pending while the pool is below max_nodes: capacity comes within a launch's
        time (plus blind time, and the time workers were kept from joining)."""
        if not pending or len(insts) >= MAX_NODES:
            self.starved_since = None
            return
        self.starved_since = self.starved_since or now
        allowed = PROVISION_S + 30 + self.blind_since(self.starved_since) + \
            self.kept_from_joining(self.starved_since)
        if now - self.starved_since > allowed:
            self.violation(("starved", int(self.starved_since)),
                           "%d pods pending for %.0f s with %d of %d instances (allowed %.0f)"
                           % (len(pending), now - self.starved_since, len(insts), MAX_NODES,
                              allowed))

    def check_joins(self, insts, nodes, now):
        ready_ids = {n["spec"].get("providerID", "").rsplit("/", 1)[-1] for n in nodes
                     if ready(n)}
        for i in insts:
            if i["InstanceId"] in ready_ids:
                self.late_joins.pop(i["InstanceId"], None)
                continue
            born = i["LaunchTime"].timestamp()
            allowed = PROVISION_S + 15 + self.blind_since(born)
            # seen late in two checks in a row: moto and the API server are read one after the
            # other, and a drain may terminate the instance and delete its Node in between
            late = now - born > allowed
            if late and not self.late_joins.get(i["InstanceId"]):
                self.late_joins[i["InstanceId"]] = True
                continue
            if late:
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

    def check_protected(self, st, nodes):
        """No node removed while it held a pod that may not be evicted (the bare pod, the
        Deployment its PDB guards) - unless the cloud took it (a spot reclaim)."""
        names = {n["metadata"]["name"] for n in nodes}
        pods = {p["metadata"]["name"] for p in st["pods"]}
        for pod, node in list(self.protected_nodes.items()):
            if node in self.soak.reclaimed_nodes:
                continue
            if node not in names:
                self.violation(("protected", pod, node), "node %s removed while it held pod %s,"
                               " which may not be evicted" % (node, pod))
            elif pod not in pods:
                self.violation(("deleted", pod), "pod %s, which may not be evicted, deleted "
                               "from node %s" % (pod, node))
        self.protected_nodes = {}
        for p in st["pods"]:
            name, where = p["metadata"]["name"], p["spec"].get("nodeName")
            if protected(p) and where in names:
                self.protected_nodes[name] = where

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


def protected(pod):
    """A pod that may not be evicted: the bare pod, or one of the Deployment a PDB keeps."""
    name = pod["metadata"]["name"]
    return name == "pinned-0" or name.startswith("ledger-")
