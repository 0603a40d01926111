#!/usr/bin/env python3
"""Tests of gluon-ddhcpd without gluon: the site check on good and bad site.conf files (gluon's
need_* helpers stood in by gluon-stub/check_site.lua), the upgrade script's uci output
(gluon.site and simple-uci stood in), and ddhcpd-gateway-update against stubbed batctl, ip,
uci, ddhcpdctl and logger, under busybox ash and dash. With DDHCPD_BINARY set (and root), the
updater also runs against that real daemon in a network namespace: options set, left alone,
and removed, as the daemon's own `ddhcpdctl -d` reports them."""
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.join(HERE, "..", "gluon-ddhcpd")
GSTUB = os.path.join(HERE, "gluon-stub")
CHECK_SITE = os.path.join(PKG, "check_site.lua")
UPGRADE = os.path.join(PKG, "luasrc", "lib", "gluon", "upgrade", "520-ddhcpd")
GATEWAY = os.path.join(PKG, "files", "usr", "sbin", "ddhcpd-gateway-update")
ENDLEARNING = os.path.join(PKG, "files", "etc", "ddhcpd.d", "50-gateway-update")
HOTPLUG = os.path.join(PKG, "files", "etc", "hotplug.d", "net", "50-ddhcpd-gateway")
LUA = "lua5.1"

from testlib import finish, report, skip, write


# ---------------------------------------------------------------- site check

SITE_BASE = """{
  prefix4 = '10.116.128.0/18',
  next_node = { ip4 = '10.116.191.254', ip6 = 'fdca:ffee:8::1' },
  %s
}"""


def site_check(label, ddhcpd_part, want_error=None, base=SITE_BASE):
    with tempfile.TemporaryDirectory() as tmp:
        site = os.path.join(tmp, "site.conf")
        write(site, base % ddhcpd_part)
        proc = subprocess.run([LUA, os.path.join(GSTUB, "check_site.lua"), CHECK_SITE, site],
                              capture_output=True, text=True, timeout=30)
    out = proc.stdout.strip()
    problems = []
    if want_error is None:
        if proc.returncode != 0 or out != "ok":
            problems.append("expected acceptance, got rc=%d %r %r" % (proc.returncode, out, proc.stderr))
    else:
        if proc.returncode != 1 or not out.startswith("*** ") or want_error not in out:
            problems.append("expected rejection mentioning %r, got rc=%d %r %r"
                            % (want_error, proc.returncode, out, proc.stderr))
    report("site check: " + label, problems)


site_check("no ddhcpd section (range defaults to prefix4)", "")
site_check("all keys valid", """ddhcpd = { enabled = true, range = '10.116.160.0/19', block_size = 2,
    block_timeout = 300, spare_leases = 2, tentative_timeout = 15, dhcp_lease_time = 300,
    renew_byte_order = 'be' },""")
site_check("disabled", "ddhcpd = { enabled = false },")
site_check("range without prefix4", "ddhcpd = { range = '10.20.0.0/16' },",
           base="{ next_node = { ip4 = '10.20.255.254' }, %s }")
site_check("range needed when there is no prefix4", "ddhcpd = { block_size = 2 },", "ddhcpd.range",
           base="{ next_node = { ip4 = '10.20.255.254' }, %s }")
site_check("missing next_node.ip4", "ddhcpd = {},", "next_node.ip4",
           base="{ prefix4 = '10.20.0.0/16', %s }")
site_check("enabled as a string", "ddhcpd = { enabled = 'yes' },", "ddhcpd.enabled to be a boolean")
site_check("range not CIDR", "ddhcpd = { range = '10.116.160.0' },", "ddhcpd.range")
site_check("range octet above 255", "ddhcpd = { range = '10.116.260.0/24' },", "ddhcpd.range")
site_check("range with host bits set", "ddhcpd = { range = '10.116.160.1/19' },", "no host bits set")
site_check("range shorter than /8", "ddhcpd = { range = '10.0.0.0/7' },", "ddhcpd.range")
site_check("range outside prefix4", "ddhcpd = { range = '10.117.0.0/24' },", "lie inside prefix4")
site_check("range wider than prefix4", "ddhcpd = { range = '10.116.0.0/16' },", "lie inside prefix4")
site_check("block_size 8", "ddhcpd = { block_size = 8 },", "ddhcpd.block_size to be an integer from 0 to 7")
site_check("block_size fractional", "ddhcpd = { block_size = 2.5 },", "ddhcpd.block_size")
site_check("block_size as string", "ddhcpd = { block_size = '2' },", "ddhcpd.block_size")
site_check("block larger than the pool", "ddhcpd = { range = '10.116.191.252/30', block_size = 3 },",
           "ddhcpd.block_size to fit the pool /30")
site_check("default block size larger than a /31 pool", "ddhcpd = { range = '10.116.191.254/31' },",
           "ddhcpd.block_size to fit the pool /31")
site_check("more than 65536 blocks", "ddhcpd = { range = '10.0.0.0/8', block_size = 2 },",
           "at most 65536 blocks", base="{ next_node = { ip4 = '10.255.255.254' }, %s }")
site_check("exactly 65536 blocks", "ddhcpd = { range = '10.0.0.0/14', block_size = 2 },",
           base="{ next_node = { ip4 = '10.3.255.254' }, %s }")
site_check("block_timeout 0", "ddhcpd = { block_timeout = 0 },", "ddhcpd.block_timeout")
site_check("block_timeout above 16 bits", "ddhcpd = { block_timeout = 65536 },", "ddhcpd.block_timeout")
site_check("tentative_timeout 1", "ddhcpd = { tentative_timeout = 1 },", "ddhcpd.tentative_timeout")
site_check("spare_leases 256", "ddhcpd = { spare_leases = 256 },", "ddhcpd.spare_leases")
site_check("spare_leases negative", "ddhcpd = { spare_leases = -1 },", "ddhcpd.spare_leases")
site_check("dhcp_lease_time 0", "ddhcpd = { dhcp_lease_time = 0 },", "ddhcpd.dhcp_lease_time")
site_check("reserve and static leases", """ddhcpd = { reserve = { '10.116.128.2-10.116.128.9',
    '10.116.130.0/28', '10.116.131.1' }, static_leases = { { mac = '02:00:00:00:00:01', ip4 = '10.116.128.5' },
    { mac = '02:AA:bb:00:00:02', ip4 = '10.116.130.3' } } },""")
site_check("reserve not a list", "ddhcpd = { reserve = '10.116.128.2' },", "ddhcpd.reserve")
site_check("reserve range backwards", "ddhcpd = { reserve = { '10.116.128.9-10.116.128.2' } },", "ddhcpd.reserve")
site_check("reserve CIDR with host bits", "ddhcpd = { reserve = { '10.116.130.1/28' } },", "ddhcpd.reserve")
site_check("static lease outside every reserved range",
           "ddhcpd = { reserve = { '10.116.128.2' }, static_leases = { { mac = '02:00:00:00:00:01', ip4 = '10.116.128.3' } } },",
           "ddhcpd.static_leases")
site_check("static lease without reserve", "ddhcpd = { static_leases = { { mac = '02:00:00:00:00:01', ip4 = '10.116.128.3' } } },",
           "ddhcpd.static_leases")
