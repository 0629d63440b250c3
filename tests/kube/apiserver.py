#!/usr/bin/env python3
"""A Kubernetes API server for the tests: the subset nodefleet and kubectl use, with the real
API's semantics, over TLS on loopback.

    apiserver.py PORTFILE CERTDIR TOKEN [PORT]

CERTDIR holds ca.crt, server.crt and server.key (tests/kube/kubelab.py makes them with
openssl). A request is authenticated by `Authorization: Bearer TOKEN` or by a client
certificate the CA signed; anything else gets 401.

Served (JSON only, as an API server answers a client that asks for JSON):
  discovery   /api, /apis, /api/v1 (the real kube-apiserver's resource list, from
              tests/vectors/kubernetes/discovery), /apis/apps/v1, /apis/policy/v1
  core/v1     nodes (list, get, patch, delete), pods (list across or in namespaces, get,
              delete, and the policy/v1 eviction subresource)
  apps/v1     replicasets, deployments, statefulsets, daemonsets (list, get)
  policy/v1   poddisruptionbudgets (list, get) with status.disruptionsAllowed computed from
              the healthy pods it selects, as the disruption controller does
Lists take `limit` and `continue` (paging) and `fieldSelector` (spec.nodeName,
metadata.name, metadata.namespace, status.phase; =, ==, != and commas).
Evictions answer as kube-apiserver's eviction REST handler (pkg/registry/core/pod/storage/
eviction.go, see tests/vectors/kubernetes/kube-facts.md): 201 Success; 404 NotFound; 429
TooManyRequests when a budget allows no disruption (or has not observed its generation:
retryAfterSeconds 10); 500 when two budgets cover the pod; 400 on a name mismatch.
An evicted or deleted pod gets a deletionTimestamp and goes `grace_s` later; a ReplicaSet
then starts a replacement on the schedulable, Ready node with the fewest pods, Ready
`ready_delay_s` after that.

Test controls (no authentication): POST /__load {"nodes": [...], "pods": [...], ...}
replaces the objects; GET /__state returns them; GET /__log the requests seen; POST /__mode
{"down": true} closes every API connection unanswered, {"token": T} changes the accepted
token, {"rbac": {"token": T, "rules": [...]}} accepts token T with only those ClusterRole
rules (403 otherwise), and {"rbac_default": ...} the same for the identity nodefleet runs
with in every test (kubelab.py), whose (group, resource, verb) requests GET /__rbac_seen
lists, {"grace_s": S, "ready_delay_s": S} the timings, {"latency_s": S} holds every API request that
long (a network's latency), POST /__lab starts the end-to-end lab's
world (tests/kube/labworld.py: workers join from moto, a scheduler, the load, metrics; posted
again, {"join": false} stops instances from registering) and
POST /__scale scales a Deployment, POST /__expire forgets the watch history (a watch from
an older version gets 410 Gone), POST /__drop_watches cuts every open watch's connection,
POST /__churn {"changes": N} updates N pods (benchmarks); /__load takes {"rv": N} to go on
from a restarted server's last version. Watches (`watch=1`) stream every change as
kube-apiserver does: see Handler.watch. {"malformed": "nodes"} answers
paths containing that text with truncated JSON, {"huge": "pods"} with 70 MiB; POST /__bulk {"nodes": N, "pods": M}
builds a synthetic cluster of that size for benchmarks.
"""
import base64
import bisect
import copy
import datetime
import json
import os
import random
import socket
import ssl
import string
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
DISCOVERY = os.path.join(HERE, "..", "vectors", "kubernetes", "discovery")

KINDS = {  # resource -> (kind, apiVersion, namespaced)
    "nodes": ("Node", "v1", False),
    "pods": ("Pod", "v1", True),
    "replicasets": ("ReplicaSet", "apps/v1", True),
    "deployments": ("Deployment", "apps/v1", True),
    "statefulsets": ("StatefulSet", "apps/v1", True),
    "daemonsets": ("DaemonSet", "apps/v1", True),
    "poddisruptionbudgets": ("PodDisruptionBudget", "policy/v1", True),
}
GROUP_OF = {"nodes": "", "pods": "", "replicasets": "apps", "deployments": "apps",
            "statefulsets": "apps", "daemonsets": "apps", "poddisruptionbudgets": "policy"}

