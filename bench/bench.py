#!/usr/bin/env python3
"""bench.py BUILD_DIR - print nodefleet's performance figures (issue targets in brackets).

Wall time is the median of repeated runs; peak RSS comes from the kernel's rusage of each
child (wait4), the largest seen. Nothing here is a pass/fail test: it prints what it measures.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

build = sys.argv[1] if len(sys.argv) > 1 else "build"
nf = os.path.join(build, "nodefleet")


maxrss = os.path.join(build, "bench", "maxrss")


def measure(argv, runs, stdin_path=None):
    """Median and p95 wall seconds over `runs`, and the peak RSS (KiB) of one more run
    under the small C launcher (timings are taken without it)."""
    walls = []
    for _ in range(runs):
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        t0 = time.perf_counter()
        r = subprocess.run(argv, stdin=stdin, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
        if stdin_path:
            stdin.close()
        if r.returncode != 0:
            sys.exit("bench: %s failed" % " ".join(argv))
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    r = subprocess.run([maxrss] + argv, stdin=stdin, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    if stdin_path:
        stdin.close()
    rss = int(r.stderr.strip().splitlines()[-1].split()[0].split("=")[1])
    walls.sort()
    return statistics.median(walls), walls[int(0.95 * (len(walls) - 1))], rss


print("nodefleet benchmarks (%s, %d cores)" % (os.uname().machine, os.cpu_count()))

trace = "data/traces/nasa_jul95_1min.csv"
argv = [nf, "simulate", "--trace", trace, "--policy", "static:5", "--policy", "seed",
        "--policy", "static:8"]
med, p95, rss = measure(argv, 15)
print("simulate NASA 27.6 d at 15 s steps (158,768 steps), 3 policies + oracle: "
      "median %.0f ms, p95 %.0f ms wall; peak RSS %.1f MB   [< 1 s, < 20 MB]"
      % (med * 1e3, p95 * 1e3, rss / 1024))
argv4 = [nf, "simulate", "--trace", trace, "--policy", "default", "--policy", "seed",
         "--policy", "static:5", "--policy", "static:8"]
med, p95, rss = measure(argv4, 7)
print("simulate NASA with four policies (default, seed, static:5, static:8) + oracle: "
      "median %.0f ms, p95 %.0f ms wall; peak RSS %.1f MB   [< 2 s]"
      % (med * 1e3, p95 * 1e3, rss / 1024))
with tempfile.TemporaryDirectory() as tmp:
    html = os.path.join(tmp, "r.html")
    med, p95, rss = measure(argv + ["--html", html], 5)
    print("  the same with the HTML report: median %.0f ms wall; peak RSS %.1f MB; report %.0f KB"
          % (med * 1e3, rss / 1024, os.path.getsize(html) / 1024))

    obs = os.path.join(tmp, "obs.json")
    with open(obs, "w") as f:
        samples = ",".join('{"t": %d, "cpu": 20, "memory": 30, "pending_pods": 0}'
                           % (1700000000 - 900 + 15 * i) for i in range(61))
        f.write('{"now": 1700000000, "workers": {"ready": 5, "joining": 0, "draining": 0}, "samples": [%s]}' % samples)
    med, p95, rss = measure([nf, "decide"], 300, obs)
    print("decide, one call as a process (61 samples in, decision out): median %.2f ms, "
          "p95 %.2f ms; peak RSS %.1f MB   [< 5 ms]" % (med * 1e3, p95 * 1e3, rss / 1024))

core = os.path.join(build, "bench", "bench_core")
print(subprocess.run([core], check=True, capture_output=True, text=True).stdout.strip())