site_check("static lease with a bad MAC",
           "ddhcpd = { reserve = { '10.116.128.3' }, static_leases = { { mac = '02:00:00:00:01', ip4 = '10.116.128.3' } } },",
           "ddhcpd.static_leases")
site_check("one address for two static leases",
           "ddhcpd = { reserve = { '10.116.128.3' }, static_leases = { { mac = '02:00:00:00:00:01', ip4 = '10.116.128.3' },"
           " { mac = '02:00:00:00:00:02', ip4 = '10.116.128.3' } } },", "ddhcpd.static_leases")
site_check("renew_byte_order 'host'", "ddhcpd = { renew_byte_order = 'host' },", "ddhcpd.renew_byte_order")

# ---------------------------------------------------------------- upgrade script

# gluon's network and firewall configuration as its own upgrade scripts leave them before
# ours (520) runs, modelled from freifunk-gluon/gluon e676194302bf49654b75a8e3a64b0bc5e6d87a15:
#   package/gluon-core/luasrc/lib/gluon/upgrade/300-firewall-rules: zones mesh, loc_client,
#     wired_mesh (input REJECT, output ACCEPT, forward REJECT, networks added by others);
#   package/gluon-client-bridge/luasrc/lib/gluon/upgrade/300-gluon-client-bridge-network:
#     network 'client' (bridge br-client, port local-port), zone 'drop' with network 'client',
#     'local_node' added to zone loc_client;
#   package/gluon-client-bridge/luasrc/lib/gluon/upgrade/310-gluon-client-bridge-local-node:
#     device local-node (veth, peer local-port), network 'local_node' (next_node.ip4);
#   batman-adv: package/gluon-mesh-batman-adv/luasrc/lib/gluon/upgrade/310-...-mesh (networks
#     gluon_bat0 and bat0, bat0 a port of br-client) and 320-...-client-bridge ('client' moved
#     from zone drop to zone mesh);
#   layer 3: package/gluon-mesh-olsrd/luasrc/lib/gluon/upgrade/370-...-setup-fw ('client' out
#     of zone drop), package/gluon-mmfd/luasrc/lib/gluon/upgrade/310-gluon-mmfd-firewall (zone
#     mmfd, device mmfd+) and 430-gluon-mmfd-interface (network mmfd on mmfd0).
# Devices: a network's device is its bridge br-<name> or its ifname; zone 'device' patterns
# (mmfd+) match by prefix. check_zones() below asks which zone a daemon interface lands in.
# Policies as the scripts set them: REJECT/ACCEPT/REJECT for gluon-core's three zones, DROP for
# 'drop', gluon-mmfd's 'mmfd' with output 'accept' (lower case) and log '1'. An empty network
# list is no option at all (simple-uci deletes an option set to {}).
def zone(name, networks, device=None, policies=("REJECT", "ACCEPT", "REJECT"), extra=None):
    z = {".type": "zone", "name": name, "input": policies[0], "output": policies[1], "forward": policies[2]}
    if networks:
        z["network"] = networks
    if device:
        z["device"] = device
    z.update(extra or {})
    return z


def gluon_state(mesh, next_node="10.116.191.254", plen="18"):
    network = {
        "client": {".type": "interface", "type": "bridge", "ifname": ["local-port"], "proto": "none"},
        "local_node_dev": {".type": "device", "type": "veth", "name": "local-node", "peer_name": "local-port"},
        "local_node": {".type": "interface", "ifname": "local-node", "proto": "static",
                       "ipaddr": "%s/%s" % (next_node, plen)},
    }
    firewall = {"loc_client": zone("loc_client", ["local_node"]), "wired_mesh": zone("wired_mesh", [])}
    drop = ("DROP", "DROP", "DROP")
    if mesh == "batman-adv":
        network["client"]["ifname"].append("bat0")
        network["client"]["proto"] = "dhcpv6"  # gluon-mesh-batman-adv 320
        network["gluon_bat0"] = {".type": "interface", "proto": "gluon_bat0"}
        network["bat0"] = {".type": "interface", "ifname": "bat0", "proto": "none"}
        firewall["mesh"] = zone("mesh", ["client"])
        firewall["drop"] = zone("drop", [], policies=drop)
    else:  # layer 3: olsrd + mmfd
        network["mmfd"] = {".type": "interface", "proto": "static", "ifname": "mmfd0", "ip6addr": "fe80::1/64"}
        firewall["mesh"] = zone("mesh", [])
        firewall["drop"] = zone("drop", [], policies=drop)
        firewall["mmfd"] = zone("mmfd", [], device="mmfd+", policies=("REJECT", "accept", "REJECT"),
                                extra={"log": "1"})
    return {"network": network, "firewall": firewall}


def lua(value):
    if isinstance(value, dict):
        return "{ " + ", ".join("[%s] = %s" % (lua(k), lua(v)) for k, v in sorted(value.items())) + " }"
    if isinstance(value, list):
        return "{ " + ", ".join(lua(v) for v in value) + " }"
    return "'%s'" % value


def parse_dump(text):
    """uci dump lines -> {config: {section: {option: value or [values]}}}."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        parts = key.split(".")
        if len(parts) == 2:
            out.setdefault(parts[0], {}).setdefault(parts[1], {})[".type"] = value
        elif len(parts) == 3:
            out.setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = \
                value.split(" | ") if " | " in value or parts[2] in ("network", "dhcp_option", "trigger_interface") else value
    return out


def zone_of(device, state, firewall):
    """The zone whose networks (or device pattern) include `device`, from the model."""
    for zname, z in firewall.items():
        if z.get(".type") != "zone":
            continue
        pattern = z.get("device")
        if pattern and (device == pattern or (pattern.endswith("+") and device.startswith(pattern[:-1]))):
            return zname
        for net in z.get("network", []):
            n = state["network"].get(net, {})
            devices = ["br-" + net] if n.get("type") == "bridge" else [n.get("ifname")]
            if device in devices:
                return zname
    return None


def check_zones(out, state):
    """Problems unless UDP 1234/1235 (IPv6) are open in the zone of server_interface and UDP
    67 (IPv4) in the zone of client_interface, as gluon's own zones place those devices."""
    problems = []
    firewall = out.get("firewall", {})
    settings = out.get("ddhcpd", {}).get("settings", {})
    for option, family, ports in (("server_interface", "ipv6", "1234 1235"), ("client_interface", "ipv4", "67")):
        device = settings.get(option)
        z = zone_of(device, state, firewall)
        if z is None:
            problems.append("%s %s is in no gluon firewall zone" % (option, device))
            continue
        if not any(r.get(".type") == "rule" and r.get("src") == z and r.get("family") == family
                   and r.get("dest_port") == ports and r.get("proto") == "udp" and r.get("target") == "ACCEPT"
                   for r in firewall.values()):
            problems.append("no rule opens UDP %s (%s) in zone %s of %s %s" % (ports, family, z, option, device))
    return problems