lock = threading.RLock()
store = {r: {} for r in KINDS}  # resource -> {(ns, name): object}
cache = {r: {} for r in KINDS}  # resource -> {(ns, name): JSON bytes of the list item}
order = {}  # resource -> its keys, sorted (dropped when an object comes or goes)
rv = [1000]
# NF_APISERVER_DOWN=1: start refusing the API (a restart, until its objects are loaded back -
# a real API server does not serve before its cache holds etcd's objects)
settings = {"down": os.environ.get("NF_APISERVER_DOWN") == "1",
            "token": sys.argv[3] if len(sys.argv) > 3 else "", "grace_s": 0.5,
            "ready_delay_s": 0.3, "malformed": None, "huge": None, "rbac": None,
            "rbac_default": None}
log = []
rbac_seen = set()  # (group, resource, verb) the rbac_default token asked for
world = None  # labworld.World once POST /__lab started it
# the watch history: every change as (resourceVersion, resource, type, event JSON bytes)
events, event_rvs = [], []
oldest = [rv[0]]  # a watch from a version below this one gets 410 Gone
changed = threading.Condition(lock)
loading = [False]  # /__load and /__bulk: no events, no budget refresh (history expired after)
watch_gen = [0]  # bumped by POST /__drop_watches: every open watch drops its connection
settings.update({"history": 5000, "bookmark_s": 5.0})


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_rv():
    rv[0] += 1
    return str(rv[0])


def key_of(obj):
    m = obj.get("metadata", {})
    return (m.get("namespace", ""), m["name"])


def emit(res, typ, obj):
    """Record a change for the watches (under the lock)."""
    o = dict(obj)
    o["kind"], o["apiVersion"] = KINDS[res][0], KINDS[res][1]
    ev = json.dumps({"type": typ, "object": o}).encode() + b"\n"
    n = int(obj["metadata"]["resourceVersion"])
    events.append((n, res, typ, ev, o["metadata"].get("namespace", "")))
    event_rvs.append(n)
    if len(events) > 2 * settings["history"]:  # keep the last `history` changes
        cut = len(events) - settings["history"]
        oldest[0] = event_rvs[cut - 1]
        del events[:cut]
        del event_rvs[:cut]
    changed.notify_all()


def expire_history():
    """Forget every change so far: a watch from an older version gets 410 Gone."""
    events.clear()
    event_rvs.clear()
    oldest[0] = rv[0]
    changed.notify_all()


def refresh_pdbs(pod):
    """The disruption controller's part: a budget whose status a pod's change moved is
    updated (a MODIFIED event for the watches)."""
    ns = pod["metadata"].get("namespace", "")
    for (dns, _), d in list(store["poddisruptionbudgets"].items()):
        if dns != ns or not selects(d.get("spec", {}).get("selector"),
                                    pod["metadata"].get("labels")):
            continue
        before = json.dumps(d.get("status"), sort_keys=True)
        pdb_status(d)
        if json.dumps(d.get("status"), sort_keys=True) != before:
            put("poddisruptionbudgets", d)


def put(res, obj):
    """Store an object (under the lock), stamping what the API server stamps."""
    m = obj.setdefault("metadata", {})
    m.setdefault("uid", "%08x-%04x-4%03x-8%03x-%012x" % tuple(random.getrandbits(b) for b in
                                                             (32, 16, 12, 12, 48)))
    m.setdefault("creationTimestamp", now_rfc3339())
    m["resourceVersion"] = next_rv()
    obj.pop("kind", None)
    obj.pop("apiVersion", None)
    k = key_of(obj)
    new = k not in store[res]
    if new:
        order.pop(res, None)
    store[res][k] = obj
    cache[res].pop(k, None)
    if loading[0]:
        return
    if res == "poddisruptionbudgets":
        pdb_status(obj)
    emit(res, "ADDED" if new else "MODIFIED", obj)
    if res == "pods":
        refresh_pdbs(obj)


def remove(res, k):
    obj = store[res].pop(k, None)
    cache[res].pop(k, None)
    order.pop(res, None)
    if obj is not None and not loading[0]:
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = next_rv()
        emit(res, "DELETED", gone)
        if res == "pods":
            refresh_pdbs(gone)


def status(code, reason, message, details=None, retry_after=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {},
         "status": "Success" if code < 400 else "Failure", "code": code}
    if code >= 400:
        s["message"] = message
        if reason:
            s["reason"] = reason
    if details is not None:
        s["details"] = details
    if retry_after is not None:
        s.setdefault("details", {})["retryAfterSeconds"] = retry_after
    return s


# ---- selectors ---------------------------------------------------------------------------

