#!/usr/bin/env python3
"""Kubernetes end to end: our test API server proven faithful with the real kubectl, then
nodefleet's client and drain on the same fixtures.

    test_kube.py BUILD_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubelab as K  # noqa: E402
import procs  # noqa: E402 (tests/lib, on the path through the lab module)

BUILD = procs.build_dir("test_kube.py")
LAB = None


def setUpModule():
    global LAB
    LAB = K.KubeLab(BUILD)


def cluster(extra_pods=(), nodes=None, apps=(("web", "shop", 4),), pdbs=(), **more):
    """server-1 (control plane), w1 and w2 in two zones, a 4-replica Deployment `web` with
    two pods on each worker, plus whatever the test adds."""
    c = {"nodes": nodes or [K.node("server-1", control_plane=True, cpu="4"),
                            K.node("w1", instance="i-0aaa0000000000001"),
                            K.node("w2", zone="us-east-1b", instance="i-0bbb0000000000002",
                                   spot=True)],
         "deployments": [], "replicasets": [], "pods": [], "poddisruptionbudgets": list(pdbs)}
    for name, ns, replicas in apps:
        d, rs, rsname = K.deployment(name, ns, replicas)
        c["deployments"] += d
        c["replicasets"] += rs
        for i in range(replicas if name == "web" else 0):
            c["pods"].append(K.pod("%s-%d" % (name, i), ns, "w1" if i % 2 == 0 else "w2",
                                   ("ReplicaSet", rsname), {"app": name}))
    c["pods"] += list(extra_pods)
    for k, v in more.items():
        c.setdefault(k, []).extend(v)
    return c


def pods_on(node):
    return sorted(p["metadata"]["name"] for p in LAB.state()["pods"]
                  if p["spec"].get("nodeName") == node)


def node_obj(name):
    return next((n for n in LAB.state()["nodes"] if n["metadata"]["name"] == name), None)


def requests_since(mark):
    return LAB.log()[mark:]


class KubectlAgainstOurServer(unittest.TestCase):
    """The real kubectl 1.32 works against the test API server as against a real one."""

    def setUp(self):
        LAB.mode(down=False, token=K.TOKEN, malformed=None, huge=None, grace_s=0.5)
        LAB.load(cluster())

    def test_get_nodes_and_the_pods_of_one_node(self):
        r = LAB.kubectl_run("get", "nodes", "-o", "json")
        names = [n["metadata"]["name"] for n in json.loads(r.stdout)["items"]]
        self.assertEqual(names, ["server-1", "w1", "w2"])
        r = LAB.kubectl_run("get", "pods", "-A", "--field-selector", "spec.nodeName=w1", "-o",
                            "name")
        self.assertEqual(r.stdout.split(), ["pod/web-0", "pod/web-2"])
        # pages: kubectl follows `continue`
        mark = len(LAB.log())
        r = LAB.kubectl_run("get", "pods", "-A", "--chunk-size=3", "-o", "name")
        self.assertEqual(len(r.stdout.split()), 4)
        lists = [x for x in requests_since(mark) if x["path"] == "/api/v1/pods"]
        self.assertEqual(len(lists), 2)
        self.assertIn("continue", lists[1]["query"])

    def test_cordon_and_uncordon_patch_the_node(self):
        mark = len(LAB.log())
        self.assertIn("cordoned", LAB.kubectl_run("cordon", "w1").stdout)
        self.assertTrue(node_obj("w1")["spec"]["unschedulable"])
        self.assertIn("uncordoned", LAB.kubectl_run("uncordon", "w1").stdout)
        self.assertNotIn("unschedulable", node_obj("w1")["spec"])
        patches = [(x["content_type"], json.loads(x["body"])) for x in requests_since(mark)
                   if x["method"] == "PATCH"]
        self.assertEqual(patches, [
            ("application/strategic-merge-patch+json", {"spec": {"unschedulable": True}}),
            ("application/strategic-merge-patch+json", {"spec": {"unschedulable": None}})])

    def test_drain_evicts_through_the_api_and_leaves_daemonset_pods(self):
        LAB.load(cluster(extra_pods=[K.pod("agent-w1", "kube-system", "w1",
                                           ("DaemonSet", "agent"), {"app": "agent"})],
                         daemonsets=[{"metadata": {"name": "agent", "namespace": "kube-system"},
                                      "spec": {}}]))
        mark = len(LAB.log())
        r = LAB.kubectl_run("drain", "w1", "--ignore-daemonsets", "--delete-emptydir-data",
                            "--timeout=60s")
        self.assertIn("node/w1 drained", r.stdout)
        self.assertEqual(pods_on("w1"), ["agent-w1"])
        self.assertEqual(len([p for p in LAB.state()["pods"]
                              if p["metadata"]["labels"].get("app") == "web"]), 4)
        seen = requests_since(mark)
        evictions = [x["path"] for x in seen if x["path"].endswith("/eviction")]
        self.assertEqual(sorted(evictions), ["/api/v1/namespaces/shop/pods/web-0/eviction",
                                             "/api/v1/namespaces/shop/pods/web-2/eviction"])
        self.assertFalse([x for x in seen if x["method"] == "DELETE"])
        self.assertTrue([x for x in seen if x["path"] == "/api/v1"])  # eviction support check

    def test_drain_keeps_retrying_while_a_budget_says_no(self):
        LAB.load(cluster(pdbs=[K.pdb("web", "shop", {"app": "web"}, min_available=4)]))
        mark = len(LAB.log())
        r = LAB.kubectl_run("drain", "w1", "--ignore-daemonsets", "--timeout=12s", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Cannot evict pod as it would violate the pod's disruption budget",
                      r.stderr)
        self.assertIn("will retry after 5s", r.stderr)
        tries = [x for x in requests_since(mark)
                 if x["path"] == "/api/v1/namespaces/shop/pods/web-0/eviction"]
        self.assertGreaterEqual(len(tries), 2)
        self.assertEqual(pods_on("w1"), ["web-0", "web-2"])

    def test_credentials(self):
        self.assertEqual(LAB.kubectl_run("get", "nodes", kubeconfig=LAB.kubeconfig_cert)
                         .returncode, 0)
        bad = LAB.write_kubeconfig("bad.yaml", {"token": "not-the-token"})
        r = LAB.kubectl_run("get", "nodes", kubeconfig=bad, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Unauthorized", r.stderr)


def nodes_json(env=None):
    r = LAB.nf("nodes", "--json", env=env)
    if r.returncode != 0:
        raise AssertionError(r.stderr)
    return json.loads(r.stdout)


def verdict(name, env=None):
    return next(n for n in nodes_json(env)["nodes"] if n["name"] == name)


class NodefleetDrain(unittest.TestCase):
    def setUp(self):
        LAB.mode(down=False, token=K.TOKEN, malformed=None, huge=None, grace_s=0.5)

    def drain(self, node, *extra):
        mark = len(LAB.log())
        r = LAB.nf("drain", node, *extra)
        return r, requests_since(mark)

    def test_an_unreachable_api_server_fails_fast_and_changes_nothing(self):
        # issue 10: it retried for 360 s, then said the node "may be left cordoned"
        LAB.load(cluster())
        LAB.mode(down=True)
        t0 = time.time()
        r = LAB.nf("drain", "w1")
        took = time.time() - t0
        LAB.mode(down=False)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertLess(took, 30)
        self.assertIn("nothing was changed", r.stderr)
        self.assertNotIn("may be left cordoned", r.stderr)
        self.assertFalse(node_obj("w1")["spec"].get("unschedulable", False))
        r = LAB.nf("drain", "no-such-node")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("no node named no-such-node", r.stderr)
        r = LAB.nf("drain", "")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("is not a node name", r.stderr)

    def test_a_node_of_replicated_pods_drains_and_is_deleted(self):
        LAB.load(cluster())
        v = verdict("w1")
        self.assertEqual((v["drainable"], v["pods"], v["market"], v["zone"], v["instance"]),
                         (True, 2, "on-demand", "us-east-1a", "i-0aaa0000000000001"))
        r, seen = self.drain("w1", "--delete-node")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("drained w1", r.stdout)
        self.assertIsNone(node_obj("w1"))
        self.assertEqual(pods_on("w1"), [])
        self.assertEqual(len([p for p in LAB.state()["pods"]
                              if p["metadata"]["labels"].get("app") == "web"]), 4)
        patch = next(x for x in seen if x["method"] == "PATCH")
        self.assertEqual((patch["content_type"], json.loads(patch["body"])),
                         ("application/strategic-merge-patch+json",
                          {"spec": {"unschedulable": True}}))
        ev = [x for x in seen if x["path"].endswith("/eviction")]
        self.assertEqual(len(ev), 2)
        body = json.loads(ev[0]["body"])
        self.assertEqual((body["apiVersion"], body["kind"], body["metadata"]["namespace"]),
                         ("policy/v1", "Eviction", "shop"))
        self.assertFalse([x for x in seen if x["method"] == "DELETE" and "/pods/" in x["path"]])
        self.assertEqual([x["path"] for x in seen if x["method"] == "DELETE"],
                         ["/api/v1/nodes/w1"])

    def check_blocked(self, c, node, rule, words):
        LAB.load(c)
        v = verdict(node)
        self.assertFalse(v["drainable"], v)
        self.assertEqual(v["rule"], rule, v)
        for w in words:
            self.assertIn(w, v["why"])
        # a drain started anyway refuses before evicting anything, and uncordons
        r, seen = self.drain(node)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("aborted, node %s uncordoned" % node, r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)
        self.assertFalse([x for x in seen if x["path"].endswith("/eviction")])
        self.assertNotIn("unschedulable", node_obj(node)["spec"])

    def test_each_unsafe_pod_blocks_with_its_reason(self):
        sts = K.pod("db-0", "shop", "w1", ("StatefulSet", "db"), {"app": "db"})
        self.check_blocked(cluster([sts]), "w1", "statefulset", ["shop/db-0", "StatefulSet db"])
        d, rs, rsname = K.deployment("cache", "shop", 1)
        single = K.pod("cache-0", "shop", "w1", ("ReplicaSet", rsname), {"app": "cache"})
        self.check_blocked(cluster([single], **{"deployments": d, "replicasets": rs}),
                           "w1", "single_replica", ["only replica of Deployment cache"])
        bare = K.pod("debug", "shop", "w1")
        self.check_blocked(cluster([bare]), "w1", "no_controller", ["shop/debug",
                                                                    "no controller"])
        d, rs, rsname = K.deployment("api", "shop", 3)
        pinned = K.pod("api-0", "shop", "w1", ("ReplicaSet", rsname), {"app": "api"},
                       annotations={"cluster-autoscaler.kubernetes.io/safe-to-evict": "false"})
        self.check_blocked(cluster([pinned], **{"deployments": d, "replicasets": rs}), "w1",
                           "safe_to_evict_false", ["shop/api-0", "safe-to-evict=false"])
        dns = K.pod("coredns-1", "kube-system", "w1", ("ReplicaSet", rsname), {"k8s-app": "dns"})
        self.check_blocked(cluster([dns], **{"deployments": d, "replicasets": rs}), "w1",
                           "kube_system", ["kube-system/coredns-1"])
        scratch = K.pod("api-1", "shop", "w1", ("ReplicaSet", rsname), {"app": "api"},
                        volumes=[{"name": "scratch", "emptyDir": {}}])
        self.check_blocked(cluster([scratch], **{"deployments": d, "replicasets": rs}), "w1",
                           "local_storage", ["shop/api-1", "scratch"])
        job = K.pod("report-x7", "shop", "w1", ("Job", "report"))
        self.check_blocked(cluster([job]), "w1", "job", ["Job report"])

    def test_an_annotated_node_is_not_drained(self):
        c = cluster()
        c["nodes"][1] = K.node("w1", instance="i-0aaa0000000000001", annotations={
            "cluster-autoscaler.kubernetes.io/scale-down-disabled": "true"})
        self.check_blocked(c, "w1", "scale_down_disabled", ["scale-down-disabled"])
        self.assertEqual(verdict("server-1")["rule"], "control_plane")

    def test_annotations_override_the_rules(self):
        bare = K.pod("debug", "shop", "w1",
                     annotations={"cluster-autoscaler.kubernetes.io/safe-to-evict": "true"})
        d, rs, rsname = K.deployment("api", "shop", 3)
        scratch = K.pod("api-1", "shop", "w1", ("ReplicaSet", rsname), {"app": "api"},
                        volumes=[{"name": "scratch", "emptyDir": {}},
                                 {"name": "tmp", "emptyDir": {"medium": "Memory"}}],
                        annotations={"cluster-autoscaler.kubernetes.io/"
                                     "safe-to-evict-local-volumes": "scratch, tmp"})
        LAB.load(cluster([bare, scratch], **{"deployments": d, "replicasets": rs}))
        self.assertTrue(verdict("w1")["drainable"], verdict("w1"))

    def test_a_budget_at_zero_times_the_drain_out_and_the_node_comes_back(self):
        LAB.load(cluster(pdbs=[K.pdb("web", "shop", {"app": "web"}, min_available=4)]))
        v = verdict("w1")
        self.assertEqual(v["rule"], "pdb")
        self.assertIn("allows 0 disruptions", v["why"])
        t0 = time.time()
        r, seen = self.drain("w1", "--set", "kube.drain_timeout=12s")
        self.assertEqual(r.returncode, 1)
        self.assertGreaterEqual(time.time() - t0, 12)
        self.assertIn("timed out", r.stderr)
        self.assertIn("disruption budget web needs 4 healthy pods", r.stderr)
        self.assertNotIn("unschedulable", node_obj("w1")["spec"])
        self.assertEqual(pods_on("w1"), ["web-0", "web-2"])
        refusals = [x for x in seen if x["path"] == "/api/v1/namespaces/shop/pods/web-0/eviction"]
        self.assertGreaterEqual(len(refusals), 3)  # retried every 5 s

    def test_a_budget_that_allows_one_lets_the_drain_through_in_turn(self):
        LAB.load(cluster(pdbs=[K.pdb("web", "shop", {"app": "web"}, max_unavailable=1)]))
        # two of web's pods on w1 and one disruption allowed: not drainable in one go...
        self.assertEqual(verdict("w1")["rule"], "pdb")
        # ...but a drain started by hand gets there, one eviction at a time
        r, seen = self.drain("w1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(pods_on("w1"), [])
        self.assertTrue([x for x in seen if x["path"].endswith("/eviction")])

    def test_a_drain_with_a_deadline_evicts_then_deletes_and_never_aborts(self):
        """A node that goes whatever happens (issue 15): a budget at zero, a bare pod, the
        scale-down-disabled annotation and two budgets over one pod would each stop a drain;
        here they do not. Evictions until 30 s before the deadline, then DELETE."""
        nodes = [K.node("server-1", control_plane=True, cpu="4"),
                 K.node("w1", instance="i-0aaa0000000000001",
                        annotations={"cluster-autoscaler.kubernetes.io/scale-down-disabled":
                                     "true"}),
                 K.node("w2", zone="us-east-1b", instance="i-0bbb0000000000002")]
        extra = [K.pod("bare", "shop", "w1"),
                 K.pod("agent-x1", "kube-system", "w1", ("DaemonSet", "agent"))]
        LAB.load(cluster(extra, nodes=nodes,
                         pdbs=[K.pdb("web", "shop", {"app": "web"}, min_available=4),
                               K.pdb("web-too", "shop", {"app": "web"}, min_available=4)]))
        t0 = time.time()
        r, seen = self.drain("w1", "--deadline", "36s")  # evictions for 6 s, then deletes
        took = time.time() - t0
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("drained w1", r.stdout)
        self.assertGreaterEqual(took, 5.5)
        self.assertLess(took, 20)
        self.assertEqual(pods_on("w1"), ["agent-x1"])  # the DaemonSet's pod stays
        self.assertTrue(node_obj("w1")["spec"].get("unschedulable"))
        web0 = "/api/v1/namespaces/shop/pods/web-0"
        tried = [x["method"] + " " + x["path"] for x in seen if x["path"].startswith(web0)]
        self.assertIn("POST " + web0 + "/eviction", tried)  # refused (two budgets)...
        self.assertEqual(tried[-1], "DELETE " + web0)  # ...then deleted, and that was the last
        first_delete = tried.index("DELETE " + web0)
        self.assertTrue(all(t.endswith("/eviction") for t in tried[:first_delete]))
        self.assertIn("POST /api/v1/namespaces/shop/pods/bare/eviction",
                      [x["method"] + " " + x["path"] for x in seen])
        # a usage error names the option
        r = LAB.nf("drain", "w2", "--deadline", "soon")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--deadline soon", r.stderr)

    def test_an_eviction_refused_outright_aborts_at_once(self):
        # two budgets over the same pods: the Eviction API answers 500, nothing to wait for
        LAB.load(cluster(pdbs=[K.pdb("web", "shop", {"app": "web"}, max_unavailable=5),
                               K.pdb("web-too", "shop", {"app": "web"}, max_unavailable=5)]))
        self.assertEqual(verdict("w1")["rule"], "multiple_pdbs")
        t0 = time.time()
        r, seen = self.drain("w1")
        self.assertEqual(r.returncode, 1)
        self.assertLess(time.time() - t0, 10)
        self.assertIn("more than one PodDisruptionBudget", r.stderr)
        self.assertNotIn("unschedulable", node_obj("w1")["spec"])
        self.assertEqual(pods_on("w1"), ["web-0", "web-2"])

    def test_daemonset_and_mirror_pods_stay(self):
        ds = K.pod("agent-w1", "kube-system", "w1", ("DaemonSet", "agent"), {"app": "agent"})
        static = K.pod("kube-proxy-w1", "kube-system", "w1",
                       annotations={"kubernetes.io/config.mirror": "abc123"})
        done = K.pod("migrate-1", "shop", "w1", ("Job", "migrate"), phase="Succeeded")
        LAB.load(cluster([ds, static, done]))
        self.assertTrue(verdict("w1")["drainable"], verdict("w1"))
        r, seen = self.drain("w1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(pods_on("w1"), ["agent-w1", "kube-proxy-w1", "migrate-1"])
        evicted = {x["path"].split("/")[-2] for x in seen if x["path"].endswith("/eviction")}
        self.assertEqual(evicted, {"web-0", "web-2"})

    def test_pods_that_fit_nowhere_keep_their_node(self):
        big = [K.pod("web-%d" % i, "shop", "w1" if i % 2 == 0 else "w2",
                     ("ReplicaSet", "web-5f7c8d"), {"app": "web"}, cpu="1500m")
               for i in range(4)]
        c = cluster()
        c["pods"] = big
        c["nodes"][0] = K.node("server-1", control_plane=True, cpu="500m")
        LAB.load(c)
        v = verdict("w1")
        self.assertEqual(v["rule"], "no_room", v)
        self.assertIn("1500m CPU", v["why"])

    def test_choosing_several_counts_the_ones_already_chosen(self):
        nodes = [K.node("server-1", control_plane=True, cpu="1"),
                 K.node("w1", cpu="2"), K.node("w2", cpu="2"), K.node("w3", cpu="2")]
        d, rs, rsname = K.deployment("web", "shop", 3)
        pods = [K.pod("web-%d" % i, "shop", "w%d" % (i + 1), ("ReplicaSet", rsname),
                      {"app": "web"}, cpu=c) for i, c in enumerate(("1200m", "900m", "300m"))]
        LAB.load({"nodes": nodes, "pods": pods, "deployments": d, "replicasets": rs})
        env = LAB.env()
        r = subprocess.run([os.path.join(BUILD, "tests", "nfkube"), "choose", "3"], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        # w3 (least used) first; then w2's 900m still fits beside w1's pod; then w1's 1200m
        # fits nowhere once w2 and w3 are gone
        self.assertEqual(r.stdout.split(), ["w3", "w2"])

    def test_workers_and_pending_demand(self):
        waiting = K.pod("web-9", "shop", None, ("ReplicaSet", "web-5f7c8d"), {"app": "web"},
                        cpu="1", memory="1Gi", phase="Pending")
        waiting["status"]["conditions"][0] = {"type": "PodScheduled", "status": "False",
                                              "reason": "Unschedulable"}
        c = cluster([waiting])
        c["nodes"].append(K.node("w3", ready=False))
        c["nodes"].append(K.node("w4", unschedulable=True))
        LAB.load(c)
        j = nodes_json()
        self.assertEqual(j["workers"], {"ready": 2, "joining": 1, "draining": 1})
        self.assertEqual(j["pending"], {"pods": 1, "cpu_m": 1000, "memory_bytes": 1 << 30})

    def step(self, node, started):
        r = subprocess.run([os.path.join(BUILD, "tests", "nfkube"), "step", node, str(started)],
                           env=LAB.env(), capture_output=True, text=True, timeout=60)
        return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None), r.stderr

    def test_the_api_server_going_away_mid_drain(self):
        LAB.load(cluster())
        LAB.mode(grace_s=3)  # evicted pods take 3 s to terminate
        started = time.time()
        rc, rep, err = self.step("w1", started)
        self.assertEqual((rc, rep["state"], rep["evicted"]), (0, "in_progress", 2), err)
        LAB.mode(down=True)
        rc, rep, err = self.step("w1", started)
        self.assertEqual(rc, 1)
        self.assertIn("API server", err)
        LAB.mode(down=False)
        self.assertTrue(node_obj("w1")["spec"]["unschedulable"])  # left cordoned
        # the next cycles finish it
        for _ in range(30):
            rc, rep, err = self.step("w1", started)
            self.assertEqual(rc, 0, err)
            if rep["state"] != "in_progress":
                break
            time.sleep(0.5)
        self.assertEqual(rep["state"], "done", rep)
        self.assertEqual(pods_on("w1"), [])

    def test_the_api_server_back_after_the_deadline_aborts_the_drain(self):
        LAB.load(cluster(pdbs=[K.pdb("web", "shop", {"app": "web"}, min_available=4)]))
        started = time.time()
        rc, rep, err = self.step("w1", started)
        self.assertEqual((rc, rep["state"], rep["refused"]), (0, "in_progress", 2), err)
        LAB.mode(down=True)
        self.assertEqual(self.step("w1", started)[0], 1)
        LAB.mode(down=False)
        rc, rep, err = self.step("w1", started - 400)  # as if 400 s had passed
        self.assertEqual((rc, rep["state"]), (0, "aborted"), err)
        self.assertIn("timed out", rep["why"])
        self.assertNotIn("unschedulable", node_obj("w1")["spec"])


class Credentials(unittest.TestCase):
    def setUp(self):
        LAB.mode(down=False, token=K.TOKEN, malformed=None, huge=None)
        LAB.load(cluster())

    def test_client_certificate_and_in_cluster(self):
        self.assertEqual(len(nodes_json(LAB.env(LAB.kubeconfig_cert))["nodes"]), 3)
        sa = tempfile.mkdtemp()
        with open(os.path.join(sa, "token"), "w") as f:
            f.write(K.TOKEN + "\n")
        with open(os.path.join(LAB.dir, "ca.crt")) as src, open(os.path.join(sa, "ca.crt"),
                                                                 "w") as dst:
            dst.write(src.read())
        env = {"PATH": os.environ["PATH"], "HOME": tempfile.mkdtemp(),
               "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(LAB.port),
               "NODEFLEET_KUBE_SERVICEACCOUNT_DIR": sa}
        self.assertEqual(len(nodes_json(env)["nodes"]), 3)

    def test_tls_is_verified(self):
        # a kubeconfig without the cluster's CA: the system CAs do not know it
        cfg = LAB.write_kubeconfig("noca.yaml", {"token": K.TOKEN}, ca=False)
        r = LAB.nf("nodes", env=LAB.env(cfg))
        self.assertEqual(r.returncode, 1)
        self.assertIn("certificate", r.stderr.lower())

    def test_an_expired_token_is_a_clear_error(self):
        LAB.mode(token="rotated-token")
        r = LAB.nf("nodes", env=LAB.env(LAB.kubeconfig_token))  # the rotated token's holder
        self.assertEqual(r.returncode, 1)
        self.assertIn("401 Unauthorized", r.stderr)
        self.assertIn("invalid or expired", r.stderr)
        self.assertNotIn(K.TOKEN, r.stdout + r.stderr)

    def test_bad_kubeconfigs(self):
        d = tempfile.mkdtemp()
        cases = {
            "syntax.yaml": ("clusters: [\n  - name: x\n", "syntax.yaml:2: YAML syntax error"),
            "nocontext.yaml": ("apiVersion: v1\nclusters: []\n",
                               "nocontext.yaml: no current-context"),
            "exec.yaml": ("current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, "
                          "user: u}\nclusters:\n- name: k\n  cluster: {server: "
                          "'https://127.0.0.1:1'}\nusers:\n- name: u\n  user:\n    exec: "
                          "{command: aws}\n",
                          "exec.yaml:11: user \"u\": exec is not supported"),
            "badca.yaml": ("current-context: c\ncontexts:\n- name: c\n  context: {cluster: k}\n"
                           "clusters:\n- name: k\n  cluster:\n    server: https://127.0.0.1:1\n"
                           "    certificate-authority-data: '%%%'\n",
                           "badca.yaml:9: certificate-authority-data is not base64"),
            "server.yaml": ("current-context: c\ncontexts:\n- name: c\n  context: {cluster: k}\n"
                            "clusters:\n- name: k\n  cluster: {server: 127.0.0.1}\n",
                            "server must be an http(s):// URL"),
        }
        for name, (text, want) in cases.items():
            path = os.path.join(d, name)
            with open(path, "w") as f:
                f.write(text)
            r = LAB.nf("nodes", env=LAB.env(path))
            self.assertEqual(r.returncode, 2, name + ": " + r.stderr)
            self.assertIn(want, r.stderr, name)
        r = LAB.nf("nodes", "--set", "kube.context=nope")
        self.assertEqual(r.returncode, 2)
        self.assertIn('no context named "nope"', r.stderr)

    def test_bad_answers_are_errors_not_crashes(self):
        # a broken answer is the server's failure: exit 1, never a crash
        LAB.mode(malformed="/nodes")
        r = LAB.nf("nodes")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not JSON", r.stderr)
        LAB.mode(malformed=None, huge="/api/v1/pods")
        r = LAB.nf("nodes")
        self.assertEqual(r.returncode, 1)
        self.assertIn("larger than", r.stderr)
        LAB.mode(huge=None)
        bad = cluster([K.pod("odd", "shop", "w1", ("ReplicaSet", "web-5f7c8d"), cpu="12x")])
        LAB.load(bad)
        r = LAB.nf("nodes")
        self.assertEqual(r.returncode, 1)
        self.assertIn('pod shop/odd: spec.containers[0].resources.requests.cpu: "12x"', r.stderr)


class Rbac(unittest.TestCase):
    def test_the_documented_cluster_role_is_enough(self):
        role = LAB.role  # deploy/kubernetes/rbac, rendered by kustomize
        LAB.mode(down=False, token=K.TOKEN, malformed=None, huge=None, grace_s=0.3,
                 rbac={"token": "rbac-token", "rules": role["rules"]})
        LAB.load(cluster(pdbs=[K.pdb("web", "shop", {"app": "web"}, max_unavailable=2)]))
        env = LAB.env(LAB.write_kubeconfig("rbac.yaml", {"token": "rbac-token"}))
        mark = len(LAB.log())
        self.assertTrue(verdict("w1", env)["drainable"])
        r = LAB.nf("drain", "w1", "--delete-node", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIsNone(node_obj("w1"))
        # and one verb less is refused, with a pointer to the RBAC
        rules = [dict(x) for x in role["rules"]]
        rules[0] = dict(rules[0], verbs=["get", "list", "delete"])
        LAB.mode(rbac={"token": "rbac-token", "rules": rules})
        LAB.load(cluster())
        r = LAB.nf("drain", "w1", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("403 Forbidden", r.stderr)
        self.assertIn("cannot patch resource", r.stderr)
        self.assertIn("RBAC", r.stderr)
        self.assertGreater(len(LAB.log()), mark)
        # a node that goes whatever happens, without `delete` on pods: its drain ends with
        # the 403 once deleting is due, instead of retrying a refusal no retry changes
        rules = [dict(x, verbs=[v for v in x["verbs"] if v != "delete"])
                 if x["resources"] == ["pods"] else x for x in role["rules"]]
        LAB.mode(rbac={"token": "rbac-token", "rules": rules})
        LAB.load(cluster(pdbs=[K.pdb("web", "shop", {"app": "web"}, min_available=4)]))
        t0 = time.time()  # evictions refused (the budget) for 1 s, then deletes refused (403)
        r = LAB.nf("drain", "w1", "--deadline", "31s", env=env, timeout=90)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("cannot delete resource", r.stderr)
        self.assertLess(time.time() - t0, 30)
        LAB.mode(rbac=None)


class ValgrindClean(unittest.TestCase):
    def test_nodes_and_drain(self):
        K.need("valgrind")
        LAB.mode(down=False, token=K.TOKEN, malformed=None, huge=None, grace_s=0.3)
        LAB.load(cluster())
        supp = os.path.join(K.HERE, "..", "valgrind.supp")
        vg = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
              "--show-leak-kinds=all", "--errors-for-leak-kinds=all", "--suppressions=" + supp]
        for args, want in ((["nodes", "--json"], 0), (["drain", "w1"], 0),
                           (["nodes", "--set", "kube.context=nope"], 2)):
            r = subprocess.run(vg + [LAB.nodefleet] + args, env=LAB.env(), capture_output=True,
                               text=True, timeout=600)
            self.assertEqual(r.returncode, want, r.stderr[-3000:])


if __name__ == "__main__":
    procs.main(globals())
