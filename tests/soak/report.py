"""report.py - the chaos soak's resource samples and its report: faults by kind, checks run,
violations, convergence after each fault, moto's own slowing down, and the resource trend of
the process that lives through the whole soak, judged against stated thresholds."""
import os
import statistics
import time

WARM_UP_S = 600  # the first 10 minutes of a process: caches, pools and arenas filling
JUDGED_AFTER_S = 1800  # a trend is judged over at least 30 minutes: a run of an hour or more
# growth per hour of the fitted line beyond which a trend fails the soak: a leak of one
# descriptor or thread an hour, or of a megabyte of RSS an hour, shows in a 2-hour soak
LIMITS = {"rss_kb": 1024.0, "fds": 1.0, "threads": 1.0}


def proc_sample(p):
    """(time, RSS KiB, open descriptors, threads) of a running process, from /proc; None when
    it is gone or stopped (a fault)."""
    if p.poll() is not None:
        return None
    try:
        with open("/proc/%d/status" % p.pid) as f:
            st = dict(line.split(":", 1) for line in f if ":" in line)
        fds = len(os.listdir("/proc/%d/fd" % p.pid))
    except (FileNotFoundError, ProcessLookupError):
        return None
    if st.get("State", "").strip().startswith("T"):
        return None
    return (time.time(), int(st["VmRSS"].split()[0]), fds, int(st["Threads"]))


def slope_per_hour(xs, ys):
    """Least squares slope of ys over xs (seconds), per hour."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx * 3600


def floors(samples, t0, window_s=300):
    """(window start, the lowest RSS, descriptors and threads in it) per 5 minutes: the floor,
    which a leak raises and a cycle's passing threads, connections and buffers do not."""
    w = {}
    for t, rss, fds, thr in samples:
        k = int((t - t0) // window_s)
        lo = w.setdefault(k, [t0 + k * window_s, rss, fds, thr])
        lo[1:] = [min(lo[1], rss), min(lo[2], fds), min(lo[3], thr)]
    return [tuple(w[k]) for k in sorted(w)]


def trend(samples):
    """The fit over a process's 5-minute floors in the second half of its life: growth per
    hour of RSS, descriptors and threads, and whether it is judged (long enough) and passes."""
    t0 = samples[0][0]
    # the fit is over the second half of the process's life, and never its first 10 minutes:
    # what still grows at the end, not what filled at the start
    since = max(WARM_UP_S, (samples[-1][0] - t0) / 2)
    late = [f for f in floors(samples, t0) if f[0] - t0 >= since]
    span = late[-1][0] - late[0][0] if len(late) > 1 else 0
    out = {"window_s": round(span), "judged": span >= JUDGED_AFTER_S, "per_hour": {},
           "limits_per_hour": LIMITS, "over": [],
           "floors_5min": [[round(f[0] - t0), f[1], f[2], f[3]] for f in floors(samples, t0)]}
    if len(late) < 2:
        return out
    xs = [f[0] for f in late]
    for i, key in ((1, "rss_kb"), (2, "fds"), (3, "threads")):
        g = slope_per_hour(xs, [f[i] for f in late])
        out["per_hour"][key] = round(g, 2)
        if out["judged"] and g > LIMITS[key]:
            out["over"].append(key)
    return out


def first_last(s):
    first = [x for x in s if x[0] - s[0][0] < 30]
    last = [x for x in s if s[-1][0] - x[0] < 30]
    return {"seconds": round(s[-1][0] - s[0][0]),
            "rss_kb": [statistics.median(x[1] for x in first),
                       statistics.median(x[1] for x in last)],
            "fds": [statistics.median(x[2] for x in first), statistics.median(x[2] for x in last)],
            "threads": [statistics.median(x[3] for x in first),
                        statistics.median(x[3] for x in last)]}


def convergence(soak, checker):
    """Seconds from the end of each fault to the first moment the world was settled."""
    conv = []
    for e in soak.events:
        if e["kind"] == "fault over":
            t = soak.t0 + e["t"]
            after = [c - t for c in checker.converged_at if c >= t]
            if after:
                conv.append(after[0])
    return {"n": len(conv), "median": round(statistics.median(conv), 1) if conv else None,
            "max": round(max(conv), 1) if conv else None}


def moto_describe(checker):
    """moto's DescribeInstances (the checker's own call) in the first and the last 10
    minutes: moto keeps terminated instances, so it slows as the soak goes on."""
    d = checker.describe_ms
    if not d:
        return None
    first = [ms for t, ms in d if t - d[0][0] < 600]
    last = [ms for t, ms in d if d[-1][0] - t < 600]
    return {"median_ms_first_10min": round(statistics.median(first), 1),
            "median_ms_last_10min": round(statistics.median(last), 1)}


def build(soak, checker):
    res, trends = {}, {}
    for (role, pid), s in soak.samples.items():
        if s[-1][0] - s[0][0] < 60:
            continue
        res["%s %d" % (role, pid)] = first_last(s)
        if role in ("steady", "lambda"):
            trends["%s %d" % (role, pid)] = trend(s)
    for name, t in trends.items():
        for key in t["over"]:
            soak.violations.append({
                "t": round(time.time() - soak.t0, 1), "seed": soak.seed,
                "what": "%s: %s grows %.2f an hour past the warm-up (limit %.2f)"
                        % (name, key, t["per_hour"][key], LIMITS[key])})
    rep = {"seed": soak.seed, "minutes": soak.minutes, "mode": soak.mode,
           "faults": soak.faults.count, "checks": checker.checks,
           "violations": soak.violations, "converged_after_fault_s": convergence(soak, checker),
           "moto_describe_instances": moto_describe(checker),
           "resources_first_and_last_30s": res, "trend": trends}
    if soak.fn:
        rep["lambda"] = dict(soak.fn.n, error_answers=soak.fn.error_bodies)
    return rep
