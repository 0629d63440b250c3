"""harness.py - start and stop the real components the Prometheus tests need, on loopback.

Debian's prometheus and prometheus-node-exporter, our exporter and our fault proxy, each on a
free 127.0.0.1 port, each stopped at exit. A missing program is a loud failure, never a skip.
"""
import atexit
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from procs import (need, free_port, start, stop, wait_for, http_get, metric,  # noqa: E402,F401
                   http_post_json, port_from)
class Lab:
    """Prometheus (1 s scrapes) over the node exporter and our exporter, and a proxy."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="nf-prom-")
        atexit.register(shutil.rmtree, self.dir, True)
        prom = need("prometheus")
        node_exporter = need("prometheus-node-exporter")
        self.node_exporter_port = free_port()
        self.node_exporter = start([node_exporter,
                                    "--web.listen-address=127.0.0.1:%d" % self.node_exporter_port,
                                    "--collector.disable-defaults", "--collector.cpu",
                                    "--collector.meminfo", "--collector.netdev",
                                    "--collector.diskstats"])
        self.exporter = start([sys.executable, os.path.join(HERE, "exporter.py"),
                               os.path.join(self.dir, "exporter.port")])
        self.exporter_port = port_from(os.path.join(self.dir, "exporter.port"), self.exporter,
                                        "exporter")
        self.prom_port = free_port()
        # a nodefleet the tests start on this port is scraped too (down until then), and
        # the shipped alert rules are loaded and evaluated (issue 17)
        self.nodefleet_port = free_port()
        rules = os.path.join(HERE, "..", "..", "deploy", "prometheus", "nodefleet-rules.yaml")
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "rule_files:\n  - '%s'\n"
                    "scrape_configs:\n"
                    "  - job_name: node\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n"
                    "  - job_name: app\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n"
                    "  - job_name: nodefleet\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n"
                    % (os.path.abspath(rules), self.node_exporter_port, self.exporter_port,
                       self.nodefleet_port))
        self.prom_argv = [prom, "--config.file=" + cfg,
                          "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                          "--web.listen-address=127.0.0.1:%d" % self.prom_port,
                          "--log.level=warn"]
        self.prom_log = open(os.path.join(self.dir, "prometheus.log"), "w")
        self.prometheus = start(self.prom_argv, stderr=self.prom_log)
        self.url = "http://127.0.0.1:%d" % self.prom_port
        wait_for(lambda: http_get(self.url + "/-/ready")[0] == 200, "prometheus ready")
        # both targets up, with enough samples for rate()
        wait_for(lambda: len(self.query("up == 1")) == 2, "both targets scraped")
        wait_for(lambda: float(self.query("count_over_time(up[1m])")[0]["value"][1]) >= 3,
                 "three scrapes")
        self.proxy = start([sys.executable, os.path.join(HERE, "..", "lib", "proxy.py"), self.url,
                            os.path.join(self.dir, "proxy.port")])
        self.proxy_port = port_from(os.path.join(self.dir, "proxy.port"), self.proxy, "proxy")
        self.proxy_url = "http://127.0.0.1:%d" % self.proxy_port

    def query(self, q):
        url = self.url + "/api/v1/query?query=" + urllib.request.quote(q)
        body = json.loads(http_get(url)[1])
        assert body["status"] == "success", body
        return body["data"]["result"]

    def scalar(self, q):
        r = self.query(q)
        assert len(r) == 1, (q, r)
        return float(r[0]["value"][1])

    def set(self, **state):
        http_post_json("http://127.0.0.1:%d/set" % self.exporter_port, state)

    def fault(self, **mode):
        http_post_json(self.proxy_url + "/__mode", mode)

    def stop_prometheus(self):
        stop(self.prometheus)

    def start_prometheus(self):
        self.prometheus = start(self.prom_argv, stderr=self.prom_log)
        wait_for(lambda: http_get(self.url + "/-/ready")[0] == 200, "prometheus ready again")


def wait_scraped(lab, seconds=2.5):
    """Let Prometheus take a couple of scrapes of new exporter values."""
    time.sleep(seconds)
