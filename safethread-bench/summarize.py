#!/usr/bin/env python3
"""Turns JMH JSON results of safethread-bench into one Markdown table.

Usage: python3 summarize.py RESULT.json [RESULT.json ...] > summary.md

For every benchmark (and every secondary metric worth showing) it prints mode, score, error,
units, the median for SampleTime results, the peer it is compared with in the same run, the cost
relative to that peer, and the goal from the benchmark's class comment with its verdict.

"Cost vs peer" is always a cost ratio: time / peer time, or peer throughput / throughput. Below 1
means cheaper (faster) than the peer. SampleTime results are compared by their medians.

AuxCounters of type EVENTS ("#" units) are summed over iterations by JMH; this script shows their
mean per iteration instead (each iteration of those benchmarks is one measured invocation).
"""

import json
import math
import sys
from collections import OrderedDict

# key -> (peer key, goal): keys are "Class.method" or "Class.method:secondary".
# goal is None (informative), ("ratio", max_cost_ratio) or ("abs", "<" | ">=", value, unit).
PEERS = OrderedDict([
    ("MonitorCallBench.direct", ("MonitorCallBench.reentrantLock", None)),
    ("MonitorCallBench.synchronizedWrapper", ("MonitorCallBench.reentrantLock", None)),
    ("MonitorCallBench.jdkProxy", ("MonitorCallBench.reentrantLock", None)),
    ("MonitorCallBench.monitorClassProxy", ("MonitorCallBench.reentrantLock", ("ratio", 1.1))),
    ("MonitorCallBench.monitorInterfaceProxy", ("MonitorCallBench.reentrantLock", ("ratio", 1.1))),
    ("MonitorCallBench.reentrantLockThrows", ("MonitorCallBench.jdkProxyThrows", None)),
    ("MonitorCallBench.monitorClassProxyThrows", ("MonitorCallBench.jdkProxyThrows", ("ratio", 0.1))),
    ("MonitorCallBench.monitorInterfaceProxyThrows", ("MonitorCallBench.jdkProxyThrows", ("ratio", 0.1))),
    ("MonitorCreationBench.monitorClassProxy", ("MonitorCreationBench.reentrantLockWrapper", None)),
    ("MonitorCreationBench.monitorInterfaceProxy", ("MonitorCreationBench.reentrantLockWrapper", None)),
    ("ContendedMonitorBench.monitor", ("ContendedMonitorBench.reentrantLock", ("ratio", 1.0))),
    ("ContendedMonitorBench.monitorSpins0", ("ContendedMonitorBench.reentrantLock", None)),
    ("ContendedMonitorBench.monitorSpins1000", ("ContendedMonitorBench.reentrantLock", None)),
    ("ContendedMonitorBench.synchronizedWrapper", ("ContendedMonitorBench.reentrantLock", None)),
    ("DeadlockBench.safethreadCycleClose",
     ("DeadlockBench.jdkWatchdogDetectAndInterrupt", ("abs", "<", 10.0, "us"))),
    # Issue 13: two threads on monitors of their own do twice the work of one (cost = 1 / ratio).
    ("IndependentMonitorBench.monitor2", ("IndependentMonitorBench.monitor1", ("ratio", 1 / 1.9))),
    ("IndependentMonitorBench.reentrantLock2", ("IndependentMonitorBench.reentrantLock1", None)),
    ("BankBench.safethread", ("BankBench.tryLockBackOff", ("ratio", 1.0))),
    ("BankBench.guavaCycleDetecting", ("BankBench.safethread", None)),
    # Issue 13: 10,000 threads retrying random-order transfers, against the same monitors in a fixed order.
    ("RetryCrowdBench.monitorsRandomOrder", ("RetryCrowdBench.monitorsFixedOrder", ("ratio", 1.5))),
    ("RetryCrowdBench.reentrantLockFixedOrder", ("RetryCrowdBench.monitorsFixedOrder", None)),
    ("RefCountBench.safethreadOwner", ("RefCountBench.netty", ("ratio", 1 / 9))),
    ("RefCountBench.safethreadPoolWorker", ("RefCountBench.netty", None)),
    ("RefCountBench.safethreadNonOwner", ("RefCountBench.netty", None)),
    ("RefCountBench.plainLong", ("RefCountBench.netty", None)),
    ("RefCountBench.atomicLong", ("RefCountBench.netty", None)),
    ("RefCountBench.hotSafethread", ("RefCountBench.hotNetty", ("ratio", 1 / 4))),
    ("RefCountBench.hotSafethreadOwnerAndNonOwner", ("RefCountBench.hotNetty", None)),
    ("RefCountBench.hotAtomicLong", ("RefCountBench.hotNetty", None)),
    ("RefCountBench.hotPlainLong", ("RefCountBench.hotNetty", None)),
    ("PoolHandOffBench.safethread:consume", ("PoolHandOffBench.netty:nettyConsume", ("ratio", 1.0))),
    ("FinalizeBench.latencySafethread", ("FinalizeBench.latencyCleaner", ("abs", "<", 1.0, "ms"))),
    ("FinalizeBench.throughputSafethread:finalized", ("FinalizeBench.throughputCleaner:finalized", ("ratio", 1.0))),
    ("BranchBench.branch1000", ("BranchBench.threads1000", ("ratio", 1.2))),
    ("BranchBench.branch1000Virtual", ("BranchBench.sts1000Virtual", ("ratio", 1.2))),
    ("BranchBench.threads1000Virtual", ("BranchBench.sts1000Virtual", None)),
    ("BranchBench.wallCheck", (None, ("abs", "<", 1.0, "us"))),
    ("CollectorBench.ringSafethread", ("CollectorBench.ringSystemGc", None)),
    ("CollectorBench.randomSafethread", ("CollectorBench.randomSystemGc", None)),
    ("CollectorBench.ringSafethread:examinedPerSecond", (None, ("abs", ">=", 5e6, None))),
    ("CollectorBench.randomSafethread:examinedPerSecond", (None, ("abs", ">=", 5e6, None))),
    ("CollectorBench.pauseSafethread:mutatorMaxPauseUs",
     ("CollectorBench.pauseSystemGc:mutatorMaxPauseUs", ("abs", "<", 20.0, "ms"))),
    ("SharedMapBench.sharedGet", ("SharedMapBench.chmGet", ("ratio", 1.2))),
    ("SharedMapBench.sharedPut", ("SharedMapBench.chmPut", ("ratio", 2.0))),
    ("SharedMapBench.sharedComputeIfAbsentPresent", ("SharedMapBench.chmComputeIfAbsentPresent", ("ratio", 1.2))),
    ("SharedMapBench.sharedMixed90x10", ("SharedMapBench.chmMixed90x10", ("ratio", 1.5))),
])

