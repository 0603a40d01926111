# shellcheck shell=bash disable=SC2034
# Shared helpers for the benchmarks in bench/ (sourced, not run).
#
# Every benchmark measures one or two daemon binaries with ddhcpd's command line (PROTOCOL.md
# §11.1) in network namespaces it creates itself, and prints numbers; none asserts anything
# about speed. Traffic only ever goes to addresses inside those namespaces.
#
# Common options (parsed by bench_parse_args):
#   --bin PATH       binary under test (default: .build/release/ddhcpd of this repo)
#   --compare PATH   second binary, measured in the same namespaces in alternation
#   --quick          short windows (smoke test: proves the benchmark measures something)
#   --results FILE   append result rows (TSV) to FILE instead of printing a table at the end
# ddhcpdctl for a binary is the same binary invoked through a symlink named ddhcpdctl.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
export PATH=/opt/swift/usr/bin:/usr/sbin:/sbin:$PATH

BIN_A="" BIN_B="" QUICK=0 RESULTS="" OWN_RESULTS=0
# Network names are short (interface names ≤ 15 bytes) and unique per benchmark process.
TAG="b$(( $$ % 100000 ))"
WORK=""
_bench_ns=() _bench_pids=() _bench_links=()

bench_die() { echo "bench: $*" >&2; exit 1; }
bench_log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

bench_parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --bin) BIN_A=$2; shift 2 ;;
            --compare) BIN_B=$2; shift 2 ;;
            --quick) QUICK=1; shift ;;
            --results) RESULTS=$2; shift 2 ;;
            -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
            *) bench_die "unknown argument: $1" ;;
        esac
    done
    [ -n "$BIN_A" ] || BIN_A=$REPO_DIR/.build/release/ddhcpd
    BIN_A=$(readlink -f "$BIN_A"); [ -x "$BIN_A" ] || bench_die "binary not found: $BIN_A (swift build -c release?)"
    if [ -n "$BIN_B" ]; then
        BIN_B=$(readlink -f "$BIN_B"); [ -x "$BIN_B" ] || bench_die "compare binary not found: $BIN_B"
    fi
    [ "$(id -u)" -eq 0 ] || bench_die "needs root (network namespaces)"
    WORK=$(mktemp -d "/tmp/ddhcpbench.$TAG.XXXXXX")
    if [ -z "$RESULTS" ]; then RESULTS=$WORK/results.tsv; OWN_RESULTS=1; fi
    : >>"$RESULTS"
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM HUP
}

# The binaries to measure: "A" always, "B" with --compare.
bench_sides() { if [ -n "$BIN_B" ]; then echo A B; else echo A; fi; }
bench_bin() { if [ "$1" = A ]; then echo "$BIN_A"; else echo "$BIN_B"; fi; }