def selects(selector, labels):
    """A label selector (matchLabels, matchExpressions) against labels. Nil or empty selects
    nothing, as the eviction handler reads a budget's selector."""
    if not selector or (not selector.get("matchLabels") and not selector.get("matchExpressions")):
        return False
    labels = labels or {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        op, k, vals = e["operator"], e["key"], e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def field_value(obj, field):
    if field == "spec.nodeName":
        return obj.get("spec", {}).get("nodeName", "")
    if field == "metadata.name":
        return obj["metadata"]["name"]
    if field == "metadata.namespace":
        return obj["metadata"].get("namespace", "")
    if field == "status.phase":
        return obj.get("status", {}).get("phase", "")
    raise KeyError(field)


def parse_field_selector(text):
    reqs = []
    for part in [p for p in text.split(",") if p]:
        if "!=" in part:
            k, v = part.split("!=", 1)
            reqs.append((k, False, v))
        elif "==" in part:
            k, v = part.split("==", 1)
            reqs.append((k, True, v))
        elif "=" in part:
            k, v = part.split("=", 1)
            reqs.append((k, True, v))
        else:
            raise ValueError("invalid selector: '%s'; can't understand '%s'" % (text, part))
    return reqs


# ---- controllers: budgets, deletion, replicas ------------------------------------------

def ready(pod):
    for c in pod.get("status", {}).get("conditions", []):
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def pdb_status(pdb):
    """disruptionsAllowed from the healthy pods the budget selects (the disruption
    controller's arithmetic; expected pods = the pods it selects)."""
    ns = pdb["metadata"].get("namespace", "")
    sel = pdb.get("spec", {}).get("selector")
    pods = [p for (pns, _), p in store["pods"].items()
            if pns == ns and selects(sel, p["metadata"].get("labels"))
            and p.get("status", {}).get("phase") not in ("Succeeded", "Failed")]
    healthy = sum(1 for p in pods if ready(p) and not p["metadata"].get("deletionTimestamp"))
    expected = len(pods)
    spec = pdb.get("spec", {})

    def scaled(v, round_up):
        if isinstance(v, str) and v.endswith("%"):
            x = int(v[:-1]) * expected / 100.0
            return int(-(-x // 1)) if round_up else int(x)
        return int(v)

    if "minAvailable" in spec:
        desired = scaled(spec["minAvailable"], True)
    elif "maxUnavailable" in spec:
        desired = expected - scaled(spec["maxUnavailable"], True)
    else:
        desired = expected
    st = pdb.setdefault("status", {})
    st.update({"currentHealthy": healthy, "desiredHealthy": desired, "expectedPods": expected,
               "disruptionsAllowed": max(0, healthy - desired)})
    gen = pdb["metadata"].setdefault("generation", 1)
    if not pdb.get("x-stale"):
        st["observedGeneration"] = gen
    return st


def schedule_delete(k, uid):
    """The kubelet's part: after the grace period the pod is gone; its ReplicaSet replaces
    it."""
    def gone():
        with lock:
            pod = store["pods"].get(k)
            if pod is None or pod["metadata"]["uid"] != uid:
                return
            remove("pods", k)
            replace(pod)
    t = threading.Timer(settings["grace_s"], gone)
    t.daemon = True
    t.start()


def rand5():
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(5))


def start_delete(k):
    pod = store["pods"][k]
    if pod["metadata"].get("deletionTimestamp"):
        return
    pod["metadata"]["deletionTimestamp"] = now_rfc3339()
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    put("pods", pod)
    schedule_delete(k, pod["metadata"]["uid"])


def replace(pod):
    """A ReplicaSet's pod went: start another on the emptiest schedulable Ready node."""
    owner = next((o for o in pod["metadata"].get("ownerReferences", [])
                  if o.get("controller") and o.get("kind") == "ReplicaSet"), None)
    if owner is None:
        return
    ns = pod["metadata"].get("namespace", "")
    rs = store["replicasets"].get((ns, owner["name"]))
    if rs is None:
        return
    live = sum(1 for (pns, _), p in store["pods"].items()
               if pns == ns and not p["metadata"].get("deletionTimestamp") and any(
                   o.get("name") == owner["name"] for o in p["metadata"].get("ownerReferences", [])))
    if live >= int(rs.get("spec", {}).get("replicas", 1)):
        return  # scaled down: nothing to replace
    counts = {}
    for p in store["pods"].values():
        n = p.get("spec", {}).get("nodeName")
        if n:
            counts[n] = counts.get(n, 0) + 1
    targets = [n for n in store["nodes"].values()
               if not n.get("spec", {}).get("unschedulable") and ready(n)
               and "node-role.kubernetes.io/control-plane" not in n["metadata"].get("labels", {})]
    new = copy.deepcopy(pod)
    m = new["metadata"]
    for f in ("deletionTimestamp", "deletionGracePeriodSeconds", "uid", "creationTimestamp"):
        m.pop(f, None)
    m["name"] = owner["name"] + "-" + "".join(random.choice(string.ascii_lowercase + string.digits)
                                               for _ in range(5))
    new["status"] = {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}]}
    if world is not None:  # the lab's scheduler places it
        new.setdefault("spec", {}).pop("nodeName", None)
        new["status"]["conditions"][0] = {"type": "PodScheduled", "status": "False",
                                          "reason": "Unschedulable"}
        put("pods", new)
        return
    if targets:
        target = min(targets, key=lambda n: (counts.get(n["metadata"]["name"], 0),
                                             n["metadata"]["name"]))
        new.setdefault("spec", {})["nodeName"] = target["metadata"]["name"]
    else:
        new.setdefault("spec", {}).pop("nodeName", None)
        new["status"]["conditions"][0] = {"type": "PodScheduled", "status": "False",
                                          "reason": "Unschedulable",
                                          "message": "0/%d nodes are available" % len(store["nodes"])}
    put("pods", new)
    if targets:
        k, uid = key_of(new), new["metadata"]["uid"]

        def becomes_ready():
            with lock:
                p = store["pods"].get(k)
                if p is None or p["metadata"]["uid"] != uid:
                    return
                p["status"] = {"phase": "Running", "conditions": [
                    {"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"}]}
                put("pods", p)
        t = threading.Timer(settings["ready_delay_s"], becomes_ready)
        t.daemon = True
        t.start()


