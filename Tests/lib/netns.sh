# shellcheck shell=bash
# The one network-namespace library of this repository (source it; needs root and iproute2).
# Used by the integration suites (Tests/integration/lib.sh builds their mesh on it), the
# benchmarks (bench/lib.sh), the target smoke test (Tests/targets/smoke.sh) and scripts/demo.sh.
#
# What it gives:
#   * a run identity: NETNS_PREFIX, unique among the runs alive on this machine, that every
#     namespace name starts with (several test runs share one machine at the same time);
#   * netns_add / netns_veth / netns_bridge to build a topology entirely inside namespaces
#     (the root namespace gets no interface, not even for a moment);
#   * process tracking and one EXIT trap that stops what the run started, deletes exactly the
#     namespaces it created and then calls the hooks registered with netns_on_exit;
#   * netns_work_dir, wait_for, in_ns;
#   * netns_daemon_start / netns_daemon_stop for one ddhcpd-style daemon in a namespace;
#   * real DHCP clients (udhcpc, dhclient, dhcpcd) in a namespace: netns_client_*.
# Everything it defines starts with netns_ except the two generic helpers wait_for and in_ns.

[ "$(id -u)" -eq 0 ] || { echo "netns: needs root (network namespaces)" >&2; exit 1; }
export PATH=/usr/sbin:/sbin:$PATH

# ---- run identity ---------------------------------------------------------------------------
# The prefix contains this shell's PID (unique while it runs); should a namespace of a killed
# earlier run with the same PID still exist, a random part is mixed in until the name is free.
# Short on purpose: interface names derived from it must stay within 15 bytes.
_netns_pick_id() {
    local id
    id=$(printf '%x' $$)
    while ip netns list 2>/dev/null | awk '{print $1}' | grep -q "^dd$id-"; do
        id=$(printf '%x' $(( ($$ ^ RANDOM) % 1048576 )))
    done
    echo "$id"
}
NETNS_RUN_ID=$(_netns_pick_id)
NETNS_PREFIX="dd$NETNS_RUN_ID"
_netns_created=() _netns_pids=() _netns_exit_hooks=()

# ---- building blocks ------------------------------------------------------------------------

# netns_add NAME [noipv6] — a namespace with lo up and no IPv6 duplicate address detection
# (link-local addresses are usable at once), or with IPv6 off entirely given "noipv6".
# NAME should start with $NETNS_PREFIX; it is deleted on exit.
netns_add() {
    local ns=$1
    ip netns add "$ns" || { echo "netns: cannot create namespace $ns" >&2; return 1; }
    _netns_created+=("$ns")
    ip -n "$ns" link set lo up
    if [ "${2:-}" = noipv6 ]; then
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
    else
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    fi
}

