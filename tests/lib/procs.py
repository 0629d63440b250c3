"""procs.py - starting and stopping the real components tests need, on loopback.

Every process started here is stopped at exit; a missing program fails loudly (never a skip).
"""
import atexit
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

_procs = []


def need(program):
    path = shutil.which(program)
    if path is None:
        sys.exit("FAIL: %s is not installed (scripts/deps.sh test installs it)" % program)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, **kw):
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=kw.pop("stderr", subprocess.DEVNULL),
                         start_new_session=True, **kw)
    _procs.append(p)
    return p


def stop(p, timeout=5):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@atexit.register
def _stop_all():
    for p in reversed(_procs):
        stop(p)


def wait_for(check, what, timeout=30, every=0.2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            v = check()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - the condition is what matters
            last = e
        time.sleep(every)
    raise AssertionError("timed out waiting for %s (last error: %r)" % (what, last))


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


def http_post_json(url, obj, timeout=5):
    data = json.dumps(obj).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status



def port_from(path, proc, what):
    """The port a helper wrote to `path` once it listens."""
    def ready():
        if proc.poll() is not None:
            raise AssertionError("%s exited with %s" % (what, proc.returncode))
        return os.path.exists(path)
    wait_for(ready, what + " port")
    with open(path) as f:
        return int(f.read())


def serve(handler, portfile):
    """Serve `handler` on a free 127.0.0.1 port, written to `portfile` (atomically, so a
    reader never sees half a number), until killed. For the test servers themselves."""
    from http.server import ThreadingHTTPServer
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


def build_dir(script):
    """The BUILD_DIR every suite takes as its first argument (taken out of argv, so that the
    rest reach unittest), or exit with the suite's usage."""
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit("usage: %s BUILD_DIR [unittest arguments]" % script)
    return os.path.abspath(sys.argv.pop(1))


def main(module_globals):
    """unittest.main for a suite; --without-valgrind drops its ValgrindClean class (ctest runs
    that one on its own, under the valgrind label)."""
    if "--without-valgrind" in sys.argv:
        sys.argv.remove("--without-valgrind")
        module_globals.pop("ValgrindClean", None)
    unittest.main(verbosity=2, testRunner=TimedRunner)


class TimedResult(unittest.TextTestResult):
    """Each test's seconds, so a slow suite's log says where its time goes."""

    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        super().stopTest(test)
        self.stream.writeln("  (%.1f s: %s)" % (time.monotonic() - self._t0, test.id()))


class TimedRunner(unittest.TextTestRunner):
    resultclass = TimedResult


def metric(text, metric_name, **labels):
    """The value of one sample in an exposition page (None if absent)."""
    want = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != metric_name:
            continue
        got = ",".join(sorted(filter(None, (m.group(3) or "").split(","))))
        if got == want:
            return float(m.group(4))
    return None


def records(text):
    """The JSON log lines of `text`, parsed (other lines skipped)."""
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out