bench_cleanup() {
    local rc=$? pid ns i
    trap - EXIT INT TERM HUP
    for pid in "${_bench_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for i in $(seq 20); do
        local alive=0
        for pid in "${_bench_pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for pid in "${_bench_pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    for ns in "${_bench_ns[@]}"; do ip netns del "$ns" 2>/dev/null; done
    for i in "${_bench_links[@]}"; do ip link del "$i" 2>/dev/null; done
    if [ "$OWN_RESULTS" = 1 ] && [ $rc -eq 0 ] && [ -s "$RESULTS" ]; then
        bench_print_table "$RESULTS"
    fi
    [ -n "$WORK" ] && [ -z "${BENCH_KEEP:-}" ] && rm -rf "$WORK"
    exit $rc
}

bench_track_pid() { _bench_pids+=("$1"); }
bench_untrack_pid() {
    local keep=() p
    for p in "${_bench_pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    _bench_pids=("${keep[@]}")
}

# ---------------------------------------------------------------- topology

ns_new() {
    ip netns add "$1" || bench_die "cannot create namespace $1"
    _bench_ns+=("$1")
    ip -n "$1" link set lo up
    # No duplicate address detection: link-local addresses are usable at once.
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

# mesh_create N: a bridge namespace MESH_NS (bridge "mesh0") and N nodes. Node i has namespace
# NODE_NS[i] with server0 (veth into the bridge) and client0 (10.254.i.1/24, veth into the client
# namespace CLI_NS[i], where the client side is "cl0" with 10.254.i.2/24). perfdhcp works as a
# relay (giaddr = its own address, replies expected at giaddr:67); dhcpclient.py is a plain
# client on cl0 (replies broadcast to port 68).
MESH_NS="" NODE_NS=() CLI_NS=()
mesh_create() {
    local n=$1 i
    MESH_NS=$TAG-mesh; ns_new "$MESH_NS"
    ip -n "$MESH_NS" link add mesh0 type bridge
    ip -n "$MESH_NS" link set mesh0 type bridge mcast_snooping 0 stp_state 0 forward_delay 0
    ip netns exec "$MESH_NS" sysctl -qw net.ipv6.conf.mesh0.disable_ipv6=1
    ip -n "$MESH_NS" link set mesh0 up
    NODE_NS=() CLI_NS=()
    for i in $(seq 0 $((n - 1))); do
        NODE_NS[i]=$TAG-n$i; CLI_NS[i]=$TAG-c$i
        ns_new "${NODE_NS[i]}"; ns_new "${CLI_NS[i]}"
        ip link add "${TAG}m$i" type veth peer name "${TAG}s$i" || bench_die "veth"
        ip link set "${TAG}m$i" netns "$MESH_NS"; ip link set "${TAG}s$i" netns "${NODE_NS[i]}"
        ip -n "$MESH_NS" link set "${TAG}m$i" master mesh0
        ip netns exec "$MESH_NS" sysctl -qw "net.ipv6.conf.${TAG}m$i.disable_ipv6=1"
        ip -n "$MESH_NS" link set "${TAG}m$i" up
        ip -n "${NODE_NS[i]}" link set "${TAG}s$i" name server0
        ip link add "${TAG}k$i" type veth peer name "${TAG}c$i" || bench_die "veth"
        ip link set "${TAG}k$i" netns "${NODE_NS[i]}"; ip link set "${TAG}c$i" netns "${CLI_NS[i]}"
        ip -n "${NODE_NS[i]}" link set "${TAG}k$i" name client0
        ip -n "${CLI_NS[i]}" link set "${TAG}c$i" name cl0
        ip -n "${NODE_NS[i]}" addr add "10.254.$i.1/24" dev client0
        ip -n "${CLI_NS[i]}" addr add "10.254.$i.2/24" dev cl0
        ip -n "${NODE_NS[i]}" link set server0 up
        ip -n "${NODE_NS[i]}" link set client0 up
        ip -n "${CLI_NS[i]}" link set cl0 up
    done
    # Wait (bounded) until every server0 has its IPv6 link-local address.
    for i in $(seq 0 $((n - 1))); do
        local t
        for t in $(seq 50); do
            ip -n "${NODE_NS[i]}" -6 addr show dev server0 scope link | grep -q inet6 && break
            sleep 0.1
        done
    done
}

# perfdhcp_broadcast_fallback NODE: lets perfdhcp also measure a daemon without relay support.
# perfdhcp always acts as a relay (giaddr = its address, listens on port 67 of that address);
# our daemon answers giaddr:67 (BRIEF Q-21), but the C ddhcpd broadcasts to port 68 (§7.3).
# This DNATs such broadcasts in the client namespace to perfdhcp's socket. Only for namespaces
# where no plain DHCP client (dhcpclient.py, port 68) runs.
perfdhcp_broadcast_fallback() {
    local i=$1
    if command -v iptables >/dev/null; then
        ip netns exec "${CLI_NS[i]}" iptables -t nat -A PREROUTING -i cl0 -d 255.255.255.255 -p udp \
            --dport 68 -j DNAT --to-destination "10.254.$i.2:67" 2>/dev/null \
            || bench_log "note: no iptables DNAT; a daemon that broadcasts replies to port 68 completes no perfdhcp exchange"
    fi
}

# ---------------------------------------------------------------- daemons

# ctl_path BIN: a ddhcpdctl symlink to BIN (the binary picks its role from argv[0]).
ctl_path() {
    local bin=$1 dir
    dir=$WORK/ctl-$(echo "$bin" | md5sum | cut -c1-8)
    [ -e "$dir/ddhcpdctl" ] || { mkdir -p "$dir"; ln -s "$bin" "$dir/ddhcpdctl"; }
    echo "$dir/ddhcpdctl"
}

# daemon_start LABEL NODE BIN ARGS… → sets DAEMON_PID; control socket $WORK/LABEL.ctl,
# stdout+stderr in $WORK/LABEL.log. Waits (≤ 5 s) until the control socket answers.
DAEMON_PID=""
daemon_start() {
    local label=$1 node=$2 bin=$3; shift 3
    local ctl=$WORK/$label.ctl
    [ -d "$WORK" ] || bench_die "work directory $WORK vanished (removed by another process?)"
    rm -f "$ctl"
    ip netns exec "${NODE_NS[node]}" "$bin" -i server0 -c client0 -C "$ctl" "$@" \
        >"$WORK/$label.log" 2>&1 &
    DAEMON_PID=$!
    bench_track_pid "$DAEMON_PID"
    local t
    for t in $(seq 100); do
        if [ -S "$ctl" ] && "$(ctl_path "$bin")" -C "$ctl" -b >/dev/null 2>&1; then return 0; fi
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "bench: daemon $label did not start: $bin $*" >&2
    tail -n 20 "$WORK/$label.log" >&2
    return 1
}

# daemon_stop PID: SIGTERM, wait ≤ 3 s, then SIGKILL. Sets DAEMON_RC (exit status) and
# DAEMON_STOP_MS (time from SIGTERM to exit).
DAEMON_RC="" DAEMON_STOP_MS=""
daemon_stop() {
    local pid=$1 t t0
    t0=$(date +%s%N)
    kill -TERM "$pid" 2>/dev/null
    for t in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
    DAEMON_STOP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null; DAEMON_RC=$?
    bench_untrack_pid "$pid"
    [ "$DAEMON_RC" = 0 ] || bench_log "warning: daemon $pid exit status $DAEMON_RC"
}

# ctl BIN LABEL ARGS…: run ddhcpdctl against daemon LABEL.
ctl() { local bin=$1 label=$2; shift 2; timeout 5 "$(ctl_path "$bin")" -C "$WORK/$label.ctl" "$@"; }

# stat_of FILE NAME: value of one §13 statistics line ("name value"), empty if absent.
stat_of() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }

# owned_blocks BIN LABEL: number of rows in state 4 (OURS) of the block table (§9.3).
owned_blocks() { ctl "$1" "$2" -b 2>/dev/null | awk -F'\t' 'NF >= 6 && $1 ~ /^[0-9]+$/ && $2 == 4 { n++ } END { print n + 0 }'; }
claiming_blocks() { ctl "$1" "$2" -b 2>/dev/null | awk -F'\t' 'NF >= 6 && $1 ~ /^[0-9]+$/ && $2 == 3 { n++ } END { print n + 0 }'; }

# cpu_ns PID: CPU time the process has used so far, in ns (scheduler accounting, finer than
# the 10 ms ticks of /proc/PID/stat).
cpu_ns() {
    if [ -r "/proc/$1/schedstat" ]; then awk '{ print $1 }' "/proc/$1/schedstat"
    else awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($14 + $15) * 1e9 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; fi
}

# ---------------------------------------------------------------- results

# emit BENCH METRIC UNIT SIDE VALUE: one measured number. SIDE is A or B.
emit() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$RESULTS"; }

# bench_print_table FILE: one row per (bench, metric) with A, B and B/A.
bench_print_table() {
    python3 "$BENCH_DIR/table.py" "$1" "${BIN_A:-}" "${BIN_B:-}"
}

# Wall-clock seconds with fractions (for timing windows).
now_s() { date +%s.%N; }
fcalc() { python3 -c "print($*)"; }
