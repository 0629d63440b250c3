#!/usr/bin/env python3
"""The in-cluster deployment (issue 17): `kubectl kustomize` renders the RBAC, the base and
both overlays; every rendered object, and Flux's, validates against the upstream schemas
(kubernetes-models, tests/deploy/validate.mjs); the objects say what the README promises;
the ConfigMap's configuration passes `nodefleet check-config` with each overlay's store.

    test_kustomize.py NODEFLEET_BINARY
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
K8S = os.path.join(ROOT, "deploy", "kubernetes")
NF = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else None


def need(tool):
    path = shutil.which(tool)
    if path is None:
        raise AssertionError("'%s' is missing (scripts/deps.sh test installs it)" % tool)
    return path


def render(what):
    r = subprocess.run([need("kubectl"), "kustomize", os.path.join(K8S, what)],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("kubectl kustomize %s: %s" % (what, r.stderr))
    return r.stdout, [d for d in yaml.safe_load_all(r.stdout) if d]


def one(objs, kind, name=None):
    found = [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, (kind, name, [o["kind"] for o in objs])
    return found[0]


class Kustomize(unittest.TestCase):
    def validate(self, text, *files):
        r = subprocess.run([need("node"), os.path.join(HERE, "validate.mjs"), "-"] + list(files),
                           input=text, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout.splitlines()

    def test_every_object_validates(self):
        flux = [os.path.join(ROOT, "deploy", "flux", f)
                for f in sorted(os.listdir(os.path.join(ROOT, "deploy", "flux")))]
        for what in ("rbac", "base", "overlays/sqlite", "overlays/dynamodb-ha"):
            text, objs = render(what)
            lines = self.validate(text)
            self.assertEqual(len(lines), len(objs), lines)
        lines = self.validate("", *flux)
        self.assertEqual(sorted(l.split()[1] for l in lines), ["GitRepository", "Kustomization"])
        # and a broken object is refused: the validator is not a stub
        bad = text.replace("replicas: 2", "replicas: two")
        r = subprocess.run([need("node"), os.path.join(HERE, "validate.mjs"), "-"], input=bad,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 1)
        self.assertIn("replicas must be integer", r.stdout)

    def pod(self, objs):
        d = one(objs, "Deployment", "nodefleet")
        return d, d["spec"]["template"]["spec"], d["spec"]["template"]["spec"]["containers"][0]

    def check_common(self, objs):
        d, spec, c = self.pod(objs)
        ns = one(objs, "Namespace")["metadata"]["name"]
        self.assertEqual(ns, "nodefleet")
        sa = one(objs, "ServiceAccount")
        self.assertEqual((spec["serviceAccountName"], sa["metadata"]["namespace"]), ("nodefleet", ns))
        crb = one(objs, "ClusterRoleBinding")
        self.assertEqual(crb["subjects"], [{"kind": "ServiceAccount", "name": "nodefleet",
                                            "namespace": ns}])
        # never on a worker it might drain
        self.assertEqual(spec["nodeSelector"], {"node-role.kubernetes.io/control-plane": "true"})
        # non-root, read-only, no capabilities, small requests
        self.assertTrue(spec["securityContext"]["runAsNonRoot"])
        self.assertEqual(c["securityContext"], {"allowPrivilegeEscalation": False,
                                                "readOnlyRootFilesystem": True,
                                                "capabilities": {"drop": ["ALL"]}})
        self.assertEqual(c["resources"]["requests"], {"cpu": "20m", "memory": "32Mi"})
        self.assertEqual((c["livenessProbe"]["httpGet"]["path"], c["readinessProbe"]["httpGet"]["path"]),
                         ("/healthz", "/readyz"))
        # the Service reaches the pods; the ServiceMonitor the Service
        labels = d["spec"]["template"]["metadata"]["labels"]
        svc = one(objs, "Service")
        self.assertTrue(all(labels.get(k) == v for k, v in svc["spec"]["selector"].items()))
        sm = one(objs, "ServiceMonitor")
        self.assertTrue(all(svc["metadata"]["labels"].get(k) == v
                            for k, v in sm["spec"]["selector"]["matchLabels"].items()))
        self.assertEqual(sm["spec"]["endpoints"][0]["port"], svc["spec"]["ports"][0]["name"])
        # the configuration, as the pod reads it, with the overlay's store
        cm = one(objs, "ConfigMap")
        mounted = [v for v in spec["volumes"] if v["name"] == "config"][0]
        self.assertEqual(mounted["configMap"]["name"], cm["metadata"]["name"])
        env = {e["name"]: e["value"] for e in c["env"]}
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write(cm["data"]["nodefleet.yaml"])
            f.flush()
            e = {"PATH": os.environ["PATH"], "HOME": "/nonexistent"}
            e.update(env)
            r = subprocess.run([NF, "check-config", "--config", f.name], env=e,
                               capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('store: "%s"' % env["NODEFLEET_STORE"], r.stdout)
        self.assertIn('listen: ":9470"', r.stdout)
        return d, spec, c, env

    def test_sqlite_one_replica_with_its_state_on_a_volume(self):
        _, objs = render("overlays/sqlite")
        d, spec, c, env = self.check_common(objs)
        self.assertEqual((d["spec"]["replicas"], d["spec"]["strategy"]), (1, {"type": "Recreate"}))
        self.assertEqual(env["NODEFLEET_STORE"], "sqlite:/var/lib/nodefleet/state.db")
        state = [v for v in spec["volumes"] if v["name"] == "state"][0]
        self.assertEqual(state, {"name": "state",
                                 "persistentVolumeClaim": {"claimName": "nodefleet-state"}})
        pvc = one(objs, "PersistentVolumeClaim", "nodefleet-state")
        self.assertEqual(pvc["metadata"]["namespace"], "nodefleet")  # beside the pod
        self.assertIn({"name": "state", "mountPath": "/var/lib/nodefleet"}, c["volumeMounts"])
        self.assertEqual([o for o in objs if o["kind"] == "PodDisruptionBudget"], [])

    def test_dynamodb_ha_two_replicas_spread_and_budgeted(self):
        _, objs = render("overlays/dynamodb-ha")
        d, spec, c, env = self.check_common(objs)
        self.assertEqual(d["spec"]["replicas"], 2)
        self.assertEqual(env["NODEFLEET_STORE"], "dynamodb")
        spread = spec["topologySpreadConstraints"][0]
        self.assertEqual((spread["topologyKey"], spread["maxSkew"]), ("topology.kubernetes.io/zone", 1))
        pdb = one(objs, "PodDisruptionBudget")
        self.assertEqual(pdb["spec"]["maxUnavailable"], 1)
        labels = d["spec"]["template"]["metadata"]["labels"]
        self.assertTrue(all(labels.get(k) == v
                            for k, v in pdb["spec"]["selector"]["matchLabels"].items()))
        self.assertEqual(pdb["metadata"]["namespace"], "nodefleet")

    def test_flux_applies_an_overlay_of_this_repository(self):
        with open(os.path.join(ROOT, "deploy", "flux", "nodefleet-kustomization.yaml")) as f:
            k = yaml.safe_load(f)
        path = os.path.join(ROOT, k["spec"]["path"])
        self.assertTrue(os.path.isfile(os.path.join(path, "kustomization.yaml")), path)
        with open(os.path.join(ROOT, "deploy", "flux", "nodefleet-source.yaml")) as f:
            src = yaml.safe_load(f)
        self.assertEqual((k["spec"]["sourceRef"]["kind"], k["spec"]["sourceRef"]["name"]),
                         (src["kind"], src["metadata"]["name"]))
        self.assertTrue(k["spec"]["prune"])


if __name__ == "__main__":
    if NF is None:
        sys.exit("usage: test_kustomize.py NODEFLEET_BINARY")
    unittest.main(verbosity=2)