# netns_veth NS1 IF1 NS2 IF2 — a veth pair IF1 (in NS1) <-> IF2 (in NS2), both down.
netns_veth() { ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"; }

# netns_bridge NS NAME [ARGS…] — an up bridge without multicast snooping (the mesh uses
# IPv6 multicast; snooping would drop it before any listener reported); ARGS go to `ip link add`.
netns_bridge() {
    local ns=$1 br=$2; shift 2
    ip -n "$ns" link add "$br" type bridge mcast_snooping 0 "$@"
    ip -n "$ns" link set "$br" up
}

# in_ns NS CMD… — run CMD inside namespace NS.
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# wait_for SECONDS CMD… — polls CMD every 0.1 s until it succeeds; false on timeout.
# (CMD's arguments are expanded once: put anything that must be re-evaluated in a function.)
wait_for() {
    local deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
    until "$@" >/dev/null 2>&1; do
        [ $(( $(date +%s%N) / 1000000 )) -lt $deadline ] || return 1
        sleep 0.1
    done
}

# netns_work_dir NAME — prints a new private directory for this run's files. Not under /tmp:
# hand-run clean-ups of /tmp/ddhcpd-* on a shared machine once removed one mid-run.
netns_work_dir() {
    mkdir -p /var/tmp/ddhcpd-tests
    mktemp -d "/var/tmp/ddhcpd-tests/$1.XXXXXX"
}

# ---- processes and clean-up -----------------------------------------------------------------

netns_track_pid() { _netns_pids+=("$1"); }
netns_untrack_pid() {
    local keep=() p
    for p in "${_netns_pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    _netns_pids=("${keep[@]}")
}

# netns_on_exit FUNCTION — FUNCTION RC runs on exit after the teardown (RC = the exit status).
netns_on_exit() { _netns_exit_hooks+=("$1"); }

# Teardown: SIGTERM to the tracked processes, up to 2 s for them to end, SIGKILL to what is
# left and to anything still running inside our namespaces, then the namespaces go (a name
# listed twice fails quietly the second time).
_netns_teardown() {
    local pid ns alive _
    disown -a 2>/dev/null  # no "Killed" job notices for what we stop here
    for pid in "${_netns_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for _ in $(seq 20); do
        alive=0
        for pid in "${_netns_pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for pid in "${_netns_pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    # Also any namespace named with our prefix that a script created by hand: the prefix
    # belongs to this run alone.
    for ns in "${_netns_created[@]}" $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NETNS_PREFIX-"); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
}

_netns_exit() {
    local rc=$? hook
    trap - EXIT INT TERM HUP
    set +e
    _netns_teardown
    for hook in "${_netns_exit_hooks[@]}"; do "$hook" "$rc"; done
    exit "$rc"
}
trap _netns_exit EXIT
trap 'exit 130' INT TERM HUP

# ---- a daemon -------------------------------------------------------------------------------

# netns_daemon_start NS BIN CTL SOCKET LOG ARGS… — starts `BIN -C SOCKET ARGS…` in NS with
# stdout and stderr appended to LOG, sets NETNS_DAEMON_PID, and waits (≤ 5 s) until
# `CTL -C SOCKET -b` answers (the socket file exists a moment before listen()). False when the
# daemon died or never answered (the daemon is left to the exit teardown). Environment
# variables for the daemon can be given as NETNS_DAEMON_ENV=(NAME=VALUE …).
NETNS_DAEMON_PID="" NETNS_DAEMON_ENV=()
netns_daemon_start() {
    local ns=$1 bin=$2 ctl=$3 sock=$4 log=$5 _; shift 5
    rm -f "$sock"
    ip netns exec "$ns" env "${NETNS_DAEMON_ENV[@]}" "$bin" -C "$sock" "$@" >>"$log" 2>&1 &
    NETNS_DAEMON_PID=$!
    netns_track_pid "$NETNS_DAEMON_PID"
    for _ in $(seq 100); do
        if [ -S "$sock" ] && "$ctl" -C "$sock" -b >/dev/null 2>&1; then return 0; fi
        kill -0 "$NETNS_DAEMON_PID" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# netns_daemon_stop PID [SIGNAL] — SIGNAL (default TERM), up to 3 s to exit, then SIGKILL.
# Sets NETNS_DAEMON_RC (exit status) and NETNS_DAEMON_STOP_MS (from the signal to the exit).
NETNS_DAEMON_RC="" NETNS_DAEMON_STOP_MS=""
netns_daemon_stop() {
    local pid=$1 sig=${2:-TERM} t0 _
    t0=$(date +%s%N)
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
    NETNS_DAEMON_STOP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
    kill -KILL "$pid" 2>/dev/null || true
    NETNS_DAEMON_RC=0
    wait "$pid" 2>/dev/null || NETNS_DAEMON_RC=$?   # (safe under set -e)
    netns_untrack_pid "$pid"
}

# ---- real DHCP clients ----------------------------------------------------------------------
# netns_client_start NS IFNAME NAME KIND DIR — KIND: udhcpc | dhclient | dhcpcd, on interface
# IFNAME of namespace NS. The client logs "EVENT ADDRESS" lines to DIR/NAME.events (event names
# as the client calls them: udhcpc bound/renew/deconfig, dhclient and dhcpcd BOUND/RENEW/
# REBOOT/RELEASE…), its output to DIR/NAME.log. Sets NETNS_CLIENT_PID. The event scripts find
# NAME as IFNAME without NETNS_CLIENT_IFPREFIX, and configure addresses with
# NETNS_CLIENT_PREFIX_LEN (the pool's prefix length).
NETNS_CLIENT_PREFIX_LEN=24 NETNS_CLIENT_IFPREFIX="" NETNS_CLIENT_PID=""

# _netns_client_scripts DIR — the clients' event scripts and dhcpcd's configuration, once.
_netns_client_scripts() {
    local dir=$1 ifp=$NETNS_CLIENT_IFPREFIX len=$NETNS_CLIENT_PREFIX_LEN
    [ -e "$dir/udhcpc.sh" ] && return 0
    cat >"$dir/udhcpc.sh" <<SCRIPT
#!/bin/sh
name=\${interface#$ifp}
case "\$1" in
    deconfig) ip -4 addr flush dev "\$interface" ;;
    bound|renew)
        # Keep the address in place on a renewal (no flush): only other addresses go.
        for a in \$(ip -4 -o addr show dev "\$interface" | awk '{print \$4}'); do
            [ "\${a%/*}" = "\$ip" ] || ip addr del "\$a" dev "\$interface"
        done
        ip addr replace "\$ip/$len" dev "\$interface" ;;
esac
echo "\$1 \${ip:-}" >>"$dir/\$name.events"
SCRIPT
    cat >"$dir/dhclient.sh" <<SCRIPT
#!/bin/sh
name=\${interface#$ifp}
case "\$reason" in
    PREINIT) ip link set "\$interface" up ;;
    BOUND|RENEW|REBIND|REBOOT)
        if [ "\${old_ip_address:-}" != "\$new_ip_address" ]; then ip -4 addr flush dev "\$interface"; fi
        ip addr replace "\$new_ip_address/$len" dev "\$interface" ;;
    EXPIRE|FAIL|RELEASE|STOP) ip -4 addr flush dev "\$interface" ;;
esac
echo "\$reason \${new_ip_address:-\${old_ip_address:-}}" >>"$dir/\$name.events"
SCRIPT
    # dhcpcd configures the address itself; the script only records what happened.
    cat >"$dir/dhcpcd.sh" <<SCRIPT
#!/bin/sh
name=\${interface#$ifp}
echo "\$reason \${new_ip_address:-\${old_ip_address:-}}" >>"$dir/\$name.events"
SCRIPT
    cat >"$dir/dhcpcd.conf" <<CONF
# Minimal dhcpcd setup for a test namespace: IPv4 DHCP only, no ARP probing (would add
# seconds), no link-local fallback, nothing outside the namespace touched.
ipv4only
noipv4ll
noarp
nohook resolv.conf, timezone, ntp.conf, yp.conf, hostname, wpa_supplicant
option subnet_mask, broadcast_address
timeout 60
CONF
    chmod +x "$dir/udhcpc.sh" "$dir/dhclient.sh" "$dir/dhcpcd.sh"
}

netns_client_start() {
    local ns=$1 ifname=$2 name=$3 kind=$4 dir=$5
    _netns_client_scripts "$dir"
    case $kind in
        udhcpc)
            ip netns exec "$ns" busybox udhcpc -f -i "$ifname" -s "$dir/udhcpc.sh" -t 5 -T 1 -A 1 \
                >>"$dir/$name.log" 2>&1 & ;;
        dhclient)
            ip netns exec "$ns" dhclient -4 -d -v -sf "$dir/dhclient.sh" -lf "$dir/$name.leases" \
                -pf "$dir/$name.pid" "$ifname" >>"$dir/$name.log" 2>&1 & ;;
        dhcpcd)
            ip netns exec "$ns" dhcpcd -4 -B -d -f "$dir/dhcpcd.conf" -c "$dir/dhcpcd.sh" "$ifname" \
                >>"$dir/$name.log" 2>&1 & ;;
        *) echo "netns: unknown client kind $kind" >&2; return 1 ;;
    esac
    NETNS_CLIENT_PID=$!
    netns_track_pid "$NETNS_CLIENT_PID"
}

# netns_client_address NS IFNAME — the IPv4 address configured on IFNAME (empty if none).
netns_client_address() {
    ip -n "$1" -4 -o addr show dev "$2" 2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}'
}

# dhcpcd keeps lease files by interface name outside the namespace: remove ours on exit.
_netns_dhcpcd_files() {
    [ -n "$NETNS_CLIENT_IFPREFIX" ] || return 0
    rm -f /var/lib/dhcpcd/"$NETNS_CLIENT_IFPREFIX"* /run/dhcpcd/"$NETNS_CLIENT_IFPREFIX"* 2>/dev/null
    return 0
}
netns_on_exit _netns_dhcpcd_files