# Secondary metrics shown as rows of their own (others, e.g. JMH's sample percentiles, are not).
SHOWN_SECONDARIES = {"finalized", "examined", "collected", "examinedPerSecond", "mutatorMaxPauseUs",
                     "ownerSide", "nonOwnerSide", "consume", "nettyConsume"}

# Primary results not shown: their secondary metric is the result (batches per second here).
HIDDEN_PRIMARIES = {"FinalizeBench.throughputSafethread", "FinalizeBench.throughputCleaner"}

# Units of "#" counters, by name, for the table and for absolute goals.
COUNTER_UNITS = {"mutatorMaxPauseUs": "us", "examinedPerSecond": "objects/s", "examined": "objects",
                 "collected": "objects"}

TIME_SCALE = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0}


def short_name(full):
    parts = full.split(".")
    return ".".join(parts[-2:])


def fmt(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    ax = abs(x)
    if ax >= 1e7:
        return f"{x:.3e}"
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def flat(raw):
    out = []
    for fork in raw or []:
        out.extend(v for v in fork if v is not None and not (isinstance(v, float) and math.isnan(v)))
    return out


def kind_of(unit):
    """('time', seconds per unit) for x/op, ('rate', per-second factor) for ops/x, else (None, 1)."""
    if unit.endswith("/op"):
        return "time", TIME_SCALE.get(unit[:-3], 1.0)
    if unit.startswith("ops/"):
        return "rate", 1.0 / TIME_SCALE.get(unit[4:], 1.0)
    if unit == "us":
        return "time", 1e-6
    if unit == "objects/s":
        return "rate", 1.0
    return None, 1.0


class Row:
    def __init__(self, key, params, mode, score, error, unit, p50=None, n=None):
        self.key, self.params, self.mode = key, params, mode
        self.score, self.error, self.unit, self.p50, self.n = score, error, unit, p50, n

    def compare_value(self):
        """The value used for ratios and goals, in seconds (time) or per second (rate)."""
        kind, scale = kind_of(self.unit)
        v = self.p50 if self.mode == "sample" and self.p50 is not None else self.score
        if v is None:
            return kind, None
        return kind, v * scale


def rows_of(result):
    key = short_name(result["benchmark"])
    params = ", ".join(f"{k}={v}" for k, v in sorted((result.get("params") or {}).items()))
    mode = result["mode"]
    pm = result["primaryMetric"]
    p50 = pm.get("scorePercentiles", {}).get("50.0") if mode == "sample" else None
    err = pm.get("scoreError")
    err = None if err in (None, "NaN") else float(err)
    rows = []
    if key not in HIDDEN_PRIMARIES:
        rows.append(Row(key, params, mode, pm["score"], err, pm["scoreUnit"], p50, len(flat(pm.get("rawData")))))
    for name, sm in (result.get("secondaryMetrics") or {}).items():
        if name not in SHOWN_SECONDARIES:
            continue
        unit = sm["scoreUnit"]
        score = sm["score"]
        error = sm.get("scoreError")
        error = None if error in (None, "NaN") else float(error)
        if unit == "#":
            vals = flat(sm.get("rawData"))
            if vals:
                score = sum(vals) / len(vals)
                if len(vals) > 1:
                    mean = score
                    sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
                    error = sd  # shown as a standard deviation for counters
                else:
                    error = None
            unit = COUNTER_UNITS.get(name, "#")
        rows.append(Row(f"{key}:{name}", params, mode, score, error, unit))
    return rows


def verdict(goal, row, ratio):
    if goal is None:
        return "", ""
    if goal[0] == "ratio":
        text = f"cost <= {goal[1]:.3g}x peer"
        if ratio is None:
            return text, "n/a"
        return text, "met" if ratio <= goal[1] else "MISSED"
    _, op, value, unit = goal
    kind, v = row.compare_value()
    if unit is not None:
        threshold = value * TIME_SCALE[unit]
        shown = f"{'median ' if row.mode == 'sample' else ''}{op} {fmt(value)} {unit}"
    else:
        threshold = value
        shown = f"{op} {fmt(value)} {row.unit}"
    if v is None:
        return shown, "n/a"
    ok = v < threshold if op == "<" else v >= threshold
    return shown, "met" if ok else "MISSED"


def main(paths):
    results = []
    for p in paths:
        try:
            with open(p) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            print(f"<!-- could not read {p}: {e} -->")
            continue
        for r in data:
            results.extend(rows_of(r))
    by_key = {}
    for r in results:
        by_key.setdefault((r.key, r.params), r)
        by_key.setdefault((r.key, None), r)

    print("| Benchmark | Params | Mode | Score | Error | Units | Median | Peer | Cost vs peer | Goal | Verdict |")
    print("|---|---|---|---:|---:|---|---:|---|---:|---|---|")
    goals = []
    for r in results:
        peer_key, goal = PEERS.get(r.key, (None, None))
        peer = None
        if peer_key:
            peer = by_key.get((peer_key, r.params)) or by_key.get((peer_key, None))
        ratio = None
        if peer is not None:
            kind, mine = r.compare_value()
            pkind, theirs = peer.compare_value()
            if mine and theirs and kind == pkind:
                ratio = mine / theirs if kind == "time" else theirs / mine
        goal_text, ok = verdict(goal, r, ratio)
        if goal:
            goals.append((r, goal_text, ok, ratio))
        error = fmt(r.error) if r.error is not None else ""
        if r.error is not None and r.unit in ("us", "objects/s", "objects", "#"):
            error = "sd " + error
        print(f"| {r.key} | {r.params} | {r.mode} | {fmt(r.score)} | {error} | {r.unit} | "
              f"{fmt(r.p50) if r.p50 is not None else ''} | {short_peer(peer_key) if peer_key else ''} | "
              f"{(fmt(ratio) + 'x') if ratio is not None else ''} | {goal_text} | {ok} |")
    missing = [k for k in PEERS if (k, None) not in by_key]
    print()
    print("Cost vs peer: time / peer time, or peer throughput / throughput (medians for SampleTime); "
          "below 1 is cheaper than the peer. Counter rows (#) show the mean per iteration and its "
          "standard deviation.")
    if goals:
        print()
        print("Goals:")
        print()
        for g in goals:
            params = f" [{g[0].params}]" if g[0].params else ""
            print(f"- {g[2]}: {g[0].key}{params}, {g[1]}")
    if missing:
        print()
        print("Not in these results: " + ", ".join(missing))


def short_peer(k):
    return k.split(".", 1)[1] if "." in k else k


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1:])
