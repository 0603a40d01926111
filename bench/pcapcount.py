#!/usr/bin/env python3
"""Counts ddhcp node-to-node traffic in pcap files (classic libpcap, Ethernet link type).

Usage: pcapcount.py FILE…  → key=value lines summed over all files:
  mc_pkts, mc_frame_bytes, mc_udp_bytes    IPv6 UDP to port 1234 (UPDATECLAIM / INQUIRE)
  uc_pkts, mc_frame_bytes, uc_udp_bytes    IPv6 UDP to port 1235 (RENEWLEASE / LEASEACK / NAK)
  updateclaim, inquire, updateclaim_entries, renewlease, leaseack, leasenak, other
frame bytes = the whole Ethernet frame as captured (14 + 40 + 8 + payload, no FCS);
udp bytes = the UDP payload, which is what the daemon's statistics byte counters count
(docs/protocol.md#statistics).
pcapcount.py --intervals FILE… → median seconds between consecutive UPDATECLAIMs of one node
(each file holds one node's sends), i.e. the refresh period of an idle node.
"""
import struct
import sys


def count(path, out):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise SystemExit(f"{path}: not a pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit(f"{path}: link type {linktype}, expected Ethernet")
    off = 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < 14 + 40 + 8 or frame[12:14] != b"\x86\xdd" or frame[14 + 6] != 17:
            continue
        udp = frame[54:62]
        dport = struct.unpack("!H", udp[2:4])[0]
        payload = frame[62:]
        cmd = payload[14] if len(payload) >= 16 else -1
        if dport == 1234:
            key = "mc"
            if cmd == 1:
                out["updateclaim"] += 1
                out["updateclaim_entries"] += payload[15]
            elif cmd == 2:
                out["inquire"] += 1
            else:
                out["other"] += 1
        elif dport == 1235:
            key = "uc"
            name = {16: "renewlease", 17: "leaseack", 18: "leasenak"}.get(cmd, "other")
            out[name] += 1
        else:
            continue
        out[key + "_pkts"] += 1
        out[key + "_frame_bytes"] += orig
        out[key + "_udp_bytes"] += struct.unpack("!H", udp[4:6])[0] - 8


def refresh_intervals(path):
    """Seconds between consecutive UPDATECLAIMs in one capture (one node's sends)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    times, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) >= 62 + 16 and frame[12:14] == b"\x86\xdd" and frame[20] == 17 \
                and struct.unpack("!H", frame[56:58])[0] == 1234 and frame[62 + 14] == 1:
            times.append(sec + frac / (1e9 if nano else 1e6))
    return [b - a for a, b in zip(times, times[1:])]


def main():
    if sys.argv[1:2] == ["--intervals"]:
        # Median time between one node's UPDATECLAIMs over all given captures (one per node).
        iv = sorted(x for p in sys.argv[2:] for x in refresh_intervals(p))
        print(f"intervals={len(iv)}")
        print(f"median={iv[len(iv) // 2]:.2f}" if iv else "median=nan")
        return
    keys = ["mc_pkts", "mc_frame_bytes", "mc_udp_bytes", "uc_pkts", "uc_frame_bytes", "uc_udp_bytes",
            "updateclaim", "updateclaim_entries", "inquire", "renewlease", "leaseack", "leasenak", "other"]
    out = dict.fromkeys(keys, 0)
    for p in sys.argv[1:]:
        count(p, out)
    for k in keys:
        print(f"{k}={out[k]}")


if __name__ == "__main__":
    main()