def firewall_lines(state, rules):
    lines = []
    for name, section in state["firewall"].items():
        lines.append("firewall.%s=%s" % (name, section[".type"]))
        for k, v in section.items():
            if k != ".type":
                lines.append("firewall.%s.%s=%s" % (name, k, " | ".join(v) if isinstance(v, list) else v))
    for name, src, family, ports in rules:
        lines += ["firewall.%s=rule" % name, "firewall.%s.name=%s" % (name, name),
                  "firewall.%s.src=%s" % (name, src), "firewall.%s.family=%s" % (name, family),
                  "firewall.%s.dest_port=%s" % (name, ports), "firewall.%s.proto=udp" % name,
                  "firewall.%s.target=ACCEPT" % name]
    return lines


BATMAN_RULES = [("mesh_ddhcpd", "mesh", "ipv6", "1234 1235"), ("loc_client_ddhcpd", "loc_client", "ipv4", "67")]
LAYER3_RULES = [("mmfd_ddhcpd", "mmfd", "ipv6", "1234 1235"), ("loc_client_ddhcpd", "loc_client", "ipv4", "67")]


def settings(enabled, network, block_size, block_timeout, spare, tentative, lease, options,
             prefix, renew=None, reserve=None, static_lease=None, mesh="batman-adv"):
    layer3 = mesh != "batman-adv"
    lines = [] if layer3 else ["ddhcpd.gateway.mesh_interface=bat0", "ddhcpd.gateway.prefix=" + prefix,
                                "ddhcpd.gateway=gateway"]
    lines += ["ddhcpd.settings.block_size=%s" % block_size,
              "ddhcpd.settings.block_timeout=%s" % block_timeout,
              "ddhcpd.settings.client_interface=local-node",
              "ddhcpd.settings.dhcp_lease_time=%s" % lease,
              "ddhcpd.settings.dhcp_option=" + " | ".join(options),
              "ddhcpd.settings.enabled=%s" % enabled,
              "ddhcpd.settings.hook=/etc/ddhcpd.hook",
              "ddhcpd.settings.hotplug_call=/sbin/hotplug-call",
              "ddhcpd.settings.lease_file=/tmp/ddhcpd.leases",
              "ddhcpd.settings.network=" + network]
    if renew:
        lines.append("ddhcpd.settings.renew_byte_order=" + renew)
    if reserve:
        lines.append("ddhcpd.settings.reserve=" + " | ".join(reserve))
    if static_lease:
        lines.append("ddhcpd.settings.static_lease=" + " | ".join(static_lease))
    lines += ["ddhcpd.settings.server_interface=" + ("mmfd0" if layer3 else "br-client"),
              "ddhcpd.settings.spare_leases=%s" % spare,
              "ddhcpd.settings.tentative_timeout=%s" % tentative,
              "ddhcpd.settings.trigger_interface=" + ("mmfd | local_node" if layer3 else "client | local_node"),
              "ddhcpd.settings=ddhcpd"]
    return "\n".join(sorted(lines)) + "\n"


def upgrade(label, site_text, ddhcpd_state, want, mesh="batman-adv", firewall_extra=None, want_stderr=""):
    state = gluon_state(mesh)
    for name, section in (firewall_extra or {}).items():
        state["firewall"][name] = section
    rules = BATMAN_RULES if mesh == "batman-adv" else LAYER3_RULES
    with tempfile.TemporaryDirectory() as tmp:
        site = os.path.join(tmp, "site.conf")
        write(site, site_text)
        state_file = os.path.join(tmp, "state.lua")
        write(state_file, "return { network = %s, firewall = %s, ddhcpd = %s }"
              % (lua(state["network"]), lua(state["firewall"]), ddhcpd_state))
        env = dict(os.environ, SITE_CONF=site, UCI_STATE=state_file)
        proc = subprocess.run([LUA, os.path.join(GSTUB, "run_upgrade.lua"), UPGRADE],
                              env=env, capture_output=True, text=True, timeout=30)
    got = "\n".join(sorted(proc.stdout.strip().split("\n"))) + "\n"
    model = gluon_state(mesh)
    want_lines = want.splitlines() + firewall_lines(model, rules)
    want = "\n".join(sorted(want_lines)) + "\n"
    problems = []
    if proc.returncode != 0:
        problems.append("exit %d: %s" % (proc.returncode, proc.stderr))
    if proc.stderr != want_stderr:
        problems.append("stderr %r" % proc.stderr)
    if got != want:
        import difflib
        problems.append("uci differs:\n" + "".join(difflib.unified_diff(
            want.splitlines(True), got.splitlines(True), "want", "got")))
    problems += check_zones(parse_dump(proc.stdout), model)
    report("upgrade [%s]: %s" % (mesh, label), problems)


upgrade("defaults: range = prefix4, C-gluon timers, 54 = next_node, 1 = mask of prefix4",
        "{ prefix4 = '10.116.128.0/18', next_node = { ip4 = '10.116.191.254' } }", "{}",
        settings(1, "10.116.128.0/18", 2, 300, 2, 15, 300,
                 ["54:4:10.116.191.254", "1:4:255.255.192.0"], "10.116.128.0/18"))
upgrade("layer 3 (olsrd + mmfd): mmfd0, router and DNS = next_node, no gateway updater",
        "{ prefix4 = '10.116.128.0/18', next_node = { ip4 = '10.116.191.254' } }", "{}",
        settings(1, "10.116.128.0/18", 2, 300, 2, 15, 300,
                 ["54:4:10.116.191.254", "1:4:255.255.192.0", "3:4:10.116.191.254", "6:4:10.116.191.254"],
                 "10.116.128.0/18", mesh="layer3"), mesh="layer3")
upgrade("site values: sub-range, own timers, mask still that of prefix4, stale options dropped",
        """{ prefix4 = '10.12.0.0/16', next_node = { ip4 = '10.12.0.1' },
             ddhcpd = { range = '10.12.128.0/17', block_size = 3, block_timeout = 120,
                        spare_leases = 4, tentative_timeout = 10, dhcp_lease_time = 1800,
                        renew_byte_order = 'be', enabled = false } }""",
        "{ settings = { ['.type'] = 'ddhcpd', network = '10.99.0.0/16', learning = '0',"
        " dhcp_option = { '3:4:10.99.0.1' } } }",
        settings(0, "10.12.128.0/17", 3, 120, 4, 10, 1800,
                 ["54:4:10.12.0.1", "1:4:255.255.0.0"], "10.12.0.0/16", renew="be"))
upgrade("node owner's 'enabled' survives (site says enabled, owner disabled it)",
        "{ prefix4 = '10.1.0.0/20', next_node = { ip4 = '10.1.15.254' }, ddhcpd = { enabled = true } }",
        "{ settings = { ['.type'] = 'ddhcpd', enabled = '0' } }",
        settings(0, "10.1.0.0/20", 2, 300, 2, 15, 300,
                 ["54:4:10.1.15.254", "1:4:255.255.240.0"], "10.1.0.0/20"))
upgrade("reserve and static leases become uci lists",
        """{ prefix4 = '10.1.0.0/20', next_node = { ip4 = '10.1.15.254' },
             ddhcpd = { reserve = { '10.1.0.2-10.1.0.9', '10.1.1.0/28' },
                        static_leases = { { mac = '02:00:00:00:00:01', ip4 = '10.1.0.5' } } } }""", "{}",
        settings(1, "10.1.0.0/20", 2, 300, 2, 15, 300,
                 ["54:4:10.1.15.254", "1:4:255.255.240.0"], "10.1.0.0/20",
                 reserve=["10.1.0.2-10.1.0.9", "10.1.1.0/28"], static_lease=["02:00:00:00:00:01,10.1.0.5"]))
