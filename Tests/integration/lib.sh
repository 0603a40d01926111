# shellcheck shell=bash
# Shared helpers of the namespace integration tests (source it; needs root, iproute2). The
# namespaces, processes and clean-up come from Tests/lib/netns.sh; this file adds the test
# mesh and what the suites assert with.
#
# Topology (everything lives in namespaces of this run, so parallel runs never share a name
# and the root namespace is never touched):
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
# shellcheck source=Tests/lib/netns.sh
source "$ROOT/Tests/lib/netns.sh"
RUN_ID=$NETNS_RUN_ID
NS=$NETNS_PREFIX          # namespace prefix
IFP="d$RUN_ID"            # prefix of client interface names (dhcpcd keys its files by name)
NETNS_CLIENT_IFPREFIX=$IFP
WORK=$(netns_work_dir "$TEST_NAME")
CTL="$WORK/ddhcpdctl"
ln -s "$DDHCPD" "$CTL"
HUB="$NS-hub"
# Daemons by node (or by a name the suite picks) and other background processes: the suites
# add to these directly; whatever is left in them is stopped on exit.
declare -A DAEMON_PID=()
BG_PIDS=()

log() { printf '[%s %s] %s\n' "$TEST_NAME" "$(date +%T)" "$*"; }
fail() {
    printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2
    [ -d "$WORK" ] || printf '[%s] (the work directory %s was removed by someone else during the run)\n' "$TEST_NAME" "$WORK" >&2
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

_integration_exit() {
    local rc=$1 pid
    for pid in "${DAEMON_PID[@]}" "${BG_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    if [ "$rc" -ne 0 ] || [ -n "${KEEP_WORK:-}" ]; then
        echo "[$TEST_NAME] work directory kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
netns_on_exit _integration_exit

mesh_create() {
    netns_add "$HUB"
    netns_bridge "$HUB" srv
}

# node_create I — daemon namespace I with server0 on the mesh bridge and client0 on cb<I>.
node_create() {
    local i=$1 ns="$NS-n$1"
    netns_add "$ns"
    netns_bridge "$HUB" "cb$i"
    netns_veth "$HUB" "s$i" "$ns" server0
    ip -n "$HUB" link set "s$i" master srv up
    netns_veth "$HUB" "c$i" "$ns" client0
    ip -n "$HUB" link set "c$i" master "cb$i" up
    ip -n "$ns" link set server0 up
    ip -n "$ns" link set client0 address 02:00:0a:00:00:01
    ip -n "$ns" addr add 10.0.0.1/24 dev client0
    ip -n "$ns" link set client0 up
}

# client_create NAME NODE — a client namespace whose interface $IFP$NAME is on cb<NODE>.
client_create() {
    local name=$1 node=$2 ns="$NS-$1" ifname="$IFP$1"
    netns_add "$ns" noipv6
    netns_veth "$HUB" "k$name" "$ns" "$ifname"
    ip -n "$HUB" link set "k$name" master "cb$node" up
    ip -n "$ns" link set "$ifname" up
}

# client_move NAME NODE — roam: the client's link now ends on node NODE's client bridge.
client_move() { ip -n "$HUB" link set "k$1" master "cb$2"; }

# daemon_start I ARGS… — ddhcpd in node I's namespace, control socket $WORK/ctl<I>,
# output in $WORK/d<I>.log.
daemon_start() {
    local i=$1; shift
    NETNS_DAEMON_ENV=(NODE="$i")
    netns_daemon_start "$NS-n$i" "$DDHCPD" "$CTL" "$WORK/ctl$i" "$WORK/d$i.log" -i server0 -c client0 "$@" \
        || fail "daemon $i does not answer on its control socket"
    NETNS_DAEMON_ENV=()
    DAEMON_PID[$i]=$NETNS_DAEMON_PID
}

daemon_stop() { netns_daemon_stop "${DAEMON_PID[$1]}"; unset "DAEMON_PID[$1]"; }
daemon_kill() { netns_daemon_stop "${DAEMON_PID[$1]}" KILL; unset "DAEMON_PID[$1]"; }

ctl() { local i=$1; shift; "$CTL" -C "$WORK/ctl$i" "$@"; }

# blocks I — "index state owner" rows of node I's block table.
blocks() { ctl "$1" -b | awk -F'\t' 'NF == 6 && $1 ~ /^[0-9]+$/ {print $1, $2, $3}'; }

# node_id I — node I's id as the block table prints it.
node_id() { ctl "$1" -b | awk -F'\t' '$1 == "node id" {print $2}'; }

# owned I — indexes of the blocks node I owns (state 4).
owned() { blocks "$1" | awk '$2 == 4 {print $1}'; }
owns_block() { [ -n "$(owned "$1")" ]; }

# tables_agree I… — every listed node shows every other listed node's blocks as CLAIMED (2)
# with the right owner id. (A node started after the others learns their blocks only at
# their next refresh, B/4 seconds later.)
tables_agree() {
    local i j b table id
    for i in "$@"; do
        table=$(blocks "$i")
        for j in "$@"; do
            [ "$i" = "$j" ] && continue
            id=$(node_id "$j")
            for b in $(owned "$j"); do
                grep -qx "$b 2 $id" <<<"$table" || { echo "node $i: block $b of node $j is not '2 $id'"; return 1; }
            done
        done
    done
}

# lease_state I ADDRESS — the state of ADDRESS in node I's lease listing (ddhcpdctl -j -e):
# "offered", "leased" or "free" when it is not listed; with its MAC: "leased 0A:…".
lease_state() {
    ctl "$1" -j -e | python3 -c '
import json, sys
leases = [l for l in json.load(sys.stdin)["leases"] if l["address"] == sys.argv[1]]
print("%s %s" % (leases[0]["state"], leases[0]["mac"]) if leases else "free")' "$2"
}

# counter I NAME — one statistics counter of node I.
counter() { ctl "$1" -s | awk -v n="$2" '$1 == n {print $2}'; }

# hook_script — writes a hook that appends "node=<i> ACTION ARGS" to $WORK/hooks.log.
hook_script() {
    cat >"$WORK/hook.sh" <<HOOK
echo "node=\$NODE \$*" >>"$WORK/hooks.log"
# What the hook inherited: stdin and the blocked-signal mask (both must be clean).
echo "stdin=\$(readlink /proc/\$\$/fd/0) \$(grep SigBlk /proc/\$\$/status | tr -d '\t')" >>"$WORK/hookenv.log"
HOOK
    echo "$WORK/hook.sh"
}

# ---- DHCP clients ---------------------------------------------------------------------------
# Each client logs "EVENT ADDRESS" lines to $WORK/<name>.events (see netns_client_start).
# Pool prefix length used by the clients' event scripts to configure the address.
NETNS_CLIENT_PREFIX_LEN=${CLIENT_PREFIX_LEN:-24}
declare -A CLIENT_KIND=() CLIENT_PID=()

# client_start NAME KIND — KIND: udhcpc | dhclient | dhcpcd. The client namespace must exist.
client_start() {
    local name=$1 kind=$2
    netns_client_start "$NS-$name" "$IFP$name" "$name" "$kind" "$WORK" || fail "unknown client kind $kind"
    CLIENT_KIND[$name]=$kind
    CLIENT_PID[$name]=$NETNS_CLIENT_PID
    BG_PIDS+=("$NETNS_CLIENT_PID")
}

# client_address NAME — the IPv4 address configured on the client's interface (empty if none).
client_address() { netns_client_address "$NS-$1" "$IFP$1"; }

has_address() { [ -n "$(client_address "$1")" ]; }

# client_mac NAME — the client's MAC in the hook's format (uppercase).
client_mac() { ip -n "$NS-$1" -o link show dev "$IFP$1" | grep -o 'link/ether [0-9a-f:]*' | awk '{print toupper($2)}'; }

# events NAME — the client's event lines so far.
events() { cat "$WORK/$1.events" 2>/dev/null || true; }

# count_events NAME REGEX — number of event lines matching REGEX.
count_events() { events "$1" | grep -cE "$2" || true; }

# events_grew NAME REGEX COUNT — more than COUNT event lines match REGEX now.
events_grew() { [ "$(count_events "$1" "$2")" -gt "$3" ]; }

# client_renew NAME — ask the client to renew now (dhclient has no such command: it renews at T1).
client_renew() {
    case ${CLIENT_KIND[$1]} in
        udhcpc) kill -USR1 "${CLIENT_PID[$1]}" ;;
        dhcpcd) ip netns exec "$NS-$1" dhcpcd -4 -N "$IFP$1" >>"$WORK/$1.log" 2>&1 ;;
        dhclient) : ;;
    esac
}

