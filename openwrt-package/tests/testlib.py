"""Helpers shared by the openwrt-package tests: one result line per case, scratch files, and
the closing summary (exit status 1 if any case failed)."""
import os
import sys

failures = 0
skipped = 0


def report(label, problems):
    global failures
    if problems:
        failures += 1
        print("FAIL %s\n  %s" % (label, "\n  ".join(problems)))
    else:
        print("ok   %s" % label)


def skip(label, reason):
    global skipped
    skipped += 1
    print("SKIP %s: %s" % (label, reason))


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def finish(name):
    print("%s: %s%s" % (name, "all cases passed" if failures == 0 else "%d case(s) FAILED" % failures,
                        ", %d skipped" % skipped if skipped else ""))
    sys.exit(1 if failures else 0)
