"""The watched cluster cache of `run` (kube/kwatch.h) against our test API server: first the
server's watch semantics proven with the real kubectl and a raw request, then the cache -
driven by tests/kube/nfwatch.c - shown to hold exactly what a fresh list holds after every
kind of change, a 410 Gone, a dropped connection and an API server restart, and to refuse a
view while it is out of sync.

    test_watch.py BUILD_DIR
"""
import json
import os
import ssl
import subprocess
import sys
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import procs  # noqa: E402
import kubelab as K  # noqa: E402

BUILD = procs.build_dir(__file__)
LAB = None


def world():
    dep, rs, _ = K.deployment("web", "shop", 3)
    web = {"app": "web", "pod-template-hash": "5f7c8d"}
    return {"nodes": [K.node("cp", control_plane=True),
                      K.node("w1", instance="i-0a1", spot=True),
                      K.node("w2", "us-east-1b", instance="i-0b2")],
            "pods": [K.pod("web-5f7c8d-a", "shop", "w1", ("ReplicaSet", "web-5f7c8d"), web),
                     K.pod("web-5f7c8d-b", "shop", "w2", ("ReplicaSet", "web-5f7c8d"), web),
                     K.pod("web-5f7c8d-c", "shop", "w2", ("ReplicaSet", "web-5f7c8d"), web),
                     K.pod("solo", "default", "w1")],
            "deployments": dep, "replicasets": rs,
            "poddisruptionbudgets": [K.pdb("web", "shop", {"app": "web"}, min_available=2)]}


