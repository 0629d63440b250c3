#!/usr/bin/env python3
"""test_http_live.py BUILD_DIR - nodefleet's own HTTP client (src/http: wire.c, conn.c, tls.c)
against real servers on loopback: Python's http.server over TCP and TLS (certificates made
with openssl), a forward proxy (absolute-form requests and CONNECT tunnels, with and without
Proxy-Authorization), and servers that misbehave - one that drops a kept connection, one that
never answers, one that refuses an upload. The driver is tests/http/nfhttp.c: one handle for
every request, as an adapter keeps one."""
import base64
import http.server
import json
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kube"))
from kubelab import make_certs, openssl  # noqa: E402

BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-")
                        else "build")
NFHTTP = os.path.join(BUILD, "tests", "nfhttp")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.conns += 1
        self.drop = False

    def log_message(self, *a):
        pass

    def answer(self, body, status=200, ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def do_GET(self):
        self.server.seen.append((self.command, self.path, dict(self.headers)))
        if self.drop:  # a kept connection the server closes without a word
            self.close_connection = True
            return
        if self.path == "/drop-next":
            self.drop = True
            self.answer(b"hello")
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"one ", b"two ", b"three"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/slow":
            time.sleep(4)
            self.answer(b"late")
        elif self.path == "/big":
            self.answer(b"x" * 2000000)
        elif self.path == "/headers":
            self.answer(json.dumps(dict(self.headers)).encode(), ctype="application/json")
        else:
            self.answer(b"hello")

    def do_POST(self):
        self.server.seen.append((self.command, self.path, dict(self.headers)))
        if self.path == "/refuse":  # closes with the upload unread: the client's writes fail
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        n = int(self.headers.get("Content-Length", "0"))
        got = 0
        while got < n:
            chunk = self.rfile.read(min(65536, n - got))
            if not chunk:
                break
            got += len(chunk)
        self.answer(b"%d" % got)


class Origin(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host="127.0.0.1", tls=None, family=socket.AF_INET):
        self.address_family = family
        super().__init__((host, 0), Handler)
        self.lock = threading.Lock()
        self.conns = 0
        self.seen = []
        if tls:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self):
        return self.server_address[1]

    def stop(self):
        self.shutdown()
        self.server_close()


def pipe(a, b):
    def one_way(src, dst):
        try:
            while True:
                d = src.recv(65536)
                if not d:
                    break
                dst.sendall(d)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    t = threading.Thread(target=one_way, args=(b, a), daemon=True)
    t.start()
    one_way(a, b)
    t.join(10)


class ProxyHandler(socketserver.BaseRequestHandler):
    def handle(self):
        head = b""
        while b"\r\n\r\n" not in head:
            d = self.request.recv(1)
            if not d:
                return
            head += d
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (ln.partition(":") for ln in lines[1:] if ln)}
        self.server.seen.append((lines[0], headers.get("proxy-authorization")))
        if self.server.need and headers.get("proxy-authorization") != self.server.need:
            self.request.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                                 b"Proxy-Authenticate: Basic realm=\"t\"\r\n"
                                 b"Content-Length: 0\r\n\r\n")
            return
        method, target, _ = lines[0].split(" ")
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            up = socket.create_connection((host.strip("[]"), int(port)))
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            u = urlsplit(target)
            up = socket.create_connection((u.hostname, u.port))
            kept = [ln for ln in lines[1:] if ln and not ln.lower().startswith("proxy-")]
            up.sendall(("%s %s%s HTTP/1.1\r\n%s\r\n\r\n" % (
                method, u.path or "/", "?" + u.query if u.query else "",
                "\r\n".join(kept))).encode("latin-1"))
        with up:
            pipe(self.request, up)


class Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, need=None):
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.need = need
        self.seen = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def stop(self):
        self.shutdown()
        self.server_close()


def run(*args, env=None, valgrind=False):
    cmd = [NFHTTP] + list(args)
    if valgrind:
        cmd = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
               "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect",
               "--suppressions=" + os.path.join(HERE, "..", "valgrind.supp")] + cmd
    e = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    e.update(env or {})
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=e)
    took = time.monotonic() - t0
    if r.returncode != 0:
        raise AssertionError("nfhttp exited %d: %s" % (r.returncode, r.stderr[-3000:]))
    out = [json.loads(ln) for ln in r.stdout.splitlines()]
    return out[:-1], out[-1]["fds"], took


