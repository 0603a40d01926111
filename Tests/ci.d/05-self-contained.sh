#!/usr/bin/env bash
# The repository explains itself: no tracked file (this one included) refers to a document
# outside it, and every reference into docs/ resolves.
#   1. none of these appear anywhere: quirk ids "Q-<digit>", the section sign, a path into
#      the shared folder next to the clone, the names of the external specification files, the word for the external
#      task description (the patterns are spelled below so that this file does not match them);
#   2. every docs/protocol.md#<anchor> (and the ", #<anchor>" list after one) names a heading of
#      docs/protocol.md;
#   3. every decision id D-nn (or D-nnn) cited in a tracked file is defined in docs/decisions.md.
# Takes about a second.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
section=$(printf '\302\247')
patterns=('Q-[0-9]' "$section" '\.\./shared' 'PROTOCOL[.]md' 'TOOLCHAIN[.]md' 'BRIE[F]')
failed=0
for p in "${patterns[@]}"; do
    if hits=$(git grep -nE -e "$p" -- .); then
        echo "05-self-contained: a reference outside the repository (/$p/):" >&2
        echo "$hits" | head -n 20 >&2
        failed=1
    fi
done

git ls-files -z | python3 -c '
import re, sys
files = [f for f in sys.stdin.read().split("\0") if f]

def anchor(heading):
    # GitHub: lower case, punctuation dropped (not "-"), spaces become "-".
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")

protocol = open("docs/protocol.md", encoding="utf-8").read()
anchors = {anchor(h) for h in re.findall(r"^#+ (.+)$", protocol, re.M)}
decisions = open("docs/decisions.md", encoding="utf-8").read()
defined = set(re.findall(r"^\*\*(D-\d\d\d?) ", decisions, re.M))
bad = []
for f in files:
    try:
        text = open(f, encoding="utf-8").read()
    except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
        continue
    for n, line in enumerate(text.split("\n"), 1):
        for m in re.finditer(r"protocol\.md((?:#[a-z0-9_-]+(?:,? )?)+)", line):
            for a in re.findall(r"#([a-z0-9_-]+)", m.group(1)):
                if a not in anchors:
                    bad.append("%s:%d: no heading for docs/protocol.md#%s" % (f, n, a))
        for d in re.findall(r"\b(D-\d\d\d?)\b", line):
            if d not in defined:
                bad.append("%s:%d: %s is not defined in docs/decisions.md" % (f, n, d))
for b in bad:
    print("05-self-contained: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
' || failed=1

if [ "$failed" -eq 0 ]; then
    echo "ok: no references outside the repository; docs/protocol.md anchors and D-nn ids resolve"
fi
exit "$failed"