# ---- the handler -------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, obj, extra=None):
        body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def forbidden(self, method, group, res, name, sub, q=None):
        """With {"rbac": {"token": T, "rules": [ClusterRole rules]}}, requests made with T
        are allowed only what the rules grant (discovery is always allowed)."""
        auth = self.headers.get("Authorization", "")
        rb = next((r for r in (settings.get("rbac"), settings.get("rbac_default"))
                   if r and auth == "Bearer " + r["token"]), None)
        if rb is None:
            return None
        verb = {"GET": "get" if name else "list", "POST": "create", "PATCH": "patch",
                "DELETE": "delete", "PUT": "update"}[method]
        if verb == "list" and (q or {}).get("watch") in ("1", "true"):
            verb = "watch"
        resource = res + ("/" + sub if sub else "")
        if rb is settings.get("rbac_default"):  # what nodefleet's own identity asked for
            rbac_seen.add((group, resource, verb))
        for r in rb["rules"]:
            if group in r.get("apiGroups", []) and resource in r.get("resources", []) and \
                    verb in r.get("verbs", []):
                return None
        return ('%s "%s" is forbidden: User "system:serviceaccount:kube-system:nodefleet" '
                'cannot %s resource "%s" in API group "%s"' % (res, name or "", verb, resource,
                                                              group))

    def authenticated(self):
        auth = self.headers.get("Authorization", "")
        if settings["token"] and auth == "Bearer " + settings["token"]:
            return True
        for rb in (settings.get("rbac"), settings.get("rbac_default")):
            if rb and auth == "Bearer " + rb["token"]:
                return True
        try:
            cert = self.connection.getpeercert()
        except (AttributeError, ValueError):
            cert = None
        return bool(cert)

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, ssl.SSLError, socket.timeout):
            self.close_connection = True

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PUT(self):
        self.dispatch("PUT")

    def dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        path = url.path.rstrip("/") or "/"
        if path.startswith("/__"):
            return self.control(method, path)
        raw = self.body()
        if settings.get("latency_s"):  # a fixed network latency, before anything
            time.sleep(settings["latency_s"])
        with lock:
            log.append({"t": time.time(), "method": method, "path": path, "query": q,
                        "content_type": self.headers.get("Content-Type"),
                        "accept": self.headers.get("Accept"),
                        "body": raw.decode("utf-8", "replace")[:2000]})
        if settings["down"]:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if not self.authenticated():
            return self.send(401, status(401, "Unauthorized", "Unauthorized"))
        if settings["malformed"] and settings["malformed"] in path:
            return self.send(200, b'{"kind":"NodeList","apiVersion":"v1","items":[{"metadata":')
        if settings["huge"] and settings["huge"] in path:
            return self.send(200, b'{"kind":"PodList","items":[],"x":"' + b"x" * (70 << 20) + b'"}')
        self.pending_watch = None
        try:
            with lock:
                self.api(method, path, q, raw)
        except (ValueError, KeyError, json.JSONDecodeError) as e:
            self.send(400, status(400, "BadRequest", str(e)))
        if self.pending_watch:
            self.watch(*self.pending_watch)

    # -- control
    def control(self, method, path):
        raw = self.body()
        with lock:
            if path == "/__load" and method == "POST":
                data = json.loads(raw)
                if "rv" in data:  # a restarted server goes on from where the last one was
                    rv[0] = max(rv[0], int(data["rv"]))
                loading[0] = True
                try:
                    for r in KINDS:
                        store[r].clear()
                        cache[r].clear()
                        order.pop(r, None)
                        for o in data.get(r, []):
                            put(r, o)
                finally:
                    loading[0] = False
                expire_history()
                for k, p in store["pods"].items():  # a kubelet finishes what was terminating
                    if p["metadata"].get("deletionTimestamp"):
                        schedule_delete(k, p["metadata"]["uid"])
                return self.send(200, {"ok": True, "rv": rv[0]})
            if path == "/__state":
                st = {r: list(store[r].values()) for r in KINDS}
                st["rv"] = rv[0]
                return self.send(200, st)
            if path == "/__expire" and method == "POST":  # every watch's history: 410 Gone
                expire_history()
                return self.send(200, {"oldest": oldest[0]})
            if path == "/__drop_watches" and method == "POST":  # connections cut, no goodbye
                watch_gen[0] += 1
                changed.notify_all()
                return self.send(200, {"gen": watch_gen[0]})
            if path == "/__churn" and method == "POST":  # {"changes": N}: N pod updates
                d = json.loads(raw)
                return self.send(200, {"rv": churn(int(d["changes"]), d.get("ns"))})
            if path == "/__rbac_seen":  # [[group, resource, verb], ...] of rbac_default's token
                return self.send(200, json.dumps(sorted(rbac_seen)).encode())
            if path == "/__log":
                return self.send(200, log)
            if path == "/__mode" and method == "POST":
                settings.update(json.loads(raw))
                return self.send(200, settings)
            if path == "/__lab" and method == "POST":
                global world
                import labworld
                if world is None:
                    world = labworld.World(sys.modules[__name__], json.loads(raw))
                else:  # running: only "join" changes (false: instances never register)
                    world.join = bool(json.loads(raw).get("join", world.join))
                return self.send(200, {"metrics_port": world.metrics_port})
            if path == "/__scale" and method == "POST":
                import labworld
                d = json.loads(raw)
                labworld.scale(sys.modules[__name__], d["ns"], d["name"], int(d["replicas"]))
                return self.send(200, {"ok": True})
            if path == "/__put" and method == "POST":  # {"kind": "pods", "object": {...}}
                d = json.loads(raw)
                put(d["kind"], d["object"])
                return self.send(200, {"ok": True})
            if path == "/__bulk" and method == "POST":
                loading[0] = True
                try:
                    bulk(json.loads(raw))
                finally:
                    loading[0] = False
                expire_history()
                return self.send(200, {"nodes": len(store["nodes"]), "pods": len(store["pods"])})
        self.send(404, {"error": "no such control"})

    # -- the API
    def api(self, method, path, q, raw):
        parts = path.strip("/").split("/")
        if path == "/api":
            return self.send(200, load_discovery("api.json"))
        if path == "/apis":
            return self.send(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": g, "versions": [{"groupVersion": g + "/v1", "version": "v1"}],
                 "preferredVersion": {"groupVersion": g + "/v1", "version": "v1"}}
                for g in ("apps", "policy")]})
        if path == "/api/v1":
            return self.send(200, load_discovery("api__v1.json"))
        if path == "/apis/policy/v1":
            return self.send(200, load_discovery("apis__policy__v1.json"))
        if path == "/apis/apps/v1":
            return self.send(200, {"kind": "APIResourceList", "apiVersion": "v1",
                                   "groupVersion": "apps/v1", "resources": [
                {"name": r, "singularName": r[:-1], "namespaced": True, "kind": KINDS[r][0],
                 "verbs": ["get", "list", "watch"]}
                for r in ("replicasets", "deployments", "statefulsets", "daemonsets")]})
        # /api/v1/... or /apis/<group>/v1/...
        if parts[0] == "api" and len(parts) >= 3 and parts[1] == "v1":
            group, rest = "", parts[2:]
        elif parts[0] == "apis" and len(parts) >= 4 and parts[2] == "v1":
            group, rest = parts[1], parts[3:]
        else:
            return self.send(404, status(404, "NotFound", "the server could not find the "
                                                          "requested resource"))
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
        res = rest[0]
        if res not in KINDS or GROUP_OF[res] != group:
            return self.send(404, status(404, "NotFound", "the server could not find the "
                                                          "requested resource"))
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        why = self.forbidden(method, group, res, name, sub, q)
        if why:
            return self.send(403, status(403, "Forbidden", why))
        if name is None:
            if method != "GET":
                return self.send(405, status(405, "MethodNotAllowed", "method not allowed"))
            if q.get("watch") in ("1", "true"):
                self.pending_watch = (res, ns, q)  # streamed once the lock is released
                return None
            return self.list(res, ns, q)
        k = (ns or "", name)
        if sub == "eviction" and res == "pods" and method == "POST":
            return self.evict(k, raw)
        if sub is not None:
            return self.send(404, status(404, "NotFound", "no such subresource"))
        obj = store[res].get(k)
        if obj is None:
            return self.send(404, status(404, "NotFound", '%s "%s" not found' % (res, name),
                                         {"name": name, "kind": res}))
        if method == "GET":
            return self.send(200, self.full(res, obj))
        if method == "PATCH":
            ctype = (self.headers.get("Content-Type") or "").split(";")[0]
            if ctype not in ("application/strategic-merge-patch+json",
                             "application/merge-patch+json"):
                return self.send(415, status(415, "UnsupportedMediaType",
                                             "the body of the request was in an unknown format"))
            merged = merge_patch(copy.deepcopy(obj), json.loads(raw))
            if res == "nodes":
                sync_cordon_taint(merged)
            put(res, merged)
            return self.send(200, self.full(res, merged))
        if method == "DELETE":
            if res == "pods":
                start_delete(k)
                return self.send(200, self.full(res, store["pods"][k]))
            remove(res, k)
            return self.send(200, self.full(res, obj))
        return self.send(405, status(405, "MethodNotAllowed", "method not allowed"))

    def full(self, res, obj):
        o = dict(obj)
        o["kind"], o["apiVersion"] = KINDS[res][0], KINDS[res][1]
        if res == "poddisruptionbudgets":
            pdb_status(o)
        return o

    def list(self, res, ns, q):
        if res not in order:
            order[res] = sorted(store[res])
        keys = order[res] if ns is None else [k for k in order[res] if k[0] == ns]
        objs = store[res]
        if "fieldSelector" in q:
            reqs = parse_field_selector(q["fieldSelector"])
            try:
                keys = [k for k in keys
                        if all((field_value(objs[k], f) == v) == eq for f, eq, v in reqs)]
            except KeyError as e:
                return self.send(400, status(400, "BadRequest",
                                             'field label not supported: %s' % e.args[0]))
        start = 0
        if q.get("continue"):
            try:
                start = json.loads(base64.b64decode(q["continue"]))["start"]
            except (ValueError, KeyError):
                return self.send(400, status(400, "BadRequest", "continue key is not valid"))
        limit = int(q.get("limit") or 0)
        page = [(k, objs[k]) for k in (keys[start:start + limit] if limit > 0 else keys[start:])]
        items = keys  # for the counts below
        meta = {"resourceVersion": str(rv[0])}
        if limit > 0 and start + limit < len(items):
            meta["continue"] = base64.b64encode(json.dumps(
                {"rv": rv[0], "start": start + limit}).encode()).decode()
            meta["remainingItemCount"] = len(items) - start - limit
        parts = []
        for k, o in page:
            if res == "poddisruptionbudgets":
                pdb_status(o)
                cache[res].pop(k, None)
            b = cache[res].get(k)
            if b is None:
                b = json.dumps(o).encode()
                cache[res][k] = b
            parts.append(b)
        kind, api_version = KINDS[res][0] + "List", KINDS[res][1]
        body = (b'{"kind":"%s","apiVersion":"%s","metadata":%s,"items":[' %
                (kind.encode(), api_version.encode(), json.dumps(meta).encode())
                + b",".join(parts) + b"]}")
        return self.send(200, body)

    def watch(self, res, ns, q):
        """A watch as kube-apiserver streams it: one JSON event a line, chunked; from
        `resourceVersion` (unset or "0": the current objects as ADDED first); 410 Gone as an
        ERROR event when that version is older than the history kept; BOOKMARK events when
        asked; the stream ends after `timeoutSeconds`."""
        since = q.get("resourceVersion", "")
        timeout = float(q.get("timeoutSeconds") or 1800)
        bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
        first = []
        with lock:
            gen = watch_gen[0]
            if since in ("", "0"):
                pos = rv[0]
                for k in sorted(store[res]):
                    if ns is None or k[0] == ns:
                        first.append(json.dumps({"type": "ADDED",
                                                 "object": self.full(res, store[res][k])})
                                     .encode() + b"\n")
            elif int(since) < oldest[0]:
                pos = None
                first.append(json.dumps({"type": "ERROR", "object": status(
                    410, "Expired", "too old resource version: %s (%d)" % (since, oldest[0]))})
                    .encode() + b"\n")
            else:
                pos = int(since)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.close_connection = True

        def chunk(b):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
            self.wfile.flush()
        try:
            if first:
                chunk(b"".join(first))
            end = time.time() + timeout
            next_bm = time.time() + settings["bookmark_s"]
            while pos is not None:
                out = []
                with lock:
                    while True:
                        if watch_gen[0] != gen:
                            self.connection.shutdown(socket.SHUT_RDWR)
                            return
                        if pos < oldest[0]:  # fell behind the history kept
                            out.append(json.dumps({"type": "ERROR", "object": status(
                                410, "Expired", "too old resource version: %d (%d)" %
                                (pos, oldest[0]))}).encode() + b"\n")
                            pos = None
                            break
                        i = bisect.bisect_right(event_rvs, pos)
                        out = [e[3] for e in events[i:]
                               if e[1] == res and (ns is None or e[4] == ns)]
                        pos = rv[0]
                        now = time.time()
                        if out or now >= end or (bookmarks and now >= next_bm):
                            break
                        changed.wait(min(end, next_bm if bookmarks else end) - now)
                if pos is not None and bookmarks and time.time() >= next_bm:
                    out.append(json.dumps({"type": "BOOKMARK", "object": {
                        "kind": KINDS[res][0], "apiVersion": KINDS[res][1],
                        "metadata": {"resourceVersion": str(pos)}}}).encode() + b"\n")
                    next_bm = time.time() + settings["bookmark_s"]
                if out:
                    chunk(b"".join(out))
                if time.time() >= end:
                    break
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (OSError, ssl.SSLError):
            pass

    def evict(self, k, raw):
        ev = json.loads(raw or b"{}")
        name = ev.get("metadata", {}).get("name")
        if name != k[1]:
            return self.send(400, status(400, "BadRequest",
                                         "name in URL does not match name in Eviction object"))
        pod = store["pods"].get(k)
        if pod is None:
            return self.send(404, status(404, "NotFound", 'pods "%s" not found' % k[1],
                                         {"name": k[1], "kind": "pods"}))
        phase = pod.get("status", {}).get("phase")
        if pod["metadata"].get("deletionTimestamp") or phase in ("Succeeded", "Failed", "Pending"):
            start_delete(k)  # no budget to check
            return self.send(201, status(201, None, None))
        pdbs = [d for (dns, _), d in store["poddisruptionbudgets"].items()
                if dns == k[0] and selects(d.get("spec", {}).get("selector"),
                                           pod["metadata"].get("labels"))]
        if len(pdbs) > 1:
            return self.send(500, status(500, None, "This pod has more than one "
                                                    "PodDisruptionBudget, which the eviction "
                                                    "subresource does not support."))
        if pdbs:
            st = pdb_status(pdbs[0])
            if st.get("observedGeneration", 0) < pdbs[0]["metadata"].get("generation", 1):
                return self.send(429, status(
                    429, "TooManyRequests",
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    {"causes": [{"reason": "DisruptionBudget",
                                 "message": "The disruption budget %s is still being processed "
                                            "by the server." % pdbs[0]["metadata"]["name"]}]},
                    retry_after=10), {"Retry-After": "10"})
            if st["disruptionsAllowed"] <= 0:
                return self.send(429, status(
                    429, "TooManyRequests",
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    {"causes": [{"reason": "DisruptionBudget",
                                 "message": "The disruption budget %s needs %d healthy pods and "
                                            "has %d currently" % (pdbs[0]["metadata"]["name"],
                                                                  st["desiredHealthy"],
                                                                  st["currentHealthy"])}]}))
        start_delete(k)
        return self.send(201, status(201, None, None))


