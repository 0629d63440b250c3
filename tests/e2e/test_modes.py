#!/usr/bin/env python3
"""The ways nodefleet runs, against the same lab as the end-to-end scenarios (e2elab.py):
`once` and its exit codes, `--dry-run`, `status` and `explain`, `lambda` against a Runtime API
server of ours that follows the documented protocol, the status page rendered by headless
Chromium, and SIGHUP with a bad configuration.

    test_modes.py BUILD_DIR [unittest arguments]
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import e2elab  # noqa: E402
from runtimeapi import RuntimeAPI  # noqa: E402
import procs  # noqa: E402 (tests/lib, on the path through the lab module)

BUILD = procs.build_dir("test_modes.py")
LAB = None


def setUpModule():
    global LAB
    LAB = e2elab.Lab(BUILD)


def settings(min_nodes=2, extra=()):
    out = []
    for s in list(LAB.SETTINGS) + ["min_nodes=%d" % min_nodes] + list(extra):
        out += ["--set", s]
    return out


def nf(cmd, *args, env=None, timeout=120, extra=(), min_nodes=2):
    return subprocess.run([LAB.nodefleet, cmd] + list(args) + settings(min_nodes, extra),
                          env=env or LAB.env(), capture_output=True, text=True, timeout=timeout)


records = e2elab.records


class Modes(unittest.TestCase):
    def setUp(self):
        LAB.clean_slate()

    def tearDown(self):
        for h in LAB.procs:
            h.kill()

    def wait(self, check, what, timeout):
        v = e2elab.poll(check, timeout)
        if not v:
            self.fail("timed out waiting for %s" % what)
        return v

    def test_once_acts_and_exits_0_fails_with_1_bad_config_2(self):
        r = nf("once")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(LAB.instances()), 2)  # min_nodes, from nothing
        recs = records(r.stdout + r.stderr)
        msgs = [x["msg"] for x in recs]
        for step in ("Step 2: Lease acquired", "Step 3: Metrics collected",
                     "Step 4: Decision=scale_up", "Step 5: Launching EC2 instances",
                     "Step 6: State updated", "Step 7: Lease released"):
            self.assertIn(step, msgs)
        d = next(x for x in recs if x["msg"] == "Step 4: Decision=scale_up")
        self.assertEqual(d["increment"], 2)
        self.assertIn("min", d["reason"])
        # again: the launch is in flight, nothing more to do
        r = nf("once")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(LAB.instances()), 2)
        # a store that cannot be reached: the cycle fails, exit 1, nothing done
        r = nf("once", env=LAB.env(store="dynamodb:no-such-table"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no-such-table", r.stderr)
        self.assertEqual(len(LAB.instances()), 2)
        # a bad configuration: exit 2, named
        r = nf("once", extra=["max_nodes=1"])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("max_nodes", r.stderr)

    def test_dry_run_observes_and_decides_never_acts(self):
        r = nf("once", "--dry-run")
        self.assertEqual(r.returncode, 0, r.stderr)
        recs = records(r.stdout + r.stderr)
        would = [x for x in recs if x["msg"] == "dry run: would launch workers"]
        self.assertEqual([w["count"] for w in would], [2])
        self.assertEqual(LAB.instances(), [])
        self.assertEqual(LAB.store_item(), ({}, None))  # not even the lease was written
        h = LAB.run("dry_run=true")
        self.wait(lambda: len([x for x in h.records()
                               if x.get("msg") == "dry run: would launch workers"]) >= 3,
                  "three dry cycles", 30)
        self.assertEqual(h.stop(), 0)
        self.assertEqual(LAB.instances(), [])
        self.assertEqual(LAB.store_item(), ({}, None))

    def test_status_and_explain(self):
        r = nf("status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("none yet", r.stdout)
        self.assertEqual(nf("once").returncode, 0)
        r = nf("status", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = json.loads(r.stdout)
        self.assertFalse(s["lease"]["held"])
        self.assertEqual(len(s["state"]["launches"]), 1)
        self.assertEqual(s["state"]["launches"][0]["count"], 2)
        self.assertEqual(s["state"]["decisions"][-1]["action"], "scale_up")
        r = nf("status")
        self.assertEqual(r.returncode, 0, r.stderr)
        for words in ("scale_up", "in flight", s["state"]["launches"][0]["intent"]):
            self.assertIn(words, r.stdout)
        # explain: the last cycle, what it would do now, rule by rule, and every node
        self.wait(lambda: len([n for n in LAB.nodes() if n["status"]["conditions"][0]["status"]
                               == "True"]) == 2, "the workers Ready", 30)
        r = nf("explain")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("last cycle (", r.stdout)
        self.assertIn("scale_up 2", r.stdout)
        self.assertIn("why, rule by rule:", r.stdout)
        self.assertIn("k3s-server", r.stdout)
        self.assertIn("server: never removed", r.stdout)
        # the demand the pods request is kept for the forecast; a day of it is not there yet
        self.assertIn("demand (cores the pods request): now ", r.stdout)
        self.assertIn("+15m unknown", r.stdout)
        self.assertIn("demand", s["state"])
        for n in LAB.nodes():
            self.assertIn(n["metadata"]["name"], r.stdout)
        # it looked and did not touch: no lease taken, the state unchanged
        self.assertEqual(json.loads(nf("status", "--json").stdout)["state"], s["state"])
        r = nf("explain", "--json")
        e = json.loads(r.stdout)
        self.assertEqual(e["last"]["action"], "scale_up")
        self.assertTrue(e["now"]["trail"])
        self.assertEqual(len(e["nodes"]), 3)
        # the instances it counts, before anything acts (the node-fleet migration's check)
        self.assertEqual(sorted(i["id"] for i in e["instances"]),
                         sorted(i["InstanceId"] for i in LAB.instances()))
        self.assertIn("instances counted", nf("explain").stdout)

    def test_lambda_runtime_one_cycle_per_event_with_emf_metrics(self):
        api = RuntimeAPI()
        try:
            for i in range(3):
                api.event("req-%d" % i)
            env = LAB.env(AWS_LAMBDA_RUNTIME_API=api.addr)
            r = nf("lambda", "--events", "3", env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual([p["path"] for p in api.posts],
                             ["/2018-06-01/runtime/invocation/req-%d/response" % i
                              for i in range(3)])
            first = json.loads(api.posts[0]["body"])
            self.assertEqual((first["action"], first["launched"]), ("scale_up", 2))
            self.assertEqual(len(LAB.instances()), 2)
            # EMF: one line per cycle on stdout, every metric declared and present
            emf = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
            self.assertEqual(len(emf), 3, r.stdout)
            for e in emf:
                cw = e["_aws"]["CloudWatchMetrics"][0]
                self.assertEqual(cw["Namespace"], "NodeFleetE2E")
                self.assertEqual(cw["Dimensions"], [["ClusterId"]])
                self.assertEqual(e["ClusterId"], e2elab.POOL)
                for m in cw["Metrics"]:
                    self.assertIn(m["Name"], e)
                for name in ("NodeCount", "ReadyNodes", "CycleDuration", "ScaleUpEvents"):
                    self.assertIn(name, e)
                self.assertEqual(e["DeadlineCut"], 0)  # 60 s to spare
                # what the stack's alarms watch (deploy/aws/nodefleet.yaml)
                self.assertEqual((e["CycleErrors"], e["Decisions"], e["LeaseLost"],
                                  e["JoinTimeouts"], e["LaunchFailures"], e["AtMaximum"]),
                                 (0, 1, 0, 0, 0, 0))
            self.assertEqual(emf[0]["ScaleUpEvents"], 2)
            # a failed cycle is reported on /error and the runtime goes on to the next event
            api.posts.clear()
            api.event("req-bad")
            api.event("req-dry")
            r = nf("lambda", "--events", "1",
                   env=LAB.env(store="dynamodb:no-such-table", AWS_LAMBDA_RUNTIME_API=api.addr))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(api.posts[0]["path"], "/2018-06-01/runtime/invocation/req-bad/error")
            self.assertEqual(api.posts[0]["error_type"], "Nodefleet.CycleFailed")
            err = json.loads(api.posts[0]["body"])
            self.assertEqual(err["errorType"], "Nodefleet.CycleFailed")
            self.assertIn("no-such-table", err["errorMessage"])
            # ...and published as an error, nothing decided, no count that was not read
            emf = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
            self.assertEqual([(e["CycleErrors"], e["Decisions"]) for e in emf], [(1, 0)], r.stdout)
            self.assertNotIn("NodeCount", emf[0])
            # --dry-run: decides, reports, never acts
            r = nf("lambda", "--events", "1", "--dry-run", env=env, min_nodes=4)
            self.assertEqual(r.returncode, 0, r.stderr)
            dry = json.loads(api.posts[1]["body"])
            self.assertEqual((dry["action"], dry["dry_run"], dry["launched"]),
                             ("scale_up", True, 0))
            self.assertEqual(len(LAB.instances()), 2)
            # a bad configuration: /init/error, exit 2
            api.posts.clear()
            r = nf("lambda", env=env, extra=["max_nodes=1"])
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual([p["path"] for p in api.posts], ["/2018-06-01/runtime/init/error"])
            self.assertEqual(json.loads(api.posts[0]["body"])["errorType"], "Runtime.InitError")
            # the Runtime API answering 500: the container is broken, the runtime exits 1
            api.posts.clear()
            api.answer_status = 500
            api.event("req-500")
            api.event("req-never")
            r = nf("lambda", env=env, timeout=60)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertEqual(len(api.posts), 1)
            self.assertIn("refused the answer", r.stderr)
        finally:
            api.close()
        r = nf("lambda", env=LAB.env())
        self.assertEqual(r.returncode, 2)
        self.assertIn("AWS_LAMBDA_RUNTIME_API", r.stderr)

    def test_lambda_ends_before_its_deadline_with_the_lease_released(self):
        """Issue 16: an invocation with 4 s left (1 s of it the reserve) while EC2 hangs: the
        observation fits its estimate (aws.timeout 2 s) and starts; the first DescribeInstances
        times out, the retry in progress is cut to what is left less the reserve; the cycle
        ends with reason `deadline` before the deadline, the lease released; the next
        invocation, EC2 healthy again, acts at once."""
        api = RuntimeAPI()
        try:
            api.deadline_s = 4
            api.event("req-slow")
            LAB.aws.fault(mode="delay", delay_s=20, match="DescribeInstances")
            env = LAB.env(endpoint=LAB.aws.proxy_url, AWS_LAMBDA_RUNTIME_API=api.addr)
            r = nf("lambda", "--events", "1", env=env,
                   extra=["deadline_reserve=1s", "aws.timeout=2s", "kube.timeout=1s",
                          "prometheus.timeout=1s"])
            LAB.aws.fault(mode="pass")
            self.assertEqual(r.returncode, 0, r.stderr)
            (rid, handed), post = api.handed[0], api.posts[0]
            self.assertEqual(post["path"], "/2018-06-01/runtime/invocation/req-slow/response")
            # the observation ran (2 s of a first attempt, then the cut retry), and the answer
            # came with the reserve, less the final writes, still left
            self.assertGreater(post["t"] - handed, 2.0)
            self.assertLess(post["t"] - handed, 3.7)
            ans = json.loads(post["body"])
            self.assertEqual((ans["action"], ans["rule"]), ("none", "deadline"), ans)
            self.assertIn("deadline", ans["reason"])
            cut = [x for x in records(r.stderr) if x.get("msg") == "deadline: the cycle ends early"]
            self.assertEqual([x["before"] for x in cut],
                             ["decide (the observation was cut short)"], r.stderr)
            self.assertIn("after 2 attempts", r.stderr)  # the second one, cut to fit
            # 4 s is less than a cycle needs at these timeouts (1 + 2 + 2 s): the log says so
            short = [x for x in records(r.stderr)
                     if x.get("msg", "").startswith("the invocation's time is less than")]
            self.assertEqual(len(short), 1, r.stderr)
            self.assertAlmostEqual(short[0]["needs_s"], 5.0)
            self.assertLess(short[0]["has_s"], 4.01)
            self.assertTrue([x for x in records(r.stderr) if x.get("msg") == "Step 7: Lease released"])
            emf = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
            self.assertEqual((emf[0]["DeadlineCut"], emf[0]["Rule"]), (1, "deadline"), emf)
            st = nf("status", env=LAB.env())
            self.assertIn("lease: free", st.stdout)
            # the next invocation: no six-minute gap
            api.deadline_s = 60
            api.posts.clear()
            api.event("req-next")
            r = nf("lambda", "--events", "1", env=LAB.env(AWS_LAMBDA_RUNTIME_API=api.addr))
            self.assertEqual(r.returncode, 0, r.stderr)
            nxt = json.loads(api.posts[0]["body"])
            self.assertEqual((nxt["action"], nxt["launched"]), ("scale_up", 2), nxt)
        finally:
            LAB.aws.fault(mode="pass")
            api.close()

    def test_lambda_launch_without_an_answer_is_adopted_never_made_twice(self):
        """Issue 16: RunInstances does not answer before the invocation must end (the proxy
        holds it 8 s, then EC2 carries it out): the outcome is unknown, the intent saved before
        the call stays on record, the lease is released; the next invocation finds the
        instances by the intent's tag and adopts them - no RunInstances again, two workers,
        not four."""
        api = RuntimeAPI()
        proxy_log = lambda: json.loads(procs.http_get(LAB.aws.proxy_url + "/__log")[1])
        try:
            api.deadline_s = 5
            api.event("req-cut")
            LAB.aws.fault(mode="delay", delay_s=8, match="RunInstances")
            proxy_log()
            env = LAB.env(endpoint=LAB.aws.proxy_url, AWS_LAMBDA_RUNTIME_API=api.addr,
                          AWS_MAX_ATTEMPTS="1")  # moto does not honour ClientToken; EC2 does
            r = nf("lambda", "--events", "1", env=env,
                   extra=["deadline_reserve=1s", "aws.timeout=2s", "kube.timeout=1s",
                          "prometheus.timeout=1s"])
            self.assertEqual(r.returncode, 0, r.stderr)
            (rid, handed), post = api.handed[0], api.posts[0]
            self.assertLess(post["t"] - handed, 5.0)
            ans = json.loads(post["body"])
            self.assertEqual((ans["action"], ans["launched"]), ("scale_up", 0), ans)
            self.assertTrue([x for x in records(r.stderr) if x.get("msg") == "launch failed"])
            _, st = LAB.store_item()
            self.assertEqual(len(st["launches"]), 1, st)  # the intent, its outcome unknown
            intent = st["launches"][0]["intent"]
            self.assertIn("lease: free", nf("status", env=LAB.env()).stdout)
            # EC2 carries the held call out after all
            made = self.wait(lambda: len(LAB.instances()) == 2 and LAB.instances(),
                             "the held launch to reach EC2", 30)
            for i in made:
                self.assertIn({"Key": "nodefleet:intent", "Value": intent}, i["Tags"])
            LAB.aws.fault(mode="pass")
            # one call per pool (spot_percentage 50: one spot, one on-demand), the second cut
            # to what was left of the invocation
            self.assertEqual(len([x for x in proxy_log() if x["what"] == "RunInstances"]), 2)
            # the next invocation adopts them: no second launch
            api.deadline_s = 60
            api.posts.clear()
            api.event("req-next")
            env = LAB.env(endpoint=LAB.aws.proxy_url, AWS_LAMBDA_RUNTIME_API=api.addr)
            r = nf("lambda", "--events", "1", env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            nxt = json.loads(api.posts[0]["body"])
            self.assertEqual(nxt["launched"], 0, nxt)
            self.assertEqual([x for x in proxy_log() if x["what"] == "RunInstances"], [])
            self.assertEqual(sorted(i["InstanceId"] for i in LAB.instances()),
                             sorted(i["InstanceId"] for i in made))
            _, st = LAB.store_item()
            held = [rec for rec in st["launches"] if rec["intent"] == intent]
            self.assertTrue(not held or sorted(held[0]["instances"]) ==
                            sorted(i["InstanceId"] for i in made), st)
        finally:
            LAB.aws.fault(mode="pass")
            api.close()

    def test_run_bounds_each_cycle_by_its_interval(self):
        """Issue 16: `run` gives each cycle its interval (5 s, 0.5 s of it the reserve) when
        that is more than one cycle needs at its timeouts (observe 2 s + act 2 s): while EC2
        hangs, three 2-s attempts would take 6 s; the third is cut and the cycle ends at
        4.5 s with reason `deadline`, on the interval's beat; EC2 back, the next cycle acts."""
        LAB.aws.fault(mode="delay", delay_s=20, match="DescribeInstances")
        try:
            h = LAB.run("interval=5s", "deadline_reserve=0.5s", "aws.timeout=2s",
                        "kube.timeout=1s", "prometheus.timeout=1s",
                        env=LAB.env(endpoint=LAB.aws.proxy_url))
            cut = lambda: [x for x in h.records() if x.get("msg") == "deadline: the cycle ends early"]
            released = lambda: [x for x in h.records() if x.get("msg") == "Step 7: Lease released"]
            self.wait(lambda: len(cut()) >= 2 and len(released()) >= 2,
                      "two cycles cut by their interval, their lease released", 40)
            LAB.aws.fault(mode="pass")
            t = lambda x: time.mktime(time.strptime(x["ts"][:19], "%Y-%m-%dT%H:%M:%S")) + \
                float("0" + x["ts"][19:-1])
            held = [t(x) for x in h.records() if x.get("msg") in ("Step 2: Lease acquired",
                                                                  "Step 7: Lease released")]
            self.assertGreaterEqual(len(held), 4, h.text())
            for a, b in zip(held[0:4:2], held[1:4:2]):
                self.assertGreater(b - a, 3.5)  # the observation ran: 2 s, then the retries
                self.assertLess(b - a, 5.0)     # ... cut at 4.5 s, well before the 6 s
            self.assertLess(held[2] - held[0], 5.6)  # the next cycle on the interval's beat
            self.assertEqual({x["before"] for x in cut()},
                             {"decide (the observation was cut short)"})
            self.wait(lambda: len(LAB.instances()) == 2, "the next cycle to act", 30)
            self.assertEqual(h.stop(), 0)
        finally:
            LAB.aws.fault(mode="pass")

    def test_the_lambda_zip_runs_alone_as_lambda_runs_it(self):
        """Issue 18: make lambda-zip's package, unpacked into an empty directory and started as
        Lambda starts it - `bootstrap`, no argument, the configuration in the environment,
        LD_LIBRARY_PATH unset - answers an invocation with a decision, and loads nothing from
        outside the package but glibc's own libraries and the loader (LD_DEBUG)."""
        out = tempfile.mkdtemp(prefix="nf-zip-")
        self.addCleanup(shutil.rmtree, out, True)
        r = subprocess.run([os.path.join(HERE, "..", "..", "scripts", "mklambdazip.sh"),
                            os.path.dirname(LAB.nodefleet), out],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        zipfile = r.stdout.strip()
        self.assertLess(os.path.getsize(zipfile), 50 * 1024 * 1024)
        task = os.path.join(out, "task")
        os.mkdir(task)
        subprocess.run([procs.need("unzip"), "-q", zipfile, "-d", task], check=True)
        # the configuration as environment variables, each setting's own
        names = {}
        for line in subprocess.run([LAB.nodefleet, "help", "settings"], capture_output=True,
                                   text=True).stdout.splitlines():
            parts = line.split()
            if line.startswith("  ") and not line.startswith("   ") and len(parts) >= 3:
                names[parts[0]] = parts[1]
        env = {k: v for k, v in LAB.env().items() if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD")}
        for s in list(LAB.SETTINGS) + ["min_nodes=2"]:
            k, v = s.split("=", 1)
            env[names[k]] = v
        api = RuntimeAPI()
        try:
            api.event("req-zip")
            env.update(AWS_LAMBDA_RUNTIME_API=api.addr, PATH="/usr/bin:/bin",
                       LD_DEBUG="files", LD_DEBUG_OUTPUT=os.path.join(out, "ld"))
            p = subprocess.Popen([os.path.join(task, "bootstrap")], cwd=task, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                self.wait(lambda: api.posts or p.poll() is not None, "the answer", 60)
            finally:
                p.terminate()
                _, err = p.communicate(timeout=30)
            self.assertTrue(api.posts, err)
            self.assertEqual(api.posts[0]["path"], "/2018-06-01/runtime/invocation/req-zip/response")
            ans = json.loads(api.posts[0]["body"])
            self.assertEqual((ans["action"], ans["launched"]), ("scale_up", 2), ans)
        finally:
            api.close()
        loaded = set()
        for f in os.listdir(out):
            if f.startswith("ld."):
                with open(os.path.join(out, f)) as fh:
                    loaded |= {ln.split("calling init: ")[1].strip() for ln in fh
                               if "calling init: " in ln}
        self.assertTrue(any("libssl.so.3" in x for x in loaded), loaded)  # dlopen'd, from the zip
        glibc = ("libc.so.", "libm.so.", "libpthread.so.", "libdl.so.", "librt.so.",
                 "libresolv.so.", "ld-linux-x86-64.so.")
        outside = [x for x in loaded if not os.path.realpath(x).startswith(os.path.realpath(task) + "/")
                   and not os.path.basename(x).startswith(glibc)]
        self.assertEqual(outside, [], sorted(loaded))

    def test_notifications_slack_sns_and_cloudwatch(self):
        hooks, status = [], [200]

        class Hook(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                hooks.append((self.path, self.headers.get("Content-Type"),
                              json.loads(self.rfile.read(n))))
                self.send_response(status[0])
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        srv = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        secret_path = "/services/T000/B000/XyZsecretToken42"
        url = "http://127.0.0.1:%d%s" % (srv.server_address[1], secret_path)
        aws = LAB.aws.aws
        topic = aws("sns", "create-topic", "--name", "nodefleet-events")["TopicArn"]
        q = aws("sqs", "create-queue", "--queue-name", "nodefleet-events-copy")["QueueUrl"]
        qarn = aws("sqs", "get-queue-attributes", "--queue-url", q, "--attribute-names",
                   "QueueArn")["Attributes"]["QueueArn"]
        aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs",
            "--notification-endpoint", qarn)
        ns = "NodeFleetNotify"
        extra = ["notify.slack_webhook_url=" + url, "aws.sns_topic_arn=" + topic,
                 "aws.cloudwatch_namespace=" + ns]
        try:
            r = nf("once", extra=extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            ids = sorted(i["InstanceId"] for i in LAB.instances())
            self.assertEqual(len(ids), 2)
            # Slack: one message, what happened, why, before -> after, the cost, the ids
            self.assertEqual(len(hooks), 1, hooks)
            path, ctype, body = hooks[0]
            self.assertEqual((path, ctype), (secret_path, "application/json"))
            text = body["text"]
            for words in ("[nodefleet %s] scale up" % e2elab.POOL, "0 -> 2 workers", "+$",
                          "/h", "min_nodes", ids[0], ids[1]):
                self.assertIn(words, text)
            # SNS: the same as JSON (delivered here through an SQS subscription)
            m = aws("sqs", "receive-message", "--queue-url", q, "--max-number-of-messages", "10",
                    "--wait-time-seconds", "2")
            ev = [json.loads(json.loads(x["Body"])["Message"]) for x in m.get("Messages", [])]
            self.assertEqual(len(ev), 1, ev)
            self.assertEqual((ev[0]["event"], ev[0]["cluster_id"], ev[0]["workers_before"],
                              ev[0]["workers_after"]), ("scale_up", e2elab.POOL, 0, 2))
            self.assertGreater(ev[0]["cost_per_hour_change"], 0)
            self.assertEqual(sorted(ev[0]["instances"].split(", ")), ids)
            # CloudWatch: the seed's metrics, by pool
            names = {x["MetricName"] for x in aws("cloudwatch", "list-metrics", "--namespace",
                                                  ns)["Metrics"]}
            for name in ("NodeCount", "ReadyNodes", "JoiningNodes", "DrainingNodes",
                         "CPUUtilization", "MemoryUtilization", "ScaleUpEvents",
                         "ScaleDownEvents", "CycleDuration"):
                self.assertIn(name, names)
            # a webhook failing is logged and counted, never fatal, and never shows the URL
            status[0] = 500
            LAB.clean_slate()
            r = nf("once", extra=extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(len(LAB.instances()), 2)
            self.assertIn("Slack notification not sent", r.stderr)
            self.assertIn("HTTP 500", r.stderr)
            self.assertNotIn("XyZsecretToken42", r.stdout + r.stderr)
        finally:
            srv.shutdown()
            srv.server_close()

    def test_slack_webhook_from_secrets_manager(self):
        aws = LAB.aws.aws
        good = "slack-good-%d" % time.time()
        bad = "slack-bad-%d" % time.time()
        aws("secretsmanager", "create-secret", "--name", good, "--secret-string",
            json.dumps({"url": "https://127.0.0.1:1/services/T0/B0/tokenInTheSecret"}))
        aws("secretsmanager", "create-secret", "--name", bad, "--secret-string",
            json.dumps({"url": "http://127.0.0.1:1/services/T0/B0/plainHttpToken"}))
        # read once at start; the webhook unreachable: logged, counted, never fatal
        r = nf("once", extra=["aws.slack_webhook_secret=" + good])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(LAB.instances()), 2)
        self.assertIn("Slack notification not sent", r.stderr)
        self.assertNotIn("tokenInTheSecret", r.stdout + r.stderr)
        # not an https URL: a configuration error naming the secret, not its value
        r = nf("once", extra=["aws.slack_webhook_secret=" + bad])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("aws.slack_webhook_secret " + bad, r.stderr)
        self.assertNotIn("plainHttpToken", r.stdout + r.stderr)
        # no such secret: named, and nothing done
        r = nf("once", extra=["aws.slack_webhook_secret=no/such/secret"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("aws.slack_webhook_secret", r.stderr)
        self.assertIn("ResourceNotFoundException", r.stderr)
        self.assertEqual(len(LAB.instances()), 2)

    def test_status_page_renders_in_headless_chromium(self):
        chromium = e2elab.need("chromium")
        h = LAB.run()
        self.wait(lambda: len([n for n in LAB.nodes() if n["status"]["conditions"][0]["status"]
                               == "True"]) == 2 and h.port(), "two Ready workers", 60)
        time.sleep(2)  # a cycle that saw them
        url = "http://127.0.0.1:%d/" % h.port()
        status, html = e2elab.http_get(url)
        self.assertEqual(status, 200)
        profile = tempfile.mkdtemp(prefix="nf-chromium-")
        shot = os.path.join(LAB.dir, "status.png")
        base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--user-data-dir=" + profile, "--window-size=1280,1800"]
        try:
            r = subprocess.run(base + ["--screenshot=" + shot, url], capture_output=True,
                               text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            with open(shot, "rb") as f:
                png = f.read()
            self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
            self.assertGreater(len(png), 20000)  # a page, not a blank
            r = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            dom = r.stdout
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        for el in ('id="pool"', 'id="summary"', 'id="decision"', 'id="trail"', 'id="nodes"',
                   'id="forecast"',
                   'id="inflight"', 'id="charts"', 'id="decisions"'):
            self.assertIn(el, dom)
        self.assertIn("<svg", dom)
        for n in LAB.nodes():
            self.assertIn(n["metadata"]["name"], dom)
        self.assertIn("scale_up", dom)
        self.assertEqual(h.stop(), 0)

    def test_sighup_with_a_bad_configuration_keeps_the_old_one(self):
        h = LAB.run()
        self.wait(lambda: len(LAB.instances()) == 2, "two workers", 30)
        with open(h.config, "w") as f:
            f.write("min_nodes: lots\n")
        h.p.send_signal(signal.SIGHUP)
        self.wait(lambda: [r for r in h.records() if r.get("msg", "").startswith(
            "SIGHUP: the new configuration has problems")], "the refusal", 10)
        # issue 10: the problems are in that JSON line, not printed as plain text around it
        refusal = next(r for r in h.records() if r.get("msg", "").startswith(
            "SIGHUP: the new configuration has problems"))
        self.assertIn("min_nodes", refusal.get("problems", ""))
        n = len([r for r in h.records() if r.get("msg") == "Step 7: Lease released"])
        self.wait(lambda: len([r for r in h.records() if r.get("msg") == "Step 7: Lease released"])
                  >= n + 2, "cycles going on with the old configuration", 10)
        self.assertIsNone(h.p.poll())
        h.reload(LAB, 3)
        self.wait(lambda: [r for r in h.records() if r.get("msg") ==
                           "SIGHUP: configuration reloaded"], "the reload", 10)
        self.wait(lambda: len(LAB.instances()) == 3, "the new minimum applied", 30)
        self.assertFalse([r for r in h.records() if r.get("msg", "").startswith(
            "SIGHUP: server.listen")])  # nothing fixed at start changed: no warning
        self.assertEqual(h.stop(), 0)


def two_ready_workers():
    """A clean lab brought to its two Ready workers by `once`."""
    LAB.clean_slate()
    for _ in range(60):
        nf("once")
        if len([n for n in LAB.nodes()
                if n["status"]["conditions"][0]["status"] == "True"]) == 2:
            return
        time.sleep(1)


class Interruptions(unittest.TestCase):
    def wait(self, check, what, timeout):
        v = e2elab.poll(check, timeout, every=0.2)
        if not v:
            self.fail("timed out waiting for %s" % what)
        return v

    def test_a_spot_warning_drains_and_replaces_in_one_cycle(self):
        """Issue 15: EventBridge's warning for a worker lands in moto's SQS queue; one `once`
        cordons (or drains) the worker against its deadline, launches a replacement, and
        deletes the message; the same message again changes nothing."""
        two_ready_workers()
        q = LAB.aws.aws("sqs", "create-queue", "--queue-name", "nf-interruptions")["QueueUrl"]
        before = {i["InstanceId"] for i in LAB.instances()}
        victim = sorted(before)[0]
        ev = e2elab.spot_warning(victim)
        LAB.aws.aws("sqs", "send-message", "--queue-url", q, "--message-body", json.dumps(ev))
        # several types, priced: the replacement is one of them; m5.large's spot is set
        # cheapest in every zone (moto prices every type the same), and its on-demand price
        # comes from the built-in table
        extra = ["aws.interruption_queue_url=" + q, "aws.instance_types=c5.large,m5.large",
                 "aws.spot_prices=c5.large=0.05,m5.large=0.03"]
        r = nf("once", extra=extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        recs = records(r.stdout + r.stderr)
        hit = [x for x in recs if x.get("msg", "").startswith("instance interrupted")]
        self.assertTrue(hit, r.stderr[-3000:])
        self.assertEqual(hit[0]["instance"], victim)
        self.assertGreater(hit[0]["seconds_left"], 60)
        after = {i["InstanceId"] for i in LAB.instances()}
        new = after - before
        self.assertEqual(len(new), 1, (before, after))  # the replacement, this cycle
        repl = [i for i in LAB.instances() if i["InstanceId"] in new][0]
        self.assertIn(repl["InstanceType"], ("c5.large", "m5.large"))  # the AWS CLI's view
        # explain: the event acted on, the instances' types, what they cost and would cost
        # all on-demand
        r = nf("explain", "--json", extra=extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        ex = json.loads(r.stdout)
        self.assertIn(victim, [x["instance"] for x in ex["interrupts"]])
        self.assertEqual({x["id"]: x["type"] for x in ex["instances"]}[repl["InstanceId"]],
                         repl["InstanceType"])
        cost = ex["cost_per_hour"]
        self.assertGreater(cost["if_all_on_demand"], 0)
        self.assertLessEqual(cost["on_demand"] + cost["spot"], cost["if_all_on_demand"] + 1e-9)
        text = nf("explain", extra=extra).stdout
        self.assertIn("interruption events acted on", text)
        self.assertIn("saved", text)
        # status reads the store alone: the cost the last cycle saw, and the event
        st = nf("status", extra=extra).stdout
        self.assertIn("cost at the last cycle: $", st)
        self.assertIn("interruption acted on: spot_interruption " + victim, st)
        node = next((n for n in LAB.nodes() if n["spec"].get("providerID", "").endswith(victim)),
                    None)
        self.assertTrue(node is None or node["spec"].get("unschedulable"), node)
        self.assertNotIn("Messages", LAB.aws.aws("sqs", "receive-message", "--queue-url", q) or {})
        # delivered again: acknowledged, nothing twice
        LAB.aws.aws("sqs", "send-message", "--queue-url", q, "--message-body", json.dumps(ev))
        r = nf("once", extra=extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse([x for x in records(r.stdout + r.stderr)
                          if x.get("msg", "").startswith("instance interrupted")])
        self.assertFalse({i["InstanceId"] for i in LAB.instances()} - after)
        self.assertNotIn("Messages", LAB.aws.aws("sqs", "receive-message", "--queue-url", q) or {})


    def test_run_reacts_within_seconds_not_at_the_next_interval(self):
        """Issue 15: `run` long-polls the queue between cycles: with a 60 s interval, a
        warning sent after a cycle is acted on, and its replacement launched, in seconds."""
        two_ready_workers()
        q = LAB.aws.aws("sqs", "create-queue", "--queue-name", "nf-interruptions-run")["QueueUrl"]
        h = LAB.run("interval=60s", "lease_ttl=120s", "aws.interruption_queue_url=" + q)
        if not e2elab.poll(lambda: [r for r in h.records()
                                    if r.get("msg") == "Step 7: Lease released"], 30):
            self.fail("no first cycle: " + h.text()[-3000:])
        time.sleep(1)
        before = {i["InstanceId"] for i in LAB.instances()}
        victim = sorted(before)[-1]
        ev = e2elab.spot_warning(victim, "run-" + victim)
        t0 = time.monotonic()
        LAB.aws.aws("sqs", "send-message", "--queue-url", q, "--message-body", json.dumps(ev))
        self.wait(lambda: {i["InstanceId"] for i in LAB.instances()} - before,
                  "the replacement", 20)
        took = time.monotonic() - t0
        self.assertLess(took, 10)  # not the 60 s interval
        self.assertTrue([r for r in h.records()
                         if r.get("msg", "").startswith("instance interrupted")
                         and r.get("instance") == victim])
        print("\nwarning sent -> replacement launched in run: %.1f s" % took, file=sys.stderr)
        self.assertEqual(h.stop(), 0)


class Endurance(unittest.TestCase):
    def test_cycles_back_to_back_leak_no_descriptor_thread_or_connection(self):
        """`run` back to back (the watched cache, the concurrent observation's threads, every
        adapter's connections): file descriptors, sockets and threads counted from /proc as
        the cycles run stay where they were after the first tenth. 300 cycles in `make test`;
        `make endurance` runs 1,000 (NF_ENDURANCE_CYCLES)."""
        n = int(os.environ.get("NF_ENDURANCE_CYCLES", "300"))
        LAB.clean_slate()
        h = LAB.run(env=LAB.env(NODEFLEET_TEST_INTERVAL_S="0.02"))
        samples = []  # (cycles done, fds, sockets, threads)
        done, end = 0, time.monotonic() + 600
        while done < n and h.p.poll() is None and time.monotonic() < end:
            fd_dir = "/proc/%d/fd" % h.p.pid
            try:
                links = [os.readlink(os.path.join(fd_dir, f)) for f in os.listdir(fd_dir)]
                with open("/proc/%d/status" % h.p.pid) as f:
                    threads = next(int(x.split()[1]) for x in f if x.startswith("Threads:"))
            except (FileNotFoundError, ProcessLookupError):
                continue  # a descriptor closed between the listing and the readlink
            with open(h.log_path) as f:
                done = f.read().count('"Step 7: Lease released"')
            samples.append((done, len(links), sum(x.startswith("socket:") for x in links),
                            threads))
            time.sleep(0.2)
        self.assertIsNone(h.p.poll(), h.text()[-3000:])
        self.assertGreaterEqual(done, n, "cycles in 10 minutes")
        self.assertEqual(h.stop(), 0)
        warm = [s for s in samples if n // 10 <= s[0] < n * 4 // 10]
        late = [s for s in samples if s[0] >= n * 7 // 10]
        self.assertTrue(warm and late, samples)
        # a leak raises the level every sample sits on; a sample taken while a cycle's
        # observers run (threads, their connections) is a spike that says nothing of it -
        # CI once caught 13 threads late against 12 early, both spikes over a level of 7
        for i, what in ((1, "file descriptors"), (2, "sockets"), (3, "threads")):
            self.assertLessEqual(statistics.median(s[i] for s in late),
                                 statistics.median(s[i] for s in warm) + 1,
                                 "%s grew: %s" % (what, [s[i] for s in samples][::10]))
        self.assertLess(max(s[3] for s in samples), 16)  # 5 watches, 2 observers, the server


class ValgrindClean(unittest.TestCase):
    """The whole controller - EC2, Kubernetes, DynamoDB, Prometheus, Slack, SNS, CloudWatch -
    through a launch, a reconcile and the read-only commands, under valgrind: no error, no
    leak, a clean teardown."""

    def test_once_status_explain_lambda(self):
        e2elab.need("valgrind")
        LAB.clean_slate()
        supp = os.path.join(HERE, "..", "valgrind.supp")
        vg = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
              "--show-leak-kinds=all", "--errors-for-leak-kinds=all", "--suppressions=" + supp]
        topic = LAB.aws.aws("sns", "create-topic", "--name", "nodefleet-vg")["TopicArn"]
        api = RuntimeAPI()
        try:
            api.event("vg-1")
            api.event("vg-2")
            env = LAB.env(AWS_LAMBDA_RUNTIME_API=api.addr)
            q = LAB.aws.aws("sqs", "create-queue", "--queue-name", "nf-vg")["QueueUrl"]
            LAB.aws.aws("sqs", "send-message", "--queue-url", q, "--message-body", '{"bad": 1')
            extra = ["aws.sns_topic_arn=" + topic,
                     "notify.slack_webhook_url=http://127.0.0.1:9/unreachable",
                     "aws.interruption_queue_url=" + q]
            for cmd, args, want in (("once", [], 0), ("once", [], 0), ("status", ["--json"], 0),
                                    ("explain", [], 0), ("lambda", ["--events", "2"], 0),
                                    ("run", ["--cycles", "3"], 0),
                                    ("once", ["--set", "store=dynamodb:no-such-table"], 1)):
                r = subprocess.run(vg + [LAB.nodefleet, cmd] + args + settings(2, extra),
                                   env=env, capture_output=True, text=True, timeout=600)
                self.assertEqual(r.returncode, want, "%s: %s" % (cmd, r.stderr[-3000:]))
            self.assertEqual(len(LAB.instances()), 2)
        finally:
            api.close()


if __name__ == "__main__":
    procs.main(globals())
