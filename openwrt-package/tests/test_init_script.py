#!/usr/bin/env python3
"""Runs openwrt-package/ddhcpd/files/ddhcpd.init against the OpenWrt stand-ins in
openwrt-stub/ (rc.common, functions.sh, procd.sh, validate_data) for several uci configurations
and asserts the exact procd instances (command line, netdev, respawn, stderr) and triggers it
registers. Every case runs under busybox ash (OpenWrt's shell) and dash.

With DDHCPD_BINARY set to a real ddhcpd, every command line produced is also handed to it, with
the interfaces swapped for ones that do not exist and the control socket moved to a scratch
path: the daemon must get past argument parsing and stop at the missing interface (exit 2), not
reject an argument (exit 1)."""
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
STUB = os.path.join(HERE, "openwrt-stub")
INIT = os.path.join(HERE, "..", "ddhcpd", "files", "ddhcpd.init")
SHIPPED_CONFIG = os.path.join(HERE, "..", "ddhcpd", "files", "ddhcpd.config")
SHELLS = [["busybox", "sh"], ["dash"]]
DAEMON_DEFAULTS = ["-b", "5", "-B", "60", "-t", "15", "-n", "300", "-s", "2",
                   "-C", "/tmp/ddhcpd_ctl", "-o", "51:4:0.0.1.44"]
RELOAD_ON_CONFIG = ("trigger", "config.change", "ddhcpd")
RELOAD_ON_ANY_INTERFACE = ("trigger", "raw", "interface.*", "2000", "/etc/init.d/ddhcpd", "reload")

from testlib import finish, report

DAEMON = os.environ.get("DDHCPD_BINARY")


