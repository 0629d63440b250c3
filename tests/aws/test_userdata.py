#!/usr/bin/env python3
"""The workers' user data (deploy/aws/k3s-worker.sh, issue 18) run for real under bash in a
sandbox: the test IMDSv2, moto for Secrets Manager and EC2, and a stub K3s installer on PATH
that records its arguments and environment.

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


if __name__ == "__main__":
    unittest.main(verbosity=2)
