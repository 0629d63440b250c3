#!/usr/bin/env python3
"""Write the synthetic demand traces in data/traces/synthetic/: 14 days each at 1-minute steps.

Deterministic: the same script writes the same bytes on any machine (its own xorshift
generator, no library randomness, values rounded to 0.01). Run from the repository root:

    python3 scripts/make_traces.py            # (re)write the traces
    python3 scripts/make_traces.py --check    # exit 1 if a committed trace differs

The traces (values are requests per second; the simulator scales them to workers):
  diurnal_weekly   a working day: night at 1/3 of the afternoon peak, weekends at 70 %
  flash_crowd      the same, plus a flash sale every day at 14:00: 10x the usual demand
                   within 5 minutes, for 2 hours, back within 10 minutes
  step             flat at 50, then 200 from the middle of day 7 on
  sawtooth         a ramp from 20 to 200 over 6 hours, then straight back to 20
  noisy_flat       100, with +-25 % noise every minute
"""
import math
import os
import sys

DAYS = 14
STEP = 60
N = DAYS * 86400 // STEP
OUT = os.path.join("data", "traces", "synthetic")


class Xorshift:
    """xorshift64*: the same numbers everywhere."""

    def __init__(self, seed):
        self.s = seed & 0xFFFFFFFFFFFFFFFF or 1

    def next(self):
        s = self.s
        s ^= (s >> 12)
        s ^= (s << 25) & 0xFFFFFFFFFFFFFFFF
        s ^= (s >> 27)
        self.s = s
        return ((s * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF) >> 11

    def uniform(self):
        """in [0, 1)"""
        return self.next() / float(1 << 53)


def diurnal(t):
    """1/3 at 04:00, 1 at 16:00; weekends (days 5 and 6 of each week) at 70 %."""
    day = t / 86400.0
    hour = (t % 86400) / 3600.0
    level = 2.0 / 3.0 + (1.0 / 3.0) * math.sin(2 * math.pi * (hour - 10.0) / 24.0)
    weekend = 0.7 if int(day) % 7 in (5, 6) else 1.0
    return 150.0 * level * weekend


def flash(t):
    """10x from 14:00 (reached within 5 minutes) to 16:00, back to 1x within 10 minutes."""
    s = t % 86400 - 14 * 3600
    if s < 0 or s >= 2 * 3600 + 600:
        return 1.0
    if s < 300:
        return 1.0 + 9.0 * s / 300.0
    if s < 2 * 3600:
        return 10.0
    return 10.0 - 9.0 * (s - 2 * 3600) / 600.0


def traces():
    rng = Xorshift(20261130)

    def noise(pct):
        return 1.0 + pct * (2.0 * rng.uniform() - 1.0)

    out = {}
    rows = [(i * STEP, diurnal(i * STEP) * noise(0.03)) for i in range(N)]
    out["diurnal_weekly"] = rows
    out["flash_crowd"] = [(t, v * flash(t)) for t, v in rows]
    half = N * STEP // 2
    out["step"] = [(i * STEP, 50.0 if i * STEP < half else 200.0) for i in range(N)]
    out["sawtooth"] = [(i * STEP, 20.0 + 180.0 * ((i * STEP) % 21600) / 21600.0) for i in range(N)]
    out["noisy_flat"] = [(i * STEP, 100.0 * noise(0.25)) for i in range(N)]
    return out


def text(rows):
    return "t_seconds,value\n" + "".join("%d,%.2f\n" % (t, v) for t, v in rows)


def main():
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] not in ([], ["--check"]):
        sys.stderr.write("usage: make_traces.py [--check]\n")
        return 2
    bad = 0
    for name, rows in traces().items():
        path = os.path.join(OUT, name + ".csv")
        body = text(rows)
        if check:
            try:
                with open(path) as f:
                    same = f.read() == body
            except OSError:
                same = False
            if not same:
                sys.stderr.write("%s differs from what scripts/make_traces.py writes\n" % path)
                bad = 1
        else:
            os.makedirs(OUT, exist_ok=True)
            with open(path, "w") as f:
                f.write(body)
    return bad


if __name__ == "__main__":
    sys.exit(main())
