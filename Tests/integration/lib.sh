# Shared helpers of the namespace integration tests (source it; needs root, iproute2).
#
# Topology (PROTOCOL.md §14.1, but everything lives in namespaces created here, so parallel
# runs never share a name and the root namespace is never touched):
#   $NS-hub        bridges: "srv" (mesh link of all daemons), "cb<i>" (client LAN of node i)
#   $NS-n<i>       daemon i: server0 (veth to srv), client0 (veth to cb<i>, 10.0.0.1/24,
#                  the same MAC on every node like gluon's next-node address)
#   $NS-<client>   one DHCP client each: interface $IFP<client> (veth to cb<i>)
# Roaming = moving a client's hub-side veth to another node's bridge.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DDHCPD=${DDHCPD:-$ROOT/.build/debug/ddhcpd}
[ -x "$DDHCPD" ] || { echo "lib: $DDHCPD not built (swift build)" >&2; exit 1; }
TEST_NAME=$(basename "$0" .sh)
RUN_ID=$(printf '%04x' $(( ($$ ^ RANDOM) % 65536 )))
NS="ddt$RUN_ID"           # namespace prefix
IFP="d$RUN_ID"            # prefix of client interface names (dhcpcd keys its files by name)
WORK=$(mktemp -d "/tmp/ddhcpd-$TEST_NAME.XXXXXX")
CTL="$WORK/ddhcpdctl"
ln -s "$DDHCPD" "$CTL"
HUB="$NS-hub"
declare -A DAEMON_PID=()
BG_PIDS=()

log() { printf '[%s %s] %s\n' "$TEST_NAME" "$(date +%T)" "$*"; }
fail() {
    printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2
    dump_logs >&2
    exit 1
}
pass() { log "ok: $*"; }

dump_logs() {
    for f in "$WORK"/*.log; do
        [ -s "$f" ] || continue
        echo "----- $(basename "$f") (last 40 lines)"
        tail -n 40 "$f"
    done
}

cleanup() {
    local rc=$?
    set +e
    for pid in "${DAEMON_PID[@]}" "${BG_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NS-"); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    rm -f /var/lib/dhcpcd/"$IFP"* /run/dhcpcd/"$IFP"* 2>/dev/null
    if [ $rc -ne 0 ] || [ -n "${KEEP_WORK:-}" ]; then
        echo "[$TEST_NAME] work directory kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS CMD… — polls CMD every 0.1 s until it succeeds; false on timeout.
wait_for() {
    local deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
    until "$@" >/dev/null 2>&1; do
        [ $(( $(date +%s%N) / 1000000 )) -lt $deadline ] || return 1
        sleep 0.1
    done
}

# in_ns NS CMD… — run CMD inside namespace NS.
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

mesh_create() {
    ip netns add "$HUB"
    ip -n "$HUB" link set lo up
    ip -n "$HUB" link add srv type bridge mcast_snooping 0
    ip -n "$HUB" link set srv up
}

# node_create I — daemon namespace I with server0 on the mesh bridge and client0 on cb<I>.
node_create() {
    local i=$1 ns="$NS-n$1"
    ip netns add "$ns"
    # No duplicate address detection: the link-local address must be usable at once.
    in_ns "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    ip -n "$ns" link set lo up
    ip -n "$HUB" link add "cb$i" type bridge mcast_snooping 0
    ip -n "$HUB" link set "cb$i" up
    ip -n "$HUB" link add "s$i" type veth peer name server0 netns "$ns"
    ip -n "$HUB" link set "s$i" master srv up
    ip -n "$HUB" link add "c$i" type veth peer name client0 netns "$ns"
    ip -n "$HUB" link set "c$i" master "cb$i" up
    ip -n "$ns" link set server0 up
    ip -n "$ns" link set client0 address 02:00:0a:00:00:01
    ip -n "$ns" addr add 10.0.0.1/24 dev client0
    ip -n "$ns" link set client0 up
}

# client_create NAME NODE — a client namespace whose interface $IFP$NAME is on cb<NODE>.
client_create() {
    local name=$1 node=$2 ns="$NS-$1" ifname="$IFP$1"
    ip netns add "$ns"
    in_ns "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
    ip -n "$ns" link set lo up
    ip -n "$HUB" link add "k$name" type veth peer name "$ifname" netns "$ns"
    ip -n "$HUB" link set "k$name" master "cb$node" up
    ip -n "$ns" link set "$ifname" up
}

# client_move NAME NODE — roam: the client's link now ends on node NODE's client bridge.
client_move() { ip -n "$HUB" link set "k$1" master "cb$2"; }

# daemon_start I ARGS… — ddhcpd in node I's namespace, control socket $WORK/ctl<I>,
# output in $WORK/d<I>.log.
daemon_start() {
    local i=$1; shift
    ip netns exec "$NS-n$i" env NODE="$i" "$DDHCPD" -C "$WORK/ctl$i" -i server0 -c client0 "$@" \
        >>"$WORK/d$i.log" 2>&1 &
    DAEMON_PID[$i]=$!
    wait_for 5 test -S "$WORK/ctl$i" || fail "daemon $i did not create its control socket"
}

daemon_stop() {
    local i=$1 pid=${DAEMON_PID[$1]}
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "DAEMON_PID[$i]"
}

daemon_kill() {
    local i=$1 pid=${DAEMON_PID[$1]}
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "DAEMON_PID[$i]"
}

ctl() { local i=$1; shift; "$CTL" -C "$WORK/ctl$i" "$@"; }

# blocks I — "index state owner" rows of node I's block table.
blocks() { ctl "$1" -b | awk -F'\t' 'NF == 6 && $1 ~ /^[0-9]+$/ {print $1, $2, $3}'; }

# node_id I — node I's id as the block table prints it.
node_id() { ctl "$1" -b | awk -F'\t' '$1 == "node id" {print $2}'; }

# owned I — indexes of the blocks node I owns (state 4).
owned() { blocks "$1" | awk '$2 == 4 {print $1}'; }

# hook_script — writes a hook that appends "node=<i> ACTION ARGS" to $WORK/hooks.log.
hook_script() {
    cat >"$WORK/hook.sh" <<HOOK
echo "node=\$NODE \$*" >>"$WORK/hooks.log"
HOOK
    echo "$WORK/hook.sh"
}
