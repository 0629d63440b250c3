#!/usr/bin/env python3
"""The CloudFormation stack (deploy/aws/nodefleet.yaml, issue 18), for real where a real server
exists: cfn-lint on the template; the stack deployed into moto_server with the real AWS CLI
(`aws cloudformation deploy`) and what it made read back with the CLI; nodefleet configured
only from what the stack gives it (the Lambda's environment) run against that moto and the
test API server. What moto's CloudFormation skips (alarms, secrets, the queue policy, TTL) is
checked in the template itself, against what nodefleet publishes and reads.

    test_cfn.py BUILD_DIR
"""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "kube"))
import procs  # noqa: E402
from procs import need, free_port, start, stop, wait_for, http_get, records  # noqa: E402

try:
    import yaml
except ImportError:
    sys.exit("FAIL: python3 has no yaml module (PyYAML; scripts/deps.sh test installs python3-yaml)")

BUILD = procs.build_dir("test_cfn.py")
NODEFLEET = os.path.join(BUILD, "nodefleet")
TEMPLATE = os.path.join(ROOT, "deploy", "aws", "nodefleet.yaml")
UBUNTU_PARAM = "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"
K3S_PORTS = {("tcp", 6443), ("tcp", 10250), ("udp", 8472)}
ACCOUNT = re.compile(r"(arn:aws:[a-z0-9-]+:[a-z0-9-]*:)[0-9]{12}:")
M = None


def cfn_yaml(path):
    """The template as data: CloudFormation's short tags (!Ref, !Sub...) as their long form."""
    class Loader(yaml.SafeLoader):
        pass

    def tag(loader, suffix, node):
        name = "Ref" if suffix == "Ref" else "Fn::" + suffix
        if isinstance(node, yaml.ScalarNode):
            v = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            v = loader.construct_sequence(node, deep=True)
        else:
            v = loader.construct_mapping(node, deep=True)
        return {name: v}
    Loader.add_multi_constructor("!", tag)
    with open(path) as f:
        return yaml.load(f, Loader=Loader)


class Moto:
    """moto_server alone, reached as localhost: the CLI's `deploy` uploads the template to S3
    and hands CloudFormation a URL of that endpoint, which moto resolves by name only for
    localhost (a numeric address would be read as a bucket name)."""

    def __init__(self):
        self.awscli = need("aws")
        self.dir = tempfile.mkdtemp(prefix="nf-cfn-")
        port = free_port()
        self.proc = start([need("moto_server"), "-H", "127.0.0.1", "-p", str(port)])
        self.url = "http://localhost:%d" % port
        wait_for(lambda: http_get("http://127.0.0.1:%d/moto-api/" % port)[0] == 200,
                 "moto_server", 60)

    def env(self, **extra):
        e = {"PATH": os.environ["PATH"], "HOME": self.dir, "AWS_ACCESS_KEY_ID": "testing",
             "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
             "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
             "AWS_ENDPOINT_URL": self.url}
        e.update(extra)
        return e

    def aws(self, *args, check=True):
        r = subprocess.run([self.awscli, "--endpoint-url", self.url, "--output", "json"] +
                           list(args), env=self.env(), capture_output=True, text=True,
                           timeout=180)
        if check and r.returncode != 0:
            raise AssertionError("aws %s: %s" % (" ".join(args[:3]), r.stderr))
        if args[0] == "s3":  # the high-level S3 commands print progress, not JSON
            return r.stdout
        return json.loads(r.stdout) if r.stdout.strip() else None


def setUpModule():
    global M
    need("cfn-lint")
    M = Moto()
    # the package the stack points at (any zip: moto stores it), and the AMI parameters
    M.aws("s3", "mb", "s3://nf-artifacts")
    zpath = os.path.join(M.dir, "nodefleet-lambda.zip")
    subprocess.run(["python3", "-m", "zipfile", "-c", zpath, NODEFLEET], check=True)
    M.aws("s3", "cp", zpath, "s3://nf-artifacts/nodefleet-lambda.zip")
    ami = M.aws("ec2", "describe-images", "--owners", "amazon")["Images"][0]["ImageId"]
    M.aws("ssm", "put-parameter", "--name", "/test/ubuntu-2404-ami", "--type", "String",
          "--value", ami)


