#!/usr/bin/env python3
"""The user data (deploy/aws/k3s-worker.sh and k3s-server.sh, issue 18) run for real under bash
in a sandbox: the test IMDSv2, moto for Secrets Manager, EC2 and S3, and stubs on PATH for what
only a real machine has (the K3s installer, kubectl, systemctl) that record what they were
given.

    test_userdata.py BUILD_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab  # noqa: E402
import procs  # noqa: E402 (tests/lib, on the path through the lab module)

SCRIPT = os.path.join(HERE, "..", "..", "deploy", "aws", "k3s-worker.sh")
SERVER_SCRIPT = os.path.join(HERE, "..", "..", "deploy", "aws", "k3s-server.sh")
RBAC = os.path.join(HERE, "..", "..", "deploy", "kubernetes", "rbac", "rbac.yaml")
BUILD = procs.build_dir("test_userdata.py")
LAB = None
META = {"instance-id": "i-0123456789abcdef0", "placement/availability-zone": "us-east-1b",
        "instance-type": "m5.large", "instance-life-cycle": "spot"}
STUB = """#!/bin/bash
# the K3s installer, as the test sees it: what it was given, and nothing installed
{ printf '%s\\n' "$@"; echo "--env--"; echo "K3S_URL=$K3S_URL"; echo "K3S_TOKEN=$K3S_TOKEN";
  echo "INSTALL_K3S_VERSION=$INSTALL_K3S_VERSION"; } > "$STUB_RECORD"
