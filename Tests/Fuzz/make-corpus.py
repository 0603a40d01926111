#!/usr/bin/env python3
"""Writes the seed corpus (Tests/Fuzz/corpus/<target>/) from the wire formats of
docs/protocol.md: the mesh vectors of the codec unit tests, client packets as ISC dhclient and
udhcpc send them, the ddhcpdctl requests, the daemon's option texts, and node record streams that
replay a client's DORA, a claim conflict and a forwarded renewal. Deterministic; rerun after a
format change and commit the result."""
import os, struct, shutil

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "corpus")

def write(target, name, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(data))

def dhcp(mtype, xid=0x12345678, mac=b"\x0a\x00\x00\x00\x00\x01", ciaddr=0, giaddr=0, flags=0,
         requested=None, server=None, params=None, extra=b"", hostname=None):
    p = bytearray(240)
    p[0:3] = b"\x01\x01\x06"
    struct.pack_into(">IHH", p, 4, xid, 3, flags)
    struct.pack_into(">I", p, 12, ciaddr)
    struct.pack_into(">I", p, 24, giaddr)
    p[28:28 + len(mac)] = mac
    struct.pack_into(">I", p, 236, 0x63825363)
    p += bytes([53, 1, mtype])
    if requested is not None: p += bytes([50, 4]) + struct.pack(">I", requested)
    if server is not None: p += bytes([54, 4]) + struct.pack(">I", server)
    if hostname: p += bytes([12, len(hostname)]) + hostname
    if params: p += bytes([55, len(params)]) + bytes(params)
    p += extra + b"\xff"
    while len(p) < 300: p += b"\x00"
    return p

A = lambda *o: (o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]
dhclient_params = [1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42]
udhcpc_params = [1, 3, 6, 12, 15, 28, 42]

def mesh_header(node, cmd, count, prefix=A(10, 0, 0, 0), length=24, bsize=4):
    return struct.pack(">QIBBBB", node, prefix, length, bsize, cmd, count)

def claim(node, blocks, ttl=60, **kw):
    return mesh_header(node, 1, len(blocks), **kw) + b"".join(struct.pack(">IHB", b, ttl, 0) for b in blocks)

def inquire(node, blocks, **kw):
    return mesh_header(node, 2, len(blocks), **kw) + b"".join(struct.pack(">I", b) for b in blocks)

def lease(node, cmd, raw_address, xid=0xabcd, seconds=0, mac=b"\x0a\x00\x00\x00\x00\x01", **kw):
    return mesh_header(node, cmd, 0, **kw) + struct.pack(">III", raw_address, xid, seconds) + mac.ljust(16, b"\x00")

