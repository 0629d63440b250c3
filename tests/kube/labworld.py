"""labworld.py - what a real K3s-on-EC2 cluster does by itself, for the end-to-end lab,
running inside our test API server (apiserver.py):

- workers join: an EC2 instance carrying the pool's tag that moto reports running registers
  a Node (name = its private DNS name, providerID aws:///<zone>/<id>, InternalIP, zone and
  lifecycle labels) `join_delay_s` after it first appears, Ready `ready_delay_s` later - the
  launch template's user data joining K3s. A terminated instance's Node goes (the cloud
  controller manager's part).
- the scheduler: a Pending pod goes to the Ready, schedulable, untainted node with the most
  CPU left that fits its request, or is marked Unschedulable.
- the load: Deployments scale by POST /__scale {"ns", "name", "replicas"} (the HPA's part).
- node-exporter and kube-state-metrics: GET /metrics on a plain HTTP port - per node
  node_cpu_seconds_total (idle and user, from the CPU its Running pods request times
  `util`), node_memory_MemTotal_bytes and MemAvailable_bytes; kube_pod_status_phase and
  kube_node_info.
"""
import json
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EC2NS = "{http://ec2.amazonaws.com/doc/2016-11-15}"


def cpu_m(q):
    q = str(q)
    if q.endswith("m"):
        return int(q[:-1])
    return int(float(q) * 1000)


def mem_b(q):
    q = str(q)
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}
    for u, f in units.items():
        if q.endswith(u):
            return int(float(q[:-2]) * f)
    return int(float(q))