def tearDownModule():
    stop(M.proc)


def deploy(stack, **params):
    """`aws cloudformation deploy` of the template, as the README says, into moto. moto has
    Amazon Linux's public AMI parameter but not Canonical's (and refuses to create one under
    /aws/): that one default is pointed at a parameter of the test's own."""
    with open(TEMPLATE) as f:
        text = f.read()
    assert text.count(UBUNTU_PARAM) == 1
    path = os.path.join(M.dir, stack + ".yaml")
    with open(path, "w") as f:
        f.write(text.replace(UBUNTU_PARAM, "/test/ubuntu-2404-ami"))
    over = ["ArtifactBucket=nf-artifacts"] + ["%s=%s" % kv for kv in params.items()]
    r = subprocess.run([M.awscli, "cloudformation", "deploy", "--template-file", path,
                        "--s3-bucket", "nf-artifacts", "--stack-name", stack,
                        "--capabilities", "CAPABILITY_NAMED_IAM",
                        "--parameter-overrides"] + over,
                       env=M.env(), capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError("cloudformation deploy %s: %s%s" % (stack, r.stdout, r.stderr))
    res = M.aws("cloudformation", "list-stack-resources", "--stack-name", stack)
    return {x["LogicalResourceId"]: x["PhysicalResourceId"]
            for x in res["StackResourceSummaries"] if x.get("LogicalResourceId")}


def normalized(doc):
    """A policy document's statements by Sid, account numbers as '*', lists sorted."""
    out = {}
    for st in doc["Statement"]:
        st = json.loads(ACCOUNT.sub(r"\1*:", json.dumps(st)))
        st["Resource"] = sorted(st["Resource"] if isinstance(st["Resource"], list)
                                else [st["Resource"]])
        st["Action"] = sorted(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
        out[st.pop("Sid")] = st
    return out


def managed_policy(arn):
    p = M.aws("iam", "get-policy", "--policy-arn", arn)["Policy"]
    v = M.aws("iam", "get-policy-version", "--policy-arn", arn, "--version-id",
              p["DefaultVersionId"])["PolicyVersion"]["Document"]
    return json.loads(v) if isinstance(v, str) else v


def nf(args, env, timeout=120):
    return subprocess.run([NODEFLEET] + args, env=env, capture_output=True, text=True,
                          timeout=timeout)


class Template(unittest.TestCase):
    def test_cfn_lint_is_clean_and_the_scripts_in_it_are_the_repo_s(self):
        r = subprocess.run(["cfn-lint", TEMPLATE], capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # informational findings too, but one: Join around the user data (Sub would read the
        # scripts' own ${...}), said in the template
        r = subprocess.run(["cfn-lint", "-c", "I", "--", TEMPLATE], capture_output=True,
                           text=True, timeout=300)
        codes = set(re.findall(r"^([EWI][0-9]{4}) ", r.stdout, re.M))
        self.assertEqual(codes, {"I1022"}, r.stdout)
        r = subprocess.run(["python3", os.path.join(ROOT, "scripts", "mkcfn.py"), "--check"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_what_moto_skips_is_right_in_the_template(self):
        t = cfn_yaml(TEMPLATE)
        res = t["Resources"]
        # DynamoDB TTL on `ttl`, the attribute nodefleet writes on both tables
        for name in ("StateTable", "HistoryTable"):
            self.assertEqual(res[name]["Properties"]["TimeToLiveSpecification"],
                             {"AttributeName": "ttl", "Enabled": True}, name)
        # the queue policy lets EventBridge send, only from the stack's four rules
        pol = res["InterruptionQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
        self.assertEqual(len(pol), 1)
        self.assertEqual((pol[0]["Principal"], pol[0]["Action"], pol[0]["Resource"]),
                         ({"Service": "events.amazonaws.com"}, "sqs:SendMessage",
                          {"Fn::GetAtt": "InterruptionQueue.Arn"}))
        rules = {k for k, v in res.items() if v["Type"] == "AWS::Events::Rule"
                 and any(x["Arn"] == {"Fn::GetAtt": "InterruptionQueue.Arn"}
                         for x in v["Properties"]["Targets"])}
        self.assertEqual(len(rules), 4)
        self.assertEqual(sorted(x["Fn::GetAtt"] for x in
                                pol[0]["Condition"]["ArnEquals"]["aws:SourceArn"]),
                         sorted(r + ".Arn" for r in rules))
        # secrets: the join token generated, nodefleet's kubeconfig under the name its
        # setting carries, Prometheus' basic auth as {"username", "password"}
        self.assertIn("GenerateSecretString", res["JoinToken"]["Properties"])
        self.assertEqual(res["Kubeconfig"]["Properties"]["Name"],
                         {"Fn::Sub": "${ClusterId}/kubeconfig"})
        gen = res["PrometheusAuth"]["Properties"]["GenerateSecretString"]
        self.assertEqual((json.loads(gen["SecretStringTemplate"]), gen["GenerateStringKey"]),
                         ({"username": "nodefleet"}, "password"))
        # alarms: five, to the topic, on metrics nodefleet publishes (the CloudWatch test
        # below has it publish them into moto)
        alarms = {k: v["Properties"] for k, v in res.items()
                  if v["Type"] == "AWS::CloudWatch::Alarm"}
        self.assertEqual(len(alarms), 5)
        for name, a in alarms.items():
            self.assertEqual((a["Namespace"], a["Dimensions"][0]["Name"], a["AlarmActions"]),
                             ("NodeFleet", "ClusterId", [{"Ref": "Topic"}]), name)
        by_metric = {a["MetricName"]: a for a in alarms.values()}
        self.assertEqual(set(by_metric), {"CycleErrors", "Decisions", "JoinTimeouts",
                                          "LeaseLost", "AtMaximum"})
        self.assertEqual((by_metric["CycleErrors"]["EvaluationPeriods"],
                          by_metric["CycleErrors"]["DatapointsToAlarm"]), (3, 3))
        self.assertEqual((by_metric["Decisions"]["Period"],
                          by_metric["Decisions"]["TreatMissingData"]), (600, "breaching"))
        self.assertEqual((by_metric["AtMaximum"]["Period"], by_metric["AtMaximum"]["Statistic"]),
                         (3600, "Minimum"))
        # IMDSv2 with a hop limit of 2 on the workers and the server
        for lt in ("WorkerTemplate", "ServerTemplate"):
            self.assertEqual(res[lt]["Properties"]["LaunchTemplateData"]["MetadataOptions"],
                             {"HttpTokens": "required", "HttpPutResponseHopLimit": 2,
                              "HttpEndpoint": "enabled"}, lt)
        # who runs nodefleet gets its policy (moto skips ManagedPolicyArns and a managed
        # policy's Roles): the Lambda's role, or the server's in daemon mode only
        self.assertIn({"Ref": "NodefleetPolicy"},
                      res["LambdaRole"]["Properties"]["ManagedPolicyArns"])
        cond, daemon, lam = res["ServerRole"]["Properties"]["ManagedPolicyArns"]["Fn::If"]
        self.assertEqual(cond, "IsDaemon")
        self.assertEqual([x == {"Ref": "NodefleetPolicy"} for x in daemon], [False, True])
        self.assertNotIn({"Ref": "NodefleetPolicy"}, lam)
        self.assertEqual(res["NodefleetHistoryPolicy"]["Properties"]["Roles"],
                         {"Fn::If": ["IsLambda", [{"Ref": "LambdaRole"}], [{"Ref": "ServerRole"}]]})
        self.assertEqual(res["NodefleetHistoryPolicy"]["Condition"], "IsSeed")
        # the Lambda's timeout is what the README's deadline work says
        self.assertEqual(res["Function"]["Properties"]["Timeout"], 60)
        self.assertEqual(res["Function"]["Properties"]["Runtime"], "provided.al2023")


class Stack(unittest.TestCase):
    """Mode lambda, three zones, private workers behind NAT, WireGuard, Ubuntu, the seed policy
    with Prometheus basic auth: the stack with the most in it."""

    @classmethod
    def setUpClass(cls):
        cls.cid = "cfn%d" % (int(time.time()) % 100000)
        cls.res = deploy("nf-" + cls.cid, ClusterId=cls.cid, Mode="lambda", ZoneCount=3,
                         PrivateWorkers="true", WireGuard="true", Os="ubuntu2404", Policy="seed",
                         PrometheusBasicAuth="true")
        fn = M.aws("lambda", "get-function-configuration", "--function-name",
                   cls.cid + "-nodefleet")
        cls.fn = fn
        cls.settings = {k: str(v) for k, v in fn["Environment"]["Variables"].items()}

    def test_the_network_three_zones_public_and_private(self):
        vpc = self.res["Vpc"]
        subnets = M.aws("ec2", "describe-subnets", "--filters",
                        "Name=vpc-id,Values=" + vpc)["Subnets"]
        self.assertEqual(len(subnets), 6)
        by_id = {s["SubnetId"]: s for s in subnets}
        public = [by_id[self.res["PublicSubnet%d" % i]] for i in (1, 2, 3)]
        private = [by_id[self.res["PrivateSubnet%d" % i]] for i in (1, 2, 3)]
        for group in (public, private):
            self.assertEqual(len({s["AvailabilityZone"] for s in group}), 3)
        # the public route goes to the internet gateway, the private one to the NAT gateway
        routes = M.aws("ec2", "describe-route-tables", "--filters",
                       "Name=vpc-id,Values=" + vpc)["RouteTables"]
        default = {}
        for rt in routes:
            for r in rt["Routes"]:
                if r.get("DestinationCidrBlock") == "0.0.0.0/0":
                    default[rt["RouteTableId"]] = r.get("GatewayId") or r.get("NatGatewayId")
        self.assertEqual(default[self.res["PublicRoutes"]], self.res["Igw"])
        self.assertEqual(default[self.res["PrivateRoutes"]], self.res["Nat"])
        nat = M.aws("ec2", "describe-nat-gateways")["NatGateways"]
        self.assertIn(self.res["PublicSubnet1"],
                      [n["SubnetId"] for n in nat if n["NatGatewayId"] == self.res["Nat"]])
        # the workers go to the private subnets, one per zone, as nodefleet reads them
        want = ",".join("%s=%s" % (s["AvailabilityZone"], s["SubnetId"]) for s in private)
        self.assertEqual(self.settings["NODEFLEET_SUBNETS"], want)

    def test_security_groups_open_exactly_k3s_ports(self):
        groups = M.aws("ec2", "describe-security-groups", "--group-ids", self.res["ServerGroup"],
                       self.res["WorkerGroup"], self.res["LambdaGroup"])["SecurityGroups"]
        names = {self.res["ServerGroup"]: "server", self.res["WorkerGroup"]: "workers",
                 self.res["LambdaGroup"]: "lambda"}
        rules = {}
        for g in groups:
            got = set()
            for p in g["IpPermissions"]:
                self.assertEqual(p.get("IpRanges", []), [], "no address range is open")
                for pair in p["UserIdGroupPairs"]:
                    got.add((p["IpProtocol"], p["FromPort"], p["ToPort"],
                             names[pair["GroupId"]]))
            rules[names[g["GroupId"]]] = got
        self.assertEqual(rules["server"], {
            ("tcp", 6443, 6443, "workers"), ("tcp", 10250, 10250, "workers"),
            ("udp", 8472, 8472, "workers"), ("udp", 51820, 51821, "workers"),
            ("tcp", 6443, 6443, "lambda"), ("tcp", 30090, 30090, "lambda")})
        self.assertEqual(rules["workers"], {
            ("tcp", 10250, 10250, "server"), ("udp", 8472, 8472, "server"),
            ("udp", 51820, 51821, "server"), ("tcp", 9100, 9100, "server"),
            ("tcp", 10250, 10250, "workers"), ("udp", 8472, 8472, "workers"),
            ("udp", 51820, 51821, "workers")})
        self.assertEqual(rules["lambda"], set())

    def test_the_workers_launch_template_and_the_server(self):
        lt = self.settings["NODEFLEET_LAUNCH_TEMPLATE"]
        self.assertEqual(lt, self.res["WorkerTemplate"])
        v = M.aws("ec2", "describe-launch-template-versions", "--launch-template-id", lt)
        data = v["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        ami = M.aws("ssm", "get-parameter", "--name", "/test/ubuntu-2404-ami")["Parameter"]["Value"]
        self.assertEqual((data["ImageId"], data["InstanceType"]), (ami, "t3.medium"))
        self.assertEqual(data["MetadataOptions"]["HttpTokens"], "required")
        self.assertEqual(data["MetadataOptions"]["HttpPutResponseHopLimit"], 2)
        self.assertEqual(data["BlockDeviceMappings"][0]["DeviceName"], "/dev/sda1")  # Ubuntu's
        self.assertTrue(data["IamInstanceProfile"]["Arn"].endswith(self.res["WorkerProfile"]))
        ud = base64.b64decode(data["UserData"]).decode()
        self.assertLess(len(ud.encode()), 16384)  # EC2's limit on user data, before base64
        with open(os.path.join(ROOT, "deploy", "aws", "k3s-worker.sh")) as f:
            script = f.read()
        head, body = ud.split(script[:40], 1)
        self.assertEqual(script[:40] + body, script)  # the repo's script, whole
        self.assertIn("export NODEFLEET_CLUSTER_ID='%s'\n" % self.cid, head)
        self.assertIn("export NODEFLEET_TOKEN_SECRET='%s/k3s-token'\n" % self.cid, head)
        self.assertIn("export K3S_VERSION='v1.31.4+k3s1'\n", head)
        # the server: tagged as the workers look for it, its user data with the same settings
        inst = M.aws("ec2", "describe-instances", "--instance-ids",
                     self.res["Server"])["Reservations"][0]["Instances"][0]
        tags = {t["Key"]: t["Value"] for t in inst["Tags"]}
        self.assertEqual((tags["nodefleet:cluster"], tags["nodefleet:role"]),
                         (self.cid, "k3s-server"))
        ud = M.aws("ec2", "describe-instance-attribute", "--instance-id", self.res["Server"],
                   "--attribute", "userData")["UserData"]["Value"]
        ud = base64.b64decode(ud).decode()
        self.assertLess(len(ud.encode()), 16384)
        block = ud.split("<<'NF_SETTINGS'\n", 1)[1].split("\nNF_SETTINGS\n", 1)[0]
        daemon = dict(line.split("=", 1) for line in block.split("\n"))
        self.assertEqual(daemon.pop("PROMETHEUS_URL"), "http://127.0.0.1:30090")
        lam = dict(self.settings)
        self.assertEqual(lam.pop("PROMETHEUS_URL"), "http://%s:30090" % inst["PrivateIpAddress"])
        self.assertEqual(daemon, lam)  # one list of settings for both modes
        self.assertIn("export NODEFLEET_MODE='lambda'\n", ud)
        self.assertIn("export NODEFLEET_WIREGUARD='true'\n", ud)
        with open(os.path.join(ROOT, "deploy", "aws", "k3s-server.sh")) as f:
            self.assertTrue(ud.endswith(f.read()))

    def test_tables_queue_rules_topic_and_the_function(self):
        st = M.aws("dynamodb", "describe-table", "--table-name", self.cid + "-nodefleet-state")
        self.assertEqual(st["Table"]["KeySchema"], [{"AttributeName": "cluster_id", "KeyType": "HASH"}])
        h = M.aws("dynamodb", "describe-table", "--table-name", self.cid + "-metrics-history")
        self.assertEqual(h["Table"]["KeySchema"], [
            {"AttributeName": "cluster_id", "KeyType": "HASH"},
            {"AttributeName": "timestamp", "KeyType": "RANGE"}])
        self.assertEqual(self.settings["NODEFLEET_STORE"], "dynamodb:%s-nodefleet-state" % self.cid)
        self.assertEqual(self.settings["METRICS_HISTORY_TABLE"], self.cid + "-metrics-history")
        q = self.settings["NODEFLEET_INTERRUPTION_QUEUE_URL"]
        qarn = M.aws("sqs", "get-queue-attributes", "--queue-url", q, "--attribute-names",
                     "QueueArn")["Attributes"]["QueueArn"]
        kinds = set()
        for r in M.aws("events", "list-rules", "--name-prefix", self.cid)["Rules"]:
            targets = M.aws("events", "list-targets-by-rule", "--rule", r["Name"])["Targets"]
            if r.get("EventPattern"):
                self.assertEqual([t["Arn"] for t in targets], [qarn], r["Name"])
                kinds.update(json.loads(r["EventPattern"])["detail-type"])
            else:  # the schedule invokes the function
                self.assertEqual(r["ScheduleExpression"], "rate(1 minute)")
                self.assertEqual([t["Arn"] for t in targets], [self.fn["FunctionArn"]])
        # every kind nodefleet's event reader acts on (src/aws/ec2_events.c)
        self.assertEqual(kinds, {"EC2 Spot Instance Interruption Warning",
                                 "EC2 Instance Rebalance Recommendation",
                                 "EC2 Instance State-change Notification", "AWS Health Event"})
        topics = [t["TopicArn"] for t in M.aws("sns", "list-topics")["Topics"]]
        self.assertIn(self.settings["NODEFLEET_SNS_TOPIC_ARN"], topics)
        self.assertEqual((self.fn["Runtime"], self.fn["Handler"], self.fn["Timeout"]),
                         ("provided.al2023", "bootstrap", 60))
        self.assertEqual(sorted(self.fn["VpcConfig"]["SubnetIds"]),
                         sorted(self.res["PrivateSubnet%d" % i] for i in (1, 2, 3)))

    def test_the_iam_policy_is_what_nodefleet_says_it_needs(self):
        env = M.env(**self.settings)
        r = nf(["check-config", "--iam-policy"], env)
        self.assertEqual(r.returncode, 0, r.stderr)
        want = normalized(json.loads(r.stdout))
        got = {}
        for name in ("NodefleetPolicy", "NodefleetHistoryPolicy"):
            got.update(normalized(managed_policy(self.res[name])))
        self.assertEqual(got, want)
        self.assertIn("MetricsHistory", got)  # the seed policy reads its history

    def test_nodefleet_configured_from_the_stack_alone_finds_and_uses_it(self):
        import kubelab as K
        kube = K.KubeLab(BUILD)
        self.addCleanup(kube.stop_server)
        server = K.node("k3s-server", control_plane=True, cpu="2")
        server["spec"]["taints"] = [{"key": "CriticalAddonsOnly", "value": "true",
                                     "effect": "NoExecute"}]
        kube.load({"nodes": [server]})
        # moto's CloudFormation makes no secrets: the stack's, as it makes them - Prometheus'
        # generated credentials, the kubeconfig's placeholder until the server is up
        ksecret = self.settings["NODEFLEET_KUBECONFIG_SECRET"]
        M.aws("secretsmanager", "create-secret", "--name", ksecret, "--secret-string", "{}")
        M.aws("secretsmanager", "create-secret", "--name", self.settings[
            "NODEFLEET_PROMETHEUS_SECRET"], "--secret-string",
            json.dumps({"username": "nodefleet", "password": "generated-by-the-stack"}))
        # the Lambda's environment, as the stack set it; Prometheus' address in the VPC is
        # not on loopback: a closed local port stands in (the policy decides without it)
        env = M.env(**self.settings)
        env["PROMETHEUS_URL"] = "http://127.0.0.1:%d" % free_port()
        env["NODEFLEET_PROMETHEUS_ATTEMPTS"] = "1"
        r = nf(["once", "--dry-run"], env)  # before the server has written the kubeconfig
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("aws.kubeconfig_secret %s holds no kubeconfig yet" % ksecret, r.stderr)
        # what the server's user data then puts in: its ServiceAccount's kubeconfig
        with open(kube.kubeconfig_nf) as f:
            M.aws("secretsmanager", "put-secret-value", "--secret-id", ksecret,
                  "--secret-string", f.read())
        r = nf(["once", "--dry-run"], env)
        self.assertEqual(r.returncode, 0, r.stderr)
        would = [x for x in records(r.stdout + r.stderr)
                 if x.get("msg") == "dry run: would launch workers"]
        self.assertEqual([w["count"] for w in would], [2], r.stderr)  # min_nodes 2
        pool = ["Name=tag:nodefleet:cluster,Values=" + self.cid, "Name=tag:Role,Values=k3s-worker",
                "Name=instance-state-name,Values=pending,running"]
        self.assertEqual(M.aws("ec2", "describe-instances", "--filters", *pool)["Reservations"],
                         [])
        # and for real: two workers from the stack's template into its private subnets, the
        # state in its table, the metrics the alarms watch published
        r = nf(["once"], env)
        self.assertEqual(r.returncode, 0, r.stderr)
        insts = [i for rs in M.aws("ec2", "describe-instances", "--filters", *pool)["Reservations"]
                 for i in rs["Instances"]]
        self.assertEqual(len(insts), 2, r.stderr)
        private = {self.res["PrivateSubnet%d" % i] for i in (1, 2, 3)}
        self.assertTrue({i["SubnetId"] for i in insts} <= private)
        self.assertEqual(len({i["SubnetId"] for i in insts}), 2)  # spread over zones
        item = M.aws("dynamodb", "get-item", "--table-name", self.cid + "-nodefleet-state",
                     "--key", json.dumps({"cluster_id": {"S": self.cid}}))
        self.assertIn("Item", item)
        names = {m["MetricName"] for m in M.aws("cloudwatch", "list-metrics", "--namespace",
                                                 "NodeFleet")["Metrics"]}
        t = cfn_yaml(TEMPLATE)
        watched = {v["Properties"]["MetricName"] for v in t["Resources"].values()
                   if v["Type"] == "AWS::CloudWatch::Alarm"}
        self.assertTrue(watched <= names, watched - names)

    def test_the_outputs_and_the_daemon_s_settings_are_the_lambda_s(self):
        t = cfn_yaml(TEMPLATE)
        listed = t["Outputs"]["Settings"]["Value"]["Fn::Join"][1]
        out_names = [x["Fn::Join"][1][0] for x in listed]
        env_names = [k for k in t["Resources"]["Function"]["Properties"]["Environment"]
                     ["Variables"] if k != "PROMETHEUS_URL"]
        self.assertEqual(out_names, env_names)
        self.assertEqual(set(env_names), set(self.settings) - {"PROMETHEUS_URL"})


class DaemonStack(unittest.TestCase):
    def test_the_defaults_two_public_zones_no_nat_nodefleet_on_the_server(self):
        cid = "dmn%d" % (int(time.time()) % 100000)
        res = deploy("nf-" + cid, ClusterId=cid)
        self.assertNotIn("Nat", res)
        self.assertNotIn("Function", res)
        self.assertNotIn("PrivateSubnet1", res)
        subnets = M.aws("ec2", "describe-subnets", "--filters",
                        "Name=vpc-id,Values=" + res["Vpc"])["Subnets"]
        self.assertEqual(len({s["AvailabilityZone"] for s in subnets}), 2)
        self.assertEqual(len(subnets), 2)
        groups = M.aws("ec2", "describe-security-groups", "--group-ids",
                       res["ServerGroup"])["SecurityGroups"]
        ports = {(p["IpProtocol"], p["FromPort"]) for p in groups[0]["IpPermissions"]}
        self.assertEqual(ports, K3S_PORTS)  # no WireGuard, no Lambda
        self.assertNotIn("NodefleetHistoryPolicy", res)  # the default policy keeps no history
        data = M.aws("ec2", "describe-launch-template-versions", "--launch-template-id",
                     res["WorkerTemplate"])["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        al2023 = M.aws("ssm", "get-parameter", "--name",
                       "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")
        self.assertEqual(data["ImageId"], al2023["Parameter"]["Value"])
        self.assertEqual(data["BlockDeviceMappings"][0]["DeviceName"], "/dev/xvda")
        ud = M.aws("ec2", "describe-instance-attribute", "--instance-id", res["Server"],
                   "--attribute", "userData")["UserData"]["Value"]
        ud = base64.b64decode(ud).decode()
        self.assertIn("export NODEFLEET_MODE='daemon'\n", ud)
        self.assertIn("export NODEFLEET_PACKAGE='s3://nf-artifacts/nodefleet-lambda.zip'\n", ud)


if __name__ == "__main__":
    unittest.main(verbosity=2)
