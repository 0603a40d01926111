#!/usr/bin/env bash
# Runs every test suite: each Tests/ci.d/NN-name.sh in order. Prints one closing line
# "tests: N passed, N failed" and exits non-zero if any suite failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
passed=0 failed=0 failed_names=()
for suite in Tests/ci.d/*.sh; do
    name=$(basename "$suite" .sh)
    echo "=== $name"
    start=$(date +%s)
    if bash "$suite"; then
        passed=$((passed + 1)); echo "=== $name: ok ($(( $(date +%s) - start )) s)"
    else
        failed=$((failed + 1)); failed_names+=("$name"); echo "=== $name: FAILED ($(( $(date +%s) - start )) s)"
    fi
done
[ ${#failed_names[@]} -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