class HttpLive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(NFHTTP):
            raise AssertionError("no %s: build the tests first" % NFHTTP)
        cls.dir = tempfile.mkdtemp(prefix="nf-http-")
        make_certs(cls.dir)
        other = os.path.join(cls.dir, "other")
        os.mkdir(other)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                "-subj", "/CN=someone-else", cwd=other)
        cls.ca = os.path.join(cls.dir, "ca.crt")
        cls.other_ca = os.path.join(other, "ca.crt")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(cls.dir, "server.crt"), os.path.join(cls.dir, "server.key"))
        cls.tls_ctx = ctx
        mctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        mctx.load_cert_chain(os.path.join(cls.dir, "server.crt"),
                             os.path.join(cls.dir, "server.key"))
        mctx.load_verify_locations(cls.ca)
        mctx.verify_mode = ssl.CERT_REQUIRED
        cls.mtls_ctx = mctx

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def server(self, **kw):
        s = Origin(**kw)
        self.addCleanup(s.stop)
        return s

    def test_kept_connections_carry_every_request(self):
        s = self.server()
        url = "http://127.0.0.1:%d/hello" % s.port
        res, _, _ = run("GET", *[url] * 5)
        self.assertEqual([(r["status"], r["body"]) for r in res], [(200, "hello")] * 5, res)
        self.assertEqual(s.conns, 1)
        t = self.server(tls=self.tls_ctx)
        url = "https://127.0.0.1:%d/hello" % t.port
        res, _, _ = run("--ca", self.ca, "GET", *[url] * 4)
        self.assertEqual([r.get("status") for r in res], [200] * 4, res)
        self.assertEqual(t.conns, 1)
        # the request as sent: Host with the port, our User-Agent
        run("GET", "http://127.0.0.1:%d/headers" % s.port)
        h = s.seen[-1][2]
        self.assertEqual(h["Host"], "127.0.0.1:%d" % s.port)
        self.assertTrue(h["User-Agent"].startswith("nodefleet/"), h)

    def test_tls_trust_names_and_client_certificates(self):
        t = self.server(tls=self.tls_ctx)
        url = "https://127.0.0.1:%d/hello" % t.port
        ok, _, _ = run("--ca-pem", self.ca, "GET", url)
        self.assertEqual(ok[0].get("status"), 200, ok)
        res, _, _ = run("--ca", self.other_ca, "GET", url)
        self.assertIn("certificate verify failed", res[0].get("error", ""), res)
        # --ca-pem is the one CA trusted, not the system's besides: still refused
        res, _, _ = run("--ca-pem", self.other_ca, "GET", url)
        self.assertIn("certificate verify failed", res[0].get("error", ""), res)
        res, _, _ = run("--ca", self.other_ca, "--insecure", "1", "GET", url)
        self.assertEqual(res[0].get("status"), 200, res)
        # the certificate names 127.0.0.1 and localhost: 127.0.0.2 is someone else
        t2 = self.server(tls=self.tls_ctx, host="127.0.0.2")
        res, _, _ = run("--ca", self.ca, "GET", "https://127.0.0.2:%d/hello" % t2.port)
        self.assertIn("certificate verify failed", res[0].get("error", ""), res)
        self.assertIn("mismatch", res[0]["error"], res)
        res, _, _ = run("--ca", self.ca, "GET", "https://localhost:%d/hello" % t.port)
        self.assertEqual(res[0].get("status"), 200, res)
        m = self.server(tls=self.mtls_ctx)
        murl = "https://127.0.0.1:%d/hello" % m.port
        res, _, _ = run("--ca", self.ca, "GET", murl)
        self.assertIn("error", res[0], res)
        res, _, _ = run("--ca", self.ca, "--cert", os.path.join(self.dir, "client.crt"),
                        "--key", os.path.join(self.dir, "client.key"), "GET", murl, murl)
        self.assertEqual([r.get("status") for r in res], [200, 200], res)
        res, _, _ = run("--ca", self.ca, "--cert", os.path.join(self.dir, "client.crt"),
                        "--key", os.path.join(self.dir, "server.key"), "GET", murl)
        self.assertIn("client key", res[0].get("error", ""), res)

    def test_a_kept_connection_the_server_dropped_is_made_again(self):
        for tls in (None, self.tls_ctx):
            s = self.server(tls=tls)
            base = "%s://127.0.0.1:%d" % ("https" if tls else "http", s.port)
            res, _, _ = run("--ca", self.ca, "GET", base + "/drop-next", base + "/hello",
                            base + "/drop-next", base + "/hello")
            self.assertEqual([(r.get("status"), r.get("attempts")) for r in res],
                             [(200, 1)] * 4, res)
            self.assertEqual(s.conns, 3)

    def test_bodies_limits_and_timeouts(self):
        s = self.server()
        base = "http://127.0.0.1:%d" % s.port
        res, _, _ = run("GET", base + "/chunked")
        self.assertEqual(res[0]["body"], "one two three")
        res, _, _ = run("--max-body", "1000", "GET", base + "/big", base + "/hello")
        self.assertEqual(res[0]["code"], 6, res)  # NF_E_TOO_BIG
        self.assertIn("larger than the 1000-byte limit", res[0]["error"])
        self.assertEqual(res[1]["status"], 200, res)  # the handle goes on
        res, _, took = run("--timeout", "1", "GET", base + "/slow")
        self.assertIn("timed out after", res[0].get("error", ""), res)
        self.assertLess(took, 3.0)
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        res, _, _ = run("GET", "http://127.0.0.1:%d/" % port)
        self.assertIn("connect to 127.0.0.1 port %d: Connection refused" % port, res[0]["error"])
        res, _, _ = run("GET", "http://user:secret@127.0.0.1:%d/headers?token=t" % s.port)
        self.assertEqual(s.seen[-1][2]["Authorization"],
                         "Basic " + base64.b64encode(b"user:secret").decode())
        res, _, _ = run("GET", "http://u:secret@127.0.0.1:%d/x?token=t" % port)
        self.assertNotIn("secret", res[0]["error"])
        self.assertNotIn("token", res[0]["error"])

    def test_proxies_from_the_environment(self):
        s = self.server()
        t = self.server(tls=self.tls_ctx)
        proxy = Proxy()
        self.addCleanup(proxy.stop)
        env = {"http_proxy": proxy.url.replace("http://", "http://bob:pa%3Ass@"),
               "HTTPS_PROXY": proxy.url}
        res, _, _ = run("--ca", self.ca, "GET", "http://127.0.0.1:%d/hello" % s.port,
                        "https://127.0.0.1:%d/hello" % t.port, env=env)
        self.assertEqual([r.get("status") for r in res], [200, 200], res)
        self.assertEqual(proxy.seen[0], ("GET http://127.0.0.1:%d/hello HTTP/1.1" % s.port,
                                         "Basic " + base64.b64encode(b"bob:pa:ss").decode()))
        self.assertEqual(proxy.seen[1], ("CONNECT 127.0.0.1:%d HTTP/1.1" % t.port, None))
        self.assertNotIn("proxy-authorization", {k.lower() for k in s.seen[-1][2]})
        n = len(proxy.seen)
        res, _, _ = run("GET", "http://127.0.0.1:%d/hello" % s.port,
                        env=dict(env, NO_PROXY="localhost,127.0.0.1"))
        self.assertEqual(res[0].get("status"), 200, res)
        self.assertEqual(len(proxy.seen), n)  # went direct
        strict = Proxy(need="Basic " + base64.b64encode(b"a:b").decode())
        self.addCleanup(strict.stop)
        res, _, _ = run("--ca", self.ca, "GET", "https://127.0.0.1:%d/hello" % t.port,
                        env={"https_proxy": strict.url})
        self.assertIn("refused the tunnel (HTTP 407)", res[0].get("error", ""), res)
        res, _, _ = run("--ca", self.ca, "GET", "https://127.0.0.1:%d/hello" % t.port,
                        env={"https_proxy": strict.url.replace("//", "//a:b@")})
        self.assertEqual(res[0].get("status"), 200, res)

    def test_a_refused_upload_is_an_error_not_a_sigpipe(self):
        for tls in (None, self.tls_ctx):
            s = self.server(tls=tls)
            base = "%s://127.0.0.1:%d" % ("https" if tls else "http", s.port)
            res, _, _ = run("--ca", self.ca, "--data", "8000000", "POST", base + "/refuse",
                            base + "/upload")
            self.assertIn("error", res[0], res)
            self.assertEqual(res[1].get("body"), "8000000", res)

    def test_no_descriptor_is_left_behind(self):
        s = self.server()
        t = self.server(tls=self.tls_ctx)
        urls = []
        for i in range(60):
            urls += ["http://127.0.0.1:%d/%s" % (s.port, "drop-next" if i % 3 else "hello"),
                     "https://127.0.0.1:%d/%s" % (t.port, "drop-next" if i % 2 else "hello")]
        _, one, _ = run("--ca", self.ca, "GET", urls[0], urls[1])
        res, many, _ = run("--ca", self.ca, "GET", *urls)
        self.assertTrue(all(r.get("status") == 200 for r in res), res)
        self.assertEqual(one, many)  # two kept connections either way

    def test_ipv6_loopback(self):
        try:
            s = self.server(host="::1", family=socket.AF_INET6)
        except OSError as e:
            raise AssertionError("IPv6 loopback is needed for this test: %s" % e)
        res, _, _ = run("GET", "http://[::1]:%d/hello" % s.port)
        self.assertEqual(res[0].get("status"), 200, res)
        self.assertEqual(s.seen[-1][2]["Host"], "[::1]:%d" % s.port)

    def test_under_valgrind(self):
        if shutil.which("valgrind") is None:
            raise AssertionError("valgrind is needed (scripts/deps.sh installs it)")
        s = self.server()
        t = self.server(tls=self.tls_ctx)
        proxy = Proxy()
        self.addCleanup(proxy.stop)
        res, _, _ = run("--ca", self.ca, "GET", "http://127.0.0.1:%d/drop-next" % s.port,
                        "http://127.0.0.1:%d/hello" % s.port,
                        "https://127.0.0.1:%d/chunked" % t.port,
                        "https://127.0.0.1:%d/hello" % t.port, env={"https_proxy": proxy.url},
                        valgrind=True)
        self.assertEqual([r.get("status") for r in res], [200] * 4, res)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"] + [a for a in sys.argv[2:]])