class Cache:
    """nfwatch as a child: one request a line."""

    def __init__(self, prefix=(), **env):
        self.p = subprocess.Popen(list(prefix) + [os.path.join(LAB.build, "tests", "nfwatch")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=LAB.env(**env))

    def ask(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise AssertionError("nfwatch died: " + self.p.stderr.read()[-2000:])
        return json.loads(line)

    def close(self):
        if self.p.poll() is not None:
            return 0
        t = time.monotonic()
        self.p.stdin.write("quit\n")
        self.p.stdin.flush()
        self.p.wait(timeout=60)
        self.stderr = self.p.stderr.read()
        return time.monotonic() - t

    def same_as_list(self, timeout=10):
        """Poll until the cache's view is the fresh list's, object for object."""
        end = time.monotonic() + timeout
        while True:
            v, li = self.ask("view"), self.ask("list")
            if v["ok"] and li["ok"] and v["objects"] == li["objects"]:
                return v
            if time.monotonic() > end:
                raise AssertionError("the cache differs from a list: %s\nvs\n%s" % (
                    v.get("objects", v), li.get("objects", li)))
            time.sleep(0.2)


def raw_watch(query):
    """GET a one-second watch with the token: its status and its events."""
    ctx = ssl.create_default_context(cafile=os.path.join(LAB.dir, "ca.crt"))
    req = urllib.request.Request(LAB.url + "/api/v1/pods?watch=1&timeoutSeconds=1&" + query,
                                 headers={"Authorization": "Bearer " + K.TOKEN})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        return r.status, [json.loads(line) for line in r.read().splitlines() if line.strip()]


def json_stream(text):
    """Concatenated JSON documents (kubectl -o json --watch) as a list."""
    dec, out, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


class ServerWatches(unittest.TestCase):
    """Our API server's watches, as kubectl and kube-apiserver's contract have them."""

    def setUp(self):
        LAB.load(world())

    def test_kubectl_get_watch_sees_each_change(self):
        p = subprocess.Popen([LAB.kubectl, "--kubeconfig", LAB.kubeconfig_token, "--cache-dir",
                              os.path.join(LAB.dir, "kcache"), "get", "pods", "-A", "--watch",
                              "--output-watch-events", "-o", "json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(1.5)  # its list, then its watch from the list's version
            LAB.control("/__put", {"kind": "pods", "object": K.pod("late", "default", "w2")})
            LAB.kubectl_run("label", "pod", "-n", "default", "solo", "tier=gold")
            LAB.kubectl_run("delete", "pod", "-n", "default", "late", "--wait=false")
            time.sleep(2.5)  # the 0.5 s grace, then the pod goes
        finally:
            p.terminate()
            out, err = p.communicate(timeout=10)
        events = [(e["type"], "pod/" + e["object"]["metadata"]["name"])
                  for e in json_stream(out)]
        self.assertIn(("ADDED", "pod/web-5f7c8d-a"), events, out[-2000:] + err)
        self.assertIn(("ADDED", "pod/late"), events)
        self.assertIn(("MODIFIED", "pod/solo"), events)
        self.assertIn(("MODIFIED", "pod/late"), events)  # its deletionTimestamp
        self.assertIn(("DELETED", "pod/late"), events)
        watches = [e for e in LAB.log() if e["query"].get("watch") == "true"]
        self.assertTrue(watches and watches[0]["query"].get("resourceVersion"), watches)

    def test_a_version_older_than_the_history_is_410_gone(self):
        st = LAB.state()
        LAB.control("/__put", {"kind": "pods", "object": K.pod("x", "default", "w2")})
        status, events = raw_watch("resourceVersion=%d" % st["rv"])
        self.assertEqual((status, [(e["type"], e["object"]["metadata"]["name"]) for e in events]),
                         (200, [("ADDED", "x")]))
        LAB.control("/__expire", {})
        status, events = raw_watch("resourceVersion=%d" % st["rv"])
        self.assertEqual(status, 200)  # as kube-apiserver: the stream opens, then says why
        self.assertEqual([e["type"] for e in events], ["ERROR"])
        self.assertEqual((events[0]["object"]["code"], events[0]["object"]["reason"]),
                         (410, "Expired"))


class WatchedCache(unittest.TestCase):
    def setUp(self):
        LAB.mode(down=False, bookmark_s=0.5)
        LAB.load(world())
        self.c = Cache(NFWATCH_TIMEOUT_S=4)
        self.addCleanup(self.c.close)

    def test_every_kind_of_change_is_followed(self):
        self.c.same_as_list()
        LAB.control("/__put", {"kind": "pods", "object": K.pod("new", "default", "w2")})
        LAB.kubectl_run("cordon", "w1")
        LAB.kubectl_run("delete", "pod", "-n", "default", "solo", "--wait=false")
        LAB.kubectl_run("delete", "pod", "-n", "shop", "web-5f7c8d-b", "--wait=false")
        LAB.kubectl_run("label", "node", "w2", "tier=gold")
        LAB.control("/__put", {"kind": "deployments", "object": {
            "metadata": {"name": "api", "namespace": "shop"}, "spec": {"replicas": 4}}})
        time.sleep(1.5)  # grace periods over: pods gone, a replacement, budgets moved
        v = self.c.same_as_list()
        text = "\n".join(v["objects"])
        self.assertIn("pod default/new", text)
        self.assertNotIn("pod default/solo", text)
        self.assertIn("deploy shop/api n=4", text)
        self.assertRegex(text, r"node w1 .* u1 ")
        s = self.c.ask("stats")
        self.assertEqual(s["lists"], 5, s)  # one list each: the rest came by watch
        self.assertGreater(s["events"], 6)
        self.assertTrue(s["in_sync"])
        self.assertLess(self.c.close(), 3)  # stops within a poll of its threads
        self.c = Cache()

    def test_a_view_given_back_frees_what_it_held(self):
        """A standby that never observes again must not keep every replaced object: once the
        cycle gives its view back, replaced objects are freed at once."""
        self.c.same_as_list()  # a view is out
        base = self.c.ask("stats")["events"]
        for i in range(3):
            LAB.control("/__put", {"kind": "pods", "object": K.pod("solo", "default", "w1",
                                                                   labels={"n": str(i)})})
        procs.wait_for(lambda: self.c.ask("stats")["events"] >= base + 3, "the changes", 10)
        self.assertGreaterEqual(self.c.ask("stats")["retired"], 3)
        self.c.ask("unview")
        self.assertEqual(self.c.ask("stats")["retired"], 0)
        base = self.c.ask("stats")["events"]
        for i in range(3):
            LAB.control("/__put", {"kind": "pods", "object": K.pod("solo", "default", "w2",
                                                                   labels={"m": str(i)})})
        procs.wait_for(lambda: self.c.ask("stats")["events"] >= base + 3, "the changes", 10)
        self.assertEqual(self.c.ask("stats")["retired"], 0)
        self.c.same_as_list()

    def test_410_gone_lists_again(self):
        self.c.same_as_list()
        # the watches cut and kept out while a change comes and the history goes: the
        # versions they resume from are too old
        LAB.mode(down=True)
        LAB.control("/__drop_watches", {})
        LAB.control("/__put", {"kind": "pods", "object": K.pod("after", "default", "w1")})
        LAB.control("/__put", {"kind": "nodes", "object": K.node("w3", instance="i-0c3")})
        LAB.control("/__expire", {})
        LAB.mode(down=False)
        v = self.c.same_as_list()
        self.assertIn("pod default/after", "\n".join(v["objects"]))
        s = self.c.ask("stats")
        self.assertGreaterEqual(s["gone"], 1, s)
        self.assertGreater(s["lists"], 5, s)

    def test_a_dropped_connection_resumes_where_it_was(self):
        self.c.same_as_list()
        before = self.c.ask("stats")
        LAB.control("/__drop_watches", {})
        LAB.control("/__put", {"kind": "pods", "object": K.pod("during", "default", "w1")})
        v = self.c.same_as_list()
        self.assertIn("pod default/during", "\n".join(v["objects"]))
        s = self.c.ask("stats")
        self.assertEqual(s["lists"], before["lists"], s)  # no list: the history had it all
        self.assertGreater(s["watches"], before["watches"])
        self.assertEqual(s["gone"], 0)

    def test_the_documented_cluster_role_is_enough_and_needed(self):
        role = LAB.role  # deploy/kubernetes/rbac, rendered by kustomize
        self.addCleanup(LAB.mode, rbac=None)
        kc = LAB.write_kubeconfig("rbac-watch.yaml", {"token": "rbac-watch"})
        LAB.mode(rbac={"token": "rbac-watch", "rules": role["rules"]})
        c = Cache(KUBECONFIG=kc)
        try:
            c.same_as_list()
        finally:
            c.close()
        # without `watch` on pods: listed, never followed - out of sync, and said why
        rules = [dict(r, verbs=[v for v in r["verbs"] if v != "watch"])
                 if r["resources"] == ["pods"] else r for r in role["rules"]]
        LAB.mode(rbac={"token": "rbac-watch", "rules": rules})
        c = Cache(KUBECONFIG=kc)
        try:
            time.sleep(7)  # past the grace of a watch that never opens
            v = c.ask("view")
        finally:
            c.close()
        self.assertFalse(v["ok"])
        self.assertIn("pods", v["error"])
        self.assertIn("403", v["error"])

    def test_an_api_server_restart_is_survived_and_out_of_sync_meanwhile(self):
        self.c.same_as_list()
        st = LAB.state()
        LAB.stop_server()
        time.sleep(0.5)
        v = self.c.ask("view")  # within the grace: the cache still answers
        self.assertTrue(v["ok"], v)
        time.sleep(6)  # past NF_KWATCH_GRACE_S
        v = self.c.ask("view")
        self.assertFalse(v["ok"])
        self.assertIn("cluster cache not in sync", v["error"])
        self.assertFalse(self.c.ask("stats")["in_sync"])
        # the server comes back on its port, its objects kept (as etcd keeps them), its watch
        # history not: the cache's versions are too old and it lists again
        LAB.start_server(down=True)  # it serves again once its objects are back
        st["pods"].append(K.pod("reborn", "default", "w2"))
        LAB.load(st)
        LAB.mode(bookmark_s=0.5, down=False)
        v = self.c.same_as_list(timeout=45)  # the back-off may have reached a few seconds
        self.assertIn("pod default/reborn", "\n".join(v["objects"]))
        self.assertTrue(self.c.ask("stats")["in_sync"])


class ValgrindClean(unittest.TestCase):
    """The cache's threads, connections and objects through changes, a 410 and a dropped
    connection, then stopped: no error, no leak."""

    def test_the_cache_under_valgrind(self):
        procs.need("valgrind")
        LAB.mode(down=False, bookmark_s=0.5)
        LAB.load(world())
        supp = os.path.join(HERE, "..", "valgrind.supp")
        c = Cache(["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
                   "--show-leak-kinds=all", "--errors-for-leak-kinds=all",
                   "--suppressions=" + supp], NFWATCH_TIMEOUT_S=3)
        try:
            c.same_as_list(timeout=60)
            LAB.control("/__put", {"kind": "pods", "object": K.pod("v1", "default", "w2")})
            LAB.kubectl_run("delete", "pod", "-n", "shop", "web-5f7c8d-a", "--wait=false")
            c.same_as_list(timeout=60)
            LAB.control("/__expire", {})
            LAB.control("/__drop_watches", {})
            LAB.control("/__put", {"kind": "pods", "object": K.pod("v2", "default", "w2")})
            c.same_as_list(timeout=60)
        finally:
            c.close()
        self.assertEqual(c.p.returncode, 0, c.stderr[-3000:])


def setUpModule():
    global LAB
    LAB = K.KubeLab(BUILD)


if __name__ == "__main__":
    procs.main(globals())
