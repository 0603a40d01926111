#!/usr/bin/env python3
"""Reads a perfdhcp (Kea 2.x) DHCPv4 report run with `-x t` and prints key=value lines.

Keys: rate (4-way exchanges/s as perfdhcp computed it), do_sent, do_recv, do_drops, ra_sent,
ra_recv, ra_drops, orphans, rejected, nonunique, and latency percentiles in ms from the per-
exchange timestamps (do_p50, do_p90, do_p99, do_max, ra_…). "do" = DISCOVER→OFFER,
"ra" = REQUEST→ACK. A full DORA as the client sees it takes do + ra (+ the client's own time).
"""
import re
import sys


def pct(xs, p):
    if not xs:
        return "nan"
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return f"{xs[k]:.3f}"


def main():
    text = open(sys.argv[1], errors="replace").read()
    out = {}
    m = re.search(r"Rate: ([0-9.]+) 4-way exchanges/second", text)
    out["rate"] = m.group(1) if m else "0"
    sections = re.split(r"\*\*\*(Statistics|Timestamps) for(?: packets)?: ([A-Z-]+)\*\*\*", text)
    # re.split with 2 groups: [pre, kind, name, body, kind, name, body, ...]
    stats, times = {}, {}
    for i in range(1, len(sections) - 2, 3):
        kind, name, body = sections[i], sections[i + 1], sections[i + 2]
        (stats if kind == "Statistics" else times)[name] = body
    for short, name in (("do", "DISCOVER-OFFER"), ("ra", "REQUEST-ACK")):
        body = stats.get(name, "")

        def num(label):
            mm = re.search(label + r": ([0-9]+)", body)
            return int(mm.group(1)) if mm else 0

        out[short + "_sent"] = num("sent packets")
        out[short + "_recv"] = num("received packets")
        out[short + "_drops"] = num("drops")
        if short == "do":
            out["orphans"] = num("orphans")
            out["rejected"] = num("rejected leases")
            out["nonunique"] = num("non unique addresses")
        delays = []
        for a, b in re.findall(r"sent / received: ([0-9.]+) / ([0-9.]+)", times.get(name, "")):
            delays.append((float(b) - float(a)) * 1000.0)
        for p in (50, 90, 99):
            out[f"{short}_p{p}"] = pct(delays, p)
        out[short + "_max"] = f"{max(delays):.3f}" if delays else "nan"
        out[short + "_n"] = len(delays)
    for k, v in out.items():
        print(f"{k}={v}")


if __name__ == "__main__":
    main()
