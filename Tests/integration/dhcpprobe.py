#!/usr/bin/env python3
"""A scripted DHCP client for the integration tests (stdlib only).

    dhcpprobe.py IFACE inform CIADDR [MAC]   send DHCPINFORM, expect DHCPACK (type 5)
    dhcpprobe.py IFACE discover [MAC]        send DHCPDISCOVER, expect DHCPOFFER; prints yiaddr
    dhcpprobe.py IFACE garbage               send malformed DHCP datagrams (no reply expected)
    dhcpprobe.py IFACE relay GIADDR SERVER   act as a BOOTP relay agent at GIADDR (configured on
                                             IFACE): unicast a relayed DISCOVER to SERVER:67 and
                                             expect the OFFER on GIADDR:67

Prints one line "TYPE yiaddr=A server=S" for the reply; exits 1 when nothing arrives in 3 s
(PROBE_TIMEOUT seconds); the request is repeated every second.
Binds 0.0.0.0:68 on IFACE (SO_BINDTODEVICE), so run it inside the client's namespace.
"""
import os
import random
import socket
import struct
import sys
import time

MAGIC = b"\x63\x82\x53\x63"


def packet(msg_type, mac, ciaddr="0.0.0.0", xid=None, broadcast=True, extra=b"", giaddr="0.0.0.0"):
    xid = xid if xid is not None else random.getrandbits(32)
    chaddr = mac + bytes(16 - len(mac))
    header = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 1 if giaddr != "0.0.0.0" else 0,
                         xid, 0, 0x8000 if broadcast else 0, socket.inet_aton(ciaddr), bytes(4),
                         bytes(4), socket.inet_aton(giaddr), chaddr, bytes(64), bytes(128))
    options = bytes([53, 1, msg_type]) + bytes([55, 4, 1, 3, 6, 51]) + extra + b"\xff"
    return xid, header + MAGIC + options


def parse(data):
    if len(data) < 240 or data[236:240] != MAGIC:
        return None
    options, i = {}, 240
    while i < len(data) and data[i] != 255:
        if data[i] == 0:
            i += 1
            continue
        if i + 1 >= len(data):
            break
        code, length = data[i], data[i + 1]
        options.setdefault(code, data[i + 2:i + 2 + length])
        i += 2 + length
    return {"xid": struct.unpack("!I", data[4:8])[0], "yiaddr": socket.inet_ntoa(data[16:20]),
            "options": options}


NAMES = {2: "OFFER", 5: "ACK", 6: "NAK"}


def main():
    iface, command = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 67 if command == "relay" else 68))
    s.settimeout(0.5)
    destination = ("255.255.255.255", 67)
    if command == "garbage":
        for n in (0, 1, 100, 239, 240, 300, 1400):
            s.sendto(os.urandom(n), ("255.255.255.255", 67))
        _, p = packet(1, os.urandom(6))
        s.sendto(p[:-4], ("255.255.255.255", 67))            # options cut off mid-way
        s.sendto(p[:240] + b"\x35\x05\x01", ("255.255.255.255", 67))  # option runs past the end
        s.sendto(p[:240] + b"\x00\x00\x35\x01\x01\xff", ("255.255.255.255", 67))  # PAD bytes (D-03)
        print("sent")
        return 0
    if command == "inform":
        ciaddr = sys.argv[3]
        mac = bytes.fromhex(sys.argv[4].replace(":", "")) if len(sys.argv) > 4 else os.urandom(6)
        xid, p = packet(8, mac, ciaddr=ciaddr)
    elif command == "relay":
        giaddr, destination = sys.argv[3], (sys.argv[4], 67)
        xid, p = packet(1, os.urandom(6), broadcast=False, giaddr=giaddr)
    elif command == "discover":
        mac = bytes.fromhex(sys.argv[3].replace(":", "")) if len(sys.argv) > 3 else os.urandom(6)
        xid, p = packet(1, mac)
    else:
        print("unknown command", file=sys.stderr)
        return 2
    deadline = time.time() + float(os.environ.get("PROBE_TIMEOUT", "3"))
    next_send = 0
    while time.time() < deadline:
        if time.time() >= next_send:
            s.sendto(p, destination)
            next_send = time.time() + 1
        try:
            data = s.recv(1500)
        except socket.timeout:
            continue
        reply = parse(data)
        if not reply or reply["xid"] != xid or 53 not in reply["options"]:
            continue
        kind = reply["options"][53][0]
        server = reply["options"].get(54)
        print("%s yiaddr=%s server=%s" % (NAMES.get(kind, str(kind)), reply["yiaddr"],
                                          socket.inet_ntoa(server) if server else "-"))
        return 0
    print("no reply", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
