# shellcheck shell=bash disable=SC2034
# Shared helpers for the benchmarks in bench/ (sourced, not run).
#
# Every benchmark measures one or two daemon binaries with ddhcpd's command line
# (docs/protocol.md, "Command line") in network namespaces it creates itself (Tests/lib/netns.sh:
# unique names, everything removed on exit), and prints numbers; none asserts anything about
# speed. Traffic only ever goes to addresses inside those namespaces.
#
# Common options (parsed by bench_parse_args):
#   --bin PATH[,CTL]      binary under test (default: .build/release/ddhcpd of this repo)
#   --compare PATH[,CTL]  second binary, measured in the same namespaces in alternation
#   --quick               short windows (smoke test: proves the benchmark measures something)
#   --results FILE        append result rows (TSV) to FILE instead of printing a table at the end
# CTL is the binary's control client when it is a separate program (the C daemon's ddhcpdctl);
# without it, ddhcpdctl for a binary is the same binary invoked through a symlink named ddhcpdctl.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
export PATH=/opt/swift/usr/bin:/usr/sbin:/sbin:$PATH

BIN_A="" BIN_B="" CTL_A="" CTL_B="" QUICK=0 RESULTS="" OWN_RESULTS=0
WORK=""

bench_die() { echo "bench: $*" >&2; exit 1; }
bench_log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# bench_binary_pair SPEC NAME — "DAEMON[,CTL]" → "DAEMON<TAB>CTL" with both resolved (CTL
# empty when not given); dies when a file is missing.
bench_binary_pair() {
    local daemon=${1%%,*} ctl=""
    [ "$daemon" = "$1" ] || ctl=${1#*,}
    daemon=$(readlink -f "$daemon"); [ -x "$daemon" ] || bench_die "$2 binary not found: ${1%%,*}"
    if [ -n "$ctl" ]; then ctl=$(readlink -f "$ctl"); [ -x "$ctl" ] || bench_die "$2 control client not found: ${1#*,}"; fi
    printf '%s\t%s\n' "$daemon" "$ctl"
}

bench_parse_args() {
    local pair
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
    pair=$(bench_binary_pair "$BIN_A" binary) || exit 1
    IFS=$'\t' read -r BIN_A CTL_A <<<"$pair"
    [ -x "$BIN_A" ] || bench_die "binary not found: $BIN_A (swift build -c release?)"
    if [ -n "$BIN_B" ]; then
        pair=$(bench_binary_pair "$BIN_B" compare) || exit 1
        IFS=$'\t' read -r BIN_B CTL_B <<<"$pair"
    fi
    [ "$(id -u)" -eq 0 ] || bench_die "needs root (network namespaces)"
    # shellcheck source=Tests/lib/netns.sh
    source "$REPO_DIR/Tests/lib/netns.sh"
    # Network names are short (interface names ≤ 15 bytes) and unique per benchmark process.
    TAG=$NETNS_PREFIX
    WORK=$(netns_work_dir "bench.$TAG")
    if [ -z "$RESULTS" ]; then RESULTS=$WORK/results.tsv; OWN_RESULTS=1; fi
    : >>"$RESULTS"
    netns_on_exit bench_finish
}

# The binaries to measure: "A" always, "B" with --compare.
bench_sides() { if [ -n "$BIN_B" ]; then echo A B; else echo A; fi; }
bench_bin() { if [ "$1" = A ]; then echo "$BIN_A"; else echo "$BIN_B"; fi; }

# On exit, after the namespaces are gone: the table (when this benchmark owns the results).
bench_finish() {
    local rc=$1
    if [ "$OWN_RESULTS" = 1 ] && [ "$rc" -eq 0 ] && [ -s "$RESULTS" ]; then
        bench_print_table "$RESULTS"
    fi
    [ -n "$WORK" ] && [ -z "${BENCH_KEEP:-}" ] && rm -rf "$WORK"
}

bench_track_pid() { netns_track_pid "$1"; }
bench_untrack_pid() { netns_untrack_pid "$1"; }

# ---------------------------------------------------------------- topology

ns_new() { netns_add "$1" || bench_die "cannot create namespace $1"; }

# mesh_create N: a bridge namespace MESH_NS (bridge "mesh0") and N nodes. Node i has namespace
# NODE_NS[i] with server0 (veth into the bridge) and client0 (10.254.i.1/24, veth into the client
# namespace CLI_NS[i], where the client side is "cl0" with 10.254.i.2/24). perfdhcp works as a
# relay (giaddr = its own address, replies expected at giaddr:67); dhcpclient.py is a plain
# client on cl0 (replies broadcast to port 68).
MESH_NS="" NODE_NS=() CLI_NS=()
mesh_create() {
    local n=$1 i
    MESH_NS=$TAG-mesh; ns_new "$MESH_NS"
    netns_bridge "$MESH_NS" mesh0 stp_state 0 forward_delay 0
    ip netns exec "$MESH_NS" sysctl -qw net.ipv6.conf.mesh0.disable_ipv6=1
    NODE_NS=() CLI_NS=()
    for i in $(seq 0 $((n - 1))); do
        NODE_NS[i]=$TAG-n$i; CLI_NS[i]=$TAG-c$i
        ns_new "${NODE_NS[i]}"; ns_new "${CLI_NS[i]}"
        netns_veth "$MESH_NS" "${TAG}m$i" "${NODE_NS[i]}" server0 || bench_die "veth"
        ip -n "$MESH_NS" link set "${TAG}m$i" master mesh0
        ip netns exec "$MESH_NS" sysctl -qw "net.ipv6.conf.${TAG}m$i.disable_ipv6=1"
        ip -n "$MESH_NS" link set "${TAG}m$i" up
        netns_veth "${NODE_NS[i]}" client0 "${CLI_NS[i]}" cl0 || bench_die "veth"
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
# our daemon answers giaddr:67 (docs/decisions.md D-21), but the C ddhcpd broadcasts to port 68
# (docs/protocol.md#reply-destination). This DNATs such broadcasts in the client namespace to
# perfdhcp's socket. Only for namespaces where no plain DHCP client (dhcpclient.py, port 68) runs.
perfdhcp_broadcast_fallback() {
    local i=$1
    if command -v iptables >/dev/null; then
        ip netns exec "${CLI_NS[i]}" iptables -t nat -A PREROUTING -i cl0 -d 255.255.255.255 -p udp \
            --dport 68 -j DNAT --to-destination "10.254.$i.2:67" 2>/dev/null \
            || bench_log "note: no iptables DNAT; a daemon that broadcasts replies to port 68 completes no perfdhcp exchange"
    fi
}

# ---------------------------------------------------------------- daemons

# ctl_path BIN: the control client for BIN — the one given with it ("--bin DAEMON,CTL"), else a
# ddhcpdctl symlink to BIN (this daemon's binary picks its role from argv[0]).
ctl_path() {
    local bin=$1 dir
    if [ "$bin" = "$BIN_A" ] && [ -n "$CTL_A" ]; then echo "$CTL_A"; return; fi
    if [ "$bin" = "$BIN_B" ] && [ -n "$CTL_B" ]; then echo "$CTL_B"; return; fi
    dir=$WORK/ctl-$(echo "$bin" | md5sum | cut -c1-8)
    [ -e "$dir/ddhcpdctl" ] || { mkdir -p "$dir"; ln -s "$bin" "$dir/ddhcpdctl"; }
    echo "$dir/ddhcpdctl"
}

# daemon_start LABEL NODE BIN ARGS… → sets DAEMON_PID; control socket $WORK/LABEL.ctl,
# stdout+stderr in $WORK/LABEL.log. Waits (≤ 5 s) until the control socket answers.
DAEMON_PID=""
daemon_start() {
    local label=$1 node=$2 bin=$3; shift 3
    [ -d "$WORK" ] || bench_die "work directory $WORK vanished (removed by another process?)"
    : >"$WORK/$label.log"
    netns_daemon_start "${NODE_NS[node]}" "$bin" "$(ctl_path "$bin")" "$WORK/$label.ctl" "$WORK/$label.log" \
        -i server0 -c client0 "$@"
    local ok=$?
    DAEMON_PID=$NETNS_DAEMON_PID
    [ $ok -eq 0 ] && return 0
    echo "bench: daemon $label did not start: $bin $*" >&2
    tail -n 20 "$WORK/$label.log" >&2
    return 1
}

# daemon_stop PID: SIGTERM, wait ≤ 3 s, then SIGKILL. Sets DAEMON_RC (exit status) and
# DAEMON_STOP_MS (time from SIGTERM to exit).
DAEMON_RC="" DAEMON_STOP_MS=""
daemon_stop() {
    netns_daemon_stop "$1"
    DAEMON_RC=$NETNS_DAEMON_RC DAEMON_STOP_MS=$NETNS_DAEMON_STOP_MS
    [ "$DAEMON_RC" = 0 ] || bench_log "warning: daemon $1 exit status $DAEMON_RC"
}

# ctl BIN LABEL ARGS…: run ddhcpdctl against daemon LABEL.
ctl() { local bin=$1 label=$2; shift 2; timeout 5 "$(ctl_path "$bin")" -C "$WORK/$label.ctl" "$@"; }

# stat_of FILE NAME: value of one docs/protocol.md#statistics statistics line ("name value"), empty
# if absent.
stat_of() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }

# owned_blocks BIN LABEL: number of rows in state 4 (OURS) of the block table
# (docs/protocol.md#block-table).
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