upgrade("no prefix4: pool and mask from the range",
        "{ next_node = { ip4 = '10.20.255.254' }, ddhcpd = { range = '10.20.0.0/15' } }", "{}",
        settings(1, "10.20.0.0/15", 2, 300, 2, 15, 300,
                 ["54:4:10.20.255.254", "1:4:255.254.0.0"], "10.20.0.0/15"))

# Upgrading a node that ran a C package: its config as the C packages' upgrade scripts leave it.
# Both write the settings with uci:section('ddhcpd', 'settings', 'settings', ...), which turns the
# shipped 'config ddhcpd' section into type 'settings' (libuci changes the type of an existing
# section, openwrt/uci 66127cd76c5d0bd46d5a90302cc6110f53a4e2f8 list.c uci_set).
#   batman-adv: sargon/gluon-sargon 0eeefb011748be0c4bb7446154cfbaa4af28094c
#     ddhcpd/files/etc/config/ddhcpd (dhcp_interface local-node, server_interface br-client,
#     section lease_time) + ddhcpd/luasrc/lib/gluon/upgrade/500-ddhcpd (block_network,
#     block_size_pow, ..., sections server_identify and netmask; it deletes a stale 'broadcast'
#     section of older versions) + 400-ddhcpd-firewall (rules mesh_ddhcpd 1234, mesh_d2d 1235,
#     client_dhcp 67 in loc_client);
#   layer 3: freifunk-gluon/community-packages 71aa160c1aabaf2134b9f16d0c2779782b056039
#     ffgraz-ddhcpd (the same, plus rule mmfd_ddhcpd) + ffgraz-ddhcpd-nextnode/luasrc/lib/gluon/
#     upgrade/500-ddhcpd-option-nextnode (server_interface mmfd0, sections nextnode_router and
#     nextnode_dns).
# Plus a community's own option 42 section, which must be carried over, and a left-over
# 'broadcast' section (option 28), which must not.
C_SETTINGS = ("settings = { ['.type'] = 'settings', enabled = '0', dhcp_interface = 'local-node',"
              " server_interface = '%s', block_network = '10.116.128.0/18', block_size_pow = '2',"
              " block_timeout = '300', dhcp_lease_time = '300', spare_leases = '2', tentative_timeout = '15' },")
C_SECTIONS = """
  lease_time = { ['.type'] = 'dhcp_option', code = '51', len = '4', payload = '0.0.1.44' },
  server_identify = { ['.type'] = 'dhcp_option', code = '54', len = '4', payload = '10.116.191.254' },
  netmask = { ['.type'] = 'dhcp_option', code = '1', len = '4', payload = '255.255.192.0' },
  broadcast = { ['.type'] = 'dhcp_option', code = '28', len = '4', payload = '10.116.191.255' },
  ntp = { ['.type'] = 'dhcp_option', code = '42', len = '4', payload = '10.116.128.1' },"""
C_STATE_BATMAN = "{ " + C_SETTINGS % "br-client" + C_SECTIONS + " }"
C_STATE_LAYER3 = "{ " + C_SETTINGS % "mmfd0" + C_SECTIONS + """
  nextnode_router = { ['.type'] = 'dhcp_option', code = '3', len = '4', payload = '10.116.191.254' },
  nextnode_dns = { ['.type'] = 'dhcp_option', code = '6', len = '4', payload = '10.116.191.254' },
}"""
C_RULES = {
    "mesh_ddhcpd": {".type": "rule", "name": "mesh_ddhcpd", "src": "mesh", "family": "ipv6", "dest_port": "1234",
                    "proto": "udp", "target": "ACCEPT"},
    "mesh_d2d": {".type": "rule", "name": "mesh_d2d", "src": "mesh", "family": "ipv6", "dest_port": "1235",
                 "proto": "udp", "target": "ACCEPT"},
    "mmfd_ddhcpd": {".type": "rule", "name": "mmfd_ddhcpd", "src": "mmfd", "family": "ipv6", "dest_port": "1234",
                    "proto": "udp", "target": "ACCEPT"},
    "client_dhcp": {".type": "rule", "name": "client_dhcp", "src": "loc_client", "family": "ipv4", "dest_port": "67",
                    "proto": "udp", "target": "ACCEPT"},
}
upgrade("from ffgraz-ddhcpd + -nextnode (layer 3): old names and sections migrated, C rules replaced, owner's 'enabled' kept",
        "{ prefix4 = '10.116.128.0/18', next_node = { ip4 = '10.116.191.254' } }", C_STATE_LAYER3,
        settings(0, "10.116.128.0/18", 2, 300, 2, 15, 300,
                 ["54:4:10.116.191.254", "1:4:255.255.192.0", "3:4:10.116.191.254", "6:4:10.116.191.254",
                  "42:4:10.116.128.1"], "10.116.128.0/18", mesh="layer3"),
        mesh="layer3", firewall_extra=C_RULES)
upgrade("from gluon-sargon's ddhcpd (batman-adv): the same migration on a batman-adv site",
        "{ prefix4 = '10.116.128.0/18', next_node = { ip4 = '10.116.191.254' } }", C_STATE_BATMAN,
        settings(0, "10.116.128.0/18", 2, 300, 2, 15, 300,
                 ["54:4:10.116.191.254", "1:4:255.255.192.0", "42:4:10.116.128.1"], "10.116.128.0/18"),
        firewall_extra={k: v for k, v in C_RULES.items() if k != "mmfd_ddhcpd"})


def layer3_without_mmfd():
    """A layer-3 site without gluon-mmfd (no gluon_bat0, no mmfd) has no way to flood the block
    negotiation: the upgrade script says so on stderr."""
    state = gluon_state("layer3")
    del state["network"]["mmfd"]
    del state["firewall"]["mmfd"]
    with tempfile.TemporaryDirectory() as tmp:
        site = os.path.join(tmp, "site.conf")
        write(site, "{ prefix4 = '10.116.128.0/18', next_node = { ip4 = '10.116.191.254' } }")
        state_file = os.path.join(tmp, "state.lua")
        write(state_file, "return { network = %s, firewall = %s, ddhcpd = {} }"
              % (lua(state["network"]), lua(state["firewall"])))
        proc = subprocess.run([LUA, os.path.join(GSTUB, "run_upgrade.lua"), UPGRADE],
                              env=dict(os.environ, SITE_CONF=site, UCI_STATE=state_file),
                              capture_output=True, text=True, timeout=30)
    report("upgrade [layer3 without gluon-mmfd]: warns that layer-3 sites need gluon-mmfd",
           [] if proc.returncode == 0 and "layer-3 sites need gluon-mmfd" in proc.stderr
           else ["rc=%d stderr %r" % (proc.returncode, proc.stderr)])


layer3_without_mmfd()


