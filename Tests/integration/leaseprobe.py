#!/usr/bin/env python3
"""A DHCP client that takes leases for many MACs from one interface (stdlib only), for the
lease-file and hotplug tests (Tests/integration/leasefile.sh).

    leaseprobe.py IFACE lease MAC [HOSTNAME]   DISCOVER, REQUEST (with option 12 if HOSTNAME
                                               is given); prints "ACK <address>"
    leaseprobe.py IFACE renew MAC ADDRESS [HOSTNAME]   a RENEWING REQUEST (ciaddr = ADDRESS)
    leaseprobe.py IFACE release MAC ADDRESS SERVER     a RELEASE (no reply expected)
    leaseprobe.py IFACE burst PREFIX COUNT SECONDS     COUNT leases for MACs PREFIX:00..,
                                               spread evenly over SECONDS; prints one address
                                               a line

HOSTNAME may contain any bytes (Python escapes, e.g. 'bad\\x20name'). Binds 0.0.0.0:68 on
IFACE (SO_BINDTODEVICE); run it in the client's namespace. Exits 1 when a reply is missing.
"""
import random
import socket
import struct
import sys
import time

MAGIC = b"\x63\x82\x53\x63"


def packet(msg_type, mac, options=b"", ciaddr="0.0.0.0", xid=None):
    xid = random.getrandbits(32) if xid is None else xid
    header = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000,
                         socket.inet_aton(ciaddr), bytes(4), bytes(4), bytes(4),
                         mac + bytes(10), bytes(64), bytes(128))
    return xid, header + MAGIC + bytes([53, 1, msg_type]) + options + b"\xff"


def reply(s, xid, want, timeout=3.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            data = s.recv(1500)
        except socket.timeout:
            continue
        if len(data) < 240 or data[236:240] != MAGIC or struct.unpack("!I", data[4:8])[0] != xid:
            continue
        opts, i = {}, 240
        while i + 1 < len(data) and data[i] != 255:
            if data[i] == 0:
                i += 1
                continue
            opts.setdefault(data[i], data[i + 2:i + 2 + data[i + 1]])
            i += 2 + data[i + 1]
        if opts.get(53, b"\0")[0] in want:
            return socket.inet_ntoa(data[16:20]), opts
    return None, None


def name_option(name):
    return bytes([12, len(name)]) + name if name is not None else b""


def send(s, p):
    s.sendto(p, ("255.255.255.255", 67))


def lease(s, mac, name):
    # Three DISCOVERs 3 s apart, as busybox udhcpc does by default (-t 3 -T 3): a node whose
    # blocks are full answers once it has claimed another one (INQUIRE three times first).
    for _ in range(3):
        xid, p = packet(1, mac, name_option(name))
        send(s, p)
        address, opts = reply(s, xid, (2,), 3.0)
        if not address:
            continue
        server = bytes([54, 4]) + opts[54] if 54 in opts else b""
        xid, p = packet(3, mac, bytes([50, 4]) + socket.inet_aton(address) + server + name_option(name))
        send(s, p)
        acked, _ = reply(s, xid, (5,), 1.5)
        if acked:
            return acked
    return None


def main():
    iface, command = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 68))
    s.settimeout(0.2)
    mac = lambda text: bytes.fromhex(text.replace(":", ""))
    name = lambda i: sys.argv[i].encode().decode("unicode_escape").encode("latin-1") if len(sys.argv) > i else None
    if command == "lease":
        address = lease(s, mac(sys.argv[3]), name(4))
    elif command == "renew":
        xid, p = packet(3, mac(sys.argv[3]), name_option(name(5)), ciaddr=sys.argv[4])
        send(s, p)
        address, _ = reply(s, xid, (5,))
    elif command == "release":
        _, p = packet(7, mac(sys.argv[3]), bytes([54, 4]) + socket.inet_aton(sys.argv[5]), ciaddr=sys.argv[4])
        send(s, p)
        print("sent")
        return 0
    elif command == "burst":
        prefix, count, seconds = sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
        start = time.time()
        for k in range(count):
            time.sleep(max(0.0, start + k * seconds / count - time.time()))
            address = lease(s, mac("%s:%02x" % (prefix, k)), None)
            if not address:
                print("no lease for client %d" % k, file=sys.stderr)
                return 1
            print(address, flush=True)
        return 0
    else:
        print("unknown command", file=sys.stderr)
        return 2
    if not address:
        print("no reply", file=sys.stderr)
        return 1
    print("ACK", address)
    return 0


if __name__ == "__main__":
    sys.exit(main())
