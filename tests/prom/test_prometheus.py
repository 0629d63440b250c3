#!/usr/bin/env python3
"""Prometheus end to end: nodefleet against a real Prometheus (Debian's), the real node
exporter, our exporter with known values, and a fault-injecting proxy.

    test_prometheus.py NODEFLEET_BINARY
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402

NF = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else None
LAB = None

LATENCY = {"0.1": 50, "0.25": 80, "0.5": 90, "1": 97, "2.5": 100, "+Inf": 100}
# p95: rank 95 of 100 falls in (0.5, 1] holding 7 of them, 5 in: 0.5 + 0.5 * 5/7 s
P95_MS = (0.5 + 0.5 * 5 / 7) * 1000


def setUpModule():
    global LAB
    if NF is None or not os.access(NF, os.X_OK):
        sys.exit("usage: test_prometheus.py NODEFLEET_BINARY")
    LAB = harness.Lab()


def defaults():
    """The default settings, as check-config prints them (name -> raw value)."""
    out = subprocess.run([NF, "check-config"], env={"PATH": os.environ["PATH"]},
                         capture_output=True, text=True, check=True).stdout
    values, section = {}, ""
    for line in out.splitlines():
        m = re.match(r"^(\s*)([a-z_]+): (.*?)  # ", line)
        if m:
            name = (section + "." if m.group(1) else "") + m.group(2)
            v = m.group(3)
            values[name] = json.loads(v) if v.startswith('"') else v
        elif re.match(r"^[a-z_]+:$", line):
            section = line[:-1]
    return values


def nodefleet(*args, env=None, timeout=60, stdin=None):
    e = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
    e.update(env or {})
    return subprocess.run([NF] + list(args), env=e, capture_output=True, text=True,
                          timeout=timeout, input=stdin)


def meminfo_used_pct():
    info = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":")
            info[k] = float(v.split()[0])
    return (1 - info["MemAvailable"] / info["MemTotal"]) * 100


class DefaultQueries(unittest.TestCase):
    """Each default query, end to end, against values we know."""

    @classmethod
    def setUpClass(cls):
        LAB.set(nodes=5, pending=3, running=4, queue_depth=42, latency_rates=LATENCY,
                request_rates={"200": 92, "500": 8}, gauges={"app_orders_pending": 640})
        # a busy core, so CPU utilisation is clearly above idle
        # (niced, so it never starves the scrapes themselves)
        cls.burner = subprocess.Popen([sys.executable, "-c", "while True: pass"],
                                      preexec_fn=lambda: os.nice(19))
        cls.burner_t0 = time.time()
        # stopped even when the rest of this setup fails (a burner left behind made every
        # later CPU reading 100 %: no scale-down anywhere)
        cls.addClassCleanup(cls.burner.kill)
        # the new values have been scraped for 8 s (some tests look at 3 s windows)
        harness.wait_for(lambda: LAB.scalar('count_over_time(app_queue_depth[10s])') >= 8,
                         "8 s of the new values")
        cls.d = defaults()

    @classmethod
    def tearDownClass(cls):
        cls.burner.kill()
        cls.burner.wait()

    def observe(self, *sets, config=None):
        args = ["observe", "--set", "prometheus_url=" + LAB.url, "--set", "prometheus.step=1"]
        if config:
            args += ["--config", config]
        for s in sets:
            args += ["--set", s]
        r = nodefleet(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_counts_and_application_signals(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as cfg:
            cfg.write("triggers:\n  - name: orders\n    query: sum(app_orders_pending)\n"
                      "    above: 500\n")
            cfg.flush()
            obs = self.observe(config=cfg.name)
        newest = obs["samples"][-1]
        self.assertEqual(newest["pending_pods"], 3)
        self.assertEqual(newest["queue_depth"], 42)
        # ratios are exact even while the [5m] windows are young: the default queries as is
        # (each bucket's young counter is extrapolated a hair differently: 1e-5 relative)
        self.assertAlmostEqual(newest["latency_p95_ms"], P95_MS, delta=P95_MS * 1e-4)
        self.assertAlmostEqual(newest["error_rate_pct"], 8.0, delta=1e-3)
        self.assertEqual(obs["workers"]["ready"], 4)  # 5 nodes minus the server
        self.assertEqual(newest["custom"]["orders"], 640)
        self.assertAlmostEqual(obs["samples"][-1]["t"], obs["now"], places=3)
        self.assertGreater(len(obs["samples"]), 100)  # the whole lookback, at 1 s steps

    def test_memory_matches_proc_meminfo(self):
        newest = self.observe()["samples"][-1]
        self.assertAlmostEqual(newest["memory"], meminfo_used_pct(), delta=3)

    def test_cpu_is_utilisation_not_a_per_mode_average(self):
        # The default query with its [5m] window reads a young Prometheus as nearly idle-less
        # (rate() divides by the whole window), so check it with the window Prometheus has.
        ours = self.d["prometheus.query_cpu"].replace("[5m]", "[15s]")
        # the whole window after the burner started (the values above may have been scraped
        # long before it, when another test ran first)
        time.sleep(max(0.0, self.burner_t0 + 17 - time.time()))
        newest = self.observe("prometheus.query_cpu=" + ours)["samples"][-1]
        self.assertGreater(newest["cpu"], 40)  # one of two cores is busy
        self.assertLessEqual(newest["cpu"], 100)
        # the seed's formula averages the non-idle modes: a fraction of the real figure
        seed = LAB.scalar('avg(rate(node_cpu_seconds_total{mode!="idle"}[15s])) * 100')
        self.assertLess(seed, newest["cpu"] / 3)

    def test_observe_feeds_decide(self):
        obs = self.observe("scale_up_for=3s")
        r = nodefleet("decide", "--set", "scale_up_for=3s", stdin=json.dumps(obs))
        self.assertEqual(r.returncode, 0, r.stderr)
        plan = json.loads(r.stdout)
        self.assertEqual(plan["action"], "scale_up")
        held = [t["rule"] for t in plan["trail"] if t["status"] == "held"]
        self.assertIn("pending_pods", held, r.stdout + json.dumps(obs["samples"][-6:]))

    def test_the_signals_are_queried_at_once(self):
        """Six signals behind 0.4 s of latency each: one round of queries, not six (issue
        14); one of them failing leaves it unknown and the others read."""
        LAB.fault(mode="pass", latency_s=0.4)
        try:
            t0 = time.monotonic()
            r = nodefleet("observe", "--set", "prometheus_url=" + LAB.proxy_url, "--set",
                          "prometheus.timeout=5", "--set",
                          "prometheus.query_queue_depth=sum(app_queue_depth")
            took = time.monotonic() - t0
        finally:
            LAB.fault(mode="pass")
        self.assertEqual(r.returncode, 0, r.stderr)
        obs = json.loads(r.stdout)
        self.assertIsNone(obs["samples"][-1]["queue_depth"])
        self.assertEqual(obs["samples"][-1]["pending_pods"], 3)
        self.assertIsNotNone(obs["samples"][-1]["cpu"])
        # the signals' round, then the worker count: two latencies, not seven
        self.assertLess(took, 1.6, r.stderr)

    def test_bad_promql_makes_one_signal_unknown(self):
        r = nodefleet("observe", "--set", "prometheus_url=" + LAB.url, "--set",
                      "prometheus.query_queue_depth=sum(app_queue_depth")
        self.assertEqual(r.returncode, 0, r.stderr)
        obs = json.loads(r.stdout)
        self.assertIsNone(obs["samples"][-1]["queue_depth"])
        self.assertEqual(obs["samples"][-1]["pending_pods"], 3)
        self.assertIn("queue_depth unknown: prometheus error bad_data (HTTP 400)", r.stderr)

    def test_an_empty_result_is_unknown_not_zero(self):
        obs = self.observe("prometheus.query_queue_depth=sum(no_such_metric)")
        self.assertIsNone(obs["samples"][-1]["queue_depth"])

    def test_several_series_are_refused(self):
        r = nodefleet("observe", "--set", "prometheus_url=" + LAB.url, "--set",
                      "prometheus.query_pending_pods=kube_pod_status_phase")
        self.assertIn("pending_pods unknown: prometheus: ", r.stderr)
        self.assertIn("series; the query must give one", r.stderr)
        self.assertIsNone(json.loads(r.stdout)["samples"][-1]["pending_pods"])


class Replay(unittest.TestCase):
    """`nodefleet replay` over the lab Prometheus' own history."""

    def test_replay_scores_policies_and_the_actual_cluster(self):
        LAB.set(nodes=6, pending=2, running=4)
        harness.wait_for(lambda: LAB.scalar("count(kube_node_info)") == 6, "6 nodes scraped")
        time.sleep(12)
        end = int(time.time()) - 1
        with tempfile.TemporaryDirectory() as tmp:
            html = os.path.join(tmp, "r.html")
            # one pod shape of 0.5 vCPU: a pending pod stands for half a vCPU of demand
            r = nodefleet("replay", "--prometheus", LAB.url, "--start", str(end - 10),
                          "--end", str(end), "--step", "1s", "--policy", "seed",
                          "--policy", "static:3", "--json", "--html", html,
                          "--set", "sim.pod_shapes=0.5:256:100")
            self.assertEqual(r.returncode, 0, r.stderr)
            rep = json.loads(r.stdout)
            with open(html) as f:
                page = f.read()
        self.assertEqual(rep["trace"]["rows"], 11)
        self.assertFalse(rep["trace"]["scaled_to_peak_nodes"])
        self.assertIn("127.0.0.1:%d" % LAB.prom_port, rep["trace"]["file"])
        self.assertEqual([p["name"] for p in rep["policies"]], ["seed", "static:3"])
        # the cluster ran 5 workers (6 nodes, 1 server) for the 11 s, priced on-demand
        self.assertAlmostEqual(rep["actual"]["node_hours"], 5 * 11 / 3600, delta=1e-9)
        self.assertAlmostEqual(rep["actual"]["cost_usd"], 5 * 11 / 3600 * 0.0232, delta=1e-9)
        # demand = busy cores + 2 pending pods x 0.5 vCPU: at least 1 vCPU
        self.assertGreaterEqual(rep["trace"]["mean"], 1.0)
        self.assertIn("actual", page)
        # RFC 3339 works too, and the same window gives the same report
        from datetime import datetime, timezone
        iso = lambda t: datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        r2 = nodefleet("replay", "--prometheus", LAB.url, "--start", iso(end - 10),
                       "--end", iso(end), "--step", "1s", "--policy", "seed",
                       "--policy", "static:3", "--json", "--set", "sim.pod_shapes=0.5:256:100")
        self.assertEqual(r2.returncode, 0, r2.stderr)
        self.assertEqual(json.loads(r2.stdout)["policies"], rep["policies"])

    def test_replay_errors(self):
        now = str(int(time.time()))
        r = nodefleet("replay", "--prometheus", LAB.url, "--end", now)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--start and --end are required", r.stderr)
        r = nodefleet("replay", "--prometheus", LAB.url, "--start", now, "--end", "yesterday")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--end yesterday: expected Unix seconds or RFC 3339", r.stderr)
        r = nodefleet("replay", "--prometheus", LAB.url, "--start", now, "--end", str(int(now) - 60))
        self.assertEqual(r.returncode, 2)
        dead = "http://127.0.0.1:%d" % harness.free_port()
        r = nodefleet("replay", "--prometheus", dead, "--start", str(int(now) - 60), "--end", now)
        self.assertEqual(r.returncode, 1)
        self.assertIn("demand (prometheus.query_demand_cores):", r.stderr)
        r = nodefleet("replay", "--prometheus", LAB.url, "--start", "0", "--end", "100")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no values between --start and --end", r.stderr)