# With GLUON_SOURCE set to a gluon checkout, the model above is checked against gluon's own
# upgrade scripts, run in order through the stand-ins (gluon-stub/run_gluon_scripts.lua): every
# zone's policies, networks and devices and every network's device must be as modelled.
GLUON_SCRIPTS = {
    "batman-adv": ["gluon-core/luasrc/lib/gluon/upgrade/300-firewall-rules",
                   "gluon-client-bridge/luasrc/lib/gluon/upgrade/300-gluon-client-bridge-network",
                   "gluon-client-bridge/luasrc/lib/gluon/upgrade/310-gluon-client-bridge-local-node",
                   "gluon-mesh-batman-adv/luasrc/lib/gluon/upgrade/310-gluon-mesh-batman-adv-mesh",
                   "gluon-mesh-batman-adv/luasrc/lib/gluon/upgrade/320-gluon-mesh-batman-adv-client-bridge"],
    "layer3": ["gluon-core/luasrc/lib/gluon/upgrade/300-firewall-rules",
               "gluon-client-bridge/luasrc/lib/gluon/upgrade/300-gluon-client-bridge-network",
               "gluon-client-bridge/luasrc/lib/gluon/upgrade/310-gluon-client-bridge-local-node",
               "gluon-mesh-layer3-common/luasrc/lib/gluon/upgrade/310-layer3-firewall",
               "gluon-mmfd/luasrc/lib/gluon/upgrade/310-gluon-mmfd-firewall",
               "gluon-mesh-olsrd/luasrc/lib/gluon/upgrade/370-gluon-mesh-olsrd-setup-fw",
               "gluon-mmfd/luasrc/lib/gluon/upgrade/430-gluon-mmfd-interface"],
}
MODEL_KEYS = ("network", "input", "output", "forward", "device", "ifname", "name", "type", "proto", "log", "peer_name")


def model_summary(state):
    out = set()
    for config in ("network", "firewall"):
        for name, section in state.get(config, {}).items():
            if section.get(".type") in ("zone", "interface", "device"):
                for key in MODEL_KEYS:
                    if key in section:
                        value = section[key]
                        out.add("%s.%s.%s=%s" % (config, name, key, ",".join(value) if isinstance(value, list) else value))
    return out


def model_against_gluon(source):
    for mesh, scripts in GLUON_SCRIPTS.items():
        label = "model [%s] = what gluon's own upgrade scripts create (%s)" % (mesh, source)
        with tempfile.TemporaryDirectory() as tmp:
            site = os.path.join(tmp, "site.conf")
            write(site, "{ prefix4 = '10.116.128.0/18', prefix6 = 'fdca:ffee:8::/64',"
                        " next_node = { ip4 = '10.116.191.254' }, dns = {} }")
            init = os.path.join(tmp, "init.lua")
            write(init, "return { firewall = { defaults = { ['.type'] = 'defaults' } },"
                        " dhcp = { dnsmasq = { ['.type'] = 'dnsmasq' } } }")
            paths = [os.path.join(source, "package", s) for s in scripts]
            missing = [p for p in paths if not os.path.exists(p)]
            if missing:
                report(label, ["not in GLUON_SOURCE: %r" % missing])
                continue
            proc = subprocess.run([LUA, os.path.join(GSTUB, "run_gluon_scripts.lua")] + paths,
                                  env=dict(os.environ, SITE_CONF=site, UCI_STATE=init),
                                  capture_output=True, text=True, timeout=30)
        got = model_summary(parse_dump(proc.stdout))
        want = model_summary(gluon_state(mesh))
        problems = [] if proc.returncode == 0 else ["scripts failed: %s" % proc.stderr]
        if got != want:
            problems.append("gluon has, the model lacks: %r\n  the model has, gluon lacks: %r"
                            % (sorted(got - want), sorted(want - got)))
        report(label, problems)


if os.environ.get("GLUON_SOURCE"):
    model_against_gluon(os.environ["GLUON_SOURCE"])
else:
    skip("model against gluon's upgrade scripts", "GLUON_SOURCE (a gluon checkout) not set")


def zone_model_catches_wrong_zones():
    """The zone check itself: a rule in a zone that does not hold the interface is reported."""
    model = gluon_state("batman-adv")
    out = {"ddhcpd": {"settings": {"server_interface": "br-client", "client_interface": "br-client"}},
           "firewall": dict(model["firewall"], client_ddhcpd_dhcp={".type": "rule", "src": "client", "family": "ipv4",
                                                                   "dest_port": "67", "proto": "udp", "target": "ACCEPT"},
                            mesh_ddhcpd={".type": "rule", "src": "mesh", "family": "ipv6", "dest_port": "1234 1235",
                                         "proto": "udp", "target": "ACCEPT"})}
    problems = check_zones(out, model)
    # br-client is in zone mesh (batman-adv): UDP 67 in a zone 'client' that gluon lacks is no help.
    report("zone model: DHCP opened in a zone gluon does not have is caught",
           [] if any("UDP 67" in p and "zone mesh" in p for p in problems) else ["not caught: %r" % problems])


zone_model_catches_wrong_zones()

# ---------------------------------------------------------------- gateway options

BATCTL = r"""#!/bin/sh
# batctl stand-in: 'batctl meshif IFACE CMD -H' prints $FIXTURES/CMD (gwl, tg, dc)
[ "$1" = meshif ] && [ "$2" = "$EXPECT_MESHIF" ] || { echo "batctl stub: unexpected $*" >&2; exit 1; }
cat "$FIXTURES/$3" 2>/dev/null
"""
IP = r"""#!/bin/sh
[ "$*" = "-4 neigh show" ] || { echo "ip stub: unexpected $*" >&2; exit 1; }
cat "$FIXTURES/neigh" 2>/dev/null
"""
UCI = r"""#!/bin/sh
# uci stand-in: 'uci -q get KEY' from $FIXTURES/uci (KEY=VALUE lines)
[ "$1" = -q ] && [ "$2" = get ] || { echo "uci stub: unexpected $*" >&2; exit 1; }
v=$(grep "^$3=" "$FIXTURES/uci" | cut -d= -f2-)
[ -n "$v" ] && echo "$v"
"""
DDHCPDCTL = r"""#!/bin/sh
echo "ddhcpdctl $*" >> "$FIXTURES/calls"
case "$*" in
	*-d) [ -f "$FIXTURES/options" ] || exit 255; cat "$FIXTURES/options" ;;
esac
"""
LOGGER = r"""#!/bin/sh
echo "logger $*" >> "$FIXTURES/log"
"""