def daemon_accepts(command):
    """Problems if the real daemon rejects the command line (see the module doc)."""
    args = list(command[1:])
    with tempfile.TemporaryDirectory() as tmp:
        for flag, value in (("-i", "ddhcpdtest-no0"), ("-c", "ddhcpdtest-no1"),
                            ("-C", os.path.join(tmp, "ctl"))):
            i = args.index(flag)
            args[i + 1] = value
        try:
            proc = subprocess.run([DAEMON] + args, capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return ["daemon did not stop at the missing interface within 10 s: %r" % args]
    if proc.returncode != 2 or "ddhcpdtest-no0" not in proc.stderr:
        return ["daemon exit %d (want 2, missing interface) for %r: %r" % (proc.returncode, args, proc.stderr)]
    return []


def run(shell, config_text):
    with tempfile.TemporaryDirectory() as tmp:
        confdir = os.path.join(tmp, "config")
        os.mkdir(confdir)
        with open(os.path.join(confdir, "ddhcpd"), "w") as f:
            f.write(config_text)
        log = os.path.join(tmp, "procd.log")
        open(log, "w").close()
        env = dict(os.environ, STUB_ROOT=STUB, UCI_CONFIG_DIR=confdir, PROCD_LOG=log)
        proc = subprocess.run(shell + [os.path.join(STUB, "etc", "rc.common"), INIT, "start"],
                              env=env, capture_output=True, text=True, timeout=30)
        with open(log) as f:
            lines = [tuple(line.rstrip("\n").split("\t")) for line in f]
    return proc, lines


def instances(lines):
    """[(name, {param: [values]})] in order; append_param extends, set_param replaces."""
    result, current = [], None
    for line in lines:
        if line[0] == "open_instance":
            current = (line[1], {})
        elif line[0] == "set_param":
            current[1][line[1]] = list(line[2:])
        elif line[0] == "append_param":
            current[1].setdefault(line[1], []).extend(line[2:])
        elif line[0] == "close_instance":
            result.append(current)
            current = None
    return result


def triggers(lines):
    return [line for line in lines if line[0] == "trigger"]


def check(name, config_text, want_instances, want_triggers, want_stderr=None):
    for shell in SHELLS:
        label = "%s [%s]" % (name, " ".join(shell))
        proc, lines = run(shell, config_text)
        problems = []
        if proc.returncode != 0:
            problems.append("rc.common exited %d" % proc.returncode)
        got = instances(lines)
        if got != want_instances:
            problems.append("instances:\n    got  %r\n    want %r" % (got, want_instances))
        if triggers(lines) != want_triggers:
            problems.append("triggers:\n    got  %r\n    want %r" % (triggers(lines), want_triggers))
        if want_stderr is None and proc.stderr:
            problems.append("unexpected stderr: %r" % proc.stderr)
        if want_stderr is not None and want_stderr not in proc.stderr:
            problems.append("stderr %r lacks %r" % (proc.stderr, want_stderr))
        if DAEMON and shell == SHELLS[0]:
            for _, params in got:
                problems += daemon_accepts(params.get("command", []))
        report(label, problems)


def instance(name, args, netdev):
    return (name, {"command": ["/usr/sbin/ddhcpd", "-D"] + args, "netdev": netdev,
                   "respawn": [], "stderr": ["1"]})


check("defaults: empty section gives the daemon's own defaults",
      "config ddhcpd 'settings'\n",
      [instance("settings", ["-i", "server0", "-c", "client0", "-N", "10.0.0.0/24"] + DAEMON_DEFAULTS,
                ["server0", "client0"])],
      [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])

check("gluon-like: pool, timers, lease time, option list in order, hook, interface trigger",
      """config ddhcpd 'settings'
	option enabled '1'
	option server_interface 'br-client'
	option client_interface 'br-client'
	option network '10.116.128.0/18'
	option block_size '2'
	option block_timeout '300'
	option spare_leases '3'
	option tentative_timeout '20'
	option needless_timeout '600'
	option dhcp_lease_time '3600'
	list dhcp_option '54:4:10.116.127.254'
	list dhcp_option '1:4:255.255.192.0'
	list dhcp_option '42:4:0x0a.0x74.0.1'
	option hook '/etc/ddhcpd.hook'
	list trigger_interface 'client'
""",
      [instance("settings", ["-i", "br-client", "-c", "br-client", "-N", "10.116.128.0/18",
                             "-b", "2", "-B", "300", "-t", "20", "-n", "600", "-s", "3",
                             "-C", "/tmp/ddhcpd_ctl", "-o", "51:4:0.0.14.16",
                             "-o", "54:4:10.116.127.254", "-o", "1:4:255.255.192.0",
                             "-o", "42:4:0x0a.0x74.0.1", "-H", "/etc/ddhcpd.hook"],
                ["br-client"])],
      [RELOAD_ON_CONFIG, ("trigger", "interface", "client")])

check("learning off, node id, renew byte order, control path, big lease time",
      """config ddhcpd 'settings'
	option server_interface 'bat0'
	option client_interface 'br-lan'
	option learning '0'
	option node_id '0123456789ABCDEF'
	option renew_byte_order 'be'
	option control_path '/var/run/ddhcpd.sock'
	option dhcp_lease_time '2147483647'
	list trigger_interface 'mesh'
	list trigger_interface 'lan'
""",
      [instance("settings", ["-i", "bat0", "-c", "br-lan", "-N", "10.0.0.0/24",
                             "-b", "5", "-B", "60", "-t", "15", "-n", "300", "-s", "2",
                             "-C", "/var/run/ddhcpd.sock", "-o", "51:4:127.255.255.255",
                             "-L", "-I", "0123456789ABCDEF", "-E", "be"],
                ["bat0", "br-lan"])],
      [RELOAD_ON_CONFIG, ("trigger", "interface", "mesh"), ("trigger", "interface", "lan")])

check("fast join off, state file elsewhere",
      "config ddhcpd 'settings'\n\toption fast_join '0'\n\toption state_file '/tmp/ddhcpd.state'\n",
      [instance("settings", ["-i", "server0", "-c", "client0", "-N", "10.0.0.0/24"]
                + DAEMON_DEFAULTS + ["--no-fast-join", "--state-file", "/tmp/ddhcpd.state"], ["server0", "client0"])],
      [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])

check("state file off",
      "config ddhcpd 'settings'\n\toption state_file 'off'\n\toption fast_join '1'\n",
      [instance("settings", ["-i", "server0", "-c", "client0", "-N", "10.0.0.0/24"]
                + DAEMON_DEFAULTS + ["--no-state-file"], ["server0", "client0"])],
      [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])

check("reserved ranges and static leases, in order, after the other flags",
      """config ddhcpd 'settings'
	list reserve '10.0.0.2-10.0.0.9'
	list reserve '10.0.0.240/28'
	list static_lease '02:00:00:00:00:01,10.0.0.5'
	list static_lease '02:AA:bb:00:00:02,10.0.0.241'
""",
      [instance("settings", ["-i", "server0", "-c", "client0", "-N", "10.0.0.0/24"] + DAEMON_DEFAULTS
                + ["--reserve", "10.0.0.2-10.0.0.9", "--reserve", "10.0.0.240/28",
                   "--static-lease", "02:00:00:00:00:01,10.0.0.5",
                   "--static-lease", "02:AA:bb:00:00:02,10.0.0.241"], ["server0", "client0"])],
      [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])

check("learning spelled 'Off' also gives -L; 'YES' enables (validate_data prints bools as 0/1)",
      "config ddhcpd 'settings'\n\toption enabled 'YES'\n\toption learning 'Off'\n",
      [instance("settings", ["-i", "server0", "-c", "client0", "-N", "10.0.0.0/24"]
                + DAEMON_DEFAULTS + ["-L"], ["server0", "client0"])],
      [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])

check("disabled: no instance, triggers still registered",
      "config ddhcpd 'settings'\n\toption enabled '0'\n\toption network '10.1.0.0/16'\n",
      [], [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])

check("disabled spelled 'off'", "config ddhcpd 'settings'\n\toption enabled 'off'\n",
      [], [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])

check("no section at all: no instance", "# nothing configured\n",
      [], [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])

# The C packages' config as their gluon upgrade scripts write it (sargon/gluon-sargon
# 0eeefb011748be0c4bb7446154cfbaa4af28094c ddhcpd/files/etc/config/ddhcpd and
# ddhcpd/luasrc/lib/gluon/upgrade/500-ddhcpd; freifunk-gluon/community-packages
# 71aa160c1aabaf2134b9f16d0c2779782b056039 ffgraz-ddhcpd/luasrc/lib/gluon/upgrade/500-ddhcpd):
# dhcp_interface, block_size_pow, block_network and 'config dhcp_option' sections.
C_CONFIG = """config ddhcpd 'settings'
	option dhcp_interface 'local-node'
	option server_interface 'br-client'
	option block_size_pow '2'
	option block_timeout '300'
	option tentative_timeout '15'
	option spare_leases '2'
	option dhcp_lease_time '300'
	option enabled '1'
	option block_network '10.116.128.0/18'

config dhcp_option 'lease_time'
	option code '51'
	option len '4'
	option payload '0.0.1.44'

config dhcp_option 'server_identify'
	option code '54'
	option len '4'
	option payload '10.116.191.254'

config dhcp_option 'netmask'
	option code '1'
	option len '4'
	option payload '255.255.192.0'
"""
check("C packages' config: old option names and dhcp_option sections",
      C_CONFIG,
      [instance("settings", ["-i", "br-client", "-c", "local-node", "-N", "10.116.128.0/18",
                             "-b", "2", "-B", "300", "-t", "15", "-n", "300", "-s", "2",
                             "-C", "/tmp/ddhcpd_ctl", "-o", "51:4:0.0.1.44",
                             "-o", "51:4:0.0.1.44", "-o", "54:4:10.116.191.254", "-o", "1:4:255.255.192.0"],
                ["br-client", "local-node"])],
      [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])

check("new names win over the C names",
      "config ddhcpd 'settings'\n\toption dhcp_interface 'old0'\n\toption client_interface 'new0'\n"
      "\toption block_size_pow '2'\n\toption block_size '3'\n"
      "\toption block_network '10.1.0.0/16'\n\toption network '10.2.0.0/16'\n",
      [instance("settings", ["-i", "server0", "-c", "new0", "-N", "10.2.0.0/16", "-b", "3"]
                + DAEMON_DEFAULTS[2:], ["server0", "new0"])],
      [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])

check("a malformed C-style dhcp_option section stops the instance",
      "config ddhcpd 'settings'\n\nconfig dhcp_option 'x'\n\toption code '3'\n\toption payload '10.0.0.1'\n",
      [], [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE], want_stderr="malformed dhcp_option")

check("router, dns, domain, lease file and hotplug events (raw options still win)",
      """config ddhcpd 'settings'
	option router '10.0.0.1'
	list dns '10.0.0.1'
	list dns '10.0.0.2'
	option domain 'ffx.local'
	list dhcp_option '3:4:10.0.0.254'
	option lease_file '/tmp/ddhcpd.leases'
	option hotplug_call '/sbin/hotplug-call'
""",
      [instance("settings", ["-i", "server0", "-c", "client0", "-N", "10.0.0.0/24"] + DAEMON_DEFAULTS
                + ["-o", "3:4:10.0.0.1", "-o", "6:8:10.0.0.1.10.0.0.2",
                   "-o", "15:9:102.102.120.46.108.111.99.97.108", "-o", "3:4:10.0.0.254",
                   "--lease-file", "/tmp/ddhcpd.leases", "--hotplug-call", "/sbin/hotplug-call"],
                ["server0", "client0"])],
      [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])

check("a DNS server that is no IPv4 address stops the instance",
      "config ddhcpd 'settings'\n\tlist dns '10.0.0.1'\n\tlist dns 'fe80::1'\n",
      [], [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE], want_stderr="invalid settings")

check("a domain with a space stops the instance",
      "config ddhcpd 'settings'\n\toption domain 'bad domain'\n",
      [], [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE], want_stderr="invalid settings")

check("two sections: two instances named after them",
      """config ddhcpd 'mesh1'
	option server_interface 'br-one'
	option client_interface 'br-one'
	option network '10.1.0.0/16'
	option control_path '/tmp/ddhcpd_one'

config ddhcpd 'mesh2'
	option server_interface 'br-two'
	option client_interface 'br-two'
	option network '10.2.0.0/16'
	option control_path '/tmp/ddhcpd_two'
""",
      [instance("mesh1", ["-i", "br-one", "-c", "br-one", "-N", "10.1.0.0/16", "-b", "5", "-B", "60",
                          "-t", "15", "-n", "300", "-s", "2", "-C", "/tmp/ddhcpd_one",
                          "-o", "51:4:0.0.1.44"], ["br-one"]),
       instance("mesh2", ["-i", "br-two", "-c", "br-two", "-N", "10.2.0.0/16", "-b", "5", "-B", "60",
                          "-t", "15", "-n", "300", "-s", "2", "-C", "/tmp/ddhcpd_two",
                          "-o", "51:4:0.0.1.44"], ["br-two"])],
      [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])

for bad_name, bad_line in [
        ("block_size above 7", "option block_size '8'"),
        ("tentative_timeout below 2", "option tentative_timeout '1'"),
        ("block_timeout 0", "option block_timeout '0'"),
        ("network without /LEN (validate_data's cidr4 takes it)", "option network '10.0.0.0'"),
        ("C name block_network without /LEN", "option block_network '10.0.0.0'"),
        ("block_size not an integer", "option block_size '1.5'"),
        ("network octet above 255", "option network '10.0.300.0/24'"),
        ("spare_leases above 255", "option spare_leases '256'"),
        ("node_id too short", "option node_id '0123'"),
        ("node_id not hex", "option node_id '0123456789abcdeg'"),
        ("renew_byte_order other than le/be", "option renew_byte_order 'host'"),
        ("enabled not a bool", "option enabled 'maybe'"),
        ("dhcp_option without length", "list dhcp_option '3:10.0.0.1'"),
        ("dhcp_option with commas", "list dhcp_option '3:4:10,0,0,1'"),
        ("dhcp_option code above 255", "list dhcp_option '300:1:1'"),
        ("dhcp_option code 255 (END)", "list dhcp_option '255:1:1'"),
        ("dhcp_option code 0 (PAD)", "list dhcp_option '0:0:'"),
        ("reserve with a letter", "list reserve '10.0.0.x'"),
        ("static_lease without address", "list static_lease '02:00:00:00:00:01'"),
        ("static_lease with a short MAC", "list static_lease '02:00:00:00:01,10.0.0.5'"),
        ("one bad dhcp_option among good ones", "list dhcp_option '3:4:10.0.0.1'\n\tlist dhcp_option '6:4:10.0.0.1:53'")]:
    check("invalid (%s): no instance, error on stderr" % bad_name,
          "config ddhcpd 'settings'\n\t%s\n" % bad_line,
          [], [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE],
          want_stderr="instance not started")

with open(SHIPPED_CONFIG) as f:
    shipped = f.read()
check("shipped /etc/config/ddhcpd: disabled until the user enables it", shipped,
      [], [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])
check("shipped /etc/config/ddhcpd with enabled '1'",
      shipped.replace("option enabled '0'", "option enabled '1'"),
      [instance("settings", ["-i", "br-lan", "-c", "br-lan", "-N", "10.0.0.0/24"] + DAEMON_DEFAULTS
                + ["-H", "/etc/ddhcpd.hook"], ["br-lan"])],
      [RELOAD_ON_CONFIG, RELOAD_ON_ANY_INTERFACE])

print("init script: command lines %s" % ("checked against the daemon " + DAEMON if DAEMON
                                          else "not checked against a daemon (DDHCPD_BINARY unset)"))
finish("init script")
