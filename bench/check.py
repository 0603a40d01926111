#!/usr/bin/env python3
"""Fails (exit 1) if a benchmark measured nothing. Used by the smoke test, not to judge speed.

Usage: check.py RESULTS BENCH,BENCH… [STATIC_SIDE…]
Reads the result rows (TSV: bench, metric, unit, side, value) and requires, for every side:
  dhcp         every "DORA/s completed" > 0 and every ACK cross-check ratio present
  first-lease  every "total" a number (a lease was obtained)
  mesh         every "multicast pkts/node/min (capture)" and "(daemon stats)" > 0
  memory       every "VmRSS" > 0; "allocations per DORA" a number unless the binary is static
"""
import sys


def main():
    rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.count("\t") == 4]
    expected = [b for b in sys.argv[2].split(",") if b]  # benchmarks that were run
    static = set(sys.argv[3:])  # sides whose binary is static (no allocation count possible)
    problems = []
    seen = {b: 0 for b in expected}

    def num(v):
        try:
            x = float(v)
            return None if x != x else x
        except ValueError:
            return None

    for bench, metric, unit, side, value in rows:
        if bench in seen:
            seen[bench] += 1
        v = num(value)
        bad = False
        if bench == "dhcp" and metric.endswith("DORA/s completed"):
            bad = v is None or v <= 0
        elif bench == "dhcp" and "ACKs sent (daemon)" in metric:
            bad = v is None or v <= 0
        elif bench == "first-lease" and metric.endswith(": total"):
            bad = v is None or v <= 0
        elif bench == "mesh" and metric.endswith("multicast pkts/node/min (capture)"):
            bad = v is None or v <= 0
        elif bench == "mesh" and metric.endswith("multicast pkts/node/min (daemon stats)"):
            bad = v is None or v <= 0
        elif bench == "memory" and metric.endswith("VmRSS"):
            bad = v is None or v <= 0
        elif bench == "memory" and metric.startswith("allocations per DORA") and side not in static:
            bad = v is None
        if bad:
            problems.append(f"{bench}: {metric} [{side}] = {value}")
    for bench, n in seen.items():
        if n == 0:
            problems.append(f"{bench}: no results at all")
    for p in problems:
        print("measured nothing:", p)
    print(f"check: {len(rows)} results, {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
