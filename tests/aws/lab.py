"""lab.py - the AWS side of the tests: moto_server (EC2, DynamoDB, Secrets Manager, SNS,
CloudWatch, SQS, SSM), dynalite as a second DynamoDB, our fault proxy in front of moto, all
on free 127.0.0.1 ports and stopped at exit; and helpers to run the AWS CLI and our driver."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from procs import (need, free_port, start, stop, wait_for, http_get,  # noqa: E402,F401
                   http_post_json, port_from)

DYNALITE = os.path.join(HERE, ".npm", "node_modules", ".bin", "dynalite")


class AwsLab:
    def __init__(self, build):
        self.build = build
        self.nfaws = os.path.join(build, "tests", "nfaws")
        self.nodefleet = os.path.join(build, "nodefleet")
        self.dir = tempfile.mkdtemp(prefix="nf-aws-")
        moto = need("moto_server")
        self.awscli = need("aws")
        if not os.access(DYNALITE, os.X_OK):
            sys.exit("FAIL: dynalite is not installed at %s (scripts/deps.sh test installs it)"
                     % DYNALITE)
        self.moto_port = free_port()
        self.moto = start([moto, "-H", "127.0.0.1", "-p", str(self.moto_port)])
        self.moto_url = "http://127.0.0.1:%d" % self.moto_port
        wait_for(lambda: http_get(self.moto_url + "/moto-api/")[0] == 200, "moto_server", 60)
        self.dynalite_port = free_port()
        self.dynalite = start([DYNALITE, "--host", "127.0.0.1", "--port", str(self.dynalite_port)])
        self.dynalite_url = "http://127.0.0.1:%d" % self.dynalite_port
        wait_for(lambda: self._up(self.dynalite_url), "dynalite", 30)
        self.proxy = start([sys.executable, os.path.join(HERE, "..", "lib", "proxy.py"),
                            self.moto_url, os.path.join(self.dir, "proxy.port")])
        self.proxy_url = "http://127.0.0.1:%d" % port_from(os.path.join(self.dir, "proxy.port"),
                                                           self.proxy, "proxy")
        # moto, one request at a time: for the lease's concurrency tests (see proxy.py)
        self.serial = start([sys.executable, os.path.join(HERE, "..", "lib", "proxy.py"),
                             self.moto_url, os.path.join(self.dir, "serial.port"), "--serial"])
        self.moto_serial_url = "http://127.0.0.1:%d" % port_from(
            os.path.join(self.dir, "serial.port"), self.serial, "serial proxy")

    @staticmethod
    def _up(url):
        try:
            http_get(url)
        except Exception as e:  # noqa: BLE001 - dynalite answers 400 to a bare GET: it is up
            return "HTTP Error" in str(e)
        return True

    def env(self, endpoint=None, dynamodb=None, **extra):
        """The environment every AWS SDK (and nodefleet) reads, pointed at the lab."""
        e = {"PATH": os.environ["PATH"], "HOME": self.dir, "AWS_ACCESS_KEY_ID": "testing",
             "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
             "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
             "AWS_ENDPOINT_URL": endpoint or self.moto_url, "AWS_MAX_ATTEMPTS": "3",
             "NODEFLEET_STORE": "dynamodb"}
        if dynamodb:
            e["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb
        e.update({k: str(v) for k, v in extra.items()})
        return {k: v for k, v in e.items() if v is not None and v != "None"}

    def aws(self, *args, endpoint=None, check=True):
        """The real AWS CLI against the lab; JSON out."""
        r = subprocess.run([self.awscli, "--endpoint-url", endpoint or self.moto_url,
                            "--output", "json"] + list(args),
                           env=self.env(), capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("aws %s: %s" % (" ".join(args), r.stderr))
        return json.loads(r.stdout) if r.stdout.strip() else None

    def run(self, *args, env=None, timeout=120):
        return subprocess.run([self.nfaws] + [str(a) for a in args], env=env or self.env(),
                              capture_output=True, text=True, timeout=timeout)

    def fault(self, **mode):
        http_post_json(self.proxy_url + "/__mode", mode)

    def proxy_stats(self):
        return json.loads(http_get(self.proxy_url + "/__stats")[1])