def merge_patch(target, patch):
    """RFC 7386 merge patch (a strategic merge patch of plain fields is the same)."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


def sync_cordon_taint(node):
    """The node lifecycle controller's part: a cordoned node carries the unschedulable
    taint."""
    spec = node.setdefault("spec", {})
    taints = [t for t in spec.get("taints", []) if t.get("key") != "node.kubernetes.io/unschedulable"]
    if spec.get("unschedulable"):
        taints.append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                       "timeAdded": now_rfc3339()})
    if taints:
        spec["taints"] = taints
    else:
        spec.pop("taints", None)


_discovery = {}


def load_discovery(name):
    if name not in _discovery:
        with open(os.path.join(DISCOVERY, name)) as f:
            _discovery[name] = json.load(f)
    return _discovery[name]


def bulk(spec):
    """A synthetic cluster: N worker nodes, M pods of Deployments spread over them."""
    n, m = int(spec["nodes"]), int(spec["pods"])
    settings["churn_keys"] = None
    for r in KINDS:
        store[r].clear()
        cache[r].clear()
        order.pop(r, None)
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    for i in range(n):
        put("nodes", make_node("ip-10-%d-%d-%d.ec2.internal" % (i // 65536, i // 256 % 256, i % 256),
                               zones[i % 3], "i-%017x" % (0x1000 + i), spot=i % 10 < 7))
    apps = max(1, m // 30)
    for a in range(apps):
        ns = "team-%d" % (a % 20)
        put("deployments", {"metadata": {"name": "app-%d" % a, "namespace": ns},
                            "spec": {"replicas": 30}})
        put("replicasets", {"metadata": {"name": "app-%d-7d4b9c" % a, "namespace": ns,
                                         "ownerReferences": [{"apiVersion": "apps/v1",
                                                              "kind": "Deployment",
                                                              "name": "app-%d" % a,
                                                              "controller": True}]},
                            "spec": {"replicas": 30}})
        if a % 5 == 0:
            put("poddisruptionbudgets", {"metadata": {"name": "app-%d" % a, "namespace": ns},
                                         "spec": {"maxUnavailable": 1,
                                                  "selector": {"matchLabels": {"app": "app-%d" % a}}}})
    nodes = sorted(k[1] for k in store["nodes"])
    rnd = random.Random(42)
    for p in range(m):
        a = p % apps
        ns = "team-%d" % (a % 20)
        put("pods", make_pod("app-%d-7d4b9c-%05d" % (a, p), ns, nodes[rnd.randrange(n)],
                             owner=("ReplicaSet", "app-%d-7d4b9c" % a),
                             labels={"app": "app-%d" % a, "pod-template-hash": "7d4b9c"},
                             cpu="40m", memory="128Mi"))


def churn(n, ns=None):
    """N pod updates (a label changes), for the watch benchmarks: pods of Deployments
    without a budget, round robin."""
    if settings.get("churn_keys") is None:
        pdbs = list(store["poddisruptionbudgets"].values())
        settings["churn_keys"] = [
            k for k in sorted(store["pods"]) if (ns is None or k[0] == ns) and not any(
                d["metadata"].get("namespace") == k[0] and selects(
                    d.get("spec", {}).get("selector"), store["pods"][k]["metadata"].get("labels"))
                for d in pdbs)]
    keys = [k for k in settings["churn_keys"] if k in store["pods"]]
    if not keys:
        return rv[0]
    c = settings.setdefault("churn_at", 0)
    for i in range(n):
        k = keys[(c + i * 7) % len(keys)]
        p = store["pods"][k]
        p["metadata"].setdefault("annotations", {})["churn"] = str(c + i)
        put("pods", p)
    settings["churn_at"] = c + n
    return rv[0]


def make_node(name, zone, instance, spot=False, cpu="2", memory="7901344Ki"):
    return {
        "metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
            "topology.kubernetes.io/zone": zone, "node.kubernetes.io/instance-type": "t3.large",
            "node.kubernetes.io/lifecycle": "spot" if spot else "normal"}},
        "spec": {"providerID": "aws:///%s/%s" % (zone, instance)},
        "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
                   "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
                   "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
                   "nodeInfo": {"kubeletVersion": "v1.32.4+k3s1", "osImage": "Ubuntu 24.04",
                                "containerRuntimeVersion": "containerd://1.7.23-k3s2"}}}


def make_pod(name, ns, node, owner=None, labels=None, cpu="100m", memory="128Mi"):
    meta = {"name": name, "namespace": ns, "labels": labels or {}}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1],
                                    "uid": "0000", "controller": True,
                                    "blockOwnerDeletion": True}]
    return {"metadata": meta,
            "spec": {"nodeName": node, "containers": [
                {"name": "app", "image": "registry.example/app:1",
                 "resources": {"requests": {"cpu": cpu, "memory": memory}}}]},
            "status": {"phase": "Running", "conditions": [
                {"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"}]}}


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, handler, ctx):
        super().__init__(addr, handler)
        self.ctx = ctx

    def finish_request(self, request, client_address):
        try:  # the handshake in the request's thread, not the accepting one
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        self.RequestHandlerClass(request, client_address, self)


def main():
    portfile, certdir = sys.argv[1], sys.argv[2]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(certdir, "server.crt"), os.path.join(certdir, "server.key"))
    ctx.load_verify_locations(os.path.join(certdir, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    port = int(sys.argv[4]) if len(sys.argv) > 4 else 0  # a restart takes its old port again
    TLSServer.allow_reuse_address = True
    srv = TLSServer(("127.0.0.1", port), Handler, ctx)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