class World:
    def __init__(self, api, cfg):
        self.api = api  # the apiserver module: store, lock, put, remove, ready
        self.moto = cfg["moto"].rstrip("/")
        self.cluster = cfg["cluster"]
        self.join_delay = float(cfg.get("join_delay_s", 2))
        self.ready_delay = float(cfg.get("ready_delay_s", 1))
        self.util = float(cfg.get("util", 0.9))
        self.node_cpu = cfg.get("node_cpu", "2")
        self.node_mem = cfg.get("node_memory", "4Gi")
        self.join = True  # False: new instances never register (a broken user data script)
        self.seen = {}  # instance id -> first seen running (time)
        self.cpu = {}  # node -> [idle seconds, user seconds]
        self.last = time.time()
        self.stop = False
        self.errors = 0
        # a restarted API server's world serves its metrics where Prometheus scrapes them
        srv = ThreadingHTTPServer(("127.0.0.1", int(cfg.get("metrics_port", 0))),
                                  self.metrics_handler())
        srv.daemon_threads = True
        self.metrics_port = srv.server_address[1]
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        threading.Thread(target=self.loop, daemon=True).start()

    # -- the cloud, as moto reports it
    def instances(self):
        body = ("Action=DescribeInstances&Version=2016-11-15"
                "&Filter.1.Name=tag%3Anodefleet%3Acluster&Filter.1.Value.1=" + self.cluster)
        req = urllib.request.Request(self.moto + "/", data=body.encode(), method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/"
                             "aws4_request, SignedHeaders=host, Signature=0"})
        with urllib.request.urlopen(req, timeout=10) as r:
            root = ET.fromstring(r.read())
        out = []
        for inst in root.iter(EC2NS + "instancesSet"):
            for it in inst.findall(EC2NS + "item"):
                tags = {t.findtext(EC2NS + "key"): t.findtext(EC2NS + "value")
                        for t in it.iter(EC2NS + "item") if t.findtext(EC2NS + "key")}
                out.append({
                    "id": it.findtext(EC2NS + "instanceId"),
                    "state": it.findtext(EC2NS + "instanceState/" + EC2NS + "name"),
                    "zone": it.findtext(EC2NS + "placement/" + EC2NS + "availabilityZone"),
                    "ip": it.findtext(EC2NS + "privateIpAddress"),
                    "dns": it.findtext(EC2NS + "privateDnsName"),
                    "spot": it.findtext(EC2NS + "instanceLifecycle") == "spot"
                            or tags.get("nodefleet:market") == "spot"})
        return out

    def sync_nodes(self, now):
        A = self.api
        insts = self.instances()
        with A.lock:
            by_pid = {n.get("spec", {}).get("providerID", ""): k
                      for k, n in A.store["nodes"].items()}
            for i in insts:
                pid = "aws:///%s/%s" % (i["zone"], i["id"])
                if i["state"] in ("shutting-down", "terminated", "stopping", "stopped"):
                    if pid in by_pid:
                        A.remove("nodes", by_pid[pid])
                        self.cpu.pop(by_pid[pid][1], None)
                    continue
                if i["state"] not in ("pending", "running"):
                    continue
                first = self.seen.setdefault(i["id"], now)
                if pid in by_pid:
                    node = A.store["nodes"][by_pid[pid]]
                    if not A.ready(node) and now - first >= self.join_delay + self.ready_delay:
                        node["status"]["conditions"] = [{"type": "Ready", "status": "True",
                                                         "reason": "KubeletReady"}]
                        A.put("nodes", node)
                    continue
                if now - first < self.join_delay or not self.join:
                    continue
                name = i["dns"] or ("ip-" + i["ip"].replace(".", "-") + ".ec2.internal")
                A.put("nodes", {
                    "metadata": {"name": name, "labels": {
                        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                        "topology.kubernetes.io/zone": i["zone"],
                        "node.kubernetes.io/instance-type": "t3.medium",
                        "node.kubernetes.io/lifecycle": "spot" if i["spot"] else "normal"}},
                    "spec": {"providerID": pid},
                    "status": {"allocatable": {"cpu": self.node_cpu, "memory": self.node_mem,
                                               "pods": "110"},
                               "capacity": {"cpu": self.node_cpu, "memory": self.node_mem},
                               "addresses": [{"type": "InternalIP", "address": i["ip"]},
                                             {"type": "Hostname", "address": name}],
                               "conditions": [{"type": "Ready", "status": "False",
                                               "reason": "KubeletNotReady"}],
                               "nodeInfo": {"kubeletVersion": "v1.32.4+k3s1"}}})

    # -- the scheduler
    def schedule(self):
        A = self.api
        with A.lock:
            free = {}
            for k, n in A.store["nodes"].items():
                spec = n.get("spec", {})
                tainted = any(t.get("effect") in ("NoSchedule", "NoExecute")
                              for t in spec.get("taints", []))
                if A.ready(n) and not spec.get("unschedulable") and not tainted \
                        and not n["metadata"].get("deletionTimestamp"):
                    free[k[1]] = cpu_m(n["status"]["allocatable"]["cpu"])
            for p in A.store["pods"].values():
                node = p.get("spec", {}).get("nodeName")
                if node in free and p.get("status", {}).get("phase") not in ("Succeeded",
                                                                               "Failed"):
                    free[node] -= self.request(p)
            for k, p in sorted(A.store["pods"].items()):
                if p.get("spec", {}).get("nodeName") or p["metadata"].get("deletionTimestamp"):
                    continue
                need = self.request(p)
                fits = [(c, n) for n, c in free.items() if c >= need]
                if fits:
                    c, node = max(fits)
                    free[node] -= need
                    p["spec"]["nodeName"] = node
                    p["status"] = {"phase": "Running", "conditions": [
                        {"type": "PodScheduled", "status": "True"},
                        {"type": "Ready", "status": "True"}]}
                    A.put("pods", p)
                elif p.get("status", {}).get("conditions", [{}])[0].get("reason") != \
                        "Unschedulable":
                    p["status"] = {"phase": "Pending", "conditions": [
                        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                         "message": "0/%d nodes are available: insufficient cpu" % len(free)}]}
                    A.put("pods", p)

    @staticmethod
    def request(p):
        return sum(cpu_m(c.get("resources", {}).get("requests", {}).get("cpu", "0"))
                   for c in p.get("spec", {}).get("containers", []))

    # -- the load: per-node CPU counters
    def account(self, now):
        A = self.api
        dt = now - self.last
        self.last = now
        with A.lock:
            used = {}
            for p in A.store["pods"].values():
                n = p.get("spec", {}).get("nodeName")
                if n and p.get("status", {}).get("phase") == "Running":
                    used[n] = used.get(n, 0) + self.request(p)
            for k, n in A.store["nodes"].items():
                alloc = cpu_m(n["status"]["allocatable"]["cpu"])
                busy = min(1.0, used.get(k[1], 0) * self.util / alloc) if alloc else 0
                c = self.cpu.setdefault(k[1], [0.0, 0.0])
                c[0] += (1 - busy) * dt
                c[1] += busy * dt

    def loop(self):
        while not self.stop:
            now = time.time()
            try:
                self.sync_nodes(now)
            except Exception:  # noqa: BLE001 - moto busy or restarting: next round
                self.errors += 1
            self.schedule()
            self.account(now)
            time.sleep(0.25)

    def metrics(self):
        A = self.api
        lines = ["# TYPE node_cpu_seconds_total counter", "# TYPE node_memory_MemTotal_bytes gauge",
                 "# TYPE node_memory_MemAvailable_bytes gauge"]
        with A.lock:
            mem_used = {}
            for p in A.store["pods"].values():
                n = p.get("spec", {}).get("nodeName")
                if n and p.get("status", {}).get("phase") == "Running":
                    mem_used[n] = mem_used.get(n, 0) + sum(
                        mem_b(c.get("resources", {}).get("requests", {}).get("memory", "0"))
                        for c in p["spec"].get("containers", []))
            for k, n in sorted(A.store["nodes"].items()):
                name = k[1]
                idle, user = self.cpu.get(name, [0.0, 0.0])
                lines.append('node_cpu_seconds_total{cpu="0",mode="idle",instance="%s"} %.3f'
                             % (name, idle))
                lines.append('node_cpu_seconds_total{cpu="0",mode="user",instance="%s"} %.3f'
                             % (name, user))
                total = mem_b(n["status"]["allocatable"]["memory"])
                lines.append('node_memory_MemTotal_bytes{instance="%s"} %d' % (name, total))
                lines.append('node_memory_MemAvailable_bytes{instance="%s"} %d'
                             % (name, max(0, total - mem_used.get(name, 0) - total // 10)))
                lines.append('kube_node_info{node="%s"} 1' % name)
            for (ns, name), p in sorted(A.store["pods"].items()):
                phase = p.get("status", {}).get("phase", "Pending")
                for ph in ("Pending", "Running", "Succeeded", "Failed", "Unknown"):
                    lines.append('kube_pod_status_phase{namespace="%s",pod="%s",phase="%s"} %d'
                                 % (ns, name, ph, 1 if ph == phase else 0))
        return ("\n".join(lines) + "\n").encode()

    def metrics_handler(self):
        world = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                body = world.metrics()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        return H


def scale(api, ns, name, replicas):
    """The ReplicaSet controller's part: make the Deployment's pods `replicas`."""
    A = api
    with A.lock:
        dep = A.store["deployments"].get((ns, name))
        if dep is None:
            raise KeyError("no deployment %s/%s" % (ns, name))
        dep["spec"]["replicas"] = replicas
        A.put("deployments", dep)
        rs = next((r for (rns, _), r in A.store["replicasets"].items() if rns == ns and any(
            o.get("name") == name for o in r["metadata"].get("ownerReferences", []))), None)
        if rs is None:
            raise KeyError("no replicaset of %s/%s" % (ns, name))
        rs["spec"]["replicas"] = replicas
        A.put("replicasets", rs)
        template = rs.get("x-template") or {}
        pods = sorted((k, p) for k, p in A.store["pods"].items() if k[0] == ns and any(
            o.get("name") == rs["metadata"]["name"]
            for o in p["metadata"].get("ownerReferences", []))
            and not p["metadata"].get("deletionTimestamp"))
        # kept first: scheduled pods, oldest first; so unscheduled pods go first, then the
        # newest, as the ReplicaSet controller picks
        pods.sort(key=lambda kp: (not kp[1].get("spec", {}).get("nodeName"),
                                  kp[1]["metadata"].get("creationTimestamp", ""),
                                  kp[0][1]))
        for k, p in pods[replicas:] if len(pods) > replicas else []:
            A.start_delete(k)
        for i in range(len(pods), replicas):
            pod = json.loads(json.dumps(template))
            pod.setdefault("metadata", {})
            pod["metadata"].update({"name": "%s-%s" % (rs["metadata"]["name"], A.rand5()),
                                    "namespace": ns,
                                    "ownerReferences": [{"apiVersion": "apps/v1",
                                                         "kind": "ReplicaSet",
                                                         "name": rs["metadata"]["name"],
                                                         "controller": True}]})
            pod.setdefault("spec", {}).pop("nodeName", None)
            pod["status"] = {"phase": "Pending", "conditions": [
                {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}
            A.put("pods", pod)