GWL = """  Router            ( TQ) Next Hop          [outgoingIf]  Bandwidth
  02:ca:fe:00:00:02 (180) 02:ca:fe:00:00:02 [  mesh-vpn]: 10.0/10.0 MBit
* 02:ca:fe:00:00:01 (255) 02:ca:fe:00:00:01 [  mesh-vpn]: 100.0/100.0 MBit
"""
TG = """   Client             VID Flags    Last ttvn     Via        ttvn  (CRC       )
 * 02:11:11:11:11:11   -1 [.P....] (  7) 02:ca:fe:00:00:01 (  7) (0x1c2d3e4f)
 * 02:22:22:22:22:22   -1 [.P....] (  3) 02:ca:fe:00:00:02 (  3) (0x5a6b7c8d)
 * 02:33:33:33:33:33   -1 [......] (  9) 02:00:00:00:aa:bb (  9) (0x01020304)
"""
DC = """Distributed ARP Table (bat0):
          IPv4             MAC        VID   last-seen
 * 10.116.128.9     02:33:33:33:33:33    -1      0:05
 * 10.116.128.2     02:22:22:22:22:22    -1      0:30
 * 192.168.1.1      02:11:11:11:11:11    -1      0:10
 * 10.116.192.0     02:11:11:11:11:11    -1      0:10
 * 10.116.127.255   02:11:11:11:11:11    -1      0:10
 * 10.116.128.1     02:11:11:11:11:11    -1      0:12
"""
OPTIONS_HEADER = "DHCP Lease Time: 300\n\nDHCP Disabled: 0\nDHCP Option Store\ncode\tlen\tpayload\n"
OPT_BASE = "1\t4\t255\t255\t192\t0\t\n54\t4\t10\t116\t191\t254\t\n51\t4\t0\t0\t1\t44\t\n"
UCI_FIXTURE = "ddhcpd.gateway=gateway\nddhcpd.gateway.mesh_interface=bat0\nddhcpd.gateway.prefix=10.116.128.0/18\n"


def gateway(label, want_calls, options=OPT_BASE, gwl=GWL, tg=TG, dc=DC, neigh=None,
            uci=UCI_FIXTURE, meshif="bat0", want_log=None, want_rc=0, daemon_running=True):
    for shell in (["busybox", "sh"], ["dash"]):
        with tempfile.TemporaryDirectory() as tmp:
            bin_dir = os.path.join(tmp, "bin")
            fx = os.path.join(tmp, "fixtures")
            os.mkdir(bin_dir)
            os.mkdir(fx)
            for name, text in (("batctl", BATCTL), ("ip", IP), ("uci", UCI),
                               ("ddhcpdctl", DDHCPDCTL), ("logger", LOGGER)):
                write(os.path.join(bin_dir, name), text, 0o755)
            for name, text in (("gwl", gwl), ("tg", tg), ("dc", dc), ("neigh", neigh), ("uci", uci)):
                if text is not None:
                    write(os.path.join(fx, name), text)
            if daemon_running:
                write(os.path.join(fx, "options"), OPTIONS_HEADER + options)
            env = dict(os.environ, PATH=bin_dir + ":" + os.environ["PATH"], FIXTURES=fx,
                       EXPECT_MESHIF=meshif)
            proc = subprocess.run(shell + [GATEWAY], env=env, capture_output=True, text=True, timeout=30)
            calls = open(os.path.join(fx, "calls")).read().splitlines() if os.path.exists(
                os.path.join(fx, "calls")) else []
            log = open(os.path.join(fx, "log")).read() if os.path.exists(os.path.join(fx, "log")) else ""
        problems = []
        if proc.returncode != want_rc:
            problems.append("exit %d, want %d (stderr %r)" % (proc.returncode, want_rc, proc.stderr))
        if proc.stderr:
            problems.append("stderr: %r" % proc.stderr)
        if calls != want_calls:
            problems.append("ddhcpdctl calls:\n    got  %r\n    want %r" % (calls, want_calls))
        if want_log is not None and want_log not in log:
            problems.append("log %r lacks %r" % (log, want_log))
        report("gateway: %s [%s]" % (label, " ".join(shell)), problems)


D = "ddhcpdctl -C /tmp/ddhcpd_ctl -d"
gateway("layer-3 site (no gateway section): nothing asked, nothing changed", [],
        uci="ddhcpd.settings.network=10.116.128.0/18\n")
gateway("selected gateway's bridge MAC via translation table + DAT; options set",
        [D, "ddhcpdctl -C /tmp/ddhcpd_ctl -o 3:4:10.116.128.1", "ddhcpdctl -C /tmp/ddhcpd_ctl -o 6:4:10.116.128.1"],
        want_log="option 3 set to 10.116.128.1")
gateway("options already right: daemon left alone",
        [D], options=OPT_BASE + "3\t4\t10\t116\t128\t1\t\n6\t4\t10\t116\t128\t1\t\n")
gateway("gateway changed: both options replaced",
        [D, "ddhcpdctl -C /tmp/ddhcpd_ctl -o 3:4:10.116.128.2", "ddhcpdctl -C /tmp/ddhcpd_ctl -o 6:4:10.116.128.2"],
        gwl=GWL.replace("* 02:ca:fe:00:00:01", "  02:ca:fe:00:00:01").replace("  02:ca:fe:00:00:02 (180)", "* 02:ca:fe:00:00:02 (180)"),
        options=OPT_BASE + "3\t4\t10\t116\t128\t1\t\n6\t4\t10\t116\t128\t1\t\n")
gateway("older batctl marks the selection with '=>'",
        [D, "ddhcpdctl -C /tmp/ddhcpd_ctl -o 3:4:10.116.128.1", "ddhcpdctl -C /tmp/ddhcpd_ctl -o 6:4:10.116.128.1"],
        gwl=GWL.replace("* 02:ca:fe:00:00:01", "=> 02:ca:fe:00:00:01"))
gateway("only one of the two options right: only the other one set",
        [D, "ddhcpdctl -C /tmp/ddhcpd_ctl -o 6:4:10.116.128.1"],
        options=OPT_BASE + "3\t4\t10\t116\t128\t1\t\n6\t4\t8\t8\t8\t8\t\n")
gateway("address from the neighbour table when the DAT does not know it",
        [D, "ddhcpdctl -C /tmp/ddhcpd_ctl -o 3:4:10.116.129.77", "ddhcpdctl -C /tmp/ddhcpd_ctl -o 6:4:10.116.129.77"],
        dc="", neigh="10.116.129.77 dev br-client lladdr 02:11:11:11:11:11 STALE\n"
                     "10.116.129.78 dev br-client  FAILED\n")
gateway("gateway announces its originator MAC as a client itself",
        [D, "ddhcpdctl -C /tmp/ddhcpd_ctl -o 3:4:10.116.130.5", "ddhcpdctl -C /tmp/ddhcpd_ctl -o 6:4:10.116.130.5"],
        tg="", dc=" * 10.116.130.5 02:CA:FE:00:00:01 -1 0:01\n")
gateway("gateway addresses outside the client prefix only: options left as they are",
        [D], dc=" * 192.168.1.1 02:11:11:11:11:11 -1 0:10\n * 10.116.192.0 02:11:11:11:11:11 -1 0:10\n"
                " * 10.116.127.255 02:11:11:11:11:11 -1 0:10\n",
        options=OPT_BASE + "3\t4\t10\t116\t128\t1\t\n6\t4\t10\t116\t128\t1\t\n",
        want_log="no IPv4 address inside 10.116.128.0/18")
gateway("no gateway selected: existing options removed",
        [D, "ddhcpdctl -C /tmp/ddhcpd_ctl -r 3", "ddhcpdctl -C /tmp/ddhcpd_ctl -r 6"],
        gwl=GWL.replace("* 02:ca:fe:00:00:01", "  02:ca:fe:00:00:01"),
        options=OPT_BASE + "3\t4\t10\t116\t128\t1\t\n6\t4\t10\t116\t128\t1\t\n",
        want_log="no gateway selected")
gateway("no gateway selected and no options: nothing to do",
        [D], gwl="")