"""


def setUpModule():
    global LAB
    LAB = lab.AwsLab(BUILD)


class WorkerUserData(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nf-userdata-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.start_imds(META)
        self.stubs = os.path.join(self.dir, "bin")
        os.mkdir(self.stubs)
        with open(os.path.join(self.stubs, "k3s-install"), "w") as f:
            f.write(STUB)
        os.chmod(os.path.join(self.stubs, "k3s-install"), 0o755)
        self.record = os.path.join(self.dir, "installer.txt")
        self.cluster = "ud-%d" % int(time.time() * 1000)
        self.secret = "nf-join-" + self.cluster
        self.join = "K10f00d::server:s3cr3t-join-token"
        LAB.aws("secretsmanager", "create-secret", "--name", self.secret, "--secret-string",
                self.join)

    def start_imds(self, meta):
        portfile = os.path.join(self.dir, "imds-%d.port" % len(meta))
        self.imds = lab.start([sys.executable, os.path.join(HERE, "imds.py"), portfile, "normal"],
                              env={**os.environ, "NF_IMDS_META": json.dumps(meta)})
        self.addCleanup(lab.stop, self.imds)
        self.imds_url = "http://127.0.0.1:%d" % lab.port_from(portfile, self.imds, "imds")

    def env(self, **extra):
        e = {"PATH": self.stubs + ":" + os.environ["PATH"], "HOME": self.dir,
             "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             "NODEFLEET_CLUSTER_ID": self.cluster, "NODEFLEET_TOKEN_SECRET": self.secret,
             "NODEFLEET_IMDS": self.imds_url, "NODEFLEET_AWS_ENDPOINT": LAB.moto_url,
             "NODEFLEET_K3S_INSTALLER": "k3s-install", "NODEFLEET_WAIT_MAX": "1",
             "STUB_RECORD": self.record}
        e.update(extra)
        return {k: v for k, v in e.items() if v is not None}

    def server(self, tagged):
        """A running instance to be the K3s server; its private address."""
        r = LAB.aws("ec2", "run-instances", "--image-id", "ami-12c6146b", "--instance-type",
                    "t3.small", "--count", "1")
        inst = r["Instances"][0]
        if tagged:
            self.tag(inst["InstanceId"])
        return inst["InstanceId"], inst["PrivateIpAddress"]

    def tag(self, iid):
        LAB.aws("ec2", "create-tags", "--resources", iid, "--tags",
                "Key=nodefleet:cluster,Value=" + self.cluster, "Key=nodefleet:role,Value=k3s-server")

    def test_it_joins_with_the_token_server_provider_id_and_labels_waiting_for_the_server(self):
        iid, ip = self.server(tagged=False)
        log = os.path.join(self.dir, "join.log")
        with open(log, "w") as errf:
            p = subprocess.Popen(["bash", SCRIPT], env=self.env(), stdout=subprocess.PIPE,
                                 stderr=errf, text=True)
        self.addCleanup(p.kill)
        text = lambda: open(log).read()
        # the server is not tagged yet: the script says so and waits; then it is
        lab.wait_for(lambda: "not yet" in text() or p.poll() is not None, "a first look", 60)
        self.assertIsNone(p.poll(), text())
        self.tag(iid)
        out = p.communicate(timeout=60)[0]
        err = text()
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("the K3s server of %s" % self.cluster, err)
        self.assertIn("not yet (attempt 1 of 40), again in 1s", err)  # it waited, then found it
        with open(self.record) as f:
            args, env = f.read().split("--env--\n")
        self.assertEqual(args.split("\n")[:-1], [
            "agent", "--kubelet-arg=provider-id=aws:///us-east-1b/i-0123456789abcdef0",
            "--node-label", "topology.kubernetes.io/zone=us-east-1b",
            "--node-label", "node.kubernetes.io/instance-type=m5.large",
            "--node-label", "node.kubernetes.io/lifecycle=spot"])
        self.assertEqual(env.split("\n")[:-1], ["K3S_URL=https://%s:6443" % ip,
                                                "K3S_TOKEN=" + self.join,
                                                "INSTALL_K3S_VERSION=v1.31.4+k3s1"])
        self.assertNotIn("s3cr3t", out + err)  # the token is never logged
        asked = json.loads(lab.http_get(self.imds_url + "/__log")[1])
        self.assertEqual(asked[0]["method"], "PUT")  # IMDSv2: a session first...
        self.assertTrue(all(x["token"] == "tok-imds-0123" for x in asked[1:]), asked)  # ...always

    def test_on_demand_is_labelled_so_and_a_missing_server_gives_up_loudly(self):
        r = subprocess.run(["bash", SCRIPT], env=self.env(NODEFLEET_SERVER_WAIT="2"),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("gave up after 2 attempts", r.stderr)
        self.assertIn("error: no K3s server found", r.stderr)
        self.assertFalse(os.path.exists(self.record))  # nothing installed
        # an on-demand instance (no instance-life-cycle, as on older metadata): on-demand
        meta = dict(META)
        del meta["instance-life-cycle"]
        self.start_imds(meta)
        self.server(tagged=True)
        r = subprocess.run(["bash", SCRIPT], env=self.env(), capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.record) as f:
            self.assertIn("node.kubernetes.io/lifecycle=on-demand\n", f.read())

    def test_bad_parameters_and_missing_tools_are_errors(self):
        cases = [({"NODEFLEET_CLUSTER_ID": None}, "NODEFLEET_CLUSTER_ID is not set"),
                 ({"NODEFLEET_TOKEN_SECRET": None}, "NODEFLEET_TOKEN_SECRET is not set"),
                 ({"K3S_VERSION": "latest"}, "K3S_VERSION 'latest' is not a K3s release"),
                 ({"NODEFLEET_SERVER_WAIT": "0"}, "must be whole numbers above 0"),
                 ({"NODEFLEET_TOKEN_SECRET": "no-such-secret"},
                  "cannot read the join token from Secrets Manager")]
        for extra, want in cases:
            r = subprocess.run(["bash", SCRIPT], env=self.env(**{"NODEFLEET_SERVER_WAIT": "1", **extra}),
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 1, (extra, r.stderr))
            self.assertIn(want, r.stderr, extra)
        # a PATH with curl but no aws
        bare = os.path.join(self.dir, "bare")
        os.mkdir(bare)
        os.symlink(shutil.which("curl"), os.path.join(bare, "curl"))
        r = subprocess.run([shutil.which("bash"), SCRIPT], env=self.env(PATH=bare),
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("'aws' is missing", r.stderr)


def slurp(*parts):
    with open(os.path.join(*parts)) as f:
        return f.read()


KUBECTL = """#!/bin/bash
# kubectl, as the test sees it: a ready API server, what is applied recorded, a token and a CA
echo "$*" >> "$STUB_DIR/kubectl.calls"
case "$*" in
  "get --raw /readyz") [[ -e "$STUB_DIR/ready" ]] || exit 1; echo ok ;;
  "apply -f -") cat > "$STUB_DIR/applied.yaml" ;;
  *"get secret nodefleet-token"*) printf '%s' "$(printf 'sa-t0ken-for-nodefleet' | base64)" ;;
  "config view --raw"*) printf 'Q0EtREFUQQ==' ;;
  *) exit 3 ;;
