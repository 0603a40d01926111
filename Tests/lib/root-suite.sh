# Preamble of the Tests/ci.d launchers of namespace suites (source it first):
#   source "$(dirname "$0")/../lib/root-suite.sh"; root_suite NAME
# root_suite NAME: runs from the repository root with the toolchain on PATH, fails with a clear
# message unless root (network namespaces need it), then builds the daemon (last build line).
root_suite() {
    local name=$1
    cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
    export PATH=/opt/swift/usr/bin:$PATH
    if [ "$(id -u)" -ne 0 ]; then
        echo "$name: needs root (network namespaces)" >&2
        exit 1
    fi
    swift build 2>&1 | tail -n 1
}