gateway("daemon not running: nothing but the query", [D], daemon_running=False)
gateway("non-default control path, mesh interface and prefix from uci",
        ["ddhcpdctl -C /var/run/ddhcpd.sock -d", "ddhcpdctl -C /var/run/ddhcpd.sock -o 3:4:192.168.1.1",
         "ddhcpdctl -C /var/run/ddhcpd.sock -o 6:4:192.168.1.1"],
        uci="ddhcpd.gateway=gateway\nddhcpd.settings.control_path=/var/run/ddhcpd.sock\nddhcpd.gateway.mesh_interface=bat1\n"
            "ddhcpd.gateway.prefix=192.168.0.0/16\n", meshif="bat1")
gateway("prefix falls back to the pool (ddhcpd.settings.network)",
        [D, "ddhcpdctl -C /tmp/ddhcpd_ctl -o 3:4:192.168.1.1", "ddhcpdctl -C /tmp/ddhcpd_ctl -o 6:4:192.168.1.1"],
        uci="ddhcpd.gateway=gateway\nddhcpd.settings.network=192.168.0.0/23\n")


def endlearning_hook():
    """50-gateway-update runs the updater on 'endlearning' only."""
    for action, want in (("endlearning", True), ("lease", False), ("release", False)):
        with tempfile.TemporaryDirectory() as tmp:
            marker = os.path.join(tmp, "ran")
            text = open(ENDLEARNING).read().replace(
                "/usr/sbin/ddhcpd-gateway-update", "touch %s" % marker)
            hook = os.path.join(tmp, "hook")
            write(hook, text, 0o755)
            proc = subprocess.run(["busybox", "sh", "-e", "--", hook, action, "10.0.0.5", "02:00:00:00:00:01"],
                                  capture_output=True, text=True, timeout=10)
            for _ in range(50):
                if os.path.exists(marker):
                    break
                subprocess.run(["sleep", "0.05"])
            ran = os.path.exists(marker)
        report("ddhcpd.d/50-gateway-update on %s" % action,
               [] if proc.returncode == 0 and ran == want else
               ["rc=%d ran=%s want %s" % (proc.returncode, ran, want)])


def hotplug():
    """The hotplug.d/net script runs the updater for batman-adv gw uevents only."""
    for battype, want in (("gw", True), ("", False), ("loopdetect", False)):
        with tempfile.TemporaryDirectory() as tmp:
            marker = os.path.join(tmp, "ran")
            text = open(HOTPLUG).read().replace("/usr/sbin/ddhcpd-gateway-update", "touch %s" % marker)
            script = os.path.join(tmp, "hotplug")
            write(script, text)
            env = dict(os.environ, ACTION="change", INTERFACE="bat0", BATTYPE=battype,
                       BATACTION="change", BATDATA="02:ca:fe:00:00:01")
            # hotplug-call sources the scripts in a subshell
            subprocess.run(["busybox", "sh", "-c", '( . "$0" )', script], env=env, timeout=10)
            ran = os.path.exists(marker)
        report("hotplug.d/net with BATTYPE=%r" % battype, [] if ran == want else ["ran=%s want %s" % (ran, want)])


def real_daemon_gateway(daemon):
    """ddhcpd-gateway-update with the real ddhcpdctl against the real daemon (batctl, ip, uci
    still stubbed): the option store must show 3 and 6 set, unchanged on a second run (no set
    command sent), and removed when no gateway is selected."""
    label = "gateway: real daemon %s" % daemon
    ns = "owrtgw%d" % os.getpid()
    tmp = tempfile.mkdtemp(prefix="owrt-gw-")
    proc = None
    try:
        subprocess.run(["ip", "netns", "add", ns], check=True)
        for cmd in (["link", "set", "lo", "up"], ["link", "add", "v0", "type", "veth", "peer", "name", "v1"],
                    ["link", "set", "v0", "up"], ["link", "set", "v1", "up"]):
            subprocess.run(["ip", "-n", ns] + cmd, check=True)
        sock = os.path.join(tmp, "ctl")
        real_ctl_dir = os.path.join(tmp, "real")
        os.mkdir(real_ctl_dir)
        os.symlink(daemon, os.path.join(real_ctl_dir, "ddhcpdctl"))
        log = open(os.path.join(tmp, "daemon.log"), "w")
        proc = subprocess.Popen(["ip", "netns", "exec", ns, daemon, "-D", "-L", "-i", "v0", "-c", "v0",
                                 "-C", sock, "-N", "10.116.128.0/18", "-b", "2", "-o", "54:4:10.116.191.254"],
                                stdout=log, stderr=log, stdin=subprocess.DEVNULL)

        def option_store():
            out = subprocess.run([os.path.join(real_ctl_dir, "ddhcpdctl"), "-C", sock, "-d"],
                                 capture_output=True, text=True, timeout=5).stdout
            return {line.split("\t")[0]: ".".join(line.split("\t")[2:6])
                    for line in out.splitlines() if line[:1].isdigit()} if "DHCP Option Store" in out else None

        for _ in range(50):
            if proc.poll() is not None or option_store() is not None:
                break
            subprocess.run(["sleep", "0.1"])
        if option_store() is None:
            skip(label, "the daemon did not answer ddhcpdctl -d within 5 s (exit %s; see its own "
                 "integration suite), real-daemon check not run" % proc.poll())
            return

        bin_dir = os.path.join(tmp, "bin")
        fx = os.path.join(tmp, "fixtures")
        os.mkdir(bin_dir)
        os.mkdir(fx)
        for name, text in (("batctl", BATCTL), ("ip", IP), ("uci", UCI), ("logger", LOGGER)):
            write(os.path.join(bin_dir, name), text, 0o755)
        # ddhcpdctl on PATH: records the call, then runs the real client (argv[0] = ddhcpdctl)
        write(os.path.join(bin_dir, "ddhcpdctl"), '#!/bin/sh\necho "ddhcpdctl $*" >> "$FIXTURES/calls"\n'
              'exec %s "$@"\n' % os.path.join(real_ctl_dir, "ddhcpdctl"), 0o755)
        write(os.path.join(fx, "uci"), UCI_FIXTURE + "ddhcpd.settings.control_path=%s\n" % sock)
        env = dict(os.environ, PATH=bin_dir + ":" + os.environ["PATH"], FIXTURES=fx, EXPECT_MESHIF="bat0")
        problems = []

        def run_updater(gwl):
            write(os.path.join(fx, "gwl"), gwl)
            for name, text in (("tg", TG), ("dc", DC)):
                write(os.path.join(fx, name), text)
            if os.path.exists(os.path.join(fx, "calls")):
                os.remove(os.path.join(fx, "calls"))
            run = subprocess.run(["busybox", "sh", GATEWAY], env=env, capture_output=True, text=True, timeout=30)
            if run.returncode != 0 or run.stderr:
                problems.append("updater rc=%d stderr=%r" % (run.returncode, run.stderr))
            return open(os.path.join(fx, "calls")).read().splitlines()

        calls = run_updater(GWL)
        store = option_store()
        if store.get("3") != "10.116.128.1" or store.get("6") != "10.116.128.1" or store.get("54") != "10.116.191.254":
            problems.append("after the first run the daemon has %r" % store)
        if len(calls) != 3:
            problems.append("first run: %r" % calls)
        calls = run_updater(GWL)
        if calls != ["ddhcpdctl -C %s -d" % sock]:
            problems.append("second run should only query, made %r" % calls)
        run_updater(GWL.replace("* 02:ca:fe:00:00:01", "  02:ca:fe:00:00:01"))
        store = option_store()
        if "3" in store or "6" in store or store.get("54") != "10.116.191.254":
            problems.append("with no gateway the daemon still has %r" % store)
        report(label, problems)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- gluon-reload and autoupdater hooks