esac
"""
SYSTEMCTL = """#!/bin/bash
echo "$*" >> "$STUB_DIR/systemctl.calls"
"""


class ServerUserData(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nf-serverdata-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        meta = dict(META, **{"local-ipv4": "10.60.0.4", "instance-id": "i-0aaaabbbbccccdddd"})
        portfile = os.path.join(self.dir, "imds.port")
        imds = lab.start([sys.executable, os.path.join(HERE, "imds.py"), portfile, "normal"],
                         env={**os.environ, "NF_IMDS_META": json.dumps(meta)})
        self.addCleanup(lab.stop, imds)
        self.imds_url = "http://127.0.0.1:%d" % lab.port_from(portfile, imds, "imds")
        self.bin = os.path.join(self.dir, "bin")
        os.mkdir(self.bin)
        for name, text in (("k3s-install", STUB), ("kubectl", KUBECTL), ("systemctl", SYSTEMCTL)):
            with open(os.path.join(self.bin, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(self.bin, name), 0o755)
        self.root = os.path.join(self.dir, "root")
        os.mkdir(self.root)
        self.cluster = "sv-%d" % int(time.time() * 1000)
        self.join = "K10server::server:s3cr3t-join-token"
        LAB.aws("secretsmanager", "create-secret", "--name", self.cluster + "/k3s-token",
                "--secret-string", self.join)
        LAB.aws("secretsmanager", "create-secret", "--name", self.cluster + "/kubeconfig",
                "--secret-string", "{}")
        # the package: a zip with an executable bootstrap, in S3
        zpath = os.path.join(self.dir, "pkg.zip")
        boot = os.path.join(self.dir, "bootstrap")
        with open(boot, "w") as f:
            f.write("#!/bin/sh\necho nodefleet\n")
        os.chmod(boot, 0o755)
        subprocess.run(["zip", "-q", "-j", zpath, boot], check=True)
        bucket = "nf-pkg-" + self.cluster
        LAB.aws("s3api", "create-bucket", "--bucket", bucket)
        LAB.aws("s3api", "put-object", "--bucket", bucket, "--key", "nodefleet-lambda.zip",
                "--body", zpath)
        self.package = "s3://%s/nodefleet-lambda.zip" % bucket

    def env(self, **extra):
        e = {"PATH": self.bin + ":" + os.environ["PATH"], "HOME": self.dir,
             "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             "NODEFLEET_CLUSTER_ID": self.cluster,
             "NODEFLEET_TOKEN_SECRET": self.cluster + "/k3s-token",
             "NODEFLEET_KUBECONFIG_SECRET": self.cluster + "/kubeconfig",
             "NODEFLEET_MODE": "daemon", "NODEFLEET_PACKAGE": self.package,
             "NODEFLEET_SETTINGS": "CLUSTER_ID=%s\nMIN_NODES=2" % self.cluster,
             "NODEFLEET_IMDS": self.imds_url, "NODEFLEET_AWS_ENDPOINT": LAB.moto_url,
             "NODEFLEET_K3S_INSTALLER": "k3s-install", "NODEFLEET_KUBECTL": "kubectl",
             "NODEFLEET_WAIT_MAX": "1", "NODEFLEET_ROOT": self.root,
             "STUB_RECORD": os.path.join(self.dir, "installer.txt"), "STUB_DIR": self.dir}
        e.update(extra)
        return {k: v for k, v in e.items() if v is not None}

    def run_script(self, timeout=120, **extra):
        return subprocess.run(["bash", SERVER_SCRIPT], env=self.env(**extra),
                              capture_output=True, text=True, timeout=timeout)

    def calls(self, name):
        path = os.path.join(self.dir, name + ".calls")
        return slurp(path).splitlines() if os.path.exists(path) else []

    def test_daemon_mode_installs_k3s_gives_nodefleet_its_identity_and_starts_it(self):
        p = subprocess.Popen(["bash", SERVER_SCRIPT], env=self.env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.addCleanup(p.kill)
        # the API server is not ready yet: the script waits for it
        lab.wait_for(lambda: len(self.calls("kubectl")) >= 2, "a wait for the API server", 60)
        open(os.path.join(self.dir, "ready"), "w").close()
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("the API server: not yet (attempt 1 of 30)", err)
        with open(os.path.join(self.dir, "installer.txt")) as f:
            args, env = f.read().split("--env--\n")
        self.assertEqual(args.split("\n")[:-1], [
            "server", "--kubelet-arg=provider-id=aws:///us-east-1b/i-0aaaabbbbccccdddd",
            "--node-label", "topology.kubernetes.io/zone=us-east-1b",
            "--node-taint", "CriticalAddonsOnly=true:NoExecute", "--tls-san", "10.60.0.4"])
        self.assertIn("K3S_TOKEN=" + self.join + "\n", env)
        self.assertIn("INSTALL_K3S_VERSION=v1.31.4+k3s1\n", env)
        # nodefleet's RBAC objects are the repo's (deploy/kubernetes/rbac), plus its token
        import yaml
        with open(os.path.join(self.dir, "applied.yaml")) as f:
            applied = list(yaml.safe_load_all(f))
        with open(RBAC) as f:
            repo = list(yaml.safe_load_all(f))
        self.assertEqual(applied[:3], repo)
        self.assertEqual((applied[3]["kind"], applied[3]["type"]),
                         ("Secret", "kubernetes.io/service-account-token"))
        # the kubeconfig in Secrets Manager: the server's private address, the CA, the token
        kc = LAB.aws("secretsmanager", "get-secret-value", "--secret-id",
                     self.cluster + "/kubeconfig")["SecretString"]
        kc = yaml.safe_load(kc)
        self.assertEqual(kc["clusters"][0]["cluster"], {
            "server": "https://10.60.0.4:6443", "certificate-authority-data": "Q0EtREFUQQ=="})
        self.assertEqual(kc["users"][0]["user"], {"token": "sa-t0ken-for-nodefleet"})
        # nodefleet unpacked, its settings root's alone, the service enabled and started
        boot = os.path.join(self.root, "opt", "nodefleet", "bootstrap")
        self.assertTrue(os.access(boot, os.X_OK))
        envfile = os.path.join(self.root, "etc", "nodefleet", "nodefleet.env")
        self.assertEqual(slurp(envfile), "CLUSTER_ID=%s\nMIN_NODES=2\n" % self.cluster)
        self.assertEqual(os.stat(envfile).st_mode & 0o777, 0o600)
        wrapper = slurp(self.root, "usr", "local", "bin", "nodefleet")
        self.assertIn(". /etc/nodefleet/nodefleet.env\n", wrapper)
        self.assertIn('exec /opt/nodefleet/bootstrap "$@"\n', wrapper)
        unit = slurp(self.root, "etc", "systemd", "system", "nodefleet.service")
        self.assertIn("ExecStart=/opt/nodefleet/bootstrap run\n", unit)
        self.assertIn("EnvironmentFile=/etc/nodefleet/nodefleet.env\n", unit)
        self.assertEqual(self.calls("systemctl"), ["daemon-reload", "enable --now nodefleet.service"])
        for secret in ("s3cr3t", "sa-t0ken"):
            self.assertNotIn(secret, out + err)  # no token is logged

    def test_lambda_mode_stops_at_the_kubeconfig_and_wireguard_is_passed_on(self):
        open(os.path.join(self.dir, "ready"), "w").close()
        r = self.run_script(NODEFLEET_MODE="lambda", NODEFLEET_PACKAGE=None,
                            NODEFLEET_WIREGUARD="true")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("--flannel-backend=wireguard-native", slurp(self.dir, "installer.txt"))
        self.assertIn("nodefleet runs as the stack's Lambda function", r.stderr)
        self.assertEqual(self.calls("systemctl"), [])
        self.assertFalse(os.path.exists(os.path.join(self.root, "opt", "nodefleet")))

    def test_bad_parameters_and_missing_tools_are_errors(self):
        open(os.path.join(self.dir, "ready"), "w").close()
        cases = [({"NODEFLEET_KUBECONFIG_SECRET": None}, "NODEFLEET_KUBECONFIG_SECRET is not set"),
                 ({"NODEFLEET_MODE": "cron"}, "NODEFLEET_MODE 'cron' is neither daemon nor lambda"),
                 ({"NODEFLEET_PACKAGE": "https://x/y.zip"}, "is not s3://BUCKET/KEY"),
                 ({"NODEFLEET_WIREGUARD": "yes"}, "NODEFLEET_WIREGUARD 'yes' is neither"),
                 ({"K3S_VERSION": "stable"}, "K3S_VERSION 'stable' is not a K3s release"),
                 ({"NODEFLEET_PACKAGE": "s3://no-such-bucket/x.zip"},
                  "cannot download s3://no-such-bucket/x.zip")]
        for extra, want in cases:
            r = self.run_script(**extra)
            self.assertEqual(r.returncode, 1, (extra, r.stderr))
            self.assertIn(want, r.stderr, extra)
        self.assertEqual(self.calls("systemctl"), [])  # nothing started on any of them
        bare = os.path.join(self.dir, "bare")
        os.mkdir(bare)
        for tool in ("curl", "base64"):
            os.symlink(shutil.which(tool), os.path.join(bare, tool))
        r = subprocess.run([shutil.which("bash"), SERVER_SCRIPT], env=self.env(PATH=bare),
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("'aws' is missing", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
