#!/usr/bin/env python3
"""A small instance-metadata service (IMDSv2) for the credential-chain tests.

    imds.py PORTFILE MODE     MODE: normal | v1only | hang

normal: PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds) gives a token,
which every GET must carry (else 401); the role "nf-role" has credentials valid for an hour
(the access key is the one the test reads from the environment variable NF_IMDS_KEY).
v1only: the token PUT answers 403 (an old IMDS), GETs need no token. hang: accept the
connection and never answer. GET /__log lists what was asked, in order. NF_IMDS_META (JSON,
path under /latest/meta-data/ -> value) answers more paths: instance-id, instance-type, ...
"""
import datetime
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from procs import serve  # noqa: E402

MODE = sys.argv[2]
TOKEN = "tok-imds-0123"
log = []
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="text/plain"):
        b = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def note(self):
        with lock:
            log.append({"method": self.command, "path": self.path,
                        "token": self.headers.get("X-aws-ec2-metadata-token"),
                        "ttl": self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")})

    def do_PUT(self):
        if MODE == "hang":
            time.sleep(3600)
        self.note()
        if self.path != "/latest/api/token":
            return self.reply(404, "")
        if MODE == "v1only":
            return self.reply(403, "")
        if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400, "missing ttl")
        return self.reply(200, TOKEN)

    def do_GET(self):
        if self.path == "/__log":
            with lock:
                return self.reply(200, json.dumps(log), "application/json")
        if MODE == "hang":
            time.sleep(3600)
        self.note()
        if MODE == "normal" and self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            return self.reply(401, "")
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            return self.reply(200, "nf-role")
        if self.path == base + "nf-role":
            exp = (datetime.datetime.now(datetime.timezone.utc) +
                   datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            return self.reply(200, json.dumps({
                "Code": "Success", "LastUpdated": "2026-01-01T00:00:00Z", "Type": "AWS-HMAC",
                "AccessKeyId": os.environ.get("NF_IMDS_KEY", "ASIAIMDSEXAMPLE"),
                "SecretAccessKey": "imds-secret-do-not-log", "Token": "imds-session-token",
                "Expiration": exp}), "application/json")
        if self.path == "/latest/meta-data/placement/region":
            return self.reply(200, "us-east-1")
        meta = json.loads(os.environ.get("NF_IMDS_META", "{}"))
        key = self.path[len("/latest/meta-data/"):]
        if self.path.startswith("/latest/meta-data/") and key in meta:
            return self.reply(200, meta[key])
        return self.reply(404, "")


def main():
    serve(Handler, sys.argv[1])


if __name__ == "__main__":
    main()
