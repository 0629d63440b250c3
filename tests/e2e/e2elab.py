"""e2elab.py - the whole system for real on loopback, for the end-to-end tests:

- moto_server (EC2 with a launch template and subnets in two zones; DynamoDB) and our fault
  proxy in front of it (tests/aws/lab.py);
- our Kubernetes API server (tests/kube/apiserver.py) acting as the cluster: a tainted K3s
  server node, a Deployment `web` of 500m-CPU pods, and its lab world (tests/kube/
  labworld.py) - instances that appear in moto join as Nodes, a scheduler, the load, and
  node-exporter / kube-state-metrics series;
- Debian's Prometheus scraping that world every second;
- `nodefleet run` processes with short windows, each with its own log.
Everything is started on free 127.0.0.1 ports and stopped at exit.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "aws"))
sys.path.insert(0, os.path.join(HERE, "..", "kube"))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import kubelab as K  # noqa: E402
import lab as A  # noqa: E402
import procs  # noqa: E402
from procs import need, free_port, start, stop, wait_for, http_get, records  # noqa: E402,F401

POOL = "e2e"


class Lab:
    def __init__(self, build):
        self.build = build
        self.nodefleet = os.path.join(build, "nodefleet")
        self.dir = tempfile.mkdtemp(prefix="nf-e2e-")
        self.aws = A.AwsLab(build)
        self.kube = K.KubeLab(build)
        # EC2: a launch template, a subnet per zone (two zones), the K3s server
        ami = self.aws.aws("ec2", "describe-images", "--owners", "amazon")["Images"][0]["ImageId"]
        self.aws.aws("ec2", "create-launch-template", "--launch-template-name", "e2e-workers",
                     "--launch-template-data",
                     json.dumps({"ImageId": ami, "InstanceType": "t3.medium"}))
        subnets = self.aws.aws("ec2", "describe-subnets")["Subnets"]
        self.zones = {s["AvailabilityZone"]: s["SubnetId"] for s in subnets
                      if s["AvailabilityZone"] in ("us-east-1a", "us-east-1b")}
        self.aws.aws("ec2", "run-instances", "--image-id", ami, "--count", "1",
                     "--tag-specifications",
                     "ResourceType=instance,Tags=[{Key=Role,Value=k3s-master}]")
        self.aws.aws("dynamodb", "create-table", "--table-name", "nf-e2e",
                     "--attribute-definitions", "AttributeName=cluster_id,AttributeType=S",
                     "--key-schema", "AttributeName=cluster_id,KeyType=HASH",
                     "--billing-mode", "PAY_PER_REQUEST")
        # the cluster, and its world
        self.reset_cluster()
        self.world_cfg = {"moto": self.aws.moto_url, "cluster": POOL, "join_delay_s": 2,
                          "ready_delay_s": 1, "util": 0.9, "node_cpu": "2", "node_memory": "4Gi"}
        r = self.kube.control("/__lab", self.world_cfg)
        self.metrics_port = r["metrics_port"]
        self.start_prometheus()
        self.procs = []

    # -- the cluster
    def reset_cluster(self, extra_pods=(), shapes=()):
        """The K3s server, coredns and the Deployment `web` (500m, 256Mi) with no replicas;
        `shapes`: more Deployments in `shop`, (name, cpu, memory) each."""
        server = K.node("k3s-server", control_plane=True, cpu="2")
        server["spec"]["taints"] = [{"key": "node-role.kubernetes.io/control-plane",
                                     "effect": "NoSchedule"}]
        deps, rsets = [], []
        for name, cpu, mem in [("web", "500m", "256Mi")] + list(shapes):
            template = {"metadata": {"labels": {"app": name}},
                        "spec": {"containers": [{"name": name, "image": "registry.example/%s:1"
                                                 % name, "resources": {"requests": {
                                                     "cpu": cpu, "memory": mem}}}]}}
            deps.append({"metadata": {"name": name, "namespace": "shop"},
                         "spec": {"replicas": 0}})
            rsets.append({"metadata": {"name": name + "-6d8f", "namespace": "shop",
                                       "ownerReferences": [{"apiVersion": "apps/v1",
                                                            "kind": "Deployment", "name": name,
                                                            "controller": True}]},
                          "spec": {"replicas": 0}, "x-template": template})
        self.kube.load({
            "nodes": [server],
            "deployments": deps,
            "replicasets": rsets,
            # a cluster always runs something: kube-state-metrics reports its pods' phases
            "pods": [K.pod("coredns-7b98449c4-x2kfq", "kube-system", "k3s-server",
                           ("ReplicaSet", "coredns-7b98449c4"), {"k8s-app": "kube-dns"},
                           cpu="100m", memory="70Mi")] + list(extra_pods)})

    def scale(self, replicas, name="web"):
        self.kube.control("/__scale", {"ns": "shop", "name": name, "replicas": replicas})

    def kube_down(self):
        """The API server stopped, with every object and the resourceVersion it had kept (etcd
        keeps them; returned for kube_up). It refuses the API first, so nothing it
        acknowledged is lost."""
        self.kube.mode(down=True)
        saved = self.kube.state()
        self.kube.stop_server()
        return saved

    def kube_up(self, saved):
        """Started again on its address with what kube_down kept: watches were cut and their
        history is gone (410); the world (joins, scheduler, metrics on the same port) starts
        again with it."""
        self.kube.start_server(down=True)  # serving nothing before its objects are back
        self.kube.load(saved)
        self.kube.mode(down=False)
        self.kube.control("/__lab", dict(self.world_cfg, metrics_port=self.metrics_port))

    # -- Prometheus
    def start_prometheus(self):
        prom = need("prometheus")
        if not getattr(self, "prom_port", None):  # a restart keeps the address nodefleet knows
            self.prom_port = free_port()
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: cluster\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % self.metrics_port)
        self.prom_argv = [prom, "--config.file=" + cfg,
                          "--storage.tsdb.path=" + os.path.join(self.dir, "tsdb"),
                          "--web.listen-address=127.0.0.1:%d" % self.prom_port, "--log.level=warn"]
        with open(os.path.join(self.dir, "prometheus.log"), "a") as log:
            self.prometheus = start(self.prom_argv, stderr=log)
        self.prom_url = "http://127.0.0.1:%d" % self.prom_port
        wait_for(lambda: http_get(self.prom_url + "/-/ready")[0] == 200, "prometheus ready")
        wait_for(lambda: self.prom_query("up == 1"), "the cluster scraped", 30)

    def stop_prometheus(self):
        stop(self.prometheus)

    def prom_query(self, q):
        url = self.prom_url + "/api/v1/query?query=" + urllib.request.quote(q)
        try:
            return json.loads(http_get(url)[1])["data"]["result"]
        except Exception:  # noqa: BLE001 - not ready yet
            return []

    # -- nodefleet
    def env(self, store=None, endpoint=None, **extra):
        e = self.aws.env(endpoint=endpoint)
        e.update({"KUBECONFIG": self.kube.kubeconfig_nf, "CLUSTER_ID": POOL,
                  "NODEFLEET_STORE": store or "dynamodb:nf-e2e",
                  "NODEFLEET_LAUNCH_TEMPLATE": "e2e-workers",
                  "NODEFLEET_SUBNETS": ",".join("%s=%s" % kv for kv in sorted(self.zones.items())),
                  "PROMETHEUS_URL": self.prom_url})
        e.update({k: str(v) for k, v in extra.items()})
        return e

    # what the lab itself needs: its Prometheus's CPU query (a 10 s rate), its own CloudWatch
    # namespace, a free port, and quick answers from Prometheus
    LAB_SETTINGS = ["prometheus.step=1", "prometheus.timeout=2", "prometheus.attempts=1",
                    "prometheus.query_cpu=(1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}"
                    "[10s]))) * 100",
                    "aws.cloudwatch_namespace=NodeFleetE2E", "server.listen=127.0.0.1:0"]
    # the tests' pace: the seed's rules in seconds, not minutes
    SETTINGS = ["policy=seed", "interval=1s", "max_nodes=6", "scale_up_for=2s",
                "scale_down_for=6s", "cooldown_scale_up=3s", "cooldown_scale_down=3s",
                "spot_percentage=50", "provision_timeout=40s", "kube.drain_timeout=20s",
                "kube.eviction_retry=1s", "lease_ttl=8s"] + LAB_SETTINGS

    def write_config(self, path, min_nodes=2):
        """The configuration file (what SIGHUP rereads): only min_nodes, the rest is --set."""
        with open(path, "w") as f:
            f.write("# e2e\nmin_nodes: %d\n" % min_nodes)

    def run(self, *sets, env=None, name="nodefleet", min_nodes=2, prefix=(), base=None,
            cmd="run"):
        """Start `nodefleet run` (or `cmd`); returns a handle with its log and its
        configuration file. `base`: the settings before `sets` (default SETTINGS; LAB_SETTINGS
        for the shipped defaults)."""
        n = len(self.procs)
        log_path = os.path.join(self.dir, "%s-%d.log" % (name, n))
        cfg = os.path.join(self.dir, "%s-%d.yaml" % (name, n))
        self.write_config(cfg, min_nodes)
        args = list(prefix) + [self.nodefleet, cmd, "--config", cfg]
        for s in list(self.SETTINGS if base is None else base) + list(sets):
            args += ["--set", s]
        log = open(log_path, "w")
        p = subprocess.Popen(args, env=env or self.env(), stdout=log, stderr=log)
        log.close()  # the child has it
        procs._procs.append(p)  # stopped at exit whatever happens
        h = Run(p, log_path)
        h.config = cfg
        self.procs.append(h)
        return h

    # -- what the world says
    def instances(self, states=("pending", "running")):
        r = self.aws.aws("ec2", "describe-instances", "--filters",
                         "Name=tag:nodefleet:cluster,Values=" + POOL,
                         "Name=instance-state-name,Values=" + ",".join(states))
        return [i for res in r["Reservations"] for i in res["Instances"]]

    def nodes(self):
        return [n for n in self.kube.state()["nodes"]
                if "node-role.kubernetes.io/control-plane" not in n["metadata"]["labels"]]

    def pods(self):
        return [p for p in self.kube.state()["pods"] if p["metadata"]["namespace"] == "shop"]

    def store_item(self):
        r = self.aws.aws("dynamodb", "get-item", "--table-name", "nf-e2e", "--key",
                         json.dumps({"cluster_id": {"S": POOL}}), "--consistent-read")
        item = (r or {}).get("Item", {})
        st = item.get("nodefleet_state", {}).get("S")
        return item, (json.loads(st) if st else None)

    def clean_slate(self):
        """Terminate the pool's instances and forget the state, between scenarios."""
        for h in self.procs:
            h.kill()
        ids = [i["InstanceId"] for i in self.instances(("pending", "running", "stopping",
                                                        "stopped"))]
        if ids:
            self.aws.aws("ec2", "terminate-instances", "--instance-ids", *ids)
        self.aws.aws("dynamodb", "delete-item", "--table-name", "nf-e2e", "--key",
                     json.dumps({"cluster_id": {"S": POOL}}))
        self.reset_cluster()
        self.aws.fault(mode="pass")
        self.kube.control("/__lab", {"join": True})


def spot_warning(instance, event_id=None, at=None):
    """EventBridge's warning (the NTH example vector) for `instance`, emitted at `at` (Unix s,
    default now): the instance goes two minutes after that."""
    with open(os.path.join(HERE, "..", "vectors", "aws", "examples",
                           "eventbridge-spot-interruption-warning.nth-example.json")) as f:
        ev = json.load(f)
    if event_id:
        ev["id"] = event_id
    ev["detail"]["instance-id"] = instance
    ev["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at or time.time()))
    return ev


def poll(check, timeout, every=0.5):
    """`check()`'s first true value within `timeout` seconds, else None."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = check()
        if v:
            return v
        time.sleep(every)
    return None


class Run:
    def __init__(self, p, log_path):
        self.p = p
        self.log_path = log_path

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def records(self):
        return records(self.text())

    def port(self):
        for r in self.records():
            if r.get("msg") == "nodefleet started":
                return r.get("port")
        return None

    def reload(self, lab, min_nodes):
        """Rewrite the configuration file and send SIGHUP."""
        lab.write_config(self.config, min_nodes)
        self.p.send_signal(signal.SIGHUP)

    def stop(self, timeout=30):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        return self.p.wait(timeout)

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(10)