def main():
    if os.path.isdir(root): shutil.rmtree(root)
    # DHCP decoder.
    write("dhcp", "dhclient-discover", dhcp(1, params=dhclient_params, hostname=b"laptop"))
    write("dhcp", "dhclient-request", dhcp(3, requested=A(10, 0, 0, 9), server=A(10, 0, 0, 1), params=dhclient_params))
    write("dhcp", "udhcpc-discover", dhcp(1, flags=0x8000, params=udhcpc_params, extra=bytes([57, 2, 2, 64, 61, 7, 1, 10, 0, 0, 0, 0, 1])))
    write("dhcp", "renew-unicast", dhcp(3, ciaddr=A(10, 0, 0, 9), params=udhcpc_params))
    write("dhcp", "relayed-discover", dhcp(1, giaddr=A(192, 168, 1, 1), params=[1, 3]))
    write("dhcp", "release", dhcp(7, ciaddr=A(10, 0, 0, 9), server=A(10, 0, 0, 1)))
    write("dhcp", "decline", dhcp(4, requested=A(10, 0, 0, 9), server=A(10, 0, 0, 1)))
    write("dhcp", "inform", dhcp(8, ciaddr=A(10, 0, 0, 9), params=[1, 3, 6, 15, 119, 252]))
    write("dhcp", "pads-before-53", dhcp(1, extra=b"")[:240] + b"\x00\x00\x00" + bytes([53, 1, 1, 255]))
    # Mesh decoder (the vectors of the codec tests and C's message sizes).
    write("mesh", "inquire34", inquire(0, [0x22]))
    write("mesh", "claim15and53", claim(0, [0x0f, 0x35]))
    write("mesh", "claim32", claim(0x1122334455667788, list(range(32)), ttl=300))
    write("mesh", "inquire-many", inquire(0xff00000000000001, [1, 2, 3, 4, 200]))
    write("mesh", "renew-x86", lease(0, 16, 0xf100000a))
    write("mesh", "leaseack-be", lease(0xffffffffffffffff, 17, A(10, 0, 0, 0xf1), seconds=3600))
    write("mesh", "leasenak", lease(0x42, 18, A(10, 0, 0, 9)))
    write("mesh", "foreign-pool", claim(5, [1], prefix=A(10, 1, 0, 0), length=16, bsize=5))
    write("mesh", "gluon-pool", claim(7, [3, 4], prefix=A(10, 116, 128, 0), length=17, bsize=5))
    # Control requests (ddhcpdctl -b -O -o -r -v -s -S -j -e).
    for name, req in [("blocks", [1]), ("options", [2]), ("set-option-dns", [3, 6, 4, 10, 0, 0, 1]),
                      ("lease-time", [3, 51, 4, 0, 0, 14, 16]), ("remove-option", [4, 6]), ("log-level", [5, 4]),
                      ("statistics", [6]), ("statistics-reset", [7]), ("blocks-json", [0x41]),
                      ("statistics-json", [0x46]), ("leases", [0x48]), ("leases-json", [0x49])]:
        write("control", name, [0] + req)  # first byte: the target's configuration selector
    write("control", "text-option", [0x00] + list(b"6:4:10.0.0.1"))
    write("control", "text-leasetime", [0x40] + list(b"0x3600"))
    # Command-line arguments: selector byte (index into "NbBtnsoLSIE", then the parsers).
    flags = "NbBtnsoLSIE"
    for i, (flag, text) in enumerate([("N", b"10.116.128.0/17"), ("N", b"10.0.0.0/24"), ("b", b"5"), ("B", b"300"), ("t", b"15"),
                                      ("n", b"300"), ("s", b"2"), ("o", b"3:4:10.0.0.1"), ("o", b"6:8:10.0.0.1.10.0.0.2"),
                                      ("o", b"15:6:mesh.lan"), ("I", b"00112233445566ff"), ("E", b"le"), ("E", b"be"),
                                      ("L", b""), ("S", b"")]):
        write("options", "flag-%s-%d" % (flag, i), [flags.index(flag)] + list(text))
    write("options", "strtoul", [11] + list(b"0x1f"))
    write("options", "ipv4", [12] + list(b"10.116.128.1"))
    write("options", "network", [13] + list(b"fd00::/64"))
    write("options", "option", [14] + list(b"121:8:24.10.0.0.10.0.0.1"))
    write("options", "nodeid", [15] + list(b"0011223344556677"))
    # Whole node: [config][our id] then records [op][time step][bytes...]
    # ops: 1 DHCP (type, client, xid, shape, address), 3 block message (peer, id, kind|count,
    # entries), 5 lease message (peer, id, cmd, address, xid, client, seconds), 6 control, 7 tick.
    def rec(op, step, *b): return [op, step] + list(b)
    dora = [0x20, 0x10] + rec(7, 0) + rec(7, 70) + rec(7, 70) + rec(7, 70) + rec(7, 70) \
        + rec(1, 5, 1, 3, 1, 0x40, 0) + rec(1, 5, 3, 3, 1, 0x58, 9) + rec(1, 5, 3, 3, 2, 0x01, 9) + rec(1, 5, 7, 3, 3, 0x01, 9)
    write("node", "dora", dora)
    conflict = [0x20, 0x10] + rec(7, 0) + rec(7, 70) + rec(3, 1, 1, 0x20, 0x02, 0, 60, 1, 60, 2, 60) \
        + rec(3, 1, 1, 0x05, 0x81, 0, 1) + rec(7, 70) + rec(7, 70) + rec(3, 1, 2, 0x05, 0x00, 0, 0)
    write("node", "conflict", conflict)
    forward = [0x24, 0x10] + rec(3, 0, 1, 0x30, 0x01, 1, 120, 2, 120) + rec(1, 5, 3, 5, 4, 0x59, 6) \
        + rec(5, 1, 1, 0x30, 1, 6, 4, 5, 10) + rec(1, 5, 3, 6, 4, 0x59, 7) + rec(5, 1, 1, 0x30, 2, 7, 4, 6, 10) \
        + rec(5, 1, 1, 0x30, 0, 2, 1, 1, 10) + rec(7, 140)
    write("node", "forward-renew", forward)
    control = [0x20, 0x10] + rec(7, 0) + rec(6, 1, 0, 1, 1) + rec(6, 1, 1, 3, 3, 51, 4, 0, 0, 0, 60) + rec(6, 1, 0, 1, 0x47) + rec(7, 200)
    write("node", "control", control)
    learning = [0x60, 0x10] + rec(3, 10, 1, 0x08, 0x03, 0, 200, 1, 200, 2, 200) + rec(1, 1, 1, 1, 1, 0, 0) + rec(7, 134) + rec(7, 70)
    write("node", "learning", learning)
    # Found by libFuzzer: leases, then a kill -9 and a respawn that restores a lease at the hold
    # its image recorded, past one lease time from now (D-193); kept as a regression input.
    write("node", "restored-hold", bytes.fromhex("a36ead9e99a3427520100b0b0b0b0b03010120556e7361666542751003000132010178027801050305556e7361666542750604050a00"))

main()