metric = harness.metric


class Daemon:
    """`nodefleet run` in the background, its log collected."""

    def __init__(self, *sets, env=None):
        self.log = tempfile.NamedTemporaryFile("w+", prefix="nf-run-", suffix=".log")
        # observe-only: Prometheus counts the workers, nothing is launched or drained
        self.state = tempfile.NamedTemporaryFile(prefix="nf-state-", suffix=".db", delete=False)
        args = [NF, "run", "--set", "server.listen=127.0.0.1:0", "--set", "interval=1s",
                "--set", "cluster=prometheus", "--set", "cloud=none",
                "--set", "store=sqlite:" + self.state.name]
        for s in sets:
            args += ["--set", s]
        e = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
        e.update(env or {})
        self.p = subprocess.Popen(args, env=e, stdout=subprocess.DEVNULL, stderr=self.log)
        self.port = harness.wait_for(self._port, "nodefleet run to listen")
        self.base = "http://127.0.0.1:%d" % self.port

    def _port(self):
        if self.p.poll() is not None:
            raise AssertionError("nodefleet run exited %s: %s" % (self.p.returncode, self.text()))
        for line in self.text().splitlines():
            rec = json.loads(line)
            if rec["msg"] == "nodefleet started":
                return rec["port"]
        return None

    def text(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def records(self):
        return [json.loads(line) for line in self.text().splitlines()]

    def metrics(self):
        return harness.http_get(self.base + "/metrics")[1]

    def value(self, metric_name, **labels):
        v = metric(self.metrics(), metric_name, **labels)
        return 0.0 if v is None else v

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(15)
        if rc != 0:  # say why (a sanitizer's report, say)
            sys.stderr.write("".join(l for l in self.text().splitlines(True)
                                     if not l.startswith("{"))[-4000:])
        return rc


class ShippedQueries(unittest.TestCase):
    """Issue 17: every PromQL expression nodefleet ships - the alert rules
    (deploy/prometheus/nodefleet-rules.yaml, loaded by the lab's Prometheus) and the Grafana
    dashboards (deploy/grafana/dashboards) - against the lab's Prometheus scraping a running
    nodefleet, node-exporter and the test exporter (kube-state-metrics and application
    series): each parses and returns data."""

    @classmethod
    def setUpClass(cls):
        LAB.set(nodes=4, pending=2, running=5, queue_depth=7, latency_rates=LATENCY,
                request_rates={"200": 50, "503": 2})
        cls.d = Daemon("server.listen=127.0.0.1:%d" % LAB.nodefleet_port,
                       "prometheus_url=" + LAB.url, "prometheus.step=1")
        cls.addClassCleanup(cls.d.stop)
        harness.wait_for(lambda: LAB.query('nodefleet_lease_held{job="nodefleet"} == 1'),
                         "nodefleet scraped, holding the lease", timeout=30)
        # rate() needs two samples of every series, the rules a few evaluations
        harness.wait_for(lambda: LAB.query('count_over_time(nodefleet_lease_held[1m]) >= 4'),
                         "four scrapes of nodefleet", timeout=30)

    def test_every_rule_reads_series_nodefleet_exports(self):
        # (`promtool check rules` runs in tests/deploy/test_deploy.sh)
        tested = subprocess.run([harness.need("promtool"), "test", "rules",
                                 "nodefleet-rules.test.yaml"], cwd=HERE,
                                capture_output=True, text=True)
        self.assertEqual(tested.returncode, 0, tested.stdout + tested.stderr)
        self.assertIn("SUCCESS", tested.stdout)
        body = json.loads(harness.http_get(LAB.url + "/api/v1/rules")[1])
        rules = [r for g in body["data"]["groups"] for r in g["rules"]]
        self.assertEqual(len(rules), 11, [r["name"] for r in rules])
        for r in rules:
            self.assertEqual((r["health"], r.get("lastError", "")), ("ok", ""), r)
            LAB.query(r["query"])  # parses and evaluates (status success)
            names = set(re.findall(r"\bnodefleet_[a-z_]+", r["query"]))
            self.assertTrue(names, r["name"])
            for n in names:
                self.assertTrue(LAB.query('count({__name__="%s", job="nodefleet"})' % n),
                                "%s reads %s, which nodefleet does not export" % (r["name"], n))
        self.assertEqual(LAB.query('ALERTS{alertname="NodefleetDown"}'), [])

    def test_every_dashboard_query_returns_data(self):
        ddir = os.path.join(HERE, "..", "..", "deploy", "grafana", "dashboards")
        boards = sorted(os.listdir(ddir))
        self.assertEqual(boards, ["nodefleet-application.json", "nodefleet-autoscaler.json",
                                  "nodefleet-cluster.json", "nodefleet-cost.json"])
        with open(os.path.join(HERE, "..", "..", "README.md")) as f:
            readme = f.read()  # lists every panel's query
        n = 0
        for b in boards:
            with open(os.path.join(ddir, b)) as f:
                board = json.load(f)
            self.assertEqual(board["templating"]["list"][0]["type"], "datasource", b)
            ids = [p["id"] for p in board["panels"]]
            self.assertEqual(len(ids), len(set(ids)), b)
            for p in board["panels"]:
                g = p["gridPos"]
                self.assertLessEqual(g["x"] + g["w"], 24, (b, p["title"]))
                self.assertEqual(p["datasource"]["uid"], "${datasource}", (b, p["title"]))
                self.assertTrue(p["targets"], (b, p["title"]))
                self.assertIn("| %s |" % p["title"], readme, (b, p["title"]))
                for t in p["targets"]:
                    self.assertIn("`%s`" % t["expr"].replace("|", "\\|"), readme, (b, t["expr"]))
                    got = LAB.query(t["expr"])
                    self.assertTrue(got, "%s: %s: %s returns no data" % (b, p["title"], t["expr"]))
                    n += 1
        self.assertGreaterEqual(n, 30)


class RunAndFaults(unittest.TestCase):
    """`nodefleet run`: endpoints, and every Prometheus fault gives unknown, never scale-down."""

    COMMON = ("scale_down_for=3s", "cooldown_scale_down=0", "cooldown_scale_up=0",
              "scale_down_threshold_cpu=95", "scale_up_threshold_cpu=99",
              "scale_down_threshold_memory=98", "scale_up_threshold_memory=99",
              "prometheus.step=1", "prometheus.timeout=1", "prometheus.attempts=1",
              "prometheus.max_response_bytes=1048576",
              "prometheus.query_cpu=(1 - avg(rate(node_cpu_seconds_total{mode=\"idle\"}[15s]))) * 100")

    def setUp(self):
        LAB.set(nodes=5, pending=0, running=4)
        LAB.fault(mode="pass")

    def test_endpoints_and_faults(self):
        d = Daemon("prometheus_url=" + LAB.proxy_url, *self.COMMON)
        try:
            harness.wait_for(lambda: harness.http_get(d.base + "/readyz")[0] == 200, "ready")
            self.assertEqual(harness.http_get(d.base + "/healthz"), (200, "ok\n"))
            with __import__("urllib.request").request.urlopen(d.base + "/metrics") as r:
                self.assertEqual(r.headers["Content-Type"],
                                 "text/plain; version=0.0.4; charset=utf-8")
                page = r.read().decode()
            check = subprocess.run([harness.need("promtool"), "check", "metrics"], input=page,
                                   capture_output=True, text=True)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            self.assertEqual(metric(page, "nodefleet_build_info", version="0.1.0"), 1)
            for name in ("cpu", "memory", "pending_pods", "queue_depth", "latency_p95_ms",
                         "error_rate_pct"):
                self.assertIsNotNone(metric(page, "nodefleet_signal_unknown", name=name), name)
            with self.assertRaises(__import__("urllib.error").error.HTTPError) as e:
                harness.http_get(d.base + "/nope")
            self.assertEqual(e.exception.code, 404)

            # healthy and idle: it would scale down (this is what the faults must prevent)
            harness.wait_for(lambda: d.value("nodefleet_decisions_total", action="scale_down",
                                             reason="idle") >= 1, "a scale-down while healthy")
            self.assertEqual(d.value("nodefleet_signal_unknown", name="pending_pods"), 0)
            self.assertEqual(d.value("nodefleet_nodes", state="ready"), 4)
            # what the alert rules compare with (deploy/prometheus/nodefleet-rules.yaml)
            self.assertEqual(d.value("nodefleet_interval_seconds"), 1)
            self.assertEqual(d.value("nodefleet_lease_held"), 1)
            self.assertEqual(d.value("nodefleet_cycles_failed_total"), 0)
            self.assertGreater(d.value("nodefleet_last_decision_timestamp_seconds"),
                               time.time() - 10)

            faults = [("malformed JSON", {"mode": "malformed"}, "invalid JSON"),
                      ("HTTP 500", {"mode": "status", "status": 500}, "HTTP 500"),
                      ("oversized body", {"mode": "huge", "size": 4 * 1024 * 1024},
                       "larger than the 1048576-byte limit"),
                      ("slow Prometheus", {"mode": "delay", "delay_s": 2, "match": "query_range"},
                       "timed out after")]
            for what, mode, logged in faults:
                LAB.fault(**mode)
                time.sleep(2.5)  # cycles started before the fault have finished
                downs = d.value("nodefleet_decisions_total", action="scale_down", reason="idle")
                errors = d.value("nodefleet_errors_total", component="prometheus")
                cycles = d.value("nodefleet_cycles_total")
                # two whole cycles under the fault
                harness.wait_for(lambda: d.value("nodefleet_cycles_total") >= cycles + 2,
                                 what + ": two cycles", timeout=40)
                self.assertIsNone(d.p.poll(), what + ": nodefleet exited")
                self.assertEqual(d.value("nodefleet_decisions_total", action="scale_down",
                                         reason="idle"), downs, what + ": scaled down")
                self.assertGreater(d.value("nodefleet_errors_total", component="prometheus"),
                                   errors, what + ": no error counted")
                self.assertEqual(d.value("nodefleet_signal_unknown", name="cpu"), 1, what)
                self.assertIn(logged, d.text(), what + ": not logged")
                LAB.fault(mode="pass")
                harness.wait_for(lambda: d.value("nodefleet_signal_unknown", name="cpu") == 0,
                                 what + ": recovery")

            # Prometheus itself gone: the workers cannot be counted nor the signals read;
            # the observation is incomplete, so no scale-down; errors counted; the cycles
            # fail (the count is unknown) and no decision is made
            LAB.stop_prometheus()
            try:
                time.sleep(2.5)
                failed = d.value("nodefleet_cycles_failed_total")
                decided = d.value("nodefleet_last_decision_timestamp_seconds")
                downs = d.value("nodefleet_decisions_total", action="scale_down", reason="idle")
                cluster_errors = d.value("nodefleet_errors_total", component="cluster")
                time.sleep(3)
                self.assertEqual(d.value("nodefleet_decisions_total", action="scale_down",
                                         reason="idle"), downs)
                self.assertGreater(d.value("nodefleet_errors_total", component="cluster"),
                                   cluster_errors)
                self.assertIn("observation incomplete", d.text())
                self.assertIsNone(d.p.poll())
                self.assertGreater(d.value("nodefleet_cycles_failed_total"), failed)
                self.assertEqual(d.value("nodefleet_last_decision_timestamp_seconds"), decided)
            finally:
                LAB.start_prometheus()

            # cycles that stall past two intervals make /readyz fail
            LAB.fault(mode="delay", delay_s=0.9)
            harness.wait_for(lambda: self._readyz(d) == 503, "readyz 503 while cycles stall",
                             timeout=20)
            LAB.fault(mode="pass")
            harness.wait_for(lambda: self._readyz(d) == 200, "readyz 200 again", timeout=30)
        finally:
            LAB.fault(mode="pass")
            t0 = time.time()
            self.assertEqual(d.stop(), 0)
            self.assertLess(time.time() - t0, 10)
        self.assertIn("nodefleet stopping", d.text())

    @staticmethod
    def _readyz(d):
        try:
            return harness.http_get(d.base + "/readyz")[0]
        except __import__("urllib.error").error.HTTPError as e:
            return e.code

    def test_credentials_never_reach_the_logs(self):
        with tempfile.NamedTemporaryFile("w") as tok:
            tok.write("tok-9f8e7d6c5b\n")
            tok.flush()
            url = LAB.proxy_url.replace("http://", "http://admin:pw-in-url-31337@")
            d = Daemon("prometheus_url=" + url, "prometheus.basic_auth_user=admin",
                       *self.COMMON, env={"NODEFLEET_PROMETHEUS_PASSWORD": "s3cr3t-basic-42"})
            try:
                harness.wait_for(lambda: harness.http_get(d.base + "/readyz")[0] == 200,
                                 "ready")
                LAB.fault(mode="status", status=401)
                time.sleep(2.5)
                LAB.fault(mode="down")
                time.sleep(2.5)
            finally:
                LAB.fault(mode="pass")
                d.stop()
            text = d.text() + d.metrics() if d.p.poll() is None else d.text()
            self.assertIn("HTTP 401", text)
            for secret in ("s3cr3t-basic-42", "pw-in-url-31337"):
                self.assertNotIn(secret, text)
            d2 = Daemon("prometheus_url=" + LAB.proxy_url,
                        "prometheus.bearer_token_file=" + tok.name, *self.COMMON)
            try:
                LAB.fault(mode="status", status=403)
                time.sleep(2.5)
            finally:
                LAB.fault(mode="pass")
                d2.stop()
            self.assertIn("HTTP 403", d2.text())
            self.assertNotIn("tok-9f8e7d6c5b", d2.text())

    def test_bad_promql_in_the_daemon(self):
        d = Daemon("prometheus_url=" + LAB.url, *self.COMMON,
                   "prometheus.query_queue_depth=sum(app_queue_depth")
        try:
            harness.wait_for(lambda: d.value("nodefleet_cycles_total") >= 2, "two cycles")
            self.assertGreaterEqual(d.value("nodefleet_errors_total", component="prometheus"), 2)
            self.assertEqual(d.value("nodefleet_signal_unknown", name="queue_depth"), 1)
            self.assertEqual(d.value("nodefleet_signal_unknown", name="pending_pods"), 0)
            self.assertEqual(d.value("nodefleet_signal_unknown", name="cpu"), 0)
            text = d.text()
            self.assertIn("prometheus error bad_data (HTTP 400)", text)
            # logged when it starts, not every cycle it persists
            self.assertEqual(text.count('"signal":"queue_depth","error":"prometheus error '
                                        'bad_data'), 1)
        finally:
            self.assertEqual(d.stop(), 0)

    def test_a_taken_port_is_an_error(self):
        d = Daemon("prometheus_url=" + LAB.url, *self.COMMON)
        try:
            r = nodefleet("run", "--set", "server.listen=127.0.0.1:%d" % d.port,
                          "--set", "prometheus_url=" + LAB.url, "--set", "cluster=prometheus",
                          "--set", "cloud=none", timeout=20)
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot listen", r.stderr)
        finally:
            d.stop()
        r = nodefleet("run", "--set", "server.listen=nowhere")
        self.assertEqual(r.returncode, 2)
        self.assertIn("server.listen: expected HOST:PORT", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
