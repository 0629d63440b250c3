"""kubelab.py - the Kubernetes side of the tests: a CA and certificates made with openssl, our
API server (apiserver.py) over TLS on a free 127.0.0.1 port, kubeconfigs for a bearer token
and for a client certificate, and helpers to build cluster fixtures and run kubectl and
nodefleet against it. Everything started here is stopped at exit."""
import atexit
import base64
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from procs import need, start, stop, port_from  # noqa: E402,F401

TOKEN = "nf-test-token-6f1d2c"  # an administrator: kubectl, the tests' own requests
NF_TOKEN = "nf-serviceaccount-token-41a9e7"  # nodefleet, bound by its ClusterRole


def openssl(*args, cwd):
    r = subprocess.run([need("openssl")] + list(args), cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), r.stderr))


def make_certs(d):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
            "-subj", "/CN=nodefleet-test-ca", cwd=d)
    for name, cn, ext in (("server", "127.0.0.1",
                           "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                           "extendedKeyUsage=serverAuth\n"),
                          ("client", "nodefleet", "extendedKeyUsage=clientAuth\n")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext)
        openssl("req", *ec, "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/O=nodefleet/CN=" + cn, cwd=d)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", name + ".crt", "-days", "2",
                "-extfile", name + ".ext", cwd=d)