FILES = os.path.join(PKG, "files")
INIT_STUB = r"""#!/bin/sh
# /etc/init.d/ddhcpd stand-in: records the action; 'enabled' answers from $ENABLED
echo "ddhcpd $1" >> "$LOG"
[ "$1" != enabled ] || [ "$ENABLED" = 1 ]
"""
# gluon's /lib/gluon/autoupdater/lib.sh as freifunk-gluon/gluon
# e676194302bf49654b75a8e3a64b0bc5e6d87a15 package/gluon-autoupdater/files/lib/gluon/autoupdater/lib.sh
# defines them: stop runs the init script's stop if it is executable, start_enabled its start
# only if 'enabled' says so.
AUTOUPDATER_LIB = r"""
stop() { if [ -x "$INITD/$1" ]; then "$INITD/$1" stop; fi; }
start_enabled() { if [ -x "$INITD/$1" ] && "$INITD/$1" enabled; then "$INITD/$1" start; fi; }
"""


def hook_env(tmp, enabled="1"):
    initd = os.path.join(tmp, "init.d")
    os.makedirs(initd, exist_ok=True)
    write(os.path.join(initd, "ddhcpd"), INIT_STUB, 0o755)
    write(os.path.join(tmp, "lib.sh"), AUTOUPDATER_LIB)
    log = os.path.join(tmp, "log")
    open(log, "w").close()
    return dict(os.environ, INITD=initd, LOG=log, ENABLED=enabled), log


def localized(path, tmp):
    """A hook with /etc/init.d and gluon's autoupdater lib.sh pointed into tmp."""
    text = open(path).read().replace("/etc/init.d/", tmp + "/init.d/").replace(
        "/lib/gluon/autoupdater/lib.sh", tmp + "/lib.sh")
    out = os.path.join(tmp, os.path.basename(path))
    write(out, text, os.stat(path).st_mode & 0o777)
    return out


def reload_hooks():
    """gluon-reload (freifunk-gluon/gluon e676194 package/gluon-core/files/usr/bin/gluon-reload)
    runs every executable in /lib/gluon/reload.d in name order: ddhcpd must stop before
    gluon-core's 380-network-stop and start after its 720-network-start."""
    problems = []
    reload_dir = os.path.join(FILES, "lib", "gluon", "reload.d")
    with tempfile.TemporaryDirectory() as tmp:
        env, log = hook_env(tmp)
        run_dir = os.path.join(tmp, "reload.d")
        os.mkdir(run_dir)
        for name in ("380-network-stop", "720-network-start"):
            write(os.path.join(run_dir, name), '#!/bin/sh\necho "%s" >> "$LOG"\n' % name, 0o755)
        for name in sorted(os.listdir(reload_dir)):
            if not os.access(os.path.join(reload_dir, name), os.X_OK):
                problems.append("%s is not executable (gluon-reload runs ./script)" % name)
            shutil.move(localized(os.path.join(reload_dir, name), tmp), os.path.join(run_dir, name))
        proc = subprocess.run(["busybox", "sh", "-c", 'cd "$0" && for s in *; do ./"$s" || exit 1; done', run_dir],
                              env=env, capture_output=True, text=True, timeout=10)
        calls = open(log).read().split("\n")[:-1]
    want = ["ddhcpd stop", "380-network-stop", "720-network-start", "ddhcpd start"]
    if proc.returncode != 0 or calls != want:
        problems.append("rc=%d calls %r, want %r" % (proc.returncode, calls, want))
    report("gluon-reload: ddhcpd stopped before the network goes down, started after it is up", problems)


def autoupdater_hooks():
    """download.d stops ddhcpd before the image download; abort.d starts it again, if enabled."""
    base = os.path.join(FILES, "usr", "lib", "autoupdater")
    for hook, enabled, want in (("download.d", "1", ["ddhcpd stop"]),
                                ("abort.d", "1", ["ddhcpd enabled", "ddhcpd start"]),
                                ("abort.d", "0", ["ddhcpd enabled"])):
        with tempfile.TemporaryDirectory() as tmp:
            env, log = hook_env(tmp, enabled)
            names = sorted(os.listdir(os.path.join(base, hook)))
            problems = [] if names == ["50ddhcpd"] else ["%s holds %r" % (hook, names)]
            script = localized(os.path.join(base, hook, "50ddhcpd"), tmp)
            if not os.access(script, os.X_OK):
                problems.append("%s/50ddhcpd is not executable" % hook)
            proc = subprocess.run([script], env=env, capture_output=True, text=True, timeout=10)
            calls = open(log).read().split("\n")[:-1]
        if proc.returncode != 0 or calls != want:
            problems.append("rc=%d calls %r, want %r (stderr %r)" % (proc.returncode, calls, want, proc.stderr))
        report("autoupdater %s/50ddhcpd (enabled=%s)" % (hook, enabled), problems)


def makefile_field(path, field):
    for line in open(path):
        if line.strip().startswith(field + ":="):
            return line.split(":=", 1)[1].split()
    return []


def conflicts():
    """The C packages install the same files (ddhcpd, ddhcpdctl, /etc/config/ddhcpd, the init
    script) or a second gateway updater: opkg must refuse to install both."""
    problems = []
    gluon_conflicts = makefile_field(os.path.join(PKG, "Makefile"), "CONFLICTS")
    daemon_conflicts = makefile_field(os.path.join(HERE, "..", "ddhcpd", "Makefile"), "CONFLICTS")
    for name in ("ffgraz-ddhcpd-batman-adv", "ffgraz-ddhcpd-nextnode", "ddhcpd-batman-adv"):
        if name not in gluon_conflicts:
            problems.append("gluon-ddhcpd does not conflict with %s (%r)" % (name, gluon_conflicts))
    if "ffgraz-ddhcpd" not in daemon_conflicts:
        problems.append("ddhcpd does not conflict with ffgraz-ddhcpd (%r)" % daemon_conflicts)
    for dep in ("+ddhcpd", "+micrond", "+gluon-core"):
        if dep not in makefile_field(os.path.join(PKG, "Makefile"), "DEPENDS"):
            problems.append("gluon-ddhcpd does not depend on %s" % dep)
    report("Makefiles: CONFLICTS with the C packages, DEPENDS", problems)


reload_hooks()
autoupdater_hooks()
conflicts()
endlearning_hook()
hotplug()
if os.environ.get("DDHCPD_BINARY"):
    if os.geteuid() == 0:
        real_daemon_gateway(os.environ["DDHCPD_BINARY"])
    else:
        skip("gateway: real daemon", "needs root (network namespace)")

finish("gluon-ddhcpd")
