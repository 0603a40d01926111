#!/usr/bin/env python3
"""Prints the benchmark result rows (TSV: bench, metric, unit, side A|B, value) as one table.

Several values for the same (bench, metric, side) are repetitions: the median is shown and the
number of repetitions is given in the last column. B/A is the ratio compare/main.
"""
import statistics
import sys


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    if v != v:
        return "n/a"
    if v == int(v) and abs(v) < 1e12:
        return str(int(v))
    if abs(v) >= 1000:
        return f"{v:.0f}"
    if abs(v) >= 100:
        return f"{v:.1f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def main():
    path = sys.argv[1]
    bin_a = sys.argv[2] if len(sys.argv) > 2 else ""
    bin_b = sys.argv[3] if len(sys.argv) > 3 else ""
    order, vals, units = [], {}, {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            bench, metric, unit, side, value = parts
            key = (bench, metric)
            if key not in vals:
                order.append(key)
                vals[key] = {"A": [], "B": []}
                units[key] = unit
            try:
                vals[key][side].append(float(value))
            except ValueError:
                vals[key][side].append(value)
    has_b = any(vals[k]["B"] for k in order)
    rows = []
    for key in order:
        a, b = vals[key]["A"], vals[key]["B"]

        def pick(xs):
            nums = [x for x in xs if not isinstance(x, str)]
            if not xs:
                return None
            if len(nums) == len(xs):
                real = [x for x in nums if x == x]
                return statistics.median(real) if real else float("nan")
            return xs[-1]

        va, vb = pick(a), pick(b)
        ratio = "-"
        if isinstance(va, float) and isinstance(vb, float) and va != 0 and va == va and vb == vb:
            ratio = f"{vb / va:.2f}"
        reps = max(len(a), len(b))
        row = [key[0], key[1], units[key], fmt(va)]
        if has_b:
            row += [fmt(vb), ratio]
        row.append(str(reps) if reps > 1 else "")
        rows.append(row)
    head = ["benchmark", "metric", "unit", "A"]
    if has_b:
        head += ["B", "B/A"]
    head.append("n")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    print(f"A = {bin_a}")
    if has_b:
        print(f"B = {bin_b}")
    print("(n > 1: median of n repetitions)")

    def line(r):
        cells = []
        for i, c in enumerate(r):
            # text columns left-aligned, numbers right-aligned
            cells.append(c.ljust(widths[i]) if i < 3 else c.rjust(widths[i]))
        return "  ".join(cells).rstrip()

    print(line(head))
    print("  ".join("-" * w for w in widths))
    last = None
    for r in rows:
        if last is not None and r[0] != last:
            print()
        print(line(r))
        last = r[0]


if __name__ == "__main__":
    main()
