#!/usr/bin/env python3
"""AWS end to end: nodefleet's AWS code against moto_server and dynalite, cross-checked with
the real AWS CLI.

    test_aws.py BUILD_DIR
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
import procs  # noqa: E402 (tests/lib, on the path through the lab module)

BUILD = procs.build_dir("test_aws.py")
LAB = None


def setUpModule():
    global LAB
    LAB = lab.AwsLab(BUILD)


def uid(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


class LeaseTests:
    """The fenced lease and the state, on one store implementation (a mixin): the subclasses
    say how to reach it (`store_env`)."""

    def env(self, cluster, **extra):
        return self.store_env(cluster=cluster, **extra)

    def lease(self, cluster, owner, ttl=30):
        r = LAB.run("acquire", owner, ttl, env=self.env(cluster))
        return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else None), r.stderr

    def test_lease_semantics(self):
        c = uid("pool")
        rc, a, _ = self.lease(c, "alpha")
        self.assertEqual(rc, 0)
        self.assertEqual(a["owner"], "alpha")
        self.assertEqual(a["token"], 1)
        self.assertAlmostEqual(a["expiry"] - a["acquired_at"], 30, places=2)
        rc, b, err = self.lease(c, "beta")
        self.assertEqual(rc, 3)  # held by a live owner
        self.assertEqual(b["owner"], "alpha")
        self.assertIn("lease held by alpha", err)
        env = self.env(c)
        self.assertEqual(LAB.run("save", "alpha", 1, 5, env=env).returncode, 0)
        r = LAB.run("save", "beta", 1, 6, env=env)
        self.assertEqual(r.returncode, 3)
        self.assertIn("state write refused", r.stderr)
        self.assertEqual(LAB.run("renew", "alpha", 1, 30, env=env).returncode, 0)
        self.assertEqual(LAB.run("renew", "alpha", 7, 30, env=env).returncode, 3)  # wrong token
        self.assertEqual(LAB.run("release", "alpha", 1, env=env).returncode, 0)
        self.assertEqual(LAB.run("release", "alpha", 1, env=env).returncode, 3)  # not ours now
        rc, b, _ = self.lease(c, "beta")
        self.assertEqual((rc, b["token"]), (0, 2))  # tokens only grow
        # the operator's way out: unlock says who held it, and fences them off
        r = subprocess.run([LAB.nodefleet, "unlock"], env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("held by beta", r.stdout)
        self.assertIn("fencing token is now 3", r.stdout)
        self.assertEqual(LAB.run("save", "beta", 2, 9, env=env).returncode, 3)
        rc, a, _ = self.lease(c, "alpha")
        self.assertEqual((rc, a["token"]), (0, 4))
        st = json.loads(LAB.run("load", env=env).stdout)
        self.assertEqual(st["node_count"], 5)

    def test_metrics_history_beside_the_state(self):
        """The seed's metrics history: readings kept in time order, read back after a time,
        unknown values kept unknown, a second reading at the same second replacing the first,
        and two clusters apart in one table."""
        c, other = uid("pool"), uid("pool")
        env, env2 = self.env(c), self.env(other)
        t0 = 1796032800  # Monday 2026-11-30 10:00:00 UTC
        for i, cpu in enumerate(["71.5", "-", "40"]):
            r = LAB.run("history-put", t0 + 120 * i, cpu, "50", "0", 3 + i, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(LAB.run("history-put", t0, "10", "10", "0", 9, env=env2).returncode, 0)
        got = [json.loads(x) for x in LAB.run("history-load", 0, 100, env=env).stdout.split("\n")
               if x.strip()]
        self.assertEqual([g["t"] for g in got], [t0, t0 + 120, t0 + 240])
        self.assertEqual([g["cpu"] for g in got], [71.5, None, 40])
        self.assertEqual((got[0]["hour"], got[0]["weekday"], got[0]["nodes"]), (10, 0, 3))
        got = LAB.run("history-load", t0 + 120, 100, env=env).stdout.split()
        self.assertEqual(len([x for x in got if x.startswith("{")]), 1)
        # the same second again: replaced, not added
        self.assertEqual(LAB.run("history-put", t0, "99", "50", "0", 3, env=env).returncode, 0)
        got = [json.loads(x) for x in LAB.run("history-load", 0, 100, env=env).stdout.split("\n")
               if x.strip()]
        self.assertEqual([g["cpu"] for g in got], [99, None, 40])
        got = [json.loads(x) for x in LAB.run("history-load", 0, 2, env=env).stdout.split("\n")
               if x.strip()]
        self.assertEqual(len(got), 2)  # bounded by the caller's room, oldest first
        self.assertEqual(got[0]["t"], t0)
        other_got = LAB.run("history-load", 0, 100, env=env2).stdout.split("\n")
        self.assertEqual([json.loads(x)["nodes"] for x in other_got if x.strip()], [9])

    def test_expired_lease_can_be_taken(self):
        c = uid("pool")
        self.assertEqual(self.lease(c, "alpha", ttl=1)[0], 0)
        time.sleep(2.2)
        rc, b, _ = self.lease(c, "beta")
        self.assertEqual((rc, b["owner"], b["token"]), (0, "beta", 2))
        self.assertEqual(LAB.run("save", "alpha", 1, env=self.env(c)).returncode, 3)

    def test_eight_contenders_never_overlap(self):
        c = uid("pool")
        rounds = int(os.environ.get("NF_LEASE_ROUNDS", "40"))  # make endurance: 100 each
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "lease.log")
            procs = [subprocess.Popen([LAB.nfaws, "lease-loop", "p%d" % i, str(rounds), "30", log],
                                      env=self.env(c), stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True)
                     for i in range(8)]
            for p in procs:
                _, err = p.communicate(timeout=600)
                self.assertEqual(p.returncode, 0, err)
            rows = []
            with open(log) as f:
                for line in f:
                    owner, token, t0, t1 = line.split()
                    rows.append((int(token), float(t0), float(t1), owner))
        self.assertEqual(len(rows), 8 * rounds)
        rows.sort()
        tokens = [r[0] for r in rows]
        self.assertEqual(len(set(tokens)), len(tokens), "a token was handed out twice")
        for prev, cur in zip(rows, rows[1:]):
            self.assertLess(prev[0], cur[0])
            # the next holder got the lease only after the previous one had let it go
            self.assertGreaterEqual(cur[1], prev[2], "holders %s and %s overlap" % (prev, cur))

    def paused(self, successor):
        c = uid("pool")
        p = subprocess.Popen([LAB.nfaws, "hold-then-write", "sleeper", "2", "0.5"],
                             env=self.env(c), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        first = json.loads(p.stdout.readline())
        p.send_signal(signal.SIGSTOP)  # paused holding the lease, as a GC pause or a VM stall
        time.sleep(3)  # past its expiry
        if successor:
            rc, b, _ = self.lease(c, "successor")
            self.assertEqual((rc, b["token"]), (0, first["token"] + 1))
        p.send_signal(signal.SIGCONT)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 3, err)
        self.assertIn("WRITE refused", out)
        st = json.loads(LAB.run("load", env=self.env(c)).stdout)
        self.assertNotEqual(st["node_count"], 999)

    def test_a_paused_holder_cannot_write_after_a_takeover(self):
        self.paused(successor=True)

    def test_a_paused_holder_cannot_write_after_its_expiry(self):
        self.paused(successor=False)


class DynamoLease(LeaseTests):
    endpoint = None  # set by the subclasses

    @classmethod
    def setUpClass(cls):
        cls.table = uid("nf-state")
        url = getattr(LAB, cls.endpoint)
        r = LAB.run("create-table", env=LAB.env(dynamodb=url, DYNAMODB_TABLE=cls.table,
                                                CLUSTER_ID="setup"))
        assert r.returncode == 0, r.stderr
        LAB.aws("dynamodb", "wait", "table-exists", "--table-name", cls.table, endpoint=url)
        cls.history_table = uid("nf-history")
        r = LAB.run("create-history-table", env=LAB.env(dynamodb=url, DYNAMODB_TABLE=cls.table,
                                                        METRICS_HISTORY_TABLE=cls.history_table,
                                                        CLUSTER_ID="setup"))
        assert r.returncode == 0, r.stderr
        LAB.aws("dynamodb", "wait", "table-exists", "--table-name", cls.history_table,
                endpoint=url)

    def test_history_items_in_the_documented_layout(self):
        c = uid("pool")
        self.assertEqual(LAB.run("history-put", 1796032800, "71.5", "-", "2", 4,
                                 env=self.env(c)).returncode, 0)
        table = LAB.aws("dynamodb", "describe-table", "--table-name", self.history_table,
                        endpoint=self.url())["Table"]
        self.assertEqual(sorted((k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]),
                         [("cluster_id", "HASH"), ("timestamp", "RANGE")])
        item = LAB.aws("dynamodb", "get-item", "--table-name", self.history_table, "--key",
                       json.dumps({"cluster_id": {"S": c},
                                   "timestamp": {"S": "2026-11-30T10:00:00Z"}}),
                       endpoint=self.url())["Item"]
        self.assertEqual(item["hour"], {"N": "10"})
        self.assertEqual(item["day_of_week"], {"N": "0"})
        self.assertEqual(float(item["cpu_utilization"]["N"]), 71.5)
        self.assertNotIn("memory_utilization", item)  # unknown: left out
        self.assertEqual(item["pending_pods"], {"N": "2"})
        self.assertEqual(item["node_count"], {"N": "4"})
        self.assertEqual(item["ttl"], {"N": str(1796032800 + 30 * 86400)})

    def url(self):
        return getattr(LAB, self.endpoint)

    def store_env(self, cluster, **extra):
        return LAB.env(dynamodb=self.url(), DYNAMODB_TABLE=self.table, CLUSTER_ID=cluster,
                       METRICS_HISTORY_TABLE=self.history_table, **extra)

    def test_item_keeps_the_seed_layout(self):
        c = uid("pool")
        rc, l, _ = self.lease(c, "alpha", ttl=360)
        self.assertEqual(LAB.run("save", "alpha", l["token"], 4, env=self.env(c)).returncode, 0)
        item = LAB.aws("dynamodb", "get-item", "--table-name", self.table, "--key",
                       json.dumps({"cluster_id": {"S": c}}), "--consistent-read",
                       endpoint=self.url())["Item"]
        types = {k: next(iter(v)) for k, v in item.items()}
        seed = {"cluster_id": "S", "node_count": "N", "last_scale_time": "N",
                "last_scale_action": "S", "last_scale_reason": "S", "scaling_in_progress": "S",
                "lock_acquired_at": "N", "lock_expiry": "N", "draining_instances": "L",
                "metrics_history": "L", "ttl": "N"}
        ours = {"lease_owner": "S", "fencing_token": "N", "last_scale_up": "N",
                "last_scale_down": "N", "in_flight_launches": "L"}
        for name, t in {**seed, **ours}.items():
            self.assertEqual(types.get(name), t, name)
        self.assertEqual(item["scaling_in_progress"]["S"], "true")
        self.assertEqual(item["node_count"]["N"], "4")
        self.assertEqual(float(item["lock_expiry"]["N"]) - float(item["lock_acquired_at"]["N"]), 360)
        self.assertEqual(item["draining_instances"]["L"][0]["S"], "i-0abc:ip-10-0-1-5:1700000000")
        self.assertGreater(float(item["ttl"]["N"]), time.time() + 6 * 86400)

    def test_the_last_save_releases_the_lease_in_the_same_write(self):
        """Issue 14: the cycle's last save and the release are one conditional UpdateItem -
        the state written and the lease free at once, or neither when the writer does not
        hold the lease."""
        c = uid("pool")
        env = self.env(c)
        rc, a, _ = self.lease(c, "alpha")
        self.assertEqual((rc, a["token"]), (0, 1))
        r = LAB.run("save-release", "beta", 1, 9, env=env)
        self.assertEqual(r.returncode, 3, r.stderr)  # not the holder: nothing written
        self.assertIn("state write and release refused", r.stderr)
        self.assertEqual(self.lease(c, "beta")[0], 3)  # still alpha's
        r = LAB.run("save-release", "alpha", 1, 7, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(LAB.run("load", env=env).stdout)["node_count"], 7)
        item = LAB.aws("dynamodb", "get-item", "--table-name", self.table, "--key",
                       json.dumps({"cluster_id": {"S": c}}), "--consistent-read",
                       endpoint=self.url())["Item"]
        self.assertNotIn("lease_owner", item)
        self.assertNotIn("lock_expiry", item)
        rc, b, _ = self.lease(c, "beta")  # free at once, not at expiry
        self.assertEqual((rc, b["token"]), (0, 2))
        self.assertEqual(LAB.run("save-release", "alpha", 1, 8, env=env).returncode, 3)


class LeaseOnMoto(DynamoLease, unittest.TestCase):
    endpoint = "moto_serial_url"  # moto checks conditions without a lock: see proxy.py


class LeaseOnDynalite(DynamoLease, unittest.TestCase):
    endpoint = "dynalite_url"


class LeaseOnSqlite(LeaseTests, unittest.TestCase):
    """The embedded store: one SQLite file, the same semantics."""

    @classmethod
    def setUpClass(cls):
        cls.path = os.path.join(tempfile.mkdtemp(), "state.db")

    def store_env(self, cluster, **extra):
        return LAB.env(NODEFLEET_STORE="sqlite:" + self.path, CLUSTER_ID=cluster, **extra)


class EC2(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ami = LAB.aws("ec2", "describe-images", "--owners", "amazon")["Images"][0]["ImageId"]
        cls.template = uid("workers")
        LAB.aws("ec2", "create-launch-template", "--launch-template-name", cls.template,
                "--launch-template-data", json.dumps({"ImageId": ami, "InstanceType": "t3.small"}))
        subnets = LAB.aws("ec2", "describe-subnets")["Subnets"]
        cls.zones = {s["AvailabilityZone"]: s["SubnetId"] for s in subnets
                     if s["AvailabilityZone"] in ("us-east-1a", "us-east-1b", "us-east-1c")}
        cls.subnets = ",".join("%s=%s" % kv for kv in sorted(cls.zones.items()))
        server = LAB.aws("ec2", "run-instances", "--image-id", ami, "--count", "1",
                         "--tag-specifications",
                         "ResourceType=instance,Tags=[{Key=Role,Value=k3s-master}]")
        cls.server_ip = server["Instances"][0]["PrivateIpAddress"]

    def setUp(self):
        LAB.fault(mode="pass")

    def env(self, cluster, endpoint=None, **extra):
        return LAB.env(endpoint=endpoint, CLUSTER_ID=cluster, NODEFLEET_SUBNETS=self.subnets,
                       NODEFLEET_LAUNCH_TEMPLATE=self.template, **extra)

    def instances(self, cluster):
        res = LAB.aws("ec2", "describe-instances", "--filters",
                      "Name=tag:nodefleet:cluster,Values=" + cluster,
                      "Name=instance-state-name,Values=pending,running")
        return [i for r in res["Reservations"] for i in r["Instances"]]

    def test_launch_puts_tags_subnets_and_markets_right(self):
        c = uid("pool")
        r = LAB.run("launch", 5, 3, "up-1", env=self.env(c))
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual((out["launched"], out["fell_back"]), (5, 0))
        seen = self.instances(c)  # what EC2 itself says
        self.assertEqual(len(seen), 5)
        spot = 0
        per_zone = {}
        for i in seen:
            tags = {t["Key"]: t["Value"] for t in i.get("Tags", [])}
            self.assertEqual(tags["nodefleet:cluster"], c)
            self.assertEqual(tags["Role"], "k3s-worker")
            self.assertEqual(tags["nodefleet:intent"], "up-1")
            self.assertEqual(tags["Name"], "nodefleet-%s-worker" % c)
            zone = i["Placement"]["AvailabilityZone"]
            self.assertEqual(i["SubnetId"], self.zones[zone])
            per_zone[zone] = per_zone.get(zone, 0) + 1
            if i.get("InstanceLifecycle") == "spot":
                spot += 1
                self.assertEqual(tags["nodefleet:market"], "spot")
        self.assertEqual(spot, 3)
        self.assertLessEqual(max(per_zone.values()) - min(per_zone.values()), 1)  # balanced
        self.assertEqual(len(per_zone), 3)

    def test_a_retried_intent_does_not_launch_twice(self):
        c = uid("pool")
        first = json.loads(LAB.run("launch", 3, 2, "up-7", env=self.env(c)).stdout)
        again = json.loads(LAB.run("launch", 3, 2, "up-7", env=self.env(c)).stdout)
        self.assertEqual((again["already"], again["launched"]), (3, 0))
        self.assertEqual(sorted(i["id"] for i in again["instances"]),
                         sorted(i["id"] for i in first["instances"]))
        self.assertEqual(len(self.instances(c)), 3)

    def test_spot_capacity_error_falls_back_to_on_demand_in_the_same_cycle(self):
        c = uid("pool")
        LAB.fault(mode="reply", match="MarketType=spot", status=500,
                  body="<Response><Errors><Error><Code>InsufficientInstanceCapacity</Code>"
                       "<Message>There is no Spot capacity available</Message></Error></Errors>"
                       "<RequestID>r1</RequestID></Response>")
        r = LAB.run("launch", 4, 2, "up-2", env=self.env(c, endpoint=LAB.proxy_url))
        LAB.fault(mode="pass")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual((out["launched"], out["fell_back"]), (4, 2))
        # every spot pool (the template's type in each zone) answers the same: on-demand
        self.assertIn("capacity error; the pool rests, trying the next", r.stderr)
        seen = self.instances(c)
        self.assertEqual(len(seen), 4)
        self.assertFalse(any(i.get("InstanceLifecycle") == "spot" for i in seen))

    def test_when_every_pool_rests_the_one_resting_least_is_tried(self):
        """Found by the soak: after workers that never joined in both zones, every pool rested
        for aws.capacity_backoff and the pool stayed under min_nodes for minutes. Now the pool
        whose rest ends first gets the launch."""
        c = uid("pool")
        zones = [z.split("=")[0] for z in self.env(c)["NODEFLEET_SUBNETS"].split(",")]
        self.assertEqual(len(zones), 3, zones)
        r = LAB.run("launch", 1, 0, "up-rest", env=dict(self.env(c), NFAWS_REST="600,200,400"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("trying the one whose rest ends first", r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["launched"], 1)
        self.assertEqual(out["instances"][0]["az"], zones[1])  # 200 s left, not 600
        r = LAB.run("launch", 1, 0, "up-rest2", env=dict(self.env(c), NFAWS_REST="100,900,900"))
        self.assertEqual(json.loads(r.stdout)["instances"][0]["az"], zones[0], r.stderr)

    TYPES = "m5.large,c5.xlarge,m5.xlarge"

    def test_a_replacement_of_a_type_not_in_the_pool_gets_the_pools_first(self):
        """Found by the soak: a spot interruption's replacement is asked for the interrupted
        worker's type; one not (or no longer) in the pool's list failed the launch outright,
        so the worker was never replaced."""
        c = uid("pool")
        r = LAB.run("launch", 1, 0, "up-odd", "t3.nano",
                    env=self.env(c, NODEFLEET_INSTANCE_TYPES=self.TYPES))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("a type not in the pool's list", r.stderr)
        self.assertEqual(json.loads(r.stdout)["instances"][0]["type"], "m5.large")
        # an untyped pool (the launch template's type): any type asked is the template's
        r = LAB.run("launch", 1, 0, "up-any", "t3.medium", env=self.env(c))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["launched"], 1)

    def test_the_catalog_reads_shapes_and_prices(self):
        r = LAB.run("catalog", env=self.env(uid("pool"), NODEFLEET_INSTANCE_TYPES=self.TYPES,
                                            NODEFLEET_PRICES="m5.xlarge=0.2"))
        self.assertEqual(r.returncode, 0, r.stderr)
        cat = {t["type"]: t for t in json.loads(r.stdout)}
        self.assertEqual(list(cat), self.TYPES.split(","))  # the order of preference kept
        # the shapes are DescribeInstanceTypes' (the AWS CLI asks the same server)
        real = {t["InstanceType"]: t for t in LAB.aws(
            "ec2", "describe-instance-types", "--instance-types", *self.TYPES.split(","))[
            "InstanceTypes"]}
        for name, t in cat.items():
            self.assertEqual(t["cpu_m"], real[name]["VCpuInfo"]["DefaultVCpus"] * 1000)
            mib = real[name]["MemoryInfo"]["SizeInMiB"]
            self.assertEqual(t["mem"], int(mib * 0.95 - 100) << 20)
        self.assertEqual(cat["m5.large"]["od"], 0.096)   # the built-in us-east-1 table
        self.assertEqual(cat["c5.xlarge"]["od"], 0.17)
        self.assertEqual(cat["m5.xlarge"]["od"], 0.2)    # aws.prices over the table
        # spot: DescribeSpotPriceHistory's, the cheapest zone
        hist = LAB.aws("ec2", "describe-spot-price-history", "--instance-types", "m5.large",
                       "--product-descriptions", "Linux/UNIX")["SpotPriceHistory"]
        zones = set(self.zones)
        self.assertAlmostEqual(cat["m5.large"]["spot"],
                               min(float(h["SpotPrice"]) for h in hist
                                   if h["AvailabilityZone"] in zones), places=6)
        bad = LAB.run("catalog", env=self.env(uid("pool"),
                                              NODEFLEET_INSTANCE_TYPES="m5.large,zz9.huge"))
        self.assertNotEqual(bad.returncode, 0, bad.stderr)  # a setting this region refuses
        self.assertIn("aws.instance_types: ", bad.stderr)
        self.assertIn("zz9.huge", bad.stderr)

    def test_types_and_markets_launched_as_asked_cross_checked(self):
        c = uid("pool")
        r = LAB.run("launch", 4, 2, "up-t", "m5.large,c5.xlarge,c5.xlarge,m5.large",
                    env=self.env(c, NODEFLEET_INSTANCE_TYPES=self.TYPES))
        self.assertEqual(r.returncode, 0, r.stderr)
        seen = self.instances(c)
        got = sorted((i["InstanceType"], i.get("InstanceLifecycle") == "spot") for i in seen)
        # spot: the first two (m5.large, c5.xlarge - or a larger stand-in priced within 20 %);
        # moto prices every type the same, so m5.xlarge may stand in for m5.large
        self.assertEqual(len(got), 4)
        od = sorted(t for t, spot in got if not spot)
        self.assertEqual(od, ["c5.xlarge", "m5.large"])
        spot = [t for t, s in got if s]
        self.assertEqual(len(spot), 2)
        self.assertIn(spot[0] if spot[0] != "c5.xlarge" else spot[1], ("m5.large", "m5.xlarge"))
        # the spot workers spread over pools: never two in one (type, zone)
        pools = [(i["InstanceType"], i["Placement"]["AvailabilityZone"]) for i in seen
                 if i.get("InstanceLifecycle") == "spot"]
        self.assertEqual(len(set(pools)), 2, pools)
        out = {i["id"]: i["type"] for i in json.loads(r.stdout)["instances"]}
        self.assertEqual(out, {i["InstanceId"]: i["InstanceType"] for i in seen})

    def test_spot_capacity_error_for_one_type_in_one_zone_goes_to_the_next_pool(self):
        c = uid("pool")
        first = sorted(self.zones)[0]
        # m5.large spot is cheapest in the first zone, so that pool is tried first; it has no
        # capacity: the next pool - m5.large in another zone - in the same call, still spot
        prices = ",".join("m5.large@%s=%s" % (z, "0.02" if z == first else "0.03")
                          for z in sorted(self.zones))
        LAB.fault(mode="reply", match=["MarketType=spot", "InstanceType=m5.large",
                                       "SubnetId=" + self.zones[first]],
                  status=500, body="<Response><Errors><Error><Code>InsufficientInstanceCapacity"
                  "</Code><Message>no capacity</Message></Error></Errors><RequestID>r9"
                  "</RequestID></Response>")
        r = LAB.run("launch", 1, 1, "up-p", "m5.large",
                    env=self.env(c, endpoint=LAB.proxy_url, NODEFLEET_INSTANCE_TYPES="m5.large",
                                 NODEFLEET_SPOT_PRICES=prices))
        faulted = LAB.proxy_stats()["faulted"]
        LAB.fault(mode="pass")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreaterEqual(faulted, 1)
        self.assertIn("capacity error; the pool rests, trying the next", r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual((out["launched"], out["fell_back"]), (1, 0))
        seen = self.instances(c)
        self.assertEqual(len(seen), 1)
        self.assertEqual(seen[0].get("InstanceLifecycle"), "spot")
        self.assertEqual(seen[0]["InstanceType"], "m5.large")
        self.assertNotEqual(seen[0]["Placement"]["AvailabilityZone"], first)

    def test_quota_errors_are_reported_not_retried(self):
        c = uid("pool")
        LAB.fault(mode="reply", match="RunInstances", status=400,
                  body="<Response><Errors><Error><Code>InstanceLimitExceeded</Code><Message>"
                       "You have requested more instances than your limit</Message></Error>"
                       "</Errors><RequestID>r2</RequestID></Response>")
        before = LAB.proxy_stats()["faulted"]
        r = LAB.run("launch", 1, 0, "up-3", env=self.env(c, endpoint=LAB.proxy_url))
        faulted = LAB.proxy_stats()["faulted"] - before
        LAB.fault(mode="pass")
        self.assertEqual(r.returncode, 1)
        self.assertIn("InstanceLimitExceeded", r.stderr)
        self.assertIn("quota", r.stderr)
        self.assertEqual(faulted, 1)

    def test_throttling_and_5xx_are_retried_within_the_budget(self):
        c = uid("pool")
        throttle = ("<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request "
                    "limit exceeded.</Message></Error></Errors><RequestID>r3</RequestID></Response>")
        LAB.fault(mode="reply", match="DescribeInstances", status=503, body=throttle, count=2)
        r = LAB.run("list", env=self.env(c, endpoint=LAB.proxy_url))
        self.assertEqual(r.returncode, 0, r.stderr)  # third attempt went through
        LAB.fault(mode="status", match="DescribeInstances", status=502, count=10)
        before = LAB.proxy_stats()["faulted"]
        t0 = time.time()
        r = LAB.run("list", env=self.env(c, endpoint=LAB.proxy_url))
        faulted = LAB.proxy_stats()["faulted"] - before
        LAB.fault(mode="pass")
        self.assertEqual(r.returncode, 1)
        self.assertIn("after 3 attempts", r.stderr)
        self.assertEqual(faulted, 3)
        self.assertLess(time.time() - t0, 5)  # full jitter from 100 ms: a second at most

    def test_malformed_answers_are_errors_not_crashes(self):
        c = uid("pool")
        for body in ("<DescribeInstancesResponse><reservationSet><item>",
                     "<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
                     "<instanceState><code>x</code></instanceState></item></instancesSet></item>"
                     "</reservationSet></DescribeInstancesResponse>",
                     "<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>"):
            LAB.fault(mode="reply", match="DescribeInstances", status=200, body=body, count=1)
            r = LAB.run("list", env=self.env(c, endpoint=LAB.proxy_url))
            self.assertEqual(r.returncode, 1, body)
            self.assertIn("nfaws: ", r.stderr)
            self.assertTrue("XML" in r.stderr or "integer" in r.stderr, r.stderr)
        LAB.fault(mode="pass")

    def test_clock_skew_is_corrected_from_the_date_header(self):
        c = uid("pool")
        future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 3600))
        LAB.fault(mode="reply", match="DescribeInstances", status=400, count=1, date=future,
                  body="<Response><Errors><Error><Code>RequestExpired</Code><Message>Request has "
                       "expired.</Message></Error></Errors><RequestID>r4</RequestID></Response>")
        r = LAB.run("list", env=self.env(c, endpoint=LAB.proxy_url))
        LAB.fault(mode="pass")
        self.assertEqual(r.returncode, 0, r.stderr)
        rec = [json.loads(l) for l in r.stderr.splitlines() if l.startswith("{")]
        skew = [x for x in rec if x["msg"] == "clock skew corrected"]
        self.assertEqual(len(skew), 1)
        self.assertAlmostEqual(skew[0]["skew_s"], 3600, delta=5)

    def test_lists_follow_pages_and_terminate(self):
        c = uid("pool")
        env = self.env(c, NODEFLEET_DESCRIBE_PAGE_SIZE=5)
        # moto pages by reservation (one per RunInstances call): seven launches, seven of them
        for n in range(7):
            self.assertEqual(LAB.run("launch", 1, 0, "up-4-%d" % n, env=env).returncode, 0)
        r = LAB.run("list", env=env)
        listed = json.loads(r.stdout)
        self.assertEqual(len(listed), 7)
        self.assertIn("pages: 2", r.stderr)
        ids = [i["id"] for i in listed[:3]]
        self.assertEqual(LAB.run("terminate", *ids, env=env).returncode, 0)
        states = {i["InstanceId"]: i["State"]["Name"] for i in
                  [i for r in LAB.aws("ec2", "describe-instances", "--instance-ids", *ids)
                   ["Reservations"] for i in r["Instances"]]}
        for i in ids:
            self.assertIn(states[i], ("shutting-down", "terminated"))
        self.assertEqual(len(json.loads(LAB.run("list", env=env).stdout)), 4)

    def test_node_fleets_workers_are_found_and_tagged_by_the_pool_tags(self):
        # issue 10 (5b): a cluster whose workers node-fleet launched (Role=k3s-worker,
        # Project=node-fleet) is seen with aws.pool_tags set to those tags, and only then
        project = uid("proj")
        ami = LAB.aws("ec2", "describe-images", "--owners", "amazon")["Images"][0]["ImageId"]
        LAB.aws("ec2", "run-instances", "--image-id", ami, "--count", "2",
                "--tag-specifications",
                "ResourceType=instance,Tags=[{Key=Role,Value=k3s-worker},"
                "{Key=Project,Value=%s}]" % project)
        c = uid("pool")
        tags = "Role=k3s-worker,Project=" + project
        self.assertEqual(json.loads(LAB.run("list", env=self.env(c)).stdout), [])
        env = self.env(c, NODEFLEET_POOL_TAGS=tags)
        adopted = json.loads(LAB.run("list", env=env).stdout)
        self.assertEqual(len(adopted), 2)
        # what it launches carries the same tags, so the next list counts it too
        self.assertEqual(LAB.run("launch", 1, 0, "up-9", env=env).returncode, 0)
        self.assertEqual(len(json.loads(LAB.run("list", env=env).stdout)), 3)
        res = LAB.aws("ec2", "describe-instances", "--filters", "Name=tag:Project,Values=" + project,
                      "Name=tag:nodefleet:intent,Values=up-9")
        launched = [i for r in res["Reservations"] for i in r["Instances"]]
        self.assertEqual(len(launched), 1)
        # and the IAM policy printed for that configuration lets it terminate exactly those
        r = subprocess.run([LAB.nodefleet, "check-config", "--iam-policy"], env=env,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        term = next(x for x in json.loads(r.stdout)["Statement"]
                    if x["Action"] == "ec2:TerminateInstances")
        self.assertEqual(term["Condition"]["StringEquals"],
                         {"aws:ResourceTag/Role": "k3s-worker", "aws:ResourceTag/Project": project})
        ids = [i["id"] for i in adopted]
        self.assertEqual(LAB.run("terminate", *ids, env=env).returncode, 0)

    def test_the_server_is_found_by_tag(self):
        r = LAB.run("find-server", env=self.env(uid("pool")))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), self.server_ip)


class DynamoFaults(unittest.TestCase):
    def test_throttled_and_malformed_dynamodb_answers(self):
        table, c = uid("nf-state"), uid("pool")
        env = LAB.env(endpoint=LAB.proxy_url, DYNAMODB_TABLE=table, CLUSTER_ID=c)
        self.assertEqual(LAB.run("create-table", env=env).returncode, 0)
        LAB.fault(mode="reply", match="UpdateItem", status=400, count=2,
                  content_type="application/x-amz-json-1.0",
                  body='{"__type":"com.amazonaws.dynamodb.v20120810#'
                       'ProvisionedThroughputExceededException","message":"Rate exceeded"}')
        r = LAB.run("acquire", "alpha", 30, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["token"], 1)
        LAB.fault(mode="reply", match="GetItem", status=200, count=1,
                  content_type="application/x-amz-json-1.0", body='{"Item": {"node_count": ')
        r = LAB.run("load", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("response is not JSON", r.stderr)
        LAB.fault(mode="down", match="UpdateItem", count=5)
        r = LAB.run("save", "alpha", 1, 3, env=env)
        self.assertEqual(r.returncode, 1)
        LAB.fault(mode="pass")
        # nothing half-written: the item is as it was
        st = json.loads(LAB.run("load", env=env).stdout)
        self.assertEqual(st["node_count"], 0)
        # an item someone edited by hand into a wrong shape: refused, naming the field
        LAB.aws("dynamodb", "update-item", "--table-name", table, "--key",
                json.dumps({"cluster_id": {"S": c}}), "--update-expression", "SET #d = :d",
                "--expression-attribute-names", '{"#d": "draining_instances"}',
                "--expression-attribute-values", '{":d": {"L": [{"S": "i-0abc"}]}}')
        r = LAB.run("load", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("draining_instances[0]: expected \"instance:node:started_at\"", r.stderr)
        self.assertIn("cluster_id " + c, r.stderr)


class Support(unittest.TestCase):
    def test_secrets_sns_cloudwatch_sqs_ssm(self):
        env = LAB.env(CLUSTER_ID="support")
        LAB.aws("secretsmanager", "create-secret", "--name", "node-fleet/prometheus-auth",
                "--secret-string", '{"username":"prometheus","password":"p@ss-w0rd"}')
        r = LAB.run("secret", "node-fleet/prometheus-auth", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(int(r.stdout), len('{"username":"prometheus","password":"p@ss-w0rd"}'))
        self.assertNotIn("p@ss-w0rd", r.stdout + r.stderr)
        r = LAB.run("secret", "no/such/secret", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("ResourceNotFoundException", r.stderr)

        topic = LAB.aws("sns", "create-topic", "--name", uid("nodefleet-events"))["TopicArn"]
        q = LAB.aws("sqs", "create-queue", "--queue-name", uid("events-copy"))["QueueUrl"]
        qarn = LAB.aws("sqs", "get-queue-attributes", "--queue-url", q, "--attribute-names",
                       "QueueArn")["Attributes"]["QueueArn"]
        LAB.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs",
                "--notification-endpoint", qarn)
        r = LAB.run("publish", topic, "scale_up", "pool lab: 3 -> 5 workers (cpu > 70 for 180s)",
                    env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        msgs = LAB.run("sqs-drain", q, env=env).stdout.strip().splitlines()
        self.assertEqual(len(msgs), 1)
        self.assertEqual(json.loads(msgs[0])["Message"], "pool lab: 3 -> 5 workers (cpu > 70 for 180s)")
        self.assertEqual(LAB.run("sqs-drain", q, env=env).stdout.strip(), "")  # deleted

        # issue 15: EC2's events as EventBridge puts them on a queue, and as SNS wraps them
        # (moto's SNS delivering to moto's SQS); a body that does not read stays on the queue
        vectors = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors", "aws",
                               "examples")
        q2 = LAB.aws("sqs", "create-queue", "--queue-name", uid("interruptions"), "--attributes",
                     "VisibilityTimeout=0")["QueueUrl"]
        for name in ("eventbridge-spot-interruption-warning.nth-example.json",
                     "eventbridge-rebalance-recommendation.derived.json",
                     "eventbridge-state-change-stopped.derived.json",
                     "health-scheduled-retirement.derived.json"):
            with open(os.path.join(vectors, name)) as f:
                LAB.aws("sqs", "send-message", "--queue-url", q2, "--message-body", f.read())
        LAB.aws("sqs", "send-message", "--queue-url", q2, "--message-body", '{"detail": 7')
        qarn2 = LAB.aws("sqs", "get-queue-attributes", "--queue-url", q2, "--attribute-names",
                        "QueueArn")["Attributes"]["QueueArn"]
        LAB.aws("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs",
                "--notification-endpoint", qarn2)
        with open(os.path.join(vectors, "eventbridge-spot-interruption-warning.aws-docs.json")) as f:
            docs = json.loads(f.read())
        docs["time"] = "2026-11-30T12:00:00Z"
        docs["detail"]["instance-action"] = "stop"
        LAB.aws("sns", "publish", "--topic-arn", topic, "--message", json.dumps(docs))
        lines = []
        for _ in range(5):  # a queue hands out some of its messages per receive
            lines += [json.loads(x) for x in
                      LAB.run("sqs-events", q2, env=env).stdout.splitlines()]
        events = [x for x in lines if "kind" in x]
        kinds = sorted((e["kind"], e["instance"], e["detail"]) for e in events)
        self.assertEqual(kinds, sorted([
            ("spot_interruption", "i-0b662ef9931388ba0", "terminate"),
            ("rebalance", "i-0b662ef9931388ba0", ""),
            ("state_change", "i-1234567890abcdef0", "stopped"),
            ("scheduled", "i-0b662ef9931388ba0", "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED"),
            ("scheduled", "i-1234567890abcdef0", "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED"),
            ("spot_interruption", "i-1234567890abcdef0", "stop")]), lines)
        through_sns = next(e for e in events if e["detail"] == "stop")
        self.assertEqual(through_sns["deadline"] - through_sns["time"], 120)
        bad = [x for x in lines if "error" in x]
        self.assertTrue(bad and all("not JSON" in x["error"] for x in bad), lines)
        left = LAB.aws("sqs", "receive-message", "--queue-url", q2)["Messages"]
        self.assertEqual([m["Body"] for m in left], ['{"detail": 7'])  # only it is left

        r = LAB.run("put-metrics", "NodeFleetTest", 1500, env=env)  # two batches
        self.assertEqual(r.returncode, 0, r.stderr)
        m = LAB.aws("cloudwatch", "list-metrics", "--namespace", "NodeFleetTest")["Metrics"]
        self.assertEqual({x["MetricName"] for x in m}, {"NodeCount"})
        self.assertEqual(m[0]["Dimensions"], [{"Name": "ClusterId", "Value": "support"}])

        ami = LAB.aws("ec2", "describe-images", "--owners", "amazon")["Images"][0]["ImageId"]
        iid = LAB.aws("ec2", "run-instances", "--image-id", ami, "--count", "1")["Instances"][0]["InstanceId"]
        r = LAB.run("ssm-run", iid, "kubectl drain ip-10-0-1-5 --ignore-daemonsets", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        cmds = LAB.aws("ssm", "list-commands", "--command-id", out["command_id"])["Commands"]
        self.assertEqual(cmds[0]["Parameters"]["commands"],
                         ["kubectl drain ip-10-0-1-5 --ignore-daemonsets"])


class ValgrindClean(unittest.TestCase):
    """The AWS paths - the HTTP client, libssl, the XML and JSON readers, the lease - under
    valgrind: no invalid access and no leak of any kind, on success and on error."""

    def vg(self, argv, env, want):
        supp = os.path.join(lab.HERE, "..", "valgrind.supp")
        r = subprocess.run(["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
                            "--show-leak-kinds=all", "--errors-for-leak-kinds=all",
                            "--suppressions=" + supp] + argv,
                           env=env, capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, want, "%s\n%s" % (" ".join(argv), r.stderr[-3000:]))

    def test_driver_and_unlock(self):
        lab.need("valgrind")
        table, c = uid("nf-vg"), uid("pool")
        env = LAB.env(DYNAMODB_TABLE=table, CLUSTER_ID=c)
        self.vg([LAB.nfaws, "create-table"], env, 0)
        self.vg([LAB.nfaws, "acquire", "alpha", "30"], env, 0)
        self.vg([LAB.nfaws, "save", "alpha", "1", "3"], env, 0)
        self.vg([LAB.nfaws, "load"], env, 0)
        self.vg([LAB.nfaws, "save", "beta", "1", "3"], env, 3)  # refused: not the holder
        self.vg([LAB.nodefleet, "unlock"], env, 0)
        self.vg([LAB.nfaws, "list"], env, 0)
        LAB.fault(mode="reply", match="DescribeInstances", status=200, count=1,
                  body="<DescribeInstancesResponse><reservationSet><item>")
        self.vg([LAB.nfaws, "list"], LAB.env(endpoint=LAB.proxy_url, CLUSTER_ID=c), 1)
        LAB.fault(mode="pass")
        self.vg([LAB.nfaws, "load"], LAB.env(DYNAMODB_TABLE=table, CLUSTER_ID=c,
                                             AWS_ENDPOINT_URL="http://127.0.0.1:9"), 1)


class Credentials(unittest.TestCase):
    """The chain: environment, shared files, IMDSv2 (with v1 fallback), and failures."""

    def imds(self, mode):
        d = tempfile.mkdtemp()
        p = lab.start([sys.executable, os.path.join(lab.HERE, "imds.py"), os.path.join(d, "port"),
                       mode], env={**os.environ, "NF_IMDS_KEY": "ASIAIMDSKEY0001"})
        port = lab.port_from(os.path.join(d, "port"), p, "imds")
        return p, "http://127.0.0.1:%d" % port

    def env_without_keys(self, **extra):
        e = LAB.env(DYNAMODB_TABLE="nf-creds", CLUSTER_ID="creds", **extra)
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED"):
            e.pop(k)
        return e

    def test_instance_profile_over_imdsv2(self):
        for mode in ("normal", "v1only"):
            p, url = self.imds(mode)
            r = LAB.run("create-table", env=self.env_without_keys(
                AWS_EC2_METADATA_SERVICE_ENDPOINT=url))
            self.assertEqual(r.returncode, 0, r.stderr)
            log = json.loads(lab.http_get(url + "/__log")[1])
            self.assertEqual(log[0]["method"], "PUT")
            self.assertEqual(log[0]["ttl"], "21600")
            # one token for the whole run: role name and credentials both use it
            self.assertEqual([x["method"] for x in log].count("PUT"), 1, log)
            self.assertEqual(log[-1]["path"], "/latest/meta-data/iam/security-credentials/nf-role")
            if mode == "normal":
                self.assertTrue(all(x["token"] == "tok-imds-0123" for x in log[1:]), log)
                self.assertTrue(all(x["token"] == "tok-imds-0123" for x in log[1:]))
            self.assertNotIn("imds-secret-do-not-log", r.stdout + r.stderr)
            lab.stop(p)

    def test_instance_credentials_are_refreshed_before_they_expire(self):
        p, url = self.imds("normal")
        now = time.time()
        # the role's credentials last an hour: asked again a minute later they are reused;
        # with 4 minutes left (under the 5-minute margin) they are fetched anew
        r = LAB.run("creds-at", now, now + 60, now + 3600 - 240,
                    env=self.env_without_keys(AWS_EC2_METADATA_SERVICE_ENDPOINT=url))
        self.assertEqual(r.returncode, 0, r.stderr)
        got = [json.loads(x) for x in r.stdout.splitlines()]
        self.assertEqual([g["source"] for g in got], ["instance profile"] * 3)
        self.assertAlmostEqual(got[0]["expiration"], now + 3600, delta=5)
        fetches = [x for x in json.loads(lab.http_get(url + "/__log")[1])
                   if x["path"].endswith("/nf-role")]
        self.assertEqual(len(fetches), 2)
        self.assertNotIn("imds-secret-do-not-log", r.stdout + r.stderr)
        lab.stop(p)

    def test_a_metadata_service_that_hangs_fails_fast_and_clearly(self):
        p, url = self.imds("hang")
        t0 = time.time()
        r = LAB.run("load", env=self.env_without_keys(AWS_EC2_METADATA_SERVICE_ENDPOINT=url))
        lab.stop(p)
        self.assertEqual(r.returncode, 1)
        self.assertLess(time.time() - t0, 5)
        self.assertIn("no AWS credentials", r.stderr)
        self.assertIn("IMDS", r.stderr)
        self.assertIn("timed out", r.stderr)

    def test_shared_files_and_profiles(self):
        home = tempfile.mkdtemp()
        os.makedirs(os.path.join(home, ".aws"))
        with open(os.path.join(home, ".aws", "credentials"), "w") as f:
            f.write("[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s1\n\n"
                    "# the profile we use\n[ops]\naws_access_key_id=AKIAOPS\n"
                    "aws_secret_access_key = s2\n")
        env = self.env_without_keys(HOME=home, AWS_PROFILE="ops", AWS_EC2_METADATA_DISABLED="true")
        r = LAB.run("create-table", env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(home, ".aws", "credentials"), "a") as f:
            f.write("this line is not a setting\n")
        r = LAB.run("load", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn(".aws/credentials:9: expected [section] or key = value", r.stderr)
        r = LAB.run("load", env=self.env_without_keys(HOME=tempfile.mkdtemp(),
                                                      AWS_EC2_METADATA_DISABLED="true"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("no AWS credentials", r.stderr)


if __name__ == "__main__":
    procs.main(globals())
