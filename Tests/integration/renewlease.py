#!/usr/bin/env python3
"""Prints the address field (hex) of every RENEWLEASE in a pcap of the mesh link.

    renewlease.py CAPTURE.pcap

Ethernet + IPv6 + UDP to port 1235 with command 0x10 at payload offset 14 (docs/protocol.md#lease-messages).
"""
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    offset = 24
    while offset + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        yield data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen


for frame in packets(sys.argv[1]):
    if len(frame) < 14 + 40 + 8 or frame[12:14] != b"\x86\xdd" or frame[14 + 6] != 17:
        continue
    udp = frame[54:]
    port = struct.unpack("!H", udp[2:4])[0]
    payload = udp[8:]
    if port == 1235 and len(payload) == 44 and payload[14] == 0x10:
        print(payload[16:20].hex())