# client_stop NAME — stop the client without releasing its lease; its address is removed.
client_stop() {
    local name=$1
    case ${CLIENT_KIND[$name]} in
        udhcpc|dhclient) kill "${CLIENT_PID[$name]}" 2>/dev/null || true ;;
        dhcpcd) ip netns exec "$NS-$name" dhcpcd -4 -x "$IFP$name" >>"$WORK/$name.log" 2>&1 || true ;;
    esac
    wait "${CLIENT_PID[$name]}" 2>/dev/null || true
    ip -n "$NS-$name" -4 addr flush dev "$IFP$name"
}

# client_release NAME — release the lease (the client sends DHCPRELEASE) and stop the client.
client_release() {
    local name=$1 ifname="$IFP$1"
    case ${CLIENT_KIND[$name]} in
        udhcpc)
            # SIGUSR2 = release; wait for the deconfig that follows it before stopping the client
            # (a SIGTERM handled first would end it without sending the RELEASE).
            local before; before=$(count_events "$name" '^deconfig')
            kill -USR2 "${CLIENT_PID[$name]}"
            wait_for 5 events_grew "$name" '^deconfig' "$before" || true
            kill "${CLIENT_PID[$name]}" 2>/dev/null || true ;;
        dhclient)
            ip netns exec "$NS-$name" dhclient -4 -r -sf "$WORK/dhclient.sh" -lf "$WORK/$name.leases" \
                -pf "$WORK/$name.pid" "$ifname" >>"$WORK/$name.log" 2>&1 ;;
        dhcpcd)
            ip netns exec "$NS-$name" dhcpcd -4 -k "$ifname" >>"$WORK/$name.log" 2>&1 ;;
    esac
}

# node_of_address ADDRESS — the node whose block table says it owns the block of ADDRESS
# (block index = last octet / block size with the /24 test pools).
block_of() { local a=$1 size=${2:-4}; echo $(( ${a##*.} / size )); }