def b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def rendered_role():
    """The ClusterRole of deploy/kubernetes/rbac as kustomize renders it."""
    import yaml
    r = subprocess.run([need("kubectl"), "kustomize",
                        os.path.join(HERE, "..", "..", "deploy", "kubernetes", "rbac")],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("kubectl kustomize deploy/kubernetes/rbac: " + r.stderr)
    return next(d for d in yaml.safe_load_all(r.stdout) if d and d["kind"] == "ClusterRole")


class KubeLab:
    def __init__(self, build):
        self.build = build
        self.nodefleet = os.path.join(build, "nodefleet")
        self.kubectl = need("kubectl")
        self.dir = tempfile.mkdtemp(prefix="nf-kube-")
        make_certs(self.dir)
        self.proc = start([sys.executable, os.path.join(HERE, "apiserver.py"),
                           os.path.join(self.dir, "port"), self.dir, TOKEN])
        self.port = port_from(os.path.join(self.dir, "port"), self.proc, "API server")
        self.url = "https://127.0.0.1:%d" % self.port
        self.kubeconfig_token = self.write_kubeconfig("token.yaml", {"token": TOKEN})
        # nodefleet runs, in every test that does not choose another identity, as the
        # ServiceAccount of deploy/kubernetes/rbac: the rendered ClusterRole's rules and
        # nothing more; what it asked for is recorded for tests/deploy/test_rbac_exact.py
        self.role = rendered_role()
        self.seen_before = set()  # from a server stopped and started again
        self.kubeconfig_nf = self.write_kubeconfig("nodefleet.yaml", {"token": NF_TOKEN})
        self.mode(rbac_default={"token": NF_TOKEN, "rules": self.role["rules"]})
        atexit.register(self.record_rbac_seen)
        self.kubeconfig_cert = self.write_kubeconfig("cert.yaml", {
            "client-certificate-data": b64(os.path.join(self.dir, "client.crt")),
            "client-key-data": b64(os.path.join(self.dir, "client.key"))})

    def write_kubeconfig(self, name, user, server=None, ca=True):
        cluster = {"server": server or self.url}
        if ca:
            cluster["certificate-authority-data"] = b64(os.path.join(self.dir, "ca.crt"))
        cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "lab",
               "clusters": [{"name": "lab", "cluster": cluster}],
               "users": [{"name": "nodefleet", "user": user}],
               "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "nodefleet"}}]}
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            json.dump(cfg, f, indent=1)  # JSON is YAML
        return path

    # -- the server's test controls (plain HTTPS, no authentication)
    def control(self, path, data=None):
        import ssl
        import urllib.request
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.crt"))
        req = urllib.request.Request(self.url + path, method="POST" if data is not None else "GET",
                                     data=json.dumps(data).encode() if data is not None else None,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
            return json.loads(r.read())

    def load(self, cluster):
        self.control("/__load", cluster)

    def state(self):
        return self.control("/__state")

    def log(self):
        return self.control("/__log")

    def mode(self, **m):
        return self.control("/__mode", m)

    def record_rbac_seen(self):
        """(group, resource, verb) nodefleet's identity asked for, into $NF_RBAC_SEEN_DIR."""
        out = os.environ.get("NF_RBAC_SEEN_DIR")
        if not out or self.proc.poll() is not None:
            return
        seen = sorted(self.seen_before | {tuple(x) for x in self.control("/__rbac_seen")})
        os.makedirs(out, exist_ok=True)
        name = "%s-%d.json" % (os.path.basename(sys.argv[0]), os.getpid())
        with open(os.path.join(out, name), "w") as f:
            json.dump({"suite": sys.argv[0], "seen": seen}, f)

    def stop_server(self):
        """Stop the API server (what nodefleet asked it for is kept)."""
        self.seen_before |= {tuple(x) for x in self.control("/__rbac_seen")}
        stop(self.proc)

    def start_server(self, down=False):
        """Start it again on its port, with nodefleet's identity bound by the role again;
        `down`: refusing the API until mode(down=False)."""
        os.unlink(os.path.join(self.dir, "port"))
        self.proc = start([sys.executable, os.path.join(HERE, "apiserver.py"),
                           os.path.join(self.dir, "port"), self.dir, TOKEN, str(self.port)],
                          env=dict(os.environ, NF_APISERVER_DOWN="1" if down else "0"))
        port_from(os.path.join(self.dir, "port"), self.proc, "API server")
        self.mode(rbac_default={"token": NF_TOKEN, "rules": self.role["rules"]})

    def env(self, kubeconfig=None, **extra):
        e = {"PATH": os.environ["PATH"], "HOME": self.dir,
             "KUBECONFIG": kubeconfig or self.kubeconfig_nf}
        e.update({k: str(v) for k, v in extra.items()})
        return e

    def kubectl_run(self, *args, kubeconfig=None, timeout=120, check=True):
        r = subprocess.run([self.kubectl, "--kubeconfig", kubeconfig or self.kubeconfig_token,
                            "--cache-dir", os.path.join(self.dir, "kcache")] + list(args),
                           capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("kubectl %s: %s" % (" ".join(args), r.stderr))
        return r

    def nf(self, *args, env=None, timeout=600):
        return subprocess.run([self.nodefleet] + [str(a) for a in args],
                               env=env or self.env(), capture_output=True, text=True,
                               timeout=timeout)


# ---- fixtures --------------------------------------------------------------------------

def node(name, zone="us-east-1a", instance=None, spot=False, cpu="2", memory="8Gi",
         control_plane=False, ready=True, annotations=None, unschedulable=False):
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
              "topology.kubernetes.io/zone": zone, "node.kubernetes.io/instance-type": "t3.large",
              "node.kubernetes.io/lifecycle": "spot" if spot else "normal"}
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = "true"
        labels["node-role.kubernetes.io/master"] = "true"
    meta = {"name": name, "labels": labels}
    if annotations:
        meta["annotations"] = annotations
    spec = {}
    if instance:
        spec["providerID"] = "aws:///%s/%s" % (zone, instance)
    if unschedulable:
        spec["unschedulable"] = True
    return {"metadata": meta, "spec": spec,
            "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
                       "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                       "reason": "KubeletReady" if ready else "KubeletNotReady"}],
                       "nodeInfo": {"kubeletVersion": "v1.32.4+k3s1"}}}


def pod(name, ns, node_name, owner=None, labels=None, cpu="250m", memory="256Mi",
        annotations=None, volumes=None, phase="Running"):
    meta = {"name": name, "namespace": ns, "labels": labels or {}}
    if annotations:
        meta["annotations"] = annotations
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1" if owner[0] != "Job" else "batch/v1",
                                    "kind": owner[0], "name": owner[1], "uid": "0",
                                    "controller": True, "blockOwnerDeletion": True}]
    spec = {"containers": [{"name": "app", "image": "registry.example/app:1",
                            "resources": {"requests": {"cpu": cpu, "memory": memory}}}]}
    if node_name:
        spec["nodeName"] = node_name
    if volumes:
        spec["volumes"] = volumes
    conds = [{"type": "PodScheduled", "status": "True"},
             {"type": "Ready", "status": "True" if phase == "Running" else "False"}]
    return {"metadata": meta, "spec": spec, "status": {"phase": phase, "conditions": conds}}


def deployment(name, ns, replicas):
    rs = name + "-5f7c8d"
    return ([{"metadata": {"name": name, "namespace": ns}, "spec": {"replicas": replicas}}],
            [{"metadata": {"name": rs, "namespace": ns,
                           "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                                "name": name, "uid": "0", "controller": True}]},
              "spec": {"replicas": replicas}}], rs)


def pdb(name, ns, selector, min_available=None, max_unavailable=None, stale=False):
    spec = {"selector": {"matchLabels": selector}}
    if min_available is not None:
        spec["minAvailable"] = min_available
    if max_unavailable is not None:
        spec["maxUnavailable"] = max_unavailable
    d = {"metadata": {"name": name, "namespace": ns, "generation": 2}, "spec": spec}
    if stale:
        d["x-stale"] = True
    return d
